"""Importing a RecBole dataset (MovieLens-100k) as a world, and importing it again."""

import csv
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from mindshare.core import InputError, UnreadableFile
from mindshare.events import (
    create_world,
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
from mindshare.store import events, items, people, rejected

WORLD = "ml"
NOW = datetime(2026, 1, 6, tzinfo=UTC)


def _count(database: sa.Engine, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    query = sa.select(sa.func.count()).select_from(table).where(table.c.world_id == WORLD, *where)
    with database.connect() as connection:
        return connection.execute(query).scalar_one()


def _ratings(inter: Path) -> Counter[tuple[str, str, float]]:
    with inter.open(newline="") as handle:
        rows = csv.reader(handle, delimiter="\t")
        next(rows)
        return Counter((user, item, float(rating)) for user, item, rating, _ in rows)


def test_movielens_100k_imports_as_a_world_and_reimports_as_duplicates(
    sqlite_database: sa.Engine, movielens_100k: Path
) -> None:
    files = find_recbole_files(movielens_100k)
    with sqlite_database.begin() as connection:
        create_world(connection, WORLD, now_ms=0)
    started = time.monotonic()

    creators = ingest_creators(sqlite_database, WORLD, recbole_creators(files), now=NOW)
    catalogue = ingest_items(sqlite_database, WORLD, recbole_items(files), now=NOW)
    audience = ingest_people(sqlite_database, WORLD, recbole_people(files), now=NOW)
    first = ingest_events(sqlite_database, WORLD, recbole_events(files), now=NOW, batch_size=20_000)
    again = ingest_events(sqlite_database, WORLD, recbole_events(files), now=NOW, batch_size=20_000)

    assert time.monotonic() - started < 60
    assert (creators.accepted, catalogue.accepted, audience.accepted) == (1, 1_682, 943)
    assert first.counts() == {
        "submitted": 100_000,
        "accepted": 100_000,
        "duplicates": 0,
        "conflicts": 0,
        "rejected": 0,
    }
    assert first.people_created == 0
    assert again.counts() == {
        "submitted": 100_000,
        "accepted": 0,
        "duplicates": 100_000,
        "conflicts": 0,
        "rejected": 0,
    }
    assert _count(sqlite_database, events) == 100_000
    assert _count(sqlite_database, events, events.c.type == "rate") == 100_000
    assert _count(sqlite_database, events, events.c.dwell_ms.is_not(None)) == 0
    assert _count(sqlite_database, people) == 943
    assert _count(sqlite_database, items) == 1_682
    assert _count(sqlite_database, items, items.c.creator_id == "ml-100k-catalog") == 1_682
    assert _count(sqlite_database, rejected) == 0
    query = sa.select(events.c.user_id, events.c.item_id, events.c.value)
    with sqlite_database.connect() as connection:
        stored = Counter(tuple(row) for row in connection.execute(query))
    assert stored == _ratings(files.inter)


def test_recbole_rows_become_rate_events_items_and_people(movielens_100k: Path) -> None:
    files = find_recbole_files(movielens_100k)

    first_event = next(recbole_events(files))
    first_item = next(recbole_items(files))
    first_person = next(recbole_people(files))

    assert first_event.location == "ml-100k.inter:2"
    assert first_event.fields == {
        "event_id": "rate:196:242:881250949",
        "type": "rate",
        "user_id": "196",
        "item_id": "242",
        "ts": datetime.fromtimestamp(881250949, UTC),
        "value": 3.0,
    }
    assert first_item.fields["item_id"] == "1"
    assert first_item.fields["title"] == "Toy Story"
    assert first_item.fields["creator_id"] == "ml-100k-catalog"
    assert first_item.fields["tags"] == ["Animation", "Children's", "Comedy"]
    assert first_person.fields["user_id"] == "1"
    assert first_person.fields["attributes"]["occupation"] == "technician"


def test_a_folder_without_an_inter_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.inter"):
        find_recbole_files(tmp_path)


def test_a_missing_recbole_folder_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile):
        find_recbole_files(tmp_path / "absent")
