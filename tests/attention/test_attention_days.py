"""refresh_attention_days and refresh_attention_views: attention after each events batch
equals a full refresh."""

import itertools
import random
import threading
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mindshare import engine
from mindshare.attention import (
    AttentionRules,
    _aggregates,
    refresh_attention,
    refresh_attention_days,
    refresh_attention_views,
)
from mindshare.core import MS_PER_DAY, MS_PER_MINUTE, NotFound, from_epoch_ms
from mindshare.events import AcceptedView, RecordKind, create_world
from mindshare.store import attention_daily, is_among

DAY = 20_000  # 2024-10-04
MIDNIGHT = (DAY + 1) * MS_PER_DAY  # the night between DAY and DAY + 1
SECOND = 1_000
NOW = from_epoch_ms((DAY + 30) * MS_PER_DAY)
_worlds = itertools.count()

Row = tuple[int, str, str, str, int, int]


def new_world(database: sa.Engine, config: dict[str, Any] | None = None) -> str:
    """A world with one creator and items i0..i3, ingested the one way data comes in."""
    world_id = f"w{next(_worlds)}"
    with database.begin() as connection:
        create_world(connection, world_id, config=config, now_ms=0)
    engine.ingest(database, world_id, RecordKind.CREATORS, [{"creator_id": "c1"}], now=NOW)
    engine.ingest(
        database,
        world_id,
        RecordKind.ITEMS,
        [{"item_id": f"i{n}", "kind": "content", "creator_id": "c1"} for n in range(4)],
        now=NOW,
    )
    return world_id


def view(
    event_id: str,
    user_id: str,
    start_ms: int,
    dwell_ms: int,
    *,
    item_id: str = "i0",
    visible_fraction: float | None = 0.9,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "event_id": event_id,
        "type": "view",
        "user_id": user_id,
        "ts": from_epoch_ms(start_ms).isoformat(),
        "item_id": item_id,
        "dwell_ms": dwell_ms,
    }
    if visible_fraction is not None:
        record["visible_fraction"] = visible_fraction
    return record


def ingest_views(database: sa.Engine, world_id: str, records: list[dict[str, Any]]) -> None:
    engine.ingest(database, world_id, RecordKind.EVENTS, records, now=NOW)


def stored_rows(database: sa.Engine, world_id: str) -> list[Row]:
    table = attention_daily.c
    with database.connect() as connection:
        result = connection.execute(
            sa.select(
                table.day,
                table.user_id,
                table.item_id,
                table.creator_id,
                table.attentive_ms,
                table.views,
            )
            .where(table.world_id == world_id)
            .order_by(table.day, table.user_id, table.item_id)
        )
        return [tuple(row) for row in result]


def daily_ms(database: sa.Engine, world_id: str) -> dict[tuple[int, str], int]:
    """Attentive ms per (day, person)."""
    totals: dict[tuple[int, str], int] = {}
    for day, user_id, _, _, total, _ in stored_rows(database, world_id):
        totals[day, user_id] = totals.get((day, user_id), 0) + total
    return totals


def test_a_view_after_midnight_lowers_the_attention_of_an_earlier_days_view(
    database: sa.Engine,
) -> None:
    world = new_world(database)
    # 23:59:50 for 20 s: it runs 10 s into the next day, and all 20 s belong to DAY.
    ingest_views(database, world, [view("a", "u1", MIDNIGHT - 10 * SECOND, 20 * SECOND)])
    assert daily_ms(database, world) == {(DAY, "u1"): 20_000}

    # 00:00:00 for 10 s: the two views share those 10 s.
    ingest_views(database, world, [view("b", "u1", MIDNIGHT, 10 * SECOND, item_id="i1")])

    assert daily_ms(database, world) == {(DAY, "u1"): 15_000, (DAY + 1, "u1"): 5_000}


def test_a_view_before_midnight_lowers_the_attention_of_a_view_just_after_it(
    database: sa.Engine,
) -> None:
    world = new_world(database)
    ingest_views(
        database,
        world,
        [
            view("b", "u1", MIDNIGHT + 5 * SECOND, 10 * SECOND),  # 00:00:05 to 00:00:15
            view("other", "u2", MIDNIGHT + 5 * SECOND, 10 * SECOND),  # someone else's
        ],
    )

    # 23:59:55 to 00:00:15: 10 s alone, then 10 s shared with the view after midnight.
    ingest_views(database, world, [view("a", "u1", MIDNIGHT - 5 * SECOND, 20 * SECOND)])

    assert daily_ms(database, world) == {
        (DAY, "u1"): 15_000,
        (DAY + 1, "u1"): 5_000,
        (DAY + 1, "u2"): 10_000,
    }


def test_a_capped_view_across_midnight_leaves_the_next_days_views_alone(
    database: sa.Engine,
) -> None:
    world = new_world(database)
    # 23:55 for 20 minutes, capped at 10: it ends at 00:05, before the views after it.
    ingest_views(
        database,
        world,
        [
            view("long", "u1", MIDNIGHT - 5 * MS_PER_MINUTE, 20 * MS_PER_MINUTE),
            view("next", "u1", MIDNIGHT + 6 * MS_PER_MINUTE, 60 * SECOND),
        ],
    )
    with database.begin() as connection:
        # Only the row of the view that began on DAY + 1 is rewritten, and it is unchanged.
        written = refresh_attention_days(connection, world, {("u1", DAY + 1)})

    assert written == 0
    assert daily_ms(database, world) == {(DAY, "u1"): 600_000, (DAY + 1, "u1"): 60_000}


def test_a_view_that_begins_on_a_day_with_no_views_writes_only_that_days_row(
    database: sa.Engine,
) -> None:
    world = new_world(database)
    ingest_views(database, world, [view("a", "u1", MIDNIGHT - 20 * SECOND, 10 * SECOND)])
    ingest_views(database, world, [view("b", "u1", MIDNIGHT + 20 * SECOND, 10 * SECOND)])

    assert stored_rows(database, world) == [
        (DAY, "u1", "i0", "c1", 10_000, 1),
        (DAY + 1, "u1", "i0", "c1", 10_000, 1),
    ]


def test_days_without_views_change_nothing(database: sa.Engine) -> None:
    world = new_world(database)
    ingest_views(database, world, [view("a", "u1", MIDNIGHT, 10 * SECOND)])
    with database.begin() as connection:
        written = refresh_attention_days(connection, world, {("u1", DAY + 5), ("nobody", DAY)})

    assert written == 0
    assert daily_ms(database, world) == {(DAY + 1, "u1"): 10_000}


@pytest.mark.parametrize("view_days", [set(), {("u1", DAY)}])
def test_an_unknown_world_is_not_found(database: sa.Engine, view_days: set[Any]) -> None:
    with database.begin() as connection, pytest.raises(NotFound):
        refresh_attention_days(connection, "nowhere", view_days)


def test_batches_ingested_at_once_by_several_threads_leave_the_attention_of_a_full_refresh(
    database: sa.Engine,
) -> None:
    world = new_world(database)
    errors: list[BaseException] = []

    def send(seed: int) -> None:
        chance = random.Random(seed)
        try:
            for batch in range(4):
                ingest_views(
                    database,
                    world,
                    [
                        view(
                            f"t{seed}-{batch}-{n}",
                            f"u{chance.randrange(4)}",
                            MIDNIGHT + chance.randrange(-MS_PER_MINUTE, MS_PER_MINUTE),
                            chance.randrange(30 * SECOND),
                            item_id=f"i{chance.randrange(4)}",
                        )
                        for n in range(15)
                    ],
                )
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=send, args=(seed,)) for seed in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    incremental = stored_rows(database, world)
    with database.begin() as connection:
        refresh_attention(connection, world)

    assert errors == []
    assert incremental == stored_rows(database, world)


# Starts cluster around two midnights, so views overlap, cross midnight and outlast the cap.
_starts = st.one_of(
    st.integers(MIDNIGHT - 30 * MS_PER_MINUTE, MIDNIGHT + 30 * MS_PER_MINUTE),
    st.integers(MIDNIGHT + MS_PER_DAY - 5 * MS_PER_MINUTE, MIDNIGHT + MS_PER_DAY + MS_PER_MINUTE),
    st.integers(MIDNIGHT - MS_PER_DAY, MIDNIGHT + MS_PER_DAY),
)
_views = st.tuples(
    st.sampled_from(["u1", "u2", "u3"]),
    _starts,
    st.one_of(
        st.integers(0, 20 * MS_PER_MINUTE),
        st.sampled_from([0, 999, 1_000, 600_000, 600_001, MS_PER_DAY]),
    ),
    st.sampled_from([None, 0.2, 0.5, 1.0]),
    st.sampled_from(["i0", "i1", "i2", "i3"]),
)
_rules = st.sampled_from(
    [
        AttentionRules(),
        AttentionRules(min_view_ms=0, max_view_ms=60_000),
        # A cap longer than a day: a view's neighbours lie more than a day away.
        AttentionRules(min_visible_fraction=0.0, min_view_ms=0, max_view_ms=MS_PER_DAY * 3 // 2),
    ]
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    views=st.lists(_views, min_size=1, max_size=25),
    cuts=st.lists(st.integers(0, 25), max_size=5),
    rules=_rules,
)
def test_attention_after_every_batch_equals_a_full_refresh(
    database: sa.Engine,
    views: list[tuple[str, int, int, float | None, str]],
    cuts: list[int],
    rules: AttentionRules,
) -> None:
    config = {
        "attention": {
            "min_visible_fraction": rules.min_visible_fraction,
            "min_view_ms": rules.min_view_ms,
            "max_view_ms": rules.max_view_ms,
        }
    }
    world = new_world(database, config)
    records = [
        view(f"e{n}", user_id, start, dwell, item_id=item_id, visible_fraction=fraction)
        for n, (user_id, start, dwell, fraction, item_id) in enumerate(views)
    ]
    bounds = sorted({0, len(records), *(cut for cut in cuts if cut < len(records))})

    for first, last in itertools.pairwise(bounds):
        ingest_views(database, world, records[first:last])
    incremental = stored_rows(database, world)
    with database.begin() as connection:
        refresh_attention(connection, world)

    assert incremental == stored_rows(database, world)


# --- refresh_attention_views: what a batch's views change (engine.ingest's path) ---

START = MIDNIGHT + 3_600 * SECOND  # 01:00 on DAY + 1


def rows_after_full_refresh(database: sa.Engine, world: str) -> list[tuple[object, ...]]:
    with database.begin() as connection:
        refresh_attention(connection, world)
    return stored_rows(database, world)


def test_a_new_view_overlapping_an_old_one_lowers_the_old_ones_row(database: sa.Engine) -> None:
    world = new_world(database)
    ingest_views(database, world, [view("a", "u1", START, 10 * SECOND)])

    # 5 s later for 10 s: the 5 s they share are split.
    ingest_views(database, world, [view("b", "u1", START + 5 * SECOND, 10 * SECOND, item_id="i1")])

    assert stored_rows(database, world) == [
        (DAY + 1, "u1", "i0", "c1", 7_500, 1),
        (DAY + 1, "u1", "i1", "c1", 7_500, 1),
    ]
    assert rows_after_full_refresh(database, world) == stored_rows(database, world)


def test_in_a_chain_of_three_only_the_views_that_overlap_the_new_last_one_change(
    database: sa.Engine,
) -> None:
    world = new_world(database)
    # a [0, 10 s) and b [8 s, 20 s) share 2 s: a 9 s, b 11 s.
    ingest_views(
        database,
        world,
        [
            view("a", "u1", START, 10 * SECOND),
            view("b", "u1", START + 8 * SECOND, 12 * SECOND, item_id="i1"),
        ],
    )
    # c [18 s, 30 s) shares 2 s with b and none with a.
    with database.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO events (world_id, event_id, type, user_id, ts_ms, item_id,"
                " dwell_ms, visible_fraction, received_ms)"
                " VALUES (:w, 'c', 'view', 'u1', :ts, 'i2', 12000, 0.9, 0)"
            ),
            {"w": world, "ts": START + 18 * SECOND},
        )
        written = refresh_attention_views(
            connection, world, [AcceptedView("c", "u1", START + 18 * SECOND, 12 * SECOND, 0.9)]
        )

    assert written == 2  # b's row and c's: a's is not touched
    assert stored_rows(database, world) == [
        (DAY + 1, "u1", "i0", "c1", 9_000, 1),
        (DAY + 1, "u1", "i1", "c1", 10_000, 1),
        (DAY + 1, "u1", "i2", "c1", 11_000, 1),
    ]
    assert rows_after_full_refresh(database, world) == stored_rows(database, world)


def test_a_new_view_across_midnight_changes_the_next_days_view_it_overlaps(
    database: sa.Engine,
) -> None:
    world = new_world(database)
    ingest_views(database, world, [view("after", "u1", MIDNIGHT + 5 * SECOND, 10 * SECOND)])

    # 23:59:55 to 00:00:10: 10 s alone, then 5 s shared with the view after midnight.
    ingest_views(
        database, world, [view("across", "u1", MIDNIGHT - 5 * SECOND, 15 * SECOND, item_id="i1")]
    )

    assert stored_rows(database, world) == [
        (DAY, "u1", "i1", "c1", 12_500, 1),
        (DAY + 1, "u1", "i0", "c1", 7_500, 1),
    ]
    assert rows_after_full_refresh(database, world) == stored_rows(database, world)


def test_a_new_view_that_is_not_viewable_changes_nothing(database: sa.Engine) -> None:
    world = new_world(database)
    ingest_views(database, world, [view("a", "u1", START, 10 * SECOND)])
    before = stored_rows(database, world)

    ingest_views(
        database,
        world,
        [
            view("faint", "u1", START, 10 * SECOND, visible_fraction=0.2),
            view("unmeasured", "u1", START, 10 * SECOND, visible_fraction=None),
            view("short", "u1", START, 999),
        ],
    )

    assert stored_rows(database, world) == before
    assert rows_after_full_refresh(database, world) == before


def test_a_replayed_batch_changes_nothing(database: sa.Engine) -> None:
    world = new_world(database)
    batch = [
        view("a", "u1", START, 10 * SECOND),
        view("b", "u1", START + 5 * SECOND, 10 * SECOND, item_id="i1"),
        view("c", "u2", START, 3 * SECOND),
    ]
    ingest_views(database, world, batch)
    first = stored_rows(database, world)

    ingest_views(database, world, batch)
    replayed = stored_rows(database, world)
    ingest_views(database, world, [batch[1], view("d", "u1", START + 60 * SECOND, 2 * SECOND)])

    assert replayed == first
    assert stored_rows(database, world) == [
        (DAY + 1, "u1", "i0", "c1", 9_500, 2),  # a, and d alone a minute later
        (DAY + 1, "u1", "i1", "c1", 7_500, 1),
        (DAY + 1, "u2", "i0", "c1", 3_000, 1),
    ]
    assert rows_after_full_refresh(database, world) == stored_rows(database, world)


def test_views_no_longer_than_zero_count_as_views_with_no_attention(database: sa.Engine) -> None:
    world = new_world(database, {"attention": {"min_view_ms": 0}})
    ingest_views(database, world, [view("a", "u1", START, 10 * SECOND)])

    ingest_views(database, world, [view("zero", "u1", START + SECOND, 0, item_id="i1")])

    assert stored_rows(database, world) == [
        (DAY + 1, "u1", "i0", "c1", 10_000, 1),
        (DAY + 1, "u1", "i1", "c1", 0, 1),
    ]
    assert rows_after_full_refresh(database, world) == stored_rows(database, world)


def test_no_new_views_write_nothing(database: sa.Engine) -> None:
    world = new_world(database)
    with database.begin() as connection:
        assert refresh_attention_views(connection, world, []) == 0


# --- how the refresh reads and matches a batch's people ---


def test_reading_a_batchs_people_goes_through_the_index_of_views_by_person(
    sqlite_database: sa.Engine,
) -> None:
    with sqlite_database.connect() as connection:
        source = _aggregates._views_by_person(connection)
        query = _aggregates._views_query("w", source).where(
            source.c.ts_ms >= 0,
            source.c.ts_ms < MS_PER_DAY,
            is_among(connection, source.c.user_id, ["u1", "u2"]),
        )
        compiled = query.compile(connection)
        plan = connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", tuple(compiled.params.values())
        ).all()

    steps = " / ".join(str(step[-1]) for step in plan)
    assert "SEARCH events USING INDEX ix_events_views_by_person (world_id=? AND user_id=?" in steps


@settings(max_examples=200, deadline=None)
@given(
    spans=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 50), st.integers(0, 20)),
        min_size=1,
        max_size=30,
    ),
    anchors=st.lists(st.booleans(), min_size=30, max_size=30),
)
def test_overlaps_finds_exactly_the_views_that_share_time_with_an_anchor_of_their_person(
    spans: list[tuple[str, int, int]], anchors: list[bool]
) -> None:
    rules = AttentionRules(min_visible_fraction=0.0, min_view_ms=0, max_view_ms=15)
    rows = [
        (seq, f"e{seq}", user, "i0", "c1", start, dwell, 1.0)
        for seq, (user, start, dwell) in enumerate(spans)
    ]
    views = _aggregates._Views.of(rows)
    anchor = np.array(anchors[: len(rows)])
    ends = [start + min(dwell, rules.max_view_ms) for _, start, dwell in spans]
    expected = [
        any(
            anchor[other]
            and spans[other][0] == user
            and spans[other][1] < end
            and ends[other] > start
            for other in range(len(spans))
        )
        for (user, start, _), end in zip(spans, ends, strict=True)
    ]

    assert _aggregates._overlaps(views, anchor, rules).tolist() == expected
