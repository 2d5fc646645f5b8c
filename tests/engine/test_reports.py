"""engine's dashboard reports: worlds built through the engine, numbers computed by hand."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from mindshare import engine
from mindshare.ads import Campaign, save_campaign
from mindshare.core import NotFound, to_epoch_ms
from mindshare.datasets import Interactions
from mindshare.events import RecordKind, create_world
from mindshare.ledger import Ledger, Transfer
from mindshare.models import ModelRegistry, create_model
from mindshare.store import exposures

W = "w"
START = datetime(2026, 3, 1, tzinfo=UTC)
DAY_MS = 86_400_000
HOUR = 3_600_000


def at(days: float = 0, minutes: float = 0) -> datetime:
    return START + timedelta(days=days, minutes=minutes)


def view(event_id: str, user: str, item: str, when: datetime, seconds: int) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "view",
        "user_id": user,
        "ts": when.isoformat(),
        "item_id": item,
        "dwell_ms": seconds * 1000,
        "visible_fraction": 1.0,
    }


def new_world(database: sa.Engine, config: dict[str, Any] | None = None) -> None:
    with database.begin() as connection:
        create_world(connection, W, config=config, now_ms=0)


def json_round_trip(report: Any) -> dict[str, Any]:
    """The report's dict survives strict JSON (no NaN, no dates left as objects)."""
    as_dict: dict[str, Any] = report.to_dict()
    return json.loads(json.dumps(as_dict, allow_nan=False))  # type: ignore[no-any-return]


# --- overview ---------------------------------------------------------------------------


def build_overview_world(database: sa.Engine) -> None:
    """Day 1: u1 looks at i1 for 60 s and j1 for 30 s, u2 at i1 for 120 s; nobody on day 2;
    day 3: u3 at j1 for 240 s. i1 is c1's, j1 is c2's; i2 is never seen."""
    new_world(database)
    engine.ingest_world(
        database,
        W,
        {
            RecordKind.CREATORS: [{"creator_id": "c1"}, {"creator_id": "c2"}],
            RecordKind.ITEMS: [
                {"item_id": "i1", "kind": "content", "creator_id": "c1"},
                {"item_id": "i2", "kind": "content", "creator_id": "c1"},
                {"item_id": "j1", "kind": "content", "creator_id": "c2"},
            ],
            RecordKind.EVENTS: [
                view("e1", "u1", "i1", at(0, 600), 60),
                view("e2", "u1", "j1", at(0, 605), 30),
                view("e3", "u2", "i1", at(0, 700), 120),
                view("e4", "u3", "j1", at(2, 60), 240),
                # Half out of view: not viewable, so neither attention nor activity.
                {**view("e5", "u4", "i2", at(1, 60), 90), "visible_fraction": 0.2},
            ],
        },
    )


def test_overview_counts_attentive_minutes_and_active_people_per_day(
    database: sa.Engine,
) -> None:
    build_overview_world(database)

    report = engine.overview_report(database, W)

    assert report.days == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
    assert report.attentive_minutes == [3.5, 0.0, 4.0]
    assert report.active_people == [2, 0, 1]
    assert (report.people, report.creators, report.items, report.events) == (4, 2, 3, 5)


def test_overview_ranks_items_and_creators_by_attentive_time(database: sa.Engine) -> None:
    build_overview_world(database)

    report = engine.overview_report(database, W)
    top_one = engine.overview_report(database, W, top=1)

    assert report.top_items == ["j1", "i1"]
    assert report.top_item_creators == ["c2", "c1"]
    assert report.top_item_minutes == [4.5, 3.0]
    assert report.top_creators == ["c2", "c1"]
    assert report.top_creator_minutes == [4.5, 3.0]
    assert (top_one.top_items, top_one.top_creators) == (["j1"], ["c2"])
    assert json_round_trip(report)["days"] == ["2026-03-01", "2026-03-02", "2026-03-03"]


# --- fairness ---------------------------------------------------------------------------

NOW = START + timedelta(days=60, hours=12)
NOW_MS = to_epoch_ms(NOW)


def build_feed_world(database: sa.Engine) -> None:
    """Old creators c1 (item a) and c2 (item b), new creator c3 (item n), advertiser adv.

    Verified attention ranks a (300 s) over b (200 s) over n (100 s); v1 has seen a and b,
    v2 has seen n; p1, p2 and p3 have seen nothing.
    """
    new_world(database)
    engine.ingest_world(
        database,
        W,
        {
            RecordKind.CREATORS: [
                {"creator_id": "c1"},
                {"creator_id": "c2"},
                {"creator_id": "adv"},
            ],
            RecordKind.PEOPLE: [{"user_id": u} for u in ("p1", "p2", "p3")],
            RecordKind.ITEMS: [
                {"item_id": "a", "kind": "content", "creator_id": "c1"},
                {"item_id": "b", "kind": "content", "creator_id": "c2"},
                {"item_id": "ad1", "kind": "ad", "creator_id": "adv"},
            ],
            RecordKind.EVENTS: [
                view("va", "v1", "a", at(0, 10), 300),
                view("vb", "v1", "b", at(0, 20), 200),
            ],
        },
        now=at(1),
    )
    engine.ingest_world(
        database,
        W,
        {
            RecordKind.CREATORS: [{"creator_id": "c3"}],
            RecordKind.ITEMS: [{"item_id": "n", "kind": "content", "creator_id": "c3"}],
            RecordKind.EVENTS: [view("vn", "v2", "n", at(1, 10), 100)],
        },
        now=NOW - timedelta(days=1),
    )


def test_fairness_measures_exposure_served_by_feeds(database: sa.Engine) -> None:
    build_feed_world(database)
    # One slot each (exposure 1): p1, p2 and v2 get a (c1), v1 gets n (c3); next day p3 gets a.
    first = engine.serve_feeds(database, W, ["p1", "p2", "v2", "v1"], 1, now_ms=NOW_MS)
    second = engine.serve_feeds(database, W, ["p3"], 1, now_ms=NOW_MS + DAY_MS)
    assert [feed.slots[0].item_id for feed in [*first, *second]] == ["a", "a", "a", "n", "a"]

    report = engine.fairness_report(database, W)

    # Exposure 4, 1, 0 (c2 never shown; adv only has an ad): Gini of [0, 1, 4] is 8/15.
    assert report.creators == ["c1", "c3", "c2"]
    assert report.creator_exposure == [4.0, 1.0, 0.0]
    assert report.gini == pytest.approx(8 / 15)
    assert report.lorenz_population == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert report.lorenz_share == pytest.approx([0, 0, 0.2, 1])
    assert report.new_creator_share == pytest.approx(0.2)
    assert report.new_creator_days == 30
    # Day 1: exposure 3, 0, 1 → Gini of [0, 1, 3] is 1/2; c3's share 1/4.
    # Day 2: only c1 shown → Gini of [0, 0, 1] is 2/3; no new creator shown.
    assert report.days == [NOW.date(), NOW.date() + timedelta(days=1)]
    assert report.daily_feeds == [4, 1]
    assert report.daily_exposure == [4.0, 1.0]
    assert report.daily_gini == pytest.approx([0.5, 2 / 3])
    assert report.daily_new_creator_share == pytest.approx([0.25, 0.0])


def test_a_creator_is_new_as_the_feeds_define_it(database: sa.Engine) -> None:
    build_feed_world(database)
    engine.serve_feeds(database, W, ["v1"], 1, now_ms=NOW_MS)

    default = engine.fairness_report(database, W)
    none_new = engine.fairness_report(database, W, new_creator_days=0)
    with database.begin() as connection:
        connection.execute(
            sa.text("UPDATE worlds SET config = :config WHERE world_id = :world"),
            {"config": json.dumps({"feeds": {"new_creator_days": 0}}), "world": W},
        )
    from_config = engine.fairness_report(database, W)

    assert default.new_creator_share == 1.0
    assert none_new.new_creator_share == 0.0
    assert (from_config.new_creator_days, from_config.new_creator_share) == (0, 0.0)


def test_ad_slots_are_not_creator_exposure(database: sa.Engine) -> None:
    build_feed_world(database)
    engine.serve_feeds(database, W, ["p1"], 1, now_ms=NOW_MS)
    with database.begin() as connection:
        connection.execute(
            exposures.insert().values(
                world_id=W,
                feed_id="f-ad",
                user_id="p2",
                slot=1,
                item_id="ad1",
                creator_id="adv",
                kind="ad",
                policy="greedy",
                served_ms=NOW_MS,
                exposure=1.0,
                score=1.0,
                campaign_id="camp",
                price_per_second=1.0,
            )
        )

    report = engine.fairness_report(database, W)

    assert dict(zip(report.creators, report.creator_exposure, strict=True)) == {
        "c1": 1.0,
        "c2": 0.0,
        "c3": 0.0,
    }
    assert report.gini == pytest.approx(2 / 3)


# --- economy ----------------------------------------------------------------------------

ECONOMY = {
    "economy": {
        "currency": "USD",
        "creator_pool_ad_share": 0.5,
        "reward_ad_share": 0.0,
        "emission_minor": 970,
        "minimum_payout_minor": 50,
    }
}
PERIOD = "2026-03-01..2026-03-02"


def build_economy_world(database: sa.Engine) -> Ledger:
    """c1 earns 300 s and c2 100 s of attention; u1 watched acme's ad for 30 s at 2 per
    second; acme prepaid 1,000 and u1 deposited 5,000."""
    new_world(database, ECONOMY)
    engine.ingest_world(
        database,
        W,
        {
            RecordKind.CREATORS: [{"creator_id": c} for c in ("c1", "c2", "acme")],
            RecordKind.ITEMS: [
                {"item_id": "i1", "kind": "content", "creator_id": "c1"},
                {"item_id": "i2", "kind": "content", "creator_id": "c2"},
                {"item_id": "ad1", "kind": "ad", "creator_id": "acme"},
            ],
            RecordKind.EVENTS: [
                view("e1", "u1", "i1", at(0, 60), 300),
                view("e2", "u2", "i2", at(1, 60), 100),
                view("e3", "u1", "ad1", at(0, 120), 30),
            ],
        },
        now=at(3),
    )
    with database.begin() as connection:
        save_campaign(
            connection,
            W,
            Campaign("camp", "acme", budget_minor=10_000, bid_per_second=3.0),
            currency="USD",
            creative_ids=["ad1"],
            now_ms=to_epoch_ms(START),
        )
        # The ad slot u1 was served, at the auction's price of 2 per attentive second.
        connection.execute(
            exposures.insert().values(
                world_id=W,
                feed_id="f1",
                user_id="u1",
                slot=1,
                item_id="ad1",
                creator_id="acme",
                kind="ad",
                policy="greedy",
                served_ms=to_epoch_ms(at(0, 119)),
                exposure=1.0,
                score=1.0,
                campaign_id="camp",
                price_per_second=2.0,
            )
        )
    ledger = Ledger(database, W)
    engine.fund_advertiser_account(database, W, "acme", 1_000, reference="p1", currency="USD")
    engine.deposit(database, W, user_id="u1", amount_minor=5_000, reference="start")
    return ledger


def test_flows_count_posted_money_once_between_account_kinds(database: sa.Engine) -> None:
    ledger = build_economy_world(database)
    engine.settle_period(database, W, PERIOD, now_ms=to_epoch_ms(at(3)))
    person, creator = "person:u1:USD", "creator:c1:USD"
    ledger.create_transfers(
        [
            Transfer("gift", person, creator, 200, "USD"),
            Transfer("hold-posted", person, creator, 300, "USD", pending=True),
            Transfer("hold-open", person, creator, 700, "USD", pending=True),
            Transfer("hold-voided", person, creator, 400, "USD", pending=True),
        ]
    ).raise_first_error()
    ledger.post_pending("hold-posted")
    ledger.void_pending("hold-voided")

    report = engine.economy_report(database, W)

    flows = report.flows
    assert set(flows.currency) == {"USD"}
    assert {
        (f, t): (amount, n)
        for f, t, amount, n in zip(
            flows.from_kind, flows.to_kind, flows.amount_minor, flows.transfers, strict=True
        )
    } == {
        ("platform", "advertiser"): (1_000, 1),  # acme's prepayment
        ("platform", "person"): (5_000, 1),  # u1's deposit
        ("advertiser", "platform"): (60, 1),  # 30 s at 2 per second
        ("platform", "pool"): (1_000, 2),  # half the ad revenue (30) and the emission (970)
        ("pool", "creator"): (1_000, 2),  # 750 to c1, 250 to c2
        ("person", "creator"): (500, 2),  # the gift and the posted hold; open and void: none
    }


def test_economy_reports_payouts_balances_and_ad_spend(database: sa.Engine) -> None:
    ledger = build_economy_world(database)
    engine.settle_period(database, W, PERIOD, now_ms=to_epoch_ms(at(3)))
    ledger.create_transfers(
        [Transfer("hold-open", "person:u1:USD", "creator:c1:USD", 700, "USD", pending=True)]
    ).raise_first_error()

    report = engine.economy_report(database, W)

    payouts = report.payouts
    assert payouts.period == [PERIOD]
    assert (payouts.first_day, payouts.last_day) == ([date(2026, 3, 1)], [date(2026, 3, 2)])
    assert payouts.currency == ["USD"]
    assert payouts.charged_minor == [60]
    assert payouts.paid_to_creators_minor == [1_000]
    assert (payouts.rewarded_minor, payouts.held_back_minor) == ([0], [0])
    assert payouts.settled_at == [at(3)]
    balances = dict(zip(report.balances.kind, report.balances.balance_minor, strict=True))
    # Posted only: u1's open hold of 700 is still u1's.
    assert balances == {
        "advertiser": 940,
        "creator": 1_000,
        "person": 5_000,
        "platform": -6_940,
        "pool": 0,
    }
    assert dict(zip(report.balances.kind, report.balances.accounts, strict=True))["creator"] == 2
    spend = report.ad_spend
    assert spend.campaign_id == ["camp"]
    assert (spend.advertiser_id, spend.currency, spend.active) == (["acme"], ["USD"], [True])
    assert spend.daily_budget_minor == [10_000]
    assert (spend.spend_day, spend.spent_on_spend_day_minor) == ([None], [0])
    assert spend.charged_minor == [60]
    as_json = json_round_trip(report)
    assert as_json["payouts"]["settled_at"] == ["2026-03-04T00:00:00Z"]


def test_a_planned_period_pays_nothing_yet(database: sa.Engine) -> None:
    build_economy_world(database)
    engine.settle_period(database, W, PERIOD, now_ms=to_epoch_ms(at(3)))
    with database.begin() as connection:
        connection.execute(sa.text("UPDATE settlements SET status = 'planned'"))

    report = engine.economy_report(database, W)

    assert report.payouts.period == []
    assert report.ad_spend.charged_minor == [0]


# --- market -----------------------------------------------------------------------------

T0 = to_epoch_ms(START)


def build_market(database: sa.Engine, *, tags: list[str] | None = None) -> None:
    """c1's assets a1 (list price 500) and a2 (list price 1,000); u1, u2, u3 with 5,000."""
    new_world(database)
    engine.ingest_world(
        database,
        W,
        {
            RecordKind.CREATORS: [{"creator_id": "c1"}],
            RecordKind.ITEMS: [
                {
                    "item_id": item_id,
                    "kind": "asset",
                    "creator_id": "c1",
                    "price_minor": price,
                    "currency": "USD",
                    "tags": tags or [],
                }
                for item_id, price in (("a1", 500), ("a2", 1_000))
            ],
        },
    )
    for user in ("u1", "u2", "u3"):
        engine.deposit(database, W, user_id=user, amount_minor=5_000, reference="start")


def sell(
    database: sa.Engine, item: str, price: int, buyer: str, now_ms: int, seller: str = "c1"
) -> None:
    listing = engine.list_item(
        database, W, seller_id=seller, item_id=item, kind="fixed", price_minor=price, now_ms=now_ms
    )
    engine.buy(database, W, buyer_id=buyer, listing_id=listing.listing.listing_id, now_ms=now_ms)


def test_market_lists_trades_and_suggests_prices_from_sales(database: sa.Engine) -> None:
    build_market(database, tags=["hats"])
    # Every sale fetches twice its anchor: the list price, or the asset's last sale price.
    sell(database, "a1", 1_000, "u1", T0)
    sell(database, "a2", 2_000, "u2", T0 + DAY_MS)
    sell(database, "a1", 2_000, "u3", T0 + DAY_MS + HOUR, seller="u1")
    listed = engine.list_item(
        database,
        W,
        seller_id="u3",
        item_id="a1",
        kind="fixed",
        price_minor=3_000,
        now_ms=T0 + DAY_MS + 2 * HOUR,
    )

    report = engine.market_report(database, W, now_ms=T0 + 2 * DAY_MS)

    assert report.listings.listing_id == [listed.listing.listing_id]
    assert (report.listings.item_id, report.listings.seller_id) == (["a1"], ["u3"])
    assert report.listings.asking_minor == [3_000]
    # Too few sales for a tree to split: the model learns their mean price ratio (2), and
    # anchors a1 at its last sale price, 2,000.
    assert report.listings.suggested_minor == [4_000]
    assert report.trades.item_id == ["a1", "a2", "a1"]
    assert report.trades.price_minor == [1_000, 2_000, 2_000]
    assert report.trades.seller_id == ["c1", "c1", "u1"]
    assert report.trades.buyer_id == ["u1", "u2", "u3"]
    assert report.trades.settled_at == [
        START,
        START + timedelta(days=1),
        START + timedelta(days=1, hours=1),
    ]
    assert report.sales == 3
    assert report.notes == []
    assert json_round_trip(report)["listings"]["suggested_minor"] == [4_000]


def test_too_few_sales_give_no_suggested_price_and_say_so(database: sa.Engine) -> None:
    build_market(database, tags=["hats"])
    sell(database, "a1", 1_000, "u1", T0)
    engine.list_item(
        database, W, seller_id="u1", item_id="a1", kind="fixed", price_minor=1_500, now_ms=T0 + HOUR
    )

    report = engine.market_report(database, W, now_ms=T0 + DAY_MS, trades=5)

    assert report.listings.suggested_minor == [None]
    assert len(report.notes) == 1
    assert "too few" in report.notes[0]


def test_sales_that_never_show_a_feature_give_no_suggested_price(database: sa.Engine) -> None:
    build_market(database)  # no tags: no sale has a topic
    sell(database, "a1", 1_000, "u1", T0)
    sell(database, "a2", 2_000, "u2", T0 + DAY_MS)
    engine.list_item(
        database, W, seller_id="u1", item_id="a1", kind="fixed", price_minor=1_500, now_ms=T0 + HOUR
    )

    report = engine.market_report(database, W, now_ms=T0 + 2 * DAY_MS)

    assert report.listings.suggested_minor == [None]
    assert len(report.notes) == 1
    assert "topic_comparable_log_price" in report.notes[0]


def test_market_report_keeps_the_most_recent_trades(database: sa.Engine) -> None:
    build_market(database)
    sell(database, "a1", 1_000, "u1", T0)
    sell(database, "a2", 2_000, "u2", T0 + DAY_MS)

    report = engine.market_report(database, W, now_ms=T0 + 2 * DAY_MS, trades=1)

    assert report.trades.item_id == ["a2"]
    assert report.sales == 2
    assert report.listings.listing_id == []


# --- models -----------------------------------------------------------------------------


def fitted_pop(dataset: str = W) -> Any:
    data = Interactions.from_arrays(
        name=dataset, users=["u1", "u1", "u2"], items=["a", "b", "a"], ts=[1, 2, 3]
    )
    return create_model("pop").fit(data)


def test_models_report_lists_versions_metrics_and_the_active_one(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    registry.register(fitted_pop(), metrics={"valid_ndcg@10": 0.5}, train_s=1.25)
    registry.register(
        fitted_pop(), metrics={"valid_ndcg@10": 0.25, "valid_recall@10": 0.75}, train_s=2.0
    )
    registry.register(fitted_pop("elsewhere"), metrics={}, train_s=0.5)
    registry.activate(W, "pop", 2)

    report = engine.models_report(registry, W)
    other = engine.models_report(registry, "elsewhere")

    assert report.labels == ["pop@1", "pop@2"]
    assert (report.models, report.versions) == (["pop", "pop"], [1, 2])
    assert report.datasets == [W, W]
    assert report.train_s == [1.25, 2.0]
    assert report.metrics == {"valid_ndcg@10": [0.5, 0.25], "valid_recall@10": [None, 0.75]}
    assert report.active == "pop@2"
    assert report.is_active == [False, True]
    assert all(datetime.fromisoformat(moment) for moment in report.created_at)
    assert (other.labels, other.active, other.is_active) == (["pop@3"], None, [False])
    assert json_round_trip(report)["metrics"]["valid_recall@10"] == [None, 0.75]


def test_an_empty_registry_gives_an_empty_report(tmp_path: Path) -> None:
    report = engine.models_report(ModelRegistry(tmp_path / "nothing"), W)

    assert (report.labels, report.metrics, report.active) == ([], {}, None)


# --- empty and unknown worlds -----------------------------------------------------------


def test_an_empty_world_gives_empty_reports(database: sa.Engine) -> None:
    new_world(database)

    overview = engine.overview_report(database, W)
    fairness = engine.fairness_report(database, W)
    economy = engine.economy_report(database, W)
    market = engine.market_report(database, W, now_ms=T0)

    assert (overview.days, overview.top_items, overview.people) == ([], [], 0)
    assert (fairness.creators, fairness.lorenz_share, fairness.days) == ([], [], [])
    assert (fairness.gini, fairness.new_creator_share) == (None, None)
    assert economy.flows.amount_minor == []
    assert economy.payouts.period == []
    assert economy.balances.kind == []
    assert economy.ad_spend.campaign_id == []
    assert (market.listings.listing_id, market.trades.listing_id, market.notes) == ([], [], [])
    for report in (overview, fairness, economy, market):
        json_round_trip(report)


def test_creators_never_shown_give_an_equal_curve_and_no_gini(database: sa.Engine) -> None:
    build_feed_world(database)

    report = engine.fairness_report(database, W)

    assert report.creators == ["c1", "c2", "c3"]
    assert report.creator_exposure == [0.0, 0.0, 0.0]
    assert (report.gini, report.lorenz_population) == (None, [])


@pytest.mark.parametrize(
    "make_report",
    [
        lambda store: engine.overview_report(store, "nowhere"),
        lambda store: engine.fairness_report(store, "nowhere"),
        lambda store: engine.economy_report(store, "nowhere"),
        lambda store: engine.market_report(store, "nowhere", now_ms=T0),
    ],
    ids=["overview", "fairness", "economy", "market"],
)
def test_an_unknown_world_is_not_found(database: sa.Engine, make_report: Any) -> None:
    with pytest.raises(NotFound):
        make_report(database)


def test_report_dicts_are_plain_json(database: sa.Engine) -> None:
    build_feed_world(database)
    engine.serve_feeds(database, W, ["p1", "v1"], 1, now_ms=NOW_MS)

    as_json = json_round_trip(engine.fairness_report(database, W))

    assert as_json["days"] == [NOW.date().isoformat()]
    assert all(isinstance(v, float) for v in as_json["creator_exposure"])
    assert np.isclose(as_json["gini"], engine.fairness_report(database, W).gini or 0.0)
