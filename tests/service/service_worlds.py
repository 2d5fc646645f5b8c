"""The service tests' worlds and helpers: two small worlds, keys, the dashboard's world.

A module of its own (not conftest.py), so test modules import it by a name no other
test folder uses.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mindshare import engine
from mindshare.ads import Campaign, save_campaign
from mindshare.core import Settings, to_epoch_ms
from mindshare.datasets import Interactions
from mindshare.events import RecordKind, create_world
from mindshare.models import ModelRegistry, create_model
from mindshare.service import Scope, create_api_key
from mindshare.sim import DayMetrics, record_day_metrics
from mindshare.store import exposures

DAY0 = datetime(2026, 3, 1, tzinfo=UTC)
#: The dashboard's pages and the ids of their charts, in the order drawn.
DASHBOARD_CHARTS = {
    "overview": [
        "chart-attention-per-day",
        "chart-active-people-per-day",
        "chart-top-items",
        "chart-top-creators",
    ],
    "fairness": [
        "chart-lorenz",
        "chart-creator-exposure",
        "chart-gini-per-day",
        "chart-new-creator-share",
    ],
    "economy": [
        "chart-money-flows",
        "chart-payouts-per-period",
        "chart-balances-by-kind",
        "chart-ad-spend",
    ],
    "market": ["chart-suggested-vs-asking", "chart-sale-prices"],
    "models": ["chart-model-metrics", "chart-train-time"],
    "simulation": [
        "chart-simulation-attention",
        "chart-simulation-people",
        "chart-simulation-inequality",
        "chart-simulation-diversity",
        "chart-simulation-revenue",
    ],
}


@dataclass
class Service:
    """A running app over a store with worlds ``w`` and ``other``, and keys by name."""

    app: FastAPI
    client: TestClient
    store: sa.Engine
    tokens: dict[str, str]

    def headers(self, name: str) -> dict[str, str]:
        """Authorization headers with the key called ``name``."""
        return {"Authorization": f"Bearer {self.tokens[name]}"}


def view(event_id: str, user: str, item: str, minute: int, dwell_ms: int = 20_000) -> dict:
    """A fully visible view ``minute`` minutes after DAY0."""
    return {
        "event_id": event_id,
        "type": "view",
        "user_id": user,
        "ts": (DAY0 + timedelta(minutes=minute)).isoformat(),
        "item_id": item,
        "dwell_ms": dwell_ms,
        "visible_fraction": 1.0,
    }


def build_world(store: sa.Engine, world: str) -> None:
    """Creators c1 and c2, five items, four people and a few views of them."""
    with store.begin() as connection:
        create_world(connection, world, now_ms=to_epoch_ms(DAY0))
    engine.ingest_world(
        store,
        world,
        {
            RecordKind.CREATORS: [{"creator_id": "c1"}, {"creator_id": "c2"}],
            RecordKind.ITEMS: [
                {
                    "item_id": f"i{n}",
                    "kind": "content",
                    "creator_id": f"c{1 + n % 2}",
                    "title": f"Item {n}",
                    "tags": ["t"],
                }
                for n in range(1, 6)
            ],
            RecordKind.PEOPLE: [{"user_id": f"u{n}"} for n in range(1, 5)],
            RecordKind.EVENTS: [
                view(f"e{u}{i}", f"u{u}", f"i{i}", 10 * u + i)
                for u in range(1, 5)
                for i in range(1, 6)
                if (u + i) % 2
            ],
        },
        now=DAY0 + timedelta(days=1),
    )


def make_key(store: sa.Engine, world: str, *scopes: Scope) -> str:
    """A new key of ``world`` with ``scopes``."""
    with store.begin() as connection:
        return create_api_key(connection, world, frozenset(scopes), now_ms=to_epoch_ms(DAY0)).token


ServiceFactory = Callable[..., Service]


@dataclass
class DashboardWorld:
    """A store with world ``w`` (a little of everything, days before ``now``) and the
    empty world ``other``; ``tokens`` holds keys ``read`` and ``ingest`` of ``w`` and
    ``other`` (read) of ``other``; ``settings`` points the model registry at its own folder."""

    store: sa.Engine
    settings: Settings
    tokens: dict[str, str]
    now: datetime
    first_day: datetime


def build_dashboard_world(store: sa.Engine, registry: ModelRegistry, *, now: datetime) -> datetime:
    """World ``w``, days 0 to 5 being the six days before ``now``'s; returns day 0.

    Attention: day 0 u1 views i1 (c1) 60 s, i2 (c2) 30 s and acme's ad 30 s, u2 views i1
    120 s; day 2 u3 views i2 240 s; day 4 u4 views n1 of the new creator c3 20 s. Feeds
    of one slot: day 4 p1, u1, p2 (i2, n1, i2), day 5 p3 (i2). Period days 0..1 settled
    (ad charge 60, emission 970). Market: a1 sold for 1,000 and 1,800, a2 for 2,000, a1
    listed at 2,500 an hour before ``now``. Models: pop@1 and pop@2 (active).
    """
    day0 = datetime(now.year, now.month, now.day, tzinfo=UTC) - timedelta(days=6)

    def at(days: float, hours: float = 0) -> datetime:
        return day0 + timedelta(days=days, hours=hours)

    def seen(event_id: str, user: str, item: str, when: datetime, seconds: int) -> dict[str, Any]:
        return {
            "event_id": event_id,
            "type": "view",
            "user_id": user,
            "ts": when.isoformat(),
            "item_id": item,
            "dwell_ms": seconds * 1000,
            "visible_fraction": 1.0,
        }

    economy = {
        "currency": "USD",
        "creator_pool_ad_share": 0.5,
        "reward_ad_share": 0.0,
        "emission_minor": 970,
        "minimum_payout_minor": 50,
    }
    with store.begin() as connection:
        config = {"feeds": {"new_creator_days": 2}, "economy": economy}
        create_world(connection, "w", config=config, now_ms=to_epoch_ms(day0))
        create_world(connection, "other", now_ms=to_epoch_ms(day0))
    asset = {"kind": "asset", "creator_id": "c1", "currency": "USD", "tags": ["hats"]}
    engine.ingest_world(
        store,
        "w",
        {
            RecordKind.CREATORS: [{"creator_id": c} for c in ("c1", "c2", "acme")],
            RecordKind.ITEMS: [
                {"item_id": "i1", "kind": "content", "creator_id": "c1"},
                {"item_id": "i2", "kind": "content", "creator_id": "c2"},
                {"item_id": "ad1", "kind": "ad", "creator_id": "acme"},
                {"item_id": "a1", "price_minor": 500, **asset},
                {"item_id": "a2", "price_minor": 1_000, **asset},
            ],
            RecordKind.PEOPLE: [{"user_id": p} for p in ("p1", "p2", "p3")],
        },
        now=day0,
    )
    with store.begin() as connection:
        save_campaign(
            connection,
            "w",
            Campaign("camp", "acme", budget_minor=10_000, bid_per_second=3.0),
            currency="USD",
            creative_ids=["ad1"],
            now_ms=to_epoch_ms(day0),
        )
        # The ad slot u1 was served, at the auction's price of 2 per attentive second.
        connection.execute(
            exposures.insert().values(
                world_id="w",
                feed_id="f-ad",
                user_id="u1",
                slot=1,
                item_id="ad1",
                creator_id="acme",
                kind="ad",
                policy="greedy",
                served_ms=to_epoch_ms(at(0, 10)),
                exposure=1.0,
                score=1.0,
                campaign_id="camp",
                price_per_second=2.0,
            )
        )
    engine.ingest_world(
        store,
        "w",
        {
            RecordKind.EVENTS: [
                seen("e1", "u1", "i1", at(0, 10), 60),
                seen("e2", "u1", "i2", at(0, 10.1), 30),
                seen("e3", "u2", "i1", at(0, 11), 120),
                seen("e4", "u3", "i2", at(2, 1), 240),
                seen("e5", "u1", "ad1", at(0, 10.2), 30),
            ]
        },
        now=at(3),
    )
    engine.ingest_world(
        store,
        "w",
        {
            RecordKind.CREATORS: [{"creator_id": "c3"}],
            RecordKind.ITEMS: [{"item_id": "n1", "kind": "content", "creator_id": "c3"}],
            RecordKind.EVENTS: [seen("e6", "u4", "n1", at(4, 1), 20)],
        },
        now=at(4, 2),
    )
    engine.fund_advertiser_account(store, "w", "acme", 1_000, reference="p1", currency="USD")
    period = f"{at(0).date()}..{at(1).date()}"
    engine.settle_period(store, "w", period, now_ms=to_epoch_ms(at(3)))
    engine.serve_feeds(store, "w", ["p1", "u1", "p2"], 1, now_ms=to_epoch_ms(at(4, 12)))
    engine.serve_feeds(store, "w", ["p3"], 1, now_ms=to_epoch_ms(at(5, 12)))
    for user in ("u1", "u2"):
        engine.deposit(store, "w", user_id=user, amount_minor=5_000, reference="start")
    for seller, item, price, buyer, day in (
        ("c1", "a1", 1_000, "u1", 2),
        ("c1", "a2", 2_000, "u2", 3),
        ("u1", "a1", 1_800, "u2", 4),
    ):
        when = to_epoch_ms(at(day))
        listing = engine.list_item(
            store, "w", seller_id=seller, item_id=item, kind="fixed", price_minor=price, now_ms=when
        )
        engine.buy(store, "w", buyer_id=buyer, listing_id=listing.listing.listing_id, now_ms=when)
    engine.list_item(
        store,
        "w",
        seller_id="u2",
        item_id="a1",
        kind="fixed",
        price_minor=2_500,
        now_ms=to_epoch_ms(now - timedelta(hours=1)),
    )
    seen_items = Interactions.from_arrays(
        name="w", users=["u1", "u1", "u2"], items=["i1", "i2", "i1"], ts=[1, 2, 3]
    )
    pop = create_model("pop").fit(seen_items)
    registry.register(pop, metrics={"valid_ndcg@10": 0.25}, train_s=1.5)
    registry.register(pop, metrics={"valid_ndcg@10": 0.5, "valid_recall@10": 0.75}, train_s=2.0)
    registry.activate("w", "pop", 2)
    for n, minutes in enumerate((30.0, 45.0)):
        record_day_metrics(
            store,
            "w",
            (day0 + timedelta(days=n)).date(),
            simulated_day((day0 + timedelta(days=n)).date(), minutes),
            policy="fair",
            seed=7,
        )
    return day0


def simulated_day(day: date, attentive_minutes: float) -> DayMetrics:
    """A simulated day's metrics for the dashboard's simulation page (values by hand)."""
    return DayMetrics(
        day=day.isoformat(),
        attentive_minutes=attentive_minutes,
        mean_utility=0.5,
        active_people=40,
        retention=0.9,
        creator_income_gini=0.3,
        exposure_gini=0.4,
        active_creators=6,
        new_creator_survival=float("nan"),
        homogenization=0.05,
        ad_revenue_minor=12,
        paid_to_creators_minor=900,
        feeds=30,
        events=80,
        trades=1,
    )
