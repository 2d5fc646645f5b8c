"""Ranking metrics for one held-out item per person, over full-catalogue rankings.

A held-out item's rank is pessimistic: it ranks after every item with a higher score
*and* every other item with the same score, so constant scores earn nothing.
"""

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating]
IntArray = npt.NDArray[np.int64]


def pessimistic_rank(scores: FloatArray, targets: npt.ArrayLike) -> IntArray:
    """0-based rank of each row's target among that row's finite-or-not scores.

    Excluded items should carry ``-inf``; they then rank after the target unless
    the target itself is ``-inf``. ``scores`` is (people × items), ``targets`` one
    item index per row.
    """
    scores = np.asarray(scores)
    target = np.asarray(targets, dtype=np.int64)
    target_score = scores[np.arange(len(target)), target][:, None]
    higher = (scores > target_score).sum(axis=1)
    tied = (scores == target_score).sum(axis=1) - 1
    ranks: IntArray = (higher + tied).astype(np.int64)
    return ranks


def ndcg_at(ranks: IntArray, k: int) -> float:
    """Mean NDCG@k with one relevant item per person: 1/log2(rank + 2) inside the top k."""
    ranks = np.asarray(ranks)
    gains = np.where(ranks < k, 1.0 / np.log2(ranks + 2.0), 0.0)
    return float(gains.mean()) if len(ranks) else 0.0


def recall_at(ranks: IntArray, k: int) -> float:
    """Mean Recall@k (= hit rate with one relevant item per person)."""
    ranks = np.asarray(ranks)
    return float((ranks < k).mean()) if len(ranks) else 0.0


def mrr_at(ranks: IntArray, k: int) -> float:
    """Mean reciprocal rank, counting zero outside the top k."""
    ranks = np.asarray(ranks)
    return float(np.where(ranks < k, 1.0 / (ranks + 1.0), 0.0).mean()) if len(ranks) else 0.0


def top_k(scores: FloatArray, k: int) -> IntArray:
    """Each row's k best item indices, best first (ties by lower index)."""
    scores = np.asarray(scores)
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    rows = np.arange(scores.shape[0])[:, None]
    order = np.lexsort((part, -scores[rows, part]), axis=1)
    return part[rows, order].astype(np.int64)


def coverage(recommended: IntArray, n_items: int) -> float:
    """Share of the catalogue that appears in at least one recommendation list."""
    if n_items == 0:
        return 0.0
    return float(len(np.unique(np.asarray(recommended))) / n_items)


def gini(values: npt.ArrayLike) -> float:
    """Gini coefficient of non-negative values: 0 equal, → 1 all on one."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    index = np.arange(1, n + 1)
    value = (2.0 * (index * x).sum()) / (n * x.sum()) - (n + 1.0) / n
    return float(min(max(value, 0.0), 1.0))  # clip float rounding just outside [0, 1]


def exposure_gini(recommended: IntArray, n_items: int) -> float:
    """Gini of how often each catalogue item is recommended (items never shown count as 0)."""
    counts = np.bincount(np.asarray(recommended).ravel(), minlength=n_items)
    return gini(counts)
