"""Item-to-item similarity of the models that define it by hand-checkable formulas."""

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mindshare.datasets import Interactions
from mindshare.models import create_model
from mindshare.models._base import _top_k


def shared_readers() -> Interactions:
    """u1 read A, B (B twice); u2 read A, B, C; u3 read C, D."""
    return Interactions.from_arrays(
        name="shared",
        users=["u1", "u1", "u1", "u2", "u2", "u2", "u3", "u3"],
        items=["A", "B", "B", "A", "B", "C", "C", "D"],
        ts=[1, 2, 3, 4, 5, 6, 7, 8],
        item_ids=["A", "B", "C", "D"],
    )


@pytest.mark.parametrize(("name", "params"), [("pop", {}), ("itemknn", {"shrink": 0.0})])
def test_similarity_is_the_cosine_of_shared_readers(name: str, params: dict[str, float]) -> None:
    model = create_model(name, **params).fit(shared_readers())

    neighbours, scores = model.similar_items(["A", "C"], k=3)

    # readers: A {u1,u2}, B {u1,u2}, C {u2,u3}, D {u3}; a repeat read counts once
    assert neighbours.tolist() == [["B", "C", "D"], ["D", "A", "B"]]
    np.testing.assert_allclose(scores, [[1.0, 0.5, 0.0], [1 / np.sqrt(2), 0.5, 0.5]], rtol=1e-6)


def test_ease_neighbours_are_the_weights_that_reconstruct_the_item() -> None:
    data = Interactions.from_arrays(
        name="two", users=["u1", "u1", "u2"], items=["A", "B", "A"], ts=[1, 2, 3]
    )
    model = create_model("ease", l2=1.0).fit(data)

    _, from_a = model.similar_items(["A"], k=1)
    _, from_b = model.similar_items(["B"], k=1)

    # XᵀX + I = [[3, 1], [1, 2]], P = [[2, -1], [-1, 3]] / 5, B[i, j] = -P[i, j] / P[j, j]:
    # B's column A (weight of B in reconstructing A) is 1/2, column B is 1/3.
    assert from_a[0, 0] == pytest.approx(1 / 2)
    assert from_b[0, 0] == pytest.approx(1 / 3)


def test_ties_at_the_cut_go_to_the_earlier_item() -> None:
    model = create_model("pop").fit(shared_readers())

    neighbours, scores = model.similar_items(["C"], k=2)

    # D (1/sqrt 2) first; A and B tie at 1/2 for the last place: A, the earlier, gets it
    assert neighbours.tolist() == [["D", "A"]]
    np.testing.assert_allclose(scores, [[1 / np.sqrt(2), 0.5]], rtol=1e-6)


@given(
    arrays(
        np.float32,
        st.tuples(st.integers(1, 4), st.integers(1, 12)),
        elements=st.sampled_from([-np.inf, 0.0, 1.0, 2.5]),
    ),
    st.integers(1, 12),
)
def test_top_k_is_the_stable_sort_cut_at_k(scores: npt.NDArray[np.float32], k: int) -> None:
    k = min(k, scores.shape[1])
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(_top_k(scores, k), expected)
