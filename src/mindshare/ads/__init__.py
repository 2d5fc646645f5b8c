"""Ads: campaigns and targeting, multi-slot auctions, and budget pacing.

Auctions are pure functions over arrays: ``run_auction`` ranks bidders by bid ×
predicted attention and prices the slots by generalized second price, VCG or first
price, in price per attentive second. Campaigns turn into one person's bids with
``auction_bids``; pacing shades those bids so a day's budget lasts the day, and
``charge_within_budget`` makes sure no charge goes past it.
"""

from mindshare.ads._auction import MECHANISMS, AuctionResult, Mechanism, SlotOutcome, run_auction
from mindshare.ads._campaigns import (
    AuctionBids,
    Campaign,
    Creative,
    Targeting,
    auction_bids,
    charge_minor,
    effective_bid_per_second,
    matches_targeting,
    person_segments,
)
from mindshare.ads._pacing import (
    MIN_MULTIPLIER,
    PacingState,
    charge_within_budget,
    pace_bid,
    update_pacing,
)
from mindshare.ads._store import (
    StoredCampaign,
    day_fraction,
    load_campaigns,
    record_pacing,
    save_campaign,
)

__all__ = [
    "MECHANISMS",
    "MIN_MULTIPLIER",
    "AuctionBids",
    "AuctionResult",
    "Campaign",
    "Creative",
    "Mechanism",
    "PacingState",
    "SlotOutcome",
    "StoredCampaign",
    "Targeting",
    "auction_bids",
    "charge_minor",
    "charge_within_budget",
    "day_fraction",
    "effective_bid_per_second",
    "load_campaigns",
    "matches_targeting",
    "pace_bid",
    "person_segments",
    "record_pacing",
    "run_auction",
    "save_campaign",
    "update_pacing",
]
