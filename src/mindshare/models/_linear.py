"""Neighbourhood and linear item-item models: MostPopular, ItemKNN, EASE and recency EASE.

Each scores a person by multiplying what they read (a row over items) by an item × item
matrix, so all four read a person's history at scoring time.
"""

from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from mindshare.core import InputError
from mindshare.datasets import FloatArray, IntArray, Interactions
from mindshare.evaluation import rank_held_out
from mindshare.models._base import AttentionModel


class MostPopular(AttentionModel):
    """Training interaction counts: one count per interaction, the same list for everyone."""

    name = "pop"

    def __init__(self, *, seed: int = 0) -> None:
        super().__init__(seed=seed)

    def _fit(self, data: Interactions, valid: IntArray | None) -> None:
        self.counts = data.item_counts().astype(np.float32)

    def _score(self, users: IntArray, history: Interactions) -> FloatArray:
        return np.tile(self.counts, (len(users), 1))

    def _state(self) -> dict[str, npt.NDArray[Any]]:
        return {"counts": self.counts}

    def _restore(self, state: dict[str, npt.NDArray[Any]]) -> None:
        self.counts = state["counts"]


class _ItemItem(AttentionModel):
    """Shared scoring of models whose state is one item × item matrix."""

    weights: FloatArray

    def _input(self, users: IntArray, history: Interactions) -> sp.csr_matrix:
        """The rows over items these people read: 1 per item they interacted with."""
        rows, positions = history.positions(users)
        matrix = _rows_over_items(rows, history.item[positions], np.ones(len(rows)), users, history)
        matrix.data[:] = 1.0  # read or not: a repeat counts once
        return matrix

    def _score(self, users: IntArray, history: Interactions) -> FloatArray:
        scores = self._input(users, history) @ self.weights
        return np.asarray(scores, dtype=np.float32)

    def _item_similarity(self, rows: IntArray) -> FloatArray:
        """Column ``i`` of the item × item matrix: how much each item speaks for item ``i``.

        For ItemKNN that is ``i``'s cosine neighbours (columns keep the top ``k``); for
        EASE, the regression weights with which the other items reconstruct ``i``.
        """
        return np.ascontiguousarray(self.weights[:, rows].T)

    def _state(self) -> dict[str, npt.NDArray[Any]]:
        return {"weights": self.weights}

    def _restore(self, state: dict[str, npt.NDArray[Any]]) -> None:
        self.weights = state["weights"]


class ItemKNN(_ItemItem):
    """Item-based k-nearest neighbours: cosine similarity with shrinkage, top ``k`` per item."""

    name = "itemknn"

    def __init__(self, *, k: int = 100, shrink: float = 0.0, seed: int = 0) -> None:
        if k < 1 or shrink < 0:
            raise InputError("itemknn needs k >= 1 and shrink >= 0")
        super().__init__(seed=seed, k=k, shrink=shrink)
        self.k, self.shrink = k, shrink

    def _fit(self, data: Interactions, valid: IntArray | None) -> None:
        x = data.matrix()
        x.data[:] = 1.0
        co = np.asarray((x.T @ x).todense(), dtype=np.float32)
        norms = np.sqrt(np.diag(co))
        similarity = co / (np.outer(norms, norms) + self.shrink + 1e-12)
        np.fill_diagonal(similarity, 0.0)
        if self.k < similarity.shape[0]:
            # keep each item's k most similar neighbours (columns = the item being scored)
            cut = np.partition(similarity, -self.k, axis=0)[-self.k]
            similarity[similarity < cut[None, :]] = 0.0
        self.weights = similarity.astype(np.float32)


class EASE(_ItemItem):
    """Embarrassingly Shallow Autoencoder (Steck 2019): closed-form item-item regression.

    B = I - P / diag(P) with P = (XᵀX + λI)⁻¹, and a zero diagonal.
    """

    name = "ease"

    def __init__(self, *, l2: float = 250.0, seed: int = 0) -> None:
        if l2 <= 0:
            raise InputError(f"ease needs l2 > 0, got {l2}")
        super().__init__(seed=seed, l2=l2)
        self.l2 = l2

    def _fit(self, data: Interactions, valid: IntArray | None) -> None:
        x = data.matrix()
        x.data[:] = 1.0
        gram = np.asarray((x.T @ x).todense(), dtype=np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        precision = np.linalg.inv(gram)
        weights = -precision / np.diag(precision)[None, :]
        np.fill_diagonal(weights, 0.0)
        self.weights = weights.astype(np.float32)


class RecencyEASE(EASE):
    """EASE whose input weights each item by how recently the person interacted with it.

    The item ``p`` places before the end of what the model reads weighs
    ``0.5 ** (p / half_life) + floor``. With validation data, ``fit`` picks half-life
    and floor from ``grid`` by validation NDCG@10 (tuning never sees the test split).
    """

    name = "ease-recency"
    reads_prefix = True

    HALF_LIVES = (1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0)
    FLOORS = (0.0, 0.02, 0.05, 0.1, 0.2)

    def __init__(
        self,
        *,
        l2: float = 250.0,
        half_life: float = 5.0,
        floor: float = 0.05,
        tune: bool = True,
        seed: int = 0,
    ) -> None:
        if half_life <= 0 or floor < 0:
            raise InputError("ease-recency needs half_life > 0 and floor >= 0")
        super().__init__(l2=l2, seed=seed)
        self.params.update(half_life=half_life, floor=floor, tune=tune)
        self.half_life, self.floor, self.tune = half_life, floor, tune

    def _fit(self, data: Interactions, valid: IntArray | None) -> None:
        super()._fit(data, valid)
        if valid is None or not self.tune:
            return
        users = np.flatnonzero(valid >= 0)
        best = (-1.0, self.half_life, self.floor)
        for half_life in self.HALF_LIVES:
            for floor in self.FLOORS:
                self.half_life, self.floor = half_life, floor
                report = rank_held_out(self.score_indices, data, data, valid, users)
                ndcg = report.metrics((10,))["ndcg@10"]
                best = max(best, (ndcg, half_life, floor))
        _, self.half_life, self.floor = best
        self.params.update(half_life=self.half_life, floor=self.floor, tune=False)

    def _input(self, users: IntArray, history: Interactions) -> sp.csr_matrix:
        rows, positions = history.positions(users)
        places_before_end = history.indptr[users[rows] + 1] - 1 - positions
        weight = 0.5 ** (places_before_end / self.half_life) + self.floor
        return _rows_over_items(rows, history.item[positions], weight, users, history)


def _rows_over_items(
    rows: IntArray,
    items: IntArray,
    values: npt.NDArray[np.floating],
    users: IntArray,
    history: Interactions,
) -> sp.csr_matrix:
    """A (people × items) input matrix; an item read twice sums its weights."""
    matrix = sp.coo_matrix(
        (values.astype(np.float32), (rows, items)), shape=(len(users), history.n_items)
    ).tocsr()
    matrix.sum_duplicates()
    return matrix
