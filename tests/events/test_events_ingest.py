"""ingest_events and the entity ingesters: idempotent, counted, nothing dropped silently."""

import itertools
import json
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mindshare.core import NotFound
from mindshare.events import (
    AcceptedView,
    IngestReport,
    Problem,
    RecordKind,
    Rule,
    SourceRecord,
    create_world,
    ingest_creators,
    ingest_events,
    ingest_items,
    list_rejected,
    rejections_by_rule,
)
from mindshare.store import event_key, events, items, people, rejected

WORLD = "w1"
NOW = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)
TS = "2026-01-05T10:00:00Z"


def _view(event_id: str, *, user: str = "u1", item: str = "i1", dwell: Any = 1_000) -> dict:
    return {
        "event_id": event_id,
        "type": "view",
        "user_id": user,
        "item_id": item,
        "ts": TS,
        "dwell_ms": dwell,
    }


def _world(database: sa.Engine, world_id: str = WORLD, item_ids: tuple[str, ...] = ("i1", "i2")):
    with database.begin() as connection:
        create_world(connection, world_id, now_ms=0)
    ingest_creators(database, world_id, [{"creator_id": "c1"}, {"creator_id": "c2"}], now=NOW)
    ingest_items(
        database,
        world_id,
        [{"item_id": i, "kind": "content", "creator_id": "c1"} for i in item_ids],
        now=NOW,
    )


def _ingest(database: sa.Engine, records: list[Any], **options: Any) -> IngestReport:
    return ingest_events(database, WORLD, records, now=NOW, **options)


def _count(database: sa.Engine, table: sa.Table, world_id: str = WORLD) -> int:
    query = sa.select(sa.func.count()).select_from(table).where(table.c.world_id == world_id)
    with database.connect() as connection:
        return connection.execute(query).scalar_one()


def _column(database: sa.Engine, column: sa.Column[Any], **where: Any) -> list[Any]:
    table = column.table
    query = sa.select(column).where(*(table.c[k] == v for k, v in where.items()))
    with database.connect() as connection:
        return list(connection.execute(query).scalars())


@pytest.fixture
def world(database: sa.Engine) -> sa.Engine:
    _world(database)
    return database


def test_counts_of_a_mixed_batch_add_up_to_what_was_submitted(world: sa.Engine) -> None:
    records = [
        _view("e1"),
        _view("e2", item="i2"),
        _view("e3", dwell=-1),
        _view("e4", item="ghost"),
        _view("e1"),
        "not an object",
    ]

    report = _ingest(world, records)

    assert report.counts() == {
        "submitted": 6,
        "accepted": 2,
        "duplicates": 1,
        "conflicts": 0,
        "rejected": 3,
    }
    assert _count(world, events) == 2
    assert _count(world, rejected) == 3


def test_replaying_a_batch_changes_nothing_and_counts_every_event_a_duplicate(
    world: sa.Engine,
) -> None:
    batch = [_view(f"e{n}") for n in range(5)]
    _ingest(world, batch)
    seqs_before = _column(world, events.c.seq)

    replay = _ingest(world, batch)

    assert replay.counts() == {
        "submitted": 5,
        "accepted": 0,
        "duplicates": 5,
        "conflicts": 0,
        "rejected": 0,
    }
    assert replay.people_created == 0
    assert _column(world, events.c.seq) == seqs_before
    assert _count(world, rejected) == 0


def test_replaying_an_event_with_every_optional_field_is_a_duplicate(world: sa.Engine) -> None:
    full = {
        **_view("e1"),
        "ts": "2026-01-05T12:00:00+02:00",
        "visible_fraction": 0.1,
        "position": 4,
        "surface": "home",
        "value": 3,
        "context": {"b": [1.5, "x"], "a": {"nested": None}},
    }
    _ingest(world, [full])

    replay = _ingest(
        world, [{**full, "ts": TS, "context": {"a": {"nested": None}, "b": [1.5, "x"]}}]
    )

    assert (replay.accepted, replay.duplicates, replay.conflicts) == (0, 1, 0)


def test_same_event_id_with_a_different_body_is_a_conflict_kept_with_the_rejects(
    world: sa.Engine,
) -> None:
    _ingest(world, [_view("e1", dwell=1_000)])

    report = _ingest(world, [_view("e1", dwell=2_000)])

    assert (report.accepted, report.conflicts, report.rejected) == (0, 1, 0)
    assert _column(world, events.c.dwell_ms, event_id="e1") == [1_000]
    with world.connect() as connection:
        [stored] = list_rejected(connection, WORLD)
    assert (stored.rule, stored.field, stored.value) == ("conflict", "event_id", "e1")
    assert json.loads(stored.record)["dwell_ms"] == 2_000


def test_a_duplicate_and_a_conflict_inside_one_batch_are_told_apart(world: sa.Engine) -> None:
    batch = [_view("e1", dwell=1_000), _view("e1", dwell=1_000), _view("e1", dwell=9_000)]

    report = _ingest(world, batch)

    assert report.counts() == {
        "submitted": 3,
        "accepted": 1,
        "duplicates": 1,
        "conflicts": 1,
        "rejected": 0,
    }
    assert _column(world, events.c.dwell_ms, event_id="e1") == [1_000]
    with world.connect() as connection:
        assert rejections_by_rule(connection, WORLD) == {"conflict": 1}


def test_an_event_for_an_unknown_item_is_rejected_with_unknown_item(world: sa.Engine) -> None:
    report = _ingest(world, [_view("e1", item="ghost")])

    assert (report.accepted, report.rejected) == (0, 1)
    [(_, problem)] = report.problems
    assert (problem.rule, problem.field, problem.value) == (Rule.UNKNOWN_ITEM, "item_id", "ghost")
    assert _count(world, events) == 0


def test_unknown_people_are_created_on_first_sight(world: sa.Engine) -> None:
    first = _ingest(world, [_view("e1", user="u1"), _view("e2", user="u2"), _view("e3")])

    second = _ingest(world, [_view("e4", user="u1"), _view("e5", user="u3")])

    assert first.people_created == 2
    assert second.people_created == 1
    assert sorted(_column(world, people.c.user_id, world_id=WORLD)) == ["u1", "u2", "u3"]


def test_rejected_events_create_no_people(world: sa.Engine) -> None:
    report = _ingest(world, [_view("e1", user="nobody", item="ghost")])

    assert report.people_created == 0
    assert _count(world, people) == 0


def test_a_rejected_record_is_stored_with_location_field_value_rule_reason_and_record(
    world: sa.Engine,
) -> None:
    bad = _view("e2", dwell=-5)

    _ingest(world, [_view("e1"), bad], source="upload")

    with world.connect() as connection:
        [stored] = list_rejected(connection, WORLD)
    assert stored.kind == "events"
    assert stored.location == "upload[1]"
    assert (stored.field, stored.value, stored.rule) == ("dwell_ms", "-5", "range")
    assert "between 0 and" in stored.reason
    assert json.loads(stored.record) == bad
    assert stored.received_ms == int(NOW.timestamp() * 1000)


def test_an_unparseable_record_is_stored_with_its_raw_text(world: sa.Engine) -> None:
    problem = Problem(Rule.MALFORMED, "not valid JSON")
    unparseable = SourceRecord("events.jsonl:7", None, problem, raw="{oops")

    report = _ingest(world, [unparseable])

    assert report.rejected == 1
    with world.connect() as connection:
        [stored] = list_rejected(connection, WORLD)
    assert (stored.location, stored.rule, stored.record) == ("events.jsonl:7", "malformed", "{oops")


def test_ingesting_into_a_world_that_does_not_exist_raises_not_found(database: sa.Engine) -> None:
    with pytest.raises(NotFound, match="nowhere"):
        ingest_events(database, "nowhere", [_view("e1")], now=NOW)
    with pytest.raises(NotFound, match="nowhere"):
        ingest_creators(database, "nowhere", [{"creator_id": "c1"}], now=NOW)
    with pytest.raises(NotFound, match="nowhere"):
        ingest_items(database, "nowhere", [], now=NOW)


def test_an_item_of_an_unknown_creator_is_rejected_with_unknown_creator(world: sa.Engine) -> None:
    report = ingest_items(
        world, WORLD, [{"item_id": "i9", "kind": "content", "creator_id": "nobody"}], now=NOW
    )

    assert (report.accepted, report.rejected) == (0, 1)
    assert _column(world, items.c.item_id, item_id="i9") == []
    with world.connect() as connection:
        [stored] = list_rejected(connection, WORLD)
    assert (stored.kind, stored.rule, stored.field, stored.value) == (
        "items",
        "unknown_creator",
        "creator_id",
        "nobody",
    )


def test_reingesting_a_changed_item_updates_it(world: sa.Engine) -> None:
    changed = {"item_id": "i1", "kind": "content", "creator_id": "c1", "title": "New title"}

    report = ingest_items(world, WORLD, [changed], now=NOW)

    assert (report.accepted, report.updated, report.duplicates) == (1, 1, 0)
    assert _column(world, items.c.title, item_id="i1") == ["New title"]


def test_reingesting_an_unchanged_item_is_a_duplicate(world: sa.Engine) -> None:
    same = {"item_id": "i1", "kind": "content", "creator_id": "c1"}

    report = ingest_items(world, WORLD, [same], now=NOW)

    assert (report.accepted, report.updated, report.duplicates) == (0, 0, 1)


def test_changing_an_items_creator_is_a_conflict(world: sa.Engine) -> None:
    moved = {"item_id": "i1", "kind": "content", "creator_id": "c2", "title": "Stolen"}

    report = ingest_items(world, WORLD, [moved], now=NOW)

    assert (report.accepted, report.updated, report.conflicts) == (0, 0, 1)
    assert _column(world, items.c.creator_id, item_id="i1") == ["c1"]
    assert _column(world, items.c.title, item_id="i1") == [""]
    with world.connect() as connection:
        [stored] = list_rejected(connection, WORLD)
    assert (stored.rule, stored.field, stored.value) == ("conflict", "creator_id", "c2")


def test_changing_an_items_creator_within_one_batch_is_a_conflict(database: sa.Engine) -> None:
    _world(database, item_ids=())
    batch = [
        {"item_id": "i5", "kind": "content", "creator_id": "c1"},
        {"item_id": "i5", "kind": "content", "creator_id": "c2"},
    ]

    report = ingest_items(database, WORLD, batch, now=NOW)

    assert (report.accepted, report.conflicts) == (1, 1)
    assert _column(database, items.c.creator_id, item_id="i5") == ["c1"]


def test_a_bad_record_in_the_middle_of_a_batch_loses_none_of_the_good_ones(
    world: sa.Engine,
) -> None:
    records = [_view(f"e{n}") for n in range(7)]
    records[4] = _view("e4", dwell="soon")
    batches: list[IngestReport] = []

    report = _ingest(world, records, batch_size=3, progress=batches.append)

    assert [b.submitted for b in batches] == [3, 3, 1]
    assert (report.accepted, report.rejected) == (6, 1)
    assert sorted(_column(world, events.c.event_id)) == ["e0", "e1", "e2", "e3", "e5", "e6"]


def test_a_batch_size_below_one_is_refused(world: sa.Engine) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        _ingest(world, [_view("e1")], batch_size=0)


def test_an_id_with_a_nul_character_is_rejected_and_stored_on_every_database(
    world: sa.Engine,
) -> None:
    report = _ingest(world, [_view("e\x001")])

    assert (report.accepted, report.rejected) == (0, 1)
    assert _count(world, rejected) == 1


def test_a_surface_with_a_nul_character_never_makes_ingestion_raise(world: sa.Engine) -> None:
    report = _ingest(world, [{**_view("e1"), "surface": "ho\x00me"}])

    assert report.accepted + report.rejected == 1


@pytest.mark.parametrize("name", ["\x00", "x" * 500, "a\x00b" * 100])
def test_an_unknown_field_whose_name_no_column_holds_is_rejected_and_kept(
    world: sa.Engine, name: str
) -> None:
    # Found by fuzzing the HTTP API: PostgreSQL text holds no NUL and the column is 128 wide.
    report = _ingest(world, [{**_view("e1"), name: None}])

    assert (report.accepted, report.rejected) == (0, 1)
    with world.connect() as connection:
        stored = connection.execute(sa.select(rejected.c.field, rejected.c.rule)).one()
    assert stored.rule == "unknown_field"
    assert "\x00" not in stored.field
    assert len(stored.field) <= 128


def test_a_lone_surrogate_in_an_id_is_rejected_without_raising(world: sa.Engine) -> None:
    # json.loads('"\\ud800"') yields exactly this: any JSONL line can carry one.
    record = json.loads(
        '{"event_id": "e\\ud800", "type": "click", "user_id": "u1", '
        '"item_id": "i1", "ts": "2026-01-05T10:00:00Z"}'
    )

    report = _ingest(world, [record])

    assert (report.accepted, report.rejected) == (0, 1)
    assert _count(world, rejected) == 1


def test_a_lone_surrogate_in_a_surface_never_makes_ingestion_raise(world: sa.Engine) -> None:
    record = {**_view("e1"), "surface": json.loads('"\\udc80"')}

    report = _ingest(world, [record])

    assert report.accepted + report.rejected == 1


# The ingestion property: random batches of valid, invalid and repeated events.
_world_ids = (f"prop{n}" for n in itertools.count())
_EVENT_IDS = st.sampled_from([f"e{n}" for n in range(6)])
_RECORDS = st.one_of(
    st.fixed_dictionaries(
        {
            "event_id": _EVENT_IDS,
            "type": st.sampled_from(["view", "click", "session_start", "hover"]),
            "user_id": st.sampled_from(["u1", "u2", "u3", ""]),
            "ts": st.sampled_from([TS, "2026-01-05T11:00:00+01:00", "2026-01-05T10:00:00"]),
        },
        optional={
            "item_id": st.sampled_from(["i1", "i2", "ghost", 7]),
            "dwell_ms": st.one_of(st.integers(-10, 5_000), st.sampled_from(["9", True])),
            "visible_fraction": st.floats(-0.5, 1.5),
            "surface": st.text(max_size=8),
            "context": st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
            "colour": st.just("red"),
        },
    ),
    st.sampled_from([None, 42, "text", ["a", "list"]]),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batches=st.lists(st.lists(_RECORDS, max_size=8), min_size=1, max_size=4),
    replay=st.booleans(),
    batch_size=st.integers(1, 5),
)
def test_ingestion_never_raises_and_accounts_for_every_record(
    sqlite_database: sa.Engine,
    batches: list[list[Any]],
    replay: bool,
    batch_size: int,
) -> None:
    world_id = next(_world_ids)
    _world(sqlite_database, world_id)
    if replay:
        batches = [*batches, batches[0]]
    total = IngestReport(RecordKind.EVENTS)

    for batch in batches:
        report = ingest_events(sqlite_database, world_id, batch, now=NOW, batch_size=batch_size)
        assert report.submitted == len(batch)
        assert (
            report.accepted + report.duplicates + report.conflicts + report.rejected
            == report.submitted
        )
        total.add(report)

    assert _count(sqlite_database, events, world_id) == total.accepted
    assert _count(sqlite_database, rejected, world_id) == total.rejected + total.conflicts
    if replay:
        assert report.accepted == 0


def _dwell_by_id(database: sa.Engine) -> dict[str, int]:
    query = sa.select(events.c.event_id, events.c.dwell_ms).where(events.c.world_id == WORLD)
    with database.connect() as connection:
        return {event_id: dwell for event_id, dwell in connection.execute(query)}


def test_the_first_load_of_a_world_tells_duplicates_and_conflicts_apart_without_lookups(
    world: sa.Engine,
) -> None:
    batch = [_view("e1"), _view("e2"), _view("e1"), _view("e2", dwell=5), _view("e3")]

    report = _ingest(world, batch, batch_size=2)

    assert report.counts() == {
        "submitted": 5,
        "accepted": 3,
        "duplicates": 1,
        "conflicts": 1,
        "rejected": 0,
    }
    assert _dwell_by_id(world) == {"e1": 1_000, "e2": 1_000, "e3": 1_000}


def test_a_batch_presumed_new_that_holds_stored_events_is_written_again_with_lookups(
    world: sa.Engine,
) -> None:
    _ingest(world, [_view("old1"), _view("old2")])
    # The first batch finds nothing stored, so the second is written without lookups
    # first; its replay of old1 and its conflict with old2 make that write fail.
    batches = [
        _view("new1"),
        _view("new2"),
        _view("old1"),
        _view("new3", user="newcomer"),
        _view("old2", dwell=7),
    ]

    report = _ingest(world, batches, batch_size=2)

    assert report.counts() == {
        "submitted": 5,
        "accepted": 3,
        "duplicates": 1,
        "conflicts": 1,
        "rejected": 0,
    }
    assert report.people_created == 1
    assert _column(world, people.c.user_id, user_id="newcomer") == ["newcomer"]
    assert _dwell_by_id(world) == {
        "old1": 1_000,
        "old2": 1_000,
        "new1": 1_000,
        "new2": 1_000,
        "new3": 1_000,
    }
    with world.connect() as connection:
        assert rejections_by_rule(connection, WORLD) == {"conflict": 1}


@pytest.mark.parametrize("presumed_new", [True, False], ids=["fast path", "looked up"])
def test_view_days_hold_the_person_and_utc_day_of_accepted_views_only(
    world: sa.Engine, presumed_new: bool
) -> None:
    if not presumed_new:
        _ingest(world, [_view("old")])  # a world with events: every event is looked up
    day = 20_458  # 2026-01-05, the day of TS
    records = [
        _view("a"),
        _view("b", user="u2"),
        {**_view("late", user="u2"), "ts": "2026-01-06T00:00:00Z"},
        _view("a"),  # a duplicate inside the batch
        _view("bad", item="nowhere"),  # rejected
        {**_view("click", user="u3"), "type": "click", "dwell_ms": None},
    ]
    if not presumed_new:
        records.append(_view("old"))  # a duplicate of a stored view

    report = _ingest(world, records)

    assert report.view_days == {("u1", day), ("u2", day), ("u2", day + 1)}
    assert _ingest(world, records).view_days == set()  # a replay accepts no view


def test_replaying_a_load_that_failed_half_way_stores_the_rest_and_loses_nothing(
    world: sa.Engine,
) -> None:
    stream = [_view(f"e{n}", user=f"u{n % 3}") for n in range(10)]

    def fail_after_the_first_batch(batch: IngestReport) -> None:
        raise RuntimeError("the client went away")

    with pytest.raises(RuntimeError):
        _ingest(world, stream, batch_size=4, progress=fail_after_the_first_batch)
    assert _count(world, events) == 4

    report = _ingest(world, stream, batch_size=4)

    assert (report.accepted, report.duplicates, report.conflicts) == (6, 4, 0)
    assert sorted(_dwell_by_id(world)) == sorted(f"e{n}" for n in range(10))


def test_every_event_is_stored_with_the_key_of_its_id(world: sa.Engine) -> None:
    _ingest(world, [_view("e1"), _view("e2")])

    query = sa.select(events.c.event_id, events.c.event_key)
    with world.connect() as connection:
        stored = {event_id: key for event_id, key in connection.execute(query)}

    assert stored == {"e1": event_key("e1"), "e2": event_key("e2")}


@pytest.fixture
def colliding_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every event id hashes to the same key, as two ids in ~2^32 of a world's events may."""
    monkeypatch.setattr("mindshare.events._ingest.event_key", lambda event_id: 42)


@pytest.mark.usefixtures("colliding_keys")
def test_ids_whose_keys_collide_in_one_batch_are_all_stored_and_replay_as_duplicates(
    world: sa.Engine,
) -> None:
    batch = [_view("a"), _view("b"), _view("c")]

    first = _ingest(world, batch)
    replay = _ingest(world, batch)

    assert (first.accepted, first.duplicates) == (3, 0)
    assert (replay.accepted, replay.duplicates, replay.conflicts) == (0, 3, 0)
    assert sorted(_column(world, events.c.event_key), key=str) == [42, None, None]


@pytest.mark.usefixtures("colliding_keys")
def test_an_id_whose_key_is_held_by_a_stored_id_is_stored_and_later_recognised(
    world: sa.Engine,
) -> None:
    _ingest(world, [_view("a")])

    stored = _ingest(world, [_view("b")])
    replayed = _ingest(world, [_view("b"), _view("a")])
    changed = _ingest(world, [_view("b", dwell=5), _view("a", dwell=5)])

    assert (stored.accepted, stored.duplicates) == (1, 0)
    assert (replayed.accepted, replayed.duplicates, replayed.conflicts) == (0, 2, 0)
    assert (changed.accepted, changed.duplicates, changed.conflicts) == (0, 0, 2)
    assert _dwell_by_id(world) == {"a": 1_000, "b": 1_000}


def test_the_store_refuses_a_second_event_with_the_same_key(world: sa.Engine) -> None:
    _ingest(world, [_view("e1")])
    duplicate = {
        "world_id": WORLD,
        "event_id": "e1",
        "type": "view",
        "user_id": "u1",
        "ts_ms": 0,
        "received_ms": 0,
        "event_key": event_key("e1"),
    }

    with pytest.raises(sa.exc.IntegrityError), world.begin() as connection:
        connection.execute(events.insert(), [duplicate])


def test_the_store_refuses_a_second_unkeyed_event_with_the_same_id(world: sa.Engine) -> None:
    unkeyed = {
        "world_id": WORLD,
        "event_id": "e1",
        "type": "view",
        "user_id": "u1",
        "ts_ms": 0,
        "received_ms": 0,
        "event_key": None,
    }
    _ingest(world, [_view("other")])  # creates person u1

    with pytest.raises(sa.exc.IntegrityError), world.begin() as connection:
        connection.execute(events.insert(), [unkeyed, unkeyed])


@pytest.mark.parametrize("presumed_new", [True, False], ids=["fast path", "looked up"])
def test_each_batch_reports_its_accepted_views_only_to_the_hook_in_its_transaction(
    world: sa.Engine, presumed_new: bool
) -> None:
    if not presumed_new:
        _ingest(world, [_view("old")])
    seen: list[tuple[str, ...]] = []
    accepted = [0 if presumed_new else 1]

    def hook(connection: sa.Connection, batch: IngestReport) -> None:
        # The batch's events are visible to the hook: it runs in their transaction.
        accepted.append(accepted[-1] + batch.accepted)
        stored = connection.execute(sa.select(sa.func.count()).select_from(events)).scalar()
        assert stored == accepted[-1]
        seen.append(tuple(view.event_id for view in batch.views))

    records = [
        _view("a", dwell=2_000),
        {**_view("c", user="u2"), "visible_fraction": 0.25},
        _view("a", dwell=2_000),  # a duplicate inside the batch
        _view("a", dwell=3_000),  # a conflict inside the batch
        _view("bad", item="nowhere"),  # rejected
        {**_view("click", user="u3"), "type": "click", "dwell_ms": None},
        _view("b"),
    ]

    report = _ingest(world, records, batch_size=4, on_batch=hook)
    replay = _ingest(world, records, batch_size=4, on_batch=hook)

    assert seen == [("a", "c"), ("b",), (), ()]
    assert report.views == []  # folded reports keep view days, not views
    assert replay.accepted == 0


def test_a_batch_whose_fast_write_fails_reports_its_new_views_once(world: sa.Engine) -> None:
    _ingest(world, [_view("old1")])
    seen: list[AcceptedView] = []

    _ingest(
        world,
        [
            _view("new1"),
            _view("old1"),
            {**_view("new2", user="u2", dwell=0), "visible_fraction": 1},
        ],
        on_batch=lambda _, batch: seen.extend(batch.views),
    )

    assert sorted(seen) == [
        AcceptedView("new1", "u1", _ms(TS), 1_000, None),
        AcceptedView("new2", "u2", _ms(TS), 0, 1.0),
    ]


def _ms(ts: str) -> int:
    return int(datetime.fromisoformat(ts).timestamp() * 1_000)


# --- the batch transaction on SQLite: foreign keys left to ingestion, then checked again ---


def _foreign_keys_checked(database: sa.Engine) -> bool:
    with database.connect() as connection:
        return bool(connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one())


def test_a_connection_checks_foreign_keys_again_once_a_batch_is_written(
    sqlite_database: sa.Engine,
) -> None:
    _world(sqlite_database)
    seen_in_batch = []

    def record_setting(batch: IngestReport) -> None:
        seen_in_batch.append(_foreign_keys_checked(sqlite_database))

    report = _ingest(
        sqlite_database, [_view("e1"), _view("e2", user="new")], progress=record_setting
    )

    assert report.accepted == 2
    assert _foreign_keys_checked(sqlite_database)
    with sqlite_database.connect() as connection, pytest.raises(sa.exc.IntegrityError):
        connection.execute(
            sa.insert(events).values(
                world_id=WORLD,
                event_id="x",
                type="view",
                user_id="nobody",
                ts_ms=0,
                received_ms=0,
            )
        )


def test_a_connection_checks_foreign_keys_again_after_a_batch_that_failed(
    sqlite_database: sa.Engine,
) -> None:
    _world(sqlite_database)

    def fail(connection: sa.Connection, batch: IngestReport) -> None:
        raise RuntimeError("the refresh failed")

    with pytest.raises(RuntimeError):
        ingest_events(sqlite_database, WORLD, [_view("e1")], now=NOW, on_batch=fail)

    assert _foreign_keys_checked(sqlite_database)
    assert _count(sqlite_database, events) == 0


def test_events_name_only_stored_people_and_items_though_sqlite_does_not_check_them(
    world: sa.Engine,
) -> None:
    ingest_items(world, WORLD, [{"item_id": "i3", "kind": "content", "creator_id": "c2"}], now=NOW)
    records = [
        _view("e1"),
        _view("e2", user="new", item="i3"),  # an item stored after the world's first items
        _view("e3", user="new", item="gone"),
        _view("e4", user="other", item="i2"),
    ]

    report = _ingest(world, records, batch_size=2)

    assert report.counts()["accepted"] == 3
    assert report.counts()["rejected"] == 1
    orphans = (
        sa.select(sa.func.count())
        .select_from(events)
        .outerjoin(
            people,
            sa.and_(people.c.world_id == events.c.world_id, people.c.user_id == events.c.user_id),
        )
        .outerjoin(
            items,
            sa.and_(items.c.world_id == events.c.world_id, items.c.item_id == events.c.item_id),
        )
        .where(
            sa.or_(
                people.c.user_id.is_(None),
                sa.and_(events.c.item_id.is_not(None), items.c.item_id.is_(None)),
            )
        )
    )
    with world.connect() as connection:
        assert connection.execute(orphans).scalar_one() == 0


def test_people_stored_before_an_ingest_are_not_created_again(world: sa.Engine) -> None:
    _ingest(world, [_view("e1", user="known")])

    report = _ingest(world, [_view("e2", user="known"), _view("e3", user="fresh")])

    assert report.people_created == 1
    assert sorted(_column(world, people.c.user_id)) == ["fresh", "known"]


def _race(
    senders: int, ingest: Callable[[list[Any]], IngestReport], records: list[Any]
) -> list[IngestReport]:
    """``senders`` threads that start together, each ingesting the records in its own
    (seeded) order; their reports."""
    start = threading.Barrier(senders)

    def send(seed: int) -> IngestReport:
        start.wait()
        return ingest(random.Random(seed).sample(records, len(records)))

    with ThreadPoolExecutor(max_workers=senders) as pool:
        return list(pool.map(send, range(senders)))


def test_concurrent_ingests_of_the_same_events_store_and_count_each_event_and_person_once(
    world: sa.Engine,
) -> None:
    """Ingests racing over the same new events and people never fail, and between them
    accept each event once and create each person once: each batch looks up what is
    stored in the world's write turn, so no other ingest can store it in between."""
    records = [_view(f"e{i}", user=f"u{i % 40}") for i in range(240)]
    senders = 4
    reports = _race(
        senders,
        lambda shuffled: ingest_events(world, WORLD, shuffled, now=NOW, batch_size=20),
        records,
    )

    assert sum(r.accepted for r in reports) == len(records)
    assert sum(r.duplicates for r in reports) == (senders - 1) * len(records)
    assert sum(r.people_created for r in reports) == 40
    assert sum(r.conflicts + r.rejected for r in reports) == 0
    assert _count(world, events) == len(records)
    assert _count(world, people) == 40


def test_concurrent_ingests_of_the_same_new_items_create_each_item_once(
    world: sa.Engine,
) -> None:
    records = [{"item_id": f"new-{i}", "kind": "content", "creator_id": "c1"} for i in range(60)]
    senders = 4
    reports = _race(
        senders,
        lambda shuffled: ingest_items(world, WORLD, shuffled, now=NOW, batch_size=5),
        records,
    )

    assert sum(r.accepted for r in reports) == len(records)
    assert sum(r.duplicates for r in reports) == (senders - 1) * len(records)
    assert _count(world, items) == len(records) + 2  # and the world's own i1, i2
