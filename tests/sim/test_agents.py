"""The simulated world's agents: their rules as a spec, then a few days through the engine."""

import json
import pickle
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from mindshare import engine
from mindshare.core import InputError
from mindshare.engine import Arrivals, DayOptions, Feed, FeedSlot
from mindshare.events import RecordKind, create_world
from mindshare.models import ModelRegistry
from mindshare.sim import SimulatedWorld, WorldConfig
from mindshare.store import attention_daily

START = date(2026, 3, 2)
ECONOMY = {"economy": {"emission_minor": 100_000, "minimum_payout_minor": 1}}


def feed_of(world: SimulatedWorld, user_id: str, item_ids: Sequence[str]) -> Feed:
    """A feed as the engine would serve it: the items in this order, slots from 1."""
    slots = tuple(
        FeedSlot(
            slot=number,
            item_id=item_id,
            creator_id=world.creator_of(item_id),
            kind="ad" if item_id.startswith("ad-") else "organic",
            score=0.0,
            exposure=1.0 / float(np.log2(1.0 + number)),
            explanation={},
        )
        for number, item_id in enumerate(item_ids, start=1)
    )
    return Feed("f", "w", user_id, "greedy", None, 0, 0, slots)


def items_of(arrivals: Arrivals) -> list[dict[str, Any]]:
    """The item records that arrived (the simulator's records are plain dicts)."""
    return [dict(record) for record in arrivals.records[RecordKind.ITEMS]]  # type: ignore[arg-type]


def content_items(world: SimulatedWorld) -> list[str]:
    return [i for i in world.item_ids if not i.startswith("ad-")]


def daily_feeds(world: SimulatedWorld, day: date, k: int = 10) -> list[Feed]:
    """Every visitor gets a feed of ``k`` items drawn (deterministically) from the catalogue."""
    items = content_items(world)
    rng = np.random.default_rng(day.toordinal())
    return [
        feed_of(world, user_id, [items[i] for i in rng.choice(len(items), k, replace=False)])
        for user_id in world.visitors(day)
    ]


def run_days(world: SimulatedWorld, days: int) -> list[str]:
    """Run the agents alone (feeds drawn from the catalogue); everything they said, as JSON."""
    said = []
    for n in range(days):
        day = START + timedelta(days=n)
        arrivals = world.arrivals(day)
        visitors = world.visitors(day)
        responses = world.respond(day, daily_feeds(world, day))
        actions = world.trade(day, [])
        world.adapt(day, paid_minor={c: 10 * (i % 3) for i, c in enumerate(world.creator_ids)})
        said.append(
            json.dumps(
                {
                    "records": {kind.value: rows for kind, rows in arrivals.records.items()},
                    "campaigns": [repr(offer) for offer in arrivals.campaigns],
                    "visitors": visitors,
                    "responses": responses,
                    "actions": [repr(action) for action in actions],
                },
                sort_keys=True,
            )
        )
    return said


def small(**overrides: Any) -> WorldConfig:
    values: dict[str, Any] = {"people": 60, "creators": 6, "start": START, "seed": 3}
    return WorldConfig(**(values | overrides))


def first_views(responses: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each person's first view of the day (their first choice)."""
    first: dict[str, dict[str, Any]] = {}
    for record in responses:
        if record["type"] == "view":
            best = first.get(record["user_id"])
            if best is None or record["ts"] < best["ts"]:
                first[record["user_id"]] = record
    return first


def controlled(
    people: int, *, interest: Sequence[float], qualities: Sequence[float], **overrides: Any
) -> tuple[SimulatedWorld, list[str]]:
    """A world whose people all share ``interest`` and whose items (one creator each, one
    item each, topic = creator number) have the given qualities: utilities known exactly."""
    config = small(
        people=people,
        creators=len(qualities),
        topics=len(interest),
        slots=1,
        initial_items_per_creator=1,
        advertisers=0,
        budget_median_minutes=200.0,
        budget_sigma=0.0,
        production_rate=0.0,
        creator_entry_rate=0.0,
        join_rate=0.0,
        **overrides,
    )
    world = SimulatedWorld(config)
    world.arrivals(START)
    world._interest[:] = np.asarray(interest)
    world._creator_topic[:] = np.arange(len(qualities)) % len(interest)
    world._item_topic[:] = np.arange(len(qualities)) % len(interest)
    world._item_quality[:] = np.asarray(qualities)
    return world, content_items(world)


# --- determinism --------------------------------------------------------------------------


def test_the_same_seed_says_the_same_to_the_last_byte() -> None:
    assert run_days(SimulatedWorld(small()), 3) == run_days(SimulatedWorld(small()), 3)


def test_a_different_seed_says_something_else() -> None:
    assert run_days(SimulatedWorld(small()), 2) != run_days(SimulatedWorld(small(seed=4)), 2)


def test_a_world_restored_from_its_state_goes_on_as_the_original() -> None:
    original = SimulatedWorld(small())
    run_days(original, 2)
    restored = SimulatedWorld.from_state(original.state_dict())
    day = START + timedelta(days=2)
    expected = (original.arrivals(day), original.visitors(day))
    got = (restored.arrivals(day), restored.visitors(day))
    assert repr(got) == repr(expected)
    assert restored.respond(day, daily_feeds(restored, day)) == original.respond(
        day, daily_feeds(original, day)
    )
    unpickled = pickle.loads(pickle.dumps(original))
    assert unpickled.day_log(day).person_ids == original.day_log(day).person_ids
    with pytest.raises(InputError, match="state"):
        SimulatedWorld.from_state({"format": 0})


# --- choice -------------------------------------------------------------------------------


def test_the_logit_prefers_higher_utility_and_better_placed_items() -> None:
    world, (good, poor) = controlled(4_000, interest=[1.0, 1.0], qualities=[0.8, 0.4])
    users = world.person_ids
    half = len(users) // 2
    feeds = [feed_of(world, u, [good, poor]) for u in users[:half]]
    feeds += [feed_of(world, u, [poor, good]) for u in users[half:]]
    first = first_views(world.respond(START, feeds))
    picks = Counter((record["item_id"], record["position"]) for record in first.values())
    # Better items are chosen more at either position; any item more at the top.
    assert picks[(good, 1)] > picks[(poor, 1)]
    assert picks[(good, 2)] > picks[(poor, 2)]
    assert picks[(good, 1)] > picks[(good, 2)]
    assert picks[(poor, 1)] > picks[(poor, 2)]
    # Nobody has to choose: some stop without viewing anything.
    assert 0 < len(users) - len(first) < len(users)


@pytest.mark.parametrize(("interest", "quality"), [(0.05, 0.3), (1.0, 0.35), (1.0, 0.9)])
def test_one_item_is_chosen_with_the_logit_s_probability_against_choosing_nothing(
    interest: float, quality: float
) -> None:
    world, (item,) = controlled(3_000, interest=[interest], qualities=[quality])
    views = world.respond(START, [feed_of(world, u, [item]) for u in world.person_ids])
    config = world.config
    utility = interest * quality
    expected = 1.0 / (1.0 + np.exp(config.choice_sharpness * (config.no_choice_utility - utility)))
    chosen = sum(r["type"] == "view" for r in views) / 3_000
    assert chosen == pytest.approx(expected, abs=0.03)


def test_satiation_lowers_a_topic_s_choice_probability_after_consumption() -> None:
    world, (first_item, second_item) = controlled(
        4_000,
        interest=[1.0],
        qualities=[0.7, 0.7],
        satiation_step=0.3,
        satiation_decay=0.9,
    )
    users = world.person_ids
    fed = set(users[: len(users) // 2])
    consumed = world.respond(START, [feed_of(world, u, [first_item]) for u in sorted(fed)])
    ate = {r["user_id"] for r in consumed if r["type"] == "view"}
    day2 = START + timedelta(days=1)
    world.arrivals(day2)
    views = world.respond(day2, [feed_of(world, u, [second_item]) for u in users])
    chose = {r["user_id"] for r in views if r["type"] == "view"}
    hungry = [u for u in users if u not in fed]
    rate_sated = len(chose & ate) / len(ate)
    rate_hungry = len(chose & set(hungry)) / len(hungry)
    assert rate_sated < rate_hungry - 0.1


def test_boredom_an_item_already_consumed_is_rarely_chosen_again() -> None:
    world, (item,) = controlled(2_000, interest=[1.0], qualities=[0.8], satiation_step=0.0)
    users = world.person_ids
    day1 = world.respond(START, [feed_of(world, u, [item]) for u in users])
    saw = {r["user_id"] for r in day1 if r["type"] == "view"}
    day2_date = START + timedelta(days=1)
    world.arrivals(day2_date)
    day2 = world.respond(day2_date, [feed_of(world, u, [item]) for u in sorted(saw)])
    again = {r["user_id"] for r in day2 if r["type"] == "view"}
    assert len(saw) > 0.8 * len(users)
    assert len(again) < 0.3 * len(saw)


def test_dwell_grows_with_interest_and_quality() -> None:
    world, (good, poor) = controlled(
        6_000, interest=[1.0], qualities=[0.9, 0.3], no_choice_utility=-1.0
    )
    users = world.person_ids
    lukewarm = set(users[: len(users) // 2])
    world._interest[: len(users) // 2] = 0.5
    feeds = [feed_of(world, u, [good if n % 2 else poor]) for n, u in enumerate(users)]
    views = [r for r in world.respond(START, feeds) if r["type"] == "view"]

    def mean_dwell(item_id: str, *, keen: bool) -> float:
        return float(
            np.mean(
                [
                    r["dwell_ms"]
                    for r in views
                    if r["item_id"] == item_id and (r["user_id"] not in lukewarm) == keen
                ]
            )
        )

    assert mean_dwell(good, keen=True) > 1.5 * mean_dwell(poor, keen=True)  # quality
    assert mean_dwell(good, keen=True) > 1.3 * mean_dwell(good, keen=False)  # interest
    assert max(r["dwell_ms"] for r in views) <= world.config.dwell_cap_ms


def test_views_are_well_formed_timed_within_the_day_and_mostly_viewable() -> None:
    world = SimulatedWorld(small(people=300))
    world.arrivals(START)
    records = world.respond(START, daily_feeds(world, START))
    views = [r for r in records if r["type"] == "view"]
    assert len({r["event_id"] for r in records}) == len(records)
    assert all(r["ts"].endswith("+00:00") for r in records)
    assert all(f"{START}T12:00" <= r["ts"] < f"{START}T23:59" for r in records)
    low = sum(r["visible_fraction"] < 0.5 for r in views)
    assert 0 < low < 0.2 * len(views)
    assert {r["type"] for r in records} <= {"view", "like", "follow", "click"}
    assert "like" in {r["type"] for r in records}


# --- churn ---------------------------------------------------------------------------------


def test_people_served_what_they_dislike_churn_and_those_served_what_they_love_stay() -> None:
    world, (loved, disliked) = controlled(
        400,
        interest=[1.0, 0.02],
        qualities=[0.9, 0.9],
        boredom=1.0,
        satiation_step=0.0,
        churn_days=3,
    )
    users = world.person_ids
    unhappy, happy = users[:200], users[200:]
    for n in range(5):
        day = START + timedelta(days=n)
        world.arrivals(day)
        feeds = [feed_of(world, u, [disliked]) for u in unhappy]
        feeds += [feed_of(world, u, [loved]) for u in happy]
        world.respond(day, feeds)
    log = world.day_log(START + timedelta(days=4))
    churned = dict(zip(log.person_ids, log.churned, strict=True))
    assert sum(churned[u] for u in unhappy) > 0.9 * len(unhappy)
    assert sum(churned[u] for u in happy) < 0.05 * len(happy)
    later = START + timedelta(days=5)
    world.arrivals(later)
    assert not {u for u in unhappy if churned[u]} & set(world.visitors(later))


# --- creators ------------------------------------------------------------------------------


def test_creators_who_earn_nothing_leave_and_new_ones_enter() -> None:
    world = SimulatedWorld(small(exit_patience_days=3, creator_entry_rate=0.5))
    founders = set(world.creator_ids)
    for n in range(4):
        day = START + timedelta(days=n)
        world.arrivals(day)
        world.respond(day, [])
        world.adapt(day, paid_minor={})
    log = world.day_log(START + timedelta(days=3))
    active = dict(zip(log.creator_ids, log.creator_active, strict=True))
    assert not any(active[c] for c in founders)
    entrants = set(log.creator_ids) - founders
    assert entrants
    assert all(log.creator_entry_day[log.creator_ids.index(c)] > 0 for c in entrants)
    # A creator who left makes nothing more.
    day = START + timedelta(days=4)
    made = {r["creator_id"] for r in items_of(world.arrivals(day))}
    assert not made & founders


def test_more_creators_enter_a_world_that_pays_well() -> None:
    def entrants(pay: int) -> int:
        world = SimulatedWorld(small(creators=20, creator_entry_rate=0.2))
        for n in range(8):
            day = START + timedelta(days=n)
            world.arrivals(day)
            world.adapt(day, paid_minor=dict.fromkeys(world.creator_ids, pay))
        return len(world.creator_ids) - 20

    assert entrants(500) > 1.5 * entrants(0)


def test_creators_shift_toward_the_topic_with_the_attention() -> None:
    world = SimulatedWorld(
        small(topics=4, creators=8, topic_shift_probability=1.0, creator_entry_rate=0.0)
    )
    world.arrivals(START)
    favourite = int(world._creator_topic[0])
    world._interest[:] = 0.01
    world._interest[:, favourite] = 1.0
    world.respond(START, daily_feeds(world, START, k=8))
    world.adapt(START, paid_minor=dict.fromkeys(world.creator_ids, 100))
    assert set(world.day_log(START).creator_topic.tolist()) == {favourite}
    day = START + timedelta(days=1)
    tags = {tuple(r["tags"]) for r in items_of(world.arrivals(day))}
    assert tags <= {(f"topic-{favourite}",)}


def test_without_topic_shift_nobody_moves() -> None:
    world = SimulatedWorld(small(topic_shift_probability=0.0))
    world.arrivals(START)
    before = world._creator_topic.copy()
    world.respond(START, daily_feeds(world, START))
    world.adapt(START, paid_minor={})
    assert np.array_equal(world.day_log(START).creator_topic, before)


# --- config --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("people", 0),
        ("creators", 0),
        ("topics", 0),
        ("slots", 100),
        ("advertiser_budget_median_minor", -5),
        ("deposit_minor", -1),
        ("budget_median_minutes", 0.0),
        ("budget_max_minutes", 2_000.0),
        ("join_rate", 1.5),
        ("choice_sharpness", float("nan")),
        ("seed", -1),
        ("churn_days", 0),
        ("people", 2.5),
        ("currency", "usd"),
        ("start", "2026-01-01"),
    ],
)
def test_nonsense_config_is_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(InputError, match=rf"WorldConfig\.{field}\b"):
        small(**{field: value})


# --- through the engine --------------------------------------------------------------------


def _create(store: sa.Engine) -> None:
    with store.begin() as connection:
        create_world(connection, "sim", config=ECONOMY, now_ms=0)


def test_generated_records_are_accepted_by_the_real_ingestion(sqlite_database: sa.Engine) -> None:
    _create(sqlite_database)
    world = SimulatedWorld(small(people=120, creators=8, asset_share=0.3))
    end = datetime(START.year, START.month, START.day, tzinfo=UTC) + timedelta(days=1)
    arrivals = world.arrivals(START)
    reports = engine.ingest_world(sqlite_database, "sim", dict(arrivals.records), now=end)
    records = world.respond(START, daily_feeds(world, START))
    events = engine.ingest(sqlite_database, "sim", RecordKind.EVENTS, records, now=end)
    for kind, report in reports.items():
        assert report.rejected == 0, kind
        assert report.accepted == len(arrivals.records[kind])
    assert events.rejected == 0
    assert events.accepted == len(records) > 0


def test_three_days_through_the_engine_greedy_then_als(
    sqlite_database: sa.Engine, tmp_path: Path
) -> None:
    _create(sqlite_database)
    world = SimulatedWorld(
        small(people=50, creators=8, deposit_rate=0.2, offer_rate=0.5, asset_share=0.3)
    )
    registry = ModelRegistry(tmp_path)
    plans = [DayOptions(policy="greedy", model=None)] * 3
    plans += [DayOptions(model="als", retrain_every_days=1, min_training_interactions=10)] * 3
    attention: list[int] = []
    outcomes = []
    for n, options in enumerate(plans):
        outcome = engine.run_day(
            sqlite_database,
            "sim",
            START + timedelta(days=n),
            world,
            options=options,
            registry=registry,
        )
        outcomes.append(outcome)
        with sqlite_database.connect() as connection:
            total = connection.execute(sa.select(sa.func.sum(attention_daily.c.attentive_ms)))
            attention.append(int(total.scalar() or 0))
        assert outcome.events.rejected == 0
    assert attention[0] > 0
    assert attention == sorted(attention)
    assert attention[0] < attention[-1]
    assert outcomes[-1].model is not None
    assert outcomes[-1].model.startswith("als@")
    last = world.day_log(START + timedelta(days=5))
    assert last.creator_income_minor.sum() > 0
    assert last.utility[last.visited].mean() > 0
    # Every deposit, offer and purchase the traders made was one the market accepts.
    assert all(outcome.refused_actions == () for outcome in outcomes)
