"""events are unique by a 64-bit key of their id

Revision ID: 0002
Revises: 0001

The unique index on ``(world_id, event_id)`` becomes one on ``(world_id, event_key)``,
``event_key`` being a 64-bit hash of the id: every insert of an event with a random id
touches a random page of that index, and an index of integers has a fraction of the pages
of one of id strings. Existing events get their key here; an id whose key an earlier id
of the same world already holds keeps a NULL key, unique by the partial index on ids.
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_UNKEYED = "uq_events_world_id_event_id_unkeyed"
_BACKFILL_CHUNK = 10_000


def _event_key(event_id: str) -> int:
    # Frozen copy of mindshare.store.event_key: a migration must not change with the code.
    digest = hashlib.blake2b(event_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_key", sa.BigInteger(), nullable=True))
    _backfill_event_keys()
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_events_world_id_event_id", type_="unique")
        batch_op.create_unique_constraint("uq_events_world_id_event_key", ["world_id", "event_key"])
    events = sa.table("events", sa.column("event_key", sa.BigInteger()))
    op.create_index(
        _UNKEYED,
        "events",
        ["world_id", "event_id"],
        unique=True,
        sqlite_where=events.c.event_key.is_(None),
        postgresql_where=events.c.event_key.is_(None),
    )


def _backfill_event_keys() -> None:
    """Key every stored event, oldest first; a key already held in its world stays NULL."""
    connection = op.get_bind()
    events = sa.table(
        "events",
        sa.column("seq", sa.BigInteger()),
        sa.column("world_id", sa.String()),
        sa.column("event_id", sa.String()),
        sa.column("event_key", sa.BigInteger()),
    )
    held: set[tuple[str, int]] = set()
    after = None
    while True:
        query = sa.select(events.c.seq, events.c.world_id, events.c.event_id)
        if after is not None:
            query = query.where(events.c.seq > after)
        rows = connection.execute(query.order_by(events.c.seq).limit(_BACKFILL_CHUNK)).all()
        if not rows:
            return
        updates = []
        for seq, world_id, event_id in rows:
            key = _event_key(event_id)
            if (world_id, key) not in held:
                held.add((world_id, key))
                updates.append({"_seq": seq, "_key": key})
        if updates:
            connection.execute(
                events.update()
                .where(events.c.seq == sa.bindparam("_seq"))
                .values(event_key=sa.bindparam("_key")),
                updates,
            )
        after = rows[-1][0]


def downgrade() -> None:
    op.drop_index(_UNKEYED, table_name="events")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_events_world_id_event_key", type_="unique")
        batch_op.create_unique_constraint("uq_events_world_id_event_id", ["world_id", "event_id"])
        batch_op.drop_column("event_key")
