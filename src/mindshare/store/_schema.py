"""The tables of the store (SQLAlchemy Core), identical on SQLite and PostgreSQL.

Times are integer epoch milliseconds (UTC) and money integer minor units, so both
databases store and compare them exactly. Ids are the strings a world sends.

An event is unique in its world by ``event_key``, a 64-bit hash of its id (see
``event_key``): an index of 8-byte integers has a fraction of the pages of one of id
strings, and since clients' ids arrive in random order, every insert dirties a random
page of that index. The key is exact in effect: two different ids that hash alike (the
odds that it happens at all in a world of a million events are about one in 37 million)
are told apart by their ids, the later one stored with no key and kept unique by a
second, partial index on the id.
Every migration in ``migrations/versions`` must leave the database equal to this
metadata; a test checks it.
"""

import hashlib

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

ID = sa.String(128)
#: An auto-incrementing 64-bit key (SQLite's rowid alias needs plain INTEGER).
SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON(none_as_null=True)

worlds = sa.Table(
    "worlds",
    metadata,
    sa.Column("world_id", ID, primary_key=True),
    sa.Column("name", sa.String(256), nullable=False, server_default=""),
    sa.Column("config", JSON, nullable=True),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
)

creators = sa.Table(
    "creators",
    metadata,
    sa.Column("world_id", ID, sa.ForeignKey("worlds.world_id"), primary_key=True),
    sa.Column("creator_id", ID, primary_key=True),
    sa.Column("name", sa.String(256), nullable=False, server_default=""),
    sa.Column("attributes", JSON, nullable=True),
    sa.Column("body_hash", sa.String(32), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
)

people = sa.Table(
    "people",
    metadata,
    sa.Column("world_id", ID, sa.ForeignKey("worlds.world_id"), primary_key=True),
    sa.Column("user_id", ID, primary_key=True),
    sa.Column("attributes", JSON, nullable=True),
    sa.Column("body_hash", sa.String(32), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
)

items = sa.Table(
    "items",
    metadata,
    sa.Column("world_id", ID, primary_key=True),
    sa.Column("item_id", ID, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("creator_id", ID, nullable=False),
    sa.Column("title", sa.String(512), nullable=False, server_default=""),
    sa.Column("text", sa.Text, nullable=False, server_default=""),
    sa.Column("tags", JSON, nullable=True),
    sa.Column("price_minor", sa.BigInteger, nullable=True),
    sa.Column("currency", sa.String(12), nullable=True),
    sa.Column("body_hash", sa.String(32), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
    sa.ForeignKeyConstraint(
        ["world_id", "creator_id"], ["creators.world_id", "creators.creator_id"]
    ),
    sa.Index(None, "world_id", "creator_id"),
)

events = sa.Table(
    "events",
    metadata,
    # Insertion order: breaks ties between events with the same timestamp by source order.
    sa.Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
    sa.Column("world_id", ID, nullable=False),
    sa.Column("event_id", ID, nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("user_id", ID, nullable=False),
    sa.Column("ts_ms", sa.BigInteger, nullable=False),
    sa.Column("item_id", ID, nullable=True),
    sa.Column("dwell_ms", sa.BigInteger, nullable=True),
    sa.Column("visible_fraction", sa.Float, nullable=True),
    sa.Column("position", sa.Integer, nullable=True),
    sa.Column("surface", sa.String(64), nullable=True),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("context", JSON, nullable=True),
    sa.Column("received_ms", sa.BigInteger, nullable=False),
    # event_key(event_id), or NULL for the rare id whose key another id already holds.
    sa.Column("event_key", sa.BigInteger, nullable=True),
    sa.UniqueConstraint("world_id", "event_key"),
    sa.ForeignKeyConstraint(["world_id", "user_id"], ["people.world_id", "people.user_id"]),
    sa.ForeignKeyConstraint(["world_id", "item_id"], ["items.world_id", "items.item_id"]),
    sa.Index(None, "world_id", "type", "ts_ms"),
)
#: A person's views near a moment: what an ingest's attention refresh reads. Views alone,
#: so that the other events (two thirds of them) do not pay for an index they never use.
sa.Index(
    "ix_events_views_by_person",
    events.c.world_id,
    events.c.user_id,
    events.c.ts_ms,
    sqlite_where=events.c.type == "view",
    postgresql_where=events.c.type == "view",
)
#: Ids stored without a key (their key was taken) are unique too; the index holds only them.
sa.Index(
    "uq_events_world_id_event_id_unkeyed",
    events.c.world_id,
    events.c.event_id,
    unique=True,
    sqlite_where=events.c.event_key.is_(None),
    postgresql_where=events.c.event_key.is_(None),
)

rejected = sa.Table(
    "rejected",
    metadata,
    sa.Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
    sa.Column("world_id", ID, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("location", sa.String(1024), nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("field", sa.String(128), nullable=True),
    sa.Column("value", sa.Text, nullable=True),
    sa.Column("rule", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("received_ms", sa.BigInteger, nullable=False),
    sa.Index(None, "world_id", "rule"),
)

attention_daily = sa.Table(
    "attention_daily",
    metadata,
    sa.Column("world_id", ID, primary_key=True),
    sa.Column("day", sa.Integer, primary_key=True),
    sa.Column("user_id", ID, primary_key=True),
    sa.Column("item_id", ID, primary_key=True),
    sa.Column("creator_id", ID, nullable=False),
    sa.Column("attentive_ms", sa.BigInteger, nullable=False),
    sa.Column("views", sa.Integer, nullable=False),
    sa.Index(None, "world_id", "creator_id", "day"),
)


campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("world_id", ID, sa.ForeignKey("worlds.world_id"), primary_key=True),
    sa.Column("campaign_id", ID, primary_key=True),
    sa.Column("advertiser_id", ID, nullable=False),
    # Daily budget in minor units of ``currency``; bids are minor units per attentive
    # second or per click (rates, so fractional), charges are whole minor units.
    sa.Column("budget_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(12), nullable=False),
    sa.Column("bid_per_second", sa.Float, nullable=True),
    sa.Column("bid_per_click", sa.Float, nullable=True),
    sa.Column("targeting", JSON, nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    # Multiplicative pacing: the bid multiplier and when it was last updated.
    sa.Column("pacing_multiplier", sa.Float, nullable=False, server_default="1.0"),
    sa.Column("pacing_updated_ms", sa.BigInteger, nullable=True),
    # Expected spend of the day ``spend_day`` so far (charges settle on verified attention).
    sa.Column("spend_day", sa.Integer, nullable=True),
    sa.Column("spent_minor", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
)

creatives = sa.Table(
    "creatives",
    metadata,
    sa.Column("world_id", ID, primary_key=True),
    sa.Column("item_id", ID, primary_key=True),
    sa.Column("campaign_id", ID, nullable=False),
    sa.ForeignKeyConstraint(["world_id", "item_id"], ["items.world_id", "items.item_id"]),
    sa.ForeignKeyConstraint(
        ["world_id", "campaign_id"], ["campaigns.world_id", "campaigns.campaign_id"]
    ),
)

#: Every feed served: to whom, by which policy and model, and its documented fallbacks.
feeds = sa.Table(
    "feeds",
    metadata,
    sa.Column("world_id", ID, primary_key=True),
    sa.Column("feed_id", sa.String(64), primary_key=True),
    sa.Column("user_id", ID, nullable=False),
    sa.Column("policy", sa.String(64), nullable=False),
    sa.Column("model", sa.String(64), nullable=True),
    sa.Column("served_ms", sa.BigInteger, nullable=False),
    sa.Column("slots", sa.Integer, nullable=False),
    sa.Column("budget_left_ms", sa.BigInteger, nullable=True),
    sa.Column("notes", JSON, nullable=True),
    sa.Index(None, "world_id", "served_ms"),
)

#: Each creator's cumulative exposure and merit: the amortized fair-exposure state.
creator_exposure = sa.Table(
    "creator_exposure",
    metadata,
    sa.Column("world_id", ID, primary_key=True),
    sa.Column("creator_id", ID, primary_key=True),
    sa.Column("exposure", sa.Float, nullable=False),
    sa.Column("merit", sa.Float, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
)

#: Each item's slots served so far (organic and ad): the running count of ``exposures``
#: by item, added to in the transaction that records the slots, so that reading a world
#: for its feeds never groups the whole exposure log.
item_impressions = sa.Table(
    "item_impressions",
    metadata,
    sa.Column("world_id", ID, primary_key=True),
    sa.Column("item_id", ID, primary_key=True),
    sa.Column("impressions", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
)

#: Every slot of every feed served, with why it went where it went.
exposures = sa.Table(
    "exposures",
    metadata,
    sa.Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
    sa.Column("world_id", ID, nullable=False),
    sa.Column("feed_id", sa.String(64), nullable=False),
    sa.Column("user_id", ID, nullable=False),
    sa.Column("slot", sa.Integer, nullable=False),
    sa.Column("item_id", ID, nullable=False),
    sa.Column("creator_id", ID, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("policy", sa.String(64), nullable=False),
    sa.Column("model", sa.String(64), nullable=True),
    sa.Column("served_ms", sa.BigInteger, nullable=False),
    # The slot's share of attention (position exposure) and the score it was ranked by.
    sa.Column("exposure", sa.Float, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("explanation", JSON, nullable=True),
    sa.Column("campaign_id", ID, nullable=True),
    sa.Column("price_per_second", sa.Float, nullable=True),
    sa.UniqueConstraint("world_id", "feed_id", "slot"),
    sa.Index(None, "world_id", "user_id", "served_ms"),
    sa.Index(None, "world_id", "creator_id"),
    sa.Index(None, "world_id", "campaign_id", "served_ms"),
)


#: Ledger accounts: owner, kind, currency and flags. Their balances (TigerBeetle's four:
#: debits and credits, pending and posted) are in ``ledger_balances``.
ledger_accounts = sa.Table(
    "ledger_accounts",
    metadata,
    # An integer key, so the write path updates a balance with one lookup of the rowid.
    sa.Column("account_key", SEQUENCE, primary_key=True, autoincrement=True),
    sa.Column("world_id", ID, nullable=False),
    sa.Column("account_id", ID, nullable=False),
    sa.Column("owner", ID, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("currency", sa.String(12), nullable=False),
    # Bit 1: debits must not exceed credits; bit 2: credits must not exceed debits.
    sa.Column("flags", sa.Integer, nullable=False),
    sa.Column("closed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("world_id", "account_id"),
)

#: Each account's four balances, in a narrow table of their own: every batch rewrites
#: thousands of them, and narrow rows mean fewer pages to write at each commit.
ledger_balances = sa.Table(
    "ledger_balances",
    metadata,
    sa.Column(
        "account_key",
        SEQUENCE,
        sa.ForeignKey("ledger_accounts.account_key"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("debits_pending", sa.BigInteger, nullable=False),
    sa.Column("debits_posted", sa.BigInteger, nullable=False),
    sa.Column("credits_pending", sa.BigInteger, nullable=False),
    sa.Column("credits_posted", sa.BigInteger, nullable=False),
)

#: The journal: every transfer, append-only, in the order it was applied (``seq``).
#: A post or void of a pending transfer is a row of its own naming the pending one,
#: unique per pending transfer, so a pending transfer resolves at most once.
ledger_transfers = sa.Table(
    "ledger_transfers",
    metadata,
    sa.Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
    sa.Column("world_id", ID, nullable=False),
    sa.Column("transfer_id", ID, nullable=False),
    sa.Column("debit_account_id", ID, nullable=False),
    sa.Column("credit_account_id", ID, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(12), nullable=False),
    sa.Column("code", sa.Integer, nullable=False),
    sa.Column("user_data", sa.String(256), nullable=True),
    # 0 plain, 1 pending, 2 post of ``pending_id``, 3 void of ``pending_id``.
    sa.Column("phase", sa.SmallInteger, nullable=False),
    sa.Column("pending_id", ID, nullable=True),
    sa.Column("timeout_ms", sa.BigInteger, nullable=True),
    sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("world_id", "transfer_id"),
    sa.Index(
        "ix_ledger_transfers_pending",
        "world_id",
        "pending_id",
        unique=True,
        sqlite_where=sa.text("pending_id IS NOT NULL"),
        postgresql_where=sa.text("pending_id IS NOT NULL"),
    ),
)


#: Every settled (or planned) period of a world's economy, with its statement and the
#: transfers it asked for: a re-run of the same period resends them (a no-op in the
#: idempotent ledger) and an overlapping period is refused.
settlements = sa.Table(
    "settlements",
    metadata,
    sa.Column("world_id", ID, primary_key=True),
    sa.Column("first_day", sa.Integer, primary_key=True),
    sa.Column("last_day", sa.Integer, nullable=False),
    sa.Column("period", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("statement", JSON, nullable=False),
    sa.Column("planned_ms", sa.BigInteger, nullable=False),
    sa.Column("settled_ms", sa.BigInteger, nullable=True),
)


#: The market's listings: an owner's offer of one asset on fixed, English or Dutch terms
#: (``terms`` holds the kind's fields of ``mindshare.market.Listing``). ``closes_ms`` is
#: when trading stops: ``expires_ms``, or an English auction's close, pushed later by
#: anti-sniping bids. A sale records its buyer, price and the pending ledger transfer
#: that pays for it (``payment_id``); ``settled_ms`` is set once the ledger has paid the
#: seller, the creator and the platform and the item has changed hands.
market_listings = sa.Table(
    "market_listings",
    metadata,
    sa.Column("world_id", ID, primary_key=True),
    sa.Column("listing_id", ID, primary_key=True),
    sa.Column("item_id", ID, nullable=False),
    sa.Column("seller_id", ID, nullable=False),
    sa.Column("creator_id", ID, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("currency", sa.String(12), nullable=False),
    sa.Column("terms", JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("expires_ms", sa.BigInteger, nullable=False),
    sa.Column("closes_ms", sa.BigInteger, nullable=False),
    sa.Column("closed_ms", sa.BigInteger, nullable=True),
    sa.Column("buyer_id", ID, nullable=True),
    sa.Column("price_minor", sa.BigInteger, nullable=True),
    sa.Column("payment_id", ID, nullable=True),
    sa.Column("settled_ms", sa.BigInteger, nullable=True),
    sa.ForeignKeyConstraint(["world_id", "item_id"], ["items.world_id", "items.item_id"]),
    sa.Index(None, "world_id", "status", "closes_ms"),
)
#: An item has at most one open listing: the index holds only open ones.
sa.Index(
    "uq_market_listings_open_item",
    market_listings.c.world_id,
    market_listings.c.item_id,
    unique=True,
    sqlite_where=sa.text("status = 'open'"),
    postgresql_where=sa.text("status = 'open'"),
)

#: Every accepted bid on an English auction, numbered in the order accepted (``seq``),
#: with the pending ledger transfer that holds its amount in the market's escrow
#: (``hold_id``): ``held`` while it is the high bid, ``released`` once outbid or the
#: auction ended without it winning (its hold voided), ``won`` when it bought the item.
market_bids = sa.Table(
    "market_bids",
    metadata,
    sa.Column("world_id", ID, primary_key=True),
    sa.Column("listing_id", ID, primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("bidder_id", ID, nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("placed_ms", sa.BigInteger, nullable=False),
    sa.Column("hold_id", ID, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.ForeignKeyConstraint(
        ["world_id", "listing_id"], ["market_listings.world_id", "market_listings.listing_id"]
    ),
)

#: Who owns each asset that has changed hands; an asset without a row belongs to its
#: creator.
market_ownership = sa.Table(
    "market_ownership",
    metadata,
    sa.Column("world_id", ID, primary_key=True),
    sa.Column("item_id", ID, primary_key=True),
    sa.Column("owner_id", ID, nullable=False),
    sa.Column("acquired_ms", sa.BigInteger, nullable=False),
    sa.ForeignKeyConstraint(["world_id", "item_id"], ["items.world_id", "items.item_id"]),
    sa.Index(None, "world_id", "owner_id"),
)

#: The HTTP service's per-world API keys: the public ``key_id`` names a key, the secret
#: is kept only as its SHA-256 digest, ``scopes`` is a comma-separated subset of
#: ``ingest,read,trade,admin``; a revoked key keeps its row.
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.String(32), primary_key=True),
    sa.Column("world_id", ID, sa.ForeignKey("worlds.world_id"), nullable=False, index=True),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("scopes", sa.String(64), nullable=False),
    sa.Column("name", sa.String(256), nullable=False, server_default=""),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("revoked_ms", sa.BigInteger, nullable=True),
)

#: What each simulated day did to a world (``mindshare simulate``): the day number, the
#: policy and seed of the run, and the day's metrics (``mindshare.sim.DayMetrics``).
simulation_days = sa.Table(
    "simulation_days",
    metadata,
    sa.Column("world_id", ID, sa.ForeignKey("worlds.world_id"), primary_key=True),
    sa.Column("day", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("policy", sa.String(32), nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("metrics", JSON, nullable=False),
    sa.Column("recorded_ms", sa.BigInteger, nullable=False),
)


def event_key(event_id: str) -> int:
    """The signed 64-bit key an event id is unique by in its world: the first 8 bytes of
    its BLAKE2b hash, so it never changes between versions, processes or databases."""
    digest = hashlib.blake2b(event_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
