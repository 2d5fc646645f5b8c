"""Idempotent batch ingestion: every record is accepted, a duplicate, a conflict or rejected.

Each batch is validated whole and written in one transaction, accepted records and
rejected ones (with their reasons) together, so ``accepted + duplicates + conflicts +
rejected == submitted`` holds for every batch and nothing is dropped silently.
Events are idempotent on ``(world_id, event_id)``: a replay changes nothing, and the
same id with a different body is a conflict kept with the rejects. Items, creators
and people are upserted by id: a changed body updates the record, except an item's
creator, which decides who is paid and so never changes.
"""

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

import sqlalchemy as sa

from mindshare.core import MS_PER_DAY, to_epoch_ms, utc_now
from mindshare.events._records import (
    AcceptedView,
    EventType,
    IngestReport,
    Problem,
    RecordKind,
    Rule,
    SourceRecord,
)
from mindshare.events._validate import (
    EntityRow,
    Limits,
    canonical_json,
    is_storable_text,
    validate_creator,
    validate_event_row,
    validate_item,
    validate_person,
)
from mindshare.events._worlds import get_world
from mindshare.store import (
    creators,
    event_key,
    events,
    insert_many,
    is_among,
    items,
    lock_world,
    people,
    rejected,
)

Record = Mapping[str, Any] | SourceRecord
T = TypeVar("T")
Progress = Callable[[IngestReport], None]
#: Called in each batch's transaction once the batch is written, with its report: what it
#: writes commits with the batch's events, or not at all.
BatchHook = Callable[[sa.Connection, IngestReport], None]

#: Records a bulk load writes per transaction. Larger transactions write fewer WAL pages
#: per event (random event keys dirty the key index all over, and a commit writes each
#: dirty page once), but on a quiet 2-core machine 100,000 a transaction ingested a
#: million events no faster than 10,000 (30.0k against 31.3k events/s) and replayed them
#: slower (``benchmarks/bench_ingest.py --batch-size``, ``bench_write_amplification.py``).
BULK_BATCH_SIZE = 10_000
#: Problems a report keeps in memory for display; the store keeps all of them.
MAX_PROBLEMS_IN_REPORT = 1_000
_MAX_RAW_CHARS = 1_000_000
_MAX_VALUE_CHARS = 1_000
#: The width of ``rejected.field``: an unknown field's name is kept up to it.
_MAX_FIELD_CHARS = 128
_LOOKUP_CHUNK = 2_000
_EVENT_COLUMNS = (
    "world_id",
    "event_id",
    "type",
    "user_id",
    "ts_ms",
    "item_id",
    "dwell_ms",
    "visible_fraction",
    "position",
    "surface",
    "value",
    "context",
    "received_ms",
    "event_key",
)
#: A person created on first sight: no attributes.
_PERSON_COLUMNS = ("world_id", "user_id", "attributes", "body_hash", "created_ms", "updated_ms")
_TYPE = _EVENT_COLUMNS.index("type")
_USER_ID = _EVENT_COLUMNS.index("user_id")
_TS_MS = _EVENT_COLUMNS.index("ts_ms")
_DWELL_MS = _EVENT_COLUMNS.index("dwell_ms")
_VISIBLE_FRACTION = _EVENT_COLUMNS.index("visible_fraction")
_EVENT_ID = _EVENT_COLUMNS.index("event_id")
_KEY = _EVENT_COLUMNS.index("event_key")
#: The columns that make an event's body: a replay must match them exactly.
_BODY = slice(_EVENT_COLUMNS.index("type"), _EVENT_COLUMNS.index("context") + 1)


def ingest_events(
    database: sa.Engine,
    world_id: str,
    records: Iterable[Record],
    *,
    source: str = "api",
    now: datetime | None = None,
    limits: Limits = Limits(),
    batch_size: int = BULK_BATCH_SIZE,
    progress: Progress | None = None,
    on_batch: BatchHook | None = None,
) -> IngestReport:
    """Validate and store behaviour events; people are created on first sight.

    An event for an unknown item is rejected: items carry the creator who will be paid.
    The report's ``view_days`` says on which (person, UTC day)s views were accepted, and
    each batch's report its accepted ``views``, so that attention can be refreshed around
    them alone: ``on_batch`` runs in each batch's transaction, after the batch is written,
    so that what it derives from the batch commits with it, or not at all.

    A batch is first written on the assumption that none of its events is stored yet,
    which saves looking each one up: the unique key on ``(world_id, event_key)`` refuses
    the batch if that is wrong, and it is then written again, each event looked up and
    counted as new, a duplicate or a conflict. The assumption is made while it holds: for
    a world with no events, and after a batch in which no event was found stored.

    Items and people are looked up as batches name them, never the whole world's, so a
    batch costs the same in a world of a thousand people or of millions.
    """
    now_ms = to_epoch_ms(now or utc_now())
    report = IngestReport(RecordKind.EVENTS)
    with database.connect() as connection:
        get_world(connection, world_id)
        presumed_new = not _has_events(connection, world_id)
    # Items and people seen stored so far: each batch looks up only those it names anew.
    known_items: set[str] = set()
    known_people: set[str] = set()
    for start, batch in _raw_batches(records, batch_size):
        named = _named_items(batch) - known_items
        if named:
            with database.connect() as connection:
                known_items.update(
                    _existing_keys(connection, items.c.item_id, items.c.world_id == world_id, named)
                )
        checked = _check_event_batch(
            world_id, _SourceBatch(source, start, batch), known_items, now_ms, limits
        )
        written = None
        if presumed_new:
            try:
                with _batch_transaction(database, world_id) as connection:
                    written = _write_event_batch(
                        connection, checked, known_people, now_ms, look_up=False
                    )
                    if on_batch is not None:
                        on_batch(connection, written[0])
            except sa.exc.IntegrityError:
                written = None  # some event is stored already: look them up
        if written is None:
            with _batch_transaction(database, world_id) as connection:
                written = _write_event_batch(connection, checked, known_people, now_ms)
                if on_batch is not None:
                    on_batch(connection, written[0])
        result, newcomers, found_stored = written
        known_people.update(newcomers)
        presumed_new = not found_stored
        _fold(report, result, progress)
    return report


@contextmanager
def _batch_transaction(database: sa.Engine, world_id: str) -> Iterator[sa.Connection]:
    """The transaction that writes an events batch, in the world's write turn
    (:func:`mindshare.store.lock_world`): what it looks up stays true until it commits, so
    ingests racing over the same events never both store one, nor both create a person.

    On SQLite it does not check the events' foreign keys, which cost a sixth of an
    insert: ingestion guarantees them itself. A person is created in the transaction
    that writes their first events, an item is looked up before its events are accepted,
    and neither is ever deleted. The connection checks foreign keys again before anything
    else uses it (SQLite changes the setting only outside a transaction).
    """
    with database.connect() as connection:
        if connection.dialect.name != "sqlite":
            with connection.begin():
                lock_world(connection, world_id)
                yield connection
            return
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            with connection.begin():
                lock_world(connection, world_id)
                yield connection
        finally:
            try:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
            except BaseException:
                connection.invalidate()  # never back to the pool unchecked
                raise


@dataclass(frozen=True, slots=True)
class _SourceBatch:
    """Records as given, numbered from ``start``; a SourceRecord is made only when needed."""

    source: str
    start: int
    records: list[Record]

    def record(self, offset: int) -> SourceRecord:
        record = self.records[offset]
        if isinstance(record, SourceRecord):
            return record
        return _from_mapping(record, self.source, self.start + offset)


@dataclass(slots=True)
class _CheckedEvents:
    """A batch of events validated and deduplicated in memory, before the store is asked."""

    world_id: str
    batch: _SourceBatch
    #: Accepted so far: event id -> (row in _EVENT_COLUMNS order, its offset in the batch).
    candidates: dict[str, tuple[tuple[Any, ...], int]]
    #: Rejected records (conflicts within the batch included) and their problems.
    rejects: list[tuple[dict[str, Any], Problem]]
    duplicates: int = 0
    conflicts: int = 0


def _check_event_batch(
    world_id: str,
    batch: _SourceBatch,
    known_items: set[str],
    now_ms: int,
    limits: Limits,
) -> _CheckedEvents:
    checked = _CheckedEvents(world_id, batch, {}, [])
    candidates, rejects = checked.candidates, checked.rejects
    for offset, fields in enumerate(batch.records):
        if type(fields) is not dict:  # a SourceRecord, another Mapping, or not a record
            record = batch.record(offset)
            if record.fields is None:
                assert record.problem is not None
                problem = record.problem
                rejects.append(_reject_row(world_id, RecordKind.EVENTS, record, problem, now_ms))
                continue
            fields = record.fields
        row = validate_event_row(fields, world_id=world_id, now_ms=now_ms, limits=limits)
        if isinstance(row, Problem):
            record = batch.record(offset)
            rejects.append(_reject_row(world_id, RecordKind.EVENTS, record, row, now_ms))
            continue
        event_id, item_id, context = row[0], row[4], row[10]
        if item_id is not None and item_id not in known_items:
            problem = Problem(
                Rule.UNKNOWN_ITEM,
                f"item {item_id!r} is not in world {world_id!r}; ingest the item first",
                field="item_id",
                value=item_id,
            )
            record = batch.record(offset)
            rejects.append(_reject_row(world_id, RecordKind.EVENTS, record, problem, now_ms))
            continue
        stored_row: tuple[Any, ...] = (
            world_id,
            *row[:10],
            None if context is None else canonical_json(context),
            now_ms,
            event_key(event_id),
        )
        earlier = candidates.get(event_id)
        if earlier is None:
            candidates[event_id] = (stored_row, offset)
        elif earlier[0][_BODY] == stored_row[_BODY]:
            checked.duplicates += 1
        else:
            record = batch.record(offset)
            rejects.append(_conflict_row(world_id, RecordKind.EVENTS, record, now_ms))
            checked.conflicts += 1
    return checked


def _write_event_batch(
    connection: sa.Connection,
    checked: _CheckedEvents,
    known_people: set[str],
    now_ms: int,
    *,
    look_up: bool = True,
) -> tuple[IngestReport, set[str], bool]:
    """Store a checked batch; its report, the people it created, and whether any of its
    events was found stored already. ``look_up=False`` presumes that none is."""
    world_id = checked.world_id
    report = IngestReport(
        RecordKind.EVENTS,
        submitted=len(checked.batch.records),
        duplicates=checked.duplicates,
        conflicts=checked.conflicts,
    )
    rejects = list(checked.rejects)
    if look_up:
        new_rows, stored_duplicates, stored_conflicts = _new_events(connection, checked, now_ms)
        report.duplicates += stored_duplicates
        report.conflicts += len(stored_conflicts)
        rejects.extend(stored_conflicts)
        found_stored = stored_duplicates > 0 or len(stored_conflicts) > 0
    else:
        new_rows = [row for row, _ in checked.candidates.values()]
        found_stored = False
    newcomers = {row[_USER_ID] for row in new_rows} - known_people
    if newcomers:
        known_people.update(
            _existing_keys(connection, people.c.user_id, people.c.world_id == world_id, newcomers)
        )
        newcomers -= known_people
    if newcomers:
        person_hash = _hash(canonical_json({"attributes": None}))
        insert_many(
            connection,
            people,
            _PERSON_COLUMNS,
            [
                (world_id, user_id, None, person_hash, now_ms, now_ms)
                for user_id in sorted(newcomers)
            ],
            skip_existing=True,
        )
        report.people_created = len(newcomers)
    insert_many(connection, events, _EVENT_COLUMNS, new_rows)
    _store_rejects(connection, rejects, report)
    report.accepted = len(new_rows)
    report.rejected = len(rejects) - report.conflicts
    report.views = [
        AcceptedView(
            row[_EVENT_ID],
            row[_USER_ID],
            row[_TS_MS],
            row[_DWELL_MS] or 0,
            row[_VISIBLE_FRACTION],
        )
        for row in new_rows
        if row[_TYPE] == EventType.VIEW
    ]
    report.view_days = {(view.user_id, view.start_ms // MS_PER_DAY) for view in report.views}
    return report, newcomers, found_stored


def _new_events(
    connection: sa.Connection, checked: _CheckedEvents, now_ms: int
) -> tuple[list[tuple[Any, ...]], int, list[tuple[dict[str, Any], Problem]]]:
    """The rows of the batch's events not stored yet, each with the key it may take; the
    number of exact replays; the rejects for ids stored with a different body."""
    world_id = checked.world_id
    wanted = {row[_KEY]: event_id for event_id, (row, _) in checked.candidates.items()}
    by_key = _stored_events(connection, world_id, events.c.event_key, list(wanted))
    # Ids whose key another id holds live unkeyed, if they are stored at all.
    unkeyed = [
        event_id
        for event_id, (row, _) in checked.candidates.items()
        if row[_KEY] in by_key and by_key[row[_KEY]][0] != event_id
    ]
    by_id = {}
    if unkeyed:
        unkeyed_scope = events.c.event_key.is_(None)
        by_id = _stored_events(connection, world_id, events.c.event_id, unkeyed, unkeyed_scope)
    new_rows: list[tuple[Any, ...]] = []
    taken = set(by_key)
    duplicates = 0
    conflicts = []
    for event_id, (row, offset) in checked.candidates.items():
        key = row[_KEY]
        stored = by_key.get(key)
        if stored is None or stored[0] != event_id:
            stored = by_id.get(event_id)
        if stored is None:
            if key in taken:  # another id holds this key, in the store or in this batch
                row = (*row[:_KEY], None)
            taken.add(key)
            new_rows.append(row)
        elif stored[1:] == row[_BODY]:
            duplicates += 1
        else:
            record = checked.batch.record(offset)
            conflicts.append(_conflict_row(world_id, RecordKind.EVENTS, record, now_ms))
    return new_rows, duplicates, conflicts


@dataclass(frozen=True, slots=True)
class _EntitySpec:
    kind: RecordKind
    table: sa.Table
    key: str
    validate: Callable[..., EntityRow | Problem]
    #: Columns that may never change once stored.
    immutable: tuple[str, ...] = ()


_CREATORS = _EntitySpec(RecordKind.CREATORS, creators, "creator_id", validate_creator)
_PEOPLE = _EntitySpec(RecordKind.PEOPLE, people, "user_id", validate_person)
_ITEMS = _EntitySpec(RecordKind.ITEMS, items, "item_id", validate_item, ("creator_id",))


def ingest_creators(
    database: sa.Engine, world_id: str, records: Iterable[Record], **options: Any
) -> IngestReport:
    """Create or update the creators of a world."""
    return _ingest_entities(database, world_id, records, _CREATORS, **options)


def ingest_people(
    database: sa.Engine, world_id: str, records: Iterable[Record], **options: Any
) -> IngestReport:
    """Create or update the people of a world."""
    return _ingest_entities(database, world_id, records, _PEOPLE, **options)


def ingest_items(
    database: sa.Engine, world_id: str, records: Iterable[Record], **options: Any
) -> IngestReport:
    """Create or update the items of a world; an item's creator must exist and never changes."""
    return _ingest_entities(database, world_id, records, _ITEMS, **options)


def _ingest_entities(
    database: sa.Engine,
    world_id: str,
    records: Iterable[Record],
    spec: _EntitySpec,
    *,
    source: str = "api",
    now: datetime | None = None,
    limits: Limits = Limits(),
    batch_size: int = BULK_BATCH_SIZE,
    progress: Progress | None = None,
) -> IngestReport:
    now_ms = to_epoch_ms(now or utc_now())
    report = IngestReport(spec.kind)
    with database.connect() as connection:
        get_world(connection, world_id)
    for batch in _batches(records, source, batch_size):
        with database.begin() as connection:
            lock_world(connection, world_id)  # what the batch looks up stays true
            result = _ingest_entity_batch(connection, world_id, batch, spec, now_ms, limits)
        _fold(report, result, progress)
    return report


def _ingest_entity_batch(
    connection: sa.Connection,
    world_id: str,
    batch: Sequence[SourceRecord],
    spec: _EntitySpec,
    now_ms: int,
    limits: Limits,
) -> IngestReport:
    report = IngestReport(spec.kind, submitted=len(batch))
    rejects: list[tuple[dict[str, Any], Problem]] = []
    pending: dict[str, tuple[str, EntityRow, SourceRecord]] = {}
    for record in batch:
        if record.fields is None:
            assert record.problem is not None
            rejects.append(_reject_row(world_id, spec.kind, record, record.problem, now_ms))
            continue
        checked = spec.validate(record.fields, world_id=world_id, limits=limits)
        if isinstance(checked, Problem):
            rejects.append(_reject_row(world_id, spec.kind, record, checked, now_ms))
            continue
        body_hash = _hash(canonical_json(checked.columns))
        earlier = pending.get(checked.key)
        if earlier is not None:
            if earlier[0] == body_hash:
                report.duplicates += 1
                continue
            if _changes_immutable(spec, earlier[1].columns, checked.columns):
                rejects.append(_immutable_row(world_id, spec, record, now_ms))
                report.conflicts += 1
                continue
            report.updated += 1  # a later record in the batch replaces the earlier one
        pending[checked.key] = (body_hash, checked, record)

    table, key_column = spec.table, spec.table.c[spec.key]
    stored = _stored_rows(connection, spec, world_id, pending)
    if spec is _ITEMS:
        _reject_unknown_creators(connection, world_id, pending, rejects, now_ms)
    inserts, updates = [], []
    for key, (body_hash, row, record) in pending.items():
        current = stored.get(key)
        columns = {**row.columns, "body_hash": body_hash, "updated_ms": now_ms}
        if current is None:
            inserts.append({"world_id": world_id, spec.key: key, "created_ms": now_ms, **columns})
        elif current.body_hash == body_hash:
            report.duplicates += 1
        elif _changes_immutable(spec, current._mapping, row.columns):
            rejects.append(_immutable_row(world_id, spec, record, now_ms))
            report.conflicts += 1
        else:
            updates.append({"_world_id": world_id, "_key": key, **columns})
            report.updated += 1
    if inserts:
        connection.execute(table.insert(), inserts)
    if updates:
        connection.execute(
            table.update()
            .where(table.c.world_id == sa.bindparam("_world_id"))
            .where(key_column == sa.bindparam("_key")),
            updates,
        )
    _store_rejects(connection, rejects, report)
    report.accepted = report.submitted - report.duplicates - len(rejects)
    report.rejected = len(rejects) - report.conflicts
    return report


def _reject_unknown_creators(
    connection: sa.Connection,
    world_id: str,
    pending: dict[str, tuple[str, EntityRow, SourceRecord]],
    rejects: list[tuple[dict[str, Any], Problem]],
    now_ms: int,
) -> None:
    wanted = {row.columns["creator_id"] for _, row, _ in pending.values()}
    known = _existing_keys(
        connection, creators.c.creator_id, creators.c.world_id == world_id, wanted
    )
    for key in [k for k, (_, row, _) in pending.items() if row.columns["creator_id"] not in known]:
        _, row, record = pending.pop(key)
        problem = Problem(
            Rule.UNKNOWN_CREATOR,
            f"creator {row.columns['creator_id']!r} is not in world {world_id!r}; "
            "ingest the creator first",
            field="creator_id",
            value=row.columns["creator_id"],
        )
        rejects.append(_reject_row(world_id, RecordKind.ITEMS, record, problem, now_ms))


def _changes_immutable(
    spec: _EntitySpec, before: Mapping[Any, Any], after: Mapping[str, Any]
) -> bool:
    return any(before[column] != after[column] for column in spec.immutable)


def _immutable_row(
    world_id: str, spec: _EntitySpec, record: SourceRecord, now_ms: int
) -> tuple[dict[str, Any], Problem]:
    column = spec.immutable[0]
    value = record.fields.get(column) if record.fields else None
    problem = Problem(
        Rule.CONFLICT,
        f"cannot change from what is stored: an item's {column} decides who is paid, "
        "so it is fixed once the item exists",
        field=column,
        value=value,
    )
    return _reject_row(world_id, spec.kind, record, problem, now_ms)


def _stored_rows(
    connection: sa.Connection, spec: _EntitySpec, world_id: str, keys: Iterable[str]
) -> dict[str, sa.Row[Any]]:
    table = spec.table
    columns = [table.c[spec.key], table.c.body_hash, *(table.c[c] for c in spec.immutable)]
    found: dict[str, sa.Row[Any]] = {}
    for chunk in _chunks(list(keys), _LOOKUP_CHUNK):
        query = sa.select(*columns).where(
            table.c.world_id == world_id, table.c[spec.key].in_(chunk)
        )
        for row in connection.execute(query):
            found[row[0]] = row
    return found


def _has_events(connection: sa.Connection, world_id: str) -> bool:
    query = sa.select(events.c.seq).where(events.c.world_id == world_id).limit(1)
    return connection.execute(query).first() is not None


def _stored_events(
    connection: sa.Connection,
    world_id: str,
    by: sa.Column[Any],
    values: list[Any],
    *scope: sa.ColumnElement[bool],
) -> dict[Any, tuple[Any, ...]]:
    """Stored events whose ``by`` is among ``values``: value -> (event_id, *body), the body
    spelled as ingestion spells a new one."""
    body: list[sa.ColumnElement[Any]] = [events.c[name] for name in _EVENT_COLUMNS[_BODY]]
    body[-1] = sa.cast(events.c.context, sa.Text)  # as stored: canonical JSON text
    query = sa.select(by, events.c.event_id, *body).where(
        events.c.world_id == world_id, is_among(connection, by, values), *scope
    )
    return {value: tuple(stored) for value, *stored in connection.execute(query)}


def _existing_keys(
    connection: sa.Connection,
    key: sa.Column[Any],
    scope: sa.ColumnElement[bool],
    keys: Iterable[str],
) -> set[str]:
    query = sa.select(key).where(scope, is_among(connection, key, list(keys)))
    return set(connection.execute(query).scalars())


def _named_items(records: Sequence[Record]) -> set[str]:
    """The item ids that records name (whatever else they hold: they are checked later)."""
    named = set()
    for record in records:
        if type(record) is dict:
            item_id = record.get("item_id")
        else:
            fields = record.fields if isinstance(record, SourceRecord) else record
            item_id = fields.get("item_id") if isinstance(fields, Mapping) else None
        if type(item_id) is str:
            named.add(item_id)
    return named


def _chunks(values: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _batches(records: Iterable[Record], source: str, size: int) -> Iterator[list[SourceRecord]]:
    for start, batch in _raw_batches(records, size):
        yield [_SourceBatch(source, start, batch).record(i) for i in range(len(batch))]


def _raw_batches(records: Iterable[Record], size: int) -> Iterator[tuple[int, list[Record]]]:
    """Records as given, ``size`` at a time, each list with the number of its first."""
    if size < 1:
        raise ValueError(f"batch_size must be at least 1, got {size}")
    iterator = iter(records)
    start = 0
    while batch := list(islice(iterator, size)):
        yield start, batch
        start += len(batch)


def _from_mapping(record: Any, source: str, index: int) -> SourceRecord:
    location = f"{source}[{index}]"
    if isinstance(record, Mapping):
        return SourceRecord(location, record)
    problem = Problem(Rule.MALFORMED, f"a record must be an object, got {type(record).__name__}")
    return SourceRecord(location, None, problem, raw=repr(record))


def _fold(report: IngestReport, batch: IngestReport, progress: Progress | None) -> None:
    room = MAX_PROBLEMS_IN_REPORT - len(report.problems)
    del batch.problems[max(room, 0) :]
    report.add(batch)
    if progress is not None:
        progress(batch)


def _hash(body: str) -> str:
    return hashlib.blake2b(body.encode(), digest_size=16).hexdigest()


def _conflict_row(
    world_id: str, kind: RecordKind, record: SourceRecord, now_ms: int
) -> tuple[dict[str, Any], Problem]:
    assert record.fields is not None
    problem = Problem(
        Rule.CONFLICT,
        "an accepted event already has this id with a different body; "
        "an event id may be reused only for an exact replay",
        field="event_id",
        value=record.fields.get("event_id"),
    )
    return _reject_row(world_id, kind, record, problem, now_ms)


def _reject_row(
    world_id: str, kind: RecordKind, record: SourceRecord, problem: Problem, now_ms: int
) -> tuple[dict[str, Any], Problem]:
    """The row that keeps a rejected record in the store, and the problem it has."""
    if record.fields is not None:
        raw = json.dumps(record.fields, sort_keys=True, ensure_ascii=False, default=str)
    else:
        raw = record.raw or ""
    row = {
        "world_id": world_id,
        "kind": kind.value,
        "location": _storable(record.location[:1024]),
        "record": _storable(raw[:_MAX_RAW_CHARS]),
        "field": None if problem.field is None else _storable(problem.field)[:_MAX_FIELD_CHARS],
        "value": _value_text(problem.value),
        "rule": problem.rule.value,
        "reason": _storable(problem.message),
        "received_ms": now_ms,
    }
    return row, problem


def _store_rejects(
    connection: sa.Connection,
    rejects: list[tuple[dict[str, Any], Problem]],
    report: IngestReport,
) -> None:
    if not rejects:
        return
    report.problems.extend((row["location"], problem) for row, problem in rejects)
    connection.execute(rejected.insert(), [row for row, _ in rejects])


def _value_text(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return _storable(text[:_MAX_VALUE_CHARS])


def _storable(text: str) -> str:
    """Text every database can keep: NUL and lone surrogates spelled as escapes, not dropped."""
    if is_storable_text(text):
        return text
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
