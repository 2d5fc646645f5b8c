"""The demo world: deterministic, in the importers' wire format, plausible, with bad events."""

import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

import mindshare.sim
from mindshare.sim import DemoWorld, generate_demo_world

START = date(2026, 1, 5)
DAYS = 7
ITEM_KINDS = {"content", "asset", "ad", "space"}
EVENT_TYPES = {
    "impression",
    "view",
    "click",
    "like",
    "comment",
    "share",
    "follow",
    "purchase",
    "rate",
    "session_start",
    "session_end",
}
EVENT_KEYS = {
    "event_id",
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
TS_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$")


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return generate_demo_world()


def _ts(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["ts"])


def _views(world: DemoWorld) -> list[dict[str, Any]]:
    return [e for e in world.events if e["type"] == "view"]


def _sessions(world: DemoWorld) -> dict[str, list[dict[str, Any]]]:
    sessions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in world.events:
        sessions[event["context"]["session"]].append(event)
    return sessions


def test_sim_exports_the_demo_world_among_its_public_names() -> None:
    assert {"DemoWorld", "generate_demo_world"} <= set(mindshare.sim.__all__)
    assert all(hasattr(mindshare.sim, name) for name in mindshare.sim.__all__)


def test_same_seed_gives_an_identical_world() -> None:
    first = generate_demo_world(seed=7, people=40, creators=5, items=60, days=2)
    second = generate_demo_world(seed=7, people=40, creators=5, items=60, days=2)

    assert first == second
    assert json.dumps(first.events) == json.dumps(second.events)


def test_different_seeds_give_different_worlds() -> None:
    first = generate_demo_world(seed=1, people=40, creators=5, items=60, days=2)
    second = generate_demo_world(seed=2, people=40, creators=5, items=60, days=2)

    assert first.items != second.items
    assert first.events != second.events


def test_default_world_has_the_stated_size(world: DemoWorld) -> None:
    assert len(world.creators) == 20
    assert len(world.items) == 300
    assert 20_000 <= len(world.events) <= 60_000


def test_world_is_frozen_tuples_of_json_records(world: DemoWorld) -> None:
    with pytest.raises(AttributeError):
        world.events = ()  # type: ignore[misc]
    for records in (world.creators, world.items, world.people, world.events, world.bad_events):
        assert isinstance(records, tuple)
        assert json.loads(json.dumps(list(records))) == list(records)


def test_records_use_exactly_the_wire_keys_and_never_null(world: DemoWorld) -> None:
    for creator in world.creators:
        assert set(creator) <= {"creator_id", "name", "attributes"}
        assert {"creator_id", "name"} <= set(creator)
    for person in world.people:
        assert set(person) == {"user_id", "attributes"}
        assert set(person["attributes"]) == {"country", "age_band"}
    for item in world.items:
        base = {"item_id", "kind", "creator_id", "title", "text", "tags"}
        priced = base | {"price_minor", "currency"}
        assert set(item) == (priced if item["kind"] == "asset" else base)
        assert item["title"]
        assert item["text"].endswith(".")
        assert all(isinstance(tag, str) for tag in item["tags"])
    for event in world.events:
        assert {"event_id", "type", "user_id", "ts"} <= set(event) <= EVENT_KEYS
        assert None not in event.values()


def test_items_belong_to_creators_and_assets_have_integer_prices(world: DemoWorld) -> None:
    creator_ids = {c["creator_id"] for c in world.creators}
    assets = [i for i in world.items if i["kind"] == "asset"]

    assert {i["creator_id"] for i in world.items} <= creator_ids
    assert assets
    for asset in assets:
        assert type(asset["price_minor"]) is int
        assert asset["price_minor"] >= 0
        assert asset["currency"] == "GEMS"


def test_content_dominates_and_every_item_kind_appears(world: DemoWorld) -> None:
    kinds = Counter(i["kind"] for i in world.items)

    assert set(kinds) == ITEM_KINDS
    assert kinds["content"] > kinds["asset"] > kinds["ad"]
    assert kinds["content"] > kinds["space"]


def test_every_event_type_appears(world: DemoWorld) -> None:
    assert {e["type"] for e in world.events} == EVENT_TYPES


def test_every_event_item_refers_to_an_item_in_the_world(world: DemoWorld) -> None:
    item_ids = {i["item_id"] for i in world.items}

    referenced = {e["item_id"] for e in world.events if "item_id" in e}

    assert referenced <= item_ids


def test_event_ids_are_unique(world: DemoWorld) -> None:
    ids = [e["event_id"] for e in world.events]

    assert len(set(ids)) == len(ids)


def test_timestamps_are_timezone_aware_millisecond_and_inside_the_days(world: DemoWorld) -> None:
    first = datetime(START.year, START.month, START.day, tzinfo=UTC)
    end = first + timedelta(days=DAYS)

    for event in world.events:
        assert TS_FORMAT.match(event["ts"]), event["ts"]
        moment = _ts(event)
        assert moment.tzinfo is not None
        assert first <= moment < end


def test_events_are_sorted_by_time(world: DemoWorld) -> None:
    moments = [_ts(e) for e in world.events]

    assert moments == sorted(moments)


def test_every_view_has_dwell_and_visible_fraction_in_range(world: DemoWorld) -> None:
    views = _views(world)

    assert views
    for view in views:
        assert type(view["dwell_ms"]) is int
        assert view["dwell_ms"] >= 0
        assert isinstance(view["visible_fraction"], float)
        assert 0.0 <= view["visible_fraction"] <= 1.0
        assert view["position"] >= 1
        assert view["surface"] in {"feed", "search", "profile", "space"}


def test_dwell_and_visibility_look_like_real_attention(world: DemoWorld) -> None:
    dwell = [v["dwell_ms"] for v in _views(world)]
    visible = [v["visible_fraction"] for v in _views(world)]

    typical = sum(2_000 <= d <= 180_000 for d in dwell) / len(dwell)
    assert typical > 0.75
    assert any(d > 10 * 60_000 for d in dwell)
    assert any(d < 1_000 for d in dwell)
    assert sum(0.6 <= v <= 1.0 for v in visible) / len(visible) > 0.8
    assert any(v < 0.5 for v in visible)


def test_impressions_fill_feed_slots_one_to_ten(world: DemoWorld) -> None:
    positions = {e["position"] for e in world.events if e["type"] == "impression"}

    assert positions == set(range(1, 11))


def test_ads_are_shown_and_only_assets_are_bought_at_their_price(world: DemoWorld) -> None:
    items = {i["item_id"]: i for i in world.items}
    shown = {items[e["item_id"]]["kind"] for e in world.events if e["type"] == "impression"}
    purchases = [e for e in world.events if e["type"] == "purchase"]

    assert "ad" in shown
    for purchase in purchases:
        item = items[purchase["item_id"]]
        assert item["kind"] == "asset"
        assert purchase["value"] == float(item["price_minor"])


def test_ratings_are_between_one_and_five(world: DemoWorld) -> None:
    ratings = [e["value"] for e in world.events if e["type"] == "rate"]

    assert ratings
    assert all(1.0 <= r <= 5.0 for r in ratings)


def test_a_person_follows_a_creator_at_most_once(world: DemoWorld) -> None:
    creator_of = {i["item_id"]: i["creator_id"] for i in world.items}
    follows = [
        (e["user_id"], creator_of[e["item_id"]]) for e in world.events if e["type"] == "follow"
    ]

    assert len(set(follows)) == len(follows)


def test_a_few_people_arrive_only_via_events(world: DemoWorld) -> None:
    registered = {p["user_id"] for p in world.people}
    active = {e["user_id"] for e in world.events}

    unregistered = active - registered

    assert len(world.people) == 190
    assert len(unregistered) == 10


def test_sessions_are_ordered_from_start_to_end(world: DemoWorld) -> None:
    for session in _sessions(world).values():
        assert session[0]["type"] == "session_start"
        assert session[-1]["type"] == "session_end"
        assert [e["type"] for e in session].count("session_start") == 1
        assert len({e["user_id"] for e in session}) == 1
        moments = [_ts(e) for e in session]
        assert moments == sorted(moments)
        assert moments[0] < moments[-1]


def test_a_persons_sessions_do_not_overlap(world: DemoWorld) -> None:
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for session in _sessions(world).values():
        spans[session[0]["user_id"]].append((_ts(session[0]), _ts(session[-1])))

    for person_spans in spans.values():
        ordered = sorted(person_spans)
        for (_, end), (next_start, _) in pairwise(ordered):
            assert end < next_start


def test_views_in_a_session_are_sequential_but_a_few_overlap(world: DemoWorld) -> None:
    pairs = overlapping = 0
    for session in _sessions(world).values():
        views = [e for e in session if e["type"] == "view"]
        for previous, current in pairwise(views):
            previous_end = _ts(previous) + timedelta(milliseconds=previous["dwell_ms"])
            pairs += 1
            overlapping += _ts(current) < previous_end

    assert 0 < overlapping < 0.1 * pairs


def test_bad_events_are_about_one_percent_and_separate(world: DemoWorld) -> None:
    ids = [e["event_id"] for e in world.bad_events]

    assert len(world.bad_events) >= 10
    assert abs(len(world.bad_events) - 0.01 * len(world.events)) <= 1
    assert len(set(ids)) == len(ids)


def test_bad_events_contain_each_listed_mistake(world: DemoWorld) -> None:
    by_id = {e["event_id"]: e for e in world.events}
    bad = world.bad_events

    def fresh(event: dict[str, Any]) -> bool:
        return event.get("event_id") not in by_id

    mistakes = {
        "negative dwell": [
            e for e in bad if isinstance(e.get("dwell_ms"), int) and e["dwell_ms"] < 0
        ],
        "visible fraction 1.7": [e for e in bad if e.get("visible_fraction") == 1.7],
        "unknown type": [e for e in bad if e["type"] == "hover"],
        "naive ts": [e for e in bad if e["ts"] == "2026-01-05T10:00:00"],
        "far future ts": [e for e in bad if e["ts"].startswith("2100-")],
        "unknown item": [e for e in bad if e.get("item_id") == "i-missing"],
        "missing user_id": [e for e in bad if "user_id" not in e],
        "dwell as string": [e for e in bad if e.get("dwell_ms") == "500"],
        "conflicting replay": [e for e in bad if not fresh(e) and by_id[e["event_id"]] != e],
        "exact duplicate": [e for e in bad if not fresh(e) and by_id[e["event_id"]] == e],
    }

    assert all(mistakes.values()), [name for name, found in mistakes.items() if not found]
    found = [id(e) for found in mistakes.values() for e in found]
    assert len(found) == len(set(found)) == len(bad)  # each bad event has exactly one mistake


def test_a_tiny_world_still_has_every_item_kind() -> None:
    world = generate_demo_world(seed=3, people=5, creators=1, items=4, days=1)

    assert {i["kind"] for i in world.items} == ITEM_KINDS
    assert len(world.bad_events) >= 10


@pytest.mark.parametrize(
    ("people", "creators", "items", "days"),
    [(0, 2, 10, 1), (5, 0, 10, 1), (5, 2, 3, 1), (5, 2, 10, 0)],
)
def test_impossible_sizes_are_refused(people: int, creators: int, items: int, days: int) -> None:
    with pytest.raises(ValueError, match="at least"):
        generate_demo_world(people=people, creators=creators, items=items, days=days)
