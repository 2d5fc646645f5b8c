"""The market's store functions: listings round-trip, one open listing per item, claims, owners."""

import pytest
import sqlalchemy as sa

from mindshare.core import NotFound
from mindshare.events import create_world
from mindshare.market import Bid, Listing
from mindshare.market._store import (
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
    open_listings,
    set_bid_status,
    unsettled_sales,
)
from mindshare.store import creators, items

W = "w1"


def new_world(database: sa.Engine) -> None:
    with database.begin() as connection:
        create_world(connection, W, now_ms=0)
        connection.execute(
            creators.insert().values(
                world_id=W, creator_id="c1", body_hash="h", created_ms=0, updated_ms=0
            )
        )
        connection.execute(
            items.insert(),
            [
                {
                    "world_id": W,
                    "item_id": item_id,
                    "kind": "asset",
                    "creator_id": "c1",
                    "body_hash": "h",
                    "created_ms": 0,
                    "updated_ms": 0,
                }
                for item_id in ("a1", "a2")
            ],
        )


def english(listing_id: str = "L1", item_id: str = "a1") -> Listing:
    return Listing(
        listing_id=listing_id,
        item_id=item_id,
        seller_id="c1",
        creator_id="c1",
        kind="english",
        currency="USD",
        created_ms=1_000,
        expires_ms=9_000,
        start_price_minor=50,
        reserve_minor=70,
        min_increment_bps=500,
        ends_ms=5_000,
        extension_ms=100,
    )


def fixed(listing_id: str = "L2", item_id: str = "a2") -> Listing:
    return Listing(
        listing_id=listing_id,
        item_id=item_id,
        seller_id="c1",
        creator_id="c1",
        kind="fixed",
        currency="USD",
        created_ms=1_000,
        expires_ms=3_000,
        price_minor=120,
    )


def test_a_listing_reads_back_with_its_terms(database: sa.Engine) -> None:
    new_world(database)
    with database.begin() as connection:
        insert_listing(connection, W, english(), closes_ms=5_000)

    with database.connect() as connection:
        stored = get_listing(connection, W, "L1")

    assert stored.listing == english()
    assert (stored.closes_ms, stored.buyer_id, stored.settled_ms) == (5_000, None, None)


def test_an_unknown_listing_or_item_is_not_found(database: sa.Engine) -> None:
    new_world(database)

    with database.connect() as connection, pytest.raises(NotFound):
        get_listing(connection, W, "nope")
    with database.connect() as connection, pytest.raises(NotFound):
        find_asset(connection, W, "nope")


def test_an_item_has_one_open_listing_at_a_time(database: sa.Engine) -> None:
    new_world(database)
    with database.begin() as connection:
        insert_listing(connection, W, fixed("L2", "a1"), closes_ms=3_000)

    with pytest.raises(sa.exc.IntegrityError), database.begin() as connection:
        insert_listing(connection, W, fixed("L3", "a1"), closes_ms=3_000)

    with database.begin() as connection:
        assert active_listing_of(connection, W, "a1") == "L2"
        close_listing(connection, W, "L2", status="cancelled", now_ms=2_000)
        insert_listing(connection, W, fixed("L3", "a1"), closes_ms=3_000)
        assert active_listing_of(connection, W, "a1") == "L3"


def test_a_listing_is_claimed_once_and_its_item_changes_hands_when_settled(
    database: sa.Engine,
) -> None:
    new_world(database)
    with database.begin() as connection:
        insert_listing(connection, W, fixed(), closes_ms=3_000)

    with database.begin() as connection:
        first = claim_sale(
            connection, W, "L2", buyer_id="u1", price_minor=120, payment_id="p1", now_ms=2_000
        )
        second = claim_sale(
            connection, W, "L2", buyer_id="u2", price_minor=120, payment_id="p2", now_ms=2_000
        )
        claimed = unsettled_sales(connection, W)
        owner_before = find_asset(connection, W, "a2").owner_id
        complete_sale(connection, W, "L2", item_id="a2", buyer_id="u1", now_ms=2_500)

    assert (first, second) == (True, False)
    assert [(s.listing.listing_id, s.buyer_id, s.payment_id) for s in claimed] == [
        ("L2", "u1", "p1")
    ]
    assert owner_before == "c1"
    with database.connect() as connection:
        assert find_asset(connection, W, "a2").owner_id == "u1"
        assert unsettled_sales(connection, W) == []
        assert active_listing_of(connection, W, "a2") is None


def test_open_and_past_close_listings_split_at_now(database: sa.Engine) -> None:
    new_world(database)
    with database.begin() as connection:
        insert_listing(connection, W, english(), closes_ms=5_000)
        insert_listing(connection, W, fixed(), closes_ms=3_000)

    with database.connect() as connection:
        still_open = [s.listing.listing_id for s in open_listings(connection, W, 3_000)]
        past = [s.listing.listing_id for s in listings_past_close(connection, W, 3_000)]

    assert (still_open, past) == (["L1"], ["L2"])


def test_bids_read_back_in_the_order_accepted_with_their_status(database: sa.Engine) -> None:
    new_world(database)
    with database.begin() as connection:
        insert_listing(connection, W, english(), closes_ms=5_000)
        insert_bid(connection, W, seq=1, bid=Bid("L1", "u1", 50, 1_100), hold_id="h1")
        insert_bid(connection, W, seq=2, bid=Bid("L1", "u2", 60, 1_200), hold_id="h2")
        set_bid_status(connection, W, "L1", [1], "released")

    with pytest.raises(sa.exc.IntegrityError), database.begin() as connection:
        insert_bid(connection, W, seq=2, bid=Bid("L1", "u3", 70, 1_300), hold_id="h3")

    with database.connect() as connection:
        bids = list_bids(connection, W, "L1")
    assert [(b.seq, b.bid.bidder_id, b.hold_id, b.status) for b in bids] == [
        (1, "u1", "h1", "released"),
        (2, "u2", "h2", "held"),
    ]
