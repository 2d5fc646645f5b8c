"""engine.run_day: one day of a world through the real engine, with scripted agents."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from mindshare import engine
from mindshare.ads import Campaign
from mindshare.core import InputError, MindshareError
from mindshare.engine import (
    Arm,
    Arrivals,
    CampaignOffer,
    DayOptions,
    DayOutcome,
    Deposit,
    Feed,
    MarketAction,
    Offer,
    OpenListing,
    Purchase,
)
from mindshare.events import Record, RecordKind, create_world
from mindshare.ledger import Ledger
from mindshare.models import ModelRegistry
from mindshare.store import attention_daily, feeds

DAY1 = date(2026, 3, 2)
ECONOMY = {"economy": {"emission_minor": 1_000, "minimum_payout_minor": 1, "currency": "USD"}}


class Scripted:
    """Two creators, four items, an ad, three people who view the first two slots of
    their feed for 30 s and 10 s; on day 2 one asset is sold to u1."""

    def __init__(self) -> None:
        self.observed: list[DayOutcome] = []

    def arrivals(self, day: date) -> Arrivals:
        if day != DAY1:
            return Arrivals()
        return Arrivals(
            records={
                RecordKind.CREATORS: [
                    {"creator_id": "c1"},
                    {"creator_id": "c2"},
                    {"creator_id": "adv"},
                ],
                RecordKind.ITEMS: [
                    {"item_id": "i1", "kind": "content", "creator_id": "c1"},
                    {"item_id": "i2", "kind": "content", "creator_id": "c1"},
                    {"item_id": "i3", "kind": "content", "creator_id": "c2"},
                    {
                        "item_id": "gem",
                        "kind": "asset",
                        "creator_id": "c2",
                        "price_minor": 300,
                        "currency": "USD",
                    },
                    {"item_id": "ad1", "kind": "ad", "creator_id": "adv"},
                ],
                RecordKind.PEOPLE: [{"user_id": f"u{n}"} for n in (1, 2, 3)],
            },
            campaigns=[
                CampaignOffer(
                    Campaign("camp", "adv", budget_minor=50, bid_per_second=1.0),
                    creative_ids=("ad1",),
                    funding_minor=500,
                )
            ],
        )

    def visitors(self, day: date) -> Sequence[str]:
        return ["u1", "u2", "u3"]

    def respond(self, day: date, served: Sequence[Feed]) -> Sequence[Record]:
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        events: list[Record] = []
        for feed in served:
            for position, slot in enumerate(feed.slots[:2]):
                events.append(
                    {
                        "event_id": f"{day}:{feed.user_id}:{slot.slot}",
                        "type": "view",
                        "user_id": feed.user_id,
                        "item_id": slot.item_id,
                        "ts": (noon + timedelta(minutes=position)).isoformat(),
                        "dwell_ms": 30_000 if position == 0 else 10_000,
                        "visible_fraction": 1.0,
                    }
                )
        return events

    def trade(self, day: date, listings: Sequence[OpenListing]) -> Sequence[MarketAction]:
        if day == DAY1:
            return [Deposit("u1", 1_000, "pay-1"), Offer("c2", "gem", 300, "L1")]
        return [Purchase("u1", "L1"), Purchase("u2", "nope")]

    def observe(self, outcome: DayOutcome) -> None:
        self.observed.append(outcome)


@pytest.fixture
def world(database: sa.Engine) -> sa.Engine:
    with database.begin() as connection:
        create_world(connection, "sim", config=ECONOMY, now_ms=0)
    return database


def test_a_day_runs_the_loop_and_the_population_observes_it(
    world: sa.Engine, tmp_path: Path
) -> None:
    population = Scripted()
    registry = ModelRegistry(tmp_path)
    outcome = engine.run_day(
        world, "sim", DAY1, population, options=DayOptions(slots=3), registry=registry
    )

    assert population.observed == [outcome]
    assert [feed.user_id for feed in outcome.feeds] == ["u1", "u2", "u3"]
    assert all(len(feed.slots) == 3 for feed in outcome.feeds)
    assert outcome.events.accepted == 6
    with world.connect() as connection:
        attention = connection.execute(
            sa.select(sa.func.sum(attention_daily.c.attentive_ms))
        ).scalar_one()
        served = connection.execute(sa.select(sa.func.count()).select_from(feeds)).scalar_one()
    assert (attention, served) == (3 * 40_000, 3)
    # The whole emission is paid out to creators by their share of attention.
    paid = sum(row["paid_minor"] for row in outcome.settlement.statement["payouts"])
    assert paid == 1_000
    assert outcome.refused_actions == ()
    assert outcome.model is None


def test_the_market_trades_and_refusals_are_noted_not_fatal(
    world: sa.Engine, tmp_path: Path
) -> None:
    population = Scripted()
    registry = ModelRegistry(tmp_path)
    options = DayOptions(slots=2)
    engine.run_day(world, "sim", DAY1, population, options=options, registry=registry)
    second = engine.run_day(
        world, "sim", DAY1 + timedelta(days=1), population, options=options, registry=registry
    )
    assert [(t.buyer_id, t.item_id, t.price_minor) for t in second.trades] == [("u1", "gem", 300)]
    assert len(second.refused_actions) == 1
    assert "nope" in second.refused_actions[0]
    assert Ledger(world, "sim").audit().ok


def test_a_model_is_trained_and_served_once_the_world_has_data(
    world: sa.Engine, tmp_path: Path
) -> None:
    population = Scripted()
    registry = ModelRegistry(tmp_path)
    options = DayOptions(slots=3, model="pop", retrain_every_days=1, min_training_interactions=5)
    first = engine.run_day(world, "sim", DAY1, population, options=options, registry=registry)
    assert first.model is None  # no interactions yet when the day began
    assert "not trained" in first.notes[0]
    for n in range(1, 3):
        last = engine.run_day(
            world,
            "sim",
            DAY1 + timedelta(days=n),
            population,
            options=options,
            registry=registry,
        )
    assert last.model is not None
    assert last.model.startswith("pop@")
    assert {feed.model for feed in last.feeds} == {last.model}


def test_nonsense_options_are_refused() -> None:
    with pytest.raises(InputError, match="at least one slot"):
        DayOptions(slots=0)
    with pytest.raises(InputError, match="retrain_every_days"):
        DayOptions(retrain_every_days=0)


def test_a_failed_audit_stops_the_day(
    world: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mindshare.ledger import AuditReport

    def broken(self: Ledger) -> AuditReport:
        return AuditReport(False, "sim", 0, 0, (), ("balance of x differs",))

    monkeypatch.setattr(Ledger, "audit", broken)
    with pytest.raises(MindshareError, match="balance of x differs"):
        engine.run_day(
            world, "sim", DAY1, Scripted(), options=DayOptions(), registry=ModelRegistry(tmp_path)
        )


def test_an_experiment_serves_each_arm_its_policy_every_day(
    world: sa.Engine, tmp_path: Path
) -> None:
    from mindshare.evaluation import assign_arm

    options = DayOptions(slots=2, arms=(Arm("a", "greedy"), Arm("b", "mmr")), arm_salt="s1")
    registry = ModelRegistry(tmp_path)
    for n in range(2):
        outcome = engine.run_day(
            world,
            "sim",
            DAY1 + timedelta(days=n),
            Scripted(),
            options=options,
            registry=registry,
        )
        policies = {feed.user_id: feed.policy for feed in outcome.feeds}
        expected = {
            user: {"a": "greedy", "b": "mmr"}[assign_arm(user, ["a", "b"], salt="s1")]
            for user in ("u1", "u2", "u3")
        }
        assert policies == expected


def test_an_experiment_needs_two_distinct_arms() -> None:
    with pytest.raises(InputError, match="two or more distinct arms"):
        DayOptions(arms=(Arm("a", "greedy"),))
    with pytest.raises(InputError, match="two or more distinct arms"):
        DayOptions(arms=(Arm("a", "greedy"), Arm("a", "fair")))
