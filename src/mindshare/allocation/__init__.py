"""Allocation: who gets which slot. Exposure models, per-request ranking policies, fair
exposure and batch market clearing, all pure functions over arrays (no database access).
"""

from mindshare.allocation._exposure import (
    PositionBias,
    estimate_position_bias,
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

__all__ = [
    "Candidates",
    "ExposureState",
    "Policy",
    "PositionBias",
    "Slate",
    "estimate_position_bias",
    "explore",
    "fair_exposure",
    "greedy",
    "minimum_share",
    "minimum_share_table",
    "mmr",
    "position_exposure",
    "within_budget",
]
