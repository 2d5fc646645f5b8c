"""The ``attention_daily`` table: recomputed from a world's views, and read back in aggregate.

Rows are one per (UTC day, person, item) with at least one viewable view; a view's
attention belongs to the day on which it began. SQLAlchemy Core only, so the same
code runs on SQLite and PostgreSQL, inside the caller's transaction.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from mindshare.attention._measure import attentive_ms, observed_daily_budget, viewable
from mindshare.attention._rules import AttentionRules
from mindshare.core import MS_PER_DAY, NotFound, date_of_day, day_number
from mindshare.store import attention_daily, events, items, worlds


@dataclass(frozen=True, slots=True)
class DailyAttention:
    """A world's attention on one UTC day: total, and how many people and items shared it."""

    day: date
    attentive_ms: int
    people: int
    items: int


@dataclass(frozen=True, slots=True)
class PersonAttention:
    """The attention one person gave: total, viewable views, distinct items."""

    user_id: str
    attentive_ms: int
    views: int
    items: int


@dataclass(frozen=True, slots=True)
class ItemAttention:
    """The attention one item earned: total, viewable views, distinct people."""

    item_id: str
    creator_id: str
    attentive_ms: int
    views: int
    people: int


@dataclass(frozen=True, slots=True)
class CreatorAttention:
    """The attention a creator's items earned: total, viewable views, distinct people and items."""

    creator_id: str
    attentive_ms: int
    views: int
    people: int
    items: int


@dataclass(frozen=True, slots=True)
class DailyBudget:
    """A person's observed daily attention budget, and the active days it was observed on."""

    user_id: str
    budget_ms: int
    active_days: int


def refresh_attention(
    connection: sa.Connection, world_id: str, *, rules: AttentionRules | None = None
) -> int:
    """Recompute a world's ``attention_daily`` rows from its view events; return rows written.

    The world's old rows are deleted first, inside the caller's transaction, so a
    refresh is all or nothing. ``rules`` default to those in the world's config.
    """
    world = connection.execute(
        sa.select(worlds.c.config).where(worlds.c.world_id == world_id)
    ).one_or_none()
    if world is None:
        raise NotFound(f"world {world_id!r} does not exist")
    if rules is None:
        rules = AttentionRules.from_world_config(world.config)

    views = connection.execute(
        sa.select(
            events.c.user_id,
            events.c.item_id,
            items.c.creator_id,
            events.c.ts_ms,
            sa.func.coalesce(events.c.dwell_ms, 0),
            events.c.visible_fraction,
        )
        .join(
            items,
            sa.and_(items.c.world_id == events.c.world_id, items.c.item_id == events.c.item_id),
        )
        .where(events.c.world_id == world_id, events.c.type == "view")
        .order_by(events.c.seq)
    ).all()
    connection.execute(sa.delete(attention_daily).where(attention_daily.c.world_id == world_id))
    if not views:
        return 0

    user_ids, item_ids, creator_ids, starts, dwells, fractions = zip(*views, strict=True)
    user_names, user, _ = _codes(user_ids)
    item_names, item, item_first = _codes(item_ids)
    start = np.array(starts, dtype=np.int64)
    dwell = np.array(dwells, dtype=np.int64)
    fraction = np.array(fractions, dtype=np.float64)  # None (unmeasured) becomes NaN

    attention = attentive_ms(user, start, dwell, fraction, rules)
    counted = viewable(dwell, fraction, rules)
    day = start // MS_PER_DAY
    rows = _daily_rows(day[counted], user[counted], item[counted], attention[counted])
    if rows:
        connection.execute(
            sa.insert(attention_daily),
            [
                {
                    "world_id": world_id,
                    "day": row_day,
                    "user_id": user_names[row_user],
                    "item_id": item_names[row_item],
                    "creator_id": creator_ids[item_first[row_item]],
                    "attentive_ms": row_ms,
                    "views": row_views,
                }
                for row_day, row_user, row_item, row_ms, row_views in rows
            ],
        )
    return len(rows)


def attention_by_day(connection: sa.Connection, world_id: str) -> list[DailyAttention]:
    """A world's attention per UTC day, oldest first."""
    table = attention_daily.c
    result = connection.execute(
        sa.select(
            table.day,
            _total(table.attentive_ms),
            sa.func.count(sa.distinct(table.user_id)),
            sa.func.count(sa.distinct(table.item_id)),
        )
        .where(table.world_id == world_id)
        .group_by(table.day)
        .order_by(table.day)
    )
    return [
        DailyAttention(date_of_day(day), int(total), int(people), int(distinct_items))
        for day, total, people, distinct_items in result
    ]


def attention_by_person(
    connection: sa.Connection, world_id: str, *, day: date | None = None
) -> list[PersonAttention]:
    """The attention each person gave, most first; on one UTC ``day`` or over all days."""
    table = attention_daily.c
    result = connection.execute(
        _ranked(
            sa.select(
                table.user_id,
                _total(table.attentive_ms),
                _total(table.views),
                sa.func.count(sa.distinct(table.item_id)),
            ),
            world_id,
            day,
            group=[table.user_id],
        )
    )
    return [
        PersonAttention(user_id, int(total), int(views), int(distinct_items))
        for user_id, total, views, distinct_items in result
    ]


def attention_by_item(
    connection: sa.Connection, world_id: str, *, day: date | None = None
) -> list[ItemAttention]:
    """The attention each item earned, most first; on one UTC ``day`` or over all days."""
    table = attention_daily.c
    result = connection.execute(
        _ranked(
            sa.select(
                table.item_id,
                table.creator_id,
                _total(table.attentive_ms),
                _total(table.views),
                sa.func.count(sa.distinct(table.user_id)),
            ),
            world_id,
            day,
            group=[table.item_id, table.creator_id],
        )
    )
    return [
        ItemAttention(item_id, creator_id, int(total), int(views), int(people))
        for item_id, creator_id, total, views, people in result
    ]


def attention_by_creator(
    connection: sa.Connection, world_id: str, *, day: date | None = None
) -> list[CreatorAttention]:
    """The attention each creator's items earned, most first; on one UTC ``day`` or all days."""
    table = attention_daily.c
    result = connection.execute(
        _ranked(
            sa.select(
                table.creator_id,
                _total(table.attentive_ms),
                _total(table.views),
                sa.func.count(sa.distinct(table.user_id)),
                sa.func.count(sa.distinct(table.item_id)),
            ),
            world_id,
            day,
            group=[table.creator_id],
        )
    )
    return [
        CreatorAttention(creator_id, int(total), int(views), int(people), int(distinct_items))
        for creator_id, total, views, people, distinct_items in result
    ]


def daily_budgets(
    connection: sa.Connection, world_id: str, *, quantile: float = 0.9
) -> list[DailyBudget]:
    """Each person's observed daily attention budget (see ``observed_daily_budget``), by user id."""
    table = attention_daily.c
    result = connection.execute(
        sa.select(table.user_id, table.day, _total(table.attentive_ms))
        .where(table.world_id == world_id)
        .group_by(table.user_id, table.day)
    ).all()
    names, user, _ = _codes([user_id for user_id, _, _ in result])
    budgets = observed_daily_budget(
        user,
        [day for _, day, _ in result],
        [total for _, _, total in result],
        quantile=quantile,
    )
    return [
        DailyBudget(names[code], budget, active_days)
        for code, budget, active_days in zip(
            budgets.user.tolist(),
            budgets.budget_ms.tolist(),
            budgets.active_days.tolist(),
            strict=True,
        )
    ]


def _codes(values: Sequence[str]) -> tuple[list[str], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Distinct values (sorted), each value's code, and where each distinct value first occurs."""
    names, first, codes = np.unique(
        np.array(values, dtype=str), return_index=True, return_inverse=True
    )
    return names.tolist(), codes, first


def _daily_rows(
    day: npt.NDArray[np.int64],
    user: npt.NDArray[np.intp],
    item: npt.NDArray[np.intp],
    attention: npt.NDArray[np.int64],
) -> list[tuple[int, int, int, int, int]]:
    """(day, user, item, attentive ms, views) per distinct (day, user, item), as Python ints."""
    order = np.lexsort((item, user, day))
    day, user, item, attention = day[order], user[order], item[order], attention[order]
    if len(day) == 0:
        return []
    changed = np.ones(len(day), dtype=bool)
    changed[1:] = (day[1:] != day[:-1]) | (user[1:] != user[:-1]) | (item[1:] != item[:-1])
    first = np.flatnonzero(changed)
    totals = np.add.reduceat(attention, first)
    views = np.diff(np.append(first, len(day)))
    return list(
        zip(
            day[first].tolist(),
            user[first].tolist(),
            item[first].tolist(),
            totals.tolist(),
            views.tolist(),
            strict=True,
        )
    )


def _ranked(
    query: sa.Select[Any],
    world_id: str,
    day: date | None,
    *,
    group: list[sa.Column[Any]],
) -> sa.Select[Any]:
    """``query`` over one world (and day), grouped by ``group``, most attention first."""
    query = query.where(attention_daily.c.world_id == world_id)
    if day is not None:
        query = query.where(attention_daily.c.day == day_number(day))
    total = sa.func.sum(attention_daily.c.attentive_ms)
    return query.group_by(*group).order_by(total.desc(), *group)


def _total(column: sa.Column[Any]) -> sa.Cast[int]:
    """SUM as a BIGINT: PostgreSQL sums BIGINT into NUMERIC, which would come back as Decimal."""
    return sa.cast(sa.func.sum(column), sa.BigInteger)
