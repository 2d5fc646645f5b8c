"""The market, composed: listings, purchases, auctions and deposits, settled in the ledger.

The market's rules decide (``mindshare.market``), the store records listings, bids and
owners, and the ledger moves the money. Every transfer has an id built from what it is
for, so a retried request asks for the same transfers and the idempotent ledger makes
them once:

=============================================  ==============================================
transfer id                                    what it moves
=============================================  ==============================================
``market:deposit:{user}:{reference}``          funding source → a person's account
``market:{listing}:buy:{buyer}:{now_ms}``      pending: a buyer's payment, into escrow
``market:{listing}:hold:{bidder}:{seq}``       pending: a bid's amount, into escrow
``market:{listing}:seller``                    escrow → the seller's share
``market:{listing}:royalty``                   escrow → the creator's royalty
``market:{listing}:fee``                       escrow → the platform's fee
=============================================  ==============================================

A sale goes: hold the price in escrow (an overdraft is refused here, before anything is
written) → claim the listing in the store (of two buyers, one wins; the other's hold is
voided) → post the hold → pay out escrow in one linked batch → record the sale settled
and hand the item to its buyer. A crash between steps leaves a claimed, unsettled sale
that the buyer's retry or the next ``close_auctions`` finishes with the same transfers.
"""

from dataclasses import dataclass, replace
from typing import Any, Literal

import sqlalchemy as sa

from mindshare.core import MS_PER_DAY, NotFound, PendingTransferExpired, PendingTransferVoided
from mindshare.economy import (
    advertiser_funding_account,
    bounded_id,
    creator_account,
    market_escrow_account,
    person_account,
    platform_revenue_account,
    user_data,
)
from mindshare.engine._accounts import open_economy_accounts
from mindshare.events import get_world
from mindshare.ledger import Ledger, Transfer
from mindshare.market import (
    Bid,
    CannotCancel,
    InvalidBid,
    InvalidListing,
    Listing,
    ListingClosed,
    ListingKind,
    SaleSplit,
    WrongListingKind,
    accept_bid,
    auction_outcome,
    buy_now_price,
    cancel_listing,
    closes_at,
    minimum_bid,
    price_at,
    split_sale,
    validate_listing,
)
from mindshare.market._rules import (
    PURCHASE_HOLD_MS,
    MarketRules,
    MarketTransferCode,
    bid_hold_timeout_ms,
)
from mindshare.market._store import (
    StoredBid,
    StoredListing,
    active_listing_of,
    claim_sale,
    close_listing,
    complete_sale,
    find_asset,
    get_listing,
    insert_bid,
    insert_listing,
    list_bids,
    listings_past_close,
    set_bid_status,
    set_closes_ms,
    undo_claim,
    unsettled_sales,
)
from mindshare.market._store import open_listings as stored_open_listings

#: Only items of this kind are goods that can be owned and traded.
TRADEABLE_KIND = "asset"


@dataclass(frozen=True, slots=True)
class OpenListing:
    """A listing still trading: what it asks now (a price, or the least next bid) and until when."""

    listing: Listing
    asking_minor: int
    closes_ms: int
    high_bid: Bid | None = None
    bids: int = 0

    def to_dict(self) -> dict[str, Any]:
        listing = self.listing
        return {
            "listing_id": listing.listing_id,
            "item_id": listing.item_id,
            "seller_id": listing.seller_id,
            "creator_id": listing.creator_id,
            "kind": listing.kind,
            "currency": listing.currency,
            "asking_minor": self.asking_minor,
            "high_bid_minor": None if self.high_bid is None else self.high_bid.amount_minor,
            "high_bidder_id": None if self.high_bid is None else self.high_bid.bidder_id,
            "bids": self.bids,
            "created_ms": listing.created_ms,
            "closes_ms": self.closes_ms,
        }


@dataclass(frozen=True, slots=True)
class Trade:
    """A settled sale: who bought what from whom, and how the price was split."""

    listing_id: str
    item_id: str
    kind: ListingKind
    seller_id: str
    buyer_id: str
    creator_id: str
    currency: str
    split: SaleSplit
    settled_ms: int

    @property
    def price_minor(self) -> int:
        return self.split.price_minor

    def to_dict(self) -> dict[str, Any]:
        return {
            "listing_id": self.listing_id,
            "item_id": self.item_id,
            "kind": self.kind,
            "seller_id": self.seller_id,
            "buyer_id": self.buyer_id,
            "creator_id": self.creator_id,
            "currency": self.currency,
            "price_minor": self.price_minor,
            "seller_minor": self.split.seller_minor,
            "creator_royalty_minor": self.split.creator_royalty_minor,
            "platform_fee_minor": self.split.platform_fee_minor,
            "settled_ms": self.settled_ms,
        }


@dataclass(frozen=True, slots=True)
class PlacedBid:
    """A bid accepted as an auction's high bid, its amount held in escrow."""

    bid: Bid
    seq: int
    hold_id: str
    closes_ms: int
    outbid: Bid | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "listing_id": self.bid.listing_id,
            "bidder_id": self.bid.bidder_id,
            "amount_minor": self.bid.amount_minor,
            "placed_ms": self.bid.placed_ms,
            "seq": self.seq,
            "hold_id": self.hold_id,
            "closes_ms": self.closes_ms,
            "outbid_bidder_id": None if self.outbid is None else self.outbid.bidder_id,
        }


@dataclass(frozen=True, slots=True)
class ClosedListing:
    """A listing ``close_auctions`` closed: sold (with its trade) or expired unsold."""

    listing_id: str
    kind: ListingKind
    status: Literal["sold", "expired"]
    trade: Trade | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "listing_id": self.listing_id,
            "kind": self.kind,
            "status": self.status,
            "trade": None if self.trade is None else self.trade.to_dict(),
        }


# --- money in ---------------------------------------------------------------------------


def deposit(
    store: sa.Engine,
    world_id: str,
    *,
    user_id: str,
    amount_minor: int,
    reference: str,
    currency: str | None = None,
) -> int:
    """Pay ``amount_minor`` into a person's account from outside the economy, once per reference.

    The money comes from the platform's funding source (``advertiser_funding_account``);
    the currency is the world market's unless given. Returns what the person can spend.
    """
    with store.connect() as connection:
        rules = _rules(connection, world_id)
    currency = currency or rules.currency
    ledger = Ledger(store, world_id)
    source, person = advertiser_funding_account(currency), person_account(user_id, currency)
    open_economy_accounts(ledger, [source, person])
    ledger.create_transfers(
        [
            Transfer(
                _market_id("deposit", user_id, reference),
                source,
                person,
                amount_minor,
                currency,
                int(MarketTransferCode.DEPOSIT),
                user_data(f"deposit {reference}"),
            )
        ]
    ).raise_first_error()
    return ledger.balance(person).available


# --- listings ---------------------------------------------------------------------------


def list_item(
    store: sa.Engine,
    world_id: str,
    *,
    seller_id: str,
    item_id: str,
    kind: ListingKind,
    now_ms: int,
    listing_id: str | None = None,
    expires_ms: int | None = None,
    price_minor: int | None = None,
    start_price_minor: int | None = None,
    reserve_minor: int = 0,
    min_increment_minor: int = 0,
    min_increment_bps: int = 0,
    ends_ms: int | None = None,
    extension_ms: int = 0,
    floor_price_minor: int | None = None,
    decrement_minor: int | None = None,
    interval_ms: int | None = None,
) -> OpenListing:
    """Offer an asset its seller owns, on fixed, English or Dutch terms, from ``now_ms``.

    The terms are those of ``mindshare.market.Listing``. A fixed or Dutch listing with no
    ``expires_ms`` stays open the world's ``listing_days``; an English auction with none
    expires at ``ends_ms``, or a day later when anti-sniping (``extension_ms``) may push
    its close. The listing id defaults to ``{item_id}@{now_ms}``, so a retried request
    finds the listing it made. Refused with ``InvalidListing``: an item that is not an
    asset, a seller who does not own it, an item already listed or being sold.
    """
    listing_id = listing_id or f"{item_id}@{now_ms}"
    with store.begin() as connection:
        rules = _rules(connection, world_id)
        if expires_ms is None:
            expires_ms = _default_expiry(kind, now_ms, ends_ms, extension_ms, rules)
        asset = find_asset(connection, world_id, item_id)
        listing = Listing(
            listing_id=listing_id,
            item_id=item_id,
            seller_id=seller_id,
            creator_id=asset.creator_id,
            kind=kind,
            currency=rules.currency,
            created_ms=now_ms,
            expires_ms=expires_ms,
            price_minor=price_minor,
            start_price_minor=start_price_minor,
            reserve_minor=reserve_minor,
            min_increment_minor=min_increment_minor,
            min_increment_bps=min_increment_bps,
            ends_ms=ends_ms,
            extension_ms=extension_ms,
            floor_price_minor=floor_price_minor,
            decrement_minor=decrement_minor,
            interval_ms=interval_ms,
        )
        existing = _find_listing(connection, world_id, listing_id)
        if existing is not None:
            if replace(existing.listing, status="open") != listing:
                raise InvalidListing(f"listing {listing_id!r} exists with other terms")
            if existing.listing.status != "open":
                raise InvalidListing(
                    f"listing {listing_id!r} was made already and is {existing.listing.status} now"
                )
            return _open_listing(connection, world_id, existing, now_ms)
        _check_can_sell(connection, world_id, asset.kind, asset.owner_id, listing)
        validate_listing(listing, now_ms=now_ms)
        try:
            with connection.begin_nested():
                insert_listing(connection, world_id, listing, closes_ms=closes_at(listing, None))
        except sa.exc.IntegrityError:
            raise InvalidListing(
                f"item {item_id!r} was listed meanwhile; it may have one open listing"
            ) from None
    open_economy_accounts(Ledger(store, world_id), _payees(listing))
    return OpenListing(listing, _asking(listing, None, now_ms), closes_at(listing, None))


def open_listings(store: sa.Engine, world_id: str, *, now_ms: int) -> list[OpenListing]:
    """Every listing of the world still trading at ``now_ms``, soonest to close first."""
    with store.connect() as connection:
        get_world(connection, world_id)
        return [
            _open_listing(connection, world_id, stored, now_ms)
            for stored in stored_open_listings(connection, world_id, now_ms)
        ]


def cancel(
    store: sa.Engine, world_id: str, *, seller_id: str, listing_id: str, now_ms: int
) -> Listing:
    """Withdraw a listing, if its seller asks and the rules allow it (no bids on an auction)."""
    with store.begin() as connection:
        stored = get_listing(connection, world_id, listing_id)
        bids = list_bids(connection, world_id, listing_id)
        high = bids[-1].bid if bids else None
        cancelled = cancel_listing(
            stored.listing, requested_by=seller_id, high_bid=high, now_ms=now_ms
        )
        # The update locks the row: a bid committed meanwhile is seen by the re-read.
        if not close_listing(connection, world_id, listing_id, status="cancelled", now_ms=now_ms):
            raise ListingClosed(f"listing {listing_id!r} closed meanwhile")
        if stored.listing.kind == "english" and list_bids(connection, world_id, listing_id):
            raise CannotCancel(
                f"listing {listing_id!r}: an English auction cannot be cancelled once it has bids"
            )
    return cancelled


# --- buying -----------------------------------------------------------------------------


def buy(store: sa.Engine, world_id: str, *, buyer_id: str, listing_id: str, now_ms: int) -> Trade:
    """Buy a fixed or Dutch listing at its price at ``now_ms``, paid through escrow.

    The buyer's payment is held in escrow first (``ExceedsCredits`` if they cannot pay,
    with nothing written), then the listing is claimed, the hold posted and escrow paid
    out to seller, creator and platform by ``split_sale``. Any failure before the post
    voids the hold. Buying a listing already sold to the same buyer finishes that sale
    if a crash interrupted it, and returns it.
    """
    ledger = Ledger(store, world_id)
    with store.connect() as connection:
        rules = _rules(connection, world_id)
        stored = get_listing(connection, world_id, listing_id)
    if stored.listing.status == "sold" and stored.buyer_id == buyer_id:
        return _settle(store, ledger, world_id, rules, stored, now_ms)
    listing = stored.listing
    price = buy_now_price(listing, now_ms)
    accept_bid(listing, None, Bid(listing_id, buyer_id, price, now_ms), now_ms)
    payment_id = _market_id(listing_id, "buy", buyer_id, str(now_ms))
    ledger.create_transfers(
        [
            Transfer(
                payment_id,
                person_account(buyer_id, listing.currency),
                market_escrow_account(listing.currency),
                price,
                listing.currency,
                int(MarketTransferCode.PURCHASE_HOLD),
                user_data(f"buy {listing_id}"),
                pending=True,
                timeout_ms=PURCHASE_HOLD_MS,
            )
        ]
    ).raise_first_error()
    try:
        with store.begin() as connection:
            claimed = claim_sale(
                connection,
                world_id,
                listing_id,
                buyer_id=buyer_id,
                price_minor=price,
                payment_id=payment_id,
                now_ms=now_ms,
            )
        if not claimed:
            raise ListingClosed(f"listing {listing_id!r} was sold or closed meanwhile")
    except BaseException:
        ledger.void_pending(payment_id)
        raise
    sold = replace(
        stored,
        listing=replace(listing, status="sold"),
        closed_ms=now_ms,
        buyer_id=buyer_id,
        price_minor=price,
        payment_id=payment_id,
    )
    return _settle(store, ledger, world_id, rules, sold, now_ms)


def bid(
    store: sa.Engine,
    world_id: str,
    *,
    bidder_id: str,
    listing_id: str,
    amount_minor: int,
    now_ms: int,
) -> PlacedBid:
    """Bid on an English auction; the amount is held in escrow until outbid or settled.

    The hold (a pending transfer) lasts past the auction's latest possible close; the
    previous high bid's hold is voided once this bid is recorded. Refused with the
    market's errors (``BidTooLow``, ``SelfDealing``, ``ListingExpired``…) or
    ``ExceedsCredits`` when the bidder cannot cover the amount.
    """
    ledger = Ledger(store, world_id)
    with store.connect() as connection:
        stored = get_listing(connection, world_id, listing_id)
        bids = list_bids(connection, world_id, listing_id)
    listing = stored.listing
    if listing.kind != "english":
        raise WrongListingKind(
            f"listing {listing_id!r} is a {listing.kind} listing: buy it rather than bid"
        )
    high = bids[-1] if bids else None
    accepted = accept_bid(
        listing,
        None if high is None else high.bid,
        Bid(listing_id, bidder_id, amount_minor, now_ms),
        now_ms,
    )
    seq = 1 if high is None else high.seq + 1
    hold_id = _market_id(listing_id, "hold", bidder_id, str(seq))
    ledger.create_transfers(
        [
            Transfer(
                hold_id,
                person_account(bidder_id, listing.currency),
                market_escrow_account(listing.currency),
                accepted.amount_minor,
                listing.currency,
                int(MarketTransferCode.BID_HOLD),
                user_data(f"bid {seq} on {listing_id}"),
                pending=True,
                timeout_ms=bid_hold_timeout_ms(listing),
            )
        ]
    ).raise_first_error()
    close = closes_at(listing, accepted)
    try:
        with store.begin() as connection:
            insert_bid(connection, world_id, seq=seq, bid=accepted, hold_id=hold_id)
            if not set_closes_ms(connection, world_id, listing_id, close):
                raise ListingClosed(f"listing {listing_id!r} closed meanwhile")
            if high is not None:
                set_bid_status(connection, world_id, listing_id, [high.seq], "released")
    except sa.exc.IntegrityError:
        ledger.void_pending(hold_id)
        raise InvalidBid(
            f"listing {listing_id!r}: another bid was accepted first; see the new high bid "
            "and bid again"
        ) from None
    except BaseException:
        ledger.void_pending(hold_id)
        raise
    if high is not None:
        ledger.void_pending(high.hold_id)
    return PlacedBid(accepted, seq, hold_id, close, None if high is None else high.bid)


def close_auctions(store: sa.Engine, world_id: str, *, now_ms: int) -> list[ClosedListing]:
    """Close every listing whose time is up at ``now_ms``, and finish interrupted sales.

    An English auction goes to its highest bid at or above the reserve: that bid's hold
    is posted and paid out like a purchase, every other hold is voided. An auction with
    no such bid, and a fixed or Dutch listing nobody bought, expire (holds voided).
    """
    ledger = Ledger(store, world_id)
    with store.connect() as connection:
        rules = _rules(connection, world_id)
        interrupted = unsettled_sales(connection, world_id)
        due = listings_past_close(connection, world_id, now_ms)
    closed = [
        ClosedListing(
            stored.listing.listing_id,
            stored.listing.kind,
            "sold",
            _settle(store, ledger, world_id, rules, stored, now_ms),
        )
        for stored in interrupted
    ]
    for stored in due:
        if stored.listing.kind == "english":
            result = _close_auction(store, ledger, world_id, rules, stored, now_ms)
        else:
            result = _expire(store, world_id, stored, now_ms)
        if result is not None:
            closed.append(result)
    return closed


# --- steps ------------------------------------------------------------------------------


def _close_auction(
    store: sa.Engine,
    ledger: Ledger,
    world_id: str,
    rules: MarketRules,
    stored: StoredListing,
    now_ms: int,
) -> ClosedListing | None:
    listing = stored.listing
    with store.connect() as connection:
        bids = list_bids(connection, world_id, listing.listing_id)
    outcome = auction_outcome(listing, [b.bid for b in bids], now_ms)
    winner = next((b for b in bids if b.bid == outcome.winning_bid), None)
    with store.begin() as connection:
        if winner is None:
            done = close_listing(
                connection, world_id, listing.listing_id, status="expired", now_ms=now_ms
            )
        else:
            done = claim_sale(
                connection,
                world_id,
                listing.listing_id,
                buyer_id=winner.bid.bidder_id,
                price_minor=winner.bid.amount_minor,
                payment_id=winner.hold_id,
                now_ms=now_ms,
            )
            if done:
                set_bid_status(connection, world_id, listing.listing_id, [winner.seq], "won")
        losers = [b for b in bids if b is not winner]
        if done:
            seqs = [b.seq for b in losers]
            set_bid_status(connection, world_id, listing.listing_id, seqs, "released")
    if not done:
        return None  # closed by a concurrent run
    _void_holds(ledger, losers)
    if winner is None:
        return ClosedListing(listing.listing_id, listing.kind, "expired")
    sold = replace(
        stored,
        listing=replace(listing, status="sold"),
        closed_ms=now_ms,
        buyer_id=winner.bid.bidder_id,
        price_minor=winner.bid.amount_minor,
        payment_id=winner.hold_id,
    )
    try:
        trade = _settle(store, ledger, world_id, rules, sold, now_ms)
    except (PendingTransferExpired, PendingTransferVoided):
        return ClosedListing(listing.listing_id, listing.kind, "expired")
    return ClosedListing(listing.listing_id, listing.kind, "sold", trade)


def _expire(
    store: sa.Engine, world_id: str, stored: StoredListing, now_ms: int
) -> ClosedListing | None:
    listing = stored.listing
    with store.begin() as connection:
        done = close_listing(
            connection, world_id, listing.listing_id, status="expired", now_ms=now_ms
        )
    return ClosedListing(listing.listing_id, listing.kind, "expired") if done else None


def _settle(
    store: sa.Engine,
    ledger: Ledger,
    world_id: str,
    rules: MarketRules,
    stored: StoredListing,
    now_ms: int,
) -> Trade:
    """Post a claimed sale's payment, pay escrow out, hand the item over (each step idempotent).

    A payment that can no longer be posted (its hold timed out) undoes the claim: a
    purchase's listing reopens while it has time left, an auction expires.
    """
    listing = stored.listing
    assert stored.buyer_id is not None
    assert stored.price_minor is not None
    assert stored.payment_id is not None
    split = split_sale(
        stored.price_minor, royalty_bps=rules.royalty_bps, platform_fee_bps=rules.platform_fee_bps
    )
    if stored.settled_ms is not None:
        return _trade(stored, split, stored.settled_ms)
    open_economy_accounts(ledger, _payees(listing))
    try:
        ledger.post_pending(stored.payment_id)
    except (PendingTransferExpired, PendingTransferVoided):
        ledger.void_pending(stored.payment_id)
        reopen = listing.kind != "english" and now_ms < stored.closes_ms
        with store.begin() as connection:
            undo_claim(
                connection, world_id, listing.listing_id, status="open" if reopen else "expired"
            )
            if listing.kind == "english":
                seqs = [b.seq for b in list_bids(connection, world_id, listing.listing_id)]
                set_bid_status(connection, world_id, listing.listing_id, seqs, "released")
        raise
    escrow, currency = market_escrow_account(listing.currency), listing.currency
    payouts = [
        (
            "seller",
            person_account(listing.seller_id, currency),
            split.seller_minor,
            MarketTransferCode.SALE_PROCEEDS,
        ),
        (
            "royalty",
            creator_account(listing.creator_id, currency),
            split.creator_royalty_minor,
            MarketTransferCode.CREATOR_ROYALTY,
        ),
        (
            "fee",
            platform_revenue_account(currency),
            split.platform_fee_minor,
            MarketTransferCode.PLATFORM_FEE,
        ),
    ]
    ledger.create_transfers(
        [
            Transfer(
                _market_id(listing.listing_id, part),
                escrow,
                account,
                amount,
                currency,
                int(code),
                user_data(f"{part} of {listing.listing_id}"),
            )
            for part, account, amount, code in payouts
            if amount > 0
        ],
        linked=True,
    ).raise_first_error()
    with store.begin() as connection:
        complete_sale(
            connection,
            world_id,
            listing.listing_id,
            item_id=listing.item_id,
            buyer_id=stored.buyer_id,
            now_ms=now_ms,
        )
        settled_ms = get_listing(connection, world_id, listing.listing_id).settled_ms
    return _trade(stored, split, now_ms if settled_ms is None else settled_ms)


def _trade(stored: StoredListing, split: SaleSplit, settled_ms: int) -> Trade:
    listing = stored.listing
    assert stored.buyer_id is not None
    return Trade(
        listing.listing_id,
        listing.item_id,
        listing.kind,
        listing.seller_id,
        stored.buyer_id,
        listing.creator_id,
        listing.currency,
        split,
        settled_ms,
    )


# --- helpers ----------------------------------------------------------------------------


def _rules(connection: sa.Connection, world_id: str) -> MarketRules:
    return MarketRules.from_world_config(get_world(connection, world_id).config)


def _check_can_sell(
    connection: sa.Connection, world_id: str, item_kind: str, owner_id: str, listing: Listing
) -> None:
    where = f"listing {listing.listing_id!r}"
    if item_kind != TRADEABLE_KIND:
        raise InvalidListing(
            f"{where}: item {listing.item_id!r} is {item_kind!r}; only {TRADEABLE_KIND!r} "
            "items are traded"
        )
    if owner_id != listing.seller_id:
        raise InvalidListing(
            f"{where}: {listing.seller_id!r} does not own item {listing.item_id!r} "
            f"(its owner is {owner_id!r})"
        )
    active = active_listing_of(connection, world_id, listing.item_id)
    if active is not None:
        raise InvalidListing(
            f"{where}: item {listing.item_id!r} is already listed (listing {active!r}); "
            "an item has one listing at a time"
        )


def _default_expiry(
    kind: str, now_ms: int, ends_ms: int | None, extension_ms: int, rules: MarketRules
) -> int:
    if kind == "english" and ends_ms is not None:
        return ends_ms + (MS_PER_DAY if extension_ms else 0)
    return now_ms + rules.listing_days * MS_PER_DAY


def _find_listing(
    connection: sa.Connection, world_id: str, listing_id: str
) -> StoredListing | None:
    try:
        return get_listing(connection, world_id, listing_id)
    except NotFound:
        return None


def _open_listing(
    connection: sa.Connection, world_id: str, stored: StoredListing, now_ms: int
) -> OpenListing:
    bids = (
        list_bids(connection, world_id, stored.listing.listing_id)
        if stored.listing.kind == "english"
        else []
    )
    high = bids[-1].bid if bids else None
    return OpenListing(
        stored.listing, _asking(stored.listing, high, now_ms), stored.closes_ms, high, len(bids)
    )


def _asking(listing: Listing, high_bid: Bid | None, now_ms: int) -> int:
    """A fixed or Dutch listing's price now, or the least an auction's next bid may be."""
    if listing.kind == "english":
        return minimum_bid(listing, high_bid, now_ms)
    return price_at(listing, now_ms)


def _payees(listing: Listing) -> list[str]:
    """The accounts a sale of ``listing`` pays into, and the escrow it pays from."""
    currency = listing.currency
    return [
        market_escrow_account(currency),
        person_account(listing.seller_id, currency),
        creator_account(listing.creator_id, currency),
        platform_revenue_account(currency),
    ]


def _void_holds(ledger: Ledger, bids: list[StoredBid]) -> None:
    """Void the bids' holds; a hold already voided (when its bid was outbid) is a no-op."""
    for stored in bids:
        ledger.void_pending(stored.hold_id)


def _market_id(*parts: str) -> str:
    """``market:part:part…``, within the ledger's id length."""
    return bounded_id(":".join(("market", *parts)))
