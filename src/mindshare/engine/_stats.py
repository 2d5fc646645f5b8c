"""A world at a glance: what it holds, what was rejected and why, and attention per day."""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mindshare.attention import (
    CreatorAttention,
    DailyAttention,
    ItemAttention,
    attention_by_creator,
    attention_by_day,
    attention_by_item,
)
from mindshare.events import get_world, rejections_by_rule
from mindshare.store import creators, events, items, people


@dataclass(frozen=True, slots=True)
class WorldStats:
    """Counts, rejections by rule, attention per day and the most-attended items and creators."""

    world_id: str
    people: int
    creators: int
    items_by_kind: dict[str, int]
    events_by_type: dict[str, int]
    rejections_by_rule: dict[str, int]
    attention_by_day: list[DailyAttention]
    top_items: list[ItemAttention]
    top_creators: list[CreatorAttention]

    @property
    def events(self) -> int:
        """Accepted events of every type."""
        return sum(self.events_by_type.values())

    @property
    def rejected(self) -> int:
        """Records rejected, conflicts included."""
        return sum(self.rejections_by_rule.values())

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form: days as ISO dates, attention in milliseconds."""
        return {
            "world_id": self.world_id,
            "people": self.people,
            "creators": self.creators,
            "items": sum(self.items_by_kind.values()),
            "items_by_kind": self.items_by_kind,
            "events": self.events,
            "events_by_type": self.events_by_type,
            "rejected": self.rejected,
            "rejections_by_rule": self.rejections_by_rule,
            "attention_by_day": [
                {
                    "day": row.day.isoformat(),
                    "attentive_ms": row.attentive_ms,
                    "people": row.people,
                    "items": row.items,
                }
                for row in self.attention_by_day
            ],
            "top_items": [
                {
                    "item_id": row.item_id,
                    "creator_id": row.creator_id,
                    "attentive_ms": row.attentive_ms,
                }
                for row in self.top_items
            ],
            "top_creators": [
                {"creator_id": row.creator_id, "attentive_ms": row.attentive_ms}
                for row in self.top_creators
            ],
        }


def world_stats(database: sa.Engine, world_id: str, *, top: int = 5) -> WorldStats:
    """Everything ``mindshare stats`` shows about one world."""
    with database.connect() as connection:
        get_world(connection, world_id)
        return WorldStats(
            world_id=world_id,
            people=_count(connection, people, people.c.world_id == world_id),
            creators=_count(connection, creators, creators.c.world_id == world_id),
            items_by_kind=_count_by(connection, items.c.kind, items.c.world_id == world_id),
            events_by_type=_count_by(connection, events.c.type, events.c.world_id == world_id),
            rejections_by_rule=rejections_by_rule(connection, world_id),
            attention_by_day=attention_by_day(connection, world_id),
            top_items=attention_by_item(connection, world_id)[:top],
            top_creators=attention_by_creator(connection, world_id)[:top],
        )


def _count(connection: sa.Connection, table: sa.Table, scope: sa.ColumnElement[bool]) -> int:
    return int(
        connection.execute(sa.select(sa.func.count()).select_from(table).where(scope)).scalar_one()
    )


def _count_by(
    connection: sa.Connection, column: sa.Column[Any], scope: sa.ColumnElement[bool]
) -> dict[str, int]:
    query = sa.select(column, sa.func.count()).where(scope).group_by(column).order_by(column)
    return {str(key): int(count) for key, count in connection.execute(query)}
