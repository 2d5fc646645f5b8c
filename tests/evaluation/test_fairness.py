"""Allocation metrics on feeds small enough to work out by hand."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mindshare.core import InputError
from mindshare.evaluation import (
    envy,
    expected_attention,
    exposure_disparity,
    gini,
    group_totals,
    item_exposure,
    lorenz_curve,
    new_creator_exposure_share,
)

FEEDS = np.array([[0, 1], [1, -1]])
WEIGHTS = np.array([1.0, 0.5])


def test_item_exposure_sums_slot_weights_and_skips_empty_slots() -> None:
    np.testing.assert_allclose(item_exposure(FEEDS, WEIGHTS, 3), [1.0, 1.5, 0.0])
    with pytest.raises(InputError, match="item 1 of a 1-item catalogue"):
        item_exposure(FEEDS, WEIGHTS, 1)
    with pytest.raises(InputError, match="weights has 1 entries for 2 slots"):
        item_exposure(FEEDS, [1.0], 3)


def test_expected_attention_is_the_weighted_attention_per_person() -> None:
    attention = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    # Person 0: 1 × 1 + 0.5 × 2 = 2; person 1: 1 × 5 = 5; mean 3.5.
    assert expected_attention(FEEDS, WEIGHTS, attention) == pytest.approx(3.5)


def test_group_totals_add_up_items_per_creator() -> None:
    np.testing.assert_allclose(group_totals([1.0, 1.5, 2.0], [1, 0, 1], 3), [1.5, 3.0, 0.0])


def test_disparity_is_zero_when_exposure_follows_merit() -> None:
    assert exposure_disparity([2.0, 1.0], [4.0, 2.0]) == pytest.approx(0.0)
    # Shares 2/3 and 1/3 against merit halves: ratios 4/3 and 2/3, differing by 2/3.
    assert exposure_disparity([2.0, 1.0], [1.0, 1.0]) == pytest.approx(2 / 3)
    # Ratios 0.75, 0.75, 1.5: pairwise differences 0, 0.75, 0.75, mean 0.5.
    assert exposure_disparity([1.0, 1.0, 2.0], [1.0, 1.0, 1.0]) == pytest.approx(0.5)
    assert exposure_disparity([1.0], [1.0]) == 0.0


def test_lorenz_curve_and_gini_agree() -> None:
    population, share = lorenz_curve([2.0, 1.0, 1.0])
    np.testing.assert_allclose(population, [0, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(share, [0, 0.25, 0.5, 1.0])
    area = np.trapezoid(share, population)
    assert 1 - 2 * area == pytest.approx(gini([2.0, 1.0, 1.0]))


@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(0, 1e6)))
def test_lorenz_curve_stays_under_the_diagonal(values: np.ndarray) -> None:
    population, share = lorenz_curve(values)
    assert share[0] == 0.0
    assert share[-1] == pytest.approx(1.0)
    assert np.all(share <= population + 1e-9)
    assert np.all(np.diff(share) >= -1e-12)


def test_envy_counts_the_gain_from_the_best_other_feed() -> None:
    # Both people value only item 0; person 1 was shown item 1 and envies person 0 by 1.
    attention = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert envy(np.array([[0], [1]]), np.array([1.0]), attention) == pytest.approx(0.5)
    assert envy(np.array([[0], [0]]), np.array([1.0]), attention) == 0.0


def test_new_creator_share() -> None:
    assert new_creator_exposure_share([3.0, 1.0], [False, True]) == pytest.approx(0.25)
    assert new_creator_exposure_share([0.0, 0.0], [False, True]) == 0.0
