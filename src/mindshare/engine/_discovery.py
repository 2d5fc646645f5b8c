"""Discovery: items like a given item, and the items trending now, composed once.

``similar_items`` asks the world's active model for its notion of item likeness
(``AttentionModel.similar_items``); without one, the co-occurrence of items in the
world's interactions answers. ``trending`` reads daily attention and ranks it with
``attention.rank_trending``. Ads are never offered as neighbours or as trending.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from mindshare.attention import attention_by_item, rank_trending, trending_windows
from mindshare.core import InputError, NotFound, date_of_day, day_of
from mindshare.datasets import load_world_dataset
from mindshare.events import get_world
from mindshare.models import AttentionModel, ModelRegistry, create_model
from mindshare.store import items

#: The longest trending window: ``trending`` reads one daily aggregate per day of both.
MAX_WINDOW_DAYS = 366
#: The source named when co-occurrence in the world's interactions answers.
CO_OCCURRENCE = "co-occurrence"


@dataclass(frozen=True, slots=True)
class Neighbour:
    """An item like the one asked about, and how alike the source finds them."""

    item_id: str
    creator_id: str
    score: float


@dataclass(frozen=True, slots=True)
class SimilarItems:
    """Up to ``k`` items like ``item_id``, most alike first, and which source said so.

    ``source`` is the active model as ``name@version`` or ``"co-occurrence"``; only
    neighbours with a positive score are listed, so there may be fewer than ``k``.
    """

    world_id: str
    item_id: str
    source: str
    neighbours: tuple[Neighbour, ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "world_id": self.world_id,
            "item_id": self.item_id,
            "source": self.source,
            "neighbours": [
                {"item_id": n.item_id, "creator_id": n.creator_id, "score": n.score}
                for n in self.neighbours
            ],
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class TrendingItem:
    """One trending item: attentive ms in both windows, its growth and its score."""

    item_id: str
    creator_id: str
    title: str
    recent_ms: int
    previous_ms: int
    rising: float
    score: float


@dataclass(frozen=True, slots=True)
class Trending:
    """A world's trending items, best first, and the windows (first and last day) compared."""

    world_id: str
    window_days: int
    recent: tuple[date, date]
    previous: tuple[date, date]
    items: tuple[TrendingItem, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (days as ISO dates)."""
        return {
            "world_id": self.world_id,
            "window_days": self.window_days,
            "recent": [day.isoformat() for day in self.recent],
            "previous": [day.isoformat() for day in self.previous],
            "items": [
                {
                    "item_id": entry.item_id,
                    "creator_id": entry.creator_id,
                    "title": entry.title,
                    "recent_ms": entry.recent_ms,
                    "previous_ms": entry.previous_ms,
                    "rising": entry.rising,
                    "score": entry.score,
                }
                for entry in self.items
            ],
        }


def similar_items(
    store: sa.Engine,
    world_id: str,
    item_id: str,
    k: int,
    *,
    registry: ModelRegistry | None = None,
) -> SimilarItems:
    """Up to ``k`` items of the world most like ``item_id``, from the active model or co-occurrence.

    The world's active model (in ``registry``) answers when it knows the item. Without
    an active model, or for an item newer than it, the cosine of items' readers in the
    world's interactions answers (``notes`` say why); embedding every item's text per
    request would cost seconds, so text is read only where the active model is one
    that embeds it (``content``, ``fusion``). Unknown worlds and items are ``NotFound``.
    """
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    with store.connect() as connection:
        get_world(connection, world_id)
        catalogue = {
            row.item_id: (row.creator_id, row.kind)
            for row in connection.execute(
                sa.select(items.c.item_id, items.c.creator_id, items.c.kind).where(
                    items.c.world_id == world_id
                )
            )
        }
        if item_id not in catalogue:
            raise NotFound(f"item {item_id!r} is not in world {world_id!r}")
        model, source, notes = _similarity_source(connection, world_id, item_id, registry)
    if model is None:
        return SimilarItems(world_id, item_id, source, (), notes)

    offered = {i for i, (_, kind) in catalogue.items() if kind != "ad"}
    not_offered = sum(1 for i in model.data.item_ids.tolist() if i not in offered)
    found, scores = model.similar_items([item_id], k + not_offered)
    neighbours = [
        Neighbour(neighbour, catalogue[neighbour][0], float(score))
        for neighbour, score in zip(found[0].tolist(), scores[0].tolist(), strict=True)
        if neighbour in offered and score > 0
    ]
    if not neighbours:
        notes = (*notes, f"{source} finds no item alike: none scored above 0")
    return SimilarItems(world_id, item_id, source, tuple(neighbours[:k]), notes)


def trending(
    store: sa.Engine,
    world_id: str,
    *,
    k: int = 10,
    window_days: int = 7,
    now_ms: int,
) -> Trending:
    """The world's ``k`` most trending items over the last ``window_days`` UTC days.

    The recent window ends on the day of ``now_ms``; the rule (recent attention tilted
    by smoothed growth over the window before) is ``attention.rank_trending``. Items
    without verified attention in the recent window are not trending.
    """
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise InputError(f"window_days must be between 1 and {MAX_WINDOW_DAYS}, got {window_days}")
    now_day = day_of(now_ms)
    recent_days, previous_days = trending_windows(now_day, window_days)
    with store.connect() as connection:
        get_world(connection, world_id)
        ads = set(
            connection.execute(
                sa.select(items.c.item_id).where(items.c.world_id == world_id, items.c.kind == "ad")
            ).scalars()
        )
        rows = [
            (entry.item_id, entry.creator_id, day, entry.attentive_ms)
            for day in (*previous_days, *recent_days)
            for entry in attention_by_item(connection, world_id, day=date_of_day(day))
            if entry.item_id not in ads
        ]
        item_ids = sorted({item_id for item_id, _, _, _ in rows})
        code = {item_id: n for n, item_id in enumerate(item_ids)}
        ranked = rank_trending(
            [code[item_id] for item_id, _, _, _ in rows],
            [day for _, _, day, _ in rows],
            [ms for _, _, _, ms in rows],
            n_items=len(item_ids),
            now_day=now_day,
            window_days=window_days,
        )
        top = ranked.order[:k].tolist()
        titles = dict(
            connection.execute(
                sa.select(items.c.item_id, items.c.title).where(
                    items.c.world_id == world_id,
                    items.c.item_id.in_([item_ids[n] for n in top]),
                )
            ).all()
        )
    creator = {item_id: creator_id for item_id, creator_id, _, _ in rows}
    return Trending(
        world_id=world_id,
        window_days=window_days,
        recent=(date_of_day(recent_days[0]), date_of_day(recent_days[-1])),
        previous=(date_of_day(previous_days[0]), date_of_day(previous_days[-1])),
        items=tuple(
            TrendingItem(
                item_id=item_ids[n],
                creator_id=creator[item_ids[n]],
                title=titles.get(item_ids[n], ""),
                recent_ms=int(ranked.recent_ms[n]),
                previous_ms=int(ranked.previous_ms[n]),
                rising=float(ranked.rising[n]),
                score=float(ranked.score[n]),
            )
            for n in top
        ),
    )


def _similarity_source(
    connection: sa.Connection, world_id: str, item_id: str, registry: ModelRegistry | None
) -> tuple[AttentionModel | None, str, tuple[str, ...]]:
    """The model that answers (None: nothing can), its name as a source, and why it was chosen."""
    version = registry.active(world_id) if registry is not None else None
    if registry is not None and version is not None:
        name = f"{version.model}@{version.version}"
        model = registry.load(version.model, version.version)
        if model.data.item_index(item_id) is not None:
            return model, name, (f"neighbours from the active model {name}",)
        why = f"item {item_id!r} is newer than the active model {name}"
    else:
        why = f"world {world_id!r} has no active model"
    try:
        data = load_world_dataset(connection, world_id)
    except InputError:
        return None, CO_OCCURRENCE, (f"{why}, and the world has no interactions yet",)
    model = create_model("pop").fit(data)  # pop has no item vectors: co-occurrence answers
    return model, CO_OCCURRENCE, (f"{why}: neighbours by co-occurrence in its interactions",)
