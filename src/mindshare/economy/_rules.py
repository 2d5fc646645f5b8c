"""A world's economy rules: its currency, how ad revenue is shared, payouts, quests."""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mindshare.core import ConfigurationError, is_currency_code, world_config_section
from mindshare.economy._quests import QuestRule, parse_quests
from mindshare.economy._split import exact_fraction

_FRACTIONS = ("creator_pool_ad_share", "holdback_unverified", "reward_ad_share")
_AMOUNTS = ("subscription_pool_minor", "emission_minor", "minimum_payout_minor")


@dataclass(frozen=True, slots=True)
class EconomyRules:
    """How a world settles attention; a world overrides any of these under ``"economy"``.

    Parameters
    ----------
    currency
        The currency every pool, payout and charge is in (ISO 4217 or a world's own).
    creator_pool_ad_share
        Fraction of the period's ad revenue that funds the creator pool, in [0, 1].
    subscription_pool_minor
        Added to the creator pool each period from subscriptions (minted, see
        ``emission_account``).
    emission_minor
        Fixed amount minted into the creator pool each period.
    minimum_payout_minor
        A creator owed less than this in a period is paid nothing; it stays in the pool.
    holdback_unverified
        Fraction of the pay earned by unverified attention that is held back, in [0, 1].
    reward_ad_share
        Fraction of ad revenue shared with the people who gave ads verified attention;
        with ``creator_pool_ad_share`` at most 1.
    quests
        The world's quests (``QuestRule``), from a list of objects in the config.
    """

    currency: str = "USD"
    creator_pool_ad_share: float = 0.5
    subscription_pool_minor: int = 0
    emission_minor: int = 0
    minimum_payout_minor: int = 100
    holdback_unverified: float = 1.0
    reward_ad_share: float = 0.1
    quests: tuple[QuestRule, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.currency, str) or not is_currency_code(self.currency):
            raise ConfigurationError(
                f"economy.currency must be a currency code (3-12 capitals, e.g. USD), "
                f"got {self.currency!r}"
            )
        for name in _FRACTIONS:
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or not 0 <= value <= 1
            ):
                raise ConfigurationError(f"economy.{name} must lie in [0, 1], got {value!r}")
            object.__setattr__(self, name, float(value))
        for name in _AMOUNTS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigurationError(
                    f"economy.{name} must be a whole number of minor units ≥ 0, got {value!r}"
                )
        ad_shares = exact_fraction(self.creator_pool_ad_share) + exact_fraction(
            self.reward_ad_share
        )
        if ad_shares > 1:
            raise ConfigurationError(
                f"economy.creator_pool_ad_share ({self.creator_pool_ad_share}) and "
                f"economy.reward_ad_share ({self.reward_ad_share}) share out more than all "
                "of the ad revenue; together they must be at most 1"
            )
        object.__setattr__(self, "quests", parse_quests(self.quests))

    @classmethod
    def from_world_config(cls, config: Mapping[str, Any] | None) -> "EconomyRules":
        """The rules a world's config sets under ``"economy"``; defaults for keys it omits."""
        section = world_config_section(config, "economy", cls)
        return cls() if section is None else cls(**section)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> "EconomyRules":
        """Same as ``from_world_config`` (the name the other rule sets use)."""
        return cls.from_world_config(config)
