"""Ranking metrics against hand-computed values."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mindshare.evaluation import (
    coverage,
    exposure_gini,
    gini,
    mrr_at,
    ndcg_at,
    pessimistic_rank,
    recall_at,
    top_k,
)


def test_rank_counts_higher_scores_and_every_tie_against_the_target() -> None:
    scores = np.array(
        [
            [0.9, 0.5, 0.7, 0.5],  # target 1 (0.5): 0.9 and 0.7 higher, item 3 tied -> rank 3
            [0.2, 0.2, 0.2, 0.2],  # constant scores: the target ranks last
            [0.1, 0.8, 0.3, 0.0],  # target 1 is best -> rank 0
        ]
    )
    assert pessimistic_rank(scores, [1, 2, 1]).tolist() == [3, 3, 0]


def test_excluded_items_at_minus_infinity_rank_after_the_target() -> None:
    scores = np.array([[-np.inf, 0.1, -np.inf, 0.05]])
    assert pessimistic_rank(scores, [3]).tolist() == [1]


def test_ndcg_recall_mrr_by_hand() -> None:
    ranks = np.array([0, 1, 4, 10])
    # NDCG@10: 1/log2(2) + 1/log2(3) + 1/log2(6) + 0, over 4 people
    assert ndcg_at(ranks, 10) == pytest.approx((1 + 1 / math.log2(3) + 1 / math.log2(6)) / 4)
    assert ndcg_at(ranks, 1) == pytest.approx(0.25)
    assert recall_at(ranks, 10) == pytest.approx(0.75)
    assert recall_at(ranks, 20) == pytest.approx(1.0)
    assert mrr_at(ranks, 10) == pytest.approx((1 + 1 / 2 + 1 / 5) / 4)
    assert mrr_at(ranks, 11) == pytest.approx((1 + 1 / 2 + 1 / 5 + 1 / 11) / 4)


def test_metrics_of_nobody_are_zero() -> None:
    empty = np.array([], dtype=np.int64)
    assert ndcg_at(empty, 10) == recall_at(empty, 10) == mrr_at(empty, 10) == 0.0


def test_top_k_is_best_first_with_ties_by_lower_index() -> None:
    scores = np.array([[0.1, 0.9, 0.5, 0.9, -np.inf], [3.0, 2.0, 1.0, 0.0, 4.0]])
    assert top_k(scores, 3).tolist() == [[1, 3, 2], [4, 0, 1]]
    assert top_k(scores, 9).shape == (2, 5)


def test_coverage_is_the_share_of_items_ever_recommended() -> None:
    assert coverage(np.array([[0, 1], [1, 2]]), 10) == pytest.approx(0.3)
    assert coverage(np.array([[0]]), 0) == 0.0


def test_gini_by_hand() -> None:
    assert gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)  # (n-1)/n when one holds everything
    assert gini([1, 2, 3]) == pytest.approx(2 / 9)  # sum|xi-xj| / (2 n^2 mean) = 8 / 36
    assert gini([0, 0]) == 0.0


def test_exposure_gini_counts_items_never_shown() -> None:
    assert exposure_gini(np.array([[0], [0]]), 2) == pytest.approx(0.5)
    assert exposure_gini(np.array([[0], [1]]), 2) == pytest.approx(0.0)


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=50))
def test_gini_lies_in_zero_to_one(values: list[float]) -> None:
    assert 0.0 <= gini(values) <= 1.0


@given(
    st.lists(st.integers(0, 5), min_size=2, max_size=12),
    st.data(),
)
def test_rank_is_the_position_of_the_target_in_a_list_sorted_target_last(
    scores: list[int], data: st.DataObject
) -> None:
    target = data.draw(st.integers(0, len(scores) - 1))
    # sort so that, among equal scores, the target comes last: its index is its rank
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i == target))
    rank = pessimistic_rank(np.array([scores], dtype=float), [target])[0]
    assert rank == order.index(target)
