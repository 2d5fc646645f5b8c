"""the market: listings, bids on English auctions, ownership of assets that changed hands

Revision ID: 0005
Revises: 0004

``market_listings`` holds every listing with its terms, status and sale; an item has at
most one open listing (a partial unique index). ``market_bids`` keeps each accepted bid
with the ledger hold behind it; ``market_ownership`` who owns an asset once it was sold.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.String(length=128)
_JSON = sa.JSON(none_as_null=True)


def upgrade() -> None:
    op.create_table(
        "market_listings",
        sa.Column("world_id", _ID, nullable=False),
        sa.Column("listing_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("creator_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=12), nullable=False),
        sa.Column("terms", _JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.Column("closes_ms", sa.BigInteger(), nullable=False),
        sa.Column("closed_ms", sa.BigInteger(), nullable=True),
        sa.Column("buyer_id", _ID, nullable=True),
        sa.Column("price_minor", sa.BigInteger(), nullable=True),
        sa.Column("payment_id", _ID, nullable=True),
        sa.Column("settled_ms", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["world_id", "item_id"],
            ["items.world_id", "items.item_id"],
            name=op.f("fk_market_listings_world_id_item_id_items"),
        ),
        sa.PrimaryKeyConstraint("world_id", "listing_id", name=op.f("pk_market_listings")),
    )
    op.create_index(
        op.f("ix_market_listings_world_id_status_closes_ms"),
        "market_listings",
        ["world_id", "status", "closes_ms"],
    )
    op.create_index(
        "uq_market_listings_open_item",
        "market_listings",
        ["world_id", "item_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "market_bids",
        sa.Column("world_id", _ID, nullable=False),
        sa.Column("listing_id", _ID, nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bidder_id", _ID, nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("placed_ms", sa.BigInteger(), nullable=False),
        sa.Column("hold_id", _ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["world_id", "listing_id"],
            ["market_listings.world_id", "market_listings.listing_id"],
            name=op.f("fk_market_bids_world_id_listing_id_market_listings"),
        ),
        sa.PrimaryKeyConstraint("world_id", "listing_id", "seq", name=op.f("pk_market_bids")),
    )
    op.create_table(
        "market_ownership",
        sa.Column("world_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("owner_id", _ID, nullable=False),
        sa.Column("acquired_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["world_id", "item_id"],
            ["items.world_id", "items.item_id"],
            name=op.f("fk_market_ownership_world_id_item_id_items"),
        ),
        sa.PrimaryKeyConstraint("world_id", "item_id", name=op.f("pk_market_ownership")),
    )
    op.create_index(
        op.f("ix_market_ownership_world_id_owner_id"),
        "market_ownership",
        ["world_id", "owner_id"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_market_ownership_world_id_owner_id"), table_name="market_ownership")
    op.drop_table("market_ownership")
    op.drop_table("market_bids")
    op.drop_index("uq_market_listings_open_item", table_name="market_listings")
    op.drop_index(
        op.f("ix_market_listings_world_id_status_closes_ms"), table_name="market_listings"
    )
    op.drop_table("market_listings")
