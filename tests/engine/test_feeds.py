"""engine.serve_feed: model scores → policy → ad auction → explanations → recorded exposures."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from mindshare import engine
from mindshare.ads import Campaign, Targeting, save_campaign
from mindshare.core import InputError, NotFound, to_epoch_ms
from mindshare.datasets import load_world_dataset
from mindshare.engine import _feeds
from mindshare.events import RecordKind, create_world
from mindshare.models import ModelRegistry
from mindshare.store import creator_exposure, exposures, feeds, item_impressions

START = datetime(2026, 3, 1, tzinfo=UTC)
NOW = START + timedelta(days=60, hours=12)
NOW_MS = to_epoch_ms(NOW)


def view(event_id: str, user: str, item: str, minute: int, dwell_ms: int = 20_000) -> dict:
    return {
        "event_id": event_id,
        "type": "view",
        "user_id": user,
        "ts": (START + timedelta(minutes=minute)).isoformat().replace("+00:00", "Z"),
        "item_id": item,
        "dwell_ms": dwell_ms,
        "visible_fraction": 1.0,
    }


def build_world(database: sa.Engine, config: dict | None = None) -> str:
    """Old creator c1 with popular items, a new creator c2, and one advertiser's ad."""
    with database.begin() as connection:
        create_world(connection, "w", config=config, now_ms=0)
    engine.ingest_world(
        database,
        "w",
        {
            RecordKind.CREATORS: [{"creator_id": "c1"}, {"creator_id": "adv"}],
            RecordKind.PEOPLE: [
                {"user_id": f"u{n}", "attributes": {"country": "DE" if n % 2 else "FR"}}
                for n in range(1, 7)
            ],
            RecordKind.ITEMS: [
                *(
                    {"item_id": f"i{n}", "kind": "content", "creator_id": "c1", "tags": ["car"]}
                    for n in range(1, 6)
                ),
                {"item_id": "ad1", "kind": "ad", "creator_id": "adv"},
            ],
            RecordKind.EVENTS: [
                view(f"e{user}{item}", f"u{user}", f"i{item}", 10 * user + item)
                for user in range(1, 7)
                for item in range(1, 6)
                if (user + item) % 3 != 0
            ],
        },
        now=START + timedelta(days=1),
    )
    engine.ingest_world(
        database,
        "w",
        {
            RecordKind.CREATORS: [{"creator_id": "c2"}],
            RecordKind.ITEMS: [
                {"item_id": f"n{n}", "kind": "content", "creator_id": "c2", "tags": ["bike"]}
                for n in range(1, 4)
            ],
        },
        now=NOW - timedelta(days=1),
    )
    return "w"


def trained_registry(database: sa.Engine, tmp_path: Path) -> ModelRegistry:
    registry = ModelRegistry(tmp_path / "artifacts")
    with database.connect() as connection:
        data = load_world_dataset(connection, "w")
    _, version = engine.train_model(data, "pop", registry)
    registry.activate("w", version.model, version.version)
    return registry


def test_a_feed_is_ranked_explained_and_recorded(database: sa.Engine, tmp_path: Path) -> None:
    build_world(database)
    registry = trained_registry(database, tmp_path)

    feed = engine.serve_feed(database, "w", "u1", 4, registry=registry, now_ms=NOW_MS)

    assert feed.model == "pop@1"
    assert [slot.slot for slot in feed.slots] == [1, 2, 3, 4]
    shown = [slot.item_id for slot in feed.slots]
    assert len(set(shown)) == len(shown)
    with database.connect() as connection:
        seen = set(
            connection.execute(
                sa.text("SELECT item_id FROM events WHERE world_id = 'w' AND user_id = 'u1'")
            ).scalars()
        )
    assert not seen & set(shown)
    assert feed.slots[0].exposure == 1.0
    assert all("predicted_attention_s" in slot.explanation for slot in feed.slots)
    with database.connect() as connection:
        stored = connection.execute(
            sa.select(exposures.c.slot, exposures.c.item_id).order_by(exposures.c.slot)
        ).all()
        assert [tuple(row) for row in stored] == [(s.slot, s.item_id) for s in feed.slots]
        assert connection.execute(sa.select(sa.func.count()).select_from(feeds)).scalar_one() == 1
        totals = dict(
            connection.execute(
                sa.select(creator_exposure.c.creator_id, creator_exposure.c.exposure)
            ).all()
        )
    organic = [slot for slot in feed.slots if slot.kind == "organic"]
    expected: dict[str, float] = {}
    for slot in organic:
        expected[slot.creator_id] = expected.get(slot.creator_id, 0.0) + slot.exposure
    assert {k: v for k, v in totals.items() if v} == pytest.approx(expected)


def test_an_ad_wins_its_slot_by_auction_and_paces_its_budget(
    database: sa.Engine, tmp_path: Path
) -> None:
    build_world(database, {"feeds": {"ad_positions": [2], "max_ad_share": 0.5}})
    with database.begin() as connection:
        save_campaign(
            connection,
            "w",
            Campaign(
                "camp",
                "adv",
                budget_minor=500,
                bid_per_second=1.0,
                targeting=Targeting(require_any=frozenset({"country=DE"})),
            ),
            currency="EUR",
            creative_ids=["ad1"],
            now_ms=NOW_MS,
        )

    german = engine.serve_feed(database, "w", "u1", 4, now_ms=NOW_MS)
    french = engine.serve_feed(database, "w", "u2", 4, now_ms=NOW_MS)

    ad = german.slots[1]
    assert (ad.kind, ad.item_id, ad.campaign_id) == ("ad", "ad1", "camp")
    # One bidder: GSP charges the reserve, 0 per second, and the bid is recorded.
    assert ad.price_per_second == 0.0
    assert ad.explanation["bid_per_second"] == 1.0
    assert all(slot.kind == "organic" for slot in french.slots)
    assert "no active model" in german.notes[0]


def test_a_spent_attention_budget_serves_an_empty_feed(database: sa.Engine) -> None:
    build_world(database, {"feeds": {"daily_budget_ms": 0}})
    feed = engine.serve_feed(database, "w", "u1", 4, now_ms=NOW_MS)
    assert feed.slots == ()
    assert any("budget spent" in note for note in feed.notes)


def test_fair_feeds_give_the_new_creator_a_share(database: sa.Engine, tmp_path: Path) -> None:
    build_world(database, {"feeds": {"new_creator_share": 0.5}})
    registry = trained_registry(database, tmp_path)
    greedy = engine.serve_feed(database, "w", "u3", 4, registry=registry, now_ms=NOW_MS)
    fair = engine.serve_feed(
        database, "w", "u3", 4, policy="fair", registry=registry, now_ms=NOW_MS
    )
    assert sum(slot.creator_id == "c2" for slot in fair.slots) >= 1
    assert sum(slot.creator_id == "c2" for slot in fair.slots) >= sum(
        slot.creator_id == "c2" for slot in greedy.slots
    )


def test_unknown_world_person_or_policy_is_refused(database: sa.Engine) -> None:
    build_world(database)
    with pytest.raises(NotFound, match="world 'nope'"):
        engine.serve_feed(database, "nope", "u1", 3, now_ms=NOW_MS)
    with pytest.raises(NotFound, match="person 'ghost'"):
        engine.serve_feed(database, "w", "ghost", 3, now_ms=NOW_MS)
    with pytest.raises(InputError, match="unknown feed policy 'best'"):
        engine.serve_feed(database, "w", "u1", 3, policy="best", now_ms=NOW_MS)


def test_a_cached_world_serves_the_same_feeds_as_one_batch(
    database: sa.Engine, tmp_path: Path
) -> None:
    build_world(database, {"feeds": {"new_creator_share": 0.5}})
    registry = trained_registry(database, tmp_path)
    people = ["u1", "u2", "u3"]
    batch = engine.serve_feeds(
        database, "w", people, 3, policy="fair", registry=registry, now_ms=NOW_MS
    )
    with database.begin() as connection:
        for table in (exposures, feeds, creator_exposure, item_impressions):
            connection.execute(sa.delete(table))
    cache = engine.FeedCache()
    one_by_one = [
        engine.serve_feed(
            database, "w", person, 3, policy="fair", registry=registry, now_ms=NOW_MS, cache=cache
        )
        for person in people
    ]
    assert [[s.item_id for s in f.slots] for f in one_by_one] == [
        [s.item_id for s in f.slots] for f in batch
    ]


def _cached_items(cache: engine.FeedCache, database: sa.Engine, now_ms: int) -> set[str]:
    with cache.hold(database, "w", None, now_ms) as world:
        return set(world.item_index)


def _late_item(database: sa.Engine, item_id: str) -> None:
    engine.ingest(
        database,
        "w",
        RecordKind.ITEMS,
        [{"item_id": item_id, "kind": "content", "creator_id": "c1"}],
        now=NOW,
    )


def test_a_cached_world_is_read_again_when_invalidated_or_stale(database: sa.Engine) -> None:
    build_world(database, {"feeds": {"policy": "greedy"}})
    cache = engine.FeedCache(max_age_ms=60_000)
    engine.serve_feed(database, "w", "u1", 3, now_ms=NOW_MS, cache=cache)
    _late_item(database, "late")
    assert "late" not in _cached_items(cache, database, NOW_MS + 1_000)

    # Past max_age the copy in hand still serves while the world is read in the background.
    engine.serve_feed(database, "w", "u1", 3, now_ms=NOW_MS + 61_000, cache=cache)
    deadline = time.monotonic() + 10
    while "late" not in _cached_items(cache, database, NOW_MS + 62_000):
        assert time.monotonic() < deadline, "the background read never replaced the copy"
        time.sleep(0.05)

    _late_item(database, "later")
    cache.invalidate("w")
    assert "later" in _cached_items(cache, database, NOW_MS + 63_000)


def _cached_greedy_world(database: sa.Engine) -> tuple[engine.FeedCache, _feeds._World]:
    """A greedy-policy world, its feed cache after one feed, and the copy the cache holds."""
    build_world(database, {"feeds": {"policy": "greedy"}})
    cache = engine.FeedCache(max_age_ms=60_000)
    engine.serve_feed(database, "w", "u1", 3, now_ms=NOW_MS, cache=cache)
    with cache.hold(database, "w", None, NOW_MS) as world:
        return cache, world


def test_someone_first_seen_after_the_world_was_cached_is_served_from_the_same_copy(
    database: sa.Engine,
) -> None:
    cache, copy = _cached_greedy_world(database)
    engine.ingest(
        database, "w", RecordKind.PEOPLE, [{"user_id": "late", "attributes": {"a": 1}}], now=NOW
    )

    feed = engine.serve_feed(database, "w", "late", 3, now_ms=NOW_MS + 1_000, cache=cache)

    assert len(feed.slots) == 3
    with cache.hold(database, "w", None, NOW_MS + 1_000) as world:
        assert world is copy
        assert world.attributes["late"] == {"a": 1}
    with pytest.raises(NotFound, match="person 'nobody'"):
        engine.serve_feed(database, "w", "nobody", 3, now_ms=NOW_MS + 2_000, cache=cache)


def test_a_background_read_adds_the_new_events_to_what_people_have_seen(
    database: sa.Engine,
) -> None:
    cache, copy = _cached_greedy_world(database)
    before = {person: set(rows) for person, rows in copy.seen.items()}
    engine.ingest(
        database,
        "w",
        RecordKind.EVENTS,
        [view("late1", "u1", "n1", 5_000), view("late2", "u6", "n2", 5_001)],
        now=NOW,
    )

    engine.serve_feed(database, "w", "u2", 3, now_ms=NOW_MS + 61_000, cache=cache)
    deadline = time.monotonic() + 10
    while True:
        with cache.hold(database, "w", None, NOW_MS + 62_000) as world:
            if world is not copy:
                carried = world.seen
                break
        assert time.monotonic() < deadline, "the background read never replaced the copy"
        time.sleep(0.05)

    with database.connect() as connection:
        fresh = _feeds._load_world(connection, "w", None, NOW_MS + 62_000).seen
    assert carried == fresh
    assert carried["u1"] == before["u1"] | {copy.item_index["n1"]}
    assert copy.seen == before  # the copy that served meanwhile was left as it was


def test_the_worlds_policy_is_used_when_a_request_names_none(database: sa.Engine) -> None:
    build_world(database, {"feeds": {"policy": "mmr"}})
    assert engine.serve_feed(database, "w", "u1", 3, now_ms=NOW_MS).policy == "mmr"
    assert engine.serve_feed(database, "w", "u1", 3, policy="fair", now_ms=NOW_MS).policy == "fair"


def test_a_feed_needs_a_slot(database: sa.Engine) -> None:
    build_world(database)
    with pytest.raises(InputError, match="at least one slot"):
        engine.serve_feed(database, "w", "u1", 0, now_ms=NOW_MS)


def _impression_totals(database: sa.Engine) -> dict[str, int]:
    with database.connect() as connection:
        return dict(
            connection.execute(
                sa.select(item_impressions.c.item_id, item_impressions.c.impressions).where(
                    item_impressions.c.world_id == "w"
                )
            ).all()
        )


def _impressions_counted_from_the_log(database: sa.Engine) -> dict[str, int]:
    with database.connect() as connection:
        return dict(
            connection.execute(
                sa.select(exposures.c.item_id, sa.func.count())
                .where(exposures.c.world_id == "w")
                .group_by(exposures.c.item_id)
            ).all()
        )


def test_item_impression_totals_equal_a_fresh_count_of_the_exposure_log(
    database: sa.Engine,
) -> None:
    build_world(database, {"feeds": {"policy": "fair"}})
    cache = engine.FeedCache()

    engine.serve_feeds(database, "w", ["u1", "u2", "u3"], 4, now_ms=NOW_MS)
    for person in ["u1", "u4", "u4", "u5", "u6"]:
        engine.serve_feed(database, "w", person, 3, now_ms=NOW_MS, cache=cache)

    totals = _impression_totals(database)
    assert sum(totals.values()) == 3 * 4 + 5 * 3
    assert totals == _impressions_counted_from_the_log(database)


def test_a_world_is_read_with_the_impressions_its_feeds_recorded(database: sa.Engine) -> None:
    build_world(database, {"feeds": {"policy": "greedy"}})
    served = engine.serve_feeds(database, "w", ["u1", "u2"], 3, now_ms=NOW_MS)
    cache = engine.FeedCache()

    with cache.hold(database, "w", None, NOW_MS) as world:
        read = {str(world.item_ids[i]): int(n) for i, n in enumerate(world.impressions) if n}

    shown: dict[str, int] = {}
    for slot in (slot for feed in served for slot in feed.slots):
        shown[slot.item_id] = shown.get(slot.item_id, 0) + 1
    assert read == shown


def test_feeds_served_at_once_from_a_cache_are_all_recorded_and_returned_once_durable(
    database: sa.Engine,
) -> None:
    build_world(database, {"feeds": {"policy": "fair"}})
    cache = engine.FeedCache()
    engine.serve_feed(database, "w", "u1", 3, now_ms=NOW_MS, cache=cache)
    people = [f"u{n % 6 + 1}" for n in range(24)]
    stored_when_returned: list[bool] = []

    def serve(person: str) -> engine.Feed:
        feed = engine.serve_feed(database, "w", person, 3, now_ms=NOW_MS, cache=cache)
        with database.connect() as connection:
            stored = connection.execute(
                sa.select(sa.func.count())
                .select_from(exposures)
                .where(exposures.c.feed_id == feed.feed_id)
            ).scalar_one()
        stored_when_returned.append(stored == len(feed.slots))
        return feed

    with ThreadPoolExecutor(max_workers=8) as pool:
        served = list(pool.map(serve, people))

    assert all(stored_when_returned)
    with database.connect() as connection:
        recorded = set(connection.execute(sa.select(feeds.c.feed_id)).scalars())
    assert {feed.feed_id for feed in served} <= recorded
    assert len(recorded) == len(people) + 1
    assert _impression_totals(database) == _impressions_counted_from_the_log(database)


def test_feeds_handed_over_while_none_is_written_share_one_transaction(
    database: sa.Engine,
) -> None:
    build_world(database, {"feeds": {"policy": "greedy"}})
    with database.connect() as connection:
        world = _feeds._load_world(connection, "w", None, NOW_MS)
    handed = [
        _feeds._Pending(database, world, [served])
        for served in _feeds._compose_each(world, ["u1", "u2", "u3"], 3, None, seed=0)
    ]
    recorder = _feeds._GroupCommit()
    commits: list[object] = []
    sa.event.listen(database, "commit", commits.append)

    for pending in handed:
        recorder.hand_over(pending)
    for pending in handed:
        recorder.wait(pending)

    assert len(commits) == 1
    assert all(pending.done and pending.error is None for pending in handed)
    with database.connect() as connection:
        stored = connection.execute(sa.select(sa.func.count()).select_from(feeds)).scalar_one()
    assert stored == 3


def test_a_feed_that_could_not_be_recorded_fails_and_the_world_is_read_again(
    database: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_world(database, {"feeds": {"policy": "greedy"}})
    cache = engine.FeedCache()
    engine.serve_feed(database, "w", "u1", 3, now_ms=NOW_MS, cache=cache)
    with cache.hold(database, "w", None, NOW_MS) as world:
        first_copy = world

    def broken(*args: object) -> None:
        raise sa.exc.OperationalError("INSERT", None, Exception("disk I/O error"))

    with monkeypatch.context() as patched:
        patched.setattr(_feeds, "_record_feeds", broken)
        with pytest.raises(sa.exc.OperationalError):
            engine.serve_feed(database, "w", "u2", 3, now_ms=NOW_MS, cache=cache)

    assert first_copy.stale
    engine.serve_feed(database, "w", "u2", 3, now_ms=NOW_MS, cache=cache)
    with cache.hold(database, "w", None, NOW_MS) as world:
        assert world is not first_copy
    assert _impression_totals(database) == _impressions_counted_from_the_log(database)
