"""Simulation metrics: hand-computed values and properties."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mindshare.core import InputError
from mindshare.sim import income_gini, mean_pairwise_jaccard, survival_rate


def test_jaccard_of_three_people_by_hand() -> None:
    a, b, c = frozenset("xy"), frozenset("yz"), frozenset("xyz")
    # (a,b) 1/3, (a,c) 2/3, (b,c) 2/3
    assert mean_pairwise_jaccard([a, b, c]) == pytest.approx((1 / 3 + 2 / 3 + 2 / 3) / 3)


def test_people_who_consumed_nothing_are_left_out() -> None:
    assert mean_pairwise_jaccard([frozenset("x"), frozenset(), frozenset("x")]) == 1.0
    assert mean_pairwise_jaccard([frozenset("x")]) == 0.0


def test_sampled_jaccard_estimates_the_mean() -> None:
    rng = np.random.default_rng(1)
    sets = [frozenset(rng.choice(30, size=5, replace=False).tolist()) for _ in range(300)]
    exact = mean_pairwise_jaccard(sets, max_pairs=10**6)
    sampled = mean_pairwise_jaccard(sets, max_pairs=20_000, seed=3)
    assert sampled == pytest.approx(exact, abs=0.005)


@given(st.lists(st.frozensets(st.integers(0, 6), min_size=1), min_size=2, max_size=8))
def test_jaccard_lies_in_the_unit_interval_and_is_one_for_clones(sets: list) -> None:
    value = mean_pairwise_jaccard(sets)
    assert 0.0 <= value <= 1.0
    assert mean_pairwise_jaccard([sets[0]] * 3) == 1.0


def test_survival_counts_the_cohort_only() -> None:
    entered = [0, 5, 5, 6, 9]
    active = [False, True, False, True, True]
    assert survival_rate(entered, active, cohort=range(5, 7)) == pytest.approx(2 / 3)
    assert math.isnan(survival_rate(entered, active, cohort=range(20, 30)))
    with pytest.raises(InputError):
        survival_rate([1, 2], [True], cohort=range(0, 3))


def test_income_gini_of_one_earner_among_four() -> None:
    assert income_gini([0, 0, 0, 100]) == pytest.approx(0.75)
    assert income_gini([5, 5, 5, 5]) == 0.0
