"""Agent-based world simulation: the agents, driven day by day through ``engine.run_day``;
sweeps on Ray; A/B experiments; and the seeded demo world of ``mindshare demo``."""

from mindshare.sim._agents import DayLog, SimulatedWorld
from mindshare.sim._agents_config import WorldConfig
from mindshare.sim._demo import DemoWorld, generate_demo_world
from mindshare.sim._experiment import (
    OUTCOMES,
    ExperimentReport,
    OutcomeEffect,
    analyse,
    run_experiment,
)
from mindshare.sim._metrics import (
    DayMetrics,
    income_gini,
    mean_pairwise_jaccard,
    survival_rate,
)
from mindshare.sim._simulate import (
    POLICIES,
    SimulationResult,
    SimulationSpec,
    day_metrics,
    record_day_metrics,
    simulate,
)
from mindshare.sim._sweep import SweepSummary, run_sweep

__all__ = [
    "OUTCOMES",
    "POLICIES",
    "DayLog",
    "DayMetrics",
    "DemoWorld",
    "ExperimentReport",
    "OutcomeEffect",
    "SimulatedWorld",
    "SimulationResult",
    "SimulationSpec",
    "SweepSummary",
    "WorldConfig",
    "analyse",
    "day_metrics",
    "generate_demo_world",
    "income_gini",
    "mean_pairwise_jaccard",
    "record_day_metrics",
    "run_experiment",
    "run_sweep",
    "simulate",
    "survival_rate",
]
