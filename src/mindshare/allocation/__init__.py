"""Allocation: who gets which slot. Exposure models, per-request ranking policies, fair
exposure and batch market clearing, all pure functions over arrays (no database access).
"""

from mindshare.allocation._clearing import (
    Clearing,
    ClearingProblem,
    ConstraintViolation,
    check_feasible,
    round_to_lists,
)
from mindshare.allocation._exposure import (
    PositionBias,
    estimate_position_bias,
    expected_attention_ms,
    position_exposure,
)
from mindshare.allocation._lp import clear_market_lp
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
from mindshare.allocation._sinkhorn import clear_market_sinkhorn

__all__ = [
    "FEED_POLICIES",
    "Candidates",
    "Clearing",
    "ClearingProblem",
    "ConstraintViolation",
    "ExposureState",
    "FeedPolicyName",
    "FeedRules",
    "Policy",
    "PositionBias",
    "Slate",
    "check_feasible",
    "clear_market_lp",
    "clear_market_sinkhorn",
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
    "round_to_lists",
    "within_budget",
]
