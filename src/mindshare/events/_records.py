"""What ingestion reads and what it decides: events, problems with records, and reports."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from mindshare.core import from_epoch_ms


class EventType(StrEnum):
    """Every kind of behaviour a world can report."""

    IMPRESSION = "impression"
    VIEW = "view"
    CLICK = "click"
    LIKE = "like"
    COMMENT = "comment"
    SHARE = "share"
    FOLLOW = "follow"
    PURCHASE = "purchase"
    RATE = "rate"
    SESSION_START = "session_start"
    SESSION_END = "session_end"


#: Event types that are about one item, and so must name it.
ITEM_EVENT_TYPES = frozenset(
    {
        EventType.IMPRESSION,
        EventType.VIEW,
        EventType.CLICK,
        EventType.LIKE,
        EventType.COMMENT,
        EventType.SHARE,
        EventType.PURCHASE,
        EventType.RATE,
    }
)


class RecordKind(StrEnum):
    """What a batch of records describes."""

    EVENTS = "events"
    ITEMS = "items"
    PEOPLE = "people"
    CREATORS = "creators"


class Rule(StrEnum):
    """The rule a rejected record broke; rejections are counted by it."""

    MALFORMED = "malformed"  # not parseable, or not an object
    REQUIRED = "required"
    MISSING_COLUMN = "missing_column"
    TYPE = "type"
    CHOICE = "choice"  # not one of the allowed values
    RANGE = "range"
    NAIVE_TIMESTAMP = "naive_timestamp"
    FUTURE_TIMESTAMP = "future_timestamp"
    UNKNOWN_FIELD = "unknown_field"
    UNKNOWN_ITEM = "unknown_item"
    UNKNOWN_CREATOR = "unknown_creator"
    TOO_LARGE = "too_large"
    WORLD_MISMATCH = "world_mismatch"
    CONFLICT = "conflict"  # same id as an accepted record, different body


@dataclass(frozen=True, slots=True)
class Problem:
    """Why one record was rejected: the field, the value found there, and the rule broken."""

    rule: Rule
    message: str
    field: str | None = None
    value: Any = None

    def describe(self) -> str:
        """One sentence a person can act on."""
        return f"{self.field}: {self.message}" if self.field else self.message


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record as read from a source, with where it came from.

    ``fields`` is None when the record could not even be parsed; ``problem`` then says why
    and ``raw`` keeps the original text so that nothing is lost.
    """

    location: str
    fields: Mapping[str, Any] | None
    problem: Problem | None = None
    raw: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """One validated behaviour event; ``ts_ms`` is epoch milliseconds UTC."""

    world_id: str
    event_id: str
    type: EventType
    user_id: str
    ts_ms: int
    item_id: str | None = None
    dwell_ms: int | None = None
    visible_fraction: float | None = None
    position: int | None = None
    surface: str | None = None
    value: float | None = None
    context: dict[str, Any] | None = None

    @property
    def ts(self) -> datetime:
        """The event's time, timezone-aware (UTC)."""
        return from_epoch_ms(self.ts_ms)


class AcceptedView(NamedTuple):
    """A view event a batch stored: what the attention refresh needs to find the views
    whose attention it changes (their items and creators are read back with them)."""

    event_id: str
    user_id: str
    start_ms: int
    #: 0 where the world did not report a dwell.
    dwell_ms: int
    visible_fraction: float | None


@dataclass(slots=True)
class IngestReport:
    """What happened to a batch: ``accepted + duplicates + conflicts + rejected == submitted``.

    ``updated`` counts accepted entity records that changed an existing one; ``people_created``
    counts people first seen in events. ``view_days`` holds the (user id, UTC day number) of
    every accepted view event: the attention the batch can have changed lies around them.
    ``views`` holds a batch's accepted view events themselves (never duplicates, conflicts
    or rejects), for the refresh that runs in the batch's transaction; :meth:`add` does not
    fold them, so a report of a whole import keeps its view days but not every view.
    """

    kind: RecordKind
    submitted: int = 0
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    updated: int = 0
    people_created: int = 0
    problems: list[tuple[str, Problem]] = field(default_factory=list, repr=False)
    view_days: set[tuple[str, int]] = field(default_factory=set, repr=False)
    views: list[AcceptedView] = field(default_factory=list, repr=False)

    def add(self, other: "IngestReport") -> None:
        """Fold another batch's counts, problems and view days into this one."""
        self.submitted += other.submitted
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.conflicts += other.conflicts
        self.rejected += other.rejected
        self.updated += other.updated
        self.people_created += other.people_created
        self.problems.extend(other.problems)
        self.view_days |= other.view_days

    def counts(self) -> dict[str, int]:
        """The five counts every ingestion answers with."""
        return {
            "submitted": self.submitted,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
            "rejected": self.rejected,
        }
