"""Interactions datasets: index maps, time-ordered histories, item text and features."""

from mindshare.datasets._fetch import (
    DatasetUnavailable,
    fetch_movielens_100k,
    grouplens_zip_to_atomic,
    recbole_wheel_to_atomic,
)
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
    "DatasetUnavailable",
    "FloatArray",
    "IntArray",
    "Interactions",
    "fetch_movielens_100k",
    "grouplens_zip_to_atomic",
    "load_recbole_dataset",
    "load_world_dataset",
    "recbole_wheel_to_atomic",
]
