"""A small, plausible demo world as wire-format records, generated from a seed.

People have latent topic interests and an activity level; creators have topics and a
quality; items inherit their creator's topics. Each active day a person opens 0-3
sessions, scrolls pages of ten impressions, views some (more often near the top and
when interest times quality is high), and engages with what they viewed. The records
are plain dicts in exactly the shape Mindshare's importers accept, so a demo, a test or
a benchmark can ingest them; ``bad_events`` holds the mistakes a real client makes, kept
apart so a caller can show each one rejected with a reason.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from mindshare.core import MS_PER_DAY, to_epoch_ms

Record = dict[str, Any]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class DemoWorld:
    """Creators, items, people and events of a demo world, plus bad events kept apart.

    Every record is a JSON-able dict in the importers' wire format. ``events`` are sorted
    by time; ``bad_events`` each carry one realistic client mistake and should be rejected.
    """

    creators: tuple[Record, ...]
    items: tuple[Record, ...]
    people: tuple[Record, ...]
    events: tuple[Record, ...]
    bad_events: tuple[Record, ...]


def generate_demo_world(
    *,
    seed: int = 0,
    people: int = 200,
    creators: int = 20,
    items: int = 300,
    days: int = 7,
    start: date = date(2026, 1, 5),
) -> DemoWorld:
    """Generate a deterministic demo world: same arguments, same records.

    Parameters
    ----------
    seed
        Seeds ``numpy.random.default_rng``; the only source of randomness.
    people, creators, items
        How many of each the world has. About 5% of ``people`` have no person
        record and arrive only through their events, as in a real world.
    days
        Whole UTC days of activity, from ``start`` at midnight.
    start
        The first day.

    Examples
    --------
    >>> world = generate_demo_world(seed=1, people=20, creators=3, items=30, days=1)
    >>> world.items[0]["item_id"], world.events[0]["type"]
    ('i0001', 'session_start')
    """
    if people < 1 or creators < 1 or days < 1:
        raise ValueError("people, creators and days must each be at least 1")
    if items < len(ITEM_KINDS):
        raise ValueError(f"items must be at least {len(ITEM_KINDS)}, one of each kind")
    rng = np.random.default_rng(seed)
    creator_traits = _draw_creators(rng, creators)
    item_traits = _draw_items(rng, creator_traits, items)
    person_traits = _draw_people(rng, people)
    first_ms = to_epoch_ms(datetime(start.year, start.month, start.day, tzinfo=UTC))
    events = _simulate_events(
        rng,
        people=person_traits,
        creators=creator_traits,
        items=item_traits,
        days=days,
        first_ms=first_ms,
    )
    registered = np.flatnonzero(~person_traits.arrives_via_events)
    return DemoWorld(
        creators=tuple(_creator_record(creator_traits, c) for c in range(creators)),
        items=tuple(_item_record(item_traits, creator_traits, i) for i in range(items)),
        people=tuple(_person_record(person_traits, int(p)) for p in registered),
        events=tuple(events),
        bad_events=tuple(_make_bad_events(rng, events, start=start)),
    )


# --- vocabulary -------------------------------------------------------------------------

ITEM_KINDS = ("content", "asset", "ad", "space")
SURFACES = ("feed", "search", "profile", "space")
CURRENCY = "GEMS"
PAGE_SIZE = 10

TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("racing", ("drift", "turbo", "lap", "circuit", "nitro", "pit")),
    ("fantasy", ("dragon", "rune", "castle", "quest", "elf", "spell")),
    ("scifi", ("starship", "nebula", "android", "warp", "orbit", "laser")),
    ("music", ("beat", "synth", "chorus", "remix", "bass", "stage")),
    ("fashion", ("jacket", "sneaker", "runway", "neon", "denim", "hat")),
    ("building", ("block", "bridge", "tower", "blueprint", "brick", "roof")),
    ("pets", ("kitten", "puppy", "parrot", "hamster", "leash", "treat")),
    ("sports", ("goal", "dunk", "sprint", "trophy", "league", "pitch")),
    ("horror", ("ghost", "crypt", "fog", "lantern", "whisper", "mask")),
    ("cooking", ("recipe", "spice", "noodle", "oven", "taco", "soup")),
    ("art", ("canvas", "pixel", "sketch", "mural", "palette", "statue")),
    ("comedy", ("prank", "meme", "blooper", "pun", "sketch", "parody")),
)
_NAME_STARTS = ("Pixel", "Neon", "Lucky", "Quiet", "Iron", "Velvet", "Cosmic", "Tiny", "Wild")
_NAME_ENDS = ("Fox", "Moth", "Forge", "Otter", "Studio", "Crow", "Lab", "Works", "Bloom")
_COUNTRIES = ("US", "BR", "DE", "JP", "IN", "GB", "FR", "KR", "MX", "PL")
_COUNTRY_WEIGHTS = (0.28, 0.14, 0.08, 0.08, 0.12, 0.08, 0.06, 0.06, 0.05, 0.05)
_AGE_BANDS = ("13-17", "18-24", "25-34", "35-44", "45-54", "55+")
_AGE_WEIGHTS = (0.14, 0.32, 0.27, 0.14, 0.08, 0.05)
_KIND_WEIGHTS = (0.80, 0.12, 0.03, 0.05)  # content, asset, ad, space
_SURFACE_WEIGHTS = (0.72, 0.13, 0.09, 0.06)
# Relative chance a session starts in each UTC hour: quiet nights, lunch, evening peak.
_HOURLY_WEIGHTS = (
    *(1, 0.6, 0.4, 0.3, 0.3, 0.4, 0.7, 1.2, 1.6, 1.8, 2.0, 2.3),
    *(2.8, 2.6, 2.2, 2.2, 2.5, 3.0, 3.6, 4.2, 4.5, 4.0, 3.0, 1.8),
)


# --- latent traits ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Creators:
    """Per-creator topics (rows sum to 1), quality in (0, 1), popularity and a name."""

    topics: FloatArray
    quality: FloatArray
    popularity: FloatArray
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Items:
    """Per-item id, kind, creator, main topic, quality, price (assets only, else 0), words."""

    ids: tuple[str, ...]
    kinds: tuple[str, ...]
    creator: IntArray
    topic: IntArray
    quality: FloatArray
    price_minor: IntArray
    words: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class _People:
    """Per-person topic interests (rows sum to 1), activity in (0, 1) and attributes."""

    interests: FloatArray
    activity: FloatArray
    countries: tuple[str, ...]
    age_bands: tuple[str, ...]
    arrives_via_events: npt.NDArray[np.bool_]


def _draw_creators(rng: np.random.Generator, n: int) -> _Creators:
    """Creators specialise in one or two topics; quality and popularity vary widely."""
    topics = rng.dirichlet(np.full(len(TOPICS), 0.15), size=n)
    quality = rng.beta(4.0, 2.0, size=n)
    popularity = rng.pareto(1.5, size=n) + 1.0
    names: list[str] = []
    for c in range(n):
        name = f"{rng.choice(_NAME_STARTS)}{rng.choice(_NAME_ENDS)}"
        names.append(name if name not in names else f"{name}{c + 1}")
    return _Creators(topics, quality, popularity / popularity.sum(), tuple(names))


def _draw_items(rng: np.random.Generator, creators: _Creators, n: int) -> _Items:
    """Every creator makes at least one item (when there are enough); popular ones make more."""
    n_creators = len(creators.names)
    owned = np.arange(min(n, n_creators))
    rest = rng.choice(n_creators, size=n - owned.size, p=creators.popularity)
    creator = rng.permutation(np.concatenate([owned, rest])).astype(np.int64)

    kind_index = rng.choice(len(ITEM_KINDS), size=n, p=_KIND_WEIGHTS)
    # One random item of each kind, so that even a tiny world has every kind.
    kind_index[rng.permutation(n)[: len(ITEM_KINDS)]] = np.arange(len(ITEM_KINDS))

    topic = np.array(
        [rng.choice(len(TOPICS), p=creators.topics[c]) for c in creator], dtype=np.int64
    )
    quality = np.clip(creators.quality[creator] + rng.normal(0.0, 0.08, size=n), 0.05, 0.99)
    # Prices cluster at round amounts: 50 to a few thousand gems.
    price = np.round(rng.lognormal(np.log(400.0), 0.9, size=n) / 10.0) * 10.0
    price_minor = np.where(kind_index == 1, np.maximum(price, 10.0), 0.0).astype(np.int64)
    words = []
    for t in topic:
        first, second = rng.choice(TOPICS[t][1], size=2, replace=False)
        words.append((str(first), str(second)))
    return _Items(
        ids=tuple(_item_id(i) for i in range(n)),
        kinds=tuple(ITEM_KINDS[k] for k in kind_index),
        creator=creator,
        topic=topic,
        quality=quality,
        price_minor=price_minor,
        words=tuple(words),
    )


def _draw_people(rng: np.random.Generator, n: int) -> _People:
    """People like a few topics; activity is how likely they show up on a given day."""
    interests = rng.dirichlet(np.full(len(TOPICS), 0.3), size=n)
    activity = rng.beta(2.0, 2.0, size=n)
    countries = rng.choice(len(_COUNTRIES), size=n, p=_COUNTRY_WEIGHTS)
    ages = rng.choice(len(_AGE_BANDS), size=n, p=_AGE_WEIGHTS)
    arrives_via_events = np.zeros(n, dtype=np.bool_)
    arrives_via_events[rng.choice(n, size=n // 20, replace=False)] = True
    return _People(
        interests=interests,
        activity=activity,
        countries=tuple(_COUNTRIES[i] for i in countries),
        age_bands=tuple(_AGE_BANDS[i] for i in ages),
        arrives_via_events=arrives_via_events,
    )


# --- records ----------------------------------------------------------------------------


def _creator_id(c: int) -> str:
    return f"c{c + 1:03d}"


def _item_id(i: int) -> str:
    return f"i{i + 1:04d}"


def _user_id(p: int) -> str:
    return f"u{p + 1:04d}"


def _creator_record(creators: _Creators, c: int) -> Record:
    top = np.argsort(-creators.topics[c])[:2]
    return {
        "creator_id": _creator_id(c),
        "name": creators.names[c],
        "attributes": {"topics": [TOPICS[t][0] for t in top]},
    }


def _item_record(items: _Items, creators: _Creators, i: int) -> Record:
    """Title, text and tags are built from the item's topic words, so text models have signal."""
    kind = items.kinds[i]
    topic = TOPICS[items.topic[i]][0]
    first, second = items.words[i]
    creator = int(items.creator[i])
    by = creators.names[creator]
    title, text = {
        "content": (
            f"{first.title()} {second.title()}",
            f"A {topic} clip by {by} about the {first} and the {second}.",
        ),
        "asset": (
            f"{first.title()} {second.title()} Pack",
            f"A {topic} avatar item from {by}, themed on {first} and {second}.",
        ),
        "ad": (
            f"Try {first.title()}!",
            f"Sponsored by {by}: the {first} every {topic} fan wants, now with {second}.",
        ),
        "space": (
            f"The {first.title()} {second.title()} Hall",
            f"A {topic} space by {by} where people meet around the {first} and the {second}.",
        ),
    }[kind]
    record: Record = {
        "item_id": _item_id(i),
        "kind": kind,
        "creator_id": _creator_id(creator),
        "title": title,
        "text": text,
        "tags": [topic, first, second],
    }
    if kind == "asset":
        record["price_minor"] = int(items.price_minor[i])
        record["currency"] = CURRENCY
    return record


def _person_record(people: _People, p: int) -> Record:
    return {
        "user_id": _user_id(p),
        "attributes": {"country": people.countries[p], "age_band": people.age_bands[p]},
    }


# --- behaviour --------------------------------------------------------------------------

# One simulated event before it has an id and a wall-clock time: offset from session start,
# then the record's fields in wire order after event_id/type/user_id/ts.
_Pending = tuple[int, str, Record]


@dataclass(slots=True)
class _Memory:
    """What a person has already done that they would not do twice: follow, buy."""

    follows: set[tuple[int, int]]
    purchases: set[tuple[int, int]]


def _simulate_events(
    rng: np.random.Generator,
    *,
    people: _People,
    creators: _Creators,
    items: _Items,
    days: int,
    first_ms: int,
) -> list[Record]:
    """Run every person's sessions day by day, then order all events by time and number them."""
    n_people = people.activity.size
    # How much person p cares for item i: interest in its topic (relative to their favourite)
    # times the item's quality. Drives what feeds show, what is viewed and for how long.
    relative_interest = people.interests / people.interests.max(axis=1, keepdims=True)
    affinity = relative_interest[:, items.topic] * items.quality[None, :]
    is_ad = np.array([k == "ad" for k in items.kinds])
    # Organic feeds rank by affinity and, more softly, creator popularity; ads are sold apart.
    log_exposure = 3.0 * affinity + 0.5 * np.log(creators.popularity[items.creator])[None, :]
    log_exposure[:, is_ad] = -np.inf
    ads = np.flatnonzero(is_ad)

    sessions = _draw_session_counts(rng, people.activity, days)
    ghosts = np.flatnonzero(people.arrives_via_events & (sessions.sum(axis=1) == 0))
    sessions[ghosts, 0] = 1  # someone who arrives only via events must send some
    if not sessions.any():  # a tiny, sleepy world still has something to ingest
        sessions[0, 0] = 1
    memory = _Memory(follows=set(), purchases=set())

    timeline: list[tuple[int, int, str, str, Record]] = []
    session_number = 0
    for day in range(days):
        for p in range(n_people):
            count = int(sessions[p, day])
            if count == 0:
                continue
            drafts: list[list[_Pending]] = []
            for _ in range(count):
                session_number += 1
                drafts.append(
                    _simulate_session(
                        rng,
                        person=p,
                        session_id=f"s{session_number:06d}",
                        activity=float(people.activity[p]),
                        affinity=affinity[p],
                        log_exposure=log_exposure[p],
                        ads=ads,
                        items=items,
                        memory=memory,
                    )
                )
            while sum(d[-1][0] for d in drafts) >= MS_PER_DAY:  # a marathon day: keep what fits
                drafts.pop()
            starts = _place_sessions(rng, [d[-1][0] for d in drafts])
            user_id = _user_id(p)
            for draft, session_start in zip(drafts, starts, strict=True):
                base = first_ms + day * MS_PER_DAY + session_start
                for offset, event_type, fields in draft:
                    timeline.append((base + offset, len(timeline), event_type, user_id, fields))

    timeline.sort(key=lambda e: (e[0], e[1]))
    stamps = _iso_many(np.array([e[0] for e in timeline], dtype=np.int64))
    return [
        {"event_id": _event_id(n), "type": t, "user_id": u, "ts": ts, **fields}
        for n, ((_, _, t, u, fields), ts) in enumerate(zip(timeline, stamps, strict=True))
    ]


def _draw_session_counts(rng: np.random.Generator, activity: FloatArray, days: int) -> IntArray:
    """Sessions per person and day: 0 when inactive, else 1-3, more for the very active."""
    active = rng.random((activity.size, days)) < activity[:, None]
    extra = rng.poisson(activity[:, None] * 0.8, size=(activity.size, days))
    return np.where(active, np.minimum(1 + extra, 3), 0).astype(np.int64)


def _place_sessions(rng: np.random.Generator, durations: list[int]) -> list[int]:
    """Start times (ms after midnight) so sessions follow the daily rhythm and never overlap.

    Draw one time of day per session, sort them, and squeeze them into the day left over
    after the sessions' own durations, so every session ends before midnight.
    """
    spare = MS_PER_DAY - sum(durations) - 1
    hours = rng.choice(24, size=len(durations), p=np.array(_HOURLY_WEIGHTS) / sum(_HOURLY_WEIGHTS))
    fraction_of_day = np.sort((hours + rng.random(len(durations))) / 24.0)
    starts: list[int] = []
    elapsed = 0
    for fraction, duration in zip(fraction_of_day, durations, strict=True):
        starts.append(int(fraction * spare) + elapsed)
        elapsed += duration
    return starts


def _simulate_session(
    rng: np.random.Generator,
    *,
    person: int,
    session_id: str,
    activity: float,
    affinity: FloatArray,
    log_exposure: FloatArray,
    ads: IntArray,
    items: _Items,
    memory: _Memory,
) -> list[_Pending]:
    """One session: start, 1-4 pages of impressions with views and reactions, end.

    Returns events with offsets in ms from the session start, already in time order;
    the last is the ``session_end``, whose offset is the session's duration.
    """
    context = {"session": session_id}
    events: list[_Pending] = [(0, "session_start", {"context": dict(context)})]
    cursor = int(rng.integers(300, 3_000))  # the app opens, the first page loads
    pages = 1 + min(int(rng.poisson(0.8 * activity + 0.3)), 3)
    for _ in range(pages):
        surface = SURFACES[int(rng.choice(len(SURFACES), p=_SURFACE_WEIGHTS))]
        shown = _fill_page(rng, log_exposure=log_exposure, ads=ads, with_ad=surface == "feed")
        cursor = _simulate_page(
            rng,
            events,
            person=person,
            shown=shown,
            surface=surface,
            opened_at=cursor,
            affinity=affinity,
            items=items,
            memory=memory,
            context=context,
        )
        cursor += int(rng.integers(800, 6_000))  # scroll on, or refresh
    events.append((cursor, "session_end", {"context": dict(context)}))
    events.sort(key=lambda e: e[0])  # stable: same-ms events keep their causal order
    return events


def _fill_page(
    rng: np.random.Generator, *, log_exposure: FloatArray, ads: IntArray, with_ad: bool
) -> IntArray:
    """Up to ten distinct organic items, best first; feeds often carry one ad in slot 4.

    Ranking by log-weight plus Gumbel noise draws without replacement in proportion to
    the weights (the Gumbel top-k trick), and gives the feed's order in the same step.
    """
    size = min(PAGE_SIZE, int(np.count_nonzero(np.isfinite(log_exposure))))
    keys = log_exposure + rng.gumbel(size=log_exposure.size)
    top = np.argpartition(-keys, size - 1)[:size]
    shown = top[np.argsort(-keys[top], kind="stable")].astype(np.int64)
    if with_ad and size >= 4 and rng.random() < 0.6:
        shown[3] = ads[int(rng.integers(ads.size))]
    return shown


def _simulate_page(
    rng: np.random.Generator,
    events: list[_Pending],
    *,
    person: int,
    shown: IntArray,
    surface: str,
    opened_at: int,
    affinity: FloatArray,
    items: _Items,
    memory: _Memory,
    context: dict[str, str],
) -> int:
    """Impressions for one page, then views top to bottom; returns when the page was left."""
    positions = np.arange(1, shown.size + 1)
    appeal = affinity[shown]
    for position, item in zip(positions, shown, strict=True):
        fields = {
            "item_id": items.ids[int(item)],
            "position": int(position),
            "surface": surface,
            "context": dict(context),
        }
        events.append((opened_at + 120 * (int(position) - 1), "impression", fields))

    # Position bias: each slot down is noticed less; interest and quality pull attention.
    p_view = np.clip((0.12 + 0.75 * appeal) * 0.88 ** (positions - 1), 0.0, 0.95)
    viewed = np.flatnonzero(rng.random(shown.size) < p_view)
    # Dwell is lognormal: median ~7 s for indifferent views, ~50 s for loved items.
    dwell = np.exp(rng.normal(np.log(7_000.0) + 2.0 * appeal[viewed], 1.15)).astype(np.int64)
    dwell = np.clip(dwell, 150, 45 * 60_000)
    glimpse = rng.random(viewed.size) < 0.1  # scrolled past, half off screen, tab hidden
    visible = np.where(
        glimpse, rng.uniform(0.05, 0.5, viewed.size), rng.uniform(0.6, 1.0, viewed.size)
    )

    left_at = opened_at + 120 * shown.size
    previous_start, previous_dwell = -1, 0
    for j, index in enumerate(viewed):
        if previous_start >= 0 and rng.random() < 0.05:
            # Side by side: this view opens while the previous one is still on screen.
            start = previous_start + int(previous_dwell * rng.uniform(0.2, 0.8))
        else:
            start = left_at + int(rng.lognormal(np.log(1_500.0), 0.6))
        item = int(shown[index])
        fields = {
            "item_id": items.ids[item],
            "dwell_ms": int(dwell[j]),
            "visible_fraction": round(float(visible[j]), 3),
            "position": int(positions[index]),
            "surface": surface,
            "context": dict(context),
        }
        events.append((start, "view", fields))
        _react(
            rng,
            events,
            person=person,
            item=item,
            view=fields,
            start=start,
            appeal=float(appeal[index]),
            items=items,
            memory=memory,
            context=context,
        )
        previous_start, previous_dwell = start, int(dwell[j])
        left_at = max(left_at, start + int(dwell[j]))
    return left_at


def _react(
    rng: np.random.Generator,
    events: list[_Pending],
    *,
    person: int,
    item: int,
    view: Record,
    start: int,
    appeal: float,
    items: _Items,
    memory: _Memory,
    context: dict[str, str],
) -> None:
    """Clicks, likes, comments, shares, follows, purchases and ratings during one view.

    They are signals about attention, not attention: rarer than views, likelier the more
    the person cares for the item, and each happens while the item is on screen.
    """
    dwell = int(view["dwell_ms"])
    kind = items.kinds[item]
    creator = int(items.creator[item])
    item_fields = {"item_id": view["item_id"], "context": dict(context)}

    def at(share_of_dwell: float) -> int:
        return start + max(1, int(dwell * share_of_dwell))

    if rng.random() < 0.06 + 0.35 * appeal:
        click = {**item_fields, "position": view["position"], "surface": view["surface"]}
        events.append((at(rng.uniform(0.02, 0.2)), "click", click))
    if rng.random() < 0.04 + 0.3 * appeal:
        events.append((at(rng.uniform(0.3, 0.95)), "like", dict(item_fields)))
    if rng.random() < 0.01 + 0.08 * appeal:
        events.append((at(rng.uniform(0.5, 0.98)), "comment", dict(item_fields)))
    if rng.random() < 0.01 + 0.05 * appeal:
        events.append((at(rng.uniform(0.5, 0.98)), "share", dict(item_fields)))
    if (person, creator) not in memory.follows and rng.random() < 0.01 + 0.1 * appeal:
        memory.follows.add((person, creator))
        events.append((at(rng.uniform(0.5, 0.98)), "follow", dict(item_fields)))
    if (
        kind == "asset"
        and (person, item) not in memory.purchases
        and rng.random() < 0.03 + 0.25 * appeal
    ):
        memory.purchases.add((person, item))
        paid = {**item_fields, "value": float(items.price_minor[item])}
        events.append((at(rng.uniform(0.6, 0.99)), "purchase", paid))
    if rng.random() < 0.02 + 0.08 * appeal:
        stars = float(min(5, max(1, round(1.0 + 4.0 * items.quality[item] + rng.normal(0, 0.7)))))
        events.append((at(rng.uniform(0.7, 0.99)), "rate", {**item_fields, "value": stars}))


def _event_id(n: int) -> str:
    return f"e{n + 1:07d}"


def _iso_many(epoch_ms: IntArray) -> list[str]:
    """``2026-01-05T18:03:12.250+00:00``: UTC offset, millisecond precision, all at once."""
    naive = np.datetime_as_string(epoch_ms.astype("datetime64[ms]"), unit="ms")
    return [f"{stamp}+00:00" for stamp in naive.tolist()]


# --- mistakes ---------------------------------------------------------------------------

BAD_EVENT_KINDS = (
    "negative_dwell",
    "visible_fraction_above_one",
    "unknown_type",
    "naive_ts",
    "future_ts",
    "unknown_item",
    "missing_user_id",
    "dwell_as_string",
    "conflicting_replay",
    "exact_duplicate",
)


def _make_bad_events(
    rng: np.random.Generator, events: list[Record], *, start: date
) -> list[Record]:
    """About 1% as many bad events as good ones (at least 10), one mistake each in rotation.

    Each starts from a real view, so the mistake is the only thing wrong with it. Fresh
    ids continue the world's numbering; the conflict and the duplicate reuse an existing id.
    """
    count = max(len(BAD_EVENT_KINDS), round(0.01 * len(events)))
    views = [e for e in events if e["type"] == "view"]
    pool = views if len(views) >= count else [e for e in events if "item_id" in e]
    picks = np.resize(rng.permutation(len(pool)), count)  # distinct while the pool lasts
    bad: list[Record] = []
    for n, pick in enumerate(picks):
        original = pool[int(pick)]
        record = _as_view(original)
        record["event_id"] = _event_id(len(events) + n)
        mistake = BAD_EVENT_KINDS[n % len(BAD_EVENT_KINDS)]
        if mistake == "negative_dwell":
            record["dwell_ms"] = -record["dwell_ms"] - 1
        elif mistake == "visible_fraction_above_one":
            record["visible_fraction"] = 1.7
        elif mistake == "unknown_type":
            record["type"] = "hover"
        elif mistake == "naive_ts":
            record["ts"] = f"{start.isoformat()}T10:00:00"
        elif mistake == "future_ts":
            record["ts"] = "2100-01-01" + str(record["ts"])[10:]
        elif mistake == "unknown_item":
            record["item_id"] = "i-missing"
        elif mistake == "missing_user_id":
            del record["user_id"]
        elif mistake == "dwell_as_string":
            record["dwell_ms"] = "500"
        elif mistake == "conflicting_replay":
            record["event_id"] = original["event_id"]
            record["dwell_ms"] += 1_000
        else:  # exact_duplicate
            record = copy.deepcopy(original)
        bad.append(record)
    return bad


def _as_view(event: Record) -> Record:
    """A deep copy of a view, or of another item event turned into a plausible view."""
    record = copy.deepcopy(event)
    if record["type"] != "view":
        record.update(type="view", dwell_ms=5_000, visible_fraction=1.0)
    return record
