"""The loop, composed once: every operation that spans several packages lives here.

The CLI, the HTTP service and the simulator call these functions and never re-compose
them, so a world ingested from a file and one ingested by a simulation take one path.
"""

from mindshare.engine._discovery import (
    Neighbour,
    SimilarItems,
    Trending,
    TrendingItem,
    similar_items,
    trending,
)
from mindshare.engine._feeds import Feed, FeedSlot, active_people, serve_feed, serve_feeds
from mindshare.engine._ingest import import_recbole, ingest, ingest_world
from mindshare.engine._market import (
    ClosedListing,
    OpenListing,
    PlacedBid,
    Trade,
    bid,
    buy,
    cancel,
    close_auctions,
    deposit,
    list_item,
    open_listings,
)
from mindshare.engine._models import (
    COLD_ITEM_INTERACTIONS,
    ModelEvaluation,
    evaluate_models,
    train_model,
)
from mindshare.engine._ope import (
    OBD_REWARD_MODEL,
    EstimatorAccuracy,
    OffPolicyReport,
    evaluate_off_policy,
)
from mindshare.engine._reports import (
    CampaignSpend,
    EconomyReport,
    FairnessReport,
    KindBalances,
    ListingTable,
    MarketReport,
    ModelsReport,
    MoneyFlows,
    OverviewReport,
    PeriodPayouts,
    TradeTable,
    economy_report,
    fairness_report,
    market_report,
    models_report,
    overview_report,
)
from mindshare.engine._settle import Settlement, settle_period
from mindshare.engine._stats import WorldStats, world_stats

__all__ = [
    "COLD_ITEM_INTERACTIONS",
    "OBD_REWARD_MODEL",
    "CampaignSpend",
    "ClosedListing",
    "EconomyReport",
    "EstimatorAccuracy",
    "FairnessReport",
    "Feed",
    "FeedSlot",
    "KindBalances",
    "ListingTable",
    "MarketReport",
    "ModelEvaluation",
    "ModelsReport",
    "MoneyFlows",
    "Neighbour",
    "OffPolicyReport",
    "OpenListing",
    "OverviewReport",
    "PeriodPayouts",
    "PlacedBid",
    "Settlement",
    "SimilarItems",
    "Trade",
    "TradeTable",
    "Trending",
    "TrendingItem",
    "WorldStats",
    "active_people",
    "bid",
    "buy",
    "cancel",
    "close_auctions",
    "deposit",
    "economy_report",
    "evaluate_models",
    "evaluate_off_policy",
    "fairness_report",
    "import_recbole",
    "ingest",
    "ingest_world",
    "list_item",
    "market_report",
    "models_report",
    "open_listings",
    "overview_report",
    "serve_feed",
    "serve_feeds",
    "settle_period",
    "similar_items",
    "train_model",
    "trending",
    "world_stats",
]
