"""engine.similar_items and engine.trending on a small world, on SQLite and PostgreSQL."""

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from mindshare import engine
from mindshare.core import InputError, NotFound, to_epoch_ms
from mindshare.datasets import load_world_dataset
from mindshare.events import RecordKind, create_world
from mindshare.models import ModelRegistry

TODAY = datetime(2026, 3, 20, tzinfo=UTC)
NOW_MS = to_epoch_ms(TODAY + timedelta(hours=12))


def view(user: str, item: str, *, days_ago: int, seconds: int, minute: int = 0) -> dict[str, Any]:
    """A fully visible view of ``seconds`` that began ``days_ago`` days before today."""
    began = TODAY - timedelta(days=days_ago) + timedelta(hours=1, minutes=minute)
    return {
        "event_id": f"{user}-{item}-{days_ago}-{minute}",
        "type": "view",
        "user_id": user,
        "ts": began.isoformat(),
        "item_id": item,
        "dwell_ms": seconds * 1000,
        "visible_fraction": 1.0,
    }


def space_and_cooking(database: sa.Engine) -> None:
    """Launches s1-s4 (c1), recipes k1-k3 (c2), an ad; ``fresh`` (c2) nobody has seen.

    Readers: s1, s2, s3 by u1-u6; s4 by u1-u3; k1-k3 by u7-u9; the ad by u1.
    All views are 20 days old, so nothing here is trending.
    """
    with database.begin() as connection:
        create_world(connection, "w", now_ms=0)
    readers = {f"s{n}": range(1, 7) for n in (1, 2, 3)} | {"s4": range(1, 4), "ad1": [1]}
    readers |= {f"k{n}": range(7, 10) for n in (1, 2, 3)}
    engine.ingest_world(
        database,
        "w",
        {
            RecordKind.CREATORS: [{"creator_id": c} for c in ("c1", "c2", "adv")],
            RecordKind.ITEMS: [
                *({"item_id": f"s{n}", "kind": "content", "creator_id": "c1"} for n in range(1, 5)),
                *({"item_id": f"k{n}", "kind": "content", "creator_id": "c2"} for n in range(1, 4)),
                {"item_id": "ad1", "kind": "ad", "creator_id": "adv"},
                {"item_id": "fresh", "kind": "content", "creator_id": "c2"},
            ],
            RecordKind.EVENTS: [
                view(f"u{user}", item, days_ago=20, seconds=5, minute=10 * position)
                for position, (item, users) in enumerate(readers.items())
                for user in users
            ],
        },
        now=TODAY,
    )


def active_model(database: sa.Engine, tmp_path: Path, name: str) -> ModelRegistry:
    registry = ModelRegistry(tmp_path / "artifacts")
    with database.connect() as connection:
        data = load_world_dataset(connection, "w")
    _, version = engine.train_model(data, name, registry)
    registry.activate("w", version.model, version.version)
    return registry


def neighbours(result: engine.SimilarItems) -> list[tuple[str, str, float]]:
    return [(n.item_id, n.creator_id, round(n.score, 6)) for n in result.neighbours]


# s1 shares all 6 readers with s2 and s3 (cosine 1), 3 with s4 (3 / sqrt(6 * 3)),
# and 1 with the ad (never offered); nothing with the recipes (score 0: not listed).
S1_NEIGHBOURS = [("s2", "c1", 1.0), ("s3", "c1", 1.0), ("s4", "c1", round(1 / math.sqrt(2), 6))]


def test_without_an_active_model_co_occurrence_answers(database: sa.Engine) -> None:
    space_and_cooking(database)

    result = engine.similar_items(database, "w", "s1", 5)

    assert result.source == "co-occurrence"
    assert neighbours(result) == S1_NEIGHBOURS
    assert result.notes == (
        "world 'w' has no active model: neighbours by co-occurrence in its interactions",
    )


def test_k_limits_the_neighbours(database: sa.Engine) -> None:
    space_and_cooking(database)

    result = engine.similar_items(database, "w", "s1", 2)

    assert neighbours(result) == S1_NEIGHBOURS[:2]


def test_the_active_model_answers_when_it_knows_the_item(
    database: sa.Engine, tmp_path: Path
) -> None:
    space_and_cooking(database)
    registry = active_model(database, tmp_path, "itemknn")

    result = engine.similar_items(database, "w", "s1", 5, registry=registry)

    # itemknn without shrinkage is the same cosine of readers
    assert result.source == "itemknn@1"
    assert neighbours(result) == S1_NEIGHBOURS
    assert result.notes == ("neighbours from the active model itemknn@1",)


def test_an_item_newer_than_the_active_model_falls_back_to_co_occurrence(
    database: sa.Engine, tmp_path: Path
) -> None:
    space_and_cooking(database)
    registry = active_model(database, tmp_path, "ease")
    engine.ingest_world(
        database,
        "w",
        {
            RecordKind.ITEMS: [{"item_id": "late", "kind": "content", "creator_id": "c2"}],
            RecordKind.EVENTS: [
                view(u, "late", days_ago=19, seconds=5) for u in ("u7", "u8", "u9", "u1")
            ],
        },
        now=TODAY,
    )

    result = engine.similar_items(database, "w", "late", 3, registry=registry)

    # late's readers u1, u7-u9: 3 shared with each recipe (3 / sqrt(4 * 3)), 1 with s1-s3
    # (1 / sqrt(4 * 6)) and s4 (1 / sqrt(4 * 3)); ties go to the earlier item id
    assert result.source == "co-occurrence"
    assert neighbours(result) == [
        ("k1", "c2", round(math.sqrt(3) / 2, 6)),
        ("k2", "c2", round(math.sqrt(3) / 2, 6)),
        ("k3", "c2", round(math.sqrt(3) / 2, 6)),
    ]
    assert result.notes[0] == (
        "item 'late' is newer than the active model ease@1: "
        "neighbours by co-occurrence in its interactions"
    )


def test_an_item_nobody_has_seen_has_no_neighbours_and_says_why(database: sa.Engine) -> None:
    space_and_cooking(database)

    result = engine.similar_items(database, "w", "fresh", 3)

    assert result.neighbours == ()
    assert result.notes[-1] == "co-occurrence finds no item alike: none scored above 0"


def test_similar_items_to_dict_is_json_ready(database: sa.Engine) -> None:
    space_and_cooking(database)

    result = engine.similar_items(database, "w", "s4", 1).to_dict()

    assert result == {
        "world_id": "w",
        "item_id": "s4",
        "source": "co-occurrence",
        "neighbours": [{"item_id": "s1", "creator_id": "c1", "score": pytest.approx(0.7071068)}],
        "notes": ["world 'w' has no active model: neighbours by co-occurrence in its interactions"],
    }


def test_similar_items_refuses_unknown_worlds_items_and_k_below_one(database: sa.Engine) -> None:
    space_and_cooking(database)

    with pytest.raises(NotFound, match="item 'ghost' is not in world 'w'"):
        engine.similar_items(database, "w", "ghost", 3)
    with pytest.raises(NotFound, match="world 'nope'"):
        engine.similar_items(database, "nope", "s1", 3)
    with pytest.raises(InputError, match="k must be at least 1"):
        engine.similar_items(database, "w", "s1", 0)


def trending_world(database: sa.Engine) -> None:
    """Two-day windows: recent = yesterday and today, previous = the two days before.

    s1: recent 30 s + 30 s, previous 20 s    s2: recent 40 s, previous 40 s (steady)
    s3: previous 46 s only (gone quiet)      s4: recent 34 s, and 500 s ten days ago
    ad1: recent 100 s (an ad: never trending)
    """
    space_and_cooking(database)
    engine.ingest_world(
        database,
        "w",
        {
            RecordKind.EVENTS: [
                view("u1", "s1", days_ago=1, seconds=30),
                view("u2", "s1", days_ago=0, seconds=30),
                view("u3", "s1", days_ago=3, seconds=20),
                view("u1", "s2", days_ago=0, seconds=40),
                view("u2", "s2", days_ago=2, seconds=40),
                view("u4", "s3", days_ago=2, seconds=46),
                view("u5", "s4", days_ago=0, seconds=34),
                view("u5", "s4", days_ago=10, seconds=500),
                view("u6", "ad1", days_ago=0, seconds=100),
            ]
        },
        now=TODAY + timedelta(hours=12),
    )


def test_trending_ranks_recent_attention_tilted_by_growth(database: sa.Engine) -> None:
    trending_world(database)

    result = engine.trending(database, "w", k=10, window_days=2, now_ms=NOW_MS)

    # smoothing: (60 + 40 + 34 + 20 + 40 + 46) s over 2 windows x 4 items = 30 s
    assert [(e.item_id, e.recent_ms, e.previous_ms) for e in result.items] == [
        ("s1", 60_000, 20_000),
        ("s4", 34_000, 0),
        ("s2", 40_000, 40_000),
    ]
    assert [e.rising for e in result.items] == pytest.approx(
        [math.log(90 / 50), math.log(64 / 30), 0.0]
    )
    assert [e.score for e in result.items] == pytest.approx(
        [60_000 * math.sqrt(90 / 50), 34_000 * math.sqrt(64 / 30), 40_000.0]
    )
    assert result.recent == (date(2026, 3, 19), date(2026, 3, 20))
    assert result.previous == (date(2026, 3, 17), date(2026, 3, 18))


def test_trending_k_and_to_dict(database: sa.Engine) -> None:
    trending_world(database)
    with database.begin() as connection:
        connection.execute(
            sa.text("UPDATE items SET title = 'Launch day' WHERE world_id = 'w' AND item_id = 's1'")
        )

    result = engine.trending(database, "w", k=1, window_days=2, now_ms=NOW_MS).to_dict()

    assert result == {
        "world_id": "w",
        "window_days": 2,
        "recent": ["2026-03-19", "2026-03-20"],
        "previous": ["2026-03-17", "2026-03-18"],
        "items": [
            {
                "item_id": "s1",
                "creator_id": "c1",
                "title": "Launch day",
                "recent_ms": 60_000,
                "previous_ms": 20_000,
                "rising": pytest.approx(math.log(1.8)),
                "score": pytest.approx(60_000 * math.sqrt(1.8)),
            }
        ],
    }


def test_a_world_with_nothing_recent_has_nothing_trending(database: sa.Engine) -> None:
    space_and_cooking(database)  # every view is 20 days old

    result = engine.trending(database, "w", now_ms=NOW_MS)

    assert result.items == ()
    assert result.window_days == 7


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"world_id": "nope"}, NotFound, "world 'nope'"),
        ({"k": 0}, InputError, "k must be at least 1"),
        ({"window_days": 0}, InputError, "window_days must be between 1 and 366"),
        ({"window_days": 367}, InputError, "window_days must be between 1 and 366"),
    ],
)
def test_trending_refuses_bad_input(
    database: sa.Engine, arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    space_and_cooking(database)
    call: dict[str, Any] = {"world_id": "w", "now_ms": NOW_MS} | arguments
    with pytest.raises(error, match=message):
        engine.trending(database, **call)
