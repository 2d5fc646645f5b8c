"""Interactions datasets: index maps, time-ordered histories, item text and features."""

from mindshare.datasets._interactions import FloatArray, IntArray, Interactions
from mindshare.datasets._loaders import (
    INTERACTION_TYPES,
    TEXT_TYPES,
    load_recbole_dataset,
    load_world_dataset,
)

__all__ = [
    "INTERACTION_TYPES",
    "TEXT_TYPES",
    "FloatArray",
    "IntArray",
    "Interactions",
    "load_recbole_dataset",
    "load_world_dataset",
]
