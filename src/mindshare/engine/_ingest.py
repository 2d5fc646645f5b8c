"""Ingest a world's records and keep its attention up to date: the one way data comes in."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from mindshare.attention import refresh_attention_days
from mindshare.events import (
    IngestReport,
    Progress,
    Record,
    RecordKind,
    find_recbole_files,
    ingest_creators,
    ingest_events,
    ingest_items,
    ingest_people,
    recbole_creators,
    recbole_events,
    recbole_items,
    recbole_people,
)

_INGESTERS = {
    RecordKind.CREATORS: ingest_creators,
    RecordKind.ITEMS: ingest_items,
    RecordKind.PEOPLE: ingest_people,
    RecordKind.EVENTS: ingest_events,
}


def ingest(
    database: sa.Engine,
    world_id: str,
    kind: RecordKind,
    records: Iterable[Record],
    *,
    source: str = "api",
    now: datetime | None = None,
    batch_size: int = 10_000,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest records of one kind; when views were accepted, bring the world's attention up
    to date, rewriting only the days of the people those views can have changed."""
    report = _INGESTERS[kind](
        database,
        world_id,
        records,
        source=source,
        now=now,
        batch_size=batch_size,
        progress=progress,
    )
    if kind is RecordKind.EVENTS and report.view_days:
        with database.begin() as connection:
            refresh_attention_days(connection, world_id, report.view_days)
    return report


def ingest_world(
    database: sa.Engine,
    world_id: str,
    records: Mapping[RecordKind, Iterable[Record]],
    *,
    source: str = "api",
    now: datetime | None = None,
    batch_size: int = 10_000,
    progress: Progress | None = None,
) -> dict[RecordKind, IngestReport]:
    """Ingest a whole world in dependency order: creators, items, people, then events."""
    order = (RecordKind.CREATORS, RecordKind.ITEMS, RecordKind.PEOPLE, RecordKind.EVENTS)
    return {
        kind: ingest(
            database,
            world_id,
            kind,
            records[kind],
            source=f"{source}:{kind}",
            now=now,
            batch_size=batch_size,
            progress=progress,
        )
        for kind in order
        if kind in records
    }


def import_recbole(
    database: sa.Engine,
    world_id: str,
    directory: Path,
    *,
    now: datetime | None = None,
    batch_size: int = 10_000,
    progress: Progress | None = None,
) -> dict[RecordKind, IngestReport]:
    """Load a folder of RecBole atomic files (``NAME.inter``, ``.item``, ``.user``) as a world."""
    files = find_recbole_files(directory)
    return ingest_world(
        database,
        world_id,
        {
            RecordKind.CREATORS: recbole_creators(files),
            RecordKind.ITEMS: recbole_items(files),
            RecordKind.PEOPLE: recbole_people(files),
            RecordKind.EVENTS: recbole_events(files),
        },
        source=files.name,
        now=now,
        batch_size=batch_size,
        progress=progress,
    )
