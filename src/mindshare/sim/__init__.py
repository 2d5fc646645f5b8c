"""Agent-based world simulation: demo worlds now, a closed loop through the engine later."""

from mindshare.sim._agents import DayLog, SimulatedWorld
from mindshare.sim._agents_config import WorldConfig
from mindshare.sim._demo import DemoWorld, generate_demo_world
from mindshare.sim._metrics import (
    DayMetrics,
    exposure_by_creator,
    income_gini,
    mean_pairwise_jaccard,
    survival_rate,
)

__all__ = [
    "DayLog",
    "DayMetrics",
    "DemoWorld",
    "SimulatedWorld",
    "WorldConfig",
    "exposure_by_creator",
    "generate_demo_world",
    "income_gini",
    "mean_pairwise_jaccard",
    "survival_rate",
]
