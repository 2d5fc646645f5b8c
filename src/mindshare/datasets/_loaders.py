"""Loading an interactions dataset from a RecBole folder or from a world in the store."""

import math
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from mindshare.attention import AttentionRules, attentive_ms
from mindshare.core import InputError, NotFound
from mindshare.datasets._interactions import Interactions
from mindshare.events import ITEM_EVENT_TYPES, EventType, find_recbole_files, read_atomic_rows
from mindshare.store import events, items, worlds

#: RecBole column types whose text feeds an item's content (titles, genres, tags …).
TEXT_TYPES = ("token", "token_seq")
#: ``.inter`` columns read as attention weights when present (first match wins).
WEIGHT_COLUMNS = ("attentive_ms", "dwell_ms", "dwell")
#: Event types that say a person gave an item attention (an impression alone does not).
INTERACTION_TYPES = tuple(sorted(ITEM_EVENT_TYPES - {EventType.IMPRESSION}))


def load_recbole_dataset(directory: Path) -> Interactions:
    """A folder of RecBole atomic files: ``NAME.inter`` and, if present, ``NAME.item``.

    Every ``token``/``token_seq`` column of ``.item`` joins the item's text; its
    ``float`` columns become item features. Source order is the ``.inter`` line order.
    """
    files = find_recbole_files(Path(directory))
    columns = _header(files.inter)
    missing = [c for c in ("user_id", "item_id", "timestamp") if c not in columns]
    if missing:
        raise InputError(f"{files.inter.name} lacks the column(s) {', '.join(missing)}")
    weight_column = next((c for c in WEIGHT_COLUMNS if c in columns), None)
    users: list[str] = []
    item_col: list[str] = []
    stamps: list[int] = []
    weights: list[float] = []
    for location, row, _ in read_atomic_rows(files.inter):
        user_id, item_id = row.get("user_id", ""), row.get("item_id", "")
        if not user_id or not item_id:
            raise InputError(f"{location}: user_id and item_id must not be empty")
        users.append(user_id)
        item_col.append(item_id)
        stamps.append(_seconds(row.get("timestamp", ""), location))
        if weight_column:
            weights.append(_finite(row.get(weight_column, ""), weight_column, location))
    if not users:
        raise InputError(f"{files.inter.name} holds no interactions")

    catalogue: list[str] = []
    texts: dict[str, str] = {}
    features: dict[str, list[float]] = {}
    feature_names: tuple[str, ...] = ()
    if files.item is not None:
        for location, row, types in read_atomic_rows(files.item):
            item_id = row.get("item_id", "")
            if not item_id:
                raise InputError(f"{location}: item_id must not be empty")
            if item_id in texts:
                raise InputError(f"{location}: item {item_id!r} is listed twice")
            catalogue.append(item_id)
            texts[item_id] = ". ".join(
                row[c].strip()
                for c in types
                if c != "item_id" and types[c] in TEXT_TYPES
                if row.get(c, "").strip()
            )
            feature_names = tuple(c for c in types if types[c] == "float")
            features[item_id] = [_finite(row.get(c, ""), c, location) for c in feature_names]
    seen = set(texts)
    catalogue += [i for i in dict.fromkeys(item_col) if i not in seen]
    return Interactions.from_arrays(
        name=files.name,
        users=users,
        items=item_col,
        ts=stamps,
        weight=weights if weight_column else None,
        item_ids=catalogue,
        item_text=texts,
        item_features=features if feature_names else None,
        feature_names=feature_names,
    )


def load_world_dataset(connection: sa.Connection, world_id: str) -> Interactions:
    """A world's interactions from the store, weighted by attentive ms where there are views.

    Interactions are item events that show attention (views, clicks, likes, comments,
    shares, purchases, ratings), in ingestion order; a view's weight is its attentive
    milliseconds under the world's attention rules, other events weigh 0. Items carry
    their title, text and tags as text and their price as a feature.
    """
    world = connection.execute(
        sa.select(worlds.c.config).where(worlds.c.world_id == world_id)
    ).one_or_none()
    if world is None:
        raise NotFound(f"world {world_id!r} does not exist")
    rows = connection.execute(
        sa.select(
            events.c.user_id,
            events.c.item_id,
            events.c.type,
            events.c.ts_ms,
            sa.func.coalesce(events.c.dwell_ms, 0),
            events.c.visible_fraction,
        )
        .where(
            events.c.world_id == world_id,
            events.c.type.in_([str(t) for t in INTERACTION_TYPES]),
            events.c.item_id.is_not(None),
        )
        .order_by(events.c.seq)
    ).all()
    if not rows:
        raise InputError(f"world {world_id!r} has no interactions to learn from")
    user_col, item_col, types, stamps, dwells, fractions = zip(*rows, strict=True)
    is_view = np.array(types) == str(EventType.VIEW)
    _, user_codes = np.unique(np.array(user_col), return_inverse=True)
    fraction = np.array([np.nan if f is None else f for f in fractions], dtype=np.float64)
    weight = np.zeros(len(rows), np.float32)
    if is_view.any():
        rules = AttentionRules.from_world_config(world.config)
        weight[is_view] = attentive_ms(
            user_codes[is_view],
            np.array(stamps, np.int64)[is_view],
            np.array(dwells, np.int64)[is_view],
            fraction[is_view],
            rules,
        )

    catalogue: list[str] = []
    texts: dict[str, str] = {}
    prices: dict[str, list[float]] = {}
    for item in connection.execute(
        sa.select(items.c.item_id, items.c.title, items.c.text, items.c.tags, items.c.price_minor)
        .where(items.c.world_id == world_id)
        .order_by(items.c.item_id)
    ):
        catalogue.append(item.item_id)
        texts[item.item_id] = ". ".join(
            part for part in (item.title, item.text, " ".join(item.tags or ())) if part
        )
        prices[item.item_id] = [float(item.price_minor or 0)]
    return Interactions.from_arrays(
        name=world_id,
        users=user_col,
        items=item_col,
        ts=stamps,
        weight=weight if is_view.any() else None,
        item_ids=catalogue,
        item_text=texts,
        item_features=prices,
        feature_names=("price_minor",),
    )


def _header(path: Path) -> list[str]:
    """The column names of an atomic file's header (types stripped)."""
    for _, _, types in read_atomic_rows(path):
        return list(types)
    with path.open(encoding="utf-8", errors="replace") as handle:
        return [column.partition(":")[0] for column in handle.readline().rstrip("\n").split("\t")]


def _seconds(text: str, location: str) -> int:
    """A Unix time in seconds (RecBole writes floats), kept as integer milliseconds."""
    if text == "":
        raise InputError(f"{location}: timestamp must not be empty")
    return round(_finite(text, "timestamp", location) * 1000)


def _finite(text: str, column: str, location: str) -> float:
    """A finite number from a cell; an empty cell is 0."""
    if text == "":
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{location}: {column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"{location}: {column} is {text}, it must be a finite number")
    return value
