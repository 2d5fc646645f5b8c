"""Attention rewards: the reward pool's funding and its split by verified ad attention."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mindshare.core import InputError
from mindshare.economy import (
    AdImpression,
    EconomyRules,
    RewardLine,
    RewardPlan,
    TransferCode,
    reward_ad_attention,
    reward_pool_amount,
    verified_ad_attention,
)


def rewards(total: int, attention: dict[str, int]) -> RewardPlan:
    return reward_ad_attention(total, attention, currency="USD", period="2024-W18")


def test_rewards_are_shared_by_verified_ad_attention() -> None:
    # 10 by 2:1 → 6⅔ and 3⅓: floors 6 and 3, the spare unit to the larger remainder.
    plan = rewards(10, {"bob": 1_000, "ann": 2_000, "cat": 0})
    assert plan.lines == (
        RewardLine("ann", 2_000, Fraction(2, 3), 7),
        RewardLine("bob", 1_000, Fraction(1, 3), 3),
    )
    assert [
        (p.transfer_id, p.debit_account_id, p.credit_account_id, p.amount) for p in plan.postings
    ] == [
        ("reward:USD:2024-W18:ann", "pool:rewards:USD", "person:ann:USD", 7),
        ("reward:USD:2024-W18:bob", "pool:rewards:USD", "person:bob:USD", 3),
    ]
    assert {p.code for p in plan.postings} == {TransferCode.ATTENTION_REWARD}


def test_a_reward_of_zero_makes_no_transfer() -> None:
    plan = rewards(1, {"ann": 1, "bob": 1})
    assert [line.reward_minor for line in plan.lines] == [1, 0]
    assert [p.credit_account_id for p in plan.postings] == ["person:ann:USD"]


def test_without_ad_attention_the_rewards_stay_in_the_pool() -> None:
    plan = rewards(500, {"ann": 0})
    assert (plan.lines, plan.postings, plan.undistributed_minor) == ((), (), 500)


def test_the_statement_has_one_row_per_person() -> None:
    assert rewards(10, {"ann": 3_000, "bob": 1_000}).statement_rows() == [
        {"user_id": "ann", "verified_ad_ms": 3_000, "share": "75.00%", "reward_minor": 8},
        {"user_id": "bob", "verified_ad_ms": 1_000, "share": "25.00%", "reward_minor": 2},
    ]


def test_the_reward_pool_gets_its_share_of_ad_revenue_rounded_down() -> None:
    funding = reward_pool_amount(EconomyRules(reward_ad_share=0.1), 1_239, period="2024-W18")
    assert funding.total_minor == 123
    ((posting),) = funding.postings
    assert (posting.transfer_id, posting.debit_account_id, posting.credit_account_id) == (
        "reward-pool-ad-share:USD:2024-W18",
        "platform:revenue:USD",
        "pool:rewards:USD",
    )
    assert reward_pool_amount(EconomyRules(), 9, period="2024-W18").postings == ()


def test_negative_attention_is_refused() -> None:
    with pytest.raises(InputError, match="person 'ann': verified ad ms is -1"):
        rewards(10, {"ann": -1})


@given(
    st.integers(0, 10**9),
    st.dictionaries(st.text("abcdef", min_size=1, max_size=4), st.integers(0, 10**8)),
)
def test_rewards_paid_and_left_in_the_pool_add_up_to_the_total(
    total: int, attention: dict[str, int]
) -> None:
    plan = rewards(total, attention)
    assert plan.paid_minor + plan.undistributed_minor == total
    assert sum(p.amount for p in plan.postings) == plan.paid_minor
    if any(attention.values()):
        assert plan.undistributed_minor == 0


def test_verified_ad_attention_sums_each_verified_person_and_skips_the_rest() -> None:
    impressions = [
        AdImpression("c1", "acme", "ann", "ad1", 1.0, 30_000),
        AdImpression("c2", "acme", "ann", "ad2", 2.0, 10_000),
        AdImpression("c1", "acme", "bob", "ad1", 1.0, 0),
        AdImpression("c1", "acme", "eve", "ad1", 1.0, 50_000),
    ]
    assert verified_ad_attention(impressions, {"eve"}) == {"ann": 40_000}
