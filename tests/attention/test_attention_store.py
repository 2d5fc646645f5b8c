"""refresh_attention and the readers of attention_daily, on SQLite and PostgreSQL."""

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from mindshare.attention import (
    AttentionRules,
    CreatorAttention,
    DailyAttention,
    DailyBudget,
    ItemAttention,
    PersonAttention,
    attention_by_creator,
    attention_by_day,
    attention_by_item,
    attention_by_person,
    daily_budgets,
    refresh_attention,
)
from mindshare.core import MS_PER_DAY, MS_PER_MINUTE, NotFound
from mindshare.store import attention_daily, creators, events, items, people, worlds

DAY = 20_000  # 2024-10-04
FIRST = date(1970, 1, 1) + timedelta(days=DAY)
SECOND = FIRST + timedelta(days=1)
HASH = "0" * 32


class World:
    """Writes a world and its actors straight into the store, as ingestion would."""

    def __init__(self, connection: sa.Connection, world_id: str, config: Any = None) -> None:
        self.connection, self.world_id, self.events = connection, world_id, 0
        connection.execute(sa.insert(worlds).values(world_id=world_id, config=config, created_ms=0))

    def creator(self, creator_id: str) -> None:
        self.connection.execute(
            sa.insert(creators).values(
                world_id=self.world_id,
                creator_id=creator_id,
                body_hash=HASH,
                created_ms=0,
                updated_ms=0,
            )
        )

    def item(self, item_id: str, creator_id: str) -> None:
        self.connection.execute(
            sa.insert(items).values(
                world_id=self.world_id,
                item_id=item_id,
                kind="content",
                creator_id=creator_id,
                body_hash=HASH,
                created_ms=0,
                updated_ms=0,
            )
        )

    def person(self, user_id: str) -> None:
        self.connection.execute(
            sa.insert(people).values(
                world_id=self.world_id, user_id=user_id, body_hash=HASH, created_ms=0, updated_ms=0
            )
        )

    def view(
        self,
        user_id: str,
        item_id: str,
        *,
        ts_ms: int,
        dwell_ms: int | None,
        visible_fraction: float | None,
        event_type: str = "view",
    ) -> None:
        self.events += 1
        self.connection.execute(
            sa.insert(events).values(
                world_id=self.world_id,
                event_id=f"e{self.events}",
                type=event_type,
                user_id=user_id,
                ts_ms=ts_ms,
                item_id=item_id,
                dwell_ms=dwell_ms,
                visible_fraction=visible_fraction,
                received_ms=ts_ms,
            )
        )


def build_world(connection: sa.Connection, world_id: str, config: Any = None) -> World:
    """Creators c1 (items i1, i2) and c2 (item i3); people alice and bob."""
    world = World(connection, world_id, config)
    world.creator("c1")
    world.creator("c2")
    world.item("i1", "c1")
    world.item("i2", "c1")
    world.item("i3", "c2")
    world.person("alice")
    world.person("bob")
    return world


@pytest.fixture
def connection(database: sa.Engine) -> Iterator[sa.Connection]:
    with database.begin() as connection:
        yield connection


@pytest.fixture
def world(connection: sa.Connection) -> World:
    """Day one: alice's two overlapping views, bob's long and unverified views.

    Day two: alice's short view. Also a click, which is not attention.
    """
    world = build_world(connection, "w1")
    start = DAY * MS_PER_DAY
    world.view("alice", "i1", ts_ms=start, dwell_ms=10_000, visible_fraction=1.0)
    world.view("alice", "i2", ts_ms=start + 5_000, dwell_ms=10_000, visible_fraction=0.8)
    world.view("bob", "i3", ts_ms=start, dwell_ms=20 * MS_PER_MINUTE, visible_fraction=0.6)
    world.view("bob", "i1", ts_ms=start, dwell_ms=5_000, visible_fraction=None)
    world.view("bob", "i2", ts_ms=start, dwell_ms=None, visible_fraction=1.0)
    world.view("alice", "i1", ts_ms=start + MS_PER_DAY, dwell_ms=4_000, visible_fraction=0.9)
    world.view(
        "alice", "i3", ts_ms=start, dwell_ms=60_000, visible_fraction=1.0, event_type="click"
    )
    return world


def daily_rows(connection: sa.Connection, world_id: str) -> list[tuple[Any, ...]]:
    table = attention_daily.c
    query = (
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
    return [tuple(row) for row in connection.execute(query)]


def test_refresh_writes_one_row_per_day_person_and_item_with_viewable_views(
    connection: sa.Connection, world: World
) -> None:
    written = refresh_attention(connection, "w1")

    assert written == 4
    assert daily_rows(connection, "w1") == [
        (DAY, "alice", "i1", "c1", 7_500, 1),
        (DAY, "alice", "i2", "c1", 7_500, 1),
        (DAY, "bob", "i3", "c2", 600_000, 1),
        (DAY + 1, "alice", "i1", "c1", 4_000, 1),
    ]


def test_views_of_one_item_on_one_day_add_up_in_one_row(
    connection: sa.Connection, world: World
) -> None:
    later = DAY * MS_PER_DAY + MS_PER_DAY + 60_000
    world.view("alice", "i1", ts_ms=later, dwell_ms=2_000, visible_fraction=1.0)

    refresh_attention(connection, "w1")

    assert daily_rows(connection, "w1")[-1] == (DAY + 1, "alice", "i1", "c1", 6_000, 2)


def test_refresh_replaces_the_worlds_rows_and_leaves_other_worlds_alone(
    connection: sa.Connection, world: World
) -> None:
    other = build_world(connection, "w2")
    other.view("bob", "i2", ts_ms=DAY * MS_PER_DAY, dwell_ms=3_000, visible_fraction=1.0)
    refresh_attention(connection, "w2")
    connection.execute(
        sa.insert(attention_daily).values(
            world_id="w1",
            day=1,
            user_id="ghost",
            item_id="i9",
            creator_id="c9",
            attentive_ms=1,
            views=1,
        )
    )

    refresh_attention(connection, "w1")
    refresh_attention(connection, "w1")

    assert len(daily_rows(connection, "w1")) == 4
    assert daily_rows(connection, "w2") == [(DAY, "bob", "i2", "c1", 3_000, 1)]


def test_a_world_without_views_has_no_rows(connection: sa.Connection) -> None:
    build_world(connection, "empty")

    assert refresh_attention(connection, "empty") == 0
    assert attention_by_day(connection, "empty") == []
    assert daily_budgets(connection, "empty") == []


def test_refresh_of_an_unknown_world_is_not_found(connection: sa.Connection) -> None:
    with pytest.raises(NotFound, match="nowhere"):
        refresh_attention(connection, "nowhere")


def test_refresh_writes_inside_the_callers_transaction(database: sa.Engine) -> None:
    with database.begin() as setup:
        build_world(setup, "w1").view("alice", "i1", ts_ms=0, dwell_ms=2_000, visible_fraction=1.0)

    with database.connect() as connection:
        assert refresh_attention(connection, "w1") == 1
        connection.rollback()

    with database.connect() as connection:
        assert daily_rows(connection, "w1") == []


def test_a_worlds_config_sets_its_own_rules(connection: sa.Connection) -> None:
    config = {"attention": {"min_view_ms": 5_000, "max_view_ms": MS_PER_MINUTE}}
    strict = build_world(connection, "strict", config)
    strict.view("alice", "i1", ts_ms=0, dwell_ms=3_000, visible_fraction=1.0)
    strict.view("bob", "i2", ts_ms=0, dwell_ms=2 * MS_PER_MINUTE, visible_fraction=1.0)

    refresh_attention(connection, "strict")

    assert daily_rows(connection, "strict") == [(0, "bob", "i2", "c1", MS_PER_MINUTE, 1)]


def test_rules_given_to_refresh_take_precedence_over_the_world_config(
    connection: sa.Connection,
) -> None:
    strict = build_world(connection, "strict", {"attention": {"min_view_ms": 5_000}})
    strict.view("alice", "i1", ts_ms=0, dwell_ms=3_000, visible_fraction=1.0)

    refresh_attention(connection, "strict", rules=AttentionRules())

    assert daily_rows(connection, "strict") == [(0, "alice", "i1", "c1", 3_000, 1)]


def test_attention_by_day_counts_distinct_people_and_items(
    connection: sa.Connection, world: World
) -> None:
    refresh_attention(connection, "w1")

    assert attention_by_day(connection, "w1") == [
        DailyAttention(day=FIRST, attentive_ms=615_000, people=2, items=3),
        DailyAttention(day=SECOND, attentive_ms=4_000, people=1, items=1),
    ]


def test_attention_by_person_ranks_the_most_attentive_first(
    connection: sa.Connection, world: World
) -> None:
    refresh_attention(connection, "w1")

    assert attention_by_person(connection, "w1") == [
        PersonAttention(user_id="bob", attentive_ms=600_000, views=1, items=1),
        PersonAttention(user_id="alice", attentive_ms=19_000, views=3, items=2),
    ]
    assert attention_by_person(connection, "w1", day=SECOND) == [
        PersonAttention(user_id="alice", attentive_ms=4_000, views=1, items=1)
    ]


def test_attention_by_item_and_by_creator(connection: sa.Connection, world: World) -> None:
    refresh_attention(connection, "w1")

    assert attention_by_item(connection, "w1") == [
        ItemAttention(item_id="i3", creator_id="c2", attentive_ms=600_000, views=1, people=1),
        ItemAttention(item_id="i1", creator_id="c1", attentive_ms=11_500, views=2, people=1),
        ItemAttention(item_id="i2", creator_id="c1", attentive_ms=7_500, views=1, people=1),
    ]
    assert attention_by_creator(connection, "w1") == [
        CreatorAttention(creator_id="c2", attentive_ms=600_000, views=1, people=1, items=1),
        CreatorAttention(creator_id="c1", attentive_ms=19_000, views=3, people=1, items=2),
    ]
    assert attention_by_creator(connection, "w1", day=SECOND) == [
        CreatorAttention(creator_id="c1", attentive_ms=4_000, views=1, people=1, items=1)
    ]


def test_daily_budgets_take_a_quantile_of_each_persons_active_days(
    connection: sa.Connection, world: World
) -> None:
    refresh_attention(connection, "w1")

    # alice gave 15 000 ms on day one and 4 000 on day two; bob 600 000 on one day.
    assert daily_budgets(connection, "w1") == [
        DailyBudget(user_id="alice", budget_ms=13_900, active_days=2),
        DailyBudget(user_id="bob", budget_ms=600_000, active_days=1),
    ]
    assert daily_budgets(connection, "w1", quantile=0.5)[0].budget_ms == 9_500
