"""item_impressions: each item's slots served, kept as a running total

Revision ID: 0010
Revises: 0009

Reading a world for its feeds counted every item's impressions by grouping the whole
``exposures`` log, which every served feed grows by its slots: at a million rows the
read took seconds. The totals are now added to when slots are recorded, as
``creator_exposure`` is; this revision creates the table and fills it from the log.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.String(length=128)


def upgrade() -> None:
    op.create_table(
        "item_impressions",
        sa.Column("world_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("world_id", "item_id", name=op.f("pk_item_impressions")),
    )
    op.execute(
        "INSERT INTO item_impressions (world_id, item_id, impressions, updated_ms) "
        "SELECT world_id, item_id, COUNT(*), MAX(served_ms) FROM exposures "
        "GROUP BY world_id, item_id"
    )


def downgrade() -> None:
    op.drop_table("item_impressions")
