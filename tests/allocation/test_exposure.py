"""Exposure by position: the default curve, and position bias measured from randomised logs."""

import csv
from pathlib import Path

import numpy as np
import pytest

from mindshare.allocation import estimate_position_bias, position_exposure
from mindshare.core import InputError


def test_default_curve_is_the_dcg_discount() -> None:
    np.testing.assert_allclose(position_exposure(4), [1.0, 1 / np.log2(3), 0.5, 1 / np.log2(5)])
    assert position_exposure(0).shape == (0,)


def test_position_bias_is_the_ratio_of_click_rates() -> None:
    # Position 1: 2 clicks in 4 (0.5); position 2: 1 click in 4 (0.25) -> half the exposure.
    bias = estimate_position_bias([1, 1, 1, 1, 2, 2, 2, 2], [1, 1, 0, 0, 1, 0, 0, 0], 2)
    np.testing.assert_allclose(bias.weights, [1.0, 0.5])
    np.testing.assert_array_equal(bias.impressions, [4, 4])
    np.testing.assert_array_equal(bias.clicks, [2, 1])
    errors = bias.standard_errors()
    assert errors[0] == 0.0
    # sqrt((1 - .25)/1 + (1 - .5)/2) * 0.5 = 0.5
    assert errors[1] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("position", "click", "message"),
    [
        ([1, 4], [0, 1], r"position\[1\] is 4"),
        ([1, 2], [0, 2], r"click\[1\] is 2"),
        ([2, 2], [1, 1], "no clicks at position 1"),
        ([1], [1, 0], "same length"),
    ],
)
def test_bad_logs_are_refused_with_the_reason(
    position: list[int], click: list[int], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        estimate_position_bias(position, click, 3)


def _random_policy_logs(root: Path) -> tuple[np.ndarray, np.ndarray]:
    positions: list[int] = []
    clicks: list[int] = []
    for campaign in ("all", "men", "women"):
        with (root / "random" / campaign / f"{campaign}.csv").open() as file:
            for row in csv.DictReader(file):
                positions.append(int(row["position"]))
                clicks.append(int(row["click"]))
    return np.array(positions), np.array(clicks)


def test_position_bias_of_the_open_bandit_random_logs(open_bandit: Path) -> None:
    positions, clicks = _random_policy_logs(open_bandit)
    bias = estimate_position_bias(positions, clicks, 3)
    assert bias.impressions.sum() == 30_000
    assert bias.clicks.sum() == clicks.sum()
    assert bias.weights[0] == 1.0
    # The sample holds only ~0.5% clicks: each relative weight is known to about ±30%,
    # so the data cannot tell the positions apart — the estimate must say so honestly.
    errors = bias.standard_errors()
    assert np.all(errors[1:] > 0.1)
    assert np.all(np.abs(bias.weights[1:] - 1.0) < 3 * errors[1:])
