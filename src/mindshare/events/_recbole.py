"""Reading RecBole atomic files (``NAME.inter``, ``NAME.item``, ``NAME.user``) as a world.

Ratings become ``rate`` events whose value is the rating; nothing is invented (MovieLens
has no dwell time, so its events carry none). The data names no creators, so its whole
catalogue is credited to one creator, ``NAME-catalog``.
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mindshare.core import InputError, UnreadableFile
from mindshare.events._records import Problem, Rule, SourceRecord

_TEXT_TYPES = ("token", "token_seq")


@dataclass(frozen=True, slots=True)
class RecboleFiles:
    """The atomic files of one RecBole dataset folder."""

    name: str
    inter: Path
    item: Path | None
    user: Path | None

    @property
    def creator_id(self) -> str:
        """The one creator the catalogue is credited to."""
        return f"{self.name}-catalog"


def find_recbole_files(directory: Path) -> RecboleFiles:
    """The ``NAME.inter`` (required), ``NAME.item`` and ``NAME.user`` files in a folder."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UnreadableFile(f"cannot read {directory}: not a directory of RecBole atomic files")
    inters = sorted(directory.glob("*.inter"))
    if len(inters) != 1:
        found = ", ".join(p.name for p in inters) or "none"
        raise InputError(f"{directory} must hold exactly one NAME.inter file (found: {found})")
    name = inters[0].stem
    item, user = directory / f"{name}.item", directory / f"{name}.user"
    return RecboleFiles(
        name, inters[0], item if item.is_file() else None, user if user.is_file() else None
    )


def recbole_creators(files: RecboleFiles) -> list[dict[str, Any]]:
    """The one catalogue creator."""
    return [{"creator_id": files.creator_id, "name": f"{files.name} catalogue"}]


def recbole_items(files: RecboleFiles) -> Iterator[SourceRecord]:
    """Items from ``NAME.item``: every text-like column feeds the title, text and tags."""
    if files.item is None:
        return
    for location, row, types in read_atomic_rows(files.item):
        item_id = row.pop("item_id", None)
        title_column = next((c for c in row if "title" in c or "name" in c), None)
        title = row.get(title_column, "") if title_column else ""
        text_columns = [c for c in row if types[c] in _TEXT_TYPES and row[c]]
        tags = [
            tag
            for c in text_columns
            if types[c] == "token_seq" and c != title_column
            for tag in row[c].split()
        ]
        fields: dict[str, Any] = {
            "item_id": item_id,
            "kind": "content",
            "creator_id": files.creator_id,
            "title": title,
            "text": "; ".join(f"{c}: {row[c]}" for c in text_columns),
        }
        if tags:
            fields["tags"] = tags
        yield SourceRecord(location, fields)


def recbole_people(files: RecboleFiles) -> Iterator[SourceRecord]:
    """People from ``NAME.user``; their other columns become attributes."""
    if files.user is None:
        return
    for location, row, types in read_atomic_rows(files.user):
        user_id = row.pop("user_id", None)
        attributes = {c: _typed(v, types[c]) for c, v in row.items() if v != ""}
        yield SourceRecord(location, {"user_id": user_id, "attributes": attributes})


def recbole_events(files: RecboleFiles) -> Iterator[SourceRecord]:
    """One ``rate`` event per interaction, in file order, with a content-derived id."""
    for location, row, _ in read_atomic_rows(files.inter):
        stamp = row.get("timestamp")
        try:
            ts = datetime.fromtimestamp(float(stamp), UTC) if stamp else None
        except (TypeError, ValueError, OverflowError):
            problem = Problem(Rule.TYPE, "must be a Unix time in seconds", "timestamp", stamp)
            yield SourceRecord(location, None, problem, raw=repr(row))
            continue
        fields: dict[str, Any] = {
            "event_id": f"rate:{row.get('user_id')}:{row.get('item_id')}:{stamp}",
            "type": "rate",
            "user_id": row.get("user_id"),
            "item_id": row.get("item_id"),
            "ts": ts,
        }
        rating = row.get("rating")
        if rating:
            try:
                fields["value"] = float(rating)
            except ValueError:
                fields["value"] = rating  # validation rejects it with its reason
        yield SourceRecord(location, fields)


def read_atomic_rows(path: Path) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    """Rows of a tab-separated atomic file as {column: text}, with each column's RecBole type."""
    try:
        handle = path.open(newline="", encoding="utf-8", errors="strict")
    except OSError as error:
        raise UnreadableFile(f"cannot read {path}: {error.strerror or error}") from None
    with handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if not header:
            raise InputError(f"{path} is empty: a RecBole atomic file starts with a header")
        names, types = [], {}
        for column in header:
            name, _, kind = column.partition(":")
            names.append(name)
            types[name] = kind or "token"
        for number, cells in enumerate(reader, start=2):
            yield f"{path.name}:{number}", dict(zip(names, cells, strict=False)), types


def _typed(value: str, kind: str) -> Any:
    if kind == "float":
        try:
            return float(value)
        except ValueError:
            return value
    return value
