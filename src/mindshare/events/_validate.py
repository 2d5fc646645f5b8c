"""Validation of single records: each returns a clean value or the first Problem found.

Validators are strict on purpose (money and payouts follow from these records): wrong
types are not coerced, unknown fields are refused, and timestamps must carry an offset.
"""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

import msgspec

from mindshare.core import ItemKind, is_currency_code, to_epoch_ms
from mindshare.events._records import ITEM_EVENT_TYPES, Event, EventType, Problem, Rule

EVENT_FIELDS = frozenset(
    {
        "event_id",
        "world_id",
        "type",
        "user_id",
        "ts",
        "item_id",
        "dwell_ms",
        "visible_fraction",
        "position",
        "surface",
        "value",
        "context",
    }
)
ITEM_FIELDS = frozenset(
    {
        "item_id",
        "world_id",
        "kind",
        "creator_id",
        "title",
        "text",
        "tags",
        "price_minor",
        "currency",
    }
)
CREATOR_FIELDS = frozenset({"creator_id", "world_id", "name", "attributes"})
PERSON_FIELDS = frozenset({"user_id", "world_id", "attributes"})

_EVENT_TYPES = {t.value: t for t in EventType}
#: The same as plain strings, for the fast path (an enum member costs more to read back).
_EVENT_TYPE_NAMES = frozenset(_EVENT_TYPES)
_ITEM_EVENT_TYPE_NAMES = frozenset(t.value for t in ITEM_EVENT_TYPES)
_VIEW = EventType.VIEW.value
_ITEM_KINDS = {k.value: k for k in ItemKind}
_EPOCH_MS_MIN = 0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what a record may hold; a world may tighten or loosen them."""

    max_id_length: int = 128
    max_text_length: int = 65_536
    max_json_bytes: int = 4_096
    max_dwell_ms: int = 86_400_000
    max_clock_skew_ms: int = 300_000
    max_tags: int = 64


class Invalid(Exception):
    """Internal: carries the Problem out of nested checks."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _fail(rule: Rule, field: str | None, value: Any, message: str) -> Invalid:
    return Invalid(Problem(rule=rule, message=message, field=field, value=value))


def _identifier(fields: Mapping[str, Any], name: str, limits: Limits) -> str:
    value = fields.get(name)
    if value is None or value == "":
        raise _fail(Rule.REQUIRED, name, value, "is required")
    if not isinstance(value, str):
        raise _fail(Rule.TYPE, name, value, f"must be a string, got {type(value).__name__}")
    if len(value) > limits.max_id_length or not value.isprintable():
        raise _fail(
            Rule.RANGE,
            name,
            value,
            f"must be at most {limits.max_id_length} printable characters",
        )
    return value


def _optional_identifier(fields: Mapping[str, Any], name: str, limits: Limits) -> str | None:
    return None if fields.get(name) is None else _identifier(fields, name, limits)


def is_storable_text(text: str) -> bool:
    """Whether every database can store ``text``: valid Unicode (no lone surrogate), no NUL."""
    if text.isascii():  # the usual case, and valid UTF-8 by construction
        return "\x00" not in text
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _optional_text(fields: Mapping[str, Any], name: str, max_length: int) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(Rule.TYPE, name, value, f"must be a string, got {type(value).__name__}")
    if not is_storable_text(value):
        raise _fail(Rule.TYPE, name, value, "must be valid Unicode text without NUL characters")
    if len(value) > max_length:
        raise _fail(Rule.RANGE, name, value, f"must be at most {max_length} characters")
    return value


def _choice(fields: Mapping[str, Any], name: str, options: Mapping[str, T], what: str) -> T:
    """The option a required field names, refusing anything not among ``options``."""
    value = fields.get(name)
    if value is None or value == "":
        raise _fail(Rule.REQUIRED, name, value, "is required")
    found = options.get(value) if isinstance(value, str) else None
    if found is None:
        raise _fail(
            Rule.CHOICE, name, value, f"{value!r} is not {what} (one of: {', '.join(options)})"
        )
    return found


def _optional_int(fields: Mapping[str, Any], name: str, *, low: int, high: int) -> int | None:
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(Rule.TYPE, name, value, f"must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise _fail(Rule.RANGE, name, value, f"must be between {low} and {high}, got {value}")
    return value


def _optional_number(fields: Mapping[str, Any], name: str) -> float | None:
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(Rule.TYPE, name, value, f"must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise _fail(Rule.RANGE, name, value, f"must be a finite number, got {value}")
    return float(value)


def _optional_json_object(
    fields: Mapping[str, Any], name: str, limits: Limits
) -> dict[str, Any] | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail(Rule.TYPE, name, value, f"must be a JSON object, got {type(value).__name__}")
    try:
        size = len(canonical_json(value).encode())
    except (TypeError, ValueError) as error:
        raise _fail(Rule.TYPE, name, value, f"must hold only JSON values ({error})") from None
    if size > limits.max_json_bytes:
        raise _fail(
            Rule.TOO_LARGE,
            name,
            f"{size} bytes",
            f"is {size} bytes as JSON, more than the limit of {limits.max_json_bytes}",
        )
    return value


def _timestamp(fields: Mapping[str, Any], name: str, now_ms: int, limits: Limits) -> int:
    value = fields.get(name)
    if value is None or value == "":
        raise _fail(Rule.REQUIRED, name, value, "is required")
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _fail(
                Rule.TYPE,
                name,
                value,
                "must be an ISO 8601 time with a UTC offset, e.g. 2026-01-05T10:00:00Z",
            ) from None
    elif isinstance(value, datetime):
        moment = value
    else:
        raise _fail(
            Rule.TYPE,
            name,
            value,
            f"must be an ISO 8601 string with a UTC offset, got {type(value).__name__}",
        )
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _fail(
            Rule.NAIVE_TIMESTAMP,
            name,
            value,
            "has no UTC offset, so its instant is unknown; add one, e.g. Z or +02:00",
        )
    epoch_ms = to_epoch_ms(moment)
    if epoch_ms < _EPOCH_MS_MIN:
        raise _fail(Rule.RANGE, name, value, "is before 1970-01-01")
    if epoch_ms > now_ms + limits.max_clock_skew_ms:
        raise _fail(
            Rule.FUTURE_TIMESTAMP,
            name,
            value,
            f"is {(epoch_ms - now_ms) // 1000} s in the future; "
            f"at most {limits.max_clock_skew_ms // 1000} s of clock skew is allowed",
        )
    return epoch_ms


def _check_fields(fields: Mapping[str, Any], allowed: frozenset[str], world_id: str) -> None:
    for name in fields:
        if name not in allowed:
            raise _fail(
                Rule.UNKNOWN_FIELD,
                str(name),
                fields[name],
                f"is not a field of this record (allowed: {', '.join(sorted(allowed))})",
            )
    claimed = fields.get("world_id")
    if claimed is not None and claimed != world_id:
        raise _fail(
            Rule.WORLD_MISMATCH,
            "world_id",
            claimed,
            f"says {claimed!r} but the record is being ingested into world {world_id!r}",
        )


def canonical_json(value: Any) -> str:
    """The one JSON spelling of a value (sorted keys, no spaces) used for hashing and sizes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


class _WellFormedEvent(msgspec.Struct, forbid_unknown_fields=True):
    """The shape of a valid event, checked in C by msgspec; the rules that depend on limits,
    on the event's type or on the clock are checked after it."""

    event_id: Annotated[str, msgspec.Meta(min_length=1)]
    type: str  # one of _EVENT_TYPE_NAMES, checked after
    user_id: Annotated[str, msgspec.Meta(min_length=1)]
    # Parsed by the same rule as the rule-by-rule path, so both read every spelling alike.
    ts: Any
    world_id: str | None = None
    item_id: Annotated[str, msgspec.Meta(min_length=1)] | None = None
    dwell_ms: Annotated[int, msgspec.Meta(ge=0)] | None = None
    visible_fraction: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] | None = None
    position: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | None = None
    surface: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    value: float | None = None
    context: dict[str, Any] | None = None


#: A validated event as the values of its columns, in this order: event_id, type, user_id,
#: ts_ms, item_id, dwell_ms, visible_fraction, position, surface, value, context.
EventRow = tuple[
    str,
    str,
    str,
    int,
    str | None,
    int | None,
    float | None,
    int | None,
    str | None,
    float | None,
    dict[str, Any] | None,
]


def validate_event(
    fields: Mapping[str, Any], *, world_id: str, now_ms: int, limits: Limits
) -> Event | Problem:
    """A validated Event, or the first Problem with the record.

    Well-formed records take a fast path; any record it does not accept is checked rule by
    rule, which decides and names the problem.
    """
    row = _accept_well_formed(fields, world_id, now_ms, limits)
    if row is None:
        return _explain_event(fields, world_id=world_id, now_ms=now_ms, limits=limits)
    return _event_of_row(row, world_id)


def validate_event_row(
    fields: Mapping[str, Any], *, world_id: str, now_ms: int, limits: Limits
) -> EventRow | Problem:
    """``validate_event`` for bulk ingestion: the same verdict, as a plain tuple of values.

    It skips building an ``Event``, which costs more than the checks on a well-formed record.
    """
    row = _accept_well_formed(fields, world_id, now_ms, limits)
    if row is not None:
        return row
    event = _explain_event(fields, world_id=world_id, now_ms=now_ms, limits=limits)
    if isinstance(event, Problem):
        return event
    return _row_of_event(event)


def _event_of_row(row: EventRow, world_id: str) -> Event:
    event_id, event_type, user_id, ts_ms, item_id, dwell_ms, fraction, position = row[:8]
    return Event(
        world_id=world_id,
        event_id=event_id,
        type=EventType(event_type),
        user_id=user_id,
        ts_ms=ts_ms,
        item_id=item_id,
        dwell_ms=dwell_ms,
        visible_fraction=fraction,
        position=position,
        surface=row[8],
        value=row[9],
        context=row[10],
    )


def _row_of_event(event: Event) -> EventRow:
    return (
        event.event_id,
        event.type.value,
        event.user_id,
        event.ts_ms,
        event.item_id,
        event.dwell_ms,
        event.visible_fraction,
        event.position,
        event.surface,
        event.value,
        event.context,
    )


def _accept_well_formed(
    fields: Mapping[str, Any], world_id: str, now_ms: int, limits: Limits
) -> EventRow | None:
    """The event's values when the record passes every rule, else None (without saying why)."""
    try:
        shape = msgspec.convert(fields, _WellFormedEvent)
    except msgspec.ValidationError:
        return None
    max_id = limits.max_id_length
    event_id, user_id, event_type = shape.event_id, shape.user_id, shape.type
    item_id, dwell_ms, value, surface = shape.item_id, shape.dwell_ms, shape.value, shape.surface
    if (
        type(event_type) is not str  # an EventType, say: the rule-by-rule path stores its value
        or event_type not in _EVENT_TYPE_NAMES
        or (shape.world_id is not None and shape.world_id != world_id)
        or len(event_id) > max_id
        or len(user_id) > max_id
        or not (event_id.isprintable() and user_id.isprintable())
        or (item_id is None and event_type in _ITEM_EVENT_TYPE_NAMES)
        or (item_id is not None and (len(item_id) > max_id or not item_id.isprintable()))
        or (dwell_ms is None and event_type == _VIEW)
        or (dwell_ms is not None and dwell_ms > limits.max_dwell_ms)
        or (value is not None and not math.isfinite(value))
        or (surface is not None and not is_storable_text(surface))
    ):
        return None
    ts_ms = _well_formed_timestamp(shape.ts, now_ms, limits)
    if ts_ms is None:
        return None
    context = shape.context
    if context is not None:
        try:
            if len(canonical_json(context).encode()) > limits.max_json_bytes:
                return None
        except (TypeError, ValueError):
            return None
    return (
        event_id,
        event_type,
        user_id,
        ts_ms,
        item_id,
        dwell_ms,
        shape.visible_fraction,
        shape.position,
        surface,
        value,
        context,
    )


def _well_formed_timestamp(value: Any, now_ms: int, limits: Limits) -> int | None:
    """``_timestamp``'s verdict on a valid time, in fewer steps; None for anything else."""
    if type(value) is str:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    elif isinstance(value, datetime):
        moment = value
    else:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    epoch_ms: int = (moment - _EPOCH) // _ONE_MS
    if epoch_ms < _EPOCH_MS_MIN or epoch_ms > now_ms + limits.max_clock_skew_ms:
        return None
    return epoch_ms


def _explain_event(
    fields: Mapping[str, Any], *, world_id: str, now_ms: int, limits: Limits
) -> Event | Problem:
    """Every event rule in turn: the first one broken, or the Event when none is."""
    try:
        _check_fields(fields, EVENT_FIELDS, world_id)
        event_id = _identifier(fields, "event_id", limits)
        event_type = _choice(fields, "type", _EVENT_TYPES, "an event type")
        user_id = _identifier(fields, "user_id", limits)
        ts_ms = _timestamp(fields, "ts", now_ms, limits)
        item_id = _optional_identifier(fields, "item_id", limits)
        if item_id is None and event_type in ITEM_EVENT_TYPES:
            raise _fail(Rule.REQUIRED, "item_id", None, f"is required for {event_type} events")
        dwell_ms = _optional_int(fields, "dwell_ms", low=0, high=limits.max_dwell_ms)
        if dwell_ms is None and event_type is EventType.VIEW:
            raise _fail(Rule.REQUIRED, "dwell_ms", None, "is required for view events")
        visible_fraction = _optional_number(fields, "visible_fraction")
        if visible_fraction is not None and not 0.0 <= visible_fraction <= 1.0:
            raise _fail(
                Rule.RANGE,
                "visible_fraction",
                fields["visible_fraction"],
                f"must be between 0 and 1, got {fields['visible_fraction']}",
            )
        return Event(
            world_id=world_id,
            event_id=event_id,
            type=event_type,
            user_id=user_id,
            ts_ms=ts_ms,
            item_id=item_id,
            dwell_ms=dwell_ms,
            visible_fraction=visible_fraction,
            position=_optional_int(fields, "position", low=0, high=1_000_000),
            surface=_optional_text(fields, "surface", 64),
            value=_optional_number(fields, "value"),
            context=_optional_json_object(fields, "context", limits),
        )
    except Invalid as invalid:
        return invalid.problem


@dataclass(frozen=True, slots=True)
class EntityRow:
    """A validated item, creator or person: its key and the columns to store."""

    key: str
    columns: dict[str, Any]


def validate_creator(
    fields: Mapping[str, Any], *, world_id: str, limits: Limits
) -> EntityRow | Problem:
    """A validated creator row, or the first Problem with the record."""
    try:
        _check_fields(fields, CREATOR_FIELDS, world_id)
        creator_id = _identifier(fields, "creator_id", limits)
        return EntityRow(
            creator_id,
            {
                "name": _optional_text(fields, "name", 256) or "",
                "attributes": _optional_json_object(fields, "attributes", limits),
            },
        )
    except Invalid as invalid:
        return invalid.problem


def validate_person(
    fields: Mapping[str, Any], *, world_id: str, limits: Limits
) -> EntityRow | Problem:
    """A validated person row, or the first Problem with the record."""
    try:
        _check_fields(fields, PERSON_FIELDS, world_id)
        user_id = _identifier(fields, "user_id", limits)
        return EntityRow(
            user_id, {"attributes": _optional_json_object(fields, "attributes", limits)}
        )
    except Invalid as invalid:
        return invalid.problem


def validate_item(
    fields: Mapping[str, Any], *, world_id: str, limits: Limits
) -> EntityRow | Problem:
    """A validated item row, or the first Problem with the record."""
    try:
        _check_fields(fields, ITEM_FIELDS, world_id)
        item_id = _identifier(fields, "item_id", limits)
        kind = _choice(fields, "kind", _ITEM_KINDS, "an item kind")
        creator_id = _identifier(fields, "creator_id", limits)
        price_minor = _optional_int(fields, "price_minor", low=0, high=2**62)
        currency = _optional_text(fields, "currency", 12)
        if price_minor is not None and currency is None:
            raise _fail(Rule.REQUIRED, "currency", None, "is required when price_minor is given")
        if currency is not None and not is_currency_code(currency):
            raise _fail(
                Rule.CHOICE, "currency", currency, "must be a currency code such as USD or GEMS"
            )
        return EntityRow(
            item_id,
            {
                "kind": kind.value,
                "creator_id": creator_id,
                "title": _optional_text(fields, "title", 512) or "",
                "text": _optional_text(fields, "text", limits.max_text_length) or "",
                "tags": _tags(fields, limits),
                "price_minor": price_minor,
                "currency": currency,
            },
        )
    except Invalid as invalid:
        return invalid.problem


def _tags(fields: Mapping[str, Any], limits: Limits) -> list[str] | None:
    value = fields.get("tags")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise _fail(Rule.TYPE, "tags", value, "must be a list of strings")
    if len(value) > limits.max_tags:
        raise _fail(Rule.TOO_LARGE, "tags", len(value), f"must hold at most {limits.max_tags} tags")
    return value
