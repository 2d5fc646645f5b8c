"""events by person and time for views alone: the index ingestion maintains shrinks

Revision ID: 0009
Revises: 0008

The index on ``(world_id, user_id, ts_ms)`` of 0008 serves one reader, the attention
refresh, which reads views alone; but every event paid for it, and each insert into it
dirties a random page. It becomes a partial index of views (a third of the events a
world sends), under a name of its own.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BY_PERSON = "ix_events_world_id_user_id_ts_ms"
_VIEWS_BY_PERSON = "ix_events_views_by_person"


def upgrade() -> None:
    events = sa.table("events", sa.column("type", sa.String()))
    op.create_index(
        _VIEWS_BY_PERSON,
        "events",
        ["world_id", "user_id", "ts_ms"],
        sqlite_where=events.c.type == "view",
        postgresql_where=events.c.type == "view",
    )
    op.drop_index(_BY_PERSON, table_name="events")


def downgrade() -> None:
    op.create_index(_BY_PERSON, "events", ["world_id", "user_id", "ts_ms"])
    op.drop_index(_VIEWS_BY_PERSON, table_name="events")
