"""What a simulated day did to the world, as numbers: pure functions over plain arrays.

The per-day metrics of issue 13: total verified attention, people's utility and
retention, how unequal creators' income and exposure are, whether new creators survive,
how alike people's consumption has become (homogenization, as in T-RECS: the mean
pairwise Jaccard similarity of the sets of items people consumed), and ad revenue.
"""

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mindshare.core import InputError
from mindshare.evaluation import gini


@dataclass(frozen=True, slots=True)
class DayMetrics:
    """One simulated day of a world (attention in minutes, money in minor units)."""

    day: str
    attentive_minutes: float
    mean_utility: float
    active_people: int
    retention: float
    creator_income_gini: float
    exposure_gini: float
    active_creators: int
    new_creator_survival: float
    homogenization: float
    ad_revenue_minor: int
    paid_to_creators_minor: int
    feeds: int
    events: int
    trades: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; an undefined value (NaN, e.g. survival with no cohort) is None."""
        return {
            name: None if isinstance(value, float) and math.isnan(value) else value
            for name, value in asdict(self).items()
        }


def mean_pairwise_jaccard(
    consumed: Sequence[frozenset[str]], *, max_pairs: int = 20_000, seed: int = 0
) -> float:
    """Mean Jaccard similarity (shared items over all items) of pairs of people who consumed.

    With more pairs than ``max_pairs``, a seeded uniform sample of pairs estimates it
    (an unbiased estimate of the mean); 0.0 when fewer than two people consumed.
    """
    sets = [items for items in consumed if items]
    n = len(sets)
    if n < 2:
        return 0.0
    pairs = n * (n - 1) // 2
    if pairs <= max_pairs:
        left, right = np.triu_indices(n, k=1)
    else:
        rng = np.random.default_rng(seed)
        left = rng.integers(0, n, size=max_pairs)
        right = (left + rng.integers(1, n, size=max_pairs)) % n  # never the same person
    total = 0.0
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        union = len(sets[a] | sets[b])
        total += len(sets[a] & sets[b]) / union
    return total / len(left)


def survival_rate(entered_day: npt.ArrayLike, active: npt.ArrayLike, *, cohort: range) -> float:
    """Share of the creators who entered on a day in ``cohort`` that are still active.

    NaN when nobody entered then (no cohort to survive).
    """
    entered = np.asarray(entered_day)
    alive = np.asarray(active, dtype=bool)
    if entered.shape != alive.shape:
        raise InputError("entered_day and active must have one entry per creator")
    members = (entered >= cohort.start) & (entered < cohort.stop)
    if not members.any():
        return float("nan")
    return float(alive[members].mean())


def income_gini(income_minor: npt.ArrayLike) -> float:
    """Gini of creators' income (every active creator, earners or not)."""
    return gini(np.asarray(income_minor, dtype=np.float64))
