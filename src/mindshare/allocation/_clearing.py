"""Batch market clearing: the problem, the result, rounding to lists and feasibility checks.

Every person has a short list of candidate items with an expected attention value each,
and ``K`` slots. Items may have capacities (how many people may be shown one), and items
may belong to groups (creators) with a capacity and a minimum exposure each. Clearing
picks, for every person, at most ``K`` distinct candidates so that no capacity is
exceeded and the total expected attention is as large as possible.

Capacities and targets count people shown something, so they are integral in effect: a
fractional capacity is rounded down and a fractional minimum exposure up. The fractional
relaxation of the problem is a network flow (source → person → item → group → sink), so
with integral data its linear programme has an integral optimum (Ahuja, Magnanti & Orlin
1993, ch. 9); :func:`mindshare.allocation.clear_market_lp` is therefore an exact
reference.

Degenerate input is accepted with a documented outcome rather than an error: a person
with no candidates gets an empty list, a person with fewer candidates than slots gets at
most every candidate, a zero capacity (of an item or a group) means never shown, and
``K = 0`` means an empty list. NaN, infinite or negative values, indices out of range,
duplicate candidates and mismatched lengths raise :class:`~mindshare.core.InputError`;
minimum exposures that no allocation can meet raise
:class:`~mindshare.core.InfeasibleAllocation`, naming the groups and the shortfall.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse import csgraph

from mindshare.core import InfeasibleAllocation, InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Group index of an item that belongs to no group.
NO_GROUP = -1
#: Stand-in for an infinite integral capacity in integer arithmetic.
_UNLIMITED = np.iinfo(np.int64).max // 4


@dataclass(frozen=True, slots=True, eq=False)
class ClearingProblem:
    """Candidate lists of expected attention, slots per person and exposure constraints.

    The candidates are a CSR-like edge list sorted by ``(person, item)``: edge ``e``
    offers ``item[e]`` to ``person[e]`` worth ``value[e]`` (expected attention, >= 0).
    Build one with :meth:`from_candidates`, which accepts any order and scalars; direct
    construction validates but does not sort or convert.

    Attributes
    ----------
    person, item, value
        One entry per candidate edge.
    slots_per_person
        ``K`` of every person; its length is the number of people.
    n_items
        Size of the catalogue.
    item_capacity
        Most people each item may be shown to (``inf`` for no limit), or None.
    item_group
        Group (creator) of each item, ``NO_GROUP`` (-1) for none; needed by the group
        constraints.
    group_capacity
        Most exposure (people shown one of its items) per group, or None.
    group_min_exposure
        Least exposure per group, or None.
    """

    person: IntArray
    item: IntArray
    value: FloatArray
    slots_per_person: IntArray
    n_items: int
    item_capacity: FloatArray | None = None
    item_group: IntArray | None = None
    group_capacity: FloatArray | None = None
    group_min_exposure: FloatArray | None = None

    def __post_init__(self) -> None:
        _validate(self)

    @classmethod
    def from_candidates(
        cls,
        person: npt.ArrayLike,
        item: npt.ArrayLike,
        value: npt.ArrayLike,
        *,
        slots_per_person: int | npt.ArrayLike,
        n_people: int | None = None,
        n_items: int | None = None,
        item_capacity: npt.ArrayLike | None = None,
        item_group: npt.ArrayLike | None = None,
        group_capacity: npt.ArrayLike | None = None,
        group_min_exposure: npt.ArrayLike | None = None,
    ) -> "ClearingProblem":
        """A validated problem from edges in any order; sizes default to the largest index.

        ``slots_per_person`` is one ``K`` for everybody or one per person; a scalar
        capacity applies to every item or group.
        """
        person_array = _integers("person", person)
        item_array = _integers("item", item)
        value_array = np.ascontiguousarray(np.asarray(value, dtype=np.float64).ravel())
        _same_length("value", value_array, "person", person_array)
        _same_length("item", item_array, "person", person_array)
        groups = None if item_group is None else _integers("item_group", item_group)
        slots_array = np.asarray(slots_per_person)
        if n_people is None:
            n_people = (
                slots_array.size if slots_array.ndim else int(person_array.max(initial=-1)) + 1
            )
        if slots_array.ndim and slots_array.size != n_people:
            raise InputError(
                f"slots_per_person has {slots_array.size} entries for {n_people} people"
            )
        if n_items is None:
            n_items = (
                int(np.asarray(item_capacity).size)
                if item_capacity is not None and np.ndim(item_capacity)
                else groups.size
                if groups is not None
                else int(item_array.max(initial=-1)) + 1
            )
        slots = _integers("slots_per_person", np.broadcast_to(slots_array, (n_people,)))
        n_groups = _group_count(groups, group_capacity, group_min_exposure)
        # Checked here too, so that messages give the caller's indices, not sorted ones.
        _in_range("person", person_array, 0, n_people)
        _in_range("item", item_array, 0, n_items)
        _finite_non_negative("value", value_array)
        order = _sorting_order(person_array, item_array, n_items)
        if order is not None:
            person_array, item_array, value_array = (
                person_array[order],
                item_array[order],
                value_array[order],
            )
            repeated = np.flatnonzero((np.diff(person_array) == 0) & (np.diff(item_array) == 0))
            if repeated.size:
                e = int(repeated[0])
                first, second = sorted((int(order[e]), int(order[e + 1])))
                raise InputError(
                    f"duplicate candidate: person {person_array[e]}, item {item_array[e]} "
                    f"at indices {first} and {second}"
                )
        return cls(
            person=person_array,
            item=item_array,
            value=value_array,
            slots_per_person=slots,
            n_items=n_items,
            item_capacity=_per_entity("item_capacity", item_capacity, n_items),
            item_group=groups,
            group_capacity=_per_entity("group_capacity", group_capacity, n_groups),
            group_min_exposure=_per_entity("group_min_exposure", group_min_exposure, n_groups),
        )

    @property
    def n_people(self) -> int:
        return int(self.slots_per_person.size)

    @property
    def n_edges(self) -> int:
        return int(self.person.size)

    @property
    def n_groups(self) -> int:
        return _group_count(self.item_group, self.group_capacity, self.group_min_exposure)

    def person_starts(self) -> IntArray:
        """CSR row pointer: person ``u``'s edges are ``starts[u]:starts[u + 1]``."""
        starts: IntArray = np.zeros(self.n_people + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.person, minlength=self.n_people), out=starts[1:])
        return starts

    def edge_group(self) -> IntArray:
        """Group of each edge's item (``NO_GROUP`` where none or without groups)."""
        if self.item_group is None:
            return np.full(self.n_edges, NO_GROUP, dtype=np.int64)
        groups: IntArray = self.item_group[self.item]
        return groups

    def integral_item_capacity(self) -> IntArray:
        """Item capacities rounded down, ``_UNLIMITED`` where there is no limit."""
        return _floor_capacity(self.item_capacity, self.n_items)

    def integral_group_capacity(self) -> IntArray:
        return _floor_capacity(self.group_capacity, self.n_groups)

    def integral_group_min_exposure(self) -> IntArray:
        """Minimum exposures rounded up (zero where there are none)."""
        if self.group_min_exposure is None:
            return np.zeros(self.n_groups, dtype=np.int64)
        return np.ceil(self.group_min_exposure - 1e-9).astype(np.int64)

    def usable_edges(self) -> BoolArray:
        """Edges that any allocation may use: slots, item and group capacity all positive."""
        usable: BoolArray = self.slots_per_person[self.person] > 0
        if self.item_capacity is not None:
            usable &= self.integral_item_capacity()[self.item] > 0
        if self.group_capacity is not None:
            group = self.edge_group()
            grouped = group >= 0
            capacity = self.integral_group_capacity()
            usable[grouped] &= capacity[group[grouped]] > 0
        return usable


@dataclass(frozen=True, slots=True)
class ConstraintViolation:
    """How far one family of constraints is broken: how many, by how much in all, worst."""

    count: int
    total: float
    largest: float

    @classmethod
    def of(cls, excess: npt.ArrayLike) -> "ConstraintViolation":
        """Summary of per-constraint excesses (non-positive entries are satisfied)."""
        positive = np.maximum(np.asarray(excess, dtype=np.float64), 0.0)
        return cls(
            count=int(np.count_nonzero(positive > 1e-9)),
            total=float(positive.sum()),
            largest=float(positive.max(initial=0.0)),
        )


@dataclass(frozen=True, slots=True, eq=False)
class Clearing:
    """An integral allocation: per-person lists, their value and what they violate.

    ``person``/``item``/``value`` are the chosen edges, sorted by person and, within a
    person, by value (best first). ``objective`` is their total value;
    ``fractional_objective`` the value of the solver's fractional solution (the LP
    optimum for the LP); ``upper_bound`` a certified bound on the LP optimum (a dual
    value), so ``objective / upper_bound`` is a lower bound on the share of the optimum
    reached. ``constraint_violations`` maps each constraint family (``person_slots``,
    ``item_capacity``, ``group_capacity``, ``group_min_exposure``) to its violation
    after rounding; only minimum exposures can be violated by construction.
    ``residual`` is the largest relative constraint residual of the fractional solution.
    """

    method: str
    n_people: int
    person: IntArray
    item: IntArray
    value: FloatArray
    objective: float
    fractional_objective: float
    upper_bound: float
    constraint_violations: dict[str, ConstraintViolation]
    residual: float
    iterations: int
    seconds: float
    epsilon: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def lists(self, slots: int | None = None) -> IntArray:
        """People × slots matrix of item indices, best first, padded with -1."""
        counts = np.bincount(self.person, minlength=self.n_people)
        width = int(counts.max(initial=0)) if slots is None else slots
        matrix: IntArray = np.full((self.n_people, width), -1, dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        position = np.arange(self.person.size) - starts[self.person]
        keep = position < width
        matrix[self.person[keep], position[keep]] = self.item[keep]
        return matrix

    @property
    def max_violation(self) -> float:
        """The worst single violated constraint after rounding (0 when none)."""
        return max((v.largest for v in self.constraint_violations.values()), default=0.0)


def round_to_lists(
    problem: ClearingProblem,
    fractional: npt.ArrayLike,
    *,
    min_share: float = 1e-3,
    usable: BoolArray | None = None,
) -> IntArray:
    """Integral lists from a fractional allocation: the chosen edges' indices, sorted.

    A greedy in sorted passes, vectorised over people: edges with ``x >= min_share`` in
    order of ``x`` (ties by value), then the rest in order of value, each pass giving
    every person their best remaining candidates and trimming at items and groups to
    their remaining capacity. Capacities and slots are never exceeded, no person gets an
    item twice, and the lists are maximal (a person ends with fewer than ``K`` only when
    each remaining candidate's item or group is full). Minimum exposures left short are
    then repaired by swaps (a person trades their worst item from a group above its
    minimum for a candidate of a short group) as far as single swaps allow.
    ``usable`` is :meth:`ClearingProblem.usable_edges`, when already at hand.
    """
    x = np.asarray(fractional, dtype=np.float64)
    if x.shape != (problem.n_edges,):
        raise InputError(f"fractional has shape {x.shape}, expected ({problem.n_edges},)")
    if usable is None:
        usable = problem.usable_edges()
    state = _RoundingState.start(problem, usable)
    first = np.flatnonzero(usable & (x >= min_share))
    state.greedy(first, primary=x[first], secondary=problem.value[first])
    state.fill()
    if state.repair_min_exposure():
        state.fill()  # a swap may have freed room on an item someone else could use
    return state.chosen_edges()


def violations(problem: ClearingProblem, chosen: IntArray) -> dict[str, ConstraintViolation]:
    """Every constraint family's violation by the chosen edges (see :class:`Clearing`)."""
    return _violations(problem, _edge_mask(problem, chosen).astype(np.float64))


def fractional_residual(problem: ClearingProblem, x: FloatArray) -> float:
    """Largest constraint excess of a fractional allocation, relative to its bound."""
    worst = 0.0
    for family, excess in _excesses(problem, x).items():
        bound = _family_bounds(problem, family)
        worst = max(worst, float((excess / np.maximum(bound, 1.0)).max(initial=0.0)))
    return worst


def check_feasible(problem: ClearingProblem) -> None:
    """Raise :class:`InfeasibleAllocation` when no integral allocation meets the minimums.

    Capacities alone are always feasible (show nothing); only minimum exposures can fail.
    Cheap necessary conditions come first, each with its own message; then a maximum
    flow (source → person → item → group → sink, each group's arc capped at its minimum)
    decides exactly: the minimums are feasible iff that flow saturates every group arc.
    """
    check_min_exposure_bounds(problem)
    if problem.group_min_exposure is None:
        return
    minimum = problem.integral_group_min_exposure()
    if not minimum.any():
        return
    reached = _max_flow_to_groups(problem, minimum)
    short = minimum - reached
    if short.max(initial=0) > 0:
        raise InfeasibleAllocation(
            "group_min_exposure cannot all be met: at most "
            f"{int(reached.sum())} of the required {int(minimum.sum())} exposures fit "
            f"(short by {int(short.sum())}; in one maximum flow {_describe_short(short)})"
        )


def check_min_exposure_bounds(problem: ClearingProblem, *, usable: BoolArray | None = None) -> None:
    """Necessary conditions on minimum exposures, each naming the group and shortfall.

    ``usable`` is :meth:`ClearingProblem.usable_edges`, when already at hand.
    """
    if problem.group_min_exposure is None:
        return
    if usable is None:
        usable = problem.usable_edges()
    minimum = problem.integral_group_min_exposure()
    if problem.group_capacity is not None:
        capacity = problem.integral_group_capacity()
        over = np.flatnonzero(minimum > capacity)
        if over.size:
            g = int(over[0])
            raise InfeasibleAllocation(
                f"group_min_exposure[{g}] = {minimum[g]} exceeds group_capacity[{g}] = "
                f"{capacity[g]} (short by {minimum[g] - capacity[g]}; "
                f"{over.size} group(s) like this)"
            )
    reach = _group_reach(problem, usable)
    short = minimum - reach
    if short.max(initial=0) > 0:
        g = int(np.argmax(short))
        raise InfeasibleAllocation(
            f"group_min_exposure[{g}] = {minimum[g]}, but its items reach at most "
            f"{reach[g]} people (candidate edges within item capacities): short by "
            f"{short[g]}; {_describe_short(short)}"
        )
    per_person = np.bincount(problem.person[usable], minlength=problem.n_people)
    slots = int(np.minimum(problem.slots_per_person, per_person).sum())
    if int(minimum.sum()) > slots:
        raise InfeasibleAllocation(
            f"group_min_exposure adds up to {int(minimum.sum())}, more than the {slots} "
            f"slots people can fill (short by {int(minimum.sum()) - slots})"
        )


# --- validation -------------------------------------------------------------------------


def _validate(problem: ClearingProblem) -> None:
    n_edges = problem.person.size
    for name in ("person", "item", "value", "slots_per_person"):
        array = getattr(problem, name)
        if not isinstance(array, np.ndarray) or array.ndim != 1:
            raise InputError(f"{name} must be a one-dimensional numpy array")
    _same_length("item", problem.item, "person", problem.person)
    _same_length("value", problem.value, "person", problem.person)
    n_people = problem.slots_per_person.size
    _in_range("person", problem.person, 0, n_people)
    _in_range("item", problem.item, 0, problem.n_items)
    _finite_non_negative("value", problem.value)
    _finite_non_negative("slots_per_person", problem.slots_per_person)
    if n_edges > 1:
        key = problem.person * max(problem.n_items, 1) + problem.item
        step = np.diff(key)
        if (step <= 0).any():
            e = int(np.flatnonzero(step <= 0)[0])
            if step[e] == 0:
                raise InputError(
                    f"duplicate candidate: person {problem.person[e]}, item "
                    f"{problem.item[e]} at edges {e} and {e + 1}"
                )
            raise InputError(
                f"edges are not sorted by (person, item) at edge {e + 1}; "
                "use ClearingProblem.from_candidates"
            )
    if problem.item_capacity is not None:
        _length("item_capacity", problem.item_capacity, problem.n_items)
        _non_negative("item_capacity", problem.item_capacity)
    n_groups = _group_count(problem.item_group, problem.group_capacity, problem.group_min_exposure)
    if problem.item_group is not None:
        _length("item_group", problem.item_group, problem.n_items)
        _in_range("item_group", problem.item_group, NO_GROUP, n_groups)
    elif problem.group_capacity is not None or problem.group_min_exposure is not None:
        raise InputError("group_capacity and group_min_exposure need item_group")
    for name in ("group_capacity", "group_min_exposure"):
        array = getattr(problem, name)
        if array is not None:
            _length(name, array, n_groups)
            _non_negative(name, array)
    if problem.group_min_exposure is not None and np.isinf(problem.group_min_exposure).any():
        g = int(np.flatnonzero(np.isinf(problem.group_min_exposure))[0])
        raise InputError(f"group_min_exposure[{g}] is infinite")


def _integers(name: str, values: Any) -> IntArray:
    array = np.asarray(values)
    if array.ndim != 1:
        array = array.ravel()
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array) | (array != np.round(array))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"{name}[{i}] = {array[i]} is not an integer")
    elif array.dtype.kind not in "iub" and array.size:
        raise InputError(f"{name} must hold integers, not {array.dtype}")
    converted: IntArray = np.ascontiguousarray(array, dtype=np.int64)
    return converted


def _per_entity(name: str, values: npt.ArrayLike | None, n: int) -> FloatArray | None:
    if values is None:
        return None
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        array = np.full(n, float(array))
    broadcast: FloatArray = np.ascontiguousarray(array)
    return broadcast


def _group_count(
    item_group: IntArray | None,
    group_capacity: npt.ArrayLike | None,
    group_min_exposure: npt.ArrayLike | None,
) -> int:
    for given in (group_capacity, group_min_exposure):
        if given is not None and np.ndim(given):
            return int(np.asarray(given).size)
    if item_group is None:
        return 0
    return int(np.asarray(item_group).max(initial=NO_GROUP)) + 1


def _sorting_order(person: IntArray, item: IntArray, n_items: int) -> IntArray | None:
    """Permutation sorting edges by (person, item), or None when already sorted."""
    if person.size < 2:
        return None
    key = person * max(n_items, 1) + item
    if (np.diff(key) > 0).all():
        return None
    order: IntArray = np.argsort(key, kind="stable")
    return order


def _same_length(name: str, array: np.ndarray[Any, Any], other: str, like: IntArray) -> None:
    if array.size != like.size:
        raise InputError(f"{name} has {array.size} entries, {other} has {like.size}")


def _length(name: str, array: np.ndarray[Any, Any], n: int) -> None:
    if array.ndim != 1 or array.size != n:
        raise InputError(f"{name} has shape {array.shape}, expected ({n},)")


def _in_range(name: str, array: IntArray, low: int, high: int) -> None:
    bad = (array < low) | (array >= high)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{name}[{i}] = {array[i]} is out of range [{low}, {high})")


def _finite_non_negative(name: str, array: np.ndarray[Any, Any]) -> None:
    if array.dtype.kind == "f":
        nan = np.isnan(array)
        if nan.any():
            raise InputError(f"{name}[{int(np.flatnonzero(nan)[0])}] is NaN")
        infinite = np.isinf(array)
        if infinite.any():
            raise InputError(f"{name}[{int(np.flatnonzero(infinite)[0])}] is infinite")
    _non_negative(name, array)


def _non_negative(name: str, array: np.ndarray[Any, Any]) -> None:
    bad = ~(array >= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{name}[{i}] = {array[i]} must be non-negative")


def _floor_capacity(capacity: FloatArray | None, n: int) -> IntArray:
    if capacity is None:
        return np.full(n, _UNLIMITED, dtype=np.int64)
    limited = np.minimum(np.floor(capacity + 1e-9), float(_UNLIMITED))
    return limited.astype(np.int64)


# --- feasibility ------------------------------------------------------------------------


def _group_reach(problem: ClearingProblem, usable: BoolArray) -> IntArray:
    """Most exposure each group can get: its items' usable edges within item capacities."""
    degree = np.bincount(problem.item[usable], minlength=problem.n_items)
    reach_per_item = np.minimum(degree, problem.integral_item_capacity())
    assert problem.item_group is not None
    grouped = problem.item_group >= 0
    reach: IntArray = np.bincount(
        problem.item_group[grouped], weights=reach_per_item[grouped], minlength=problem.n_groups
    ).astype(np.int64)
    return reach


def _max_flow_to_groups(problem: ClearingProblem, minimum: IntArray) -> IntArray:
    """Exposure each group gets in a maximum flow whose group arcs are capped at the minimum."""
    assert problem.item_group is not None
    usable = problem.usable_edges()
    group = problem.edge_group()
    wanted = usable & (group >= 0)
    wanted[wanted] = minimum[group[wanted]] > 0
    edges = np.flatnonzero(wanted)
    n_people, n_items, n_groups = problem.n_people, problem.n_items, problem.n_groups
    source, first_item = 0, 1 + n_people
    first_group = first_item + n_items
    sink = first_group + n_groups
    int32_max = np.iinfo(np.int32).max
    item_cap = np.minimum(problem.integral_item_capacity(), int32_max)
    items = np.unique(problem.item[edges])
    groups = np.flatnonzero(minimum > 0)
    people = np.unique(problem.person[edges])
    tail = np.concatenate(
        (
            np.full(people.size, source),
            1 + problem.person[edges],
            first_item + items,
            first_group + groups,
        )
    )
    head = np.concatenate(
        (
            1 + people,
            first_item + problem.item[edges],
            first_group + problem.item_group[items],
            np.full(groups.size, sink),
        )
    )
    capacity = np.concatenate(
        (
            np.minimum(problem.slots_per_person[people], int32_max),
            np.ones(edges.size, dtype=np.int64),
            item_cap[items],
            minimum[groups],
        )
    ).astype(np.int32)
    graph = sparse.csr_array((capacity, (tail, head)), shape=(sink + 1, sink + 1))
    flow = sparse.coo_array(csgraph.maximum_flow(graph, source, sink).flow)
    into_sink = (flow.col == sink) & (flow.data > 0)
    reached: IntArray = np.zeros(n_groups, dtype=np.int64)
    reached[flow.row[into_sink] - first_group] = flow.data[into_sink]
    return reached


def _describe_short(short: IntArray, shown: int = 5) -> str:
    groups = np.flatnonzero(short > 0)
    worst = groups[np.argsort(-short[groups], kind="stable")][:shown]
    listed = ", ".join(f"group {int(g)} by {int(short[g])}" for g in worst)
    more = f" and {groups.size - shown} more" if groups.size > shown else ""
    return f"short: {listed}{more}"


# --- violations -------------------------------------------------------------------------


def _edge_mask(problem: ClearingProblem, chosen: IntArray) -> BoolArray:
    mask: BoolArray = np.zeros(problem.n_edges, dtype=np.bool_)
    mask[chosen] = True
    return mask


def _excesses(problem: ClearingProblem, x: FloatArray) -> dict[str, FloatArray]:
    """Per-constraint excess over its bound, one array per constraint family."""

    def excess(total: npt.ArrayLike, bound: npt.ArrayLike) -> FloatArray:
        difference: FloatArray = np.subtract(total, bound, dtype=np.float64)
        return difference

    per_person = np.bincount(problem.person, weights=x, minlength=problem.n_people)
    excesses = {"person_slots": excess(per_person, problem.slots_per_person)}
    per_item = np.bincount(problem.item, weights=x, minlength=problem.n_items)
    if problem.item_capacity is not None:
        excesses["item_capacity"] = excess(per_item, problem.integral_item_capacity())
    if problem.item_group is not None and problem.n_groups:
        grouped = problem.item_group >= 0
        per_group = np.bincount(
            problem.item_group[grouped], weights=per_item[grouped], minlength=problem.n_groups
        )
        if problem.group_capacity is not None:
            excesses["group_capacity"] = excess(per_group, problem.integral_group_capacity())
        if problem.group_min_exposure is not None:
            excesses["group_min_exposure"] = excess(
                problem.integral_group_min_exposure(), per_group
            )
    return excesses


def _family_bounds(problem: ClearingProblem, family: str) -> FloatArray:
    bounds: dict[str, Any] = {
        "person_slots": problem.slots_per_person,
        "item_capacity": problem.integral_item_capacity(),
        "group_capacity": problem.integral_group_capacity(),
        "group_min_exposure": problem.integral_group_min_exposure(),
    }
    return np.asarray(bounds[family], dtype=np.float64)


def _violations(problem: ClearingProblem, x: FloatArray) -> dict[str, ConstraintViolation]:
    return {family: ConstraintViolation.of(e) for family, e in _excesses(problem, x).items()}


# --- rounding ---------------------------------------------------------------------------


def _rank_within(key: IntArray, primary: FloatArray, secondary: FloatArray) -> IntArray:
    """Each entry's 0-based rank among entries with the same key, best (largest) first."""
    order = np.lexsort((-secondary, -primary, key))
    sorted_key = key[order]
    position = np.arange(key.size)
    new_run = np.ones(key.size, dtype=np.bool_)
    new_run[1:] = sorted_key[1:] != sorted_key[:-1]
    run_start = np.maximum.accumulate(np.where(new_run, position, 0))
    rank: IntArray = np.empty(key.size, dtype=np.int64)
    rank[order] = position - run_start
    return rank


@dataclass(slots=True)
class _RoundingState:
    """Remaining slots and capacities while edges are chosen, and the edges chosen."""

    problem: ClearingProblem
    usable: BoolArray
    edge_group: IntArray
    slots_left: IntArray
    item_left: IntArray
    group_left: IntArray
    chosen: BoolArray

    @classmethod
    def start(cls, problem: ClearingProblem, usable: BoolArray) -> "_RoundingState":
        # Edges without a group share one extra, unlimited group at the end.
        group = problem.edge_group()
        n_groups = problem.n_groups
        group = np.where(group >= 0, group, n_groups)
        group_left = np.append(problem.integral_group_capacity(), _UNLIMITED)
        return cls(
            problem=problem,
            usable=usable,
            edge_group=group,
            slots_left=problem.slots_per_person.copy(),
            item_left=problem.integral_item_capacity().copy(),
            group_left=group_left,
            chosen=np.zeros(problem.n_edges, dtype=np.bool_),
        )

    def greedy(self, edges: IntArray, *, primary: FloatArray, secondary: FloatArray) -> None:
        """Choose among ``edges`` best first, in passes, within every remaining capacity."""
        p = self.problem
        keep = self._open_mask(edges)
        edges, primary, secondary = edges[keep], primary[keep], secondary[keep]
        while edges.size:
            person, item, group = p.person[edges], p.item[edges], self.edge_group[edges]
            take = _rank_within(person, primary, secondary) < self.slots_left[person]
            take[take] = (
                _rank_within(item[take], primary[take], secondary[take])
                < self.item_left[item[take]]
            )
            take[take] = (
                _rank_within(group[take], primary[take], secondary[take])
                < self.group_left[group[take]]
            )
            self._choose(edges[take])
            keep = ~take
            keep[keep] = self._open_mask(edges[keep])
            edges, primary, secondary = edges[keep], primary[keep], secondary[keep]

    def fill(self) -> None:
        """Fill free slots by value, edges of groups below their minimum first."""
        p = self.problem
        people_with_room = np.flatnonzero(self.slots_left > 0)
        if not people_with_room.size:
            return
        starts = p.person_starts()
        lengths = starts[people_with_room + 1] - starts[people_with_room]
        edges = _ranges(starts[people_with_room], lengths)
        edges = edges[self.usable[edges]]
        short = self._short_groups()
        self.greedy(
            edges,
            primary=short[self.edge_group[edges]].astype(np.float64),
            secondary=p.value[edges],
        )

    def repair_min_exposure(self, max_rounds: int = 50) -> bool:
        """Swaps that raise groups below their minimum, the least loss of value first;
        whether any was made.

        In each round every person may trade their cheapest edge in a group above its
        minimum for a candidate of a group below (its item with room), as long as no
        group falls below its minimum and none rises above it.
        """
        p = self.problem
        swapped = False
        if p.group_min_exposure is None:
            return swapped
        minimum = np.append(p.integral_group_min_exposure(), 0)
        edges = np.flatnonzero(self.usable)
        edges = edges[minimum[self.edge_group[edges]] > 0]
        edge_group = self.edge_group[edges]
        for _ in range(max_rounds):
            exposure = self._exposure()
            shortfall = np.maximum(minimum - exposure, 0)
            if not shortfall.any():
                return swapped
            wanted = edges[shortfall[edge_group] > 0]
            wanted = wanted[~self.chosen[wanted] & (self.item_left[p.item[wanted]] > 0)]
            surplus = np.maximum(exposure - minimum, 0)
            give_up = self._cheapest_spare_edge(surplus)
            wanted = wanted[give_up[p.person[wanted]] >= 0]
            if not wanted.size:
                return swapped
            dropped = give_up[p.person[wanted]]
            gain = p.value[wanted] - p.value[dropped]
            tie = -wanted.astype(np.float64)
            take = _rank_within(p.person[wanted], gain, tie) < 1
            for key, room in (
                (p.item[wanted], self.item_left[p.item[wanted]]),
                (self.edge_group[wanted], shortfall[self.edge_group[wanted]]),
                (self.edge_group[dropped], surplus[self.edge_group[dropped]]),
            ):
                take[take] = _rank_within(key[take], gain[take], tie[take]) < room[take]
            self._unchoose(dropped[take])
            self._choose(wanted[take])
            swapped = True
        return swapped

    def _cheapest_spare_edge(self, surplus: IntArray) -> IntArray:
        """Per person, their cheapest chosen edge in a group with surplus (-1: none)."""
        p = self.problem
        chosen = np.flatnonzero(self.chosen)  # sorted by person
        spare = chosen[surplus[self.edge_group[chosen]] > 0]
        give_up: IntArray = np.full(p.n_people, -1, dtype=np.int64)
        if not spare.size:
            return give_up
        person, value = p.person[spare], p.value[spare]
        new_person = np.ones(spare.size, dtype=np.bool_)
        new_person[1:] = person[1:] != person[:-1]
        starts = np.flatnonzero(new_person)
        lowest = np.minimum.reduceat(value, starts)
        cheapest = spare[value == np.repeat(lowest, np.diff(np.append(starts, spare.size)))]
        # Reversed, so that the first cheapest edge of each person is written last.
        give_up[p.person[cheapest[::-1]]] = cheapest[::-1]
        return give_up

    def chosen_edges(self) -> IntArray:
        """Chosen edge indices, sorted by person and, within a person, by value."""
        edges = np.flatnonzero(self.chosen)
        p = self.problem
        order = np.lexsort((edges, -p.value[edges], p.person[edges]))
        chosen: IntArray = edges[order]
        return chosen

    def _open_mask(self, edges: IntArray) -> BoolArray:
        p = self.problem
        mask: BoolArray = (
            ~self.chosen[edges]
            & (self.slots_left[p.person[edges]] > 0)
            & (self.item_left[p.item[edges]] > 0)
            & (self.group_left[self.edge_group[edges]] > 0)
        )
        return mask

    def _choose(self, edges: IntArray) -> None:
        self._count(edges, -1)
        self.chosen[edges] = True

    def _unchoose(self, edges: IntArray) -> None:
        self._count(edges, +1)
        self.chosen[edges] = False

    def _count(self, edges: IntArray, sign: int) -> None:
        p = self.problem
        for left, key in (
            (self.slots_left, p.person[edges]),
            (self.item_left, p.item[edges]),
            (self.group_left, self.edge_group[edges]),
        ):
            np.add.at(left, key, sign)

    def _exposure(self) -> IntArray:
        """Chosen edges per group (the last entry counts edges without a group)."""
        chosen = np.flatnonzero(self.chosen)
        exposure: IntArray = np.bincount(self.edge_group[chosen], minlength=self.group_left.size)
        return exposure

    def _short_groups(self) -> BoolArray:
        """Groups below their minimum (the last entry: edges without a group)."""
        minimum = np.append(self.problem.integral_group_min_exposure(), 0)
        short: BoolArray = self._exposure() < minimum
        return short


def _ranges(starts: IntArray, lengths: IntArray) -> IntArray:
    """Concatenation of ``arange(s, s + n)`` for every start ``s`` and length ``n``."""
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    ranges: IntArray = np.arange(total, dtype=np.int64) + offsets
    return ranges
