"""How much attention a slot receives by its position, and how to measure that from logs."""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mindshare.core import InputError

FloatArray = npt.NDArray[np.float64]


def position_exposure(n_slots: int) -> FloatArray:
    """Share of a person's attention that slot k (1-based) receives: ``1 / log2(1 + k)``.

    The logarithmic discount of DCG: the first slot gets 1, the second 0.63, the tenth
    0.29. Worlds that have measured their own curve pass it instead (see
    ``estimate_position_bias``).
    """
    if n_slots < 0:
        raise InputError(f"n_slots must not be negative, got {n_slots}")
    return 1.0 / np.log2(np.arange(2, n_slots + 2, dtype=np.float64))


@dataclass(frozen=True, slots=True)
class PositionBias:
    """Exposure by position measured from logs, relative to the first position."""

    weights: FloatArray
    """Examination probability of each position divided by the first position's."""
    impressions: npt.NDArray[np.int64]
    clicks: npt.NDArray[np.int64]

    @property
    def click_rates(self) -> FloatArray:
        """Clicks per impression at each position."""
        return self.clicks / np.maximum(self.impressions, 1)

    def standard_errors(self) -> FloatArray:
        """Delta-method standard error of each relative weight (the first one's is 0)."""
        rates = self.click_rates
        with np.errstate(divide="ignore", invalid="ignore"):
            relative_var = (1 - rates) / np.maximum(self.clicks, 1)
            errors = self.weights * np.sqrt(relative_var + relative_var[0])
        errors[0] = 0.0
        return np.asarray(errors)


def estimate_position_bias(
    position: npt.ArrayLike, click: npt.ArrayLike, n_positions: int
) -> PositionBias:
    """Position bias from logs whose positions were randomised (e.g. a uniform random policy).

    When items are placed at random, every position sees the same mix of items, so
    under the examination hypothesis (click = examined × relevant) the click rate at
    position k divided by that at position 1 is the relative examination probability.
    ``position`` is 1-based; logs from a non-random policy would confound position
    with relevance and must not be used here.
    """
    positions = np.asarray(position)
    clicks = np.asarray(click)
    if positions.shape != clicks.shape or positions.ndim != 1:
        raise InputError(
            f"position and click must be 1-D and the same length, got {positions.shape} "
            f"and {clicks.shape}"
        )
    if n_positions < 1:
        raise InputError(f"n_positions must be at least 1, got {n_positions}")
    if len(positions) and (positions.min() < 1 or positions.max() > n_positions):
        bad = int(np.flatnonzero((positions < 1) | (positions > n_positions))[0])
        raise InputError(
            f"position[{bad}] is {positions[bad]}; positions run from 1 to {n_positions}"
        )
    if not np.isin(clicks, (0, 1)).all():
        bad = int(np.flatnonzero(~np.isin(clicks, (0, 1)))[0])
        raise InputError(f"click[{bad}] is {clicks[bad]}; clicks must be 0 or 1")
    impressions = np.bincount(positions - 1, minlength=n_positions).astype(np.int64)
    clicked = np.bincount(positions - 1, weights=clicks, minlength=n_positions).astype(np.int64)
    if clicked[0] == 0:
        raise InputError("no clicks at position 1: the relative exposure cannot be measured")
    rates = clicked / np.maximum(impressions, 1)
    return PositionBias(weights=rates / rates[0], impressions=impressions, clicks=clicked)


def expected_attention_ms(scores: npt.ArrayLike, mean_dwell_ms: npt.ArrayLike) -> FloatArray:
    """Expected attentive ms of each candidate in the first slot, from model scores.

    Model scores have no common unit, so each request's scores are rescaled to [0, 1]
    (best candidate 1, worst 0) and multiplied by the item's mean attentive time per
    view: a simple calibration until models predict attentive time directly.
    """
    values = np.asarray(scores, dtype=np.float64)
    dwell = np.asarray(mean_dwell_ms, dtype=np.float64)
    if values.shape != dwell.shape:
        raise InputError(f"scores has {values.size} entries and mean_dwell_ms {dwell.size}")
    if len(values) == 0:
        return values
    low, high = values.min(), values.max()
    relative = (values - low) / (high - low) if high > low else np.ones_like(values)
    return np.asarray(relative * dwell)
