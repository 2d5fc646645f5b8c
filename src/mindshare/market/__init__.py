"""Market: the pure rules of trading virtual goods, and attention-informed pricing.

Listings sell an item at a fixed price, by ascending (English) auction or by descending
(Dutch) auction; ``accept_bid``, ``buy_now_price``, ``auction_outcome`` and
``cancel_listing`` apply the rules at a given ``now_ms``. ``split_sale`` divides a price
between seller, creator royalty and platform fee, exactly. ``generate_market_history``
is the demo world's market, in which attention moves prices; ``PriceModel`` suggests
prices from attention, comparables and past sales, and ``evaluate_out_of_time`` measures
it against the last sale price. Nothing here touches the store or the ledger: callers
escrow and settle around these functions.

Errors::

    InputError (mindshare.core)
    └── MarketError             a request the market's rules do not allow
        ├── InvalidListing      terms that contradict themselves, or cannot open now
        ├── InvalidBid          a malformed bid, or one for another listing
        ├── BidTooLow           below the least the listing accepts (``minimum_minor``)
        ├── ListingClosed       sold, cancelled, expired, or not open yet
        ├── ListingExpired      past expiry, or past an English auction's close
        ├── SelfDealing         a seller bidding on or buying their own listing
        ├── CannotCancel        not the seller, or an English auction with bids
        ├── WrongListingKind    an operation the listing's kind does not have
        ├── AuctionNotEnded     an outcome asked for before the auction closes
        ├── InvalidSplit        a negative price or rate, or rates above 100%
        ├── InvalidMarketData   duplicate assets, negative attention or prices
        ├── UnknownAsset        a sale or question about an asset not given
        ├── NotEnoughSales      too few sales to fit or evaluate
        └── ModelNotFitted      a price asked of a model before ``fit``
"""

from mindshare.market._history import (
    DEMO_START_MS,
    AssetRow,
    DailyAttention,
    InvalidMarketData,
    Sale,
    demo_assets,
    generate_market_history,
    simulate_daily_attention,
)
from mindshare.market._listings import (
    BASIS_POINTS,
    LISTING_KINDS,
    LISTING_STATUSES,
    AuctionNotEnded,
    AuctionOutcome,
    Bid,
    BidTooLow,
    CannotCancel,
    InvalidBid,
    InvalidListing,
    Listing,
    ListingClosed,
    ListingExpired,
    ListingKind,
    ListingStatus,
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
from mindshare.market._pricing import (
    COMPARABLE_WINDOW_DAYS,
    FEATURE_NAMES,
    ModelNotFitted,
    NotEnoughSales,
    OutOfTimeEvaluation,
    PriceModel,
    PricingFeatures,
    UnknownAsset,
    evaluate_out_of_time,
    pricing_features,
    question_features,
)
from mindshare.market._settlement import InvalidSplit, SaleSplit, split_sale

__all__ = [
    "BASIS_POINTS",
    "COMPARABLE_WINDOW_DAYS",
    "DEMO_START_MS",
    "FEATURE_NAMES",
    "LISTING_KINDS",
    "LISTING_STATUSES",
    "AssetRow",
    "AuctionNotEnded",
    "AuctionOutcome",
    "Bid",
    "BidTooLow",
    "CannotCancel",
    "DailyAttention",
    "InvalidBid",
    "InvalidListing",
    "InvalidMarketData",
    "InvalidSplit",
    "Listing",
    "ListingClosed",
    "ListingExpired",
    "ListingKind",
    "ListingStatus",
    "MarketError",
    "ModelNotFitted",
    "NotEnoughSales",
    "OutOfTimeEvaluation",
    "PriceModel",
    "PricingFeatures",
    "Sale",
    "SaleSplit",
    "SelfDealing",
    "UnknownAsset",
    "WrongListingKind",
    "accept_bid",
    "auction_outcome",
    "buy_now_price",
    "cancel_listing",
    "closes_at",
    "demo_assets",
    "evaluate_out_of_time",
    "generate_market_history",
    "is_expired",
    "minimum_bid",
    "price_at",
    "pricing_features",
    "question_features",
    "simulate_daily_attention",
    "split_sale",
    "validate_listing",
]
