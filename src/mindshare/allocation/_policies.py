"""Per-request ranking policies: pure functions from candidate scores to a slate.

A policy takes ``Candidates`` and a slot count and returns a ``Slate``. Rankers
(``greedy``, ``mmr``) order candidates by their score; wrappers (``explore``,
``fair_exposure``) add a named part to every candidate's score before calling the
policy they wrap, and ``minimum_share`` and ``within_budget`` re-order or cut the
slate it returns. Every part that moved a candidate is kept on the slate, so each
slot can say why it went where it went.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from mindshare.allocation._exposure import position_exposure
from mindshare.core import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Candidates:
    """The items one request may show, with what is known about each.

    ``attention`` is the predicted attention of each candidate (any scale where more is
    better, e.g. expected attentive seconds); ``creator`` is the group each belongs to
    (a creator, or a group of creators) for fair exposure. The optional arrays feed
    the policies that need them; ``adjustments`` are score parts added by wrappers.
    """

    attention: FloatArray
    creator: IntArray
    embedding: FloatArray | None = None
    """Row vectors for diversity (MMR uses their cosine similarity)."""
    impressions: FloatArray | None = None
    """How often each candidate was shown before; exploration favours the rarely shown."""
    protected: BoolArray | None = None
    """Members of a group with a guaranteed share (e.g. new creators)."""
    dwell_ms: FloatArray | None = None
    """Expected attentive milliseconds if shown in the first slot (for budgets)."""
    adjustments: Mapping[str, FloatArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        attention = np.asarray(self.attention, dtype=np.float64)
        object.__setattr__(self, "attention", attention)
        object.__setattr__(self, "creator", np.asarray(self.creator, dtype=np.int64))
        if attention.ndim != 1:
            raise InputError(f"attention must be 1-D, got shape {attention.shape}")
        _require_finite("attention", attention)
        n = len(attention)
        _require_length("creator", self.creator, n)
        for name in ("embedding", "impressions", "dwell_ms"):
            value = getattr(self, name)
            if value is not None:
                value = np.asarray(value, dtype=np.float64)
                object.__setattr__(self, name, value)
                _require_length(name, value, n)
                _require_finite(name, value)
        for name in ("impressions", "dwell_ms"):
            value = getattr(self, name)
            if value is not None and (value < 0).any():
                bad = int(np.flatnonzero(value < 0)[0])
                raise InputError(f"{name}[{bad}] is {value[bad]}; it must not be negative")
        if self.protected is not None:
            protected = np.asarray(self.protected, dtype=bool)
            object.__setattr__(self, "protected", protected)
            _require_length("protected", protected, n)

    def __len__(self) -> int:
        return len(self.attention)

    def score(self) -> FloatArray:
        """Predicted attention plus every adjustment the wrappers made."""
        total = self.attention.copy()
        for part in self.adjustments.values():
            total += part
        return total

    def adjusted(self, part: str, values: FloatArray) -> "Candidates":
        """These candidates with ``values`` added to their score as the part named ``part``."""
        values = np.asarray(values, dtype=np.float64)
        _require_length(part, values, len(self))
        _require_finite(part, values)
        previous = self.adjustments.get(part)
        merged = values if previous is None else previous + values
        return replace(self, adjustments={**self.adjustments, part: merged})


@dataclass(frozen=True)
class Slate:
    """The ordered candidates a policy chose, with the parts of each one's score.

    ``order[k]`` is the candidate index in slot ``k + 1``. ``parts`` maps a part name
    ("attention", "exploration", "fairness", "diversity", ...) to its value for each
    chosen candidate, aligned with ``order``. ``notes`` records documented fallbacks.
    """

    order: IntArray
    parts: Mapping[str, FloatArray]
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.order)

    def total(self) -> FloatArray:
        """The score each chosen candidate was ranked by (the sum of its parts)."""
        total = np.zeros(len(self.order))
        for part in self.parts.values():
            total += part
        return total

    def taking(self, positions: IntArray, note: str | None = None) -> "Slate":
        """The slate with only the slots at ``positions`` (in that order)."""
        notes = self.notes if note is None else (*self.notes, note)
        return Slate(
            order=self.order[positions],
            parts={name: values[positions] for name, values in self.parts.items()},
            notes=notes,
        )


Policy = Callable[[Candidates, int], Slate]


def _slate(candidates: Candidates, order: IntArray, extra: Mapping[str, FloatArray]) -> Slate:
    parts = {"attention": candidates.attention[order]}
    parts.update({name: values[order] for name, values in candidates.adjustments.items()})
    parts.update(extra)
    return Slate(order=order, parts=parts)


def _check_slots(candidates: Candidates, k: int) -> int:
    """The number of slots that can be filled: ``k``, or fewer when candidates run out."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise InputError(f"the number of slots must be a whole number ≥ 0, got {k!r}")
    return min(int(k), len(candidates))


def greedy() -> Policy:
    """Rank by score (predicted attention plus adjustments), best first; ties by index."""

    def rank_greedy(candidates: Candidates, k: int) -> Slate:
        n = _check_slots(candidates, k)
        order = np.lexsort((np.arange(len(candidates)), -candidates.score()))[:n]
        return _slate(candidates, order.astype(np.int64), {})

    return rank_greedy


def mmr(trade_off: float = 0.7) -> Policy:
    """Maximal marginal relevance (Carbonell & Goldstein 1998): diversity by re-ranking.

    Each slot takes the candidate maximising ``trade_off × score - (1 - trade_off) ×
    max similarity to the candidates already chosen``; the slate records the
    diversity penalty ``-(1 - trade_off)/trade_off × similarity`` in score units, so
    the parts still add up to the ranking criterion divided by ``trade_off``.
    Without embeddings it is greedy.
    """
    if not 0.0 < trade_off <= 1.0:
        raise InputError(f"mmr trade_off must lie in (0, 1], got {trade_off}")

    def rank_mmr(candidates: Candidates, k: int) -> Slate:
        n = _check_slots(candidates, k)
        score = candidates.score()
        if candidates.embedding is None or n == 0:
            order = np.lexsort((np.arange(len(candidates)), -score))[:n].astype(np.int64)
            return _slate(candidates, order, {"diversity": np.zeros(n)})
        vectors = candidates.embedding.reshape(len(candidates), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit = vectors / np.where(norms > 0, norms, 1.0)
        closest = np.full(len(candidates), -np.inf)
        available = np.ones(len(candidates), dtype=bool)
        order = np.empty(n, dtype=np.int64)
        penalty = np.zeros(n)
        scale = (1.0 - trade_off) / trade_off
        for slot in range(n):
            redundancy = np.where(np.isfinite(closest), closest, 0.0)
            value = np.where(available, score - scale * redundancy, -np.inf)
            chosen = int(np.argmax(value))
            order[slot] = chosen
            penalty[slot] = -scale * redundancy[chosen]
            available[chosen] = False
            closest = np.maximum(closest, unit @ unit[chosen])
        return _slate(candidates, order, {"diversity": penalty})

    return rank_mmr


def explore(
    policy: Policy,
    *,
    method: Literal["ucb", "thompson"] = "thompson",
    strength: float = 1.0,
    rng: np.random.Generator | None = None,
) -> Policy:
    """Give rarely shown candidates (new items, new creators) a chance to prove themselves.

    The predicted attention of a candidate shown ``n`` times is treated as uncertain
    with a standard deviation of ``strength × scale / sqrt(1 + n)``, where ``scale`` is
    the spread of the request's predicted attention. UCB adds two such deviations
    (optimism in the face of uncertainty); Thompson sampling adds one random draw, so
    a new candidate sometimes ranks high and sometimes not. The bonus is recorded as
    the "exploration" part.
    """
    if strength < 0:
        raise InputError(f"exploration strength must not be negative, got {strength}")
    if method not in ("ucb", "thompson"):
        raise InputError(f"exploration method must be 'ucb' or 'thompson', got {method!r}")
    generator = rng if rng is not None else np.random.default_rng()

    def rank_exploring(candidates: Candidates, k: int) -> Slate:
        if len(candidates) == 0:
            return policy(candidates, k)
        shown = candidates.impressions
        if shown is None:
            shown = np.zeros(len(candidates))
        scale = float(np.std(candidates.attention)) or 1.0
        deviation = strength * scale / np.sqrt(1.0 + shown)
        if method == "ucb":
            bonus = 2.0 * deviation
        else:
            bonus = deviation * generator.standard_normal(len(candidates))
        return policy(candidates.adjusted("exploration", bonus), k)

    return rank_exploring


@dataclass(frozen=True, slots=True)
class ExposureState:
    """Cumulative exposure and merit of each creator group, for amortized fairness.

    ``merit`` sums each group's predicted attention over the requests where it was a
    candidate; ``exposure`` sums the position weights of the slots it got. The
    controller drives ``exposure / merit`` to be equal across groups.
    """

    exposure: FloatArray
    merit: FloatArray
    requests: int = 0

    @classmethod
    def empty(cls, n_groups: int) -> "ExposureState":
        """No request served yet."""
        return cls(exposure=np.zeros(n_groups), merit=np.zeros(n_groups), requests=0)

    def disparity_gap(self) -> FloatArray:
        """How far each group's exposure per merit lags the best-treated group's (≥ 0)."""
        ratio = np.divide(
            self.exposure, self.merit, out=np.zeros_like(self.exposure), where=self.merit > 0
        )
        has_merit = self.merit > 0
        if not has_merit.any():
            return np.zeros_like(self.exposure)
        gap = ratio[has_merit].max() - ratio
        return np.where(has_merit, gap, 0.0)

    def after(self, candidates: Candidates, slate: Slate, weights: FloatArray) -> "ExposureState":
        """The state once ``slate`` was served to a request with these candidates."""
        n_groups = len(self.exposure)
        if len(candidates) and candidates.creator.max() >= n_groups:
            raise InputError(
                f"candidate creator group {int(candidates.creator.max())} is outside the "
                f"{n_groups} groups this exposure state tracks"
            )
        merit = np.bincount(
            candidates.creator, weights=np.maximum(candidates.attention, 0.0), minlength=n_groups
        )
        shown = candidates.creator[slate.order]
        exposure = np.bincount(shown, weights=weights[: len(slate)], minlength=n_groups)
        return ExposureState(
            exposure=self.exposure + exposure,
            merit=self.merit + merit,
            requests=self.requests + 1,
        )


def fair_exposure(policy: Policy, state: ExposureState, strength: float = 1.0) -> Policy:
    """FairCo (Morik et al., SIGIR 2020): steer each group's exposure toward its merit.

    Every candidate's score gains ``strength × requests × gap`` where ``gap`` is how far
    its group's cumulative exposure per unit of merit lags the best-treated group's.
    The error term grows with the number of requests served, so any disparity that
    persists is eventually corrected, while a young state barely moves the ranking.
    Recorded as the "fairness" part; ``state`` is the history this request sees.
    """
    if strength < 0:
        raise InputError(f"fairness strength must not be negative, got {strength}")
    gap = state.disparity_gap()

    def rank_fairly(candidates: Candidates, k: int) -> Slate:
        if len(candidates) and candidates.creator.max() >= len(gap):
            raise InputError(
                f"candidate creator group {int(candidates.creator.max())} is outside the "
                f"{len(gap)} groups the exposure state tracks"
            )
        boost = strength * state.requests * gap[candidates.creator]
        return policy(candidates.adjusted("fairness", boost), k)

    return rank_fairly


def minimum_share_table(k: int, share: float, alpha: float = 0.1) -> IntArray:
    """FA*IR's table: the fewest protected candidates each prefix of length 1..k must hold.

    Prefix ``i`` needs ``m(i) = F⁻¹(alpha; i, share)``, the inverse binomial CDF: the
    smallest count that a fair coin-flip ranking (each slot protected with probability
    ``share``) reaches with probability at least ``alpha``. Fewer would fail a one-sided
    test at level ``alpha``. The multiple-testing correction of the paper is not
    applied, so the whole ranking's failure probability is above ``alpha``.
    """
    if not 0.0 <= share <= 1.0:
        raise InputError(f"the protected share must lie in [0, 1], got {share}")
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must lie in (0, 1), got {alpha}")
    from scipy.stats import binom  # deferred: scipy.stats costs ~1 s at import

    prefixes = np.arange(1, k + 1)
    return np.asarray(binom.ppf(alpha, prefixes, share), dtype=np.int64)


def minimum_share(policy: Policy, *, share: float, alpha: float = 0.1) -> Policy:
    """FA*IR (Zehlike et al., CIKM 2017): a guaranteed share of protected candidates.

    Ranks the wrapped policy's full ordering so that every prefix holds at least the
    table's number of protected candidates (``minimum_share_table``), keeping each
    group's own order. When too few protected candidates exist, the rest of the slate
    is filled by score and the shortfall is noted on the slate (a documented fallback).
    """
    minimum_share_table(1, share, alpha)  # validates share and alpha

    def rank_with_share(candidates: Candidates, k: int) -> Slate:
        n = _check_slots(candidates, k)
        if candidates.protected is None:
            raise InputError("minimum_share needs candidates with a `protected` flag")
        full = policy(candidates, len(candidates))
        protected = candidates.protected[full.order]
        required = minimum_share_table(n, share, alpha)
        queues = [np.flatnonzero(~protected).tolist(), np.flatnonzero(protected).tolist()]
        chosen: list[int] = []
        have = 0
        shortfall = 0
        for prefix in range(n):
            need_protected = have < required[prefix]
            if need_protected and not queues[1]:
                shortfall = max(shortfall, int(required[prefix]) - have)
                need_protected = False
            if need_protected:
                take = queues[1].pop(0)
            elif not queues[1] or (queues[0] and queues[0][0] < queues[1][0]):
                take = queues[0].pop(0)
            else:
                take = queues[1].pop(0)
            have += int(protected[take])
            chosen.append(take)
        note = None
        if shortfall:
            note = (
                f"minimum share not met: {shortfall} more protected candidate(s) were "
                "needed than were available"
            )
        return full.taking(np.asarray(chosen, dtype=np.int64), note)

    return rank_with_share


def within_budget(policy: Policy, remaining_ms: float) -> Policy:
    """Cut the slate where its expected attention would exceed the person's remaining budget.

    Slot ``k`` is expected to take ``dwell_ms × position_exposure(k)``; slots are kept
    while the running total stays within ``remaining_ms``. A spent budget gives an
    empty slate (a documented fallback, noted on the slate); without ``dwell_ms`` the
    slate is left whole.
    """
    if not np.isfinite(remaining_ms):
        raise InputError(f"the remaining attention budget must be finite, got {remaining_ms}")

    def rank_within_budget(candidates: Candidates, k: int) -> Slate:
        slate = policy(candidates, k)
        if candidates.dwell_ms is None:
            return slate
        if remaining_ms <= 0:
            return slate.taking(
                np.zeros(0, dtype=np.int64), "attention budget spent: no slots served"
            )
        expected = candidates.dwell_ms[slate.order] * position_exposure(len(slate))
        fits = int(np.searchsorted(np.cumsum(expected), remaining_ms, side="right"))
        if fits == len(slate):
            return slate
        return slate.taking(
            np.arange(fits, dtype=np.int64),
            f"attention budget: {fits} of {len(slate)} slots fit in {remaining_ms:,.0f} ms",
        )

    return rank_within_budget


def _require_length(name: str, values: npt.NDArray[np.generic], n: int) -> None:
    if len(values) != n:
        raise InputError(f"{name} has {len(values)} entries for {n} candidates")


def _require_finite(name: str, values: FloatArray) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        index = np.unravel_index(int(np.flatnonzero(bad.ravel())[0]), values.shape)
        where = ",".join(str(int(i)) for i in index)
        raise InputError(f"{name}[{where}] is {values[index]}; scores must be finite numbers")
