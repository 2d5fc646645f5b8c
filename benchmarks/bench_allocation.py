"""Batch market clearing: Sinkhorn against the exact LP on growing instances, then at scale.

Run it as::

    .venv/bin/python benchmarks/bench_allocation.py [--quick] [--lp-time-limit 300]
        [--out benchmarks/results/allocation.json]

``--quick`` runs small sizes (a 2,000-item catalogue, 500-2,000 people on the ladder,
10,000 people at scale) and writes ``allocation-quick.json`` unless told otherwise.

Every instance is one synthetic world (numpy seed 0): a catalogue of items owned by
creators with Zipf-skewed popularity (a creator's items share its popularity, times a
log-normal factor), people and items with 16-dimensional taste vectors, and each
person's candidates their top 100 items by ``taste · item + 0.2 log popularity``. A
candidate's value is its expected attention in seconds: the item's typical dwell
(log-normal, median 20 s) times a logistic engagement probability of the score. Each
person has K = 10 slots; an item may be shown to at most 10× the mean item exposure, a
creator to at most 4× the mean creator exposure (binding for the popular ones), and
every creator gets a minimum exposure of half the mean (at most half of what its items
can reach; binding for the small ones). Generation is never timed.

The ladder grows the number of people over a fixed catalogue, up to 1 M edges. On each
rung both solvers run on the same instance in the same process: ``clear_market_lp``
(HiGHS, once, stopped at ``--lp-time-limit``) and ``clear_market_sinkhorn`` with its
defaults (the median of three runs). The ladder stops at the first rung the LP does not
finish. The time target is checked on the largest rung the LP solved; the JSON also
names the largest rung it solved within 120 s. ``objective_ratio`` is the
Sinkhorn allocation's value over the LP optimum (which is integral: the constraints are a
network flow), ``time_ratio`` LP seconds over Sinkhorn seconds. The large instance
(100,000 people × 10,000 items × 100 candidates = 10 M edges) runs Sinkhorn only, once,
against two upper bounds on the optimum: its own dual bound (certified by weak duality)
and every person's unconstrained top-10 sum. Timings come from a shared 2-CPU machine
and are noisy; the load average before and after is recorded, and ratios are taken
within one run.

The exit status is 1 when a target is missed: an objective ratio under 0.99 on a rung,
a time ratio under 100 on the largest rung the LP solved or the large instance over 60 s
(both at full scale only), or any capacity exceeded after rounding.
"""

import argparse
import inspect
import json
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy
from rich.console import Console
from rich.table import Table

from mindshare.allocation import (
    Clearing,
    ClearingProblem,
    clear_market_lp,
    clear_market_sinkhorn,
)

SEED = 0
SLOTS = 10
CANDIDATES = 100
TASTE_DIMENSIONS = 16
ITEM_CAPACITY_TIMES_MEAN = 10.0
CREATOR_CAPACITY_TIMES_MEAN = 4.0
CREATOR_MINIMUM_TIMES_MEAN = 0.5
#: Weight of log-popularity in the candidate score, and spread of the items' dwell.
POPULARITY_WEIGHT = 0.2
DWELL_SPREAD = 0.3
SINKHORN_REPEATS = 3
#: LP seconds the brief calls sensible; the largest rung within them is reported too.
LP_SENSIBLE_SECONDS = 120.0
TARGET_OBJECTIVE_RATIO = 0.99
TARGET_TIME_RATIO = 100.0
TARGET_LARGE_SECONDS = 60.0
DEFAULT_OUT = Path(__file__).with_name("results") / "allocation.json"

#: (people per rung, items, creators, large instance's people) for each mode.
FULL = ((1_000, 2_000, 3_000, 5_000, 7_000, 10_000), 10_000, 1_000, 100_000)
QUICK = ((500, 1_000, 2_000), 2_000, 200, 10_000)

console = Console(width=120)


@dataclass(frozen=True, slots=True)
class World:
    """The catalogue every instance shares, and how people's tastes are drawn."""

    n_items: int
    n_creators: int
    owner: np.ndarray[Any, Any]
    log_popularity: np.ndarray[Any, Any]
    dwell_seconds: np.ndarray[Any, Any]
    item_taste: np.ndarray[Any, Any]

    @classmethod
    def generate(cls, n_items: int, n_creators: int, seed: int = SEED) -> "World":
        rng = np.random.default_rng(seed)
        creator_popularity = 1.0 / np.arange(1, n_creators + 1)
        rng.shuffle(creator_popularity)
        owner = rng.choice(
            n_creators, size=n_items, p=creator_popularity / creator_popularity.sum()
        )
        popularity = creator_popularity[owner] * rng.lognormal(0.0, 1.0, n_items)
        return cls(
            n_items=n_items,
            n_creators=n_creators,
            owner=owner,
            log_popularity=np.log(popularity / popularity.max()).astype(np.float32),
            dwell_seconds=rng.lognormal(np.log(20.0), DWELL_SPREAD, n_items).astype(np.float32),
            item_taste=rng.standard_normal((n_items, TASTE_DIMENSIONS), dtype=np.float32),
        )

    def instance(self, n_people: int, seed: int = SEED) -> ClearingProblem:
        """``n_people`` people with their top candidates, slots and the world's limits."""
        rng = np.random.default_rng([seed, n_people])
        taste = rng.standard_normal((n_people, TASTE_DIMENSIONS), dtype=np.float32)
        taste /= np.sqrt(TASTE_DIMENSIONS)
        person = np.repeat(np.arange(n_people, dtype=np.int64), CANDIDATES)
        item = np.empty(n_people * CANDIDATES, dtype=np.int64)
        score = np.empty(n_people * CANDIDATES, dtype=np.float32)
        chunk = max(1, 20_000_000 // self.n_items)
        for start in range(0, n_people, chunk):
            stop = min(n_people, start + chunk)
            scores = (
                1.5 * (taste[start:stop] @ self.item_taste.T)
                + POPULARITY_WEIGHT * self.log_popularity
            )
            top = np.argpartition(-scores, CANDIDATES - 1, axis=1)[:, :CANDIDATES]
            top.sort(axis=1)
            item[start * CANDIDATES : stop * CANDIDATES] = top.ravel()
            score[start * CANDIDATES : stop * CANDIDATES] = np.take_along_axis(
                scores, top, axis=1
            ).ravel()
        engagement = 1.0 / (1.0 + np.exp(-(score.astype(np.float64) - 1.0)))
        value = self.dwell_seconds[item] * engagement
        mean_item = n_people * SLOTS / self.n_items
        mean_creator = n_people * SLOTS / self.n_creators
        reach = np.bincount(self.owner[item], minlength=self.n_creators)
        return ClearingProblem(
            person=person,
            item=item,
            value=value,
            slots_per_person=np.full(n_people, SLOTS, dtype=np.int64),
            n_items=self.n_items,
            item_capacity=np.full(self.n_items, np.floor(ITEM_CAPACITY_TIMES_MEAN * mean_item)),
            item_group=self.owner.astype(np.int64),
            group_capacity=np.full(
                self.n_creators, np.floor(CREATOR_CAPACITY_TIMES_MEAN * mean_creator)
            ),
            group_min_exposure=np.floor(
                np.minimum(CREATOR_MINIMUM_TIMES_MEAN * mean_creator, 0.5 * reach)
            ),
        )


@dataclass(frozen=True, slots=True)
class Rung:
    """One ladder instance: both solvers on it."""

    people: int
    items: int
    creators: int
    edges: int
    sinkhorn_seconds: float
    sinkhorn_seconds_runs: list[float]
    sinkhorn_iterations: int
    sinkhorn_objective: float
    sinkhorn_upper_bound: float
    sinkhorn_max_violation: float
    lp_finished: bool
    lp_seconds: float | None = None
    lp_objective: float | None = None
    lp_iterations: int | None = None
    lp_max_violation: float | None = None
    objective_ratio: float | None = None
    time_ratio: float | None = None
    binding: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Large:
    """The large instance, Sinkhorn only, against two upper bounds."""

    people: int
    items: int
    creators: int
    edges: int
    seconds: float
    iterations: int
    objective: float
    fractional_objective: float
    dual_upper_bound: float
    top_k_upper_bound: float
    share_of_dual_bound: float
    share_of_top_k_bound: float
    fractional_residual: float
    violations: dict[str, dict[str, float]]
    binding: dict[str, int]


def sinkhorn_median(problem: ClearingProblem, repeats: int) -> tuple[Clearing, list[float]]:
    """The median-time run of ``repeats`` (all runs give the same allocation)."""
    runs = [clear_market_sinkhorn(problem) for _ in range(repeats)]
    seconds = [run.seconds for run in runs]
    median = statistics.median_low(seconds)
    return runs[seconds.index(median)], seconds


def binding_constraints(problem: ClearingProblem, clearing: Clearing) -> dict[str, int]:
    """How many items and creators end at their capacity, and creators at their minimum."""
    per_item = np.bincount(clearing.item, minlength=problem.n_items)
    assert problem.item_group is not None
    per_creator = np.bincount(problem.item_group[clearing.item], minlength=problem.n_groups)
    counts = {
        "items_at_capacity": int((per_item >= problem.integral_item_capacity()).sum()),
        "creators_at_capacity": int((per_creator >= problem.integral_group_capacity()).sum()),
        "creators_at_minimum": int(
            ((per_creator == problem.integral_group_min_exposure()) & (per_creator > 0)).sum()
        ),
    }
    return counts


def top_k_bound(problem: ClearingProblem) -> float:
    """Every person's best ``K`` values summed: the optimum without item or creator limits."""
    starts = problem.person_starts()
    lengths = np.diff(starts)
    if (lengths == lengths[0]).all() and lengths[0]:
        values = problem.value.reshape(problem.n_people, int(lengths[0]))
        k = min(SLOTS, values.shape[1])
        return float(np.partition(-values, k - 1, axis=1)[:, :k].sum() * -1)
    order = np.lexsort((-problem.value, problem.person))
    rank = np.arange(problem.n_edges) - starts[problem.person[order]]
    return float(problem.value[order][rank < problem.slots_per_person[problem.person[order]]].sum())


def run_rung(world: World, n_people: int, lp_time_limit: float) -> Rung:
    problem = world.instance(n_people)
    with console.status(f"{n_people:,} people: Sinkhorn ×{SINKHORN_REPEATS}"):
        sinkhorn, runs = sinkhorn_median(problem, SINKHORN_REPEATS)
    common: dict[str, Any] = {
        "people": n_people,
        "items": world.n_items,
        "creators": world.n_creators,
        "edges": problem.n_edges,
        "sinkhorn_seconds": sinkhorn.seconds,
        "sinkhorn_seconds_runs": runs,
        "sinkhorn_iterations": sinkhorn.iterations,
        "sinkhorn_objective": sinkhorn.objective,
        "sinkhorn_upper_bound": sinkhorn.upper_bound,
        "sinkhorn_max_violation": sinkhorn.max_violation,
        "binding": binding_constraints(problem, sinkhorn),
    }
    with console.status(f"{n_people:,} people: LP (HiGHS, at most {lp_time_limit:.0f} s)"):
        try:
            lp = clear_market_lp(problem, time_limit=lp_time_limit)
        except TimeoutError:
            return Rung(**common, lp_finished=False)
    return Rung(
        **common,
        lp_finished=True,
        lp_seconds=lp.seconds,
        lp_objective=lp.fractional_objective,
        lp_iterations=lp.iterations,
        lp_max_violation=lp.max_violation,
        objective_ratio=sinkhorn.objective / lp.fractional_objective,
        time_ratio=lp.seconds / sinkhorn.seconds,
    )


def run_large(world: World, n_people: int) -> Large:
    with console.status(f"generating {n_people:,} people × {CANDIDATES} candidates (untimed)"):
        problem = world.instance(n_people)
    with console.status(f"{problem.n_edges:,} edges: Sinkhorn"):
        clearing = clear_market_sinkhorn(problem)
    bound = top_k_bound(problem)
    return Large(
        people=n_people,
        items=world.n_items,
        creators=world.n_creators,
        edges=problem.n_edges,
        seconds=clearing.seconds,
        iterations=clearing.iterations,
        objective=clearing.objective,
        fractional_objective=clearing.fractional_objective,
        dual_upper_bound=clearing.upper_bound,
        top_k_upper_bound=bound,
        share_of_dual_bound=clearing.objective / clearing.upper_bound,
        share_of_top_k_bound=clearing.objective / bound,
        fractional_residual=clearing.residual,
        violations={name: asdict(v) for name, v in clearing.constraint_violations.items()},
        binding=binding_constraints(problem, clearing),
    )


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
        "shared": "yes: other engineers' jobs run beside this one; timings are noisy",
    }


def render_ladder(rungs: Sequence[Rung]) -> Table:
    table = Table(title="Sinkhorn against the exact LP (HiGHS), same instances, same run")
    headers = (
        "people", "edges", "LP s", "Sinkhorn s", "sweeps", "objective ratio",
        "time ratio", "certified ≥", "max violation",
    )  # fmt: skip
    for header in headers:
        table.add_column(header, justify="right", no_wrap=True)
    for r in rungs:
        table.add_row(
            f"{r.people:,}",
            f"{r.edges:,}",
            f"{r.lp_seconds:.2f}" if r.lp_seconds is not None else "> limit",
            f"{r.sinkhorn_seconds:.3f}",
            str(r.sinkhorn_iterations),
            f"{r.objective_ratio:.5f}" if r.objective_ratio is not None else "",
            f"{r.time_ratio:.0f}×" if r.time_ratio is not None else "",
            f"{r.sinkhorn_objective / r.sinkhorn_upper_bound:.5f}",
            f"{r.sinkhorn_max_violation:g}",
        )
    return table


def render_large(large: Large) -> Table:
    table = Table(title=f"{large.people:,} people × {large.items:,} items, {large.edges:,} edges")
    for header in ("seconds", "sweeps", "objective", "of dual bound", "of top-K bound",
                   "max violation"):  # fmt: skip
        table.add_column(header, justify="right", no_wrap=True)
    worst = max((v["largest"] for v in large.violations.values()), default=0.0)
    table.add_row(
        f"{large.seconds:.1f}",
        str(large.iterations),
        f"{large.objective:,.0f}",
        f"{large.share_of_dual_bound:.5f}",
        f"{large.share_of_top_k_bound:.5f}",
        f"{worst:g}",
    )
    return table


def failures_of(rungs: Sequence[Rung], large: Large, *, at_scale: bool) -> list[str]:
    """The targets missed; the time targets only at full scale (``--quick`` is too small
    for the LP to be slow)."""
    failures = []
    solved = [r for r in rungs if r.lp_finished]
    for r in solved:
        if r.objective_ratio is not None and r.objective_ratio < TARGET_OBJECTIVE_RATIO:
            failures.append(f"{r.people:,} people: objective ratio {r.objective_ratio:.4f}")
    if at_scale and solved and (solved[-1].time_ratio or 0.0) < TARGET_TIME_RATIO:
        failures.append(f"largest LP rung: time ratio {solved[-1].time_ratio:.0f}×")
    if at_scale and large.seconds > TARGET_LARGE_SECONDS:
        failures.append(f"large instance took {large.seconds:.1f} s")
    capacities = ("person_slots", "item_capacity", "group_capacity")
    if any(r.sinkhorn_max_violation > 0 for r in rungs) or any(
        large.violations[name]["largest"] > 0 for name in capacities if name in large.violations
    ):
        failures.append("a capacity was exceeded after rounding")
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--lp-time-limit", type=float, default=300.0, help="seconds per LP")
    parser.add_argument(
        "--out", type=Path, help=f"where to write JSON (default {DEFAULT_OUT}, -quick with --quick)"
    )
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = DEFAULT_OUT.with_stem("allocation-quick") if args.quick else DEFAULT_OUT
    ladder, n_items, n_creators, large_people = QUICK if args.quick else FULL

    load_before = os.getloadavg()
    world = World.generate(n_items, n_creators)
    rungs: list[Rung] = []
    for n_people in ladder:
        rung = run_rung(world, n_people, args.lp_time_limit)
        rungs.append(rung)
        console.print(_one_line(rung))
        if not rung.lp_finished:
            break
    large = run_large(world, large_people)
    load_after = os.getloadavg()

    solved = [r for r in rungs if r.lp_finished]
    sensible = [r for r in solved if (r.lp_seconds or 0.0) <= LP_SENSIBLE_SECONDS]
    failures = failures_of(rungs, large, at_scale=not args.quick)
    report = {
        "benchmark": "allocation",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_1_5_15": {"before": load_before, "after": load_after},
        "settings": {
            "quick": args.quick,
            "seed": SEED,
            "slots": SLOTS,
            "candidates": CANDIDATES,
            "item_capacity_times_mean": ITEM_CAPACITY_TIMES_MEAN,
            "creator_capacity_times_mean": CREATOR_CAPACITY_TIMES_MEAN,
            "creator_minimum_times_mean": CREATOR_MINIMUM_TIMES_MEAN,
            "sinkhorn": {
                name: parameter.default
                for name, parameter in inspect.signature(clear_market_sinkhorn).parameters.items()
                if parameter.default is not inspect.Parameter.empty
            },
            "sinkhorn_repeats": SINKHORN_REPEATS,
            "lp_time_limit_s": args.lp_time_limit,
            "lp_sensible_seconds": LP_SENSIBLE_SECONDS,
        },
        "targets": {
            "objective_ratio": TARGET_OBJECTIVE_RATIO,
            "time_ratio_on_largest_lp_rung": TARGET_TIME_RATIO,
            "large_seconds": TARGET_LARGE_SECONDS,
        },
        "ladder": [asdict(r) for r in rungs],
        "largest_lp_rung": asdict(solved[-1]) if solved else None,
        "largest_lp_rung_within_sensible_seconds": asdict(sensible[-1]) if sensible else None,
        "large": asdict(large),
        "failures": failures,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")

    console.print(render_ladder(rungs))
    console.print(render_large(large))
    console.print(f"load average before {load_before}, after {load_after}; results in {args.out}")
    for failure in failures:
        console.print(f"[bold red]target missed:[/] {failure}")
    return 1 if failures else 0


def _one_line(rung: Rung) -> str:
    lp = f"LP {rung.lp_seconds:.2f} s" if rung.lp_seconds is not None else "LP over the limit"
    ratios = (
        f", objective ratio {rung.objective_ratio:.5f}, time ratio {rung.time_ratio:.0f}×"
        if rung.objective_ratio is not None and rung.time_ratio is not None
        else ""
    )
    sinkhorn = f"Sinkhorn {rung.sinkhorn_seconds:.3f} s"
    return f"{rung.people:,} people, {rung.edges:,} edges: {lp}, {sinkhorn}{ratios}"


if __name__ == "__main__":
    sys.exit(main())
