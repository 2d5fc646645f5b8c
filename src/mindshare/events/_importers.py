"""Readers that turn JSONL, CSV and Parquet files into SourceRecords, keeping every bad line.

A file that cannot be opened at all raises UnreadableFile before anything is ingested;
a bad line or row becomes a SourceRecord with its Problem, so the good part of a
half-good file is kept and the rest is reported.
"""

import csv
import json
from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from mindshare.core import UnreadableFile
from mindshare.events._records import Problem, RecordKind, Rule, SourceRecord


class FileFormat(StrEnum):
    """File formats the importers read."""

    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


#: Columns a file of each kind must have; rows of a file without them are all rejected.
REQUIRED_COLUMNS: Mapping[RecordKind, tuple[str, ...]] = {
    RecordKind.EVENTS: ("event_id", "type", "user_id", "ts"),
    RecordKind.ITEMS: ("item_id", "kind", "creator_id"),
    RecordKind.PEOPLE: ("user_id",),
    RecordKind.CREATORS: ("creator_id",),
}

_SUFFIXES = {
    ".jsonl": FileFormat.JSONL,
    ".ndjson": FileFormat.JSONL,
    ".json": FileFormat.JSONL,
    ".csv": FileFormat.CSV,
    ".parquet": FileFormat.PARQUET,
    ".pq": FileFormat.PARQUET,
}
# CSV cells are text: these columns are read as numbers or JSON before validation.
_CSV_INTEGERS = frozenset({"dwell_ms", "position", "price_minor"})
_CSV_NUMBERS = frozenset({"visible_fraction", "value"})
_CSV_JSON = frozenset({"context", "attributes"})


def detect_format(path: Path) -> FileFormat:
    """The format a file's suffix names."""
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise UnreadableFile(
            f"cannot tell the format of {path.name} from its suffix; "
            f"pass --format {'|'.join(FileFormat)}"
        )
    return found


def read_records(
    path: Path, *, kind: RecordKind, file_format: FileFormat | None = None
) -> Iterator[SourceRecord]:
    """Every record of a file, in file order; opens the file now so failures come first."""
    path = Path(path)
    chosen = file_format or detect_format(path)
    if not path.is_file():
        reason = "it is a directory" if path.is_dir() else "no such file"
        raise UnreadableFile(f"cannot read {path}: {reason}")
    try:
        if chosen is FileFormat.JSONL:
            return _read_jsonl(path, path.open("rb"))
        if chosen is FileFormat.CSV:
            handle = path.open(newline="", encoding="utf-8-sig", errors="strict")
            return _read_csv(path, handle, kind)
        return _read_parquet(path, pq.ParquetFile(path), kind)
    except OSError as error:
        raise UnreadableFile(f"cannot read {path}: {error.strerror or error}") from None
    except Exception as error:  # pyarrow raises its own types for a file that is not Parquet
        raise UnreadableFile(f"cannot read {path} as {chosen}: {error}") from None


def _read_jsonl(path: Path, handle: Any) -> Iterator[SourceRecord]:
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            location = f"{path.name}:{number}"
            try:
                text = line.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as error:
                problem = Problem(Rule.MALFORMED, f"line is not valid UTF-8 ({error.reason})")
                yield SourceRecord(location, None, problem, raw=line.decode("utf-8", "replace"))
                continue
            try:
                fields = json.loads(text)
            except json.JSONDecodeError as error:
                problem = Problem(
                    Rule.MALFORMED, f"not valid JSON: {error.msg} at column {error.colno}"
                )
                yield SourceRecord(location, None, problem, raw=text)
                continue
            if not isinstance(fields, dict):
                problem = Problem(
                    Rule.MALFORMED, f"a record must be a JSON object, got {_json_kind(fields)}"
                )
                yield SourceRecord(location, None, problem, raw=text)
                continue
            yield SourceRecord(location, fields)


def _read_csv(path: Path, handle: Any, kind: RecordKind) -> Iterator[SourceRecord]:
    with handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames or []
        except (UnicodeDecodeError, csv.Error) as error:
            raise UnreadableFile(f"cannot read the CSV header of {path}: {error}") from None
        missing = [c for c in REQUIRED_COLUMNS[kind] if c not in header]
        rows = iter(reader)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except UnicodeDecodeError as error:
                problem = Problem(
                    Rule.MALFORMED,
                    f"the file is not valid UTF-8 after line {reader.line_num} ({error.reason}); "
                    "the rest of it was not read",
                )
                yield SourceRecord(f"{path.name}:{reader.line_num + 1}", None, problem, raw="")
                return
            except csv.Error as error:
                problem = Problem(Rule.MALFORMED, f"unreadable CSV row: {error}")
                yield SourceRecord(f"{path.name}:{reader.line_num}", None, problem, raw="")
                continue
            location = f"{path.name}:{reader.line_num}"
            raw = json.dumps(row, ensure_ascii=False)
            if missing:
                problem = Problem(
                    Rule.MISSING_COLUMN,
                    f"the CSV header has no {missing[0]!r} column "
                    f"(a {kind} file needs {', '.join(REQUIRED_COLUMNS[kind])})",
                    field=missing[0],
                )
                yield SourceRecord(location, None, problem, raw=raw)
                continue
            if None in row:  # more cells than header columns
                problem = Problem(Rule.MALFORMED, "row has more cells than the header has columns")
                yield SourceRecord(location, None, problem, raw=raw)
                continue
            yield SourceRecord(location, _typed_csv_row(row))


def _typed_csv_row(row: Mapping[str, str | None]) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    for name, cell in row.items():
        if cell is None or cell == "":
            continue
        typed[name] = _typed_cell(name, cell)
    return typed


def _typed_cell(name: str, cell: str) -> Any:
    """A CSV cell as the type its column holds; left as text when it does not parse."""
    try:
        if name in _CSV_INTEGERS:
            return int(cell)
        if name in _CSV_NUMBERS:
            return float(cell)
        if name in _CSV_JSON:
            return json.loads(cell)
        if name == "tags":
            return json.loads(cell) if cell.startswith("[") else cell.split("|")
    except ValueError:
        return cell
    return cell


def _read_parquet(path: Path, parquet: Any, kind: RecordKind) -> Iterator[SourceRecord]:
    columns = parquet.schema_arrow.names
    missing = [c for c in REQUIRED_COLUMNS[kind] if c not in columns]
    number = 0
    for batch in parquet.iter_batches(batch_size=10_000):
        for row in batch.to_pylist():
            number += 1
            location = f"{path.name}#row{number}"
            fields = {name: value for name, value in row.items() if value is not None}
            if missing:
                problem = Problem(
                    Rule.MISSING_COLUMN,
                    f"the Parquet file has no {missing[0]!r} column",
                    field=missing[0],
                )
                yield SourceRecord(location, None, problem, raw=json.dumps(fields, default=str))
                continue
            yield SourceRecord(location, fields)


def _json_kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
