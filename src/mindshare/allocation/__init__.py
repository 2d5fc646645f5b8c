"""Allocation: who gets which slot. Exposure models, per-request ranking policies, fair
exposure and batch market clearing, all pure functions over arrays (no database access).
"""

from mindshare.allocation._exposure import (
    PositionBias,
    estimate_position_bias,
    expected_attention_ms,
    position_exposure,
)
from mindshare.allocation._policies import (
    Candidates,
    ExposureState,
    Policy,
    Slate,
    explore,
    fair_exposure,
    greedy,
    minimum_share,
    minimum_share_table,
    mmr,
    within_budget,
)
from mindshare.allocation._rules import FEED_POLICIES, FeedPolicyName, FeedRules, feed_policy

__all__ = [
    "FEED_POLICIES",
    "Candidates",
    "ExposureState",
    "FeedPolicyName",
    "FeedRules",
    "Policy",
    "PositionBias",
    "Slate",
    "estimate_position_bias",
    "expected_attention_ms",
    "explore",
    "fair_exposure",
    "feed_policy",
    "greedy",
    "minimum_share",
    "minimum_share_table",
    "mmr",
    "position_exposure",
    "within_budget",
]
