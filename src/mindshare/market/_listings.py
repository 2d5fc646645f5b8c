"""Listings and bids: the pure rules of selling a virtual good at a fixed price or by auction.

Three kinds of listing:

``fixed``
    One price (``price_minor``) until the listing expires.
``english``
    An ascending auction. Bids start at ``start_price_minor`` (1 when not given) and each
    must beat the high bid by the larger of ``min_increment_minor`` and
    ``min_increment_bps`` of the high bid (always by at least one minor unit). Bidding
    closes at ``ends_ms``; with ``extension_ms`` (anti-sniping), a bid pushes the close
    to at least ``extension_ms`` after it, never past ``expires_ms``. At the close, the
    highest bid wins at its own amount if it reaches ``reserve_minor``.
``dutch``
    A descending auction: ``start_price_minor`` falls by ``decrement_minor`` every
    ``interval_ms`` after ``created_ms``, never below ``floor_price_minor``; the first
    buyer takes it at the price of the moment.

Every function takes ``now_ms`` rather than reading a clock, and none touches the store or
the ledger: a caller escrows and settles around them.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal, get_args

from mindshare.core import InputError, is_currency_code

ListingKind = Literal["fixed", "english", "dutch"]
ListingStatus = Literal["open", "sold", "cancelled", "expired"]
LISTING_KINDS: Final[tuple[ListingKind, ...]] = get_args(ListingKind)
LISTING_STATUSES: Final[tuple[ListingStatus, ...]] = get_args(ListingStatus)
BASIS_POINTS: Final = 10_000


# --- errors -----------------------------------------------------------------------------


class MarketError(InputError):
    """A request the market's rules do not allow; the message names the rule."""


class InvalidListing(MarketError):
    """A listing whose terms contradict themselves or cannot be opened now."""


class InvalidBid(MarketError):
    """A bid that is malformed or names another listing."""


class BidTooLow(MarketError):
    """A bid below the least the listing accepts now; ``minimum_minor`` says what that is."""

    def __init__(self, message: str, *, minimum_minor: int) -> None:
        super().__init__(message)
        self.minimum_minor = minimum_minor


class ListingClosed(MarketError):
    """The listing is sold, cancelled or expired, or not open yet."""


class ListingExpired(MarketError):
    """The listing's time is up: past ``expires_ms``, or an English auction's close."""


class SelfDealing(MarketError):
    """A seller bidding on, or buying, their own listing."""


class CannotCancel(MarketError):
    """A cancellation the rules forbid: not the seller, or an English auction with bids."""


class WrongListingKind(MarketError):
    """An operation asked of a kind of listing that does not have it."""


class AuctionNotEnded(MarketError):
    """An English auction's outcome asked for before it closes."""


# --- data -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Listing:
    """One item offered by its owner, in one currency, on the terms of its ``kind``.

    Construction checks the terms hang together (raising ``InvalidListing``): each kind
    has the fields it needs and none of another kind's. ``validate_listing`` adds the
    rules that depend on the moment the listing opens.
    """

    listing_id: str
    item_id: str
    seller_id: str
    creator_id: str
    kind: ListingKind
    currency: str
    created_ms: int
    expires_ms: int
    price_minor: int | None = None
    start_price_minor: int | None = None
    reserve_minor: int = 0
    min_increment_minor: int = 0
    min_increment_bps: int = 0
    ends_ms: int | None = None
    extension_ms: int = 0
    floor_price_minor: int | None = None
    decrement_minor: int | None = None
    interval_ms: int | None = None
    status: ListingStatus = "open"

    def __post_init__(self) -> None:
        _check_terms(self)


@dataclass(frozen=True, slots=True)
class Bid:
    """An offer of ``amount_minor`` by ``bidder_id`` on a listing, placed at ``placed_ms``.

    On a fixed or Dutch listing a bid is an order to buy at up to ``amount_minor``.
    """

    listing_id: str
    bidder_id: str
    amount_minor: int
    placed_ms: int

    def __post_init__(self) -> None:
        where = f"bid by {self.bidder_id!r} on listing {self.listing_id!r}"
        for name in ("listing_id", "bidder_id"):
            if not _is_name(getattr(self, name)):
                raise InvalidBid(f"{where}: {name} must be a non-empty string")
        if not _is_int(self.amount_minor) or self.amount_minor < 1:
            raise InvalidBid(
                f"{where}: amount_minor is {self.amount_minor!r}; a bid is a whole number "
                "of minor units, at least 1"
            )
        if not _is_int(self.placed_ms):
            raise InvalidBid(f"{where}: placed_ms is {self.placed_ms!r}; it must be epoch ms")


@dataclass(frozen=True, slots=True)
class AuctionOutcome:
    """How an English auction ended: ``sold`` to ``winning_bid`` at its amount, or ``expired``."""

    status: Literal["sold", "expired"]
    winning_bid: Bid | None

    @property
    def price_minor(self) -> int | None:
        """What the winner pays: their own bid (first price), or None when unsold."""
        return None if self.winning_bid is None else self.winning_bid.amount_minor


# --- rules ------------------------------------------------------------------------------


def validate_listing(listing: Listing, *, now_ms: int) -> Listing:
    """Check that ``listing`` may open at ``now_ms``, and return it.

    Its terms are already consistent (checked on construction); opening also needs it to
    be ``open``, created no later than now, and with time left to trade.
    """
    where = _where(listing)
    if listing.status != "open":
        raise InvalidListing(f"{where}: a new listing must be 'open', not {listing.status!r}")
    if listing.created_ms > now_ms:
        raise InvalidListing(
            f"{where}: created_ms {listing.created_ms} is in the future (now {now_ms})"
        )
    close = listing.ends_ms if listing.ends_ms is not None else listing.expires_ms
    if close <= now_ms:
        raise InvalidListing(f"{where}: it would close at {close}, not after now ({now_ms})")
    return listing


def price_at(listing: Listing, now_ms: int) -> int:
    """The asking price at ``now_ms`` on a fixed or Dutch listing's schedule.

    Dutch: ``start - decrement × whole intervals since created_ms``, never below the
    floor (and the start price before ``created_ms``). Status and expiry are not looked
    at; ``buy_now_price`` does that.
    """
    if listing.kind == "fixed":
        assert listing.price_minor is not None
        return listing.price_minor
    if listing.kind == "dutch":
        assert listing.start_price_minor is not None
        assert listing.floor_price_minor is not None
        assert listing.decrement_minor is not None
        assert listing.interval_ms is not None
        steps = max(0, now_ms - listing.created_ms) // listing.interval_ms
        falling = listing.start_price_minor - steps * listing.decrement_minor
        return max(listing.floor_price_minor, falling)
    raise WrongListingKind(f"{_where(listing)}: an English auction has no asking price")


def buy_now_price(listing: Listing, now_ms: int) -> int:
    """What a buyer pays to take a fixed or Dutch listing at ``now_ms``, if it is still open."""
    if listing.kind == "english":
        raise WrongListingKind(f"{_where(listing)}: an English auction cannot be bought outright")
    _require_open(listing, now_ms)
    if now_ms >= listing.expires_ms:
        raise ListingExpired(f"{_where(listing)}: expired at {listing.expires_ms}")
    return price_at(listing, now_ms)


def closes_at(listing: Listing, high_bid: Bid | None) -> int:
    """When the listing stops trading, given its latest (highest) accepted bid.

    Fixed and Dutch listings close at ``expires_ms``. An English auction closes at
    ``ends_ms``, pushed to ``extension_ms`` after the latest bid when that is later
    (anti-sniping), never past ``expires_ms``. Bids only ever go up, so the latest bid is
    the high bid, and it alone fixes the close.
    """
    if listing.kind != "english":
        return listing.expires_ms
    assert listing.ends_ms is not None
    close = listing.ends_ms
    if high_bid is not None and listing.extension_ms > 0:
        close = max(close, high_bid.placed_ms + listing.extension_ms)
    return min(close, listing.expires_ms)


def is_expired(listing: Listing, now_ms: int, *, high_bid: Bid | None = None) -> bool:
    """Whether the listing's time to trade is over at ``now_ms`` (see ``closes_at``).

    An English auction past its close is settled by ``auction_outcome`` (sold or expired).
    """
    return now_ms >= closes_at(listing, high_bid)


def minimum_bid(listing: Listing, high_bid: Bid | None, now_ms: int) -> int:
    """The least amount the listing accepts at ``now_ms``.

    English: the opening price with no bids, else the high bid plus the larger of the
    increment in minor units and in basis points (rounded up), and at least one minor
    unit more. Fixed and Dutch: the asking price.
    """
    if listing.kind != "english":
        return price_at(listing, now_ms)
    if high_bid is None:
        return listing.start_price_minor if listing.start_price_minor is not None else 1
    high = high_bid.amount_minor
    by_bps = -(-high * listing.min_increment_bps // BASIS_POINTS)  # ceiling division
    return high + max(1, listing.min_increment_minor, by_bps)


def accept_bid(listing: Listing, current_high_bid: Bid | None, bid: Bid, now_ms: int) -> Bid:
    """Accept ``bid`` at ``now_ms`` against the current high bid, or say which rule it breaks.

    Returns the accepted bid stamped ``placed_ms=now_ms``. On a fixed or Dutch listing
    the accepted bid is a purchase at the asking price (a buyer offering more pays only
    the price); on an English auction it becomes the new high bid at its own amount.

    Raises ``InvalidBid`` (another listing's bid, or out of time order),
    ``ListingClosed``, ``SelfDealing``, ``ListingExpired`` or ``BidTooLow``.
    """
    where = _where(listing)
    if bid.listing_id != listing.listing_id:
        raise InvalidBid(f"{where}: the bid is for listing {bid.listing_id!r}")
    _require_open(listing, now_ms)
    if bid.bidder_id == listing.seller_id:
        raise SelfDealing(f"{where}: {bid.bidder_id!r} is the seller and cannot bid or buy")
    if current_high_bid is not None and now_ms < current_high_bid.placed_ms:
        raise InvalidBid(
            f"{where}: bids are accepted in time order; now ({now_ms}) is before the high "
            f"bid's {current_high_bid.placed_ms}"
        )
    close = closes_at(listing, current_high_bid)
    if now_ms >= close:
        ended = "the auction ended" if listing.kind == "english" else "expired"
        raise ListingExpired(f"{where}: {ended} at {close}")
    if listing.kind != "english" and current_high_bid is not None:
        raise ListingClosed(f"{where}: already bought by {current_high_bid.bidder_id!r}")
    minimum = minimum_bid(listing, current_high_bid, now_ms)
    if bid.amount_minor < minimum:
        raise BidTooLow(
            f"{where}: a bid must be at least {minimum} {listing.currency} minor units now, "
            f"not {bid.amount_minor}",
            minimum_minor=minimum,
        )
    if listing.kind == "english":
        return replace(bid, placed_ms=now_ms)
    return replace(bid, amount_minor=minimum, placed_ms=now_ms)


def auction_outcome(listing: Listing, bids: Sequence[Bid], now_ms: int) -> AuctionOutcome:
    """Settle an English auction after it closes: the highest bid wins if it meets the reserve.

    ``bids`` are the bids ``accept_bid`` accepted (in any order). The winner pays their own
    bid; with no bid at or above ``reserve_minor`` the item goes unsold (``expired``).
    """
    where = _where(listing)
    if listing.kind != "english":
        raise WrongListingKind(f"{where}: only an English auction has an auction outcome")
    if listing.status != "open":
        raise ListingClosed(f"{where}: already settled as {listing.status!r}")
    for bid in bids:
        if bid.listing_id != listing.listing_id:
            raise InvalidBid(f"{where}: a bid by {bid.bidder_id!r} is for {bid.listing_id!r}")
    latest = max(bids, key=lambda b: b.placed_ms, default=None)
    close = closes_at(listing, latest)
    if now_ms < close:
        raise AuctionNotEnded(f"{where}: the auction closes at {close}, after now ({now_ms})")
    best = max(bids, key=lambda b: (b.amount_minor, -b.placed_ms), default=None)
    if best is None or best.amount_minor < listing.reserve_minor:
        return AuctionOutcome(status="expired", winning_bid=None)
    return AuctionOutcome(status="sold", winning_bid=best)


def cancel_listing(
    listing: Listing, *, requested_by: str, high_bid: Bid | None, now_ms: int
) -> Listing:
    """The listing cancelled by its seller, if the rules allow it now.

    A seller may cancel a fixed or Dutch listing at any time while it is open, and an
    English auction only while it has no bids: once someone has bid, the seller is held
    to the auction.
    """
    where = _where(listing)
    if requested_by != listing.seller_id:
        raise CannotCancel(f"{where}: only the seller ({listing.seller_id!r}) may cancel it")
    _require_open(listing, now_ms)
    if listing.kind == "english" and high_bid is not None:
        raise CannotCancel(f"{where}: an English auction cannot be cancelled once it has bids")
    if is_expired(listing, now_ms, high_bid=high_bid):
        raise ListingExpired(f"{where}: it closed at {closes_at(listing, high_bid)}")
    return replace(listing, status="cancelled")


# --- helpers ----------------------------------------------------------------------------


def _require_open(listing: Listing, now_ms: int) -> None:
    if listing.status != "open":
        raise ListingClosed(f"{_where(listing)}: it is {listing.status}")
    if now_ms < listing.created_ms:
        raise ListingClosed(f"{_where(listing)}: it opens at {listing.created_ms}")


_KIND_FIELDS: Final[dict[ListingKind, frozenset[str]]] = {
    "fixed": frozenset({"price_minor"}),
    "english": frozenset(
        {
            "start_price_minor",
            "reserve_minor",
            "min_increment_minor",
            "min_increment_bps",
            "ends_ms",
            "extension_ms",
        }
    ),
    "dutch": frozenset(
        {"start_price_minor", "floor_price_minor", "decrement_minor", "interval_ms"}
    ),
}
_UNSET: Final[dict[str, int | None]] = {
    "price_minor": None,
    "start_price_minor": None,
    "reserve_minor": 0,
    "min_increment_minor": 0,
    "min_increment_bps": 0,
    "ends_ms": None,
    "extension_ms": 0,
    "floor_price_minor": None,
    "decrement_minor": None,
    "interval_ms": None,
}


def _check_terms(listing: Listing) -> None:
    """Raise InvalidListing unless the listing's fields fit its kind and each other."""
    where = _where(listing)
    for name in ("listing_id", "item_id", "seller_id", "creator_id"):
        if not _is_name(getattr(listing, name)):
            raise InvalidListing(f"{where}: {name} must be a non-empty string")
    if listing.kind not in LISTING_KINDS:
        raise InvalidListing(f"{where}: kind {listing.kind!r} is not one of {LISTING_KINDS}")
    if listing.status not in LISTING_STATUSES:
        raise InvalidListing(f"{where}: status {listing.status!r} is not one of {LISTING_STATUSES}")
    if not isinstance(listing.currency, str) or not is_currency_code(listing.currency):
        raise InvalidListing(f"{where}: {listing.currency!r} is not a currency code")
    _require_int(where, "created_ms", listing.created_ms)
    _require_int(where, "expires_ms", listing.expires_ms)
    if listing.expires_ms <= listing.created_ms:
        raise InvalidListing(f"{where}: expires_ms must be after created_ms")
    for name, unset in _UNSET.items():
        if name not in _KIND_FIELDS[listing.kind] and getattr(listing, name) != unset:
            raise InvalidListing(f"{where}: {name} does not apply to a {listing.kind} listing")
    if listing.kind == "fixed":
        _require_int(where, "price_minor", listing.price_minor, minimum=1)
    elif listing.kind == "english":
        _check_english(listing, where)
    else:
        _check_dutch(listing, where)


def _check_english(listing: Listing, where: str) -> None:
    if listing.start_price_minor is not None:
        _require_int(where, "start_price_minor", listing.start_price_minor, minimum=1)
    _require_int(where, "reserve_minor", listing.reserve_minor, minimum=0)
    _require_int(where, "min_increment_minor", listing.min_increment_minor, minimum=0)
    _require_int(where, "min_increment_bps", listing.min_increment_bps, minimum=0)
    _require_int(where, "extension_ms", listing.extension_ms, minimum=0)
    ends = _require_int(where, "ends_ms", listing.ends_ms)
    if not listing.created_ms < ends <= listing.expires_ms:
        raise InvalidListing(
            f"{where}: ends_ms must be after created_ms and no later than expires_ms (the "
            "latest an anti-sniping extension may reach)"
        )


def _check_dutch(listing: Listing, where: str) -> None:
    start = _require_int(where, "start_price_minor", listing.start_price_minor, minimum=1)
    floor = _require_int(where, "floor_price_minor", listing.floor_price_minor, minimum=1)
    _require_int(where, "decrement_minor", listing.decrement_minor, minimum=1)
    _require_int(where, "interval_ms", listing.interval_ms, minimum=1)
    if floor > start:
        raise InvalidListing(
            f"{where}: floor_price_minor {floor} is above start_price_minor {start}; a Dutch "
            "price only falls"
        )


def _require_int(where: str, name: str, value: object, *, minimum: int | None = None) -> int:
    if not _is_int(value):
        raise InvalidListing(f"{where}: {name} is {value!r}; it must be an integer")
    assert isinstance(value, int)
    if minimum is not None and value < minimum:
        raise InvalidListing(f"{where}: {name} is {value}; it must be at least {minimum}")
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_name(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _where(listing: Listing) -> str:
    return f"listing {listing.listing_id!r}"
