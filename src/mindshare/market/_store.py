"""What the market reads from and writes to the store: listings, bids and ownership.

Each function is one short statement on a connection the caller holds, so the engine
decides what goes in one transaction. Status changes are conditional (``WHERE status =
'open'``), so of two requests racing for one listing exactly one wins.
"""

from dataclasses import dataclass, fields
from typing import Any, Final

import sqlalchemy as sa

from mindshare.core import NotFound
from mindshare.market._listings import Bid, Listing
from mindshare.store import items, market_bids, market_listings, market_ownership

_COMMON: Final = frozenset(
    {
        "listing_id",
        "item_id",
        "seller_id",
        "creator_id",
        "kind",
        "currency",
        "created_ms",
        "expires_ms",
        "status",
    }
)
#: The fields of a listing that are its kind's terms, with the value each has when unset.
_TERMS: Final = {f.name: f.default for f in fields(Listing) if f.name not in _COMMON}


@dataclass(frozen=True, slots=True)
class Asset:
    """An item that can be traded: its kind, its creator and who owns it now."""

    item_id: str
    kind: str
    creator_id: str
    owner_id: str


@dataclass(frozen=True, slots=True)
class StoredListing:
    """A listing as the store keeps it, with when it closes and, once sold, its sale."""

    listing: Listing
    closes_ms: int
    closed_ms: int | None = None
    buyer_id: str | None = None
    price_minor: int | None = None
    payment_id: str | None = None
    settled_ms: int | None = None


@dataclass(frozen=True, slots=True)
class StoredBid:
    """An accepted bid, its place in the auction (``seq``), its escrow hold and status."""

    seq: int
    bid: Bid
    hold_id: str
    status: str


def find_asset(connection: sa.Connection, world_id: str, item_id: str) -> Asset:
    """The item ``item_id`` with its owner (its creator until it is first sold), or NotFound."""
    row = connection.execute(
        sa.select(items.c.kind, items.c.creator_id, market_ownership.c.owner_id)
        .select_from(
            items.outerjoin(
                market_ownership,
                sa.and_(
                    market_ownership.c.world_id == items.c.world_id,
                    market_ownership.c.item_id == items.c.item_id,
                ),
            )
        )
        .where(items.c.world_id == world_id, items.c.item_id == item_id)
    ).first()
    if row is None:
        raise NotFound(f"item {item_id!r} does not exist in world {world_id!r}")
    return Asset(item_id, row.kind, row.creator_id, row.owner_id or row.creator_id)


def active_listing_of(connection: sa.Connection, world_id: str, item_id: str) -> str | None:
    """The id of the item's open listing, or of its sale still being paid, if it has one."""
    table = market_listings.c
    return connection.execute(
        sa.select(table.listing_id)
        .where(
            table.world_id == world_id,
            table.item_id == item_id,
            sa.or_(
                table.status == "open",
                sa.and_(table.status == "sold", table.settled_ms.is_(None)),
            ),
        )
        .limit(1)
    ).scalar_one_or_none()


def insert_listing(
    connection: sa.Connection, world_id: str, listing: Listing, *, closes_ms: int
) -> None:
    """Record a new listing (IntegrityError if its id, or an open listing of its item, exists)."""
    terms = {
        name: getattr(listing, name)
        for name, unset in _TERMS.items()
        if getattr(listing, name) != unset
    }
    connection.execute(
        market_listings.insert().values(
            world_id=world_id,
            listing_id=listing.listing_id,
            item_id=listing.item_id,
            seller_id=listing.seller_id,
            creator_id=listing.creator_id,
            kind=listing.kind,
            currency=listing.currency,
            terms=terms,
            status=listing.status,
            created_ms=listing.created_ms,
            expires_ms=listing.expires_ms,
            closes_ms=closes_ms,
        )
    )


def get_listing(connection: sa.Connection, world_id: str, listing_id: str) -> StoredListing:
    """The listing ``listing_id``, or NotFound."""
    row = connection.execute(
        sa.select(market_listings).where(
            market_listings.c.world_id == world_id, market_listings.c.listing_id == listing_id
        )
    ).first()
    if row is None:
        raise NotFound(f"listing {listing_id!r} does not exist in world {world_id!r}")
    return _stored_listing(row)


def open_listings(connection: sa.Connection, world_id: str, now_ms: int) -> list[StoredListing]:
    """Listings still trading at ``now_ms``, soonest to close first."""
    table = market_listings.c
    rows = connection.execute(
        sa.select(market_listings)
        .where(table.world_id == world_id, table.status == "open", table.closes_ms > now_ms)
        .order_by(table.closes_ms, table.listing_id)
    )
    return [_stored_listing(row) for row in rows]


def listings_past_close(
    connection: sa.Connection, world_id: str, now_ms: int
) -> list[StoredListing]:
    """Open listings whose trading time is over at ``now_ms``, in the order they closed."""
    table = market_listings.c
    rows = connection.execute(
        sa.select(market_listings)
        .where(table.world_id == world_id, table.status == "open", table.closes_ms <= now_ms)
        .order_by(table.closes_ms, table.listing_id)
    )
    return [_stored_listing(row) for row in rows]


def unsettled_sales(connection: sa.Connection, world_id: str) -> list[StoredListing]:
    """Sales claimed in the store whose payment the ledger has not finished (a crash between)."""
    table = market_listings.c
    rows = connection.execute(
        sa.select(market_listings)
        .where(table.world_id == world_id, table.status == "sold", table.settled_ms.is_(None))
        .order_by(table.closed_ms, table.listing_id)
    )
    return [_stored_listing(row) for row in rows]


def list_bids(connection: sa.Connection, world_id: str, listing_id: str) -> list[StoredBid]:
    """Every accepted bid on the listing, in the order accepted."""
    table = market_bids.c
    rows = connection.execute(
        sa.select(market_bids)
        .where(table.world_id == world_id, table.listing_id == listing_id)
        .order_by(table.seq)
    )
    return [
        StoredBid(
            row.seq,
            Bid(row.listing_id, row.bidder_id, row.amount_minor, row.placed_ms),
            row.hold_id,
            row.status,
        )
        for row in rows
    ]


def insert_bid(
    connection: sa.Connection, world_id: str, *, seq: int, bid: Bid, hold_id: str
) -> None:
    """Record an accepted bid as ``held`` (IntegrityError if another bid took ``seq``)."""
    connection.execute(
        market_bids.insert().values(
            world_id=world_id,
            listing_id=bid.listing_id,
            seq=seq,
            bidder_id=bid.bidder_id,
            amount_minor=bid.amount_minor,
            placed_ms=bid.placed_ms,
            hold_id=hold_id,
            status="held",
        )
    )


def set_bid_status(
    connection: sa.Connection, world_id: str, listing_id: str, seqs: list[int], status: str
) -> None:
    """Mark the listing's bids ``seqs`` as ``held``, ``released`` or ``won``."""
    if not seqs:
        return
    table = market_bids.c
    connection.execute(
        market_bids.update()
        .where(table.world_id == world_id, table.listing_id == listing_id, table.seq.in_(seqs))
        .values(status=status)
    )


def set_closes_ms(
    connection: sa.Connection, world_id: str, listing_id: str, closes_ms: int
) -> bool:
    """Move an open listing's close (an anti-sniping extension); False when it is not open."""
    result = connection.execute(
        market_listings.update().where(_is_open(world_id, listing_id)).values(closes_ms=closes_ms)
    )
    return result.rowcount == 1


def claim_sale(
    connection: sa.Connection,
    world_id: str,
    listing_id: str,
    *,
    buyer_id: str,
    price_minor: int,
    payment_id: str,
    now_ms: int,
) -> bool:
    """Mark an open listing sold to ``buyer_id``; False when it is no longer open."""
    result = connection.execute(
        market_listings.update()
        .where(_is_open(world_id, listing_id))
        .values(
            status="sold",
            closed_ms=now_ms,
            buyer_id=buyer_id,
            price_minor=price_minor,
            payment_id=payment_id,
        )
    )
    return result.rowcount == 1


def undo_claim(connection: sa.Connection, world_id: str, listing_id: str, *, status: str) -> None:
    """Take back a sale whose payment could not be posted: the listing becomes ``status``."""
    table = market_listings.c
    connection.execute(
        market_listings.update()
        .where(
            table.world_id == world_id,
            table.listing_id == listing_id,
            table.status == "sold",
            table.settled_ms.is_(None),
        )
        .values(
            status=status,
            closed_ms=None if status == "open" else table.closed_ms,
            buyer_id=None,
            price_minor=None,
            payment_id=None,
        )
    )


def close_listing(
    connection: sa.Connection, world_id: str, listing_id: str, *, status: str, now_ms: int
) -> bool:
    """Close an open listing as ``cancelled`` or ``expired``; False when it was not open."""
    result = connection.execute(
        market_listings.update()
        .where(_is_open(world_id, listing_id))
        .values(status=status, closed_ms=now_ms)
    )
    return result.rowcount == 1


def complete_sale(
    connection: sa.Connection,
    world_id: str,
    listing_id: str,
    *,
    item_id: str,
    buyer_id: str,
    now_ms: int,
) -> bool:
    """Record a paid sale as settled and hand the item to its buyer; False if it already was."""
    table = market_listings.c
    settled = connection.execute(
        market_listings.update()
        .where(
            table.world_id == world_id,
            table.listing_id == listing_id,
            table.status == "sold",
            table.settled_ms.is_(None),
        )
        .values(settled_ms=now_ms)
    )
    if settled.rowcount != 1:
        return False
    owned = market_ownership.c
    moved = connection.execute(
        market_ownership.update()
        .where(owned.world_id == world_id, owned.item_id == item_id)
        .values(owner_id=buyer_id, acquired_ms=now_ms)
    )
    if moved.rowcount == 0:
        connection.execute(
            market_ownership.insert().values(
                world_id=world_id, item_id=item_id, owner_id=buyer_id, acquired_ms=now_ms
            )
        )
    return True


def _is_open(world_id: str, listing_id: str) -> sa.ColumnElement[bool]:
    table = market_listings.c
    return sa.and_(
        table.world_id == world_id, table.listing_id == listing_id, table.status == "open"
    )


def _stored_listing(row: Any) -> StoredListing:
    listing = Listing(
        listing_id=row.listing_id,
        item_id=row.item_id,
        seller_id=row.seller_id,
        creator_id=row.creator_id,
        kind=row.kind,
        currency=row.currency,
        created_ms=row.created_ms,
        expires_ms=row.expires_ms,
        status=row.status,
        **{name: value for name, value in (row.terms or {}).items() if name in _TERMS},
    )
    return StoredListing(
        listing,
        row.closes_ms,
        row.closed_ms,
        row.buyer_id,
        row.price_minor,
        row.payment_id,
        row.settled_ms,
    )
