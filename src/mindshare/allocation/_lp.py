"""Exact market clearing as a linear programme, solved by HiGHS (Huangfu & Hall 2018).

The fractional problem is a network flow (source → person → item → group → sink with
unit arcs for the candidates), so its constraint matrix is totally unimodular and, with
integral slots, capacities and minimums, a basic optimal solution is integral: the LP
optimum is the best integral allocation. Use it as the reference for
:func:`clear_market_sinkhorn` on instances it can solve in time.
"""

import time
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize, sparse

from mindshare.allocation._clearing import (
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
from mindshare.core import InfeasibleAllocation

_OPTIMAL, _LIMIT_REACHED, _INFEASIBLE = 0, 1, 2


def clear_market_lp(problem: ClearingProblem, *, time_limit: float | None = None) -> Clearing:
    """The optimal allocation by linear programming (``scipy.optimize.linprog``, HiGHS).

    Only constraints that can bind become rows: people with more usable candidates than
    slots, items and groups with more candidate edges than capacity, groups with a
    minimum. ``time_limit`` is in seconds.

    Raises
    ------
    InfeasibleAllocation
        When the minimum exposures cannot be met; the message names groups and shortfall.
    TimeoutError
        When HiGHS stops at ``time_limit`` before reaching the optimum.
    """
    started = time.perf_counter()
    usable_mask = problem.usable_edges()
    check_min_exposure_bounds(problem, usable=usable_mask)
    usable = np.flatnonzero(usable_mask)
    x = np.zeros(problem.n_edges)
    optimum, iterations = 0.0, 0
    if usable.size:
        x[usable], optimum, iterations = _solve(problem, usable, time_limit)
    chosen = round_to_lists(problem, x, min_share=0.5, usable=usable_mask)
    return Clearing(
        method="lp",
        n_people=problem.n_people,
        person=problem.person[chosen],
        item=problem.item[chosen],
        value=problem.value[chosen],
        objective=float(problem.value[chosen].sum()),
        fractional_objective=optimum,
        upper_bound=optimum,
        constraint_violations=violations(problem, chosen),
        residual=fractional_residual(problem, x),
        iterations=iterations,
        seconds=time.perf_counter() - started,
    )


def _solve(
    problem: ClearingProblem, usable: IntArray, time_limit: float | None
) -> tuple[FloatArray, float, int]:
    """HiGHS's optimum over the usable edges: shares, value and simplex iterations."""
    rows, bounds = _constraint_rows(problem, usable)
    options: dict[str, float | bool] = {"presolve": True}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    solution = optimize.linprog(
        -problem.value[usable],
        A_ub=rows if rows.shape[0] else None,
        b_ub=bounds if rows.shape[0] else None,
        bounds=(0.0, 1.0),
        method="highs",
        options=options,
    )
    if solution.status == _INFEASIBLE:
        check_feasible(problem)
        raise InfeasibleAllocation(f"HiGHS finds the constraints infeasible: {solution.message}")
    if solution.status == _LIMIT_REACHED:
        raise TimeoutError(f"HiGHS stopped before the optimum: {solution.message}")
    if solution.status != _OPTIMAL:
        raise RuntimeError(f"HiGHS failed (status {solution.status}): {solution.message}")
    shares: FloatArray = np.clip(solution.x, 0.0, 1.0)
    return shares, float(-solution.fun), int(solution.nit)


def _constraint_rows(
    problem: ClearingProblem, usable: IntArray
) -> tuple[sparse.csr_array, FloatArray]:
    """The ``A_ub x <= b_ub`` rows over the usable edges (columns in ``usable`` order)."""
    n_columns = usable.size
    column = np.arange(n_columns)
    row_blocks: list[sparse.csr_array] = []
    bound_blocks: list[FloatArray] = []

    def add(
        key: IntArray, n: int, bound: npt.NDArray[Any], keep: npt.NDArray[np.bool_], sign: float
    ) -> None:
        rows_kept = np.flatnonzero(keep)
        if not rows_kept.size:
            return
        row_of = np.full(n, -1, dtype=np.int64)
        row_of[rows_kept] = np.arange(rows_kept.size)
        edge_row = row_of[key]
        inside = edge_row >= 0
        block = sparse.csr_array(
            (np.full(int(inside.sum()), sign), (edge_row[inside], column[inside])),
            shape=(rows_kept.size, n_columns),
        )
        row_blocks.append(block)
        bound_blocks.append(sign * bound[rows_kept].astype(np.float64))

    person = problem.person[usable]
    item = problem.item[usable]
    slots = problem.slots_per_person
    add(person, problem.n_people, slots, np.bincount(person, minlength=slots.size) > slots, 1.0)
    if problem.item_capacity is not None:
        capacity = problem.integral_item_capacity()
        degree = np.bincount(item, minlength=problem.n_items)
        add(item, problem.n_items, capacity, degree > capacity, 1.0)
    if problem.item_group is not None:
        group = problem.item_group[item]
        grouped = group >= 0
        key = np.where(grouped, group, problem.n_groups)
        n = problem.n_groups + 1
        degree = np.bincount(key, minlength=n)[: problem.n_groups]
        if problem.group_capacity is not None:
            capacity = np.append(problem.integral_group_capacity(), 0)
            add(key, n, capacity, np.append(degree > capacity[:-1], False), 1.0)
        if problem.group_min_exposure is not None:
            minimum = np.append(problem.integral_group_min_exposure(), 0)
            add(key, n, minimum, minimum > 0, -1.0)
    if not row_blocks:
        return sparse.csr_array((0, n_columns)), np.zeros(0)
    return sparse.vstack(row_blocks, format="csr"), np.concatenate(bound_blocks)
