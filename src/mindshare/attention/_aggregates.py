"""The ``attention_daily`` table: recomputed from a world's views, and read back in aggregate.

Rows are one per (UTC day, person, item) with at least one viewable view; a view's
attention belongs to the day on which it began. The table is recomputed whole, or
only around the (person, day)s an events batch added views to, or updated by what a
batch's views change (the fast path of ingestion). SQLAlchemy Core only, so the same
code runs on SQLite and PostgreSQL, inside the caller's transaction.
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from mindshare.attention._measure import attentive_ms, observed_daily_budget, viewable
from mindshare.attention._rules import AttentionRules
from mindshare.core import MS_PER_DAY, NotFound, date_of_day, day_number
from mindshare.store import (
    add_to_totals,
    attention_daily,
    events,
    insert_many,
    is_among,
    items,
    lock_world,
)

T = TypeVar("T")


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
    """Recompute a world's ``attention_daily`` rows from all its view events; return rows written.

    The world's old rows are deleted first, inside the caller's transaction, so a
    refresh is all or nothing. ``rules`` default to those in the world's config; after
    the rules change, this (not :func:`refresh_attention_days`) brings the table in line.
    """
    rules = _locked_rules(connection, world_id, rules)
    connection.execute(sa.delete(attention_daily).where(attention_daily.c.world_id == world_id))
    views = _Views.of(connection.execute(_views_query(world_id).order_by(events.c.seq)).all())
    rows = _attention_rows(world_id, views, rules)
    _insert_rows(connection, rows)
    return len(rows)


def refresh_attention_days(
    connection: sa.Connection,
    world_id: str,
    view_days: Iterable[tuple[str, int]],
    *,
    rules: AttentionRules | None = None,
) -> int:
    """Bring ``attention_daily`` up to date after views were added on (user id, UTC day)s.

    Rewrites only the rows those views can have changed, inside the caller's
    transaction, and leaves the table exactly as :func:`refresh_attention` would,
    provided it was up to date before the views were added, under the same rules.
    ``view_days`` is what :attr:`mindshare.events.IngestReport.view_days` reports.
    Returns the rows written.

    A view's attentive time depends only on the same person's views that overlap it,
    and those begin less than ``max_view_ms`` before or after it. So each given
    (person, day) is recomputed from the person's views that begin within
    ``max_view_ms`` of that day, and so is a neighbouring day of the person's where
    one of its views overlaps a view begun on a given day (a view across midnight).
    """
    rules = _locked_rules(connection, world_id, rules)
    days_of = _days_by_person(view_days)
    if not days_of:
        return 0
    views = _read_views(connection, world_id, days_of, rules.max_view_ms)
    neighbours = _overlapped_neighbours(views, days_of, rules)
    if neighbours:
        more = _read_views(connection, world_id, neighbours, rules.max_view_ms)
        views = _Views.union(views, more)
        for user_id, days in neighbours.items():
            days_of.setdefault(user_id, set()).update(days)
    rows = _attention_rows(world_id, views, rules, only=days_of)
    return _replace_rows(connection, world_id, days_of, rows)


def refresh_attention_views(
    connection: sa.Connection,
    world_id: str,
    new_views: Iterable[tuple[str, str, int, int, float | None]],
    *,
    rules: AttentionRules | None = None,
) -> int:
    """Add to ``attention_daily`` what views just stored change; return the rows written.

    ``new_views`` are (event id, user id, start ms, dwell ms, visible fraction) of views
    stored in this transaction and not yet counted, as
    :attr:`mindshare.events.IngestReport.views` reports them. The table is left exactly as
    :func:`refresh_attention` would leave it, provided it counted every other stored view
    under the same rules; so call it in the transaction that stores the views, as
    :func:`mindshare.engine.ingest` does, never twice for one view.

    Its cost follows the batch, not the day: a view's attentive time depends only on the
    same person's views that overlap it, so new views change the attention of themselves
    and of the stored views that overlap them (the *touched* views) alone, and each of
    those is computed from the views that overlap it. The touched views are computed with
    and without the new ones, and the differences, summed per (day, person, item) with one
    more view per new viewable view, are added to the rows (created when new). Views are
    only ever added, so no row drops to no views. Shares are summed in exact fixed point
    (see :func:`attentive_ms`), so a view's share computed among its neighbours alone is
    the one a full refresh computes, floors included.
    """
    new_views = list(new_views)
    if not new_views:
        return 0
    rules = _locked_rules(connection, world_id, rules)
    new = _NewViews.of(new_views, rules)
    if not new.event_ids:
        return 0  # no new view is viewable: no row changes
    found = _read_overlapping(connection, world_id, new.spans, rules)
    # Every view that overlaps a new one was read, so the new views' attention is known;
    # the stored views they overlap need the views that overlap them in turn.
    touched_stored = _touched(found, new, rules) & ~_is_new(found, new)
    views = found
    if touched_stored.any():
        context = _read_overlapping(
            connection, world_id, _spans_of(found, touched_stored, rules), rules
        )
        views = _Views.union(found, context)
    rows = _attention_changes(world_id, views, new, rules)
    add_to_totals(
        connection,
        attention_daily,
        [dict(zip(_ROW_COLUMNS, row, strict=True)) for row in rows],
        added=("attentive_ms", "views"),
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


#: People (or rows) per statement when reading or deleting: well under every bind limit.
_CHUNK = 500
#: An ``attention_daily`` row, in ``_ROW_COLUMNS`` order.
_Row = tuple[str, int, str, str, str, int, int]
_ROW_COLUMNS = ("world_id", "day", "user_id", "item_id", "creator_id", "attentive_ms", "views")


@dataclass(frozen=True, slots=True, eq=False)
class _Views:
    """View events as arrays, one entry per view: what attention is computed from."""

    seq: npt.NDArray[np.int64]
    event_id: npt.NDArray[np.str_]
    user: npt.NDArray[np.str_]
    item: npt.NDArray[np.str_]
    creator: npt.NDArray[np.str_]
    start: npt.NDArray[np.int64]
    dwell: npt.NDArray[np.int64]
    #: NaN where the world did not measure the visible fraction.
    fraction: npt.NDArray[np.float64]

    @classmethod
    def of(cls, rows: Sequence[sa.Row[Any]]) -> "_Views":
        """Rows of :func:`_views_query` as arrays."""
        if not rows:
            text = np.zeros(0, dtype=str)
            whole = np.zeros(0, dtype=np.int64)
            return cls(whole, text, text, text, text, whole, whole, np.zeros(0, dtype=np.float64))
        seq, event_id, user, item, creator, start, dwell, fraction = zip(*rows, strict=True)
        return cls(
            seq=np.array(seq, dtype=np.int64),
            event_id=np.array(event_id, dtype=str),
            user=np.array(user, dtype=str),
            item=np.array(item, dtype=str),
            creator=np.array(creator, dtype=str),
            start=np.array(start, dtype=np.int64),
            dwell=np.array(dwell, dtype=np.int64),
            fraction=np.array(fraction, dtype=np.float64),  # None becomes NaN
        )

    @classmethod
    def union(cls, first: "_Views", second: "_Views") -> "_Views":
        """The views of both, each once: read windows may overlap."""
        seq = np.concatenate([first.seq, second.seq])
        _, keep = np.unique(seq, return_index=True)

        def both(name: str) -> npt.NDArray[Any]:
            joined: npt.NDArray[Any] = np.concatenate([getattr(first, name), getattr(second, name)])
            return joined[keep]

        return cls(
            seq=both("seq"),
            event_id=both("event_id"),
            user=both("user"),
            item=both("item"),
            creator=both("creator"),
            start=both("start"),
            dwell=both("dwell"),
            fraction=both("fraction"),
        )

    def days(self) -> npt.NDArray[np.int64]:
        """The UTC day each view began on: the day its attention belongs to."""
        return self.start // MS_PER_DAY

    def take(self, keep: npt.NDArray[np.bool_]) -> "_Views":
        """The views where ``keep`` is true."""
        return _Views(
            seq=self.seq[keep],
            event_id=self.event_id[keep],
            user=self.user[keep],
            item=self.item[keep],
            creator=self.creator[keep],
            start=self.start[keep],
            dwell=self.dwell[keep],
            fraction=self.fraction[keep],
        )

    def shares_time(self, rules: AttentionRules) -> npt.NDArray[np.bool_]:
        """Which views take part in the sharing of time: viewable, and of some length."""
        return viewable(self.dwell, self.fraction, rules) & (
            np.minimum(self.dwell, rules.max_view_ms) > 0
        )

    def ends(self, rules: AttentionRules) -> npt.NDArray[np.int64]:
        """Where each view's counted time ends: its start plus its dwell, capped."""
        return self.start + np.minimum(self.dwell, rules.max_view_ms)


#: A person's time span ``[start, end)`` (epoch ms), and the person.
_Span = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class _NewViews:
    """A batch's new viewable views: their event ids and the time each spans."""

    event_ids: frozenset[str]
    #: Views of no length are kept as a 1 ms span, so the reads find them too.
    spans: list[_Span]

    @classmethod
    def of(
        cls, views: Sequence[tuple[str, str, int, int, float | None]], rules: AttentionRules
    ) -> "_NewViews":
        """The viewable ones among ``views`` (those that count: the others change nothing)."""
        fraction = np.array(
            [np.nan if view[4] is None else view[4] for view in views], dtype=np.float64
        )
        dwell = np.array([view[3] for view in views], dtype=np.int64)
        counted = viewable(dwell, fraction, rules).tolist()
        kept = [view for view, count in zip(views, counted, strict=True) if count]
        return cls(
            event_ids=frozenset(view[0] for view in kept),
            spans=[
                (start, start + max(min(dwell_ms, rules.max_view_ms), 1), user_id)
                for _, user_id, start, dwell_ms, _ in kept
            ],
        )


def _read_overlapping(
    connection: sa.Connection, world_id: str, spans: Sequence[_Span], rules: AttentionRules
) -> _Views:
    """The viewable views of each span's person that overlap the span or begin in it
    (and maybe some more of the same people, which only add context).

    Spans are merged into disjoint reads: a view that overlaps ``[start, end)`` begins
    at most ``max_view_ms`` before it, and the database keeps only those whose counted
    time reaches ``start``.
    """
    rows: list[sa.Row[Any]] = []
    source = _views_by_person(connection)
    view = source.c
    dwell = sa.func.coalesce(view.dwell_ms, 0)
    capped = sa.case((dwell < rules.max_view_ms, dwell), else_=rules.max_view_ms)
    for first, last, reach, people in _merged_spans(spans, rules.max_view_ms):
        query = _views_query(world_id, source).where(
            view.ts_ms >= first - rules.max_view_ms,
            view.ts_ms < last,
            view.ts_ms + capped >= reach,
            is_among(connection, view.user_id, people),
            view.visible_fraction >= rules.min_visible_fraction,
            dwell >= rules.min_view_ms,
        )
        rows.extend(connection.execute(query).all())
    return _Views.of(rows)


def _merged_spans(spans: Sequence[_Span], reach_ms: int) -> list[tuple[int, int, int, list[str]]]:
    """Disjoint reads covering the spans: (first start, last end, first start, people)."""
    merged: list[tuple[int, int, int, set[str]]] = []
    for start, end, user_id in sorted(spans):
        if merged and start - reach_ms <= merged[-1][1]:
            first, last, reach, people = merged[-1]
            people.add(user_id)
            merged[-1] = (first, max(last, end), reach, people)
        else:
            merged.append((start, end, start, {user_id}))
    return [(first, last, reach, sorted(people)) for first, last, reach, people in merged]


def _is_new(views: _Views, new: _NewViews) -> npt.NDArray[np.bool_]:
    """Which of ``views`` are among the new ones."""
    return np.isin(views.event_id, list(new.event_ids))


def _touched(views: _Views, new: _NewViews, rules: AttentionRules) -> npt.NDArray[np.bool_]:
    """Which of ``views`` are new, or overlap a new view of the same person."""
    is_new = _is_new(views, new)
    shares = views.shares_time(rules)
    return is_new | (shares & _overlaps(views, is_new & shares, rules))


def _overlaps(
    views: _Views, anchor: npt.NDArray[np.bool_], rules: AttentionRules
) -> npt.NDArray[np.bool_]:
    """Which views overlap (in counted time) an ``anchor`` view of the same person.

    All people at once: each (person, moment) becomes one int64, the person's code times
    the number of distinct moments plus the moment's rank among them, so that sorting
    the keys sorts by person, then time, and a person's keys all lie above those of the
    people before them.
    """
    hit = np.zeros(len(views.seq), dtype=bool)
    if not anchor.any():
        return hit
    _, user, _ = _codes(views.user)
    start, end = views.start, views.ends(rules)
    moments, rank = np.unique(np.concatenate([start, end]), return_inverse=True)
    width = len(moments)
    person = user.astype(np.int64) * width
    start_key, end_key = person + rank[: len(start)], person + rank[len(start) :]
    order = np.argsort(start_key[anchor], kind="stable")
    anchor_start = start_key[anchor][order]
    # The latest end among the anchors up to each one, in key order: within a person,
    # their latest end so far; an earlier person's end is below every key of the next.
    latest_end = np.maximum.accumulate(end_key[anchor][order])
    # An anchor overlaps [s, e) when it starts before e and ends after s: among the
    # anchors whose keys lie before (person, e), the latest end decides, and it lies
    # after (person, s) only for an anchor of the same person.
    before = np.searchsorted(anchor_start, end_key, side="left")
    found = np.flatnonzero(before > 0)
    hit[found] = latest_end[before[found] - 1] > start_key[found]
    return hit


def _spans_of(views: _Views, keep: npt.NDArray[np.bool_], rules: AttentionRules) -> list[_Span]:
    """The spans of the views where ``keep`` is true (1 ms for a view of no length)."""
    start = views.start[keep]
    end = np.maximum(views.ends(rules)[keep], start + 1)
    return list(zip(start.tolist(), end.tolist(), views.user[keep].tolist(), strict=True))


def _attention_changes(
    world_id: str, views: _Views, new: _NewViews, rules: AttentionRules
) -> list[_Row]:
    """What the new views add to each row: the attention of the touched views with the new
    views less that without them, and one view per new view (rows that change)."""
    is_new = np.isin(views.event_id, list(new.event_ids))
    touched = _touched(views, new, rules)
    _, user, _ = _codes(views.user)
    after = attentive_ms(user, views.start, views.dwell, views.fraction, rules)
    before = np.where(
        is_new,
        0,
        attentive_ms(
            user, views.start, views.dwell, np.where(is_new, np.nan, views.fraction), rules
        ),
    )
    changes = views.take(touched)
    added = (after - before)[touched]
    user_names, user, _ = _codes(changes.user)
    item_names, item, item_first = _codes(changes.item)
    creators = changes.creator[item_first].tolist()
    rows = []
    for row_day, row_user, row_item, row_ms, row_views in _daily_sums(
        changes.days(), user, item, added, is_new[touched].astype(np.int64)
    ):
        if row_ms or row_views:
            rows.append(
                (
                    world_id,
                    row_day,
                    user_names[row_user],
                    item_names[row_item],
                    creators[row_item],
                    row_ms,
                    row_views,
                )
            )
    return rows


def _locked_rules(
    connection: sa.Connection, world_id: str, rules: AttentionRules | None
) -> AttentionRules:
    """The world's attention rules (or ``rules``), read in the world's write turn
    (:func:`mindshare.store.lock_world`), so that refreshes of one world take turns, each
    reading the views and rows the one before it wrote."""
    world = lock_world(connection, world_id)
    if world is None:
        raise NotFound(f"world {world_id!r} does not exist")
    return AttentionRules.from_world_config(world.config) if rules is None else rules


def _views_query(world_id: str, source: sa.FromClause = events) -> sa.Select[Any]:
    """A world's view events with their items' creators, in the columns :class:`_Views` reads;
    ``source`` is the events table, or :func:`_views_by_person`."""
    view = source.c
    return (
        sa.select(
            view.seq,
            view.event_id,
            view.user_id,
            view.item_id,
            items.c.creator_id,
            view.ts_ms,
            sa.func.coalesce(view.dwell_ms, 0),
            view.visible_fraction,
        )
        .join(
            items,
            sa.and_(items.c.world_id == view.world_id, items.c.item_id == view.item_id),
        )
        # 'view' spelled out, not bound: SQLite uses a partial index (views by person) only
        # for a query whose WHERE says what the index's does, and a parameter says nothing.
        .where(view.world_id == world_id, view.type == sa.literal_column("'view'"))
    )


#: The events index of views by (world, person, time), which the attention reads of a
#: batch's people use (``mindshare.store.events``).
_VIEWS_BY_PERSON = "ix_events_views_by_person"


def _views_by_person(connection: sa.Connection) -> sa.FromClause:
    """The events, for reads that name their people, through the index of views by person.

    PostgreSQL's planner picks that index from its statistics. SQLite has none unless
    ANALYZE ran, and then takes the index by (world, type, time) for a list of people:
    a scan of every view of everyone in the time window, which grows with the world's
    traffic. So on SQLite the table is named with ``INDEXED BY`` (which fails loudly,
    rather than scanning, should the index ever be missing).
    """
    if connection.dialect.name != "sqlite":
        return events
    by_index = sa.text(f"SELECT * FROM {events.name} INDEXED BY {_VIEWS_BY_PERSON}")
    return by_index.columns(*(sa.column(c.name, c.type) for c in events.c)).subquery("views")


def _attention_rows(
    world_id: str,
    views: _Views,
    rules: AttentionRules,
    *,
    only: Mapping[str, set[int]] | None = None,
) -> list[_Row]:
    """The ``attention_daily`` rows of ``views`` (in ``_ROW_COLUMNS`` order); with ``only``,
    of those (person, days) alone.

    Every view takes part in the sharing of time, so views read only as context
    shape the attention of the views kept, as they must.
    """
    if len(views.seq) == 0:
        return []
    user_names, user, _ = _codes(views.user)
    item_names, item, item_first = _codes(views.item)
    attention = attentive_ms(user, views.start, views.dwell, views.fraction, rules)
    counted = viewable(views.dwell, views.fraction, rules)
    day = views.days()
    if only is not None:
        counted &= _on_days(views.user, day, only)
    creators = views.creator[item_first].tolist()
    return [
        (
            world_id,
            row_day,
            user_names[row_user],
            item_names[row_item],
            creators[row_item],
            row_ms,
            row_views,
        )
        for row_day, row_user, row_item, row_ms, row_views in _daily_rows(
            day[counted], user[counted], item[counted], attention[counted]
        )
    ]


def _insert_rows(connection: sa.Connection, rows: Sequence[_Row]) -> None:
    insert_many(connection, attention_daily, _ROW_COLUMNS, rows)


def _replace_rows(
    connection: sa.Connection,
    world_id: str,
    days_of: Mapping[str, set[int]],
    rows: list[_Row],
) -> int:
    """Make the stored rows of these (person, day)s ``rows``; return how many were written.

    Rows already right are left alone: most of a busy day's rows do not change when a
    few views are added to it, and a write costs more than the read that spares it.
    """
    table = attention_daily.c
    stored: dict[tuple[int, str, str], tuple[str, int, int]] = {}
    for chunk in _chunks(_day_pairs(days_of), _CHUNK):
        result = connection.execute(
            sa.select(
                table.day,
                table.user_id,
                table.item_id,
                table.creator_id,
                table.attentive_ms,
                table.views,
            ).where(table.world_id == world_id, sa.tuple_(table.day, table.user_id).in_(chunk))
        )
        for day, user_id, item_id, creator_id, total, views in result:
            stored[day, user_id, item_id] = (creator_id, total, views)
    fresh: list[_Row] = []
    changed: list[tuple[int, str, str]] = []
    for row in rows:
        key = (row[1], row[2], row[3])
        before = stored.pop(key, None)
        if before != row[4:]:
            fresh.append(row)
            if before is not None:
                changed.append(key)
    # The rows left in ``stored`` are gone; changed rows are deleted and inserted anew.
    for keys in _chunks([*stored, *changed], _CHUNK):
        connection.execute(
            sa.delete(attention_daily).where(
                table.world_id == world_id,
                sa.tuple_(table.day, table.user_id, table.item_id).in_(keys),
            )
        )
    _insert_rows(connection, fresh)
    return len(fresh)


def _days_by_person(view_days: Iterable[tuple[str, int]]) -> dict[str, set[int]]:
    days_of: dict[str, set[int]] = {}
    for user_id, day in view_days:
        days_of.setdefault(user_id, set()).add(int(day))
    return days_of


def _on_days(
    user: npt.NDArray[np.str_], day: npt.NDArray[np.int64], days_of: Mapping[str, set[int]]
) -> npt.NDArray[np.bool_]:
    """Which views began on one of their person's days in ``days_of``."""
    if len(day) == 0:
        return np.zeros(0, dtype=bool)
    names, code, _ = _codes(user)
    first_day = int(day.min())
    span = int(day.max()) - first_day + 1
    # One int64 key per (person, day) seen among the views, and the keys of those wanted.
    wanted = [
        index * span + wanted_day - first_day
        for index, name in enumerate(names)
        for wanted_day in days_of.get(name, ())
        if first_day <= wanted_day < first_day + span
    ]
    return np.isin(code.astype(np.int64) * span + (day - first_day), wanted)


def _day_pairs(days_of: Mapping[str, set[int]]) -> list[tuple[int, str]]:
    """The (day, person) pairs of ``days_of``, sorted: the leading columns of the table's key."""
    return sorted((day, user_id) for user_id, days in days_of.items() for day in days)


def _read_views(
    connection: sa.Connection, world_id: str, days_of: Mapping[str, set[int]], reach_ms: int
) -> _Views:
    """Each person's views that begin less than ``reach_ms`` from one of their days.

    Read by time windows (the days widened by ``reach_ms``, those that meet merged)
    and people in chunks; a person's views may come along from a window opened for
    another person's day, which only adds context.
    """
    rows: list[sa.Row[Any]] = []
    source = _views_by_person(connection)
    for window_start, window_end, people in _windows(days_of, reach_ms):
        query = _views_query(world_id, source).where(
            source.c.ts_ms >= window_start,
            source.c.ts_ms < window_end,
            is_among(connection, source.c.user_id, people),
        )
        rows.extend(connection.execute(query).all())
    return _Views.of(rows)


def _windows(days_of: Mapping[str, set[int]], reach_ms: int) -> list[tuple[int, int, list[str]]]:
    """Disjoint time windows ``[start, end)`` covering each day widened by ``reach_ms``,
    and the people whose days each covers (sorted)."""
    people_on: dict[int, set[str]] = {}
    for user_id, days in days_of.items():
        for day in days:
            people_on.setdefault(day, set()).add(user_id)
    windows: list[tuple[int, int, set[str]]] = []
    for day in sorted(people_on):
        start, end = day * MS_PER_DAY - reach_ms, (day + 1) * MS_PER_DAY + reach_ms
        if windows and start <= windows[-1][1]:
            last_start, _, people = windows[-1]
            windows[-1] = (last_start, end, people | people_on[day])
        else:
            windows.append((start, end, people_on[day]))
    return [(start, end, sorted(people)) for start, end, people in windows]


def _overlapped_neighbours(
    views: _Views, days_of: Mapping[str, set[int]], rules: AttentionRules
) -> dict[str, set[int]]:
    """Days outside ``days_of`` with a view that overlaps a view begun on the person's days.

    Only such a view's attention can change when views are added on those days.
    Views that take no part in sharing time (not viewable, or no dwell) overlap nothing.
    """
    end = views.start + np.minimum(views.dwell, rules.max_view_ms)
    shares = viewable(views.dwell, views.fraction, rules) & (end > views.start)
    given = _on_days(views.user, views.days(), days_of)
    outside = shares & ~given
    if not outside.any():
        return {}
    names, user, _ = _codes(views.user)
    by_user = np.argsort(user, kind="stable")
    bounds = np.searchsorted(user[by_user], np.arange(len(names) + 1))
    day = views.days()
    neighbours: dict[str, set[int]] = {}
    for code in np.unique(user[outside]).tolist():
        mine = by_user[bounds[code] : bounds[code + 1]]
        anchors = mine[shares[mine] & given[mine]]
        others = mine[outside[mine]]
        if len(anchors) == 0:
            continue
        order = np.argsort(views.start[anchors])
        anchor_start = views.start[anchors][order]
        latest_end = np.maximum.accumulate(end[anchors][order])
        # An anchor overlaps [s, e) when it starts before e and ends after s: among the
        # anchors that start before e, the latest end decides.
        before = np.searchsorted(anchor_start, end[others], side="left")
        hit = before > 0
        hit[hit] = latest_end[before[hit] - 1] > views.start[others][hit]
        if hit.any():
            neighbours[names[code]] = set(day[others][hit].tolist())
    return neighbours


def _chunks(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for first in range(0, len(values), size):
        yield values[first : first + size]


def _codes(
    values: Sequence[str] | npt.NDArray[np.str_],
) -> tuple[list[str], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
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
    return _daily_sums(day, user, item, attention, np.ones(len(day), dtype=np.int64))


def _daily_sums(
    day: npt.NDArray[np.int64],
    user: npt.NDArray[np.intp],
    item: npt.NDArray[np.intp],
    attention: npt.NDArray[np.int64],
    counts: npt.NDArray[np.int64],
) -> list[tuple[int, int, int, int, int]]:
    """(day, user, item, sum of attention, sum of counts) per distinct (day, user, item)."""
    order = np.lexsort((item, user, day))
    day, user, item = day[order], user[order], item[order]
    attention, counts = attention[order], counts[order]
    if len(day) == 0:
        return []
    changed = np.ones(len(day), dtype=bool)
    changed[1:] = (day[1:] != day[:-1]) | (user[1:] != user[:-1]) | (item[1:] != item[:-1])
    first = np.flatnonzero(changed)
    totals = np.add.reduceat(attention, first)
    views = np.add.reduceat(counts, first)
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
