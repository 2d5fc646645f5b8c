"""Listings: terms checked on construction, bids, buy-now prices, auction outcomes, cancelling."""

import contextlib
import itertools
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mindshare.market
from mindshare.core import InputError
from mindshare.market import (
    AuctionNotEnded,
    Bid,
    BidTooLow,
    CannotCancel,
    InvalidBid,
    InvalidListing,
    Listing,
    ListingClosed,
    ListingExpired,
    MarketError,
    SelfDealing,
    WrongListingKind,
    accept_bid,
    auction_outcome,
    buy_now_price,
    cancel_listing,
    closes_at,
    is_expired,
    minimum_bid,
    price_at,
    validate_listing,
)

T0 = 1_767_571_200_000  # 2026-01-05T00:00:00Z
HOUR = 3_600_000
DAY = 24 * HOUR


def fixed(**changes: Any) -> Listing:
    terms: dict[str, Any] = {
        "listing_id": "l1",
        "item_id": "i0001",
        "seller_id": "seller",
        "creator_id": "creator",
        "kind": "fixed",
        "currency": "GEMS",
        "created_ms": T0,
        "expires_ms": T0 + 7 * DAY,
        "price_minor": 500,
    }
    return Listing(**(terms | changes))


def english(**changes: Any) -> Listing:
    terms: dict[str, Any] = {
        "listing_id": "l2",
        "item_id": "i0002",
        "seller_id": "seller",
        "creator_id": "creator",
        "kind": "english",
        "currency": "GEMS",
        "created_ms": T0,
        "expires_ms": T0 + DAY,
        "ends_ms": T0 + DAY,
        "reserve_minor": 1_000,
        "min_increment_minor": 10,
    }
    return Listing(**(terms | changes))


def dutch(**changes: Any) -> Listing:
    terms: dict[str, Any] = {
        "listing_id": "l3",
        "item_id": "i0003",
        "seller_id": "seller",
        "creator_id": "creator",
        "kind": "dutch",
        "currency": "GEMS",
        "created_ms": T0,
        "expires_ms": T0 + DAY,
        "start_price_minor": 1_000,
        "floor_price_minor": 400,
        "decrement_minor": 50,
        "interval_ms": HOUR,
    }
    return Listing(**(terms | changes))


def bid(amount: int, *, by: str = "alice", listing: Listing | None = None, at: int = T0) -> Bid:
    listing_id = listing.listing_id if listing is not None else "l2"
    return Bid(listing_id=listing_id, bidder_id=by, amount_minor=amount, placed_ms=at)


def test_public_names_are_sorted_and_exist() -> None:
    names = mindshare.market.__all__

    def isort_order(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert names == sorted(names, key=isort_order)
    assert all(hasattr(mindshare.market, name) for name in names)


def test_market_errors_are_input_errors() -> None:
    assert issubclass(MarketError, InputError)
    assert issubclass(BidTooLow, MarketError)


# --- terms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "changes", "rule"),
    [
        (fixed, {"price_minor": 0}, "price_minor is 0; it must be at least 1"),
        (fixed, {"price_minor": 4.5}, "price_minor is 4.5; it must be an integer"),
        (fixed, {"price_minor": None}, "price_minor is None; it must be an integer"),
        (fixed, {"expires_ms": T0}, "expires_ms must be after created_ms"),
        (fixed, {"currency": "gems"}, "'gems' is not a currency code"),
        (fixed, {"seller_id": ""}, "seller_id must be a non-empty string"),
        (fixed, {"floor_price_minor": 10}, "floor_price_minor does not apply to a fixed"),
        (fixed, {"kind": "barter"}, "kind 'barter' is not one of"),
        (fixed, {"status": "paused"}, "status 'paused' is not one of"),
        (english, {"ends_ms": T0 + 2 * DAY}, "no later than expires_ms"),
        (english, {"ends_ms": None}, "ends_ms is None; it must be an integer"),
        (english, {"min_increment_bps": -1}, "min_increment_bps is -1; it must be at least 0"),
        (english, {"price_minor": 5}, "price_minor does not apply to a english"),
        (dutch, {"floor_price_minor": 2_000}, "a Dutch price only falls"),
        (dutch, {"interval_ms": 0}, "interval_ms is 0; it must be at least 1"),
        (dutch, {"decrement_minor": None}, "decrement_minor is None"),
        (dutch, {"reserve_minor": 5}, "reserve_minor does not apply to a dutch"),
    ],
)
def test_inconsistent_terms_are_refused_naming_the_rule(
    make: Any, changes: dict[str, Any], rule: str
) -> None:
    with pytest.raises(InvalidListing, match=rule):
        make(**changes)


def test_validate_listing_accepts_a_listing_that_can_open_now() -> None:
    listing = english()

    assert validate_listing(listing, now_ms=T0 + HOUR) is listing


@pytest.mark.parametrize(
    ("listing", "now", "rule"),
    [
        (fixed(status="sold"), T0, "a new listing must be 'open', not 'sold'"),
        (fixed(), T0 - 1, "created_ms 1767571200000 is in the future"),
        (fixed(), T0 + 7 * DAY, "it would close at"),
        (english(expires_ms=T0 + 2 * DAY), T0 + DAY, "it would close at"),
    ],
)
def test_validate_listing_refuses_a_listing_that_cannot_open_now(
    listing: Listing, now: int, rule: str
) -> None:
    with pytest.raises(InvalidListing, match=rule):
        validate_listing(listing, now_ms=now)


# --- fixed and dutch ---------------------------------------------------------------------


def test_fixed_listing_sells_at_its_price_even_to_a_higher_offer() -> None:
    listing = fixed()

    accepted = accept_bid(listing, None, bid(700, listing=listing), T0 + HOUR)

    assert buy_now_price(listing, T0 + HOUR) == 500
    assert accepted.amount_minor == 500
    assert accepted.placed_ms == T0 + HOUR


def test_fixed_listing_refuses_an_offer_below_its_price_naming_the_minimum() -> None:
    listing = fixed()

    with pytest.raises(BidTooLow, match="at least 500 GEMS minor units now, not 499") as caught:
        accept_bid(listing, None, bid(499, listing=listing), T0)

    assert caught.value.minimum_minor == 500


def test_fixed_listing_sells_only_once() -> None:
    listing = fixed()
    first = accept_bid(listing, None, bid(500, listing=listing), T0)

    with pytest.raises(ListingClosed, match="already bought by 'alice'"):
        accept_bid(listing, first, bid(500, by="bob", listing=listing), T0 + 1)


def test_dutch_price_falls_each_whole_interval_down_to_the_floor() -> None:
    listing = dutch()

    prices = [
        price_at(listing, T0 + h * HOUR + offset)
        for h in (0, 1, 2, 12, 13, 20)
        for offset in (0, HOUR - 1)
    ]

    assert prices == [1_000, 1_000, 950, 950, 900, 900, 400, 400, 400, 400, 400, 400]
    assert price_at(listing, T0 - DAY) == 1_000


def test_dutch_buyer_pays_the_price_of_the_moment() -> None:
    listing = dutch()

    accepted = accept_bid(listing, None, bid(1_000, listing=listing), T0 + 3 * HOUR)

    assert buy_now_price(listing, T0 + 3 * HOUR) == 850
    assert accepted.amount_minor == 850


def test_buy_now_is_refused_after_expiry_and_on_an_english_auction() -> None:
    with pytest.raises(ListingExpired, match="expired at"):
        buy_now_price(fixed(), T0 + 7 * DAY)
    with pytest.raises(WrongListingKind, match="cannot be bought outright"):
        buy_now_price(english(), T0)
    with pytest.raises(WrongListingKind, match="has no asking price"):
        price_at(english(), T0)


@given(
    start=st.integers(1, 10**9),
    drop=st.integers(0, 10**9),
    decrement=st.integers(1, 10**6),
    interval=st.integers(1, 10**7),
    times=st.lists(st.integers(-(10**9), 10**10), min_size=2, max_size=20),
)
def test_dutch_price_never_rises_and_never_falls_below_the_floor(
    start: int, drop: int, decrement: int, interval: int, times: list[int]
) -> None:
    floor = max(1, start - drop)
    listing = dutch(
        start_price_minor=start,
        floor_price_minor=floor,
        decrement_minor=decrement,
        interval_ms=interval,
        expires_ms=T0 + 10**11,
    )

    prices = [price_at(listing, T0 + t) for t in sorted(times)]

    assert all(later <= earlier for earlier, later in itertools.pairwise(prices))
    assert all(floor <= p <= start for p in prices)


# --- english -----------------------------------------------------------------------------


def test_english_first_bid_needs_the_opening_price_then_each_beats_the_last() -> None:
    listing = english(start_price_minor=100, min_increment_minor=10, min_increment_bps=500)

    assert minimum_bid(listing, None, T0) == 100
    first = accept_bid(listing, None, bid(100), T0 + 1)
    # 5% of 100 is 5 < 10 minor units: the larger increment applies.
    assert minimum_bid(listing, first, T0 + 2) == 110
    second = accept_bid(listing, first, bid(1_000, by="bob"), T0 + 2)
    # 5% of 1000 is 50 > 10.
    with pytest.raises(BidTooLow, match="at least 1050") as caught:
        accept_bid(listing, second, bid(1_049), T0 + 3)
    assert caught.value.minimum_minor == 1_050


def test_english_basis_point_increment_rounds_up_and_is_at_least_one_unit() -> None:
    listing = english(min_increment_minor=0, min_increment_bps=250)

    assert minimum_bid(listing, bid(101), T0) == 101 + 3  # 2.5% of 101 = 2.525 → 3
    assert minimum_bid(english(min_increment_minor=0), bid(101), T0) == 102


def test_a_seller_cannot_bid_on_their_own_listing() -> None:
    with pytest.raises(SelfDealing, match="'seller' is the seller"):
        accept_bid(english(), None, bid(5_000, by="seller"), T0)
    with pytest.raises(SelfDealing):
        accept_bid(fixed(), None, bid(500, by="seller", listing=fixed()), T0)


def test_bids_on_closed_unopened_or_other_listings_are_refused() -> None:
    with pytest.raises(ListingClosed, match="it is cancelled"):
        accept_bid(english(status="cancelled"), None, bid(5_000), T0)
    with pytest.raises(ListingClosed, match="it opens at"):
        accept_bid(english(), None, bid(5_000), T0 - 1)
    with pytest.raises(InvalidBid, match="the bid is for listing 'l1'"):
        accept_bid(english(), None, bid(5_000, listing=fixed()), T0)
    with pytest.raises(InvalidBid, match="accepted in time order"):
        accept_bid(english(), bid(100, at=T0 + 10), bid(5_000), T0 + 5)


def test_bids_at_or_after_the_close_are_refused_as_expired() -> None:
    listing = english()

    with pytest.raises(ListingExpired, match="the auction ended at"):
        accept_bid(listing, None, bid(5_000), T0 + DAY)


def test_anti_sniping_extends_the_close_after_a_late_bid_up_to_expiry() -> None:
    listing = english(ends_ms=T0 + DAY, expires_ms=T0 + DAY + 900_000, extension_ms=600_000)
    late = accept_bid(listing, None, bid(1_000), T0 + DAY - 60_000)

    assert closes_at(listing, None) == T0 + DAY
    assert closes_at(listing, late) == T0 + DAY + 540_000
    later = accept_bid(listing, late, bid(1_010, by="bob"), T0 + DAY + 500_000)
    assert closes_at(listing, later) == T0 + DAY + 900_000  # never past expires_ms
    assert not is_expired(listing, T0 + DAY + 899_999, high_bid=later)
    assert is_expired(listing, T0 + DAY + 900_000, high_bid=later)


def test_an_early_bid_does_not_move_the_close() -> None:
    listing = english(extension_ms=600_000)

    early = accept_bid(listing, None, bid(1_000), T0 + HOUR)

    assert closes_at(listing, early) == T0 + DAY
    assert not is_expired(listing, T0 + DAY - 1, high_bid=early)


@given(
    offers=st.lists(st.integers(1, 10**7), min_size=1, max_size=40),
    increment=st.integers(0, 1_000),
    bps=st.integers(0, 2_000),
)
def test_accepted_english_bids_rise_by_at_least_the_increment(
    offers: list[int], increment: int, bps: int
) -> None:
    listing = english(min_increment_minor=increment, min_increment_bps=bps, reserve_minor=0)
    accepted: list[Bid] = []
    for n, amount in enumerate(offers):
        high = accepted[-1] if accepted else None
        with contextlib.suppress(BidTooLow):
            accepted.append(accept_bid(listing, high, bid(amount, by=f"b{n}"), T0 + n))

    for before, after in itertools.pairwise(accepted):
        required = max(1, increment, -(-before.amount_minor * bps // 10_000))
        assert after.amount_minor >= before.amount_minor + required


def test_english_outcome_highest_bid_at_or_above_reserve_wins_at_its_bid() -> None:
    listing = english(reserve_minor=1_000)
    bids = [bid(900, at=T0 + 1), bid(1_200, by="bob", at=T0 + 2), bid(1_500, at=T0 + 3)]

    outcome = auction_outcome(listing, bids, T0 + DAY)

    assert outcome.status == "sold"
    assert outcome.winning_bid == bids[2]
    assert outcome.price_minor == 1_500


def test_english_outcome_without_a_bid_reaching_the_reserve_is_unsold() -> None:
    listing = english(reserve_minor=1_000)

    below = auction_outcome(listing, [bid(900, at=T0 + 1)], T0 + DAY)
    empty = auction_outcome(listing, [], T0 + DAY)

    assert (below.status, below.winning_bid, below.price_minor) == ("expired", None, None)
    assert empty.status == "expired"


def test_english_outcome_is_refused_before_the_close_or_on_other_kinds() -> None:
    listing = english(expires_ms=T0 + 2 * DAY, extension_ms=HOUR)

    with pytest.raises(AuctionNotEnded, match="closes at"):
        auction_outcome(listing, [], T0 + DAY - 1)
    with pytest.raises(AuctionNotEnded):  # a late bid pushed the close out
        auction_outcome(listing, [bid(1_000, at=T0 + DAY - 1)], T0 + DAY)
    with pytest.raises(WrongListingKind):
        auction_outcome(fixed(), [], T0 + 8 * DAY)
    with pytest.raises(ListingClosed, match="already settled"):
        auction_outcome(replace(listing, status="sold"), [], T0 + 3 * DAY)


# --- cancelling --------------------------------------------------------------------------


@pytest.mark.parametrize("make", [fixed, dutch])
def test_a_seller_may_cancel_a_fixed_or_dutch_listing_while_open(make: Any) -> None:
    cancelled = cancel_listing(make(), requested_by="seller", high_bid=None, now_ms=T0 + HOUR)

    assert cancelled.status == "cancelled"


def test_a_seller_may_cancel_an_english_auction_only_while_it_has_no_bids() -> None:
    listing = english()

    assert cancel_listing(listing, requested_by="seller", high_bid=None, now_ms=T0).status == (
        "cancelled"
    )
    with pytest.raises(CannotCancel, match="cannot be cancelled once it has bids"):
        cancel_listing(listing, requested_by="seller", high_bid=bid(1_000), now_ms=T0 + 1)


def test_only_the_seller_may_cancel_and_only_an_open_unexpired_listing() -> None:
    with pytest.raises(CannotCancel, match="only the seller"):
        cancel_listing(fixed(), requested_by="alice", high_bid=None, now_ms=T0)
    with pytest.raises(ListingClosed, match="it is sold"):
        cancel_listing(fixed(status="sold"), requested_by="seller", high_bid=None, now_ms=T0)
    with pytest.raises(ListingExpired, match="it closed at"):
        cancel_listing(fixed(), requested_by="seller", high_bid=None, now_ms=T0 + 7 * DAY)


def test_bids_must_be_whole_positive_amounts() -> None:
    with pytest.raises(InvalidBid, match="at least 1"):
        bid(0)
    with pytest.raises(InvalidBid, match="whole number"):
        Bid(listing_id="l2", bidder_id="alice", amount_minor=True, placed_ms=T0)
