"""Sweeps: many simulations (policies × seeds) in parallel on Ray, compared side by side.

Ray is the scale-out engine: locally it starts a cluster of this machine's cores, and
with an address (``--address`` or ``MINDSHARE_RAY_ADDRESS``) it runs on a real cluster.
"""

import json
import math
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mindshare.core import InputError
from mindshare.sim._metrics import DayMetrics
from mindshare.sim._outputs import plot_metrics
from mindshare.sim._simulate import SimulationSpec, simulate


@dataclass(frozen=True, slots=True)
class SweepSummary:
    """Every run of a sweep (each ``SimulationResult.to_dict()``) and where they are."""

    out_dir: Path
    runs: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: every run, and the last day's means by policy."""
        return {
            "out_dir": str(self.out_dir),
            "runs": list(self.runs),
            "last_day_means": {p: days[0] for p, days in self.last_days_by_policy().items()},
        }

    def last_days_by_policy(self) -> dict[str, list[dict[str, Any]]]:
        """Each policy's last-day metrics averaged over its seeds (undefined values skipped)."""
        by_policy: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for run in self.runs:
            if run["days"]:
                by_policy[run["spec"]["policy"]].append(run["days"][-1])
        return {policy: [_mean_rows(rows)] for policy, rows in by_policy.items()}


def run_sweep(
    specs: Sequence[SimulationSpec],
    out_dir: Path,
    *,
    address: str | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> SweepSummary:
    """Run every spec as a Ray task into ``out_dir/<policy>-seed<seed>``; write ``sweep.json``
    and ``sweep.png`` (each policy's metrics per day, averaged over seeds)."""
    import ray

    if not specs:
        raise InputError("a sweep needs at least one simulation")
    labels = [f"{spec.policy}-seed{spec.seed}" for spec in specs]
    if len(set(labels)) != len(labels):
        raise InputError("a sweep runs each policy and seed once; remove the repeats")
    out_dir.mkdir(parents=True, exist_ok=True)
    cluster = address or os.environ.get("MINDSHARE_RAY_ADDRESS") or None
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=cluster, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(_run_one)
        pending = {
            task.remote(spec, str(out_dir / label)): label
            for spec, label in zip(specs, labels, strict=True)
        }
        runs: dict[str, dict[str, Any]] = {}
        while pending:
            finished, _ = ray.wait(list(pending), num_returns=1)
            label = pending.pop(finished[0])
            runs[label] = ray.get(finished[0])
            if on_done is not None:
                on_done(runs[label])
    finally:
        if started_here:
            ray.shutdown()
    summary = SweepSummary(out_dir, tuple(runs[label] for label in labels))
    (out_dir / "sweep.json").write_text(json.dumps(summary.to_dict(), indent=1) + "\n")
    plot_metrics(out_dir, _mean_days_by_policy(summary.runs), name="sweep.png")
    return summary


def _run_one(spec: SimulationSpec, folder: str) -> dict[str, Any]:
    return simulate(spec, Path(folder)).to_dict()


def _mean_rows(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Field by field mean of metric rows (undefined values skipped); text from the first."""
    mean: dict[str, Any] = {}
    for name, first in rows[0].items():
        if isinstance(first, str):
            mean[name] = first
            continue
        values = [float(row[name]) for row in rows if row[name] is not None]
        values = [value for value in values if not math.isnan(value)]
        mean[name] = sum(values) / len(values) if values else None
    return mean


def _mean_days_by_policy(runs: Sequence[dict[str, Any]]) -> dict[str, list[DayMetrics]]:
    """Each policy's days, every metric averaged over the policy's seeds."""
    by_policy: dict[str, list[list[dict[str, Any]]]] = defaultdict(list)
    for run in runs:
        by_policy[run["spec"]["policy"]].append(run["days"])
    averaged: dict[str, list[DayMetrics]] = {}
    for policy, seeds in by_policy.items():
        length = min(len(days) for days in seeds)
        averaged[policy] = [
            DayMetrics(**_as_metrics(_mean_rows([days[n] for days in seeds])))
            for n in range(length)
        ]
    return averaged


def _as_metrics(row: dict[str, Any]) -> dict[str, Any]:
    """A mean row as ``DayMetrics`` fields (counts back to whole numbers, None as NaN)."""
    counts = {
        "active_people",
        "active_creators",
        "ad_revenue_minor",
        "paid_to_creators_minor",
        "feeds",
        "events",
        "trades",
    }
    return {
        name: (round(value) if name in counts else float("nan") if value is None else value)
        for name, value in row.items()
    }
