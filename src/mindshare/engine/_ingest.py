"""Ingest a world's records and keep its attention up to date: the one way data comes in."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from mindshare.attention import refresh_attention_views
from mindshare.events import (
    BULK_BATCH_SIZE,
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
}


def ingest(
    database: sa.Engine,
    world_id: str,
    kind: RecordKind,
    records: Iterable[Record],
    *,
    source: str = "api",
    now: datetime | None = None,
    batch_size: int = BULK_BATCH_SIZE,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest records of one kind; events keep the world's attention up to date.

    Each events batch adds what its accepted views change to ``attention_daily`` in the
    transaction that stores them (:func:`mindshare.attention.refresh_attention_views`):
    the cost follows the batch, not the day, and concurrent ingests of one world take
    turns at the world's lock, each counting the views the one before it committed.
    """
    if kind is not RecordKind.EVENTS:
        return _INGESTERS[kind](
            database,
            world_id,
            records,
            source=source,
            now=now,
            batch_size=batch_size,
            progress=progress,
        )

    def count_attention(connection: sa.Connection, batch: IngestReport) -> None:
        refresh_attention_views(connection, world_id, batch.views)

    return ingest_events(
        database,
        world_id,
        records,
        source=source,
        now=now,
        batch_size=batch_size,
        progress=progress,
        on_batch=count_attention,
    )


def ingest_world(
    database: sa.Engine,
    world_id: str,
    records: Mapping[RecordKind, Iterable[Record]],
    *,
    source: str = "api",
    now: datetime | None = None,
    batch_size: int = BULK_BATCH_SIZE,
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
    batch_size: int = BULK_BATCH_SIZE,
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
