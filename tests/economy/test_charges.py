"""Ad charges: auction price × verified attention, summed per campaign, within budget."""

import pytest

from mindshare.core import InputError
from mindshare.economy import (
    AdImpression,
    ChargeLine,
    ChargePlan,
    TransferCode,
    charge_caps,
    fund_advertiser,
    settle_ad_charges,
)


def charges(impressions: list[AdImpression], budgets: dict[str, int]) -> ChargePlan:
    return settle_ad_charges(impressions, budgets, currency="USD", period="2024-05-01")


def test_each_campaign_pays_its_price_for_verified_attention() -> None:
    # c1: 0.29 × 100 s = 29, plus 0.5 × 9.999 s = 4.9995 → 4; c2: 2.0 × 60 s = 120.
    plan = charges(
        [
            AdImpression("c1", "acme", "ann", "ad1", 0.29, 100_000),
            AdImpression("c2", "zeta", "ann", "ad2", 2.0, 60_000),
            AdImpression("c1", "acme", "bob", "ad1", 0.5, 9_999),
        ],
        {"c1": 1_000, "c2": 1_000},
    )
    assert plan.lines == (
        ChargeLine("c1", "acme", 2, 109_999, 33, 33),
        ChargeLine("c2", "zeta", 1, 60_000, 120, 120),
    )
    assert [
        (p.transfer_id, p.debit_account_id, p.credit_account_id, p.amount) for p in plan.postings
    ] == [
        ("charge:USD:2024-05-01:c1", "advertiser:acme:USD", "platform:revenue:USD", 33),
        ("charge:USD:2024-05-01:c2", "advertiser:zeta:USD", "platform:revenue:USD", 120),
    ]
    assert {p.code for p in plan.postings} == {TransferCode.AD_CHARGE}
    assert plan.ad_revenue_minor == 153


def test_a_charge_is_capped_at_the_campaigns_remaining_budget() -> None:
    plan = charges([AdImpression("c1", "acme", "ann", "ad1", 1.0, 50_000)], {"c1": 20})
    (line,) = plan.lines
    assert (line.owed_minor, line.charged_minor) == (50, 20)
    assert line.note == "capped at the remaining budget: 30 not charged"
    assert plan.ad_revenue_minor == 20


def test_attention_that_was_not_verified_is_not_charged() -> None:
    plan = charges([AdImpression("c1", "acme", "ann", "ad1", 3.0, 0)], {"c1": 1_000})
    assert plan.lines == (ChargeLine("c1", "acme", 1, 0, 0, 0),)
    assert plan.postings == ()
    assert plan.ad_revenue_minor == 0


def test_the_statement_has_one_row_per_campaign() -> None:
    plan = charges([AdImpression("c1", "acme", "ann", "ad1", 1.0, 50_000)], {"c1": 20})
    assert plan.statement_rows() == [
        {
            "campaign_id": "c1",
            "advertiser_id": "acme",
            "impressions": 1,
            "verified_ms": 50_000,
            "owed_minor": 50,
            "charged_minor": 20,
            "note": "capped at the remaining budget: 30 not charged",
        }
    ]


@pytest.mark.parametrize(
    ("impressions", "budgets", "message"),
    [
        (
            [AdImpression("c1", "acme", "ann", "ad1", 1.0, 1)],
            {},
            "campaign 'c1' has impressions but no remaining budget",
        ),
        (
            [
                AdImpression("c1", "acme", "ann", "ad1", 1.0, 1),
                AdImpression("c1", "other", "ann", "ad1", 1.0, 1),
            ],
            {"c1": 10},
            "campaign 'c1' has impressions of several advertisers",
        ),
        ([AdImpression("c1", "acme", "ann", "ad1", 1.0, 1)], {"c1": -1}, "remaining budget is -1"),
        (
            [AdImpression("c1", "acme", "ann", "ad1", -1.0, 1)],
            {"c1": 10},
            "price_per_second is -1.0",
        ),
        ([AdImpression("c1", "acme", "ann", "ad1", 1.0, -1)], {"c1": 10}, "attentive_ms is -1"),
    ],
)
def test_bad_input_is_refused(
    impressions: list[AdImpression], budgets: dict[str, int], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        charges(impressions, budgets)


def test_an_advertiser_deposit_is_made_once_per_reference() -> None:
    deposit = fund_advertiser("acme", 5_000, currency="USD", reference="pay-123")
    assert (deposit.transfer_id, deposit.debit_account_id, deposit.credit_account_id) == (
        "funding:USD:pay-123:acme",
        "platform:funding:USD",
        "advertiser:acme:USD",
    )
    assert deposit == fund_advertiser("acme", 5_000, currency="USD", reference="pay-123")


def test_a_campaign_may_be_charged_its_daily_budget_times_the_days() -> None:
    caps = charge_caps(
        {"c1": ("acme", 100)}, ["c1", "c1"], days=3, available_minor={"acme": 10_000}
    )
    assert caps == {"c1": 300}


def test_an_advertisers_funds_cap_their_campaigns_in_id_order() -> None:
    caps = charge_caps(
        {"a": ("acme", 100), "b": ("acme", 100), "z": ("zeta", 50)},
        ["b", "a", "z"],
        days=2,
        available_minor={"acme": 250},
    )
    # acme's 250 covers a's 200 first, then 50 of b's 200; zeta has no account: nothing.
    assert caps == {"a": 200, "b": 50, "z": 0}
