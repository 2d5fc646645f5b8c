"""Campaigns, targeting, conversion of bids to a per-second bid, charges in minor units."""

from typing import Any

import numpy as np
import pytest

from mindshare.ads import (
    Campaign,
    Creative,
    PacingState,
    Targeting,
    auction_bids,
    charge_minor,
    charge_within_budget,
    effective_bid_per_second,
    matches_targeting,
    person_segments,
    run_auction,
)
from mindshare.core import InputError


def campaign(campaign_id: str = "c1", **overrides: Any) -> Campaign:
    fields: dict[str, Any] = {
        "advertiser_id": "acme",
        "budget_minor": 10_000,
        "bid_per_second": 0.5,
    }
    fields.update(overrides)
    return Campaign(campaign_id, **fields)


# --- Campaign ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"bid_per_second": None}, r"campaign 'c1': give bid_per_second, bid_per_click or both"),
        ({"budget_minor": -1}, r"campaign 'c1': budget_minor is -1; it must be ≥ 0"),
        ({"budget_minor": 10.5}, r"campaign 'c1': budget_minor is 10\.5; it must be an integer"),
        ({"budget_minor": True}, r"budget_minor is True"),
        ({"bid_per_second": -0.1}, r"campaign 'c1': bid_per_second is -0\.1; it must be finite"),
        ({"bid_per_click": float("nan")}, r"campaign 'c1': bid_per_click is nan"),
        ({"bid_per_click": float("inf")}, r"campaign 'c1': bid_per_click is inf"),
    ],
)
def test_a_campaign_with_bad_terms_is_refused_naming_the_field(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        campaign(**overrides)


def test_a_campaign_may_bid_per_click_only() -> None:
    per_click = campaign(bid_per_second=None, bid_per_click=20.0)

    assert per_click.bid_per_second is None
    assert per_click.bid_per_click == 20.0


# --- Targeting ---------------------------------------------------------------------------


def test_person_segments_turn_attributes_into_strings() -> None:
    attributes = {
        "country": "DE",
        "age_band": 3,
        "premium": True,
        "churned": False,
        "guild": None,
        "likes": ["racing", "puzzles"],
    }

    assert person_segments(attributes) == {
        "country=DE",
        "age_band=3",
        "premium",
        "likes=racing",
        "likes=puzzles",
    }


def test_default_targeting_reaches_everyone() -> None:
    assert matches_targeting(campaign(), {})
    assert matches_targeting(campaign(), ["anything"])


@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        ({"country=DE", "premium"}, True),
        ({"country=AT", "premium", "likes=racing"}, True),
        ({"country=DE"}, False),  # misses require_all
        ({"premium", "likes=racing"}, False),  # none of require_any
        ({"country=DE", "premium", "minor"}, False),  # excluded
    ],
)
def test_targeting_requires_all_any_and_none_of(segments: set[str], expected: bool) -> None:
    targeted = campaign(
        targeting=Targeting(
            require_all=frozenset({"premium"}),
            require_any=frozenset({"country=DE", "country=AT"}),
            exclude=frozenset({"minor"}),
        )
    )

    assert matches_targeting(targeted, segments) is expected


def test_targeting_reads_a_mapping_as_attributes() -> None:
    targeted = campaign(targeting=Targeting(require_any=frozenset({"likes=racing"})))

    assert matches_targeting(targeted, {"likes": ["puzzles", "racing"]})
    assert not matches_targeting(targeted, {"likes": ["puzzles"]})


# --- Effective bids ----------------------------------------------------------------------


def test_a_per_second_bid_is_its_own_effective_bid() -> None:
    bid = effective_bid_per_second(campaign(), predicted_seconds=8.0, predicted_clicks=0.04)

    assert bid == 0.5


def test_a_per_click_bid_converts_through_clicks_per_attentive_second() -> None:
    # 0.04 clicks in 8 s is 0.005 clicks a second; at 50 a click, 0.25 a second. Paying
    # 0.25 a second for the 8 predicted seconds costs 2, the 50 × 0.04 the clicks are worth.
    per_click = campaign(bid_per_second=None, bid_per_click=50.0)

    bid = effective_bid_per_second(per_click, predicted_seconds=8.0, predicted_clicks=0.04)

    assert bid == pytest.approx(0.25)
    assert bid * 8.0 == pytest.approx(50.0 * 0.04)


def test_a_campaign_with_both_bids_values_a_second_at_their_sum() -> None:
    both = campaign(bid_per_second=0.2, bid_per_click=50.0)

    assert effective_bid_per_second(
        both, predicted_seconds=8.0, predicted_clicks=0.04
    ) == pytest.approx(0.45)


def test_a_per_click_bid_is_worth_nothing_without_predicted_attention() -> None:
    per_click = campaign(bid_per_second=None, bid_per_click=50.0)

    assert effective_bid_per_second(per_click, predicted_seconds=0.0, predicted_clicks=0.1) == 0.0


# --- Auction bids for one person ---------------------------------------------------------

CAMPAIGNS = [
    campaign(
        "racing", bid_per_second=0.8, targeting=Targeting(require_any=frozenset({"likes=racing"}))
    ),
    campaign(
        "puzzles", bid_per_second=0.9, targeting=Targeting(require_any=frozenset({"likes=puzzles"}))
    ),
    campaign("clicks", bid_per_second=None, bid_per_click=40.0),
    campaign("paced", bid_per_second=1.0),
    campaign("spent", bid_per_second=2.0),
    campaign("broke", bid_per_second=2.0, budget_minor=0),
]
CREATIVES = [
    Creative("ad-racing", "racing"),
    Creative("ad-puzzles", "puzzles"),
    Creative("ad-clicks", "clicks"),
    Creative("ad-paced", "paced"),
    Creative("ad-spent", "spent"),
    Creative("ad-broke", "broke"),
]
PACING = {
    "paced": PacingState(budget_minor=10_000, multiplier=0.5),
    "spent": PacingState(budget_minor=10_000, spent_minor=10_000),
}


def test_auction_bids_apply_targeting_conversion_pacing_and_budgets() -> None:
    # racing: targets the person, 0.8. puzzles: does not, 0. clicks: 40 × 0.1 / 5 = 0.8.
    # paced: 1.0 × 0.5. spent: budget gone, 0. broke: budget 0, 0.
    bids = auction_bids(
        CAMPAIGNS,
        CREATIVES,
        predicted_seconds=[4.0, 4.0, 5.0, 2.0, 3.0, 3.0],
        predicted_clicks=[0.0, 0.0, 0.1, 0.0, 0.0, 0.0],
        person_attributes={"likes": ["racing"]},
        pacing=PACING,
    )

    assert bids.creative_ids == tuple(c.creative_id for c in CREATIVES)
    assert bids.bids == pytest.approx([0.8, 0.0, 0.8, 0.5, 0.0, 0.0])
    assert bids.qualities.tolist() == [4.0, 4.0, 5.0, 2.0, 3.0, 3.0]


def test_auction_bids_feed_an_auction_and_its_charge_stays_in_budget() -> None:
    bids = auction_bids(
        CAMPAIGNS,
        CREATIVES,
        predicted_seconds=[4.0, 4.0, 5.0, 2.0, 3.0, 3.0],
        predicted_clicks=[0.0, 0.0, 0.1, 0.0, 0.0, 0.0],
        person_attributes=["likes=racing"],
        pacing=PACING,
    )

    # Scores: racing 3.2, clicks 4.0, paced 1.0. One slot: "clicks" wins and pays
    # 3.2 / 5 = 0.64 a second; 6.5 s measured cost floor(4.16) = 4 minor units.
    result = run_auction(bids.bids, bids.qualities, [1.0])
    winner = int(result.winners[0])
    charge = charge_minor(float(result.prices[0]), 6_500)

    assert bids.creative_ids[winner] == "ad-clicks"
    assert result.prices[0] == pytest.approx(0.64)
    assert charge == 4
    assert charge_within_budget(PacingState(budget_minor=3), charge) == 3


def test_auction_bids_refuse_a_creative_of_an_unknown_campaign() -> None:
    with pytest.raises(InputError, match=r"creatives\[1\] \('ad-x'\) names campaign 'nope'"):
        auction_bids(
            CAMPAIGNS,
            [CREATIVES[0], Creative("ad-x", "nope")],
            predicted_seconds=[1.0, 1.0],
            predicted_clicks=[0.0, 0.0],
            person_attributes={},
        )


def test_auction_bids_refuse_a_campaign_given_twice() -> None:
    with pytest.raises(InputError, match=r"campaign_id 'racing' appears twice"):
        auction_bids(
            [CAMPAIGNS[0], CAMPAIGNS[0]],
            [CREATIVES[0]],
            predicted_seconds=[1.0],
            predicted_clicks=[0.0],
            person_attributes={},
        )


@pytest.mark.parametrize(
    ("seconds", "clicks", "message"),
    [
        (
            [1.0],
            [0.0, 0.0],
            r"predicted_seconds has shape \(1,\); give one value per creative \(2\)",
        ),
        ([1.0, -2.0], [0.0, 0.0], r"predicted_seconds\[1\] is -2\.0"),
        ([1.0, 1.0], [0.0, float("nan")], r"predicted_clicks\[1\] is nan"),
    ],
)
def test_auction_bids_refuse_bad_predictions_naming_the_field(
    seconds: list[float], clicks: list[float], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        auction_bids(
            CAMPAIGNS,
            CREATIVES[:2],
            predicted_seconds=seconds,
            predicted_clicks=clicks,
            person_attributes={},
        )


def test_auction_bids_are_read_only() -> None:
    bids = auction_bids(
        CAMPAIGNS[:1],
        CREATIVES[:1],
        predicted_seconds=[1.0],
        predicted_clicks=[0.0],
        person_attributes={},
    )

    with pytest.raises(ValueError, match="read-only"):
        bids.bids[0] = np.float64(9.0)


# --- Charges in minor units --------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "attentive_ms", "expected"),
    [
        (0.29, 100_000, 29),  # binary 0.29 × 100 is 28.999…; the decimal product is 29
        (0.45, 9_999, 4),  # 4.49955, rounded down
        (0.64, 6_500, 4),  # 4.16
        (2.0, 0, 0),
        (0.0, 50_000, 0),
        (1.5, 1_000, 1),  # 1.5: rounded down, never half-up
    ],
)
def test_charges_round_down_to_whole_minor_units(
    price: float, attentive_ms: int, expected: int
) -> None:
    assert charge_minor(price, attentive_ms) == expected


@pytest.mark.parametrize(
    ("price", "attentive_ms", "message"),
    [
        (-1.0, 1_000, r"price_per_second is -1\.0"),
        (float("nan"), 1_000, r"price_per_second is nan"),
        (1.0, -5, r"attentive_ms is -5"),
        (1.0, 2.5, r"attentive_ms is 2\.5; it must be an integer"),
    ],
)
def test_bad_charge_input_is_refused_naming_the_field(
    price: float, attentive_ms: int, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        charge_minor(price, attentive_ms)
