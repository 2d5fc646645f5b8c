"""engine's market: listings, purchases and auctions escrowed and settled in the ledger."""

from typing import Any

import pytest
import sqlalchemy as sa

from mindshare import engine
from mindshare.core import ConfigurationError, ExceedsCredits
from mindshare.economy import (
    advertiser_funding_account,
    creator_account,
    market_escrow_account,
    person_account,
    platform_revenue_account,
)
from mindshare.events import RecordKind, create_world
from mindshare.ledger import Ledger, Transfer
from mindshare.market import (
    BidTooLow,
    CannotCancel,
    InvalidListing,
    ListingClosed,
    SelfDealing,
    WrongListingKind,
)
from mindshare.market._rules import MarketTransferCode
from mindshare.market._store import claim_sale, find_asset, get_listing, list_bids
from mindshare.store import ledger_transfers, market_bids, market_listings

W = "w1"
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
HOUR = 3_600_000
USD = "USD"


def new_market(database: sa.Engine, config: dict[str, Any] | None = None) -> None:
    """A world with creator c1, her assets a1 and a2, and a content item."""
    with database.begin() as connection:
        create_world(connection, W, config=config, now_ms=0)
    engine.ingest_world(
        database,
        W,
        {
            RecordKind.CREATORS: [{"creator_id": "c1"}],
            RecordKind.ITEMS: [
                {"item_id": "a1", "kind": "asset", "creator_id": "c1"},
                {"item_id": "a2", "kind": "asset", "creator_id": "c1"},
                {"item_id": "post", "kind": "content", "creator_id": "c1"},
            ],
        },
    )


def available(database: sa.Engine, account_id: str) -> int:
    return Ledger(database, W).balance(account_id).available


def held(database: sa.Engine, account_id: str) -> int:
    return Ledger(database, W).balance(account_id).debits_pending


def journal_rows(database: sa.Engine) -> int:
    with database.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(ledger_transfers)
        ).scalar_one()


def assert_books_balance(database: sa.Engine) -> None:
    """The audit passes, and posted money sums to zero over every account: none was made."""
    ledger = Ledger(database, W)
    report = ledger.audit()
    assert report.ok, report.problems
    balances = [balance for _, balance in ledger.accounts()]
    assert sum(b.credits_posted - b.debits_posted for b in balances) == 0
    assert sum(b.credits_pending - b.debits_pending for b in balances) == 0


def owner(database: sa.Engine, item_id: str) -> str:
    with database.connect() as connection:
        return find_asset(connection, W, item_id).owner_id


@pytest.fixture
def market(database: sa.Engine) -> sa.Engine:
    new_market(database)
    for user in ("u1", "u2", "u3"):
        engine.deposit(database, W, user_id=user, amount_minor=5_000, reference="start")
    return database


def test_a_fixed_sale_splits_the_price_to_the_minor_unit(market: sa.Engine) -> None:
    listing = engine.list_item(
        market, W, seller_id="c1", item_id="a1", kind="fixed", price_minor=999, now_ms=T0
    )

    trade = engine.buy(market, W, buyer_id="u1", listing_id=listing.listing.listing_id, now_ms=T0)

    # 5% royalty and 2.5% fee of 999, rounded down; the seller keeps the fractions.
    assert (
        trade.split.seller_minor,
        trade.split.creator_royalty_minor,
        trade.split.platform_fee_minor,
    ) == (
        926,
        49,
        24,
    )
    assert available(market, person_account("u1", USD)) == 5_000 - 999
    assert available(market, person_account("c1", USD)) == 926
    assert available(market, creator_account("c1", USD)) == 49
    assert Ledger(market, W).balance(platform_revenue_account(USD)).posted == 24
    assert available(market, market_escrow_account(USD)) == 0
    assert owner(market, "a1") == "u1"
    assert_books_balance(market)


def test_a_resale_pays_the_creator_royalty_again(market: sa.Engine) -> None:
    first = engine.list_item(
        market, W, seller_id="c1", item_id="a1", kind="fixed", price_minor=1_000, now_ms=T0
    )
    engine.buy(market, W, buyer_id="u1", listing_id=first.listing.listing_id, now_ms=T0 + 1)

    resale = engine.list_item(
        market, W, seller_id="u1", item_id="a1", kind="fixed", price_minor=2_000, now_ms=T0 + 2
    )
    trade = engine.buy(
        market, W, buyer_id="u2", listing_id=resale.listing.listing_id, now_ms=T0 + 3
    )

    assert (trade.seller_id, trade.creator_id, trade.price_minor) == ("u1", "c1", 2_000)
    assert available(market, creator_account("c1", USD)) == 50 + 100
    assert available(market, person_account("u1", USD)) == 5_000 - 1_000 + 1_850
    assert available(market, person_account("u2", USD)) == 5_000 - 2_000
    assert Ledger(market, W).balance(platform_revenue_account(USD)).posted == 25 + 50
    assert owner(market, "a1") == "u2"
    assert_books_balance(market)


def test_an_english_auction_holds_the_high_bid_and_settles_the_winner(market: sa.Engine) -> None:
    auction = engine.list_item(
        market,
        W,
        seller_id="c1",
        item_id="a1",
        kind="english",
        start_price_minor=100,
        ends_ms=T0 + HOUR,
        now_ms=T0,
    )
    listing_id = auction.listing.listing_id
    engine.bid(market, W, bidder_id="u1", listing_id=listing_id, amount_minor=100, now_ms=T0 + 1)
    engine.bid(market, W, bidder_id="u2", listing_id=listing_id, amount_minor=150, now_ms=T0 + 2)

    # u1 was outbid: her hold is voided, u2's amount is held in escrow.
    assert held(market, person_account("u1", USD)) == 0
    assert held(market, person_account("u2", USD)) == 150
    with pytest.raises(BidTooLow):
        engine.bid(
            market, W, bidder_id="u3", listing_id=listing_id, amount_minor=150, now_ms=T0 + 3
        )
    engine.bid(market, W, bidder_id="u1", listing_id=listing_id, amount_minor=200, now_ms=T0 + 4)
    assert held(market, person_account("u2", USD)) == 0
    assert engine.close_auctions(market, W, now_ms=T0 + HOUR - 1) == []

    closed = engine.close_auctions(market, W, now_ms=T0 + HOUR)

    assert [(c.listing_id, c.status) for c in closed] == [(listing_id, "sold")]
    trade = closed[0].trade
    assert trade is not None
    assert (trade.buyer_id, trade.price_minor) == ("u1", 200)
    assert (
        trade.split.seller_minor,
        trade.split.creator_royalty_minor,
        trade.split.platform_fee_minor,
    ) == (
        185,
        10,
        5,
    )
    assert available(market, person_account("u1", USD)) == 5_000 - 200
    assert available(market, person_account("u2", USD)) == 5_000
    assert held(market, person_account("u1", USD)) == 0
    assert available(market, market_escrow_account(USD)) == 0
    assert owner(market, "a1") == "u1"
    with market.connect() as connection:
        statuses = [b.status for b in list_bids(connection, W, listing_id)]
    assert statuses == ["released", "released", "won"]
    assert engine.close_auctions(market, W, now_ms=T0 + 2 * HOUR) == []
    assert_books_balance(market)


def test_a_late_bid_extends_an_auction_with_anti_sniping(market: sa.Engine) -> None:
    auction = engine.list_item(
        market,
        W,
        seller_id="c1",
        item_id="a1",
        kind="english",
        ends_ms=T0 + HOUR,
        extension_ms=600_000,
        now_ms=T0,
    )

    placed = engine.bid(
        market,
        W,
        bidder_id="u1",
        listing_id=auction.listing.listing_id,
        amount_minor=10,
        now_ms=T0 + HOUR - 60_000,
    )

    assert placed.closes_ms == T0 + HOUR + 540_000
    assert engine.close_auctions(market, W, now_ms=T0 + HOUR) == []
    closed = engine.close_auctions(market, W, now_ms=placed.closes_ms)
    assert [c.status for c in closed] == ["sold"]
    assert_books_balance(market)


def test_a_dutch_listing_sells_at_the_price_of_the_moment(market: sa.Engine) -> None:
    dutch = engine.list_item(
        market,
        W,
        seller_id="c1",
        item_id="a1",
        kind="dutch",
        start_price_minor=1_000,
        floor_price_minor=400,
        decrement_minor=100,
        interval_ms=60_000,
        now_ms=T0,
    )
    listed = {o.listing.listing_id: o for o in engine.open_listings(market, W, now_ms=T0 + 150_000)}
    assert listed[dutch.listing.listing_id].asking_minor == 800

    trade = engine.buy(
        market, W, buyer_id="u1", listing_id=dutch.listing.listing_id, now_ms=T0 + 150_000
    )

    assert trade.price_minor == 800
    assert available(market, person_account("u1", USD)) == 4_200
    assert_books_balance(market)


def test_a_seller_cancels_a_listing_and_may_list_the_item_again(market: sa.Engine) -> None:
    listing = engine.list_item(
        market, W, seller_id="c1", item_id="a1", kind="fixed", price_minor=500, now_ms=T0
    )
    listing_id = listing.listing.listing_id
    with pytest.raises(CannotCancel):
        engine.cancel(market, W, seller_id="u1", listing_id=listing_id, now_ms=T0 + 1)

    cancelled = engine.cancel(market, W, seller_id="c1", listing_id=listing_id, now_ms=T0 + 1)

    assert cancelled.status == "cancelled"
    with pytest.raises(ListingClosed):
        engine.buy(market, W, buyer_id="u1", listing_id=listing_id, now_ms=T0 + 2)
    again = engine.list_item(
        market, W, seller_id="c1", item_id="a1", kind="fixed", price_minor=600, now_ms=T0 + 3
    )
    assert [o.listing.listing_id for o in engine.open_listings(market, W, now_ms=T0 + 3)] == [
        again.listing.listing_id
    ]
    assert_books_balance(market)


def test_an_auction_with_bids_cannot_be_cancelled(market: sa.Engine) -> None:
    auction = engine.list_item(
        market, W, seller_id="c1", item_id="a1", kind="english", ends_ms=T0 + HOUR, now_ms=T0
    )
    listing_id = auction.listing.listing_id
    engine.bid(market, W, bidder_id="u1", listing_id=listing_id, amount_minor=10, now_ms=T0 + 1)

    with pytest.raises(CannotCancel):
        engine.cancel(market, W, seller_id="c1", listing_id=listing_id, now_ms=T0 + 2)

    with market.connect() as connection:
        assert get_listing(connection, W, listing_id).listing.status == "open"
    assert held(market, person_account("u1", USD)) == 10
    assert_books_balance(market)


def test_listings_nobody_takes_expire_and_release_their_holds(market: sa.Engine) -> None:
    fixed = engine.list_item(
        market,
        W,
        seller_id="c1",
        item_id="a1",
        kind="fixed",
        price_minor=500,
        expires_ms=T0 + HOUR,
        now_ms=T0,
    )
    auction = engine.list_item(
        market,
        W,
        seller_id="c1",
        item_id="a2",
        kind="english",
        reserve_minor=1_000,
        ends_ms=T0 + HOUR,
        now_ms=T0,
    )
    engine.bid(
        market,
        W,
        bidder_id="u1",
        listing_id=auction.listing.listing_id,
        amount_minor=900,
        now_ms=T0,
    )

    closed = engine.close_auctions(market, W, now_ms=T0 + HOUR)

    assert sorted((c.listing_id, c.status) for c in closed) == sorted(
        [(fixed.listing.listing_id, "expired"), (auction.listing.listing_id, "expired")]
    )
    assert held(market, person_account("u1", USD)) == 0
    assert available(market, person_account("u1", USD)) == 5_000
    assert owner(market, "a2") == "c1"
    assert engine.open_listings(market, W, now_ms=T0 + HOUR) == []
    with pytest.raises(ListingClosed):
        engine.buy(market, W, buyer_id="u2", listing_id=fixed.listing.listing_id, now_ms=T0)
    assert_books_balance(market)


def test_a_buyer_who_cannot_pay_is_refused_with_nothing_written(market: sa.Engine) -> None:
    listing = engine.list_item(
        market, W, seller_id="c1", item_id="a1", kind="fixed", price_minor=5_001, now_ms=T0
    )
    auction = engine.list_item(
        market, W, seller_id="c1", item_id="a2", kind="english", ends_ms=T0 + HOUR, now_ms=T0
    )
    rows = journal_rows(market)

    with pytest.raises(ExceedsCredits):
        engine.buy(market, W, buyer_id="u1", listing_id=listing.listing.listing_id, now_ms=T0 + 1)
    with pytest.raises(ExceedsCredits):
        engine.bid(
            market,
            W,
            bidder_id="u1",
            listing_id=auction.listing.listing_id,
            amount_minor=5_001,
            now_ms=T0 + 1,
        )

    assert journal_rows(market) == rows
    assert available(market, person_account("u1", USD)) == 5_000
    assert held(market, person_account("u1", USD)) == 0
    with market.connect() as connection:
        assert get_listing(connection, W, listing.listing.listing_id).listing.status == "open"
        assert connection.execute(sa.select(sa.func.count()).select_from(market_bids)).scalar() == 0
    assert owner(market, "a1") == "c1"
    assert_books_balance(market)


def test_the_market_refuses_what_its_rules_forbid(market: sa.Engine) -> None:
    fixed = engine.list_item(
        market, W, seller_id="c1", item_id="a1", kind="fixed", price_minor=100, now_ms=T0
    )
    listing_id = fixed.listing.listing_id

    with pytest.raises(SelfDealing):
        engine.buy(market, W, buyer_id="c1", listing_id=listing_id, now_ms=T0)
    with pytest.raises(InvalidListing, match="already listed"):
        engine.list_item(
            market, W, seller_id="c1", item_id="a1", kind="fixed", price_minor=90, now_ms=T0 + 1
        )
    with pytest.raises(InvalidListing, match="does not own"):
        engine.list_item(
            market, W, seller_id="u1", item_id="a2", kind="fixed", price_minor=90, now_ms=T0
        )
    with pytest.raises(InvalidListing, match="only 'asset' items"):
        engine.list_item(
            market, W, seller_id="c1", item_id="post", kind="fixed", price_minor=90, now_ms=T0
        )
    with pytest.raises(WrongListingKind):
        engine.bid(market, W, bidder_id="u1", listing_id=listing_id, amount_minor=100, now_ms=T0)
    engine.buy(market, W, buyer_id="u1", listing_id=listing_id, now_ms=T0)
    with pytest.raises(InvalidListing, match="does not own"):
        engine.list_item(
            market, W, seller_id="c1", item_id="a1", kind="fixed", price_minor=90, now_ms=T0 + 2
        )
    with pytest.raises(ListingClosed):
        engine.buy(market, W, buyer_id="u2", listing_id=listing_id, now_ms=T0 + 2)
    assert_books_balance(market)


def test_retried_requests_write_each_transfer_once(market: sa.Engine) -> None:
    listing = engine.list_item(
        market, W, seller_id="c1", item_id="a1", kind="fixed", price_minor=300, now_ms=T0
    )
    again = engine.list_item(
        market, W, seller_id="c1", item_id="a1", kind="fixed", price_minor=300, now_ms=T0
    )
    assert again.listing == listing.listing
    first = engine.buy(market, W, buyer_id="u1", listing_id=listing.listing.listing_id, now_ms=T0)
    rows = journal_rows(market)

    retried = engine.buy(
        market, W, buyer_id="u1", listing_id=listing.listing.listing_id, now_ms=T0 + 5
    )
    balance = engine.deposit(market, W, user_id="u1", amount_minor=5_000, reference="start")

    assert retried.split == first.split
    assert journal_rows(market) == rows
    assert balance == 5_000 - 300
    assert_books_balance(market)


def test_a_sale_interrupted_after_its_claim_is_finished_by_close_auctions(
    market: sa.Engine,
) -> None:
    listing = engine.list_item(
        market, W, seller_id="c1", item_id="a1", kind="fixed", price_minor=400, now_ms=T0
    )
    listing_id = listing.listing.listing_id
    # What ``buy`` does before a crash: the payment held, the listing claimed.
    Ledger(market, W).create_transfers(
        [
            Transfer(
                "market:crashed",
                person_account("u1", USD),
                market_escrow_account(USD),
                400,
                USD,
                int(MarketTransferCode.PURCHASE_HOLD),
                pending=True,
            )
        ]
    ).raise_first_error()
    with market.begin() as connection:
        claim_sale(
            connection,
            W,
            listing_id,
            buyer_id="u1",
            price_minor=400,
            payment_id="market:crashed",
            now_ms=T0,
        )
    with pytest.raises(InvalidListing, match="already listed"):
        engine.list_item(
            market, W, seller_id="c1", item_id="a1", kind="fixed", price_minor=1, now_ms=T0 + 1
        )

    closed = engine.close_auctions(market, W, now_ms=T0 + 1)

    assert [(c.listing_id, c.status) for c in closed] == [(listing_id, "sold")]
    assert available(market, person_account("u1", USD)) == 4_600
    assert owner(market, "a1") == "u1"
    with market.connect() as connection:
        assert get_listing(connection, W, listing_id).settled_ms == T0 + 1
    assert_books_balance(market)


def test_a_world_sets_its_own_royalty_fee_and_currency(database: sa.Engine) -> None:
    new_market(
        database, {"market": {"royalty_bps": 1_000, "platform_fee_bps": 0, "currency": "GEM"}}
    )
    engine.deposit(database, W, user_id="u1", amount_minor=100, reference="r")
    listing = engine.list_item(
        database, W, seller_id="c1", item_id="a1", kind="fixed", price_minor=99, now_ms=T0
    )

    trade = engine.buy(database, W, buyer_id="u1", listing_id=listing.listing.listing_id, now_ms=T0)

    assert (trade.currency, trade.split.seller_minor, trade.split.creator_royalty_minor) == (
        "GEM",
        90,
        9,
    )
    assert trade.split.platform_fee_minor == 0
    assert available(database, advertiser_funding_account("GEM")) == -100
    assert_books_balance(database)


def test_an_unknown_market_setting_is_a_configuration_error(database: sa.Engine) -> None:
    new_market(database, {"market": {"royalty": 5}})

    with pytest.raises(ConfigurationError, match="royalty_bps"):
        engine.list_item(
            database, W, seller_id="c1", item_id="a1", kind="fixed", price_minor=9, now_ms=T0
        )
    with database.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(market_listings)).scalar()
            == 0
        )


def test_a_purchase_retried_after_a_resale_leaves_the_item_with_its_new_owner(
    market: sa.Engine,
) -> None:
    first = engine.list_item(
        market, W, seller_id="c1", item_id="a1", kind="fixed", price_minor=100, now_ms=T0
    )
    engine.buy(market, W, buyer_id="u1", listing_id=first.listing.listing_id, now_ms=T0)
    resale = engine.list_item(
        market, W, seller_id="u1", item_id="a1", kind="fixed", price_minor=200, now_ms=T0 + 1
    )
    engine.buy(market, W, buyer_id="u2", listing_id=resale.listing.listing_id, now_ms=T0 + 2)

    retried = engine.buy(
        market, W, buyer_id="u1", listing_id=first.listing.listing_id, now_ms=T0 + 3
    )

    assert (retried.buyer_id, retried.settled_ms) == ("u1", T0)
    assert owner(market, "a1") == "u2"
    assert_books_balance(market)
