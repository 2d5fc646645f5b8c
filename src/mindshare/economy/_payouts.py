"""Engagement-based creator payouts: a pool shared by the attention each creator earned.

Modelled on Roblox's engagement-based payouts: each period a creator pool is funded
(a share of ad revenue, a subscription pool, a fixed emission) and split among
creators pro rata to the attentive milliseconds their items earned.

The life of one period's pool:

1. ``pool_amount`` funds the creator pool account.
2. ``plan_payouts`` splits the pool's balance (this period's funding plus what
   earlier periods carried forward) by attention. Of each creator's share, the part
   earned by unverified attention times ``holdback_unverified`` moves to the holdback
   escrow; the rest is paid, unless it is below the minimum payout, in which case it
   stays in the pool and joins the next period's pool (it is not owed to that creator).
3. In a later period, once that attention is verified or refuted, ``settle_holdback``
   releases a held-back amount to the creator or returns it to the pool.
"""

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from mindshare.core import InputError
from mindshare.economy._accounts import (
    Posting,
    TransferCode,
    creator_account,
    creator_pool_account,
    emission_account,
    holdback_account,
    platform_revenue_account,
    transfer_id,
    user_data,
)
from mindshare.economy._rules import EconomyRules
from mindshare.economy._split import exact_fraction, floor_share, split_pro_rata


@dataclass(frozen=True, slots=True)
class CreatorEngagement:
    """The attentive ms a creator's items earned in the period, verified or not."""

    creator_id: str
    verified_ms: int
    unverified_ms: int = 0

    def __post_init__(self) -> None:
        for name in ("verified_ms", "unverified_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(
                    f"creator {self.creator_id!r}: {name} is {value!r}; it must be a whole "
                    "number ≥ 0"
                )

    @property
    def attentive_ms(self) -> int:
        """All attention the creator earned, verified or not."""
        return self.verified_ms + self.unverified_ms


@dataclass(frozen=True, slots=True)
class PayoutLine:
    """One creator's part of the pool: ``gross = paid + held_back + carried``."""

    creator_id: str
    attentive_ms: int
    verified_ms: int
    share: Fraction
    gross_minor: int
    held_back_minor: int
    paid_minor: int
    carried_minor: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class PayoutPlan:
    """A period's creator payouts and the transfers that make them.

    ``paid_minor + held_back_minor + carried_minor == pool_minor`` always; what no
    creator earned (a period without attention) is in ``unallocated_minor`` and is
    carried too.
    """

    pool_minor: int
    lines: tuple[PayoutLine, ...]
    postings: tuple[Posting, ...]
    unallocated_minor: int = 0

    @property
    def paid_minor(self) -> int:
        """Paid to creators' accounts this period."""
        return sum(line.paid_minor for line in self.lines)

    @property
    def held_back_minor(self) -> int:
        """Moved to the holdback escrow this period."""
        return sum(line.held_back_minor for line in self.lines)

    @property
    def carried_minor(self) -> int:
        """Left in the creator pool for the next period."""
        return sum(line.carried_minor for line in self.lines) + self.unallocated_minor

    def statement_rows(self) -> list[dict[str, str | int]]:
        """One row per creator, for a printed statement."""
        return [
            {
                "creator_id": line.creator_id,
                "attentive_ms": line.attentive_ms,
                "verified_ms": line.verified_ms,
                "share": f"{float(line.share):.2%}",
                "gross_minor": line.gross_minor,
                "held_back_minor": line.held_back_minor,
                "paid_minor": line.paid_minor,
                "carried_minor": line.carried_minor,
                "note": line.note,
            }
            for line in self.lines
        ]


@dataclass(frozen=True, slots=True)
class PoolFunding:
    """What funds a pool this period, by source, and the transfers that move it."""

    pool_account_id: str
    ad_share_minor: int
    subscription_minor: int
    emission_minor: int
    postings: tuple[Posting, ...]

    @property
    def total_minor(self) -> int:
        """All the pool receives this period."""
        return self.ad_share_minor + self.subscription_minor + self.emission_minor

    def statement_rows(self) -> list[dict[str, str | int]]:
        """One row per source of funding, for a printed statement."""
        return [
            {"source": source, "amount_minor": amount}
            for source, amount in (
                ("ad revenue share", self.ad_share_minor),
                ("subscription pool", self.subscription_minor),
                ("emission", self.emission_minor),
            )
        ]


def pool_amount(rules: EconomyRules, ad_revenue_minor: int, *, period: str) -> PoolFunding:
    """This period's funding of the creator pool.

    The ad share (``creator_pool_ad_share`` of ad revenue, rounded down) moves from
    platform revenue; the subscription pool and the fixed emission are minted from the
    emission account.
    """
    currency = rules.currency
    pool = creator_pool_account(currency)
    ad_share = floor_share(ad_revenue_minor, rules.creator_pool_ad_share)
    sources = (
        ("pool-ad-share", platform_revenue_account(currency), ad_share, "ad revenue share"),
        (
            "pool-subscription",
            emission_account(currency),
            rules.subscription_pool_minor,
            "subscription pool",
        ),
        ("pool-emission", emission_account(currency), rules.emission_minor, "emission"),
    )
    codes = (
        TransferCode.CREATOR_POOL_AD_SHARE,
        TransferCode.CREATOR_POOL_SUBSCRIPTION,
        TransferCode.CREATOR_POOL_EMISSION,
    )
    postings = tuple(
        Posting(
            transfer_id=transfer_id(kind, currency, period),
            debit_account_id=source,
            credit_account_id=pool,
            amount=amount,
            code=code,
            user_data=user_data(f"creator pool: {what}, {period}"),
        )
        for (kind, source, amount, what), code in zip(sources, codes, strict=True)
        if amount > 0
    )
    return PoolFunding(
        pool_account_id=pool,
        ad_share_minor=ad_share,
        subscription_minor=rules.subscription_pool_minor,
        emission_minor=rules.emission_minor,
        postings=postings,
    )


def plan_payouts(
    pool_minor: int,
    engagement: Sequence[CreatorEngagement],
    *,
    minimum_payout_minor: int,
    holdback_unverified: float,
    currency: str,
    period: str,
) -> PayoutPlan:
    """Split ``pool_minor`` among creators by attention, holding back and carrying forward.

    Shares are pro rata to attentive ms (verified + unverified) by ``split_pro_rata``,
    ties by creator id. Of a share ``g`` earned with ``u`` of ``a`` ms unverified,
    ``floor(g × u / a × holdback_unverified)`` is held back; the rest is paid when it
    reaches ``minimum_payout_minor`` and carried forward in the pool otherwise.

    Examples
    --------
    >>> plan = plan_payouts(
    ...     1_000,
    ...     [CreatorEngagement("a", 600), CreatorEngagement("b", 300, 100)],
    ...     minimum_payout_minor=100, holdback_unverified=1.0, currency="USD", period="w1",
    ... )
    >>> [(line.paid_minor, line.held_back_minor) for line in plan.lines]
    [(600, 0), (300, 100)]
    """
    if isinstance(pool_minor, bool) or not isinstance(pool_minor, int) or pool_minor < 0:
        raise InputError(f"pool_minor is {pool_minor!r}; it must be a whole number ≥ 0")
    if (
        isinstance(minimum_payout_minor, bool)
        or not isinstance(minimum_payout_minor, int)
        or minimum_payout_minor < 0
    ):
        raise InputError(f"minimum_payout_minor is {minimum_payout_minor!r}; it must be ≥ 0")
    holdback = exact_fraction(holdback_unverified)
    if not 0 <= holdback <= 1:
        raise InputError(f"holdback_unverified is {holdback_unverified!r}; it must lie in [0, 1]")
    rows = sorted(engagement, key=lambda row: row.creator_id)
    for previous, row in itertools.pairwise(rows):
        if previous.creator_id == row.creator_id:
            raise InputError(f"creator {row.creator_id!r} appears twice in the engagement")
    attentive_total = sum(row.attentive_ms for row in rows)
    if attentive_total == 0:
        lines = tuple(_line(row, Fraction(0), 0, 0, 0, "no attention") for row in rows)
        return PayoutPlan(pool_minor, lines, (), unallocated_minor=pool_minor)

    grosses = split_pro_rata(
        pool_minor,
        [row.attentive_ms for row in rows],
        tie_break=[row.creator_id for row in rows],
    )
    lines_: list[PayoutLine] = []
    postings: list[Posting] = []
    for row, gross in zip(rows, grosses, strict=True):
        share = Fraction(row.attentive_ms, attentive_total)
        if row.attentive_ms == 0:
            lines_.append(_line(row, share, 0, 0, 0, "no attention"))
            continue
        held_back = math.floor(gross * Fraction(row.unverified_ms, row.attentive_ms) * holdback)
        payable = gross - held_back
        paid, note = payable, ""
        if payable < minimum_payout_minor:
            paid = 0
            note = f"below the minimum payout of {minimum_payout_minor}: carried forward"
        lines_.append(_line(row, share, gross, held_back, paid, note))
        subject = f"creator {row.creator_id}, {period}"
        if paid > 0:
            postings.append(
                Posting(
                    transfer_id=transfer_id("payout", currency, period, row.creator_id),
                    debit_account_id=creator_pool_account(currency),
                    credit_account_id=creator_account(row.creator_id, currency),
                    amount=paid,
                    code=TransferCode.CREATOR_PAYOUT,
                    user_data=user_data(f"payout to {subject}"),
                )
            )
        if held_back > 0:
            postings.append(
                Posting(
                    transfer_id=transfer_id("holdback", currency, period, row.creator_id),
                    debit_account_id=creator_pool_account(currency),
                    credit_account_id=holdback_account(currency),
                    amount=held_back,
                    code=TransferCode.PAYOUT_HOLDBACK,
                    user_data=user_data(f"held back for unverified attention: {subject}"),
                )
            )
    return PayoutPlan(pool_minor, tuple(lines_), tuple(postings))


def settle_holdback(
    creator_id: str, amount_minor: int, *, release: bool, currency: str, period: str
) -> Posting:
    """Release pay held back from ``creator_id`` in ``period`` to them, or return it to the pool.

    Release when the attention it was held for has since been verified; return it to
    the creator pool (for a later period's split) when it was not.
    """
    kind, credit, code = (
        ("holdback-release", creator_account(creator_id, currency), TransferCode.HOLDBACK_RELEASE)
        if release
        else ("holdback-return", creator_pool_account(currency), TransferCode.HOLDBACK_RETURN)
    )
    what = "released to" if release else "returned to the pool from"
    return Posting(
        transfer_id=transfer_id(kind, currency, period, creator_id),
        debit_account_id=holdback_account(currency),
        credit_account_id=credit,
        amount=amount_minor,
        code=code,
        user_data=user_data(f"holdback of {period} {what} creator {creator_id}"),
    )


def _line(
    row: CreatorEngagement, share: Fraction, gross: int, held_back: int, paid: int, note: str
) -> PayoutLine:
    return PayoutLine(
        creator_id=row.creator_id,
        attentive_ms=row.attentive_ms,
        verified_ms=row.verified_ms,
        share=share,
        gross_minor=gross,
        held_back_minor=held_back,
        paid_minor=paid,
        carried_minor=gross - held_back - paid,
        note=note,
    )
