"""Matrix factorisation through the ``implicit`` library: ALS and BPR.

Both learn a vector per person from training interactions, so, as in RecBole, they
score from training only (``reads_prefix`` is false).
"""

from typing import Any

import numpy as np
import numpy.typing as npt
from implicit.cpu.als import AlternatingLeastSquares
from implicit.cpu.bpr import BayesianPersonalizedRanking
from threadpoolctl import threadpool_limits

from mindshare.core import InputError
from mindshare.datasets import FloatArray, IntArray, Interactions
from mindshare.models._base import AttentionModel, cosine_to_all


class _Factorization(AttentionModel):
    """Scores are dot products of learned person and item factors."""

    user_factors: FloatArray
    item_factors: FloatArray

    def _score(self, users: IntArray, history: Interactions) -> FloatArray:
        return np.asarray(self.user_factors[users] @ self.item_factors.T, dtype=np.float32)

    def _item_similarity(self, rows: IntArray) -> FloatArray:
        """Cosine of the items' learned factors."""
        return cosine_to_all(self._item_embedding(), rows)

    def _item_embedding(self) -> FloatArray:
        """What represents an item: its factors."""
        return self.item_factors

    def _state(self) -> dict[str, npt.NDArray[Any]]:
        return {"user_factors": self.user_factors, "item_factors": self.item_factors}

    def _restore(self, state: dict[str, npt.NDArray[Any]]) -> None:
        self.user_factors = state["user_factors"]
        self.item_factors = state["item_factors"]


class ALS(_Factorization):
    """Implicit-feedback ALS (Hu, Koren & Volinsky 2008), confidence 1 + alpha per interaction."""

    name = "als"

    def __init__(
        self,
        *,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 2.0,
        iterations: int = 15,
        seed: int = 0,
    ) -> None:
        if factors < 1 or iterations < 1 or regularization < 0 or alpha <= 0:
            raise InputError("als needs factors, iterations >= 1, regularization >= 0, alpha > 0")
        super().__init__(
            seed=seed,
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=iterations,
        )

    def _fit(self, data: Interactions, valid: IntArray | None) -> None:
        matrix = data.matrix()
        matrix.data[:] = 1.0
        with threadpool_limits(1, "blas"):  # implicit's own threads; BLAS threads fight them
            model = AlternatingLeastSquares(
                factors=self.params["factors"],
                regularization=self.params["regularization"],
                alpha=self.params["alpha"],
                iterations=self.params["iterations"],
                random_state=self.seed,
            )
            model.fit(matrix, show_progress=False)
        self.user_factors = np.asarray(model.user_factors, np.float32)
        self.item_factors = np.asarray(model.item_factors, np.float32)


class BPR(_Factorization):
    """Bayesian Personalized Ranking (Rendle et al. 2009) by SGD over sampled triples.

    Defaults chosen on MovieLens-100k validation NDCG@10 (more epochs overfit there).
    """

    name = "bpr"

    def __init__(
        self,
        *,
        factors: int = 128,
        learning_rate: float = 0.02,
        regularization: float = 0.01,
        iterations: int = 60,
        seed: int = 0,
    ) -> None:
        if factors < 1 or iterations < 1 or learning_rate <= 0 or regularization < 0:
            raise InputError("bpr needs factors, iterations >= 1, learning_rate > 0, reg >= 0")
        super().__init__(
            seed=seed,
            factors=factors,
            learning_rate=learning_rate,
            regularization=regularization,
            iterations=iterations,
        )

    def _fit(self, data: Interactions, valid: IntArray | None) -> None:
        model = BayesianPersonalizedRanking(
            factors=self.params["factors"],
            learning_rate=self.params["learning_rate"],
            regularization=self.params["regularization"],
            iterations=self.params["iterations"],
            random_state=self.seed,
            num_threads=1,  # one thread: the same seed gives the same model
        )
        matrix = data.matrix()
        matrix.data[:] = 1.0
        model.fit(matrix, show_progress=False)
        self.user_factors = np.asarray(model.user_factors, np.float32)
        self.item_factors = np.asarray(model.item_factors, np.float32)

    def _item_embedding(self) -> FloatArray:
        """The factors without their last column: ``implicit`` keeps each item's bias there
        (the people's last column is 1), and a bias is popularity, not likeness."""
        return self.item_factors[:, :-1]
