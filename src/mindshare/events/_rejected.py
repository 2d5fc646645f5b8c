"""Reading back what was rejected, and why."""

from dataclasses import dataclass

import sqlalchemy as sa

from mindshare.store import rejected


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """One rejected record as stored: where it came from, what it was, and the rule it broke."""

    kind: str
    location: str
    record: str
    field: str | None
    value: str | None
    rule: str
    reason: str
    received_ms: int


def list_rejected(
    connection: sa.Connection, world_id: str, *, limit: int | None = None, rule: str | None = None
) -> list[RejectedRecord]:
    """A world's rejected records, oldest first."""
    query = sa.select(rejected).where(rejected.c.world_id == world_id).order_by(rejected.c.seq)
    if rule is not None:
        query = query.where(rejected.c.rule == rule)
    if limit is not None:
        query = query.limit(limit)
    return [
        RejectedRecord(
            kind=row.kind,
            location=row.location,
            record=row.record,
            field=row.field,
            value=row.value,
            rule=row.rule,
            reason=row.reason,
            received_ms=row.received_ms,
        )
        for row in connection.execute(query)
    ]


def rejections_by_rule(connection: sa.Connection, world_id: str) -> dict[str, int]:
    """How many records of a world were rejected under each rule (conflicts included)."""
    query = (
        sa.select(rejected.c.rule, sa.func.count())
        .where(rejected.c.world_id == world_id)
        .group_by(rejected.c.rule)
        .order_by(sa.func.count().desc(), rejected.c.rule)
    )
    return {rule: count for rule, count in connection.execute(query)}
