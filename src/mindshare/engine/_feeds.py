"""Serve a feed: active model scores → policy → ad auction → explanations → recorded exposures.

``serve_feeds`` is the one composition; ``serve_feed`` serves one person with it, and
the CLI's ``allocate``, the HTTP feed route and the simulator all call these. The
served-feed log (``feeds``, ``exposures``) and its running totals (``creator_exposure``,
``item_impressions``) are written here, in one transaction: ``allocation`` stays pure,
so its results are recorded by the composition that produced them.
"""

import itertools
import json
import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import sqlalchemy as sa

from mindshare import ads, allocation
from mindshare.ads import StoredCampaign, day_fraction, load_campaigns, record_pacing
from mindshare.allocation import Candidates, ExposureState, FeedRules
from mindshare.core import MS_PER_DAY, InputError, NotFound, day_of
from mindshare.models import AttentionModel, ModelRegistry
from mindshare.store import (
    add_to_totals,
    attention_daily,
    creator_exposure,
    creators,
    events,
    exposures,
    feeds,
    insert_many,
    item_impressions,
    items,
    people,
    worlds,
)

log = logging.getLogger("mindshare.engine")

#: Mean attentive time per view assumed for an item nobody has viewed yet.
DEFAULT_DWELL_MS = 10_000.0
#: Clicks per view assumed for an ad with no views yet (a typical display rate).
DEFAULT_CLICK_RATE = 0.01
#: Feeds of one call recorded per transaction: one commit for many feeds.
RECORD_CHUNK = 500
#: A cache reads what people have seen from the events added since its last read; every
#: this many reads it reads them all again (on PostgreSQL an event can commit after one
#: with a later ``seq``, and so be missed by a read in between).
FULL_SEEN_READ_EVERY = 20


@dataclass(frozen=True, slots=True)
class FeedSlot:
    """One slot of a served feed and why it went where it went."""

    slot: int
    item_id: str
    creator_id: str
    kind: str
    score: float
    exposure: float
    explanation: dict[str, Any]
    campaign_id: str | None = None
    price_per_second: float | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed served to one person, as recorded in the store."""

    feed_id: str
    world_id: str
    user_id: str
    policy: str
    model: str | None
    served_ms: int
    budget_left_ms: int
    slots: tuple[FeedSlot, ...]
    notes: tuple[str, ...] = ()


@dataclass(eq=False)
class _World:
    """What every feed of one batch reads, loaded once (a batch is one moment)."""

    world_id: str
    rules: FeedRules
    now_ms: int
    item_ids: np.ndarray
    item_index: dict[str, int]
    item_creator: np.ndarray
    tag_matrix: sp.csr_matrix
    organic: np.ndarray
    creator_ids: list[str]
    new_creator: np.ndarray
    mean_dwell_ms: np.ndarray
    impressions: np.ndarray
    popularity: np.ndarray
    state: ExposureState
    #: Rows of the items each person has had an event about, by person.
    seen: dict[str, set[int]]
    spent_today_ms: dict[str, int]
    attributes: dict[str, dict[str, Any]]
    campaigns: list[StoredCampaign]
    pacing: dict[str, ads.PacingState]
    creatives: list[ads.Creative]
    ad_click_rate: dict[str, float]
    model: AttentionModel | None
    model_name: str | None
    model_columns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    #: Set when serving failed midway: the state is ahead of the store.
    stale: bool = False
    #: Where people are read one at a time, when first served (a cache's world); None
    #: when ``attributes`` and ``spent_today_ms`` were read for everyone.
    people_store: sa.Engine | None = None
    #: The last ``events.seq`` that ``seen`` includes, and reads of it since a full one.
    seen_through_seq: int = 0
    seen_reads_since_full: int = 0


class FeedCache:
    """Worlds kept loaded between feeds, so that a long-running service need not re-read them.

    Once ``max_age_ms`` have passed since a world was read, it is read again in the
    background while feeds go on being served from the copy in hand (stale while it
    revalidates: reading a large world takes seconds, and no request should wait for it).
    A world is read before the next feed when the UTC day changes, after ``invalidate``
    (call it when its items, people, campaigns or active model change), or when serving
    from it failed midway. Feeds of one world are composed one at a time, since each feed
    leaves the fair-exposure and pacing state that the next one sees.

    What a read costs must not grow with the world's traffic, since it competes with the
    feeds for the cores (and the GIL): a person's attributes and attention spent today are
    read when the copy first serves them, so someone first seen after the world was read
    is served at once, and what people have seen is carried over from the copy in hand
    plus the events added since (all again every ``FULL_SEEN_READ_EVERY`` reads).

    Feeds are recorded by group commit: composed feeds queue in the order they were
    composed, and each caller waits, outside the world's lock, until a transaction holding
    its feeds has committed; while one transaction commits, the feeds composed meanwhile
    gather for the next. A feed is returned only once it is durable, as without a cache,
    but a busy service pays one commit (one fsync on SQLite) per group, not per feed.
    """

    def __init__(self, *, max_age_ms: int = 30_000) -> None:
        self.max_age_ms = max_age_ms
        self._loaded: dict[str, tuple[_World, int]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._reading: set[str] = set()
        self._guard = threading.Lock()
        self._recorder = _GroupCommit()

    def serve(
        self,
        store: sa.Engine,
        world_id: str,
        people_ids: Sequence[str],
        k: int,
        *,
        policy: str | None,
        registry: ModelRegistry | None,
        now_ms: int,
        seed: int | None,
        on_feed: Any = None,
    ) -> list[Feed]:
        """Compose the feeds under the world's lock, then wait for them to be recorded."""
        with self.hold(store, world_id, registry, now_ms) as world:
            _check_people(world, people_ids)
            try:
                served = list(_compose_each(world, people_ids, k, policy, seed))
            except BaseException:
                world.stale = True
                raise
            handed = [
                _Pending(store, world, served[start : start + RECORD_CHUNK])
                for start in range(0, len(served), RECORD_CHUNK)
            ]
            for pending in handed:
                self._recorder.hand_over(pending)
        failure: BaseException | None = None
        for pending in handed:  # every chunk is waited for, so none is left queued
            try:
                self._recorder.wait(pending)
            except BaseException as error:  # the state ran ahead of the store: read it again
                world.stale = True
                failure = failure or error
            else:
                if on_feed is not None and failure is None:
                    for entry in pending.served:
                        on_feed(entry.feed)
        if failure is not None:
            raise failure
        return [entry.feed for entry in served]

    def invalidate(self, world_id: str | None = None) -> None:
        """Forget one world (or all), so that its next feed reads the store."""
        with self._guard:
            if world_id is None:
                self._loaded.clear()
            else:
                self._loaded.pop(world_id, None)

    @contextmanager
    def hold(
        self,
        store: sa.Engine,
        world_id: str,
        registry: ModelRegistry | None,
        now_ms: int,
    ) -> Iterator["_World"]:
        """The world, loaded or kept, held for this caller alone until the block ends."""
        with self._guard:
            lock = self._locks.setdefault(world_id, threading.Lock())
        with lock:
            with self._guard:
                entry = self._loaded.get(world_id)
            if entry is None or entry[0].stale or day_of(now_ms) != day_of(entry[1]):
                world = self._read(store, world_id, registry, now_ms)
            else:
                world = entry[0]
                world.now_ms = now_ms
                if now_ms - entry[1] >= self.max_age_ms:
                    self._read_in_background(store, world_id, registry, now_ms, world)
            yield world

    def _read(
        self, store: sa.Engine, world_id: str, registry: ModelRegistry | None, now_ms: int
    ) -> "_World":
        with store.connect() as connection:
            world = _load_world(connection, world_id, registry, now_ms, people_store=store)
        with self._guard:
            self._loaded[world_id] = (world, now_ms)
        return world

    def _read_in_background(
        self,
        store: sa.Engine,
        world_id: str,
        registry: ModelRegistry | None,
        now_ms: int,
        in_hand: "_World",
    ) -> None:
        """Read the world again on a thread; it replaces ``in_hand`` unless that was
        invalidated or replaced meanwhile."""
        with self._guard:
            if world_id in self._reading:
                return
            self._reading.add(world_id)

        def read() -> None:
            try:
                with store.connect() as connection:
                    world = _load_world(
                        connection,
                        world_id,
                        registry,
                        now_ms,
                        people_store=store,
                        previous=in_hand,
                    )
                with self._guard:
                    current = self._loaded.get(world_id)
                    if current is not None and current[0] is in_hand:
                        self._loaded[world_id] = (world, now_ms)
            except Exception:  # the feeds go on from the copy in hand; a later one tries again
                log.warning("reading world %r for the feed cache failed", world_id, exc_info=True)
            finally:
                with self._guard:
                    self._reading.discard(world_id)

        threading.Thread(target=read, name=f"feed-cache-{world_id}", daemon=True).start()


@dataclass(eq=False, slots=True)
class _Pending:
    """Feeds composed from one world, waiting to be recorded, and how recording went."""

    store: sa.Engine
    world: "_World"
    served: Sequence["_Served"]
    done: bool = False
    error: BaseException | None = None


class _GroupCommit:
    """Records handed-over feeds in order, as many to a transaction as have queued.

    It has no thread of its own (leader and followers): a caller that waits while no
    transaction is being written writes everything queued so far in one transaction, and
    the other callers whose feeds it held return when it commits.
    """

    def __init__(self) -> None:
        self._queue: list[_Pending] = []
        self._writing = False
        self._changed = threading.Condition()

    def hand_over(self, pending: _Pending) -> None:
        """Queue ``pending`` behind everything handed over before it."""
        with self._changed:
            self._queue.append(pending)

    def wait(self, pending: _Pending) -> None:
        """Return once ``pending`` is committed; raise what writing it raised."""
        with self._changed:
            while self._writing and not pending.done:
                self._changed.wait()
            lead = not pending.done
            if lead:
                self._writing = True
                batch, self._queue = self._queue, []
        if lead:
            error: BaseException | None = None
            try:
                _record_pending(batch)
            except BaseException as caught:  # every feed of the batch failed with it
                error = caught
            with self._changed:
                for entry in batch:
                    entry.done, entry.error = True, error
                self._writing = False
                self._changed.notify_all()
        if pending.error is not None:
            raise pending.error


def _record_pending(batch: Sequence[_Pending]) -> None:
    """Every feed of the batch, a transaction per store, in the order they were handed over."""
    for store, of_store in itertools.groupby(batch, key=lambda entry: entry.store):
        with store.begin() as connection:
            for world, of_world in itertools.groupby(of_store, key=lambda entry: entry.world):
                _record_feeds(
                    connection, world, [served for entry in of_world for served in entry.served]
                )


def serve_feed(
    store: sa.Engine,
    world_id: str,
    person: str,
    k: int,
    *,
    policy: str | None = None,
    registry: ModelRegistry | None = None,
    now_ms: int,
    seed: int | None = None,
    cache: FeedCache | None = None,
) -> Feed:
    """Serve and record one feed of up to ``k`` slots for ``person`` (see ``serve_feeds``)."""
    return serve_feeds(
        store,
        world_id,
        [person],
        k,
        policy=policy,
        registry=registry,
        now_ms=now_ms,
        seed=seed,
        cache=cache,
    )[0]


def serve_feeds(
    store: sa.Engine,
    world_id: str,
    people_ids: Sequence[str],
    k: int,
    *,
    policy: str | None = None,
    registry: ModelRegistry | None = None,
    now_ms: int,
    seed: int | None = None,
    on_feed: Any = None,
    cache: FeedCache | None = None,
) -> list[Feed]:
    """Serve and record a feed of up to ``k`` slots to each person, in order.

    Organic slots come from the world's active attention model (most verified
    attention when it has none) through the named policy within each person's
    attention budget; ad slots go by auction among the campaigns that target the
    person; ``policy`` defaults to the world's (``feeds.policy``, greedy unless set). The
    fair-exposure state each feed leaves is what the next feed sees; feeds are recorded
    up to ``RECORD_CHUNK`` to a transaction, and ``on_feed`` hears of each once it is
    recorded. With a ``cache`` the world is read from the store only when the cache's
    copy is stale.
    """
    if k < 1:
        raise InputError(f"a feed needs at least one slot, not k={k}")
    if cache is not None:
        return cache.serve(
            store,
            world_id,
            people_ids,
            k,
            policy=policy,
            registry=registry,
            now_ms=now_ms,
            seed=seed,
            on_feed=on_feed,
        )
    with store.connect() as connection:
        world = _load_world(connection, world_id, registry, now_ms)
    _check_people(world, people_ids)
    served: list[Feed] = []
    pending: list[_Served] = []
    for entry in _compose_each(world, people_ids, k, policy, seed):
        pending.append(entry)
        if len(pending) == RECORD_CHUNK:
            served.extend(_record(store, world, pending, on_feed))
            pending = []
    served.extend(_record(store, world, pending, on_feed))
    return served


def _check_people(world: _World, people_ids: Sequence[str]) -> None:
    """NotFound unless everyone is in the world; reads those a cache's copy has not yet."""
    unread = [person for person in people_ids if person not in world.attributes]
    if unread and world.people_store is not None:
        _read_people(world, world.people_store, unread)
        unread = [person for person in unread if person not in world.attributes]
    if unread:
        raise NotFound(f"person {unread[0]!r} is not in world {world.world_id!r}")


def _read_people(world: _World, store: sa.Engine, people_ids: Sequence[str]) -> None:
    """Add these people's attributes and today's attention to the world (by primary key)."""
    wanted = sorted(set(people_ids))
    with store.connect() as connection:
        found = connection.execute(
            sa.select(people.c.user_id, people.c.attributes).where(
                people.c.world_id == world.world_id, people.c.user_id.in_(wanted)
            )
        ).all()
        spent = dict(
            connection.execute(
                sa.select(attention_daily.c.user_id, sa.func.sum(attention_daily.c.attentive_ms))
                .where(
                    attention_daily.c.world_id == world.world_id,
                    attention_daily.c.day == day_of(world.now_ms),
                    attention_daily.c.user_id.in_([row.user_id for row in found]),
                )
                .group_by(attention_daily.c.user_id)
            ).all()
        )
    for user_id, attributes in found:
        world.spent_today_ms[user_id] = int(spent.get(user_id) or 0)
        world.attributes[user_id] = attributes or {}


def _compose_each(
    world: _World, people_ids: Sequence[str], k: int, policy: str | None, seed: int | None
) -> Iterator["_Served"]:
    """Each person's feed in order, with the world's state advanced past it (the
    fair-exposure totals, pacing and impressions that the next feed sees)."""
    policy = policy or world.rules.policy
    rng = np.random.default_rng(seed)
    for person in people_ids:
        feed, candidates, pacing = _compose_feed(world, person, k, policy, rng)
        exposure, merit = _creator_exposure_added(world, feed, candidates)
        world.state = ExposureState(
            exposure=world.state.exposure + exposure,
            merit=world.state.merit + merit,
            requests=world.state.requests + 1,
        )
        world.pacing.update(pacing)
        for entry in feed.slots:
            world.impressions[world.item_index[entry.item_id]] += 1
        yield _Served(feed, exposure, merit, pacing)


@dataclass(frozen=True, slots=True)
class _Served:
    """A feed composed but not yet recorded, with the exposure state it adds."""

    feed: Feed
    exposure: np.ndarray
    merit: np.ndarray
    pacing: dict[str, ads.PacingState]


def _record(
    store: sa.Engine, world: _World, pending: Sequence[_Served], on_feed: Any
) -> list[Feed]:
    """Record a chunk of feeds in one transaction, then tell ``on_feed`` about each."""
    if not pending:
        return []
    with store.begin() as connection:
        _record_feeds(connection, world, pending)
    if on_feed is not None:
        for entry in pending:
            on_feed(entry.feed)
    return [entry.feed for entry in pending]


def active_people(store: sa.Engine, world_id: str) -> list[str]:
    """Everyone in the world, in id order (the people ``allocate`` serves)."""
    with store.connect() as connection:
        return list(
            connection.execute(
                sa.select(people.c.user_id)
                .where(people.c.world_id == world_id)
                .order_by(people.c.user_id)
            ).scalars()
        )


def _compose_feed(
    world: _World, person: str, k: int, policy: str, rng: np.random.Generator
) -> tuple[Feed, Candidates, dict[str, ads.PacingState]]:
    notes: list[str] = []
    scores = _scores(world, person, notes)
    pool = world.organic.copy()
    seen = world.seen.get(person, set())
    if seen:
        pool[list(seen)] = False
    index = np.flatnonzero(pool)
    ranked = index[np.lexsort((index, -scores[index]))]
    beyond = ranked[world.rules.candidates :]
    newcomers = beyond[world.new_creator[world.item_creator[beyond]]]
    top = np.concatenate(
        [ranked[: world.rules.candidates], newcomers[: world.rules.new_creator_candidates]]
    )
    dwell = allocation.expected_attention_ms(scores[top], world.mean_dwell_ms[top])
    candidates = Candidates(
        attention=dwell / 1000.0,
        creator=world.item_creator[top],
        embedding=_tag_vectors(world, top),
        impressions=world.impressions[top].astype(np.float64),
        protected=world.new_creator[world.item_creator[top]],
        dwell_ms=world.mean_dwell_ms[top],
    )
    remaining_ms = world.rules.daily_budget_ms - world.spent_today_ms.get(person, 0)
    chosen = allocation.feed_policy(
        policy, world.rules, state=world.state, remaining_ms=remaining_ms, rng=rng
    )
    slate = chosen(candidates, k)
    notes.extend(slate.notes)

    weights = allocation.position_exposure(len(slate))
    organic = [
        FeedSlot(
            slot=0,
            item_id=str(world.item_ids[top[c]]),
            creator_id=world.creator_ids[int(world.item_creator[top[c]])],
            kind="organic",
            score=float(slate.total()[position]),
            exposure=0.0,
            explanation={
                "predicted_attention_s": float(candidates.attention[c]),
                **{
                    name: float(values[position])
                    for name, values in slate.parts.items()
                    if name != "attention"
                },
            },
        )
        for position, c in enumerate(slate.order)
    ]
    ad_slots, pacing = _auction_ads(world, person, len(slate), notes)
    ordered = _interleave(organic, ad_slots, len(slate))
    filled = tuple(
        FeedSlot(
            slot=number,
            item_id=entry.item_id,
            creator_id=entry.creator_id,
            kind=entry.kind,
            score=entry.score,
            exposure=float(weights[number - 1]),
            explanation=entry.explanation,
            campaign_id=entry.campaign_id,
            price_per_second=entry.price_per_second,
        )
        for number, entry in enumerate(ordered, start=1)
    )
    feed = Feed(
        feed_id=uuid.uuid4().hex,
        world_id=world.world_id,
        user_id=person,
        policy=policy,
        model=world.model_name,
        served_ms=world.now_ms,
        budget_left_ms=int(remaining_ms),
        slots=filled,
        notes=tuple(notes),
    )
    return feed, candidates, pacing


def _scores(world: _World, person: str, notes: list[str]) -> np.ndarray:
    """Every catalogue item's score for the person; unscored items get the lowest."""
    if world.model is None:
        notes.append("no active model: ranked by verified attention")
        return world.popularity.astype(np.float64)
    model_scores = world.model.score([person])[0].astype(np.float64)
    scores = np.full(len(world.item_ids), model_scores.min() if len(model_scores) else 0.0)
    known = world.model_columns >= 0
    scores[known] = model_scores[world.model_columns[known]]
    return scores


def _tag_vectors(world: _World, rows: np.ndarray) -> np.ndarray:
    """Bag-of-tags vectors (with the creator as a tag) of the candidates, for MMR's
    similarity: their rows of the world's tag matrix, on the tags they use."""
    # Read straight from the CSR arrays: scipy's fancy indexing costs more than the
    # arithmetic for a few dozen rows, once per feed.
    matrix = world.tag_matrix
    starts = matrix.indptr[rows]
    lengths = matrix.indptr[rows + 1] - starts
    if lengths.sum() == 0:
        return np.zeros((len(rows), 1))
    owner = np.repeat(np.arange(len(rows)), lengths)
    offsets = np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    entries = np.repeat(starts, lengths) + offsets
    used, column = np.unique(matrix.indices[entries], return_inverse=True)
    vectors = np.zeros((len(rows), len(used)))
    np.add.at(vectors, (owner, column), matrix.data[entries])
    return vectors


def _tag_matrix(tags: Sequence[frozenset[str]], creators: np.ndarray) -> sp.csr_matrix:
    """Items × tags, 1 where the item has the tag; the item's creator is one more tag."""
    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    for item, (item_tags, creator) in enumerate(zip(tags, creators.tolist(), strict=True)):
        for tag in (*sorted(item_tags), f"creator:{creator}"):
            rows.append(item)
            columns.append(vocabulary.setdefault(tag, len(vocabulary)))
    return sp.csr_matrix(
        (np.ones(len(rows)), (rows, columns)), shape=(len(tags), max(len(vocabulary), 1))
    )


def _auction_ads(
    world: _World, person: str, feed_length: int, notes: list[str]
) -> tuple[dict[int, FeedSlot], dict[str, ads.PacingState]]:
    """Run the person's ad auction for the feed's ad slots; winners by 1-based slot."""
    positions = world.rules.ad_slots(feed_length)
    if not positions or not world.creatives:
        return {}, {}
    campaigns = [entry.campaign for entry in world.campaigns]
    pacing = world.pacing
    creative_rows = [world.item_index[c.creative_id] for c in world.creatives]
    seconds = world.mean_dwell_ms[creative_rows] / 1000.0
    clicks = np.array(
        [world.ad_click_rate.get(c.creative_id, DEFAULT_CLICK_RATE) for c in world.creatives]
    )
    bids = ads.auction_bids(
        campaigns,
        world.creatives,
        predicted_seconds=seconds,
        predicted_clicks=clicks,
        person_attributes=world.attributes.get(person, {}),
        pacing=pacing,
    )
    weights = allocation.position_exposure(max(positions))[np.array(positions) - 1]
    result = ads.run_auction(
        bids.bids,
        bids.qualities,
        weights,
        mechanism=world.rules.auction,
        reserve=world.rules.reserve,
    )
    won: dict[int, FeedSlot] = {}
    spend: dict[str, int] = defaultdict(int)
    for outcome, position in zip(result.slots(), positions, strict=True):
        if outcome.winner < 0:
            continue
        creative = world.creatives[outcome.winner]
        state = pacing[creative.campaign_id]
        expected_ms = int(outcome.attention * 1000)
        charge = ads.charge_within_budget(
            state, ads.charge_minor(outcome.price, expected_ms) + spend[creative.campaign_id]
        )
        spend[creative.campaign_id] = charge
        row = world.item_index[creative.creative_id]
        won[position] = FeedSlot(
            slot=position,
            item_id=creative.creative_id,
            creator_id=world.creator_ids[int(world.item_creator[row])],
            kind="ad",
            score=float(outcome.score),
            exposure=0.0,
            explanation={
                "auction": world.rules.auction,
                "auction_rank": int(outcome.slot) + 1,
                "bid_per_second": float(bids.bids[outcome.winner]),
                "predicted_attention_s": float(bids.qualities[outcome.winner]),
                "price_per_second": float(outcome.price),
                "expected_charge_minor": int(charge),
            },
            campaign_id=creative.campaign_id,
            price_per_second=float(outcome.price),
        )
    if not won:
        notes.append("no ad met the reserve and targeting: ad slots left organic")
    fraction = day_fraction(world.now_ms)
    updated = {
        campaign_id: ads.update_pacing(
            pacing[campaign_id],
            spend_minor=amount,
            elapsed_fraction=max(fraction, pacing[campaign_id].elapsed_fraction),
        )
        for campaign_id, amount in spend.items()
    }
    return won, updated


def _interleave(
    organic: list[FeedSlot], ad_slots: dict[int, FeedSlot], length: int
) -> list[FeedSlot]:
    """Organic slots in order with the won ad slots at their positions, ``length`` in all."""
    ordered: list[FeedSlot] = []
    remaining = iter(organic)
    for number in range(1, length + 1):
        if number in ad_slots:
            ordered.append(ad_slots[number])
        else:
            ordered.append(next(remaining))
    return ordered


def _creator_exposure_added(
    world: _World, feed: Feed, candidates: Candidates
) -> tuple[np.ndarray, np.ndarray]:
    """Exposure each creator gained from the feed's organic slots, and merit as candidates."""
    n_creators = len(world.creator_ids)
    organic = [entry for entry in feed.slots if entry.kind == "organic"]
    exposure = np.zeros(n_creators)
    for entry in organic:
        exposure[world.item_creator[world.item_index[entry.item_id]]] += entry.exposure
    merit = np.bincount(
        candidates.creator, weights=np.maximum(candidates.attention, 0.0), minlength=n_creators
    ).astype(np.float64)
    return exposure, merit


_FEED_COLUMNS = (
    "world_id",
    "feed_id",
    "user_id",
    "policy",
    "model",
    "served_ms",
    "slots",
    "budget_left_ms",
    "notes",
)
_EXPOSURE_COLUMNS = (
    "world_id",
    "feed_id",
    "user_id",
    "slot",
    "item_id",
    "creator_id",
    "kind",
    "policy",
    "model",
    "served_ms",
    "exposure",
    "score",
    "explanation",
    "campaign_id",
    "price_per_second",
)


def _record_feeds(connection: sa.Connection, world: _World, chunk: Sequence[_Served]) -> None:
    """The feeds, their slots, the creators' exposure and items' impression totals, and
    the campaigns' pacing (the log straight through the driver: it is every feed's cost)."""
    insert_many(
        connection,
        feeds,
        _FEED_COLUMNS,
        [
            (
                feed.world_id,
                feed.feed_id,
                feed.user_id,
                feed.policy,
                feed.model,
                feed.served_ms,
                len(feed.slots),
                feed.budget_left_ms,
                json.dumps(list(feed.notes)) if feed.notes else None,
            )
            for feed in (entry.feed for entry in chunk)
        ],
    )
    insert_many(
        connection,
        exposures,
        _EXPOSURE_COLUMNS,
        [
            (
                feed.world_id,
                feed.feed_id,
                feed.user_id,
                slot.slot,
                slot.item_id,
                slot.creator_id,
                slot.kind,
                feed.policy,
                feed.model,
                feed.served_ms,
                slot.exposure,
                slot.score,
                json.dumps(slot.explanation),
                slot.campaign_id,
                slot.price_per_second,
            )
            for feed in (entry.feed for entry in chunk)
            for slot in feed.slots
        ],
    )
    exposure = np.sum([entry.exposure for entry in chunk], axis=0)
    merit = np.sum([entry.merit for entry in chunk], axis=0)
    served_ms = chunk[-1].feed.served_ms
    add_to_totals(
        connection,
        creator_exposure,
        [
            {
                "world_id": world.world_id,
                "creator_id": world.creator_ids[int(group)],
                "exposure": float(exposure[group]),
                "merit": float(merit[group]),
                "updated_ms": served_ms,
            }
            for group in np.flatnonzero((exposure > 0) | (merit > 0))
        ],
        added=("exposure", "merit"),
    )
    shown: dict[str, int] = defaultdict(int)
    for feed in (entry.feed for entry in chunk):
        for slot in feed.slots:
            shown[slot.item_id] += 1
    add_to_totals(
        connection,
        item_impressions,
        [
            {
                "world_id": world.world_id,
                "item_id": item_id,
                "impressions": count,
                "updated_ms": served_ms,
            }
            for item_id, count in sorted(shown.items())
        ],
        added=("impressions",),
    )
    pacing = {campaign: state for entry in chunk for campaign, state in entry.pacing.items()}
    for campaign_id, state in pacing.items():
        record_pacing(connection, world.world_id, campaign_id, state, now_ms=served_ms)


def _load_world(
    connection: sa.Connection,
    world_id: str,
    registry: ModelRegistry | None,
    now_ms: int,
    *,
    people_store: sa.Engine | None = None,
    previous: _World | None = None,
) -> _World:
    """Everything a batch of feeds reads. With ``people_store`` (a cache's copy) people
    are left to be read when first served; with ``previous`` (the copy in hand, of the
    same day) what people have seen is carried over from it plus the events since."""
    config = connection.execute(
        sa.select(worlds.c.config).where(worlds.c.world_id == world_id)
    ).first()
    if config is None:
        raise NotFound(f"world {world_id!r} does not exist")
    rules = FeedRules.from_world_config(config[0])
    catalogue = connection.execute(
        sa.select(items.c.item_id, items.c.kind, items.c.creator_id, items.c.tags)
        .where(items.c.world_id == world_id)
        .order_by(items.c.item_id)
    ).all()
    if not catalogue:
        raise NotFound(f"world {world_id!r} has no items to serve")
    item_ids = np.array([row.item_id for row in catalogue], dtype=object)
    creator_rows = connection.execute(
        sa.select(creators.c.creator_id, creators.c.created_ms)
        .where(creators.c.world_id == world_id)
        .order_by(creators.c.creator_id)
    ).all()
    creator_ids = [row.creator_id for row in creator_rows]
    creator_index = {creator_id: i for i, creator_id in enumerate(creator_ids)}
    new_since = now_ms - rules.new_creator_days * MS_PER_DAY
    new_creator = np.array([row.created_ms >= new_since for row in creator_rows], dtype=bool)
    item_index = {item_id: i for i, item_id in enumerate(item_ids)}

    attention_ms = np.zeros(len(item_ids))
    views = np.zeros(len(item_ids))
    for item_id, total_ms, total_views in connection.execute(
        sa.select(
            attention_daily.c.item_id,
            sa.func.sum(attention_daily.c.attentive_ms),
            sa.func.sum(attention_daily.c.views),
        )
        .where(attention_daily.c.world_id == world_id)
        .group_by(attention_daily.c.item_id)
    ):
        if item_id in item_index:
            attention_ms[item_index[item_id]] = float(total_ms)
            views[item_index[item_id]] = float(total_views)
    world_mean = attention_ms.sum() / views.sum() if views.sum() > 0 else DEFAULT_DWELL_MS
    mean_dwell = np.where(views > 0, attention_ms / np.maximum(views, 1), world_mean)

    impressions = np.zeros(len(item_ids), dtype=np.int64)
    for item_id, count in connection.execute(
        sa.select(item_impressions.c.item_id, item_impressions.c.impressions).where(
            item_impressions.c.world_id == world_id
        )
    ):
        if item_id in item_index:
            impressions[item_index[item_id]] = count

    exposure = np.zeros(len(creator_ids))
    merit = np.zeros(len(creator_ids))
    for creator_id, total_exposure, total_merit in connection.execute(
        sa.select(
            creator_exposure.c.creator_id, creator_exposure.c.exposure, creator_exposure.c.merit
        ).where(creator_exposure.c.world_id == world_id)
    ):
        if creator_id in creator_index:
            exposure[creator_index[creator_id]] = total_exposure
            merit[creator_index[creator_id]] = total_merit
    requests = connection.execute(
        sa.select(sa.func.count()).select_from(feeds).where(feeds.c.world_id == world_id)
    ).scalar_one()

    seen_through = connection.execute(sa.select(sa.func.max(events.c.seq))).scalar() or 0
    carried = (
        previous is not None
        and previous.seen_reads_since_full + 1 < FULL_SEEN_READ_EVERY
        and np.array_equal(previous.item_ids, item_ids)
    )
    if previous is not None and carried:
        seen = _seen_since(
            connection, world_id, item_index, previous.seen, previous.seen_through_seq, seen_through
        )
        seen_reads_since_full = previous.seen_reads_since_full + 1
    else:
        seen = _seen_since(connection, world_id, item_index, {}, None, seen_through)
        seen_reads_since_full = 0
    spent_today: dict[str, int] = {}
    attributes: dict[str, dict[str, Any]] = {}
    if people_store is None:
        today = day_of(now_ms)
        spent_today = {
            user_id: int(total)
            for user_id, total in connection.execute(
                sa.select(attention_daily.c.user_id, sa.func.sum(attention_daily.c.attentive_ms))
                .where(attention_daily.c.world_id == world_id, attention_daily.c.day == today)
                .group_by(attention_daily.c.user_id)
            )
        }
        attributes = {
            user_id: attrs or {}
            for user_id, attrs in connection.execute(
                sa.select(people.c.user_id, people.c.attributes).where(
                    people.c.world_id == world_id
                )
            )
        }
    stored_campaigns, creatives_shown = load_campaigns(connection, world_id, now_ms=now_ms)
    ad_clicks: dict[str, int] = dict(
        connection.execute(
            sa.select(events.c.item_id, sa.func.count())
            .where(
                events.c.world_id == world_id,
                events.c.type == "click",
                events.c.item_id.in_([c.creative_id for c in creatives_shown]),
            )
            .group_by(events.c.item_id)
        ).all()
    )
    ad_click_rate = {
        c.creative_id: ad_clicks.get(c.creative_id, 0) / views[item_index[c.creative_id]]
        for c in creatives_shown
        if views[item_index[c.creative_id]] > 0
    }

    model: AttentionModel | None = None
    model_name: str | None = None
    model_columns = np.full(len(item_ids), -1, dtype=np.int64)
    version = registry.active(world_id) if registry is not None else None
    if registry is not None and version is not None:
        model = registry.load(version.model, version.version)
        model_name = f"{version.model}@{version.version}"
        for i, item_id in enumerate(item_ids):
            column = model.data.item_index(str(item_id))
            if column is not None:
                model_columns[i] = column

    item_creator = np.array([creator_index[row.creator_id] for row in catalogue])
    return _World(
        world_id=world_id,
        rules=rules,
        now_ms=now_ms,
        item_ids=item_ids,
        item_index=item_index,
        item_creator=item_creator,
        tag_matrix=_tag_matrix([frozenset(row.tags or ()) for row in catalogue], item_creator),
        organic=np.array([row.kind != "ad" for row in catalogue], dtype=bool),
        creator_ids=creator_ids,
        new_creator=new_creator,
        mean_dwell_ms=mean_dwell,
        impressions=impressions,
        popularity=attention_ms,
        state=ExposureState(exposure=exposure, merit=merit, requests=int(requests)),
        seen=seen,
        spent_today_ms=spent_today,
        attributes=attributes,
        campaigns=stored_campaigns,
        pacing={entry.campaign.campaign_id: entry.pacing for entry in stored_campaigns},
        creatives=creatives_shown,
        ad_click_rate=ad_click_rate,
        model=model,
        model_name=model_name,
        model_columns=model_columns,
        people_store=people_store,
        seen_through_seq=int(seen_through),
        seen_reads_since_full=seen_reads_since_full,
    )


def _seen_since(
    connection: sa.Connection,
    world_id: str,
    item_index: dict[str, int],
    seen: dict[str, set[int]],
    after_seq: int | None,
    through_seq: int,
) -> dict[str, set[int]]:
    """``seen`` with the items of the events after ``after_seq`` (all when None) up to
    ``through_seq`` added. ``seen`` is left as it was: a person's set that changes is
    copied, since the copy in hand may still be serving from it."""
    query = sa.select(events.c.user_id, events.c.item_id).where(
        events.c.world_id == world_id,
        events.c.item_id.is_not(None),
        events.c.seq <= through_seq,
    )
    query = query.distinct() if after_seq is None else query.where(events.c.seq > after_seq)
    updated = dict(seen)
    copied: set[str] = set()
    for user_id, item_id in connection.execute(query):
        row = item_index.get(item_id)
        if row is None:
            continue
        if user_id not in copied:
            updated[user_id] = set(seen.get(user_id, ()))
            copied.add(user_id)
        updated[user_id].add(row)
    return updated
