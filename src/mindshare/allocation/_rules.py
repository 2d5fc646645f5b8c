"""A world's feed rules: budgets, ad load, and how strongly each policy steers."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from mindshare.allocation._policies import (
    ExposureState,
    Policy,
    explore,
    fair_exposure,
    greedy,
    minimum_share,
    mmr,
    within_budget,
)
from mindshare.core import ConfigurationError, InputError, world_config_section

FEED_POLICIES = ("greedy", "mmr", "fair", "explore")
FeedPolicyName = Literal["greedy", "mmr", "fair", "explore"]


@dataclass(frozen=True, slots=True)
class FeedRules:
    """How a world fills feeds; a world overrides any of these under ``"feeds"`` in its config.

    Parameters
    ----------
    policy
        The feed policy a request that names none gets: greedy, mmr, fair or explore.
    daily_budget_ms
        Attention a person gives per day before feeds stop growing (default one hour).
    candidates
        Items scored per request (top-N of the attention model).
    new_creator_candidates
        Items of new creators added to each request's candidates beyond the top-N (the
        best scored of them), so that fair and exploring policies can reach items the
        model has not learnt yet; greedy ranks them by their score like any other.
    ad_positions
        1-based slots that may hold an ad, best first.
    max_ad_share
        Most of a feed that may be ads (the ad load), in [0, 1].
    auction
        ``"gsp"``, ``"vcg"`` or ``"first"``; ``reserve`` is per attentive second.
    fairness_strength, exploration_strength, mmr_trade_off
        Strength of FairCo, of the exploration bonus, and MMR's relevance weight.
    new_creator_days, new_creator_share
        A creator is new for this many days; ``fair`` feeds guarantee new creators this
        share of every prefix (FA*IR at ``alpha`` 0.1).
    """

    policy: FeedPolicyName = "greedy"
    daily_budget_ms: int = 3_600_000
    candidates: int = 100
    new_creator_candidates: int = 10
    ad_positions: tuple[int, ...] = (3, 8)
    max_ad_share: float = 0.2
    auction: Literal["gsp", "vcg", "first"] = "gsp"
    reserve: float = 0.0
    fairness_strength: float = 0.01
    exploration_strength: float = 1.0
    mmr_trade_off: float = 0.7
    new_creator_days: int = 30
    new_creator_share: float = 0.1

    def __post_init__(self) -> None:
        for name in ("daily_budget_ms", "candidates", "new_creator_days", "new_creator_candidates"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigurationError(f"feeds.{name} must be a whole number ≥ 0, got {value!r}")
        if self.candidates < 1:
            raise ConfigurationError("feeds.candidates must be at least 1")
        for name in ("max_ad_share", "new_creator_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigurationError(f"feeds.{name} must lie in [0, 1]")
        for name in ("reserve", "fairness_strength", "exploration_strength"):
            if getattr(self, name) < 0:
                raise ConfigurationError(f"feeds.{name} must not be negative")
        if not 0.0 < self.mmr_trade_off <= 1.0:
            raise ConfigurationError("feeds.mmr_trade_off must lie in (0, 1]")
        if self.policy not in FEED_POLICIES:
            raise ConfigurationError(
                f"feeds.policy must be one of {', '.join(FEED_POLICIES)}, got {self.policy!r}"
            )
        if self.auction not in ("gsp", "vcg", "first"):
            raise ConfigurationError(
                f"feeds.auction must be 'gsp', 'vcg' or 'first', got {self.auction!r}"
            )
        positions = tuple(self.ad_positions)
        if any(isinstance(p, bool) or not isinstance(p, int) or p < 1 for p in positions):
            raise ConfigurationError(f"feeds.ad_positions must be slots ≥ 1, got {positions!r}")
        if list(positions) != sorted(set(positions)):
            raise ConfigurationError("feeds.ad_positions must be increasing, each slot once")
        object.__setattr__(self, "ad_positions", positions)

    @classmethod
    def from_world_config(cls, config: Mapping[str, Any] | None) -> "FeedRules":
        """The rules a world's config sets under ``"feeds"``; defaults for keys it omits."""
        values = world_config_section(config, "feeds", cls)
        if values is None:
            return cls()
        if "ad_positions" in values and isinstance(values["ad_positions"], list):
            values["ad_positions"] = tuple(values["ad_positions"])
        try:
            return cls(**values)
        except TypeError as error:
            raise ConfigurationError(f"feed rules: {error}") from None

    def ad_slots(self, feed_length: int) -> tuple[int, ...]:
        """The 1-based slots of a feed of this length that may hold ads, within the ad load."""
        allowed = int(self.max_ad_share * feed_length + 1e-9)
        return tuple(p for p in self.ad_positions if p <= feed_length)[:allowed]


def feed_policy(
    name: str,
    rules: FeedRules,
    *,
    state: ExposureState,
    remaining_ms: float,
    rng: np.random.Generator,
) -> Policy:
    """The policy a feed named ``name`` is served by, always within the person's budget.

    ``fair`` is FairCo on creators' exposure with a FA*IR share for new creators;
    ``explore`` is Thompson sampling for rarely shown items; ``mmr`` diversifies.
    """
    base: Policy
    if name == "greedy":
        base = greedy()
    elif name == "mmr":
        base = mmr(rules.mmr_trade_off)
    elif name == "explore":
        base = explore(greedy(), method="thompson", strength=rules.exploration_strength, rng=rng)
    elif name == "fair":
        base = minimum_share(
            fair_exposure(greedy(), state, rules.fairness_strength),
            share=rules.new_creator_share,
        )
    else:
        raise InputError(f"unknown feed policy {name!r}; choose one of {', '.join(FEED_POLICIES)}")
    return within_budget(base, remaining_ms)
