"""the ledger: accounts, balances and the append-only journal; settled economy periods

Revision ID: 0004
Revises: 0003

``ledger_accounts`` holds each account, ``ledger_balances`` its four balances (debits and
credits, pending and posted); ``ledger_transfers`` is the journal the audit recomputes
them from.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.String(length=128)


def upgrade() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column(
            "account_key",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("world_id", _ID, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("owner", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=12), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_key", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint(
            "world_id", "account_id", name=op.f("uq_ledger_accounts_world_id_account_id")
        ),
    )
    op.create_table(
        "ledger_balances",
        sa.Column(
            "account_key",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("debits_pending", sa.BigInteger(), nullable=False),
        sa.Column("debits_posted", sa.BigInteger(), nullable=False),
        sa.Column("credits_pending", sa.BigInteger(), nullable=False),
        sa.Column("credits_posted", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_key"],
            ["ledger_accounts.account_key"],
            name=op.f("fk_ledger_balances_account_key_ledger_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_key", name=op.f("pk_ledger_balances")),
    )
    op.create_table(
        "ledger_transfers",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("world_id", _ID, nullable=False),
        sa.Column("transfer_id", _ID, nullable=False),
        sa.Column("debit_account_id", _ID, nullable=False),
        sa.Column("credit_account_id", _ID, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=12), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("user_data", sa.String(length=256), nullable=True),
        sa.Column("phase", sa.SmallInteger(), nullable=False),
        sa.Column("pending_id", _ID, nullable=True),
        sa.Column("timeout_ms", sa.BigInteger(), nullable=True),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_transfers")),
        sa.UniqueConstraint(
            "world_id", "transfer_id", name=op.f("uq_ledger_transfers_world_id_transfer_id")
        ),
    )
    op.create_index(
        "ix_ledger_transfers_pending",
        "ledger_transfers",
        ["world_id", "pending_id"],
        unique=True,
        sqlite_where=sa.text("pending_id IS NOT NULL"),
        postgresql_where=sa.text("pending_id IS NOT NULL"),
    )
    op.create_table(
        "settlements",
        sa.Column("world_id", _ID, nullable=False),
        sa.Column("first_day", sa.Integer(), nullable=False),
        sa.Column("last_day", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("statement", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("planned_ms", sa.BigInteger(), nullable=False),
        sa.Column("settled_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("world_id", "first_day", name=op.f("pk_settlements")),
    )


def downgrade() -> None:
    op.drop_table("settlements")
    op.drop_index("ix_ledger_transfers_pending", table_name="ledger_transfers")
    op.drop_table("ledger_transfers")
    op.drop_table("ledger_balances")
    op.drop_table("ledger_accounts")
