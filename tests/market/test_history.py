"""The demo world's market: asset rows, attention lifecycles and sales priced by attention."""

import itertools
from collections import Counter, defaultdict

import numpy as np
import pytest

from mindshare.core import MS_PER_DAY
from mindshare.market import (
    DEMO_START_MS,
    AssetRow,
    InvalidMarketData,
    Sale,
    demo_assets,
    generate_market_history,
    simulate_daily_attention,
)
from mindshare.sim import generate_demo_world

DAYS = 60


def assets(n: int = 40) -> list[AssetRow]:
    return [
        AssetRow(
            item_id=f"i{k:04d}",
            creator_id=f"c{k % 6:03d}",
            list_price_minor=100 + 50 * k,
            creator_followers=3 * (k % 6),
            topic=("racing", "pets", "art")[k % 3],
        )
        for k in range(n)
    ]


def steady_attention(rows: list[AssetRow], *, level: int = 60_000) -> dict[str, list[int]]:
    return {a.item_id: [level] * DAYS for a in rows}


def test_demo_assets_keeps_assets_with_their_price_topic_and_creator_followers() -> None:
    world = generate_demo_world(seed=1, people=40, creators=5, items=60, days=2)
    creator_of = {i["item_id"]: i["creator_id"] for i in world.items}
    follows = Counter(creator_of[e["item_id"]] for e in world.events if e["type"] == "follow")

    rows = demo_assets(world.items, world.events)

    expected = [i for i in world.items if i["kind"] == "asset"]
    assert [r.item_id for r in rows] == [i["item_id"] for i in expected]
    for row, item in zip(rows, expected, strict=True):
        assert row.list_price_minor == item["price_minor"]
        assert row.topic == item["tags"][0]
        assert row.creator_followers == follows[item["creator_id"]]


def test_simulated_attention_is_deterministic_whole_and_nothing_before_launch() -> None:
    rows = assets()

    first = simulate_daily_attention(rows, days=DAYS, seed=3)
    again = simulate_daily_attention(rows, days=DAYS, seed=3)
    other = simulate_daily_attention(rows, days=DAYS, seed=4)

    assert first == again != other
    assert set(first) == {a.item_id for a in rows}
    for series in first.values():
        assert len(series) == DAYS
        assert all(isinstance(v, int) and v >= 0 for v in series)
        launched = np.flatnonzero(np.array(series) > 0)
        if launched.size:  # once launched, an asset keeps some attention
            assert np.all(np.array(series[launched[0] :]) > 0)


def test_market_history_is_deterministic_in_time_order_and_within_its_days() -> None:
    rows = assets()
    attention = simulate_daily_attention(rows, days=DAYS, seed=0)

    sales = generate_market_history(rows, attention, days=DAYS, seed=0)

    assert sales == generate_market_history(rows, attention, days=DAYS, seed=0)
    assert sales != generate_market_history(rows, attention, days=DAYS, seed=1)
    assert len(sales) > 100
    assert [s.ts_ms for s in sales] == sorted(s.ts_ms for s in sales)
    for sale in sales:
        assert 0 <= sale.day < DAYS
        assert sale.ts_ms // MS_PER_DAY == DEMO_START_MS // MS_PER_DAY + sale.day
        assert isinstance(sale.price_minor, int)
        assert sale.price_minor >= 1


def test_the_creator_sells_first_and_each_buyer_is_the_next_seller() -> None:
    rows = assets()
    attention = simulate_daily_attention(rows, days=DAYS, seed=0)
    creator_of = {a.item_id: a.creator_id for a in rows}

    sales = generate_market_history(rows, attention, days=DAYS, seed=0)

    by_item: dict[str, list[Sale]] = defaultdict(list)
    for sale in sales:
        by_item[sale.item_id].append(sale)
    for item_id, trades in by_item.items():
        assert trades[0].seller_id == creator_of[item_id]
        for before, after in itertools.pairwise(trades):
            assert after.seller_id == before.buyer_id
        assert all(t.buyer_id != t.seller_id for t in trades)


def test_more_attention_means_higher_prices_and_more_trades() -> None:
    rows = assets(60)
    attention = steady_attention(rows)
    hot = {a.item_id for a in rows[::2]}
    for item_id in hot:
        attention[item_id] = [8 * v for v in attention[item_id]]

    sales = generate_market_history(rows, attention, days=DAYS, seed=0)

    list_price = {a.item_id: a.list_price_minor for a in rows}
    premium = {
        side: [
            np.log(s.price_minor / list_price[s.item_id])
            for s in sales
            if (s.item_id in hot) == side
        ]
        for side in (True, False)
    }
    assert len(premium[True]) > 1.5 * len(premium[False])
    assert np.median(premium[True]) > np.median(premium[False]) + 0.3


def test_prices_follow_attention_after_the_lag() -> None:
    rows = assets(60)
    attention = steady_attention(rows)
    for a in rows:  # every asset's attention triples on day 30
        attention[a.item_id] = [
            v * (3 if d >= 30 else 1) for d, v in enumerate(attention[a.item_id])
        ]
    list_price = {a.item_id: a.list_price_minor for a in rows}

    sales = generate_market_history(rows, attention, days=DAYS, seed=0, lag_days=3)

    def median_premium(first: int, last: int) -> float:
        return float(
            np.median(
                [
                    np.log(s.price_minor / list_price[s.item_id])
                    for s in sales
                    if first <= s.day <= last
                ]
            )
        )

    # Days 30-33 still price on the old attention; from day 34 the rise shows through.
    assert median_premium(34, 40) > median_premium(30, 33) + 0.3
    assert abs(median_premium(30, 33) - median_premium(20, 29)) < 0.1


@pytest.mark.parametrize(
    ("rows", "attention", "days", "rule"),
    [
        (assets(2) + assets(1), {}, DAYS, "appears twice"),
        ([AssetRow("i1", "c1", 0, 0)], {}, DAYS, "list_price_minor is 0"),
        (assets(1), {"i0000": [5, -1]}, DAYS, "negative"),
        (assets(1), {}, 0, "needs at least 1 day"),
    ],
)
def test_bad_market_data_is_refused_naming_the_rule(
    rows: list[AssetRow], attention: dict[str, list[int]], days: int, rule: str
) -> None:
    with pytest.raises(InvalidMarketData, match=rule):
        generate_market_history(rows, attention, days=days, seed=0)
