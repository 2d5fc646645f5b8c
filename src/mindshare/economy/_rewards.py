"""Attention rewards: people share the ad revenue their verified ad attention earned.

Modelled on Brave Rewards: a share of ad revenue funds a reward pool each period,
and the pool is split among the people who gave ads verified attention, pro rata
to their verified attentive ms.
"""

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from mindshare.core import InputError
from mindshare.economy._accounts import (
    Posting,
    TransferCode,
    person_account,
    platform_revenue_account,
    reward_pool_account,
    transfer_id,
    user_data,
)
from mindshare.economy._charges import AdImpression
from mindshare.economy._payouts import PoolFunding
from mindshare.economy._rules import EconomyRules
from mindshare.economy._split import floor_share, split_pro_rata


@dataclass(frozen=True, slots=True)
class RewardLine:
    """One person's reward for the ad attention they gave."""

    user_id: str
    verified_ad_ms: int
    share: Fraction
    reward_minor: int


@dataclass(frozen=True, slots=True)
class RewardPlan:
    """A period's attention rewards and the transfers that pay them.

    ``paid_minor + undistributed_minor == rewards_total_minor``; what no one earned
    (a period without ad attention) stays in the reward pool.
    """

    rewards_total_minor: int
    lines: tuple[RewardLine, ...]
    postings: tuple[Posting, ...]

    @property
    def paid_minor(self) -> int:
        """Paid to people this period."""
        return sum(line.reward_minor for line in self.lines)

    @property
    def undistributed_minor(self) -> int:
        """Left in the reward pool."""
        return self.rewards_total_minor - self.paid_minor

    def statement_rows(self) -> list[dict[str, str | int]]:
        """One row per person rewarded, for a printed statement."""
        return [
            {
                "user_id": line.user_id,
                "verified_ad_ms": line.verified_ad_ms,
                "share": f"{float(line.share):.2%}",
                "reward_minor": line.reward_minor,
            }
            for line in self.lines
        ]


def reward_pool_amount(rules: EconomyRules, ad_revenue_minor: int, *, period: str) -> PoolFunding:
    """This period's funding of the reward pool: ``reward_ad_share`` of ad revenue, rounded down."""
    currency = rules.currency
    pool = reward_pool_account(currency)
    amount = floor_share(ad_revenue_minor, rules.reward_ad_share)
    postings: tuple[Posting, ...] = ()
    if amount > 0:
        postings = (
            Posting(
                transfer_id=transfer_id("reward-pool-ad-share", currency, period),
                debit_account_id=platform_revenue_account(currency),
                credit_account_id=pool,
                amount=amount,
                code=TransferCode.REWARD_POOL_AD_SHARE,
                user_data=user_data(f"reward pool: ad revenue share, {period}"),
            ),
        )
    return PoolFunding(
        pool_account_id=pool,
        ad_share_minor=amount,
        subscription_minor=0,
        emission_minor=0,
        postings=postings,
    )


def verified_ad_attention(
    impressions: Iterable[AdImpression], unverified_people: Container[str]
) -> dict[str, int]:
    """Each verified person's verified attentive ms on ads: what attention rewards split."""
    attention: dict[str, int] = {}
    for impression in impressions:
        if impression.verified_ms > 0 and impression.user_id not in unverified_people:
            attention[impression.user_id] = (
                attention.get(impression.user_id, 0) + impression.verified_ms
            )
    return attention


def reward_ad_attention(
    rewards_total_minor: int,
    verified_ad_ms: Mapping[str, int],
    *,
    currency: str,
    period: str,
) -> RewardPlan:
    """Split ``rewards_total_minor`` among people pro rata to their verified ad attention.

    ``verified_ad_ms`` maps user id to the verified attentive ms they gave ads this
    period; people with none get nothing and no line. Ties go by user id.

    Examples
    --------
    >>> plan = reward_ad_attention(10, {"ann": 2_000, "bob": 1_000}, currency="USD", period="w1")
    >>> [(line.user_id, line.reward_minor) for line in plan.lines]
    [('ann', 7), ('bob', 3)]
    """
    if (
        isinstance(rewards_total_minor, bool)
        or not isinstance(rewards_total_minor, int)
        or rewards_total_minor < 0
    ):
        raise InputError(
            f"rewards_total_minor is {rewards_total_minor!r}; it must be a whole number ≥ 0"
        )
    for user_id, ms in verified_ad_ms.items():
        if isinstance(ms, bool) or not isinstance(ms, int) or ms < 0:
            raise InputError(f"person {user_id!r}: verified ad ms is {ms!r}; it must be ≥ 0")
    people = sorted(user_id for user_id, ms in verified_ad_ms.items() if ms > 0)
    if not people:
        return RewardPlan(rewards_total_minor, (), ())
    weights = [verified_ad_ms[user_id] for user_id in people]
    rewards = split_pro_rata(rewards_total_minor, weights, tie_break=people)
    total_ms = sum(weights)
    lines = tuple(
        RewardLine(user_id, ms, Fraction(ms, total_ms), reward)
        for user_id, ms, reward in zip(people, weights, rewards, strict=True)
    )
    postings = tuple(
        Posting(
            transfer_id=transfer_id("reward", currency, period, line.user_id),
            debit_account_id=reward_pool_account(currency),
            credit_account_id=person_account(line.user_id, currency),
            amount=line.reward_minor,
            code=TransferCode.ATTENTION_REWARD,
            user_data=user_data(f"attention reward: {line.verified_ad_ms} ms of ads, {period}"),
        )
        for line in lines
        if line.reward_minor > 0
    )
    return RewardPlan(rewards_total_minor, lines, postings)
