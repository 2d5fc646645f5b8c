"""read_records: JSONL, CSV and Parquet files become records, every bad line kept and named."""

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from mindshare.core import UnreadableFile
from mindshare.events import (
    FileFormat,
    RecordKind,
    Rule,
    create_world,
    detect_format,
    ingest_creators,
    ingest_events,
    ingest_items,
    list_rejected,
    read_records,
)
from mindshare.store import events

WORLD = "w1"
NOW = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)
TEN_UTC = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
TEN_UTC_MS = int(TEN_UTC.timestamp() * 1000)


def _event(event_id: str, **extra: object) -> dict[str, object]:
    return {
        "event_id": event_id,
        "type": "click",
        "user_id": "u1",
        "item_id": "i1",
        "ts": "2026-01-05T10:00:00Z",
        **extra,
    }


@pytest.fixture
def world(database: sa.Engine) -> sa.Engine:
    with database.begin() as connection:
        create_world(connection, WORLD, now_ms=0)
    ingest_creators(database, WORLD, [{"creator_id": "c1"}], now=NOW)
    ingest_items(database, WORLD, [{"item_id": "i1", "kind": "content", "creator_id": "c1"}])
    return database


def _ingest_file(database: sa.Engine, path: Path):
    return ingest_events(database, WORLD, read_records(path, kind=RecordKind.EVENTS), now=NOW)


def _stored_events(database: sa.Engine) -> list[sa.Row]:
    query = sa.select(events).where(events.c.world_id == WORLD).order_by(events.c.event_id)
    with database.connect() as connection:
        return list(connection.execute(query))


def _rejects(database: sa.Engine) -> list[tuple[str, str, str | None]]:
    with database.connect() as connection:
        return [(r.location, r.rule, r.field) for r in list_rejected(connection, WORLD)]


def test_a_jsonl_file_keeps_its_good_lines_and_names_each_bad_one(
    world: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    lines = [
        json.dumps(_event("e1")).encode(),
        b"",
        b'{"event_id": "e2", "type": ',
        b"[1, 2, 3]",
        b'{"event_id": "e\xff\xfe", "type": "click"}',
        b"   ",
        json.dumps(_event("e3")).encode() + b"\r",
        b'"just a string"',
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")

    report = _ingest_file(world, path)

    assert report.counts() == {
        "submitted": 6,
        "accepted": 2,
        "duplicates": 0,
        "conflicts": 0,
        "rejected": 4,
    }
    assert [row.event_id for row in _stored_events(world)] == ["e1", "e3"]
    assert _rejects(world) == [
        ("events.jsonl:3", "malformed", None),
        ("events.jsonl:4", "malformed", None),
        ("events.jsonl:5", "malformed", None),
        ("events.jsonl:8", "malformed", None),
    ]


def test_a_jsonl_line_that_is_not_an_object_says_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("[1]\nnull\n7\n")

    records = list(read_records(path, kind=RecordKind.EVENTS))

    assert [r.location for r in records] == ["events.jsonl:1", "events.jsonl:2", "events.jsonl:3"]
    assert all(r.fields is None and r.problem.rule is Rule.MALFORMED for r in records)
    assert [r.raw for r in records] == ["[1]", "null", "7"]
    assert "an array" in records[0].problem.message


def test_a_jsonl_line_of_invalid_utf8_is_rejected_as_malformed(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"event_id": "\xc3\x28"}\n')

    [record] = read_records(path, kind=RecordKind.EVENTS)

    assert record.fields is None
    assert record.problem.rule is Rule.MALFORMED
    assert "UTF-8" in record.problem.message
    assert record.raw is not None


def test_a_csv_file_with_typed_columns_is_ingested_with_their_types(
    world: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "event_id,type,user_id,item_id,ts,dwell_ms,visible_fraction,position,value,context\n"
        'e1,view,u1,i1,2026-01-05T12:00:00+02:00,500,0.75,3,4.5,"{""page"": 2}"\n'
        "e2,click,u1,i1,2026-01-05T10:00:00Z,,,,,\n",
        encoding="utf-8",
    )

    report = _ingest_file(world, path)

    assert (report.accepted, report.rejected) == (2, 0)
    first, second = _stored_events(world)
    assert (first.dwell_ms, first.visible_fraction, first.position, first.value) == (
        500,
        0.75,
        3,
        4.5,
    )
    assert first.context == {"page": 2}
    assert first.ts_ms == TEN_UTC_MS
    assert (second.dwell_ms, second.visible_fraction, second.context) == (None, None, None)


def test_a_csv_cell_that_does_not_parse_is_rejected_with_its_type_rule(
    world: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "event_id,type,user_id,item_id,ts,dwell_ms\ne1,view,u1,i1,2026-01-05T10:00:00Z,soon\n"
    )

    report = _ingest_file(world, path)

    assert report.rejected == 1
    assert _rejects(world) == [("events.csv:2", "type", "dwell_ms")]


def test_a_csv_file_without_a_ts_column_has_every_row_rejected_as_missing_column(
    world: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text("event_id,type,user_id,item_id\ne1,click,u1,i1\ne2,click,u1,i1\n")

    report = _ingest_file(world, path)

    assert (report.accepted, report.rejected) == (0, 2)
    assert {problem.rule for _, problem in report.problems} == {Rule.MISSING_COLUMN}
    assert _rejects(world) == [
        ("events.csv:2", "missing_column", "ts"),
        ("events.csv:3", "missing_column", "ts"),
    ]


def test_a_csv_row_with_more_cells_than_columns_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("event_id,type,user_id,ts\ne1,click,u1,2026-01-05T10:00:00Z,extra\n")

    [record] = read_records(path, kind=RecordKind.EVENTS)

    assert record.fields is None
    assert (record.location, record.problem.rule) == ("events.csv:2", Rule.MALFORMED)


def _write_parquet(path: Path, timestamps: pa.Array) -> None:
    table = pa.table(
        {
            "event_id": ["e1", "e2"],
            "type": ["view", "click"],
            "user_id": ["u1", "u2"],
            "item_id": ["i1", "i1"],
            "ts": timestamps,
            "dwell_ms": pa.array([1_200, None], pa.int64()),
        }
    )
    pq.write_table(table, path)


@pytest.mark.parametrize("zone", ["UTC", "+02:00"])
def test_a_parquet_file_with_a_timezone_aware_timestamp_column_is_ingested(
    world: sa.Engine, tmp_path: Path, zone: str
) -> None:
    path = tmp_path / "events.parquet"
    offset = timezone(timedelta(hours=2)) if zone != "UTC" else UTC
    moments = [TEN_UTC.astimezone(offset), TEN_UTC.astimezone(offset)]
    _write_parquet(path, pa.array(moments, pa.timestamp("ms", tz=zone)))

    report = _ingest_file(world, path)

    assert (report.accepted, report.rejected) == (2, 0)
    stored = _stored_events(world)
    assert [row.ts_ms for row in stored] == [TEN_UTC_MS, TEN_UTC_MS]
    assert [row.dwell_ms for row in stored] == [1_200, None]


def test_a_parquet_file_with_a_naive_timestamp_column_is_rejected_as_naive(
    world: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "events.parquet"
    naive = TEN_UTC.replace(tzinfo=None)
    _write_parquet(path, pa.array([naive, naive], pa.timestamp("ms")))

    report = _ingest_file(world, path)

    assert (report.accepted, report.rejected) == (0, 2)
    assert _rejects(world) == [
        ("events.parquet#row1", "naive_timestamp", "ts"),
        ("events.parquet#row2", "naive_timestamp", "ts"),
    ]


def test_a_missing_file_raises_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="no such file"):
        read_records(tmp_path / "absent.jsonl", kind=RecordKind.EVENTS)


def test_a_directory_raises_unreadable_file(tmp_path: Path) -> None:
    folder = tmp_path / "events.csv"
    folder.mkdir()

    with pytest.raises(UnreadableFile, match="directory"):
        read_records(folder, kind=RecordKind.EVENTS)


def test_a_file_that_is_not_parquet_raises_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_text("event_id,type\ne1,click\n")

    with pytest.raises(UnreadableFile, match=r"x\.parquet"):
        read_records(path, kind=RecordKind.EVENTS)


def test_an_unknown_suffix_raises_unreadable_file_naming_the_format_option(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.txt"
    path.write_text(json.dumps(_event("e1")) + "\n")

    with pytest.raises(UnreadableFile, match="--format"):
        read_records(path, kind=RecordKind.EVENTS)


def test_an_explicit_format_overrides_the_suffix(tmp_path: Path) -> None:
    path = tmp_path / "events.txt"
    path.write_text(json.dumps(_event("e1")) + "\n")

    [record] = read_records(path, kind=RecordKind.EVENTS, file_format=FileFormat.JSONL)

    assert record.fields == _event("e1")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.jsonl", FileFormat.JSONL),
        ("a.NDJSON", FileFormat.JSONL),
        ("a.json", FileFormat.JSONL),
        ("a.csv", FileFormat.CSV),
        ("a.parquet", FileFormat.PARQUET),
        ("a.pq", FileFormat.PARQUET),
    ],
)
def test_the_format_is_detected_from_the_suffix(name: str, expected: FileFormat) -> None:
    assert detect_format(Path(name)) is expected
