"""Market clearing by entropic optimal transport: log-domain Sinkhorn with box constraints.

The fractional problem, over candidate edges ``e = (u, i)`` with ``x_e`` in ``[0, 1]``,

    maximise  sum_e v_e x_e  -  eps * sum_e x_e (log x_e - 1)
    s.t.      sum_{e in u} x_e <= K_u,   sum_{e in i} x_e <= cap_i,
              min_g <= sum_{e in g} x_e <= cap_g,

has the solution ``x_e = min(1, exp((v_e - a_u - b_i - c_g) / eps))`` for duals
``a, b >= 0`` and ``c`` free. Sinkhorn's iteration (Cuturi 2013), in its log-domain,
inequality-constrained form (Bregman projections, Benamou et al. 2015), sets one block
of duals at a time so that its constraints hold exactly given the others: first the
people, then the items and their groups together (an item's price is
``max(level_i, c_g)``, where ``level_i`` alone would meet its capacity). With the box
``x <= 1`` folded in, a block update solves ``sum_e min(1, w_e t) = bound`` per
constraint for ``t = exp(-dual / eps)``; the sum is concave and piecewise linear in
``t``, so Newton's method from the left converges monotonically, in finitely many steps,
and from the right lands on the left in one.

``eps`` is annealed from coarse to fine with warm-started duals (Schmitzer 2019), each
stage sweeping only the edges whose share is not negligible (taken again should the
duals move enough to matter). Edge arrays are float32 (half the memory traffic,
vectorised ``exp``); sums per constraint and the duals are float64. The fractional
solution is rounded to lists by :func:`round_to_lists`; the final duals also give a
certified upper bound on the LP optimum (weak duality).
"""

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mindshare.allocation._clearing import (
    BoolArray,
    Clearing,
    ClearingProblem,
    FloatArray,
    IntArray,
    check_feasible,
    check_min_exposure_bounds,
    fractional_residual,
    round_to_lists,
    violations,
)
from mindshare.core import InputError

Float32Array = npt.NDArray[np.float32]

#: Largest exponent kept when a weight is formed relative to its constraint's old dual
#: (float32 holds e^88); such an edge is saturated anyway.
_MAX_EXPONENT = 80.0
#: Most a dual moves (in units of eps) in one block update, so that clipped and
#: underflowed weights still saturate exactly where the true ones do.
_MAX_DUAL_STEP = 60.0
#: Relative accuracy to which a block update meets its constraints (float32 sums).
_NEWTON_TOL = 1e-5
#: Edges whose log-share is below minus this are left out of a stage's sweeps ...
_PRUNE_BELOW = 30.0
#: ... until it may have grown above minus this (a share of 3e-7).
_NEGLIGIBLE = 15.0


def clear_market_sinkhorn(
    problem: ClearingProblem,
    *,
    epsilon: float = 1e-2,
    epsilon_start: float = 0.25,
    epsilon_decay: float = 0.4,
    tol: float = 1e-2,
    max_iter: int = 200,
    sweeps_per_stage: int = 3,
    max_newton_steps: int = 30,
) -> Clearing:
    """Clear the market by annealed log-domain Sinkhorn, then round to integral lists.

    Parameters
    ----------
    problem
        Candidates, slots and capacities.
    epsilon
        Final entropic regularisation, relative to the mean of each person's best
        value; smaller is closer to the LP optimum and slower.
    epsilon_start, epsilon_decay
        First ``eps`` (same units) and the factor between stages.
    tol
        Largest constraint violation accepted at the final ``eps`` (intermediate stages
        accept ten times as much): the sum over all constraints of how far each is off
        its bound (or off it while its dual is not zero), as a share of all slots.
    max_iter
        Most sweeps (one update of every block) in all.
    sweeps_per_stage
        Most sweeps at each intermediate ``eps``.
    max_newton_steps
        Most Newton steps per block update (each constraint stops once met).

    Raises
    ------
    InfeasibleAllocation
        When the minimum exposures cannot be met; the message names groups and shortfall.
    """
    if not (0 < epsilon <= epsilon_start) or not (0 < epsilon_decay < 1):
        raise InputError(
            "need 0 < epsilon <= epsilon_start and 0 < epsilon_decay < 1, got "
            f"epsilon={epsilon}, epsilon_start={epsilon_start}, epsilon_decay={epsilon_decay}"
        )
    started = time.perf_counter()
    usable_mask = problem.usable_edges()
    check_min_exposure_bounds(problem, usable=usable_mask)
    usable = np.flatnonzero(usable_mask)
    with np.errstate(all="ignore"):
        market = _Market.build(problem, usable)
        schedule = _epsilon_schedule(epsilon_start, epsilon, epsilon_decay)
        solver = _Solver(market, max_newton_steps=max_newton_steps)
        sweeps = 0
        if usable.size:
            sweeps = solver.anneal(
                schedule, tol=tol, max_iter=max_iter, sweeps_per_stage=sweeps_per_stage
            )
        x_usable = solver.shares(schedule[-1])
        upper_bound = solver.dual_bound() * market.scale
    x = np.zeros(problem.n_edges)
    x[usable] = x_usable
    chosen = round_to_lists(problem, x, usable=usable_mask)
    found = violations(problem, chosen)
    if "group_min_exposure" in found and found["group_min_exposure"].count:
        # Minimums left short may be minimums no allocation meets: if so, say which.
        check_feasible(problem)
    return Clearing(
        method="sinkhorn",
        n_people=problem.n_people,
        person=problem.person[chosen],
        item=problem.item[chosen],
        value=problem.value[chosen],
        objective=float(problem.value[chosen].sum()),
        fractional_objective=float(problem.value @ x),
        upper_bound=upper_bound,
        constraint_violations=found,
        residual=fractional_residual(problem, x),
        iterations=sweeps,
        seconds=time.perf_counter() - started,
        epsilon=float(schedule[-1] * market.scale),
        details={"stages": len(schedule), "value_scale": market.scale, "views": solver.views},
    )


def _epsilon_schedule(start: float, end: float, decay: float) -> list[float]:
    """Geometric from ``start`` down to exactly ``end``."""
    schedule = [start]
    while schedule[-1] * decay > end * (1 + 1e-9):
        schedule.append(schedule[-1] * decay)
    if schedule[-1] > end:
        schedule.append(end)
    return schedule


@dataclass(frozen=True, slots=True)
class _Block:
    """One family of constraints over contiguous runs of edges, one run per constraint
    (constraints without edges are left out)."""

    starts: IntArray
    counts: IntArray
    lower: FloatArray
    upper: FloatArray
    #: Which constraint each run is.
    index: IntArray
    #: Whether any constraint of the block can bind at all (else its duals stay 0).
    binds: bool

    @classmethod
    def over(cls, sorted_key: IntArray, n: int, lower: FloatArray, upper: FloatArray) -> "_Block":
        """Constraints ``0..n-1`` with bounds ``lower``/``upper``, over edges sorted by key."""
        all_counts = np.bincount(sorted_key, minlength=n)
        index = np.flatnonzero(all_counts)
        counts = all_counts[index]
        starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        lower, upper = lower[index], upper[index]
        binds = bool(((counts > upper) | (lower > 0)).any())
        return cls(starts, counts, lower, upper, index, binds)


@dataclass(frozen=True, slots=True)
class _Market:
    """The usable edges twice over (by person; by group, then item) and their blocks.

    Values are divided by ``scale``, the mean of each person's best value, so that
    ``eps`` is relative to it and float32 holds values of any magnitude.
    """

    value: FloatArray  # person-major, in units of scale
    item: IntArray  # person-major: the item of each edge
    to_item_major: IntArray  # item-major position -> person-major edge
    people: _Block
    items: _Block
    groups: _Block
    group_run_of_item_run: IntArray
    n_items: int
    scale: float

    @classmethod
    def build(cls, problem: ClearingProblem, usable: IntArray) -> "_Market":
        person = problem.person[usable]
        item = problem.item[usable]
        value = np.ascontiguousarray(problem.value[usable])
        n_items, n_groups = problem.n_items, problem.n_groups

        slots = problem.slots_per_person.astype(np.float64)
        people = _Block.over(person, problem.n_people, np.zeros_like(slots), slots)
        scale = 1.0
        if value.size:
            best = float(np.maximum.reduceat(value, people.starts).mean())
            scale = best if best > 0 else 1.0

        # Items in group order, items without a group as one more unconstrained group,
        # so that both items and groups are contiguous runs in item-major order.
        item_group = np.full(n_items, n_groups, dtype=np.int64)
        if problem.item_group is not None:
            item_group = np.where(problem.item_group >= 0, problem.item_group, n_groups)
        item_at_rank = np.lexsort((np.arange(n_items), item_group))
        rank_of_item = np.empty(n_items, dtype=np.int64)
        rank_of_item[item_at_rank] = np.arange(n_items)
        edge_rank = rank_of_item[item]
        narrow = edge_rank.astype(np.uint16) if n_items <= 1 << 16 else edge_rank
        to_item_major = np.argsort(narrow, kind="stable")
        rank_sorted = edge_rank[to_item_major]

        item_cap = _as_bound(problem.integral_item_capacity())
        items_by_rank = _Block.over(rank_sorted, n_items, np.zeros(n_items), item_cap[item_at_rank])
        items = _Block(
            items_by_rank.starts,
            items_by_rank.counts,
            items_by_rank.lower,
            items_by_rank.upper,
            item_at_rank[items_by_rank.index],
            items_by_rank.binds,
        )
        groups = _Block.over(
            item_group[item_at_rank][rank_sorted],
            n_groups + 1,
            np.append(problem.integral_group_min_exposure().astype(np.float64), 0.0),
            np.append(_as_bound(problem.integral_group_capacity()), np.inf),
        )
        group_run = np.zeros(n_groups + 1, dtype=np.int64)
        group_run[groups.index] = np.arange(groups.index.size)
        return cls(
            value=value / scale,
            item=item,
            to_item_major=to_item_major,
            people=people,
            items=items,
            groups=groups,
            group_run_of_item_run=group_run[item_group[items.index]],
            n_items=n_items,
            scale=scale,
        )


def _as_bound(capacity: IntArray) -> FloatArray:
    """Integral capacities as floats, unlimited ones as infinity."""
    bound = capacity.astype(np.float64)
    bound[capacity >= np.iinfo(np.int64).max // 8] = np.inf
    return bound


@dataclass(frozen=True, slots=True)
class _View:
    """The edges the sweeps of a stage run over (those not negligible), in both orders,
    with the market's blocks restricted to them; ``*_runs`` say which of the market's
    runs each remaining run is."""

    value32: Float32Array  # person-major
    item: IntArray  # person-major
    value_by_item: Float32Array  # item-major
    person_run_by_item: IntArray  # item-major: the market's person run of each edge
    people: _Block
    person_runs: IntArray
    items: _Block
    item_runs: IntArray
    groups: _Block
    group_runs: IntArray
    #: How many of the view's item runs each of its group runs holds (contiguous).
    items_per_group: IntArray

    @classmethod
    def of(cls, market: _Market, keep: BoolArray) -> "_View":
        """The view of the edges kept (a person-major mask)."""
        keep_by_item = keep[market.to_item_major]
        people, person_runs = _restrict(market.people, keep)
        items, item_runs = _restrict(market.items, keep_by_item)
        groups, group_runs = _restrict(market.groups, keep_by_item)
        position = np.zeros(market.groups.counts.size, dtype=np.int64)
        position[group_runs] = np.arange(group_runs.size)
        items_per_group = np.bincount(
            position[market.group_run_of_item_run[item_runs]], minlength=group_runs.size
        )
        person_run = np.repeat(np.arange(market.people.counts.size), market.people.counts)
        return cls(
            value32=market.value[keep].astype(np.float32),
            item=market.item[keep],
            value_by_item=market.value[market.to_item_major][keep_by_item].astype(np.float32),
            person_run_by_item=person_run[market.to_item_major[keep_by_item]],
            people=people,
            person_runs=person_runs,
            items=items,
            item_runs=item_runs,
            groups=groups,
            group_runs=group_runs,
            items_per_group=items_per_group,
        )


def _restrict(block: _Block, keep: BoolArray) -> tuple[_Block, IntArray]:
    """The block over the kept edges only (runs left empty go), and which runs remain."""
    kept_before = np.concatenate(([0], np.cumsum(keep)))
    counts = kept_before[block.starts + block.counts] - kept_before[block.starts]
    runs = np.flatnonzero(counts)
    counts = counts[runs]
    restricted = _Block(
        _starts(counts),
        counts,
        block.lower[runs],
        block.upper[runs],
        block.index[runs],
        block.binds,
    )
    return restricted, runs


class _Solver:
    """The duals, and the sweeps that update them: people, then items and groups jointly.

    An item's price is ``max(level_i, gamma_g)`` for its group ``g``: ``level_i`` is where
    the item alone meets its capacity, so that the item dual ``max(0, level_i - gamma_g)``
    is exactly optimal for every ``gamma_g``. Updating an item's dual and its group's
    separately creeps along a flat valley (one rises as the other falls) for many sweeps.

    Sweeps run over a view of the edges whose share is not negligible (log-share at
    least ``-_PRUNE_BELOW``). A left-out edge's log-share grows only as its person's and
    its item's duals fall, so once they may have fallen by ``_PRUNE_BELOW -
    _NEGLIGIBLE`` in all the view is taken again.
    """

    def __init__(self, market: _Market, *, max_newton_steps: int) -> None:
        self.market = market
        self.max_newton_steps = max_newton_steps
        self.alpha = np.zeros(market.people.counts.size)  # per person run
        self.gamma = np.zeros(market.groups.counts.size)  # per group run
        # Items that cannot reach their capacity never constrain their price.
        self.capped = market.items.counts > market.items.upper  # per item run
        self.level = np.where(self.capped, 0.0, -np.inf)  # per item run
        self.views = 0
        everything = np.ones(market.value.size, dtype=np.bool_)
        self._view = _View.of(market, everything)
        self._alpha_at_view = self.alpha.copy()
        self._price_at_view = self._item_price()
        self._left_out_people = np.zeros(market.people.counts.size, dtype=np.bool_)
        self._left_out_items = np.zeros(market.items.counts.size, dtype=np.bool_)
        n_edges = market.value.size
        self._z = np.empty(n_edges, dtype=np.float32)
        self._alpha_by_item = np.empty(n_edges, dtype=np.float32)
        self._work = _Work.allocate(n_edges)

    def anneal(
        self, schedule: list[float], *, tol: float, max_iter: int, sweeps_per_stage: int
    ) -> int:
        """Sweep at each ``eps`` of the schedule until the violation is within ``tol`` (ten
        times that before the last), and say how many sweeps it took."""
        slots = float(self.market.people.upper.sum())
        sweeps = 0
        for stage, eps in enumerate(schedule):
            final = stage == len(schedule) - 1
            budget = max_iter - sweeps if final else min(sweeps_per_stage, max_iter - sweeps)
            self.take_view(eps)
            for _ in range(budget):
                sweeps += 1
                violation = self.sweep(eps)
                if self.view_is_stale(eps):
                    self.take_view(eps)
                elif violation <= (tol if final else 10 * tol) * slots:
                    break
        return sweeps

    def take_view(self, eps: float) -> None:
        """Sweep from now on over the edges whose share is not negligible at ``eps``."""
        m = self.market
        log_share = m.value - self._item_price_by_index()[m.item]
        log_share -= np.repeat(self.alpha, m.people.counts)
        keep = log_share >= -_PRUNE_BELOW * eps
        self.views += 1
        left_out = ~keep
        self._left_out_people = np.add.reduceat(left_out, m.people.starts) > 0
        self._left_out_items = np.add.reduceat(left_out[m.to_item_major], m.items.starts) > 0
        self._alpha_at_view = self.alpha.copy()
        self._price_at_view = self._item_price()
        if keep.all() and self._view.value32.size == keep.size:
            return
        self._view = _View.of(m, keep)

    def view_is_stale(self, eps: float) -> bool:
        """Whether a left-out edge may no longer be negligible."""
        fallen_alpha = (self._alpha_at_view - self.alpha)[self._left_out_people]
        fallen_price = (self._price_at_view - self._item_price())[self._left_out_items]
        fallen = max(fallen_alpha.max(initial=0.0), 0.0) + max(fallen_price.max(initial=0.0), 0.0)
        return bool(fallen > (_PRUNE_BELOW - _NEGLIGIBLE) * eps)

    def sweep(self, eps: float) -> float:
        """One update of every block; the constraints' violation seen before each, summed."""
        v = self._view
        size = v.value32.size
        z, alpha_by_item = self._z[:size], self._alpha_by_item[:size]
        inverse = np.float32(1.0 / eps)
        violation = 0.0
        if v.people.binds:
            np.take(self._item_price_by_index().astype(np.float32), v.item, out=z)
            np.subtract(v.value32, z, out=z)
            z *= inverse
            alpha = self.alpha[v.person_runs]
            dual, totals = self._update(z, v.people, alpha / eps)
            violation += _violation(totals, v.people, alpha)
            self.alpha[v.person_runs] = dual * eps
        np.take(self.alpha.astype(np.float32), v.person_run_by_item, out=alpha_by_item)
        np.subtract(v.value_by_item, alpha_by_item, out=z)
        z *= inverse
        if v.items.binds:
            # Newton starts from the old levels; the sums are taken at the prices. An item
            # whose edges left in the view cannot reach its capacity is priced by its
            # group alone until the view is taken again.
            price = self._item_price()[v.item_runs]
            level = self.level[v.item_runs]
            level = np.where(np.isfinite(level), level, price)
            capped = v.items.counts > v.items.upper
            new_level, totals = self._update(
                z, v.items, level / eps, free_sign=True, evaluate_at=price / eps
            )
            item_dual = np.where(capped, price - self._gamma_of_item()[v.item_runs], 0.0)
            violation += _violation(totals, v.items, item_dual)
            self.level[v.item_runs] = np.where(capped, new_level * eps, -np.inf)
        if v.groups.binds:
            gamma = self.gamma[v.group_runs]
            dual, totals = self._update(
                z, v.groups, gamma / eps, parts=(v.items, v.items_per_group)
            )
            violation += _violation(totals, v.groups, gamma)
            self.gamma[v.group_runs] = dual * eps
        return violation

    def shares(self, eps: float) -> FloatArray:
        """The fractional allocation ``x`` of every usable edge (person-major order)."""
        m = self.market
        reduced = m.value - self._item_price_by_index()[m.item]
        reduced -= np.repeat(self.alpha, m.people.counts)
        x: FloatArray = np.exp(np.minimum(reduced / eps, 0.0))
        return x

    def dual_bound(self) -> float:
        """The LP dual's value at the current duals: an upper bound on the LP optimum.

        Duals are clipped to the signs the LP dual needs (the Sinkhorn ones already have
        them, up to rounding).
        """
        m = self.market
        alpha = np.maximum(self.alpha, 0.0)
        gamma = np.where(np.isfinite(m.groups.upper), self.gamma, np.minimum(self.gamma, 0.0))
        gamma = np.where(m.groups.lower > 0, gamma, np.maximum(gamma, 0.0))
        gamma_of_item = gamma[m.group_run_of_item_run]
        beta = np.where(self.capped, np.maximum(self.level - gamma_of_item, 0.0), 0.0)
        price = np.zeros(m.n_items)
        price[m.items.index] = beta + gamma_of_item
        reduced = m.value - price[m.item] - np.repeat(alpha, m.people.counts)
        bound = float(np.maximum(reduced, 0.0).sum()) + float(alpha @ m.people.upper)
        bound += float(beta[self.capped] @ m.items.upper[self.capped])
        above, below = gamma > 0, gamma < 0
        bound += float(gamma[above] @ m.groups.upper[above])
        bound += float(gamma[below] @ m.groups.lower[below])
        return bound

    def _gamma_of_item(self) -> FloatArray:
        gamma: FloatArray = self.gamma[self.market.group_run_of_item_run]
        return gamma

    def _item_price(self) -> FloatArray:
        """``beta_i + gamma_g = max(level_i, gamma_g)`` per item run."""
        price: FloatArray = np.maximum(self.level, self._gamma_of_item())
        return price

    def _item_price_by_index(self) -> FloatArray:
        """The item price of every item (zero for items without edges)."""
        price = np.zeros(self.market.n_items)
        price[self.market.items.index] = self._item_price()
        return price

    def _update(
        self,
        z: Float32Array,
        block: _Block,
        dual: FloatArray,
        *,
        parts: tuple[_Block, IntArray] | None = None,
        free_sign: bool = False,
        evaluate_at: FloatArray | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        return _update_block(
            z,
            block,
            dual,
            max_newton_steps=self.max_newton_steps,
            work=self._work,
            parts=parts,
            free_sign=free_sign,
            evaluate_at=evaluate_at,
        )


@dataclass(frozen=True, slots=True)
class _Work:
    """Scratch arrays of one value per edge, reused by every block update."""

    weight: Float32Array
    scaled: Float32Array
    unsaturated: BoolArray

    @classmethod
    def allocate(cls, n_edges: int) -> "_Work":
        return cls(
            np.empty(n_edges, dtype=np.float32),
            np.empty(n_edges, dtype=np.float32),
            np.empty(n_edges, dtype=np.bool_),
        )


@dataclass(slots=True)
class _Live:
    """The constraints a block update is still solving, and their edges (and parts)."""

    runs: IntArray
    counts: IntArray
    starts: IntArray
    part_counts: IntArray | None = None
    part_starts: IntArray | None = None
    part_upper: FloatArray | None = None
    parts_per_run: IntArray | None = None
    part_run_starts: IntArray | None = None

    @classmethod
    def everything(cls, block: _Block, parts: tuple[_Block, IntArray] | None) -> "_Live":
        live = cls(np.arange(block.counts.size), block.counts, block.starts)
        if parts is not None:
            inner, per_run = parts
            live.part_counts, live.part_starts, live.part_upper = (
                inner.counts,
                inner.starts,
                inner.upper,
            )
            live.parts_per_run, live.part_run_starts = per_run, _starts(per_run)
        return live

    def sums(
        self, scaled: Float32Array, unsaturated_weight: Float32Array
    ) -> tuple[FloatArray, FloatArray]:
        """Per live run: the sum of shares, and its slope in ``t``; with parts, each part's
        sum is capped at its bound first (a capped part has no slope)."""
        if self.part_starts is None:
            total = np.add.reduceat(scaled, self.starts).astype(np.float64)
            slope = np.add.reduceat(unsaturated_weight, self.starts).astype(np.float64)
            return total, slope
        assert self.part_upper is not None
        assert self.part_run_starts is not None
        part_total = np.add.reduceat(scaled, self.part_starts).astype(np.float64)
        part_slope = np.add.reduceat(unsaturated_weight, self.part_starts).astype(np.float64)
        full = part_total >= self.part_upper
        part_total = np.where(full, self.part_upper, part_total)
        part_slope = np.where(full, 0.0, part_slope)
        return (
            np.add.reduceat(part_total, self.part_run_starts),
            np.add.reduceat(part_slope, self.part_run_starts),
        )

    def keep(self, keep: BoolArray) -> BoolArray:
        """Drop the runs not kept; the mask of the edges kept."""
        edges = np.repeat(keep, self.counts)
        if self.part_counts is not None:
            assert self.parts_per_run is not None
            assert self.part_upper is not None
            parts = np.repeat(keep, self.parts_per_run)
            self.part_counts = self.part_counts[parts]
            self.part_starts = _starts(self.part_counts)
            self.part_upper = self.part_upper[parts]
            self.parts_per_run = self.parts_per_run[keep]
            self.part_run_starts = _starts(self.parts_per_run)
        self.runs, self.counts = self.runs[keep], self.counts[keep]
        self.starts = _starts(self.counts)
        return edges


def _starts(counts: IntArray) -> IntArray:
    starts: IntArray = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    return starts


def _update_block(
    z: Float32Array,
    block: _Block,
    dual: FloatArray,
    *,
    max_newton_steps: int,
    work: _Work,
    parts: tuple[_Block, IntArray] | None = None,
    free_sign: bool = False,
    evaluate_at: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """New duals (in units of eps) that make each constraint of the block hold, and each
    constraint's sum at the old duals (or at ``evaluate_at``, without parts).

    ``z`` holds each edge's log-weight with every other block's duals applied; an edge's
    share is ``min(1, exp(z - dual))``. Newton's method runs per constraint until it is
    met, on fewer and fewer constraints: an inexact block update can overshoot and make
    the sweeps oscillate. A constraint's bound is the upper one where its dual is
    positive, the lower one where negative, and at zero whichever the sum breaks (none:
    the dual stays 0); a dual stops at zero rather than change sign in one update.
    ``free_sign`` solves every constraint with more edges than its upper bound for
    equality, at any sign. ``parts`` (the item runs inside each run, with how many per
    run) caps each part's sum at its own upper bound.
    """
    # Weights relative to the old duals, so that t = 1 is where the update starts.
    weight = work.weight[: z.size]
    np.subtract(z, np.repeat(dual.astype(np.float32), block.counts), out=weight)
    np.minimum(weight, np.float32(_MAX_EXPONENT), out=weight)
    np.exp(weight, out=weight)
    unboxed_sum = np.add.reduceat(weight, block.starts).astype(np.float64)
    evaluated = None
    if evaluate_at is not None:
        log_t0 = np.clip(np.nan_to_num(dual - evaluate_at), -_MAX_DUAL_STEP, _MAX_DUAL_STEP)
        scaled = work.scaled[: z.size]
        np.multiply(weight, np.repeat(np.exp(log_t0).astype(np.float32), block.counts), out=scaled)
        np.minimum(scaled, np.float32(1.0), out=scaled)
        evaluated = np.add.reduceat(scaled, block.starts).astype(np.float64)

    live = _Live.everything(block, parts)
    log_t = np.zeros(block.counts.size)
    start_totals = target = log_t_low = log_t_high = np.zeros(0)
    for step in range(max(1, max_newton_steps)):
        runs = live.runs
        t = np.exp(log_t[runs])
        scaled, unsaturated = work.scaled[: weight.size], work.unsaturated[: weight.size]
        np.multiply(weight, np.repeat(t.astype(np.float32), live.counts), out=scaled)
        np.less(scaled, np.float32(1.0), out=unsaturated)
        np.minimum(scaled, np.float32(1.0), out=scaled)
        if parts is None:
            total = np.add.reduceat(scaled, live.starts).astype(np.float64)
            np.multiply(weight, unsaturated, out=scaled)
            slope = np.add.reduceat(scaled, live.starts).astype(np.float64)
        else:
            unsaturated_weight = np.multiply(weight, unsaturated)
            total, slope = live.sums(scaled, unsaturated_weight)
        if step == 0:
            start_totals = total if evaluated is None else evaluated
            target, log_t_low, log_t_high = _newton_target(total, block, dual, free_sign)
        goal = target[runs]
        done = np.isnan(goal) | (np.abs(total - goal) <= _NEWTON_TOL * np.maximum(goal, 1.0))
        # The root of the current linear piece: from the left at most the true root, from
        # the right left of it, though never below the unboxed root. No slope left: a
        # long step from the left.
        constant = total - t * slope
        root = (goal - constant) / slope
        root = np.where(total > goal, np.fmax(root, goal / unboxed_sum[runs]), root)
        root = np.where(np.isnan(root), t, root)
        step_to = np.clip(np.log(np.maximum(root, 0.0)), log_t_low[runs], log_t_high[runs])
        done |= step_to == log_t[runs]
        if done.all():
            break
        log_t[runs] = np.where(done, log_t[runs], step_to)
        if 4 * np.count_nonzero(np.repeat(~done, live.counts)) < weight.size:
            weight = weight[live.keep(~done)]
    new_dual: FloatArray = dual - log_t
    return new_dual, start_totals


def _newton_target(
    total: FloatArray, block: _Block, dual: FloatArray, free_sign: bool
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Each constraint's bound to meet (NaN: none) and the range allowed to ``log t``
    (the dual keeps its sign, and moves at most ``_MAX_DUAL_STEP``), given the sums at
    the old duals."""
    if free_sign:
        target = np.where(block.counts > block.upper, block.upper, np.nan)
        unlimited = np.full(total.size, _MAX_DUAL_STEP)
        return target, -unlimited, unlimited
    positive = (dual > 0) | ((dual == 0) & (total > block.upper))
    negative = (dual < 0) | ((dual == 0) & (total < block.lower))
    target = np.where(positive, block.upper, np.where(negative, block.lower, np.nan))
    # log t = old dual - new dual.
    high = np.where(positive, np.minimum(dual, _MAX_DUAL_STEP), _MAX_DUAL_STEP)
    low = np.where(negative, np.maximum(dual, -_MAX_DUAL_STEP), -_MAX_DUAL_STEP)
    return target, low, high


def _violation(total: FloatArray, block: _Block, dual: FloatArray) -> float:
    """How far the block's sums are off their bounds, or off the bound their dual
    presses on (complementary slackness), summed over its constraints."""
    excess = np.maximum(np.maximum(total - block.upper, block.lower - total), 0.0)
    slack = np.where(dual > 0, np.abs(total - block.upper), 0.0)
    slack = np.maximum(slack, np.where(dual < 0, np.abs(total - block.lower), 0.0))
    return float(np.maximum(excess, slack).sum())
