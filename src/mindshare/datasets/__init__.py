"""Interactions datasets: index maps, time-ordered histories, item text and features."""

from mindshare.datasets._bandit import (
    OBD_CAMPAIGNS,
    OBD_POLICIES,
    BanditLog,
    bts_action_distribution,
    load_bts_priors,
    load_open_bandit,
)
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
    "OBD_CAMPAIGNS",
    "OBD_POLICIES",
    "TEXT_TYPES",
    "BanditLog",
    "DatasetUnavailable",
    "FloatArray",
    "IntArray",
    "Interactions",
    "bts_action_distribution",
    "fetch_movielens_100k",
    "grouplens_zip_to_atomic",
    "load_bts_priors",
    "load_open_bandit",
    "load_recbole_dataset",
    "load_world_dataset",
    "recbole_wheel_to_atomic",
]
