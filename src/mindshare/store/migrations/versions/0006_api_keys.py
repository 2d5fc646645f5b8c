"""API keys: per-world keys of the HTTP service, stored hashed, with scopes

Revision ID: 0006
Revises: 0005

A key is shown once when created; the store keeps its public id, a SHA-256 digest of
its secret, its scopes and when it was revoked, never the secret itself.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.String(length=128)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("world_id", _ID, nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), server_default="", nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("revoked_ms", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["world_id"], ["worlds.world_id"], name=op.f("fk_api_keys_world_id_worlds")
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
    )
    op.create_index(op.f("ix_api_keys_world_id"), "api_keys", ["world_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_api_keys_world_id"), table_name="api_keys")
    op.drop_table("api_keys")
