"""Trending: items ranked by recent verified attention, tilted towards the ones rising.

Two back-to-back windows of ``window_days`` UTC days end on ``now_day``: the recent
window ``[now_day - window_days + 1, now_day]`` and the previous window of the same
length just before it. For each item, with ``r`` and ``p`` its attentive ms in them:

    rising = log((r + s) / (p + s))
    score  = r * exp(growth_weight * rising) = r * ((r + s) / (p + s)) ** growth_weight

``rising`` is a smoothed log growth ratio: 0 when attention held steady, ``log 2`` when
it doubled, symmetric between growth and decline. The smoothing ``s`` is the mean
attention of an item per window (over the items with attention in either window): a
pseudo-count of one average item's attention in both windows, so a jump from nothing
to a trickle is modest growth, while a jump to as much as an average item gets is real
(additive smoothing, as in Laplace's rule of succession). Because ``s`` scales with the
data, multiplying all attention by a constant leaves every ``rising`` and the order
unchanged.

The score is recent attention, multiplied by the growth ratio raised to
``growth_weight``: in logs, ``log score = log r + growth_weight * rising``, a blend of
volume and momentum. ``growth_weight = 0`` ranks by recent attention alone; the default
0.5 lets an item that doubled its attention earn a factor of about 1.41, so a steady
item needs about 41% more attention to stay ahead of it. Weights above 1 are refused:
up to 1, more attention this window never lowers an item's score. An item with no
recent attention scores 0 and is not trending, whatever it had before.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mindshare.core import InputError

#: How much growth counts against volume (0: recent attention only; at most 1).
DEFAULT_GROWTH_WEIGHT = 0.5


@dataclass(frozen=True, slots=True, eq=False)
class TrendingScores:
    """Per item (by code): attention in both windows, ``rising`` and ``score``; and the ranking.

    ``order`` holds the codes of the items with recent attention, best first (ties: more
    recent attention first, then the lower code).
    """

    recent_ms: npt.NDArray[np.int64]
    previous_ms: npt.NDArray[np.int64]
    rising: npt.NDArray[np.float64]
    score: npt.NDArray[np.float64]
    order: npt.NDArray[np.int64]


def trending_windows(now_day: int, window_days: int) -> tuple[range, range]:
    """The UTC day numbers of the recent window (ending on ``now_day``) and the one before.

    Examples
    --------
    >>> trending_windows(10, 3)
    (range(8, 11), range(5, 8))
    """
    if window_days < 1:
        raise InputError(f"window_days must be at least 1, got {window_days}")
    first_recent = now_day - window_days + 1
    return range(first_recent, now_day + 1), range(first_recent - window_days, first_recent)


def rank_trending(
    item: npt.ArrayLike,
    day: npt.ArrayLike,
    attentive_ms: npt.ArrayLike,
    *,
    n_items: int,
    now_day: int,
    window_days: int,
    growth_weight: float = DEFAULT_GROWTH_WEIGHT,
) -> TrendingScores:
    """Rank items by trending score from daily attention rows (see the module docstring).

    Rows are parallel arrays: item code (``0 <= item < n_items``), UTC day number and
    attentive ms, e.g. ``attention_daily`` summed per item and day. Rows outside both
    windows, after ``now_day`` included, are ignored.

    Examples
    --------
    >>> ranked = rank_trending(
    ...     [0, 0, 1], [1, 2, 2], [100, 300, 200], n_items=2, now_day=2, window_days=1
    ... )
    >>> ranked.recent_ms.tolist(), ranked.previous_ms.tolist(), ranked.order.tolist()
    ([300, 200], [100, 0], [0, 1])
    """
    recent_days, previous_days = trending_windows(now_day, window_days)
    if not 0 <= growth_weight <= 1:
        raise InputError(f"growth_weight must be between 0 and 1, got {growth_weight}")
    codes = np.asarray(item, dtype=np.int64)
    days = np.asarray(day, dtype=np.int64)
    amounts = np.asarray(attentive_ms, dtype=np.int64)
    if not codes.shape == days.shape == amounts.shape or codes.ndim != 1:
        raise InputError("item, day and attentive_ms must have one entry per row")
    if len(codes) and (codes.min() < 0 or codes.max() >= n_items):
        raise InputError(f"item codes must lie in [0, {n_items})")
    if np.any(amounts < 0):
        raise InputError("attentive_ms must not be negative")

    recent = _window_totals(codes, days, amounts, recent_days, n_items)
    previous = _window_totals(codes, days, amounts, previous_days, n_items)
    active = int(np.count_nonzero((recent > 0) | (previous > 0)))
    smoothing = (float(recent.sum()) + float(previous.sum())) / (2 * active) if active else 0.0
    rising = np.zeros(n_items)
    if smoothing > 0:
        rising = np.log((recent + smoothing) / (previous + smoothing))
    score = recent.astype(np.float64) * np.exp(growth_weight * rising)
    candidates = np.flatnonzero(recent > 0)
    order = candidates[np.lexsort((candidates, -recent[candidates], -score[candidates]))]
    return TrendingScores(
        recent_ms=recent,
        previous_ms=previous,
        rising=rising,
        score=score,
        order=order.astype(np.int64),
    )


def _window_totals(
    codes: npt.NDArray[np.int64],
    days: npt.NDArray[np.int64],
    amounts: npt.NDArray[np.int64],
    window: range,
    n_items: int,
) -> npt.NDArray[np.int64]:
    """Attentive ms per item over the rows whose day falls in ``window`` (exact integers)."""
    inside = (days >= window.start) & (days < window.stop)
    totals = np.zeros(n_items, dtype=np.int64)
    np.add.at(totals, codes[inside], amounts[inside])
    return totals
