"""The loop, composed once: every operation that spans several packages lives here.

The CLI, the HTTP service and the simulator call these functions and never re-compose
them, so a world ingested from a file and one ingested by a simulation take one path.
"""

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
from mindshare.engine._settle import Settlement, settle_period
from mindshare.engine._stats import WorldStats, world_stats

__all__ = [
    "COLD_ITEM_INTERACTIONS",
    "OBD_REWARD_MODEL",
    "ClosedListing",
    "EstimatorAccuracy",
    "Feed",
    "FeedSlot",
    "ModelEvaluation",
    "OffPolicyReport",
    "OpenListing",
    "PlacedBid",
    "Settlement",
    "Trade",
    "WorldStats",
    "active_people",
    "bid",
    "buy",
    "cancel",
    "close_auctions",
    "deposit",
    "evaluate_models",
    "evaluate_off_policy",
    "import_recbole",
    "ingest",
    "ingest_world",
    "list_item",
    "open_listings",
    "serve_feed",
    "serve_feeds",
    "settle_period",
    "train_model",
    "world_stats",
]
