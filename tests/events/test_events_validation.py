"""validate_event: every bad input gets its precise rule and field; good input is normalised."""

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mindshare.core import to_epoch_ms
from mindshare.events import (
    ITEM_EVENT_TYPES,
    Event,
    EventType,
    Limits,
    Problem,
    Rule,
    validate_event,
)
from mindshare.events._validate import (
    _accept_well_formed,
    _explain_event,
    _row_of_event,
    validate_event_row,
)

WORLD = "w1"
NOW = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)
NOW_MS = to_epoch_ms(NOW)
TEN_UTC = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
VIEW = {
    "event_id": "e1",
    "type": "view",
    "user_id": "u1",
    "item_id": "i1",
    "ts": "2026-01-05T10:00:00Z",
    "dwell_ms": 1_500,
}


def _validate(fields: dict[str, Any], limits: Limits = Limits()) -> Event | Problem:
    return validate_event(fields, world_id=WORLD, now_ms=NOW_MS, limits=limits)


def _without(name: str) -> dict[str, Any]:
    return {key: value for key, value in VIEW.items() if key != name}


BAD_EVENTS = {
    "dwell_ms as a string": ({**VIEW, "dwell_ms": "500"}, Rule.TYPE, "dwell_ms"),
    "dwell_ms as a boolean": ({**VIEW, "dwell_ms": True}, Rule.TYPE, "dwell_ms"),
    "dwell_ms as a float": ({**VIEW, "dwell_ms": 500.0}, Rule.TYPE, "dwell_ms"),
    "user_id as a number": ({**VIEW, "user_id": 42}, Rule.TYPE, "user_id"),
    "ts as a number": ({**VIEW, "ts": 1_767_607_200}, Rule.TYPE, "ts"),
    "ts not a time": ({**VIEW, "ts": "yesterday"}, Rule.TYPE, "ts"),
    "unknown event type": ({**VIEW, "type": "hover"}, Rule.CHOICE, "type"),
    "missing type": (_without("type"), Rule.REQUIRED, "type"),
    "missing event_id": (_without("event_id"), Rule.REQUIRED, "event_id"),
    "empty event_id": ({**VIEW, "event_id": ""}, Rule.REQUIRED, "event_id"),
    "missing user_id": (_without("user_id"), Rule.REQUIRED, "user_id"),
    "missing ts": (_without("ts"), Rule.REQUIRED, "ts"),
    "naive timestamp": ({**VIEW, "ts": "2026-01-05T10:00:00"}, Rule.NAIVE_TIMESTAMP, "ts"),
    "naive datetime": ({**VIEW, "ts": datetime(2026, 1, 5, 10)}, Rule.NAIVE_TIMESTAMP, "ts"),
    "far-future timestamp": (
        {**VIEW, "ts": "2027-01-01T00:00:00Z"},
        Rule.FUTURE_TIMESTAMP,
        "ts",
    ),
    "timestamp before 1970": ({**VIEW, "ts": "1969-12-31T23:59:59Z"}, Rule.RANGE, "ts"),
    "negative dwell": ({**VIEW, "dwell_ms": -1}, Rule.RANGE, "dwell_ms"),
    "dwell over a day": ({**VIEW, "dwell_ms": 86_400_001}, Rule.RANGE, "dwell_ms"),
    "visible_fraction above 1": ({**VIEW, "visible_fraction": 1.5}, Rule.RANGE, "visible_fraction"),
    "visible_fraction below 0": (
        {**VIEW, "visible_fraction": -0.1},
        Rule.RANGE,
        "visible_fraction",
    ),
    "visible_fraction NaN": (
        {**VIEW, "visible_fraction": math.nan},
        Rule.RANGE,
        "visible_fraction",
    ),
    "oversize context": ({**VIEW, "context": {"blob": "x" * 4_100}}, Rule.TOO_LARGE, "context"),
    "context a list": ({**VIEW, "context": ["a", "b"]}, Rule.TYPE, "context"),
    "context a string": ({**VIEW, "context": '{"a": 1}'}, Rule.TYPE, "context"),
    "unknown field": ({**VIEW, "colour": "red"}, Rule.UNKNOWN_FIELD, "colour"),
    "world_id mismatch": ({**VIEW, "world_id": "w2"}, Rule.WORLD_MISMATCH, "world_id"),
    "view without item_id": (_without("item_id"), Rule.REQUIRED, "item_id"),
    "view without dwell_ms": (_without("dwell_ms"), Rule.REQUIRED, "dwell_ms"),
    "infinite value": ({**VIEW, "value": math.inf}, Rule.RANGE, "value"),
    "NaN value": ({**VIEW, "value": math.nan}, Rule.RANGE, "value"),
    "too long event_id": ({**VIEW, "event_id": "e" * 129}, Rule.RANGE, "event_id"),
    "unprintable user_id": ({**VIEW, "user_id": "u\n1"}, Rule.RANGE, "user_id"),
}


@pytest.mark.parametrize(
    ("fields", "rule", "field"), list(BAD_EVENTS.values()), ids=list(BAD_EVENTS)
)
def test_a_bad_event_is_rejected_with_the_rule_it_broke_and_the_field(
    fields: dict[str, Any], rule: Rule, field: str
) -> None:
    problem = _validate(fields)

    assert isinstance(problem, Problem)
    assert (problem.rule, problem.field) == (rule, field)
    assert problem.message


def test_a_problem_keeps_the_value_found_in_the_field() -> None:
    problem = _validate({**VIEW, "dwell_ms": "500"})

    assert isinstance(problem, Problem)
    assert problem.value == "500"
    assert problem.describe().startswith("dwell_ms: ")


def test_an_oversize_context_is_measured_as_json_bytes() -> None:
    limits = Limits(max_json_bytes=4_096)
    just_fits = {"k": "x" * (4_096 - len('{"k":""}'))}

    accepted = _validate({**VIEW, "context": just_fits}, limits)
    refused = _validate({**VIEW, "context": {**just_fits, "k": just_fits["k"] + "x"}}, limits)

    assert isinstance(accepted, Event)
    assert isinstance(refused, Problem)
    assert refused.rule is Rule.TOO_LARGE


def test_a_timestamp_within_the_allowed_clock_skew_is_accepted() -> None:
    skew_ms = Limits().max_clock_skew_ms
    at_limit = NOW + timedelta(milliseconds=skew_ms)
    past_limit = at_limit + timedelta(milliseconds=1)

    accepted = _validate({**VIEW, "ts": at_limit.isoformat()})
    refused = _validate({**VIEW, "ts": past_limit.isoformat()})

    assert isinstance(accepted, Event)
    assert accepted.ts_ms == NOW_MS + skew_ms
    assert isinstance(refused, Problem)
    assert refused.rule is Rule.FUTURE_TIMESTAMP


def test_a_good_event_is_validated_into_an_event_of_the_world() -> None:
    fields = {
        **VIEW,
        "world_id": WORLD,
        "visible_fraction": 1,
        "position": 3,
        "surface": "home",
        "value": 2,
        "context": {"page": 1},
    }

    event = _validate(fields)

    assert event == Event(
        world_id=WORLD,
        event_id="e1",
        type=EventType.VIEW,
        user_id="u1",
        ts_ms=to_epoch_ms(TEN_UTC),
        item_id="i1",
        dwell_ms=1_500,
        visible_fraction=1.0,
        position=3,
        surface="home",
        value=2.0,
        context={"page": 1},
    )


@pytest.mark.parametrize(
    "ts",
    [
        "2026-01-05T10:00:00Z",
        "2026-01-05T10:00:00+00:00",
        "2026-01-05T12:00:00+02:00",
        "2026-01-05T05:30:00-04:30",
        TEN_UTC.astimezone(timezone(timedelta(hours=9))),
    ],
)
def test_timestamps_with_any_offset_normalise_to_the_same_utc_instant(ts: object) -> None:
    event = _validate({**VIEW, "ts": ts})

    assert isinstance(event, Event)
    assert event.ts_ms == to_epoch_ms(TEN_UTC)
    assert event.ts == TEN_UTC


def test_an_event_that_is_not_about_an_item_needs_no_item_id() -> None:
    fields = {"event_id": "s1", "type": "session_start", "user_id": "u1", "ts": VIEW["ts"]}

    event = _validate(fields)

    assert isinstance(event, Event)
    assert event.item_id is None


@pytest.mark.parametrize(
    "ts",
    [
        # A lower-case "z" is not ISO 8601 for datetime.fromisoformat (Python 3.11).
        "2026-01-05T10:00:00z",
        # More than six fractional digits: msgspec rounds to microseconds, Python truncates.
        "2026-01-05T10:00:00.0009999Z",
        "2026-01-05T10:00:00.9999999Z",
        # Rounded by the fast path to 1970-01-01T00:00:00Z; before 1970 for the rule path.
        "1969-12-31T23:59:59.9999999Z",
    ],
)
def test_validate_event_decides_unusual_timestamps_as_the_rule_path_does(ts: str) -> None:
    fields = {**VIEW, "ts": ts}

    decided = _validate(fields)

    assert decided == _explain_event(fields, world_id=WORLD, now_ms=NOW_MS, limits=Limits())


# Random records for the agreement property: mostly plausible values, with bad ones mixed in.
_IDS = st.one_of(
    st.sampled_from(["e1", "u1", "i1", "x" * 128]),
    st.text(min_size=0, max_size=6),
    st.sampled_from(["x" * 129, "tab\there", "", None, 7, True]),
)
_OFFSETS = st.sampled_from(["Z", "z", "+00:00", "+02:00", "-05:30", "+14:00", "", "+02"])
_FRACTIONS = st.one_of(
    st.just(""),
    st.text(alphabet="0123456789", min_size=1, max_size=9),
    st.sampled_from(["9999999", "0009999", "999999999"]),  # round up past a millisecond
)


@st.composite
def _timestamp_text(draw: st.DrawFn) -> str:
    moment = draw(
        st.datetimes(min_value=datetime(1969, 12, 31, 22), max_value=datetime(2026, 1, 7))
    )
    separator = draw(st.sampled_from(["T", "t", " "]))
    fraction = draw(_FRACTIONS)
    return (
        moment.strftime(f"%Y-%m-%d{separator}%H:%M:%S")
        + (f".{fraction}" if fraction else "")
        + draw(_OFFSETS)
    )


_TIMESTAMPS = st.one_of(
    _timestamp_text(),
    st.datetimes(
        min_value=datetime(1969, 12, 31),
        max_value=datetime(2026, 1, 7),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-3))]),
    ),
    st.datetimes(max_value=datetime(2027, 1, 1)),
    st.sampled_from([None, "", 1_767_607_200, "2030-01-01T00:00:00Z", "not a time"]),
)
_NUMBERS = st.one_of(
    st.none(),
    st.integers(min_value=-2, max_value=2),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([True, "0.5"]),
)
_INTEGERS = st.one_of(
    st.none(),
    st.integers(min_value=-5, max_value=90_000_000),
    st.sampled_from([True, "500", 500.0, 2**70]),
)
_CONTEXTS = st.one_of(
    st.none(),
    st.dictionaries(st.text(max_size=4), st.one_of(st.integers(), st.text(), st.floats())),
    st.just({"blob": "x" * 5_000}),
    st.sampled_from([["a"], "text", {1: "int key"}]),
)
_FIELDS = {
    "event_id": _IDS,
    "type": st.one_of(st.sampled_from(list(EventType)), st.sampled_from(["hover", "", 3])),
    "user_id": _IDS,
    "ts": _TIMESTAMPS,
    "item_id": _IDS,
    "dwell_ms": _INTEGERS,
    "visible_fraction": _NUMBERS,
    "position": _INTEGERS,
    "surface": st.one_of(st.none(), st.text(max_size=70), st.just(5)),
    "value": _NUMBERS,
    "context": _CONTEXTS,
    "world_id": st.sampled_from([WORLD, "w2", None, 1]),
    "colour": st.just("red"),
}
_GOOD_IDS = st.text(alphabet="abcxyz019:-_", min_size=1, max_size=8)
_GOOD_OPTIONAL = {
    "visible_fraction": st.floats(min_value=0.0, max_value=1.0),
    "position": st.integers(min_value=0, max_value=1_000_000),
    "surface": st.text(max_size=64),
    "value": st.one_of(st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False)),
    "context": st.dictionaries(st.text(max_size=4), st.integers(), max_size=3),
    "world_id": st.just(WORLD),
}


@st.composite
def _records(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event, then up to two of its fields replaced by anything, or removed."""
    event_type = draw(st.sampled_from(list(EventType)))
    fields: dict[str, Any] = {
        "event_id": draw(_GOOD_IDS),
        "type": event_type.value,
        "user_id": draw(_GOOD_IDS),
        "ts": draw(_timestamp_text()),
    }
    if event_type in ITEM_EVENT_TYPES or draw(st.booleans()):
        fields["item_id"] = draw(_GOOD_IDS)
    if event_type is EventType.VIEW or draw(st.booleans()):
        fields["dwell_ms"] = draw(st.integers(min_value=0, max_value=86_400_000))
    for name in draw(st.lists(st.sampled_from(list(_GOOD_OPTIONAL)), unique=True)):
        fields[name] = draw(_GOOD_OPTIONAL[name])
    for name in draw(st.lists(st.sampled_from(list(_FIELDS)), unique=True, max_size=2)):
        if draw(st.integers(0, 4)) == 0:
            fields.pop(name, None)
        else:
            fields[name] = draw(_FIELDS[name])
    return fields


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(fields=_records())
@example(fields={**VIEW, "ts": "2026-01-05T10:00:00z"})
@example(fields={**VIEW, "ts": "2026-01-05T10:00:00.9999999Z"})
def test_the_fast_path_accepts_only_events_the_rule_path_accepts_identically(
    fields: dict[str, Any],
) -> None:
    fast = _accept_well_formed(fields, WORLD, NOW_MS, Limits())

    if fast is not None:
        explained = _explain_event(fields, world_id=WORLD, now_ms=NOW_MS, limits=Limits())
        assert isinstance(explained, Event)
        assert _row_of_event(explained) == fast


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(fields=_records())
def test_validate_event_row_gives_the_verdict_of_validate_event_as_a_tuple(
    fields: dict[str, Any],
) -> None:
    row = validate_event_row(fields, world_id=WORLD, now_ms=NOW_MS, limits=Limits())

    event = _validate(fields)
    if isinstance(event, Problem):
        assert row == event
    else:
        assert row == _row_of_event(event)
        assert type(row[1]) is str


@settings(max_examples=300, deadline=None)
@given(fields=_records())
def test_validate_event_returns_an_event_or_a_problem_and_never_raises(
    fields: dict[str, Any],
) -> None:
    result = _validate(fields)

    assert isinstance(result, Event | Problem)
    if isinstance(result, Problem):
        assert isinstance(result.rule, Rule)
        assert result.message
