"""Batch market clearing: instances worked out by hand, Sinkhorn against the exact LP,
infeasible minimums named with their shortfall, bad input refused, and the properties of
every rounded allocation (capacities, distinct items, slots, maximal lists)."""

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mindshare.allocation import (
    Clearing,
    ClearingProblem,
    check_feasible,
    clear_market_lp,
    clear_market_sinkhorn,
    round_to_lists,
)
from mindshare.core import InfeasibleAllocation, InputError

Solver = Callable[[ClearingProblem], Clearing]
SOLVERS: list[Solver] = [clear_market_sinkhorn, clear_market_lp]
solvers = pytest.mark.parametrize("solve", SOLVERS, ids=["sinkhorn", "lp"])


def random_problem(
    seed: int,
    *,
    n_people: int = 60,
    n_items: int = 25,
    n_candidates: int = 10,
    slots: int = 3,
    n_groups: int = 5,
) -> ClearingProblem:
    """Popularity-skewed values with item and creator capacities that bind, and minimums."""
    rng = np.random.default_rng(seed)
    person = np.repeat(np.arange(n_people), n_candidates)
    item = np.concatenate(
        [rng.choice(n_items, n_candidates, replace=False) for _ in range(n_people)]
    )
    popularity = rng.zipf(1.5, n_items).clip(1, 20)
    value = rng.random(person.size) * popularity[item]
    group = rng.integers(0, n_groups, n_items)
    mean_exposure = n_people * slots / n_groups
    return ClearingProblem.from_candidates(
        person,
        item,
        value,
        slots_per_person=slots,
        item_capacity=2.0 * n_people * slots / n_items,
        item_group=group,
        group_capacity=1.5 * mean_exposure,
        group_min_exposure=np.floor(
            np.minimum(0.3 * mean_exposure, 0.5 * np.bincount(group[item], minlength=n_groups))
        ),
    )


# --- instances worked out by hand ---------------------------------------------------------


@solvers
def test_capacity_one_makes_the_anti_diagonal_optimal(solve: Solver) -> None:
    # Greedy by value gives person 0 item 0 (3.0) and person 1 item 1 (0.1): 3.1.
    # Swapping gives 2.5 + 2.9 = 5.4.
    problem = ClearingProblem.from_candidates(
        [0, 0, 1, 1], [0, 1, 0, 1], [3.0, 2.5, 2.9, 0.1], slots_per_person=1, item_capacity=1
    )
    clearing = solve(problem)
    assert clearing.lists().tolist() == [[1], [0]]
    assert clearing.objective == pytest.approx(5.4)
    assert clearing.max_violation == 0.0


@solvers
def test_a_creator_capacity_forces_a_swap(solve: Solver) -> None:
    # Items 0 and 1 belong to creator 0 (capacity 1), item 2 to creator 1. Unconstrained,
    # both people get creator 0 (5 + 5); with the cap the best is 4 + 5 (person 0 takes
    # item 2), not 5 + 1.
    problem = ClearingProblem.from_candidates(
        [0, 0, 1, 1],
        [0, 2, 1, 2],
        [5.0, 4.0, 5.0, 1.0],
        slots_per_person=1,
        item_group=[0, 0, 1],
        group_capacity=[1, 10],
    )
    clearing = solve(problem)
    assert clearing.lists().tolist() == [[2], [1]]
    assert clearing.objective == pytest.approx(9.0)


@solvers
def test_a_minimum_exposure_takes_the_cheapest_slot(solve: Solver) -> None:
    # Both people prefer creator 0; creator 1 needs one person. Person 1 loses less
    # (6 - 5 = 1 against 6 - 1 = 5), so person 1 sees item 2.
    problem = ClearingProblem.from_candidates(
        [0, 0, 1, 1],
        [0, 2, 1, 2],
        [6.0, 1.0, 6.0, 5.0],
        slots_per_person=1,
        item_group=[0, 0, 1],
        group_min_exposure=[0, 1],
    )
    clearing = solve(problem)
    assert clearing.lists().tolist() == [[0], [2]]
    assert clearing.objective == pytest.approx(11.0)
    assert clearing.constraint_violations["group_min_exposure"].count == 0


def test_rounding_repairs_a_short_minimum_by_the_cheapest_swap() -> None:
    # The fractional allocation gives both people creator 0; creator 1 needs one person.
    problem = ClearingProblem.from_candidates(
        [0, 0, 1, 1],
        [0, 2, 1, 2],
        [6.0, 1.0, 6.0, 5.0],
        slots_per_person=1,
        item_group=[0, 0, 1],
        group_min_exposure=[0, 1],
    )
    chosen = round_to_lists(problem, np.array([1.0, 0.0, 1.0, 0.0]))
    assert chosen.tolist() == [0, 3]


@solvers
def test_lists_are_best_first_and_padded(solve: Solver) -> None:
    problem = ClearingProblem.from_candidates(
        [0, 0, 0, 2], [0, 1, 2, 1], [1.0, 3.0, 2.0, 4.0], slots_per_person=2, n_people=3
    )
    clearing = solve(problem)
    assert clearing.lists().tolist() == [[1, 2], [-1, -1], [1, -1]]
    assert clearing.objective == pytest.approx(9.0)


@pytest.mark.parametrize("unit", [1e-200, 1.0, 1e200])
def test_lists_do_not_depend_on_the_unit_of_value(unit: float) -> None:
    problem = random_problem(0)
    rescaled = ClearingProblem.from_candidates(
        problem.person,
        problem.item,
        problem.value * unit,
        slots_per_person=problem.slots_per_person,
        n_items=problem.n_items,
        item_capacity=problem.item_capacity,
        item_group=problem.item_group,
        group_capacity=problem.group_capacity,
        group_min_exposure=problem.group_min_exposure,
    )
    expected = clear_market_sinkhorn(problem)
    clearing = clear_market_sinkhorn(rescaled)
    np.testing.assert_array_equal(clearing.lists(), expected.lists())
    assert clearing.objective == pytest.approx(expected.objective * unit)
    assert clearing.upper_bound == pytest.approx(expected.upper_bound * unit)


# --- Sinkhorn against the exact LP --------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_sinkhorn_reaches_99_percent_of_the_lp_optimum(seed: int) -> None:
    problem = random_problem(seed)
    exact = clear_market_lp(problem)
    approximate = clear_market_sinkhorn(problem)
    assert approximate.objective >= 0.99 * exact.fractional_objective
    assert approximate.objective <= exact.fractional_objective + 1e-6
    assert approximate.upper_bound >= exact.fractional_objective - 1e-6
    assert approximate.max_violation == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_the_lp_optimum_is_integral(seed: int) -> None:
    # Network-flow constraints: HiGHS's basic optimum is an allocation.
    exact = clear_market_lp(random_problem(seed))
    assert exact.objective == pytest.approx(exact.fractional_objective, rel=1e-9)
    assert exact.max_violation == 0.0


# --- infeasible minimums ------------------------------------------------------------------


@solvers
def test_a_minimum_above_its_capacity_is_infeasible(solve: Solver) -> None:
    problem = ClearingProblem.from_candidates(
        [0, 1, 2, 3],
        [0, 0, 0, 0],
        [1.0, 1.0, 1.0, 1.0],
        slots_per_person=1,
        item_group=[0],
        group_capacity=[2],
        group_min_exposure=[3],
    )
    with pytest.raises(
        InfeasibleAllocation,
        match=r"group_min_exposure\[0\] = 3 exceeds "
        r"group_capacity\[0\] = 2 \(short by 1",
    ):
        solve(problem)


@solvers
def test_a_minimum_beyond_reach_is_infeasible(solve: Solver) -> None:
    # Group 1's only item is a candidate of two people but may be shown to one.
    problem = ClearingProblem.from_candidates(
        [0, 0, 1, 1],
        [0, 1, 0, 1],
        [1.0, 1.0, 1.0, 1.0],
        slots_per_person=1,
        item_capacity=[5, 1],
        item_group=[0, 1],
        group_min_exposure=[0, 2],
    )
    with pytest.raises(
        InfeasibleAllocation,
        match=r"group_min_exposure\[1\] = 2, but its "
        r"items reach at most 1 people .* short by 1",
    ):
        solve(problem)


@solvers
def test_minimums_that_compete_for_one_person_are_infeasible(solve: Solver) -> None:
    # Groups 0 and 1 can each reach person 0 only, who has one slot: each minimum alone
    # is reachable, and there are two slots in all, but together they are short by one.
    problem = ClearingProblem.from_candidates(
        [0, 0, 1],
        [0, 1, 2],
        [1.0, 1.0, 1.0],
        slots_per_person=1,
        item_group=[0, 1, 2],
        group_min_exposure=[1, 1, 0],
    )
    with pytest.raises(InfeasibleAllocation, match=r"at most 1 of the required 2 .*short by 1"):
        solve(problem)


def test_minimums_beyond_all_slots_are_infeasible() -> None:
    problem = ClearingProblem.from_candidates(
        [0, 0],
        [0, 1],
        [1.0, 1.0],
        slots_per_person=1,
        item_group=[0, 1],
        group_min_exposure=[1, 1],
    )
    with pytest.raises(InfeasibleAllocation, match=r"adds up to 2, more than the 1 slots"):
        check_feasible(problem)


# --- bad and degenerate input -------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"value": [1.0, np.nan]}, r"value\[1\] is NaN"),
        ({"value": [1.0, np.inf]}, r"value\[1\] is infinite"),
        ({"value": [1.0, -2.0]}, r"value\[1\] = -2.0 must be non-negative"),
        ({"item": [0, 7]}, r"item\[1\] = 7 is out of range \[0, 3\)"),
        (
            {"item": [1, 0, 1], "person": [0, 1, 0], "value": [1.0, 1.0, 1.0]},
            r"duplicate candidate: person 0, item 1 at indices 0 and 2",
        ),
        ({"slots_per_person": [1, 1, 1], "n_people": 2}, r"slots_per_person has 3 entries for 2"),
        ({"value": [1.0]}, r"value has 1 entries, person has 2"),
        ({"slots_per_person": [1, -1]}, r"slots_per_person\[1\] = -1 must be non-negative"),
        ({"item_capacity": [1.0, -1.0, 1.0]}, r"item_capacity\[1\] = -1.0 must be non-neg"),
        ({"group_capacity": [1.0]}, r"group_capacity and group_min_exposure need item_group"),
        ({"item_group": [0, 5, 0], "group_capacity": [1.0]}, r"item_group\[1\] = 5 is out"),
        ({"person": [0.5, 1]}, r"person\[0\] = 0.5 is not an integer"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_index(
    change: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {
        "person": [0, 1],
        "item": [0, 1],
        "value": [1.0, 2.0],
        "slots_per_person": [1, 1],
        "n_items": 3,
    }
    arguments |= change
    with pytest.raises(InputError, match=message):
        ClearingProblem.from_candidates(**arguments)  # type: ignore[arg-type]


def test_unsorted_edges_are_sorted_by_from_candidates_and_refused_directly() -> None:
    problem = ClearingProblem.from_candidates(
        [1, 0, 0], [0, 2, 1], [1.0, 2.0, 3.0], slots_per_person=1
    )
    assert problem.person.tolist() == [0, 0, 1]
    assert problem.item.tolist() == [1, 2, 0]
    assert problem.value.tolist() == [3.0, 2.0, 1.0]
    with pytest.raises(InputError, match=r"not sorted by \(person, item\) at edge 1"):
        ClearingProblem(
            person=np.array([1, 0]),
            item=np.array([0, 0]),
            value=np.array([1.0, 1.0]),
            slots_per_person=np.array([1, 1]),
            n_items=1,
        )


@solvers
def test_degenerate_input_has_documented_outcomes(solve: Solver) -> None:
    # Person 1 has no candidates, person 2 fewer candidates than slots, person 3 no
    # slots; item 2 has capacity 0 and is never shown.
    problem = ClearingProblem.from_candidates(
        [0, 0, 0, 2, 3],
        [0, 1, 2, 0, 1],
        [1.0, 2.0, 9.0, 3.0, 4.0],
        slots_per_person=[2, 2, 3, 0],
        item_capacity=[5, 5, 0],
    )
    clearing = solve(problem)
    assert clearing.lists().tolist() == [[1, 0], [-1, -1], [0, -1], [-1, -1]]
    assert clearing.objective == pytest.approx(6.0)


@solvers
def test_a_problem_without_candidates_clears_to_empty_lists(solve: Solver) -> None:
    problem = ClearingProblem.from_candidates([], [], [], slots_per_person=3, n_people=2)
    clearing = solve(problem)
    assert clearing.lists().shape == (2, 0)
    assert clearing.objective == 0.0


# --- properties of every rounded allocation -----------------------------------------------


@st.composite
def problems(draw: st.DrawFn, *, with_minimums: bool = False) -> ClearingProblem:
    n_people = draw(st.integers(1, 7))
    n_items = draw(st.integers(1, 6))
    n_groups = draw(st.integers(1, 3))
    edges = draw(
        st.sets(st.tuples(st.integers(0, n_people - 1), st.integers(0, n_items - 1)), max_size=30)
    )
    pairs = sorted(edges)
    values = draw(
        st.lists(st.floats(0, 10, allow_nan=False), min_size=len(pairs), max_size=len(pairs))
    )
    capacities = st.lists(st.integers(0, 4).map(float), min_size=n_items, max_size=n_items)
    group_capacities = st.lists(st.integers(0, 6).map(float), min_size=n_groups, max_size=n_groups)
    minimums = st.lists(st.integers(0, 2).map(float), min_size=n_groups, max_size=n_groups)
    return ClearingProblem.from_candidates(
        [p for p, _ in pairs],
        [i for _, i in pairs],
        values,
        slots_per_person=draw(st.integers(0, 4)),
        n_people=n_people,
        n_items=n_items,
        item_capacity=draw(st.none() | capacities),
        item_group=draw(
            st.lists(st.integers(-1, n_groups - 1), min_size=n_items, max_size=n_items)
        ),
        group_capacity=draw(st.none() | group_capacities),
        group_min_exposure=draw(st.none() | minimums) if with_minimums else None,
    )


def assert_valid_lists(problem: ClearingProblem, chosen: np.ndarray) -> None:
    """Within every capacity, no item twice, at most K each, and nothing left to add."""
    person, item = problem.person[chosen], problem.item[chosen]
    assert len(set(zip(person.tolist(), item.tolist(), strict=True))) == chosen.size
    per_person = np.bincount(person, minlength=problem.n_people)
    assert (per_person <= problem.slots_per_person).all()
    per_item = np.bincount(item, minlength=problem.n_items)
    assert (per_item <= problem.integral_item_capacity()).all()
    group = problem.edge_group()[chosen]
    per_group = np.bincount(group[group >= 0], minlength=problem.n_groups)
    assert (per_group <= problem.integral_group_capacity()).all()
    # Maximal: every candidate left out is blocked by a full person, item or group.
    left_out = np.setdiff1d(np.flatnonzero(problem.usable_edges()), chosen)
    person_full = (
        per_person[problem.person[left_out]] >= problem.slots_per_person[problem.person[left_out]]
    )
    item_full = (
        per_item[problem.item[left_out]] >= problem.integral_item_capacity()[problem.item[left_out]]
    )
    edge_group = problem.edge_group()[left_out]
    group_full = np.zeros(left_out.size, dtype=bool)
    grouped = edge_group >= 0
    group_full[grouped] = (
        per_group[edge_group[grouped]] >= problem.integral_group_capacity()[edge_group[grouped]]
    )
    assert (person_full | item_full | group_full).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_sinkhorn_lists_respect_every_constraint(problem: ClearingProblem) -> None:
    clearing = clear_market_sinkhorn(problem)
    chosen = _chosen_edges(problem, clearing)
    assert_valid_lists(problem, chosen)
    assert clearing.max_violation == 0.0
    if problem.item_capacity is None and problem.group_capacity is None:
        candidates = np.bincount(problem.person, minlength=problem.n_people)
        expected = np.minimum(problem.slots_per_person, candidates)
        assert np.bincount(clearing.person, minlength=problem.n_people).tolist() == (
            expected.tolist()
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(with_minimums=True))
def test_sinkhorn_refuses_exactly_the_infeasible_minimums(problem: ClearingProblem) -> None:
    try:
        check_feasible(problem)
    except InfeasibleAllocation:
        with pytest.raises(InfeasibleAllocation):
            clear_market_sinkhorn(problem)
        return
    clearing = clear_market_sinkhorn(problem)
    assert_valid_lists(problem, _chosen_edges(problem, clearing))
    for capacity in ("person_slots", "item_capacity", "group_capacity"):
        if capacity in clearing.constraint_violations:
            assert clearing.constraint_violations[capacity].count == 0


@settings(max_examples=60, deadline=None)
@given(problems(with_minimums=True), st.data())
def test_any_fractional_allocation_rounds_to_valid_lists(
    problem: ClearingProblem, data: st.DataObject
) -> None:
    shares = data.draw(
        st.lists(st.floats(0, 1), min_size=problem.n_edges, max_size=problem.n_edges)
    )
    assert_valid_lists(problem, round_to_lists(problem, np.array(shares)))


def _chosen_edges(problem: ClearingProblem, clearing: Clearing) -> np.ndarray:
    """Indices of the clearing's (person, item) pairs among the problem's edges."""
    key = problem.person * problem.n_items + problem.item
    return np.searchsorted(key, clearing.person * problem.n_items + clearing.item)
