"""Market clearing by entropic optimal transport: log-domain Sinkhorn with box constraints.

The fractional problem, over candidate edges ``e = (u, i)`` with ``x_e`` in ``[0, 1]``,

    maximise  sum_e v_e x_e  -  eps * sum_e x_e (log x_e - 1)
    s.t.      sum_{e in u} x_e <= K_u,   sum_{e in i} x_e <= cap_i,
              min_g <= sum_{e in g} x_e <= cap_g,

has the solution ``x_e = min(1, exp((v_e - a_u - b_i - c_g) / eps))`` for duals
``a, b >= 0`` and ``c`` free. Sinkhorn's iteration (Cuturi 2013), in its log-domain,
inequality-constrained form (Bregman projections, Benamou et al. 2015), updates one block
of duals at a time so that its constraints hold exactly given the others: the people, the
items, the groups. With the box ``x <= 1`` folded in, a block's update solves
``sum_e min(1, w_e t) = bound`` per constraint for ``t = exp(-dual / eps)``; that sum is
concave and piecewise linear in ``t``, so Newton's method from the left converges
monotonically and exactly, and from the right lands on the left in one step.

``eps`` is annealed from coarse to fine (Schmitzer 2019) with warm-started duals, and
edges whose weight is negligible (``x_e < e^-30``) are dropped from the sweeps of a stage
and looked at again at the start of the next. The fractional result is rounded to lists
by :func:`round_to_lists`; the final duals also give a certified upper bound on the LP
optimum (weak duality).
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

#: Largest exponent kept when a weight is formed relative to its constraint's dual; the
#: edge is saturated at that size anyway.
_MAX_EXPONENT = 600.0
#: Largest change of a dual (in units of eps) in one block update, so that the clipped
#: and underflowed weights still saturate where the true ones do.
_MAX_LOG_STEP = 500.0
#: Edges whose log-weight relative to the duals is below this are left out of a stage.
_PRUNE_LOG_WEIGHT = -np.inf

Int32Array = npt.NDArray[np.int32]


def clear_market_sinkhorn(
    problem: ClearingProblem,
    *,
    epsilon: float = 1e-3,
    epsilon_start: float = 0.25,
    epsilon_decay: float = 0.5,
    tol: float = 1e-3,
    max_iter: int = 400,
    sweeps_per_stage: int = 8,
    max_newton_steps: int = 50,
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
        Largest relative constraint residual accepted at the final ``eps`` (intermediate
        stages accept ten times as much).
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
    check_min_exposure_bounds(problem)
    usable = np.flatnonzero(problem.usable_edges())
    with np.errstate(all="ignore"):
        market = _Market.build(problem, usable)
        scale = market.value_scale()
        schedule = _epsilon_schedule(epsilon_start * scale, epsilon * scale, epsilon_decay)
        solver = _Solver(market, max_newton_steps=max_newton_steps)
        sweeps = 0
        residual = np.inf
        for stage, eps in enumerate(schedule):
            final = stage == len(schedule) - 1
            solver.prune(eps)
            budget = max_iter - sweeps if final else min(sweeps_per_stage, max_iter - sweeps)
            stage_tol = tol if final else 10 * tol
            for _ in range(budget):
                residual = solver.sweep(eps)
                sweeps += 1
                if residual <= stage_tol:
                    break
        solver.prune(schedule[-1])
        x_usable = solver.shares(schedule[-1])
        upper_bound = solver.dual_bound()
    x = np.zeros(problem.n_edges)
    x[usable] = x_usable
    if problem.group_min_exposure is not None and _short_of_minimum(problem, x) > 10 * tol:
        check_feasible(problem)
    chosen = round_to_lists(problem, x)
    return Clearing(
        method="sinkhorn",
        n_people=problem.n_people,
        person=problem.person[chosen],
        item=problem.item[chosen],
        value=problem.value[chosen],
        objective=float(problem.value[chosen].sum()),
        fractional_objective=float(problem.value @ x),
        upper_bound=upper_bound,
        constraint_violations=violations(problem, chosen),
        residual=fractional_residual(problem, x),
        iterations=sweeps,
        seconds=time.perf_counter() - started,
        epsilon=float(schedule[-1]),
        details={"stages": len(schedule), "value_scale": scale},
    )


def _epsilon_schedule(start: float, end: float, decay: float) -> list[float]:
    schedule = [start]
    while schedule[-1] * decay > end * (1 + 1e-9):
        schedule.append(schedule[-1] * decay)
    if schedule[-1] > end:
        schedule.append(end)
    return schedule


def _short_of_minimum(problem: ClearingProblem, x: FloatArray) -> float:
    """Largest relative shortfall of a fractional allocation below a group minimum."""
    assert problem.item_group is not None
    group = problem.edge_group()
    grouped = group >= 0
    exposure = np.bincount(group[grouped], weights=x[grouped], minlength=problem.n_groups)
    minimum = problem.integral_group_min_exposure()
    short = (minimum - exposure) / np.maximum(minimum, 1)
    return float(short.max(initial=0.0))


@dataclass(slots=True)
class _Block:
    """One family of constraints over contiguous runs of edges (one run per constraint)."""

    starts: IntArray
    counts: IntArray
    lower: FloatArray
    upper: FloatArray
    #: Whether any constraint of the block can bind at all (else its duals stay 0).
    binds: bool

    @classmethod
    def over(
        cls, key: IntArray, n: int, lower: FloatArray, upper: FloatArray
    ) -> tuple["_Block", IntArray]:
        """The block of constraints ``0..n-1`` over edges sorted by ``key``, and which
        constraint each run is (constraints without edges are left out)."""
        counts_all = np.bincount(key, minlength=n)
        present = np.flatnonzero(counts_all)
        counts = counts_all[present]
        starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        binds = bool(
            ((counts > upper[present]) | (lower[present] > 0)).any() if present.size else False
        )
        return cls(starts, counts, lower[present], upper[present], binds), present


@dataclass(slots=True)
class _Market:
    """The usable edges twice over: by person, and by group then item; and their blocks."""

    value: FloatArray  # person-major
    item: Int32Array  # person-major, item index
    item_of_edge_by_item: Int32Array  # item-major: the item index
    person_by_item: Int32Array  # item-major: the person's run in the person block
    value_by_item: FloatArray  # item-major
    to_item_major: IntArray  # permutation: item-major position -> person-major edge
    people: _Block
    person_of_run: IntArray
    items: _Block
    item_of_run: IntArray
    groups: _Block
    group_of_run: IntArray
    group_of_item_run: IntArray  # group run of each item run
    n_items: int
    finite_item_capacity: BoolArray  # per item run
    finite_group_capacity: BoolArray  # per group run

    @classmethod
    def build(cls, problem: ClearingProblem, usable: IntArray) -> "_Market":
        person = problem.person[usable]
        item = problem.item[usable]
        value = np.ascontiguousarray(problem.value[usable])
        n_items = problem.n_items
        n_groups = problem.n_groups

        slots = problem.slots_per_person.astype(np.float64)
        people, person_of_run = _Block.over(person, problem.n_people, np.zeros_like(slots), slots)
        person_run = np.zeros(problem.n_people, dtype=np.int64)
        person_run[person_of_run] = np.arange(person_of_run.size)

        # Items in group order (items without a group form one extra, unconstrained group
        # at the end), so that both items and groups are contiguous runs of edges.
        item_group = (
            np.full(n_items, n_groups, dtype=np.int64)
            if problem.item_group is None
            else np.where(problem.item_group >= 0, problem.item_group, n_groups)
        )
        item_rank = np.empty(n_items, dtype=np.int64)
        item_rank[np.lexsort((np.arange(n_items), item_group))] = np.arange(n_items)
        edge_rank = item_rank[item]
        sort_key = edge_rank.astype(np.uint16 if n_items <= 1 << 16 else np.int64)
        to_item_major = np.argsort(sort_key, kind="stable")

        item_cap = problem.integral_item_capacity().astype(np.float64)
        item_cap[item_cap >= 2.0**62] = np.inf
        item_sorted = np.argsort(item_rank)  # item index at each rank
        items, run_rank = _Block.over(
            edge_rank[to_item_major], n_items, np.zeros(n_items), item_cap[item_sorted]
        )
        item_of_run = item_sorted[run_rank]

        group_cap = np.append(problem.integral_group_capacity().astype(np.float64), np.inf)
        group_cap[group_cap >= 2.0**62] = np.inf
        group_min = np.append(problem.integral_group_min_exposure().astype(np.float64), 0.0)
        edge_group_sorted = item_group[item[to_item_major]]
        groups, group_of_run = _Block.over(edge_group_sorted, n_groups + 1, group_min, group_cap)
        group_run = np.zeros(n_groups + 1, dtype=np.int64)
        group_run[group_of_run] = np.arange(group_of_run.size)

        return cls(
            value=value,
            item=item.astype(np.int32),
            item_of_edge_by_item=item[to_item_major].astype(np.int32),
            person_by_item=person_run[person[to_item_major]].astype(np.int32),
            value_by_item=value[to_item_major],
            to_item_major=to_item_major,
            people=people,
            person_of_run=person_of_run,
            items=items,
            item_of_run=item_of_run,
            groups=groups,
            group_of_run=group_of_run,
            group_of_item_run=group_run[item_group[item_of_run]],
            n_items=n_items,
            finite_item_capacity=np.isfinite(items.upper),
            finite_group_capacity=np.isfinite(groups.upper),
        )

    def value_scale(self) -> float:
        """Mean of each person's best value: the unit of ``eps``."""
        if not self.value.size:
            return 1.0
        best = np.maximum.reduceat(self.value, self.people.starts)
        scale = float(best.mean())
        return scale if scale > 0 else 1.0


class _Solver:
    """Duals of the three blocks and the work arrays of the sweeps, over the active edges."""

    def __init__(self, market: _Market, *, max_newton_steps: int) -> None:
        self.market = market
        self.max_newton_steps = max_newton_steps
        self.alpha = np.zeros(market.people.starts.size)  # per person run
        self.beta = np.zeros(market.items.starts.size)  # per item run
        self.gamma = np.zeros(market.groups.starts.size)  # per group run
        self.active: _ActiveEdges | None = None

    def prune(self, eps: float) -> None:
        """Keep for the coming sweeps only the edges whose share is not negligible."""
        m = self.market
        log_weight = (m.value - self._item_potential()[m.item] - self._per_person_edge()) / eps
        self.active = _ActiveEdges.select(m, log_weight >= _PRUNE_LOG_WEIGHT)

    def sweep(self, eps: float) -> float:
        """Update people, items and groups in turn; the largest residual seen before each."""
        a = self.active
        assert a is not None
        residual = 0.0
        # People: their edges are contiguous in person-major order.
        z = a.value - self._item_potential()[a.item]
        z *= 1.0 / eps
        if a.people.binds:
            dual, r = _update_block(
                z, a.people, self.alpha[a.person_runs] / eps, self.max_newton_steps
            )
            self.alpha[a.person_runs] = dual * eps
            residual = max(residual, r)
        alpha_by_item = self.alpha[a.person_by_item]
        if a.items.binds:
            z = a.value_by_item - alpha_by_item
            z -= np.repeat(self.gamma[a.group_runs], a.groups.counts)
            z *= 1.0 / eps
            dual, r = _update_block(z, a.items, self.beta[a.item_runs] / eps, self.max_newton_steps)
            self.beta[a.item_runs] = dual * eps
            residual = max(residual, r)
        if a.groups.binds:
            z = a.value_by_item - alpha_by_item
            z -= np.repeat(self.beta[a.item_runs], a.items.counts)
            z *= 1.0 / eps
            dual, r = _update_block(
                z, a.groups, self.gamma[a.group_runs] / eps, self.max_newton_steps
            )
            self.gamma[a.group_runs] = dual * eps
            residual = max(residual, r)
        return residual

    def shares(self, eps: float) -> FloatArray:
        """The fractional allocation ``x`` of every usable edge (person-major order)."""
        m = self.market
        z = (m.value - self._item_potential()[m.item] - self._per_person_edge()) / eps
        x: FloatArray = np.exp(np.minimum(z, 0.0))
        return x

    def dual_bound(self) -> float:
        """Value of the LP dual at the current duals: an upper bound on the LP optimum."""
        m = self.market
        beta = np.where(m.finite_item_capacity, np.maximum(self.beta, 0.0), 0.0)
        gamma = np.where(m.finite_group_capacity, self.gamma, np.minimum(self.gamma, 0.0))
        gamma = np.where(m.groups.lower > 0, gamma, np.maximum(gamma, 0.0))
        alpha = np.maximum(self.alpha, 0.0)
        item_potential = np.zeros(m.n_items)
        item_potential[m.item_of_run] = beta + gamma[m.group_of_item_run]
        reduced = m.value - item_potential[m.item] - np.repeat(alpha, m.people.counts)
        bound = float(np.maximum(reduced, 0.0).sum())
        bound += float(alpha @ m.people.upper)
        bound += float(beta[beta > 0] @ m.items.upper[beta > 0])
        positive, negative = gamma > 0, gamma < 0
        bound += float(gamma[positive] @ m.groups.upper[positive])
        bound += float(gamma[negative] @ m.groups.lower[negative])
        return bound

    def _item_potential(self) -> FloatArray:
        """``beta_i + gamma_g(i)`` for every item (zero for items without edges)."""
        m = self.market
        potential = np.zeros(m.n_items)
        potential[m.item_of_run] = self.beta + self.gamma[m.group_of_item_run]
        return potential

    def _per_person_edge(self) -> FloatArray:
        alpha: FloatArray = np.repeat(self.alpha, self.market.people.counts)
        return alpha


@dataclass(slots=True)
class _ActiveEdges:
    """The edges a stage sweeps over, in both orders, with the blocks restricted to them."""

    value: FloatArray
    item: Int32Array
    value_by_item: FloatArray
    person_by_item: Int32Array
    people: _Block
    person_runs: IntArray  # which person run each active run is
    items: _Block
    item_runs: IntArray
    groups: _Block
    group_runs: IntArray

    @classmethod
    def select(cls, m: _Market, keep: BoolArray) -> "_ActiveEdges":
        people = _restrict(m.people, keep)
        keep_by_item = keep[m.to_item_major]
        items = _restrict(m.items, keep_by_item)
        groups = _restrict(m.groups, keep_by_item)
        return cls(
            value=m.value[keep],
            item=m.item[keep],
            value_by_item=m.value_by_item[keep_by_item],
            person_by_item=m.person_by_item[keep_by_item],
            people=people[0],
            person_runs=people[1],
            items=items[0],
            item_runs=items[1],
            groups=groups[0],
            group_runs=groups[1],
        )


def _restrict(block: _Block, keep: BoolArray) -> tuple[_Block, IntArray]:
    """The block over the kept edges only, and which of the block's runs remain."""
    kept_before = np.concatenate(([0], np.cumsum(keep)))
    ends = block.starts + block.counts
    counts = kept_before[ends] - kept_before[block.starts]
    runs = np.flatnonzero(counts)
    counts = counts[runs]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    lower, upper = block.lower[runs], block.upper[runs]
    binds = bool(((counts > upper) | (lower > 0)).any()) if runs.size else False
    # A lower bound counts every edge of the constraint, pruned or not.
    return _Block(starts, counts, lower, upper, binds and block.binds), runs


def _update_block(
    z: FloatArray, block: _Block, dual: FloatArray, max_newton_steps: int
) -> tuple[FloatArray, float]:
    """New duals (in units of eps) making each constraint of the block hold, and the
    largest relative residual of the block at the old duals.

    ``z`` holds each edge's log-weight with every other block's duals applied; an edge's
    share is ``min(1, exp(z - dual))``. Newton's method runs per constraint until it is
    met exactly (the sum is piecewise linear in ``t``), on fewer and fewer constraints:
    an inexact block update can overshoot and make the sweeps oscillate.
    """
    starts, counts = block.starts, block.counts
    at_zero = np.add.reduceat(np.exp(np.minimum(z, 0.0)), starts)
    upper_active = at_zero > block.upper
    lower_active = at_zero < block.lower
    active = upper_active | lower_active
    target = np.where(upper_active, block.upper, block.lower)
    # Weights relative to the old duals, so that t = 1 is where the update starts.
    weight = z - np.repeat(dual, counts)
    np.minimum(weight, _MAX_EXPONENT, out=weight)
    np.exp(weight, out=weight)
    unboxed_root = target / np.add.reduceat(weight, starts)
    # Dual >= 0 for an upper bound (log t <= dual), <= 0 for a lower bound.
    log_t_high = np.where(upper_active, np.minimum(dual, _MAX_LOG_STEP), _MAX_LOG_STEP)
    log_t_low = np.where(lower_active, np.maximum(dual, -_MAX_LOG_STEP), -_MAX_LOG_STEP)

    log_t = np.zeros(starts.size)
    live = np.arange(starts.size)
    live_counts, live_starts = counts, starts
    residual = 0.0
    for step in range(max(1, max_newton_steps)):
        t = np.exp(log_t[live])
        unsaturated = weight * np.repeat(t, live_counts) < 1.0
        slope = np.add.reduceat(np.where(unsaturated, weight, 0.0), live_starts)
        saturated = live_counts - np.add.reduceat(unsaturated, live_starts, dtype=np.int64)
        total = t * slope + saturated
        if step == 0:
            residual = _residual(total, block, dual)
        goal = target[live]
        done = ~active[live] | (np.abs(total - goal) <= 1e-9 * np.maximum(goal, 1.0))
        if done.all():
            break
        # The root of the current linear piece: from the left it is at most the true
        # root, from the right it lands left of it (never below the unboxed root). With
        # no slope left: a long step from the left, none where the target is met.
        root = (goal - saturated) / slope
        root = np.where(total > goal, np.fmax(root, unboxed_root[live]), root)
        root = np.where(np.isnan(root), t, root)
        step_to = np.clip(np.log(np.maximum(root, 0.0)), log_t_low[live], log_t_high[live])
        log_t[live] = np.where(done, log_t[live], step_to)
        if done.any():
            keep = ~done
            weight = weight[np.repeat(keep, live_counts)]
            live, live_counts = live[keep], live_counts[keep]
            live_starts = np.concatenate(([0], np.cumsum(live_counts)[:-1]))
    new_dual: FloatArray = np.where(active, dual - log_t, 0.0)
    return new_dual, residual


def _residual(total: FloatArray, block: _Block, dual: FloatArray) -> float:
    """Largest relative violation of primal feasibility or complementary slackness."""
    excess = np.maximum(total - block.upper, block.lower - total)
    slack_upper = np.where(dual > 0, np.abs(total - block.upper), 0.0)
    slack_lower = np.where(dual < 0, np.abs(total - block.lower), 0.0)
    worst = np.maximum(np.maximum(excess, 0.0), np.maximum(slack_upper, slack_lower))
    bound = np.maximum(np.where(dual < 0, block.lower, np.minimum(block.upper, 1e300)), 1.0)
    return float((worst / bound).max(initial=0.0))
