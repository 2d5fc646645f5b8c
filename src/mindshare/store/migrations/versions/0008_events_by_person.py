"""events by person and time: each person's views near a moment, for incremental attention

Revision ID: 0008
Revises: 0007

Refreshing attention after a batch reads the views of the batch's people that overlap
its new views; without this index that read scans every view of everyone in the time
window, so its cost grew with the world's traffic instead of the batch.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_events_world_id_user_id_ts_ms"), "events", ["world_id", "user_id", "ts_ms"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_events_world_id_user_id_ts_ms"), table_name="events")
