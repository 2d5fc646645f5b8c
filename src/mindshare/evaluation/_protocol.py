"""The evaluation protocol: full ranking, seen items excluded, pessimistic ties.

Validation ranks each person's validation item, reading and excluding training items.
Test ranks the test item with training *and* validation items excluded; a model that
``reads_prefix`` (a sequence model) reads training and validation as its input, any
other model reads training only, as in RecBole.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from mindshare.core import InputError
from mindshare.datasets import FloatArray, IntArray, Interactions
from mindshare.evaluation._metrics import (
    coverage,
    exposure_gini,
    mrr_at,
    ndcg_at,
    pessimistic_rank,
    recall_at,
    top_k,
)
from mindshare.evaluation._split import NO_ITEM, Split

Phase = Literal["valid", "test"]
#: People scored at once: bounds memory at batch × catalogue floats.
BATCH_USERS = 1024


class Scorer(Protocol):
    """What the protocol needs of a model: full-catalogue scores for person indices."""

    @property
    def reads_prefix(self) -> bool:
        """Whether test-time input is training plus validation (sequence models)."""
        ...

    def score_indices(
        self, users: npt.ArrayLike, history: Interactions | None = None
    ) -> FloatArray: ...


@dataclass(frozen=True)
class RankingReport:
    """Metrics of one model on one phase, and the per-person ranks behind them."""

    phase: Phase
    users: IntArray
    ranks: IntArray
    recommended: IntArray = field(repr=False)
    n_items: int

    def metrics(self, ks: tuple[int, ...] = (10, 20)) -> dict[str, float]:
        """NDCG, Recall at each k, MRR@10, coverage@10 and exposure Gini@10."""
        out: dict[str, float] = {}
        for k in ks:
            out[f"ndcg@{k}"] = ndcg_at(self.ranks, k)
            out[f"recall@{k}"] = recall_at(self.ranks, k)
        out["mrr@10"] = mrr_at(self.ranks, 10)
        top10 = self.recommended[:, :10]
        out["coverage@10"] = coverage(top10, self.n_items)
        out["gini@10"] = exposure_gini(top10, self.n_items)
        out["users"] = float(len(self.users))
        return out

    def restricted(self, keep: npt.NDArray[np.bool_]) -> "RankingReport":
        """The same report over a slice of its people (for example cold-start items)."""
        return RankingReport(
            self.phase, self.users[keep], self.ranks[keep], self.recommended[keep], self.n_items
        )


def evaluate_ranking(
    model: Scorer,
    split: Split,
    phase: Phase = "test",
    *,
    users: npt.ArrayLike | None = None,
    list_length: int = 20,
) -> RankingReport:
    """Rank each person's held-out item of ``phase`` over the full catalogue."""
    if phase == "valid":
        history, exclude, targets = split.train, split.train, split.valid
    elif phase == "test":
        history = split.prefix if model.reads_prefix else split.train
        exclude, targets = split.prefix, split.test
    else:
        raise InputError(f"phase must be 'valid' or 'test', got {phase!r}")
    chosen = np.flatnonzero(targets != NO_ITEM) if users is None else np.asarray(users, np.int64)
    return rank_held_out(
        model.score_indices, history, exclude, targets, chosen, phase=phase, list_length=list_length
    )


def rank_held_out(
    score: Callable[[IntArray, Interactions], FloatArray],
    history: Interactions,
    exclude: Interactions,
    targets: IntArray,
    users: IntArray,
    *,
    phase: Phase = "valid",
    list_length: int = 20,
) -> RankingReport:
    """Pessimistic ranks of ``targets[users]`` with each person's ``exclude`` items removed.

    The held-out item itself is never excluded, so a repeat interaction can be predicted.
    Models use this for early stopping and tuning on validation, the protocol for test.
    """
    users = np.asarray(users, np.int64)
    if (targets[users] == NO_ITEM).any():
        raise InputError("every evaluated person needs a held-out item")
    ranks = np.empty(len(users), np.int64)
    recommended = np.empty((len(users), min(list_length, history.n_items)), np.int64)
    for start in range(0, len(users), BATCH_USERS):
        batch = users[start : start + BATCH_USERS]
        scores = np.array(score(batch, history), dtype=np.float64)
        target, row = targets[batch], np.arange(len(batch))
        target_scores = scores[row, target].copy()
        scores[_seen(exclude, batch)] = -np.inf
        scores[row, target] = target_scores
        ranks[start : start + len(batch)] = pessimistic_rank(scores, target)
        recommended[start : start + len(batch)] = top_k(scores, recommended.shape[1])
    return RankingReport(
        phase=phase, users=users, ranks=ranks, recommended=recommended, n_items=history.n_items
    )


def _seen(data: Interactions, users: IntArray) -> tuple[IntArray, IntArray]:
    """(row in batch, item) pairs of the batch's interactions in ``data``."""
    rows, positions = data.positions(users)
    return rows, data.item[positions]
