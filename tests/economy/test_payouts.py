"""Creator payouts by engagement: worked examples, holdback, minimum payout, pool funding."""

from collections.abc import Callable
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mindshare.core import InputError
from mindshare.economy import (
    CreatorEngagement,
    EconomyRules,
    PayoutLine,
    PayoutPlan,
    Posting,
    TransferCode,
    plan_payouts,
    pool_amount,
    settle_holdback,
)

PERIOD = "2024-W18"


def payouts(
    pool: int,
    engagement: list[CreatorEngagement],
    *,
    minimum: int = 100,
    holdback: float = 1.0,
) -> PayoutPlan:
    return plan_payouts(
        pool,
        engagement,
        minimum_payout_minor=minimum,
        holdback_unverified=holdback,
        currency="USD",
        period=PERIOD,
    )


# --- Worked by hand ---------------------------------------------------------------------------


def test_the_pool_is_shared_by_attention_and_unverified_pay_is_held_back() -> None:
    # 1000 ms of attention in all: a earned 600 (verified), b 400 of which 100 unverified.
    # a's share is 600; b's is 400, of which 400 × 100/400 = 100 is held back.
    plan = payouts(
        1_000,
        [CreatorEngagement("b", 300, 100), CreatorEngagement("a", 600), CreatorEngagement("z", 0)],
    )
    assert plan.lines == (
        PayoutLine("a", 600, 600, Fraction(3, 5), 600, 0, 600, 0),
        PayoutLine("b", 400, 300, Fraction(2, 5), 400, 100, 300, 0),
        PayoutLine("z", 0, 0, Fraction(0), 0, 0, 0, 0, "no attention"),
    )
    assert plan.postings == (
        Posting(
            "payout:USD:2024-W18:a",
            "pool:creators:USD",
            "creator:a:USD",
            600,
            TransferCode.CREATOR_PAYOUT,
            "payout to creator a, 2024-W18",
        ),
        Posting(
            "payout:USD:2024-W18:b",
            "pool:creators:USD",
            "creator:b:USD",
            300,
            TransferCode.CREATOR_PAYOUT,
            "payout to creator b, 2024-W18",
        ),
        Posting(
            "holdback:USD:2024-W18:b",
            "pool:creators:USD",
            "escrow:holdback:USD",
            100,
            TransferCode.PAYOUT_HOLDBACK,
            "held back for unverified attention: creator b, 2024-W18",
        ),
    )
    assert (plan.paid_minor, plan.held_back_minor, plan.carried_minor) == (900, 100, 0)


def test_a_creator_below_the_minimum_payout_is_carried_forward_in_the_pool() -> None:
    # 1000 by 900:60:40 → 900, 60, 40; the minimum is 100, so b and c are carried.
    plan = payouts(
        1_000,
        [CreatorEngagement("a", 900), CreatorEngagement("b", 60), CreatorEngagement("c", 40)],
    )
    assert [(line.paid_minor, line.carried_minor) for line in plan.lines] == [
        (900, 0),
        (0, 60),
        (0, 40),
    ]
    assert plan.lines[1].note == "below the minimum payout of 100: carried forward"
    assert [p.credit_account_id for p in plan.postings] == ["creator:a:USD"]
    assert plan.carried_minor == 100


def test_part_holdback_rounds_the_held_back_part_down() -> None:
    # 6 ms in all, 101 to share: quotas 50.5 each, the spare unit goes to "a" (tie, by id).
    # a: 2 of 3 ms unverified, half held back: floor(51 × 2/3 × 1/2) = 17; paid 34.
    plan = payouts(
        101,
        [CreatorEngagement("b", 3), CreatorEngagement("a", 1, 2)],
        minimum=0,
        holdback=0.5,
    )
    a, b = plan.lines
    assert (a.gross_minor, a.held_back_minor, a.paid_minor) == (51, 17, 34)
    assert (b.gross_minor, b.held_back_minor, b.paid_minor) == (50, 0, 50)


def test_held_back_pay_moves_to_escrow_even_when_the_rest_is_carried() -> None:
    plan = payouts(1_000, [CreatorEngagement("a", 10, 990)], minimum=100)
    (line,) = plan.lines
    assert (line.held_back_minor, line.paid_minor, line.carried_minor) == (990, 0, 10)
    assert [(p.code, p.amount) for p in plan.postings] == [(TransferCode.PAYOUT_HOLDBACK, 990)]


def test_a_period_without_attention_carries_the_whole_pool() -> None:
    plan = payouts(500, [CreatorEngagement("a", 0)])
    assert plan.postings == ()
    assert (plan.unallocated_minor, plan.carried_minor, plan.paid_minor) == (500, 500, 0)


def test_settling_twice_asks_for_the_same_transfers_whatever_the_input_order() -> None:
    rows = [CreatorEngagement("a", 5, 1), CreatorEngagement("b", 7), CreatorEngagement("c", 5)]
    assert payouts(10_001, rows) == payouts(10_001, list(reversed(rows)))


def test_the_statement_has_one_row_per_creator() -> None:
    plan = payouts(1_000, [CreatorEngagement("a", 2), CreatorEngagement("b", 1)])
    assert plan.statement_rows()[0] == {
        "creator_id": "a",
        "attentive_ms": 2,
        "verified_ms": 2,
        "share": "66.67%",
        "gross_minor": 667,
        "held_back_minor": 0,
        "paid_minor": 667,
        "carried_minor": 0,
        "note": "",
    }


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: payouts(-1, []), "pool_minor is -1"),
        (lambda: payouts(10, [CreatorEngagement("a", 1)] * 2), "creator 'a' appears twice"),
        (lambda: CreatorEngagement("a", -5), "verified_ms is -5"),
        (lambda: payouts(10, [], holdback=2.0), "holdback_unverified is 2.0"),
        (lambda: payouts(10, [], minimum=-1), "minimum_payout_minor is -1"),
    ],
)
def test_bad_input_is_refused(call: Callable[[], object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()


# --- Invariants -------------------------------------------------------------------------------

engagements = st.dictionaries(
    st.text(alphabet="abcdefgh", min_size=1, max_size=3),
    st.tuples(st.integers(0, 10**7), st.integers(0, 10**7)),
    max_size=12,
).map(lambda rows: [CreatorEngagement(c, v, u) for c, (v, u) in rows.items()])


@given(
    st.integers(0, 10**10),
    engagements,
    st.integers(0, 10_000),
    st.floats(0.0, 1.0),
)
def test_paid_held_back_and_carried_add_up_to_the_pool(
    pool: int, rows: list[CreatorEngagement], minimum: int, holdback: float
) -> None:
    plan = payouts(pool, rows, minimum=minimum, holdback=holdback)
    assert plan.paid_minor + plan.held_back_minor + plan.carried_minor == pool
    for line in plan.lines:
        assert min(line.paid_minor, line.held_back_minor, line.carried_minor) >= 0
        assert line.paid_minor + line.held_back_minor + line.carried_minor == line.gross_minor
        assert line.paid_minor == 0 or line.paid_minor >= minimum
    assert all(posting.amount > 0 for posting in plan.postings)
    by_code = {code: 0 for code in TransferCode}
    for posting in plan.postings:
        by_code[posting.code] += posting.amount
    assert by_code[TransferCode.CREATOR_PAYOUT] == plan.paid_minor
    assert by_code[TransferCode.PAYOUT_HOLDBACK] == plan.held_back_minor
    assert len({posting.transfer_id for posting in plan.postings}) == len(plan.postings)


# --- Pool funding and holdback settlement -----------------------------------------------------


def test_the_pool_is_funded_by_ad_share_subscriptions_and_emission() -> None:
    rules = EconomyRules(creator_pool_ad_share=0.5, subscription_pool_minor=200, emission_minor=300)
    funding = pool_amount(rules, 1_001, period=PERIOD)
    assert (funding.ad_share_minor, funding.subscription_minor, funding.emission_minor) == (
        500,
        200,
        300,
    )
    assert funding.total_minor == 1_000
    assert [(p.transfer_id, p.debit_account_id, p.amount) for p in funding.postings] == [
        ("pool-ad-share:USD:2024-W18", "platform:revenue:USD", 500),
        ("pool-subscription:USD:2024-W18", "platform:emission:USD", 200),
        ("pool-emission:USD:2024-W18", "platform:emission:USD", 300),
    ]
    assert {p.credit_account_id for p in funding.postings} == {"pool:creators:USD"}


def test_a_source_of_zero_makes_no_transfer() -> None:
    funding = pool_amount(EconomyRules(), 1, period=PERIOD)
    assert funding.total_minor == 0
    assert funding.postings == ()


def test_held_back_pay_is_later_released_to_the_creator_or_returned_to_the_pool() -> None:
    release = settle_holdback("b", 100, release=True, currency="USD", period=PERIOD)
    back = settle_holdback("b", 100, release=False, currency="USD", period=PERIOD)
    assert (release.transfer_id, release.debit_account_id, release.credit_account_id) == (
        "holdback-release:USD:2024-W18:b",
        "escrow:holdback:USD",
        "creator:b:USD",
    )
    assert (back.code, back.credit_account_id) == (
        TransferCode.HOLDBACK_RETURN,
        "pool:creators:USD",
    )
