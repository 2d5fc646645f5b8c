"""Ids, clock, money, errors and settings: tiny, no I/O."""

from mindshare.core._clock import (
    MS_PER_DAY,
    MS_PER_MINUTE,
    MS_PER_SECOND,
    day_of,
    from_epoch_ms,
    to_epoch_ms,
    utc_now,
)
from mindshare.core._config import world_config_section
from mindshare.core._entities import Creator, Item, ItemKind, Person, World
from mindshare.core._errors import (
    ConfigurationError,
    InfeasibleAllocation,
    InputError,
    MindshareError,
    NotFound,
    StoreError,
    UnreadableFile,
)
from mindshare.core._money import Money, is_currency_code
from mindshare.core._settings import Settings

__all__ = [
    "MS_PER_DAY",
    "MS_PER_MINUTE",
    "MS_PER_SECOND",
    "ConfigurationError",
    "Creator",
    "InfeasibleAllocation",
    "InputError",
    "Item",
    "ItemKind",
    "MindshareError",
    "Money",
    "NotFound",
    "Person",
    "Settings",
    "StoreError",
    "UnreadableFile",
    "World",
    "day_of",
    "from_epoch_ms",
    "is_currency_code",
    "to_epoch_ms",
    "utc_now",
    "world_config_section",
]
