"""What each feed policy does to a simulated world over two months: a report.

Runs every policy (popularity, model, fair, explore) for ``--days`` (≥ 60) days and
``--seeds`` (≥ 5) seeds as one sweep on Ray, then writes
``benchmarks/results/sim_policies.md`` (the answer, with a table of means and 95%
intervals over seeds), ``sim_policies.json`` and ``sim_policies.png`` (each metric per
day, averaged over seeds). The question: does fair allocation keep more creators alive
and people more diverse without losing total attention?

    .venv/bin/python benchmarks/sim_policies.py [--days 60] [--seeds 5] [--people 2000]
        [--creators 200] [--runs DIR]
"""

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from mindshare.sim import POLICIES, SimulationSpec, run_sweep

RESULTS = Path(__file__).with_name("results")
#: The report's columns: (name, how a run is summarised, heading, format).
SUMMARIES = (
    ("attention", "total verified attentive minutes over all days", "{:,.0f}"),
    ("retention", "retention on the last day", "{:.1%}"),
    ("active_creators", "creators active on the last day", "{:,.1f}"),
    ("survival", "new-creator survival, mean over days where defined", "{:.1%}"),
    ("income_gini", "creator income Gini, mean of the last 14 days", "{:.3f}"),
    ("exposure_gini", "exposure Gini, mean of the last 14 days", "{:.3f}"),
    ("homogenization", "homogenization, mean of the last 14 days", "{:.4f}"),
    ("utility", "visitors' mean utility, mean over all days", "{:.3f}"),
    ("ad_revenue", "ad revenue over all days (minor units)", "{:,.0f}"),
)


def summarise(days: Sequence[dict[str, Any]]) -> dict[str, float]:
    """One run's numbers for the report."""
    last = days[-14:]

    def mean(rows: Sequence[dict[str, Any]], name: str) -> float:
        values = [row[name] for row in rows if row[name] is not None]
        return float(np.mean(values)) if values else float("nan")

    return {
        "attention": float(sum(row["attentive_minutes"] for row in days)),
        "retention": float(days[-1]["retention"]),
        "active_creators": float(days[-1]["active_creators"]),
        "survival": mean(days, "new_creator_survival"),
        "income_gini": mean(last, "creator_income_gini"),
        "exposure_gini": mean(last, "exposure_gini"),
        "homogenization": mean(last, "homogenization"),
        "utility": mean(days, "mean_utility"),
        "ad_revenue": float(sum(row["ad_revenue_minor"] for row in days)),
    }


def interval(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and a 95% t interval over seeds (NaN-free values only)."""
    clean = np.array([v for v in values if not np.isnan(v)])
    if len(clean) == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(clean.mean())
    if len(clean) < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, len(clean) - 1) * clean.std(ddof=1) / np.sqrt(len(clean)))
    return mean, mean - half, mean + half


def paired_difference(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """Mean of a minus b over seeds (the same seed is the same world) and its 95% interval."""
    return interval([x - y for x, y in zip(a, b, strict=True)])


def write_report(
    out: Path, by_policy: dict[str, list[dict[str, float]]], meta: dict[str, Any]
) -> str:
    """The markdown report; returns its text."""
    lines = [
        "# What each feed policy does to a simulated world",
        "",
        f"{meta['days']} days × {meta['seeds']} seeds per policy; worlds of "
        f"{meta['people']:,} people and {meta['creators']:,} creators at the start "
        f"(`mindshare.sim.SimulatedWorld`, default agents), each day run through "
        f"`engine.run_day`. Sweep on Ray in {meta['seconds']:.0f} s on "
        f"{meta['machine']}. Produced by `benchmarks/sim_policies.py` on {meta['date']}.",
        "",
        "Means over seeds, with 95% t intervals in brackets.",
        "",
        "| policy | " + " | ".join(name for name, _, _ in SUMMARIES) + " |",
        "|---|" + "---|" * len(SUMMARIES),
    ]
    for policy, runs in by_policy.items():
        cells = []
        for name, _, fmt in SUMMARIES:
            mean, low, high = interval([run[name] for run in runs])
            cells.append(f"{fmt.format(mean)} [{fmt.format(low)}, {fmt.format(high)}]")
        lines.append(f"| {policy} | " + " | ".join(cells) + " |")
    lines += ["", "Columns: " + "; ".join(f"**{n}** {what}" for n, what, _ in SUMMARIES) + ".", ""]
    if "fair" in by_policy and "model" in by_policy:
        lines += [
            "## Fair against model (paired by seed: the same world, the same agents)",
            "",
            "| metric | fair minus model | 95% interval |",
            "|---|---|---|",
        ]
        for name, _, fmt in SUMMARIES:
            mean, low, high = paired_difference(
                [r[name] for r in by_policy["fair"]], [r[name] for r in by_policy["model"]]
            )
            lines.append(
                f"| {name} | {fmt.format(mean)} | [{fmt.format(low)}, {fmt.format(high)}] |"
            )
        lines += ["", _answer(by_policy), ""]
    lines += ["![each metric per day, mean over seeds](sim_policies.png)", ""]
    text = "\n".join(lines)
    out.write_text(text)
    return text


def _answer(by_policy: dict[str, list[dict[str, float]]]) -> str:
    """The question answered in words, from the paired intervals (whatever they say)."""

    def verdict(name: str, better: str) -> str:
        mean, low, high = paired_difference(
            [r[name] for r in by_policy["fair"]], [r[name] for r in by_policy["model"]]
        )
        if np.isnan(mean):
            return f"{name}: not measurable"
        if low > 0:
            side = "higher"
        elif high < 0:
            side = "lower"
        else:
            return f"{name}: no difference the seeds can tell ({mean:+.4g})"
        good = (side == "higher") == (better == "higher")
        return f"{name}: {side} under fair ({mean:+.4g}; {'better' if good else 'worse'})"

    parts = [
        verdict("active_creators", "higher"),
        verdict("survival", "higher"),
        verdict("homogenization", "lower"),
        verdict("attention", "higher"),
        verdict("retention", "higher"),
    ]
    return "**The answer, fair against model:** " + "; ".join(parts) + "."


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--creators", type=int, default=200)
    parser.add_argument("--runs", type=Path, default=None, help="keep every run here")
    args = parser.parse_args(argv)
    runs_dir = args.runs or Path(tempfile.mkdtemp(prefix="sim-policies-"))
    specs = [
        SimulationSpec(
            days=args.days, people=args.people, creators=args.creators, policy=policy, seed=seed
        )
        for policy in POLICIES
        for seed in range(args.seeds)
    ]
    started = time.perf_counter()
    summary = run_sweep(
        specs,
        runs_dir,
        on_done=lambda run: print(
            f"done {run['spec']['policy']} seed {run['spec']['seed']} in {run['seconds']:.0f} s",
            flush=True,
        ),
    )
    seconds = time.perf_counter() - started
    by_policy: dict[str, list[dict[str, float]]] = {policy: [] for policy in POLICIES}
    for run in summary.runs:
        by_policy[run["spec"]["policy"]].append(summarise(run["days"]))
    RESULTS.mkdir(exist_ok=True)
    meta = {
        "days": args.days,
        "seeds": args.seeds,
        "people": args.people,
        "creators": args.creators,
        "seconds": seconds,
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
        "date": datetime.now(UTC).date().isoformat(),
        "load_average": os.getloadavg(),
    }
    text = write_report(RESULTS / "sim_policies.md", by_policy, meta)
    shutil.copy(runs_dir / "sweep.png", RESULTS / "sim_policies.png")
    (RESULTS / "sim_policies.json").write_text(
        json.dumps({"meta": meta, "by_policy": by_policy}, indent=1) + "\n"
    )
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
