"""served feeds and their exposures, creators' exposure totals, ad campaigns, creatives

Revision ID: 0003
Revises: 0002

``feeds`` and ``exposures`` keep every feed and every slot served, with the score it was
ranked by and why; ``creator_exposure`` is the running state of fair exposure;
``campaigns`` and ``creatives`` hold what advertisers buy and with which ads.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.String(length=128)
_JSON = sa.JSON(none_as_null=True)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("world_id", _ID, nullable=False),
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("advertiser_id", _ID, nullable=False),
        sa.Column("budget_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=12), nullable=False),
        sa.Column("bid_per_second", sa.Float(), nullable=True),
        sa.Column("bid_per_click", sa.Float(), nullable=True),
        sa.Column("targeting", _JSON, nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("pacing_multiplier", sa.Float(), server_default="1.0", nullable=False),
        sa.Column("pacing_updated_ms", sa.BigInteger(), nullable=True),
        sa.Column("spend_day", sa.Integer(), nullable=True),
        sa.Column("spent_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["world_id"], ["worlds.world_id"], name=op.f("fk_campaigns_world_id_worlds")
        ),
        sa.PrimaryKeyConstraint("world_id", "campaign_id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "creatives",
        sa.Column("world_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("campaign_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["world_id", "campaign_id"],
            ["campaigns.world_id", "campaigns.campaign_id"],
            name=op.f("fk_creatives_world_id_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["world_id", "item_id"],
            ["items.world_id", "items.item_id"],
            name=op.f("fk_creatives_world_id_item_id_items"),
        ),
        sa.PrimaryKeyConstraint("world_id", "item_id", name=op.f("pk_creatives")),
    )
    op.create_table(
        "feeds",
        sa.Column("world_id", _ID, nullable=False),
        sa.Column("feed_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("policy", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=True),
        sa.Column("served_ms", sa.BigInteger(), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("budget_left_ms", sa.BigInteger(), nullable=True),
        sa.Column("notes", _JSON, nullable=True),
        sa.PrimaryKeyConstraint("world_id", "feed_id", name=op.f("pk_feeds")),
    )
    op.create_index(op.f("ix_feeds_world_id_served_ms"), "feeds", ["world_id", "served_ms"])
    op.create_table(
        "creator_exposure",
        sa.Column("world_id", _ID, nullable=False),
        sa.Column("creator_id", _ID, nullable=False),
        sa.Column("exposure", sa.Float(), nullable=False),
        sa.Column("merit", sa.Float(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("world_id", "creator_id", name=op.f("pk_creator_exposure")),
    )
    op.create_table(
        "exposures",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("world_id", _ID, nullable=False),
        sa.Column("feed_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("creator_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("policy", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=True),
        sa.Column("served_ms", sa.BigInteger(), nullable=False),
        sa.Column("exposure", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("explanation", _JSON, nullable=True),
        sa.Column("campaign_id", _ID, nullable=True),
        sa.Column("price_per_second", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_exposures")),
        sa.UniqueConstraint(
            "world_id", "feed_id", "slot", name=op.f("uq_exposures_world_id_feed_id_slot")
        ),
    )
    for columns in (
        ["world_id", "campaign_id", "served_ms"],
        ["world_id", "creator_id"],
        ["world_id", "user_id", "served_ms"],
    ):
        op.create_index(op.f(f"ix_exposures_{'_'.join(columns)}"), "exposures", columns)


def downgrade() -> None:
    op.drop_table("exposures")
    op.drop_table("creator_exposure")
    op.drop_table("feeds")
    op.drop_table("creatives")
    op.drop_table("campaigns")
