"""Item-to-item similarity of the models that define it by hand-checkable formulas."""

import numpy as np
import pytest

from mindshare.datasets import Interactions
from mindshare.models import create_model


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
