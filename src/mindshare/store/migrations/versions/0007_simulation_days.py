"""simulation_days: the per-day metrics of a simulated world, for its dashboard page

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "simulation_days",
        sa.Column("world_id", sa.String(length=128), nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("policy", sa.String(length=32), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("metrics", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("recorded_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["world_id"], ["worlds.world_id"], name=op.f("fk_simulation_days_world_id_worlds")
        ),
        sa.PrimaryKeyConstraint("world_id", "day", name=op.f("pk_simulation_days")),
    )


def downgrade() -> None:
    op.drop_table("simulation_days")
