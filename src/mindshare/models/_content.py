"""A content profile model: people are the recency-weighted mean of what they read.

Items are embedded from their text (title, genres, description) by the packaged
all-MiniLM-L6-v2 sentence model; a person's profile is a weighted mean of the vectors
of the items in their history, and an item scores its cosine similarity with the
profile plus a small popularity prior (Lops, de Gemmis & Semeraro 2011 survey
content-based recommenders; the prior is the usual hybrid remedy where text is thin).
"""

from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from mindshare.core import InputError
from mindshare.datasets import FloatArray, IntArray, Interactions
from mindshare.evaluation import rank_held_out
from mindshare.models._base import AttentionModel, cosine_to_all
from mindshare.models._text import embed_texts


class ContentModel(AttentionModel):
    """Scores items by the similarity of their text to a profile of what a person read.

    The interaction ``p`` places before the end of what the model reads weighs
    ``0.5 ** (p / half_life)``; with ``use_weight`` and attention weights in the data
    (``Interactions.weight``, e.g. attentive ms), it also weighs
    ``1 + log1p(weight / scale)``, ``scale`` being the median positive training
    weight, so that a zero-weight click still counts and long attention counts more,
    with diminishing returns. An item scores

        cosine(profile, item vector) + prior_weight * count / max count

    where item vectors are centred (see ``centred``) and counts are training
    interactions per item. An item without text has a zero vector: its similarity is
    0 for everyone (that of an average item, since vectors are centred), so its score
    comes from the prior alone, and it adds nothing to the profiles of the people who
    read it. A person whose history has no text at all gets the prior alone.

    With validation data, ``fit`` picks ``half_life`` and ``prior_weight`` from a grid
    by validation NDCG@10 (training history in, validation item out); the test split
    is never read. The defaults are what that tuning picks on MovieLens-100k. The
    item vectors are saved with the model, so a loaded model scores without the
    sentence model.

    Examples
    --------
    >>> model = ContentModel(half_life=3.0, prior_weight=0.1, tune=False)
    >>> model.params["prior_weight"]
    0.1
    """

    name = "content"
    reads_prefix = True  # a profile model: nothing per person is learned, history is read

    HALF_LIVES = (1.0, 3.0, 10.0, 30.0, 100.0, 1000.0)
    PRIOR_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)

    item_vectors_: FloatArray
    prior_: FloatArray
    weight_scale_: float

    def __init__(
        self,
        *,
        half_life: float = 3.0,
        prior_weight: float = 0.5,
        use_weight: bool = True,
        tune: bool = True,
        seed: int = 0,
    ) -> None:
        if not half_life > 0 or not prior_weight >= 0:
            raise InputError("content needs half_life > 0 and prior_weight >= 0")
        super().__init__(
            seed=seed,
            half_life=half_life,
            prior_weight=prior_weight,
            use_weight=use_weight,
            tune=tune,
        )
        self.half_life, self.prior_weight = half_life, prior_weight
        self.use_weight, self.tune = use_weight, tune

    def _fit(self, data: Interactions, valid: IntArray | None) -> None:
        texts = list(data.item_text) or [""] * data.n_items
        if len(texts) != data.n_items:
            raise InputError(f"{data.name!r} has item text for some but not all of its items")
        self.item_vectors_ = centred(embed_texts(texts))
        self.prior_ = _popularity_share(data.item_counts())
        positive = data.weight[data.weight > 0] if data.weight is not None else np.empty(0)
        self.weight_scale_ = float(np.median(positive)) if len(positive) else 0.0
        if valid is not None and self.tune:
            self._tune(data, valid)

    def _tune(self, data: Interactions, valid: IntArray) -> None:
        """Grid search on validation NDCG@10 (training history in, validation item out)."""
        users = np.flatnonzero(valid >= 0)
        if len(users) == 0:
            return
        best = (-1.0, self.half_life, self.prior_weight)
        for half_life in self.HALF_LIVES:
            for prior_weight in self.PRIOR_WEIGHTS:
                self.half_life, self.prior_weight = half_life, prior_weight
                report = rank_held_out(self.score_indices, data, data, valid, users)
                ndcg = report.metrics((10,))["ndcg@10"]
                # on a tie the earlier setting (shorter half-life, smaller prior) stays
                if ndcg > best[0]:
                    best = (ndcg, half_life, prior_weight)
        _, self.half_life, self.prior_weight = best
        self.params.update(half_life=self.half_life, prior_weight=self.prior_weight, tune=False)

    def _score(self, users: IntArray, history: Interactions) -> FloatArray:
        similarity = self._similarity(users, history, self.half_life)
        return similarity + np.float32(self.prior_weight) * self.prior_

    def _similarity(self, users: IntArray, history: Interactions, half_life: float) -> FloatArray:
        """Cosine similarity of each person's profile with every item (people × items)."""
        rows, positions = history.positions(users)
        places_before_end = history.indptr[users[rows] + 1] - 1 - positions
        weight = 0.5 ** (places_before_end / half_life)
        if self.use_weight and history.weight is not None and self.weight_scale_ > 0:
            weight = weight * (1.0 + np.log1p(history.weight[positions] / self.weight_scale_))
        reads = sp.csr_matrix(
            (weight.astype(np.float32), (rows, history.item[positions])),
            shape=(len(users), history.n_items),
        )
        profiles = np.asarray(reads @ self.item_vectors_, dtype=np.float32)
        norms = np.linalg.norm(profiles, axis=1, keepdims=True)
        profiles /= np.maximum(norms, np.float32(1e-12))
        return np.asarray(profiles @ self.item_vectors_.T, dtype=np.float32)

    def _item_similarity(self, rows: IntArray) -> FloatArray:
        """Cosine of the items' centred text vectors (an item without text: 0 to all)."""
        return cosine_to_all(self.item_vectors_, rows)

    def _state(self) -> dict[str, npt.NDArray[Any]]:
        return {
            "item_vectors": self.item_vectors_,
            "prior": self.prior_,
            "weight_scale": np.array([self.weight_scale_], np.float64),
        }

    def _restore(self, state: dict[str, npt.NDArray[Any]]) -> None:
        self.item_vectors_ = state["item_vectors"].astype(np.float32)
        self.prior_ = state["prior"].astype(np.float32)
        self.weight_scale_ = float(state["weight_scale"][0])


def centred(vectors: FloatArray) -> FloatArray:
    """Unit vectors with the catalogue's mean vector removed; zero rows stay zero.

    Sentence vectors share a common direction, so raw cosines of one catalogue crowd
    into a narrow band; removing the mean spreads them (Mu & Viswanath 2018,
    "All-but-the-Top"), which lets a strong text match stand out against the prior.
    """
    present = np.linalg.norm(vectors, axis=1) > 0
    out = np.zeros_like(vectors, dtype=np.float32)
    if present.any():
        shifted = vectors[present] - vectors[present].mean(axis=0)
        norms = np.linalg.norm(shifted, axis=1, keepdims=True)
        out[present] = shifted / np.maximum(norms, np.float32(1e-12))
    return out


def _popularity_share(counts: IntArray) -> FloatArray:
    """``count / max count``: 1 for the most read item, near 0 along the long tail.

    Linear rather than logarithmic on purpose: the prior lifts the head of the
    catalogue and leaves the order of the long tail, where cold items live, to text.
    """
    top = counts.max() if len(counts) else 0
    prior = counts / top if top > 0 else np.zeros(len(counts))
    return np.asarray(prior, dtype=np.float32)
