"""engine.ingest and engine.world_stats: the one path by which records enter a world."""

from datetime import UTC, date, datetime

import sqlalchemy as sa

from mindshare import engine
from mindshare.events import RecordKind, create_world
from mindshare.sim import generate_demo_world

NOW = datetime(2026, 2, 1, tzinfo=UTC)


def new_world(database: sa.Engine, world_id: str = "w1") -> str:
    with database.begin() as connection:
        create_world(connection, world_id, now_ms=0)
    return world_id


def view(event_id: str, ts: str, dwell_ms: int, item_id: str = "i1") -> dict[str, object]:
    return {
        "event_id": event_id,
        "type": "view",
        "user_id": "u1",
        "ts": ts,
        "item_id": item_id,
        "dwell_ms": dwell_ms,
        "visible_fraction": 0.8,
    }


def test_ingesting_views_brings_attention_up_to_date(database: sa.Engine) -> None:
    world = new_world(database)
    engine.ingest_world(
        database,
        world,
        {
            RecordKind.CREATORS: [{"creator_id": "c1"}],
            RecordKind.ITEMS: [
                {"item_id": "i1", "kind": "content", "creator_id": "c1"},
                {"item_id": "i2", "kind": "content", "creator_id": "c1"},
            ],
            RecordKind.EVENTS: [
                view("e1", "2026-01-05T10:00:00Z", 10_000),
                view("e2", "2026-01-05T10:00:05Z", 10_000, "i2"),
            ],
        },
        now=NOW,
    )

    stats = engine.world_stats(database, world)

    # The views overlap for 5 s: the person gave 15 s of attention, not 20 s.
    assert [(d.day, d.attentive_ms) for d in stats.attention_by_day] == [(date(2026, 1, 5), 15_000)]
    assert {(i.item_id, i.attentive_ms) for i in stats.top_items} == {("i1", 7_500), ("i2", 7_500)}
    assert [(c.creator_id, c.attentive_ms) for c in stats.top_creators] == [("c1", 15_000)]


def test_a_later_batch_of_views_is_added_to_the_attention_already_measured(
    database: sa.Engine,
) -> None:
    world = new_world(database)
    engine.ingest(database, world, RecordKind.CREATORS, [{"creator_id": "c1"}])
    engine.ingest(
        database,
        world,
        RecordKind.ITEMS,
        [{"item_id": "i1", "kind": "content", "creator_id": "c1"}],
    )
    engine.ingest(
        database, world, RecordKind.EVENTS, [view("e1", "2026-01-05T10:00:00Z", 2_000)], now=NOW
    )
    engine.ingest(
        database, world, RecordKind.EVENTS, [view("e2", "2026-01-06T10:00:00Z", 3_000)], now=NOW
    )

    days = engine.world_stats(database, world).attention_by_day

    assert [(d.day.isoformat(), d.attentive_ms) for d in days] == [
        ("2026-01-05", 2_000),
        ("2026-01-06", 3_000),
    ]


def test_world_stats_count_what_the_demo_world_holds_and_rejects(database: sa.Engine) -> None:
    world = new_world(database, "demo")
    demo = generate_demo_world(seed=3, people=25, creators=3, items=20, days=1)
    reports = engine.ingest_world(
        database,
        world,
        {
            RecordKind.CREATORS: demo.creators,
            RecordKind.ITEMS: demo.items,
            RecordKind.PEOPLE: demo.people,
            RecordKind.EVENTS: demo.events + demo.bad_events,
        },
        now=NOW,
    )

    stats = engine.world_stats(database, world)

    assert stats.creators == 3
    assert sum(stats.items_by_kind.values()) == 20
    assert stats.events == reports[RecordKind.EVENTS].accepted == len(demo.events)
    events_report = reports[RecordKind.EVENTS]
    assert stats.rejected == events_report.rejected + events_report.conflicts
    assert stats.people == len(
        {e["user_id"] for e in demo.events} | {p["user_id"] for p in demo.people}
    )
