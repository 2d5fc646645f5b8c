"""A weighted blend of attention models, its weights chosen on validation.

Members disagree in scale (EASE regression outputs, SASRec logits, cosine similarities),
so each member's scores are standardised per person before blending: minus the mean,
over the standard deviation, both taken over the items that person is ranked on (the
ones not already in what the model reads). The blend is the weighted sum of the
standardised scores, with weights on a grid over the simplex picked by validation
NDCG@10 (score-level fusion of recommenders, as surveyed by Burke 2002, "Hybrid
Recommender Systems"; per-query score normalisation as in Montague & Aslam 2001).
"""

from collections.abc import Iterator, Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt

from mindshare.core import InputError
from mindshare.datasets import FloatArray, IntArray, Interactions
from mindshare.evaluation import ndcg_at, pessimistic_rank
from mindshare.models._base import AttentionModel
from mindshare.models._catalog import create_model, model_class

#: Validation people standardised and ranked at once (bounds memory at batch × catalogue).
TUNE_BATCH = 1024


class Ensemble(AttentionModel):
    """Blends member models' per-person standardised scores with validation-tuned weights.

    Parameters
    ----------
    members:
        Names of the member models (each at most once; no nested ensembles). The
        default pairs a recency-weighted item regression and a sequence model, which
        read a history differently, with ALS's person vectors; on MovieLens-100k
        validation each member adds to the blend.
    member_params:
        Hyperparameters per member name; members not named get their defaults.
    weights:
        One non-negative weight per member, used when ``fit`` has no validation data
        or ``tune`` is false; equal weights when None.
    grid_step:
        Resolution of the weight grid over the simplex that tuning searches.
    tune:
        Pick the weights on validation NDCG@10 when ``fit`` is given validation items.

    After a fit with validation, ``params`` hold each member's tuned hyperparameters
    (SASRec's best epoch count, EASE's chosen recency) and the chosen weights with
    ``tune`` off, so a refit on all data (``engine.train_model``) repeats the choice
    without validation. Members read the same history the ensemble is given; a member
    that learns a vector per person (ALS) ignores it.

    Examples
    --------
    >>> blend = Ensemble(members=["ease-recency", "itemknn"], weights=[0.7, 0.3], tune=False)
    >>> blend.params["members"], blend.params["weights"]
    (['ease-recency', 'itemknn'], [0.7, 0.3])
    """

    name = "ensemble"
    reads_prefix = True

    members_: list[AttentionModel]
    #: Validation NDCG@10 of every weight vector tried, best first (empty when untuned).
    tuning_: list[tuple[float, tuple[float, ...]]]

    def __init__(
        self,
        *,
        members: Sequence[str] = ("ease-recency", "sasrec", "als"),
        member_params: Mapping[str, Mapping[str, Any]] | None = None,
        weights: Sequence[float] | None = None,
        grid_step: float = 0.05,
        tune: bool = True,
        seed: int = 0,
    ) -> None:
        names = list(members)
        chosen = {name: dict(p) for name, p in (member_params or {}).items()}
        _check_members(names, chosen, weights, grid_step)
        super().__init__(
            seed=seed,
            members=names,
            member_params=chosen,
            weights=None if weights is None else [float(w) for w in weights],
            grid_step=grid_step,
            tune=tune,
        )
        self.member_names = names
        self.member_params = chosen
        self.weights = (
            [1.0 / len(names)] * len(names) if weights is None else [float(w) for w in weights]
        )
        self.grid_step, self.tune = grid_step, tune
        self.tuning_ = []

    def _fit(self, data: Interactions, valid: IntArray | None) -> None:
        self.members_ = []
        for name in self.member_names:
            member = create_model(name, seed=self.seed, **self.member_params.get(name, {}))
            self.members_.append(member.fit(data, valid=valid))
            self.member_params[name] = {k: v for k, v in member.params.items() if k != "seed"}
        self.params["member_params"] = self.member_params
        if valid is not None and self.tune and len(self.members_) > 1:
            users = np.flatnonzero(valid >= 0)
            if len(users):
                self._tune_weights(data, valid, users)
                self.params.update(weights=self.weights, tune=False)

    def _tune_weights(self, data: Interactions, valid: IntArray, users: IntArray) -> None:
        """Pick the grid weights with the best validation NDCG@10 (ties: the first found)."""
        grid = list(simplex_grid(len(self.members_), self.grid_step))
        gains = np.zeros(len(grid))
        for start in range(0, len(users), TUNE_BATCH):
            batch = users[start : start + TUNE_BATCH]
            unread = _unread(batch, data)
            standardised = [
                standardise_per_person(m.score_indices(batch, data), unread) for m in self.members_
            ]
            targets = valid[batch]
            for index, weights in enumerate(grid):
                blended = _weighted_sum(standardised, weights)
                target_scores = blended[np.arange(len(batch)), targets].copy()
                blended[~unread] = -np.inf
                blended[np.arange(len(batch)), targets] = target_scores
                gains[index] += ndcg_at(pessimistic_rank(blended, targets), 10) * len(batch)
        gains /= len(users)
        order = sorted(range(len(grid)), key=lambda i: -gains[i])  # stable: ties keep grid order
        self.tuning_ = [(float(gains[i]), grid[i]) for i in order]
        self.weights = [round(w, 6) for w in grid[order[0]]]

    def _score(self, users: IntArray, history: Interactions) -> FloatArray:
        unread = _unread(users, history)
        used = [(w, m) for w, m in zip(self.weights, self.members_, strict=True) if w > 0]
        return _weighted_sum(
            [standardise_per_person(m.score_indices(users, history), unread) for _, m in used],
            tuple(w for w, _ in used),
        )

    def _item_similarity(self, rows: IntArray) -> FloatArray:
        """Members' similarities standardised per item (itself left out), blended by weight."""
        others = np.ones((len(rows), self.data.n_items), bool)
        others[np.arange(len(rows)), rows] = False
        used = [(w, m) for w, m in zip(self.weights, self.members_, strict=True) if w > 0]
        return _weighted_sum(
            [standardise_per_person(m._item_similarity(rows), others) for _, m in used],
            tuple(w for w, _ in used),
        )

    def _state(self) -> dict[str, npt.NDArray[Any]]:
        # Members share the ensemble's training data, saved once by the base class.
        return {
            f"member{index}.{key}": value
            for index, member in enumerate(self.members_)
            for key, value in member._state().items()
        }

    def _restore(self, state: dict[str, npt.NDArray[Any]]) -> None:
        self.members_ = []
        for index, name in enumerate(self.member_names):
            saved = self.member_params.get(name, {})
            older = model_class(name).defaults_for_older_artifacts
            member = create_model(name, seed=self.seed, **(older | saved))
            member._data, member._popularity = self.data, self._popularity
            prefix = f"member{index}."
            member._restore(
                {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}
            )
            self.members_.append(member)


def standardise_per_person(
    scores: npt.NDArray[np.floating], ranked: npt.NDArray[np.bool_]
) -> FloatArray:
    """Each row's scores as z-scores over the items that row ranks (``ranked`` true).

    A row ranking fewer than two items is standardised over all items; a row whose
    ranked scores are all equal is only centred.

    Examples
    --------
    >>> ranked = np.array([[1, 1, 1, 0]], bool)  # 9.0 is not ranked: out of mean and spread
    >>> standardise_per_person(np.array([[1.0, 2.0, 3.0, 9.0]]), ranked).round(4)
    array([[-1.2247,  0.    ,  1.2247,  8.5732]], dtype=float32)
    """
    values = np.asarray(scores, np.float64)
    mask = np.asarray(ranked, bool).copy()
    mask[mask.sum(axis=1) < 2] = True
    count = mask.sum(axis=1, keepdims=True)
    mean = np.where(mask, values, 0.0).sum(axis=1, keepdims=True) / count
    spread = np.sqrt(np.where(mask, (values - mean) ** 2, 0.0).sum(axis=1, keepdims=True) / count)
    standardised: FloatArray = ((values - mean) / np.where(spread > 0, spread, 1.0)).astype(
        np.float32
    )
    return standardised


def simplex_grid(size: int, step: float) -> Iterator[tuple[float, ...]]:
    """Every weight vector of ``size`` non-negative multiples of ``step`` summing to one.

    Examples
    --------
    >>> list(simplex_grid(2, 0.5))
    [(0.0, 1.0), (0.5, 0.5), (1.0, 0.0)]
    """
    parts = round(1 / step)
    # stars and bars: choose where the size - 1 bars fall among parts + size - 1 slots
    for bars in combinations(range(parts + size - 1), size - 1):
        edges = (-1, *bars, parts + size - 1)
        yield tuple((edges[i + 1] - edges[i] - 1) / parts for i in range(size))


def _weighted_sum(standardised: list[FloatArray], weights: Sequence[float]) -> FloatArray:
    total = np.zeros_like(standardised[0])
    for weight, scores in zip(weights, standardised, strict=True):
        if weight > 0:
            total += np.float32(weight) * scores
    return total


def _unread(users: IntArray, history: Interactions) -> npt.NDArray[np.bool_]:
    """(people × items): true where the item is not in the person's history."""
    rows, positions = history.positions(users)
    unread = np.ones((len(users), history.n_items), bool)
    unread[rows, history.item[positions]] = False
    return unread


def _check_members(
    names: list[str],
    member_params: dict[str, dict[str, Any]],
    weights: Sequence[float] | None,
    grid_step: float,
) -> None:
    if not names:
        raise InputError("ensemble needs at least one member")
    if len(set(names)) != len(names):
        raise InputError(f"ensemble members must be distinct, got {names}")
    for name in names:
        if issubclass(model_class(name), Ensemble):
            raise InputError("an ensemble cannot be a member of an ensemble")
    strangers = sorted(set(member_params) - set(names))
    if strangers:
        raise InputError(f"member_params names models that are not members: {strangers}")
    if weights is not None and (
        len(weights) != len(names) or min(weights) < 0 or sum(weights) <= 0
    ):
        raise InputError("ensemble weights need one non-negative weight per member, not all 0")
    parts = 1 / grid_step if grid_step > 0 else 0.0
    if not 0 < grid_step <= 1 or abs(parts - round(parts)) > 1e-9:
        raise InputError(f"ensemble grid_step must divide 1, got {grid_step}")
