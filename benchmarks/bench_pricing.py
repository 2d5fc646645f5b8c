"""Attention-informed pricing against the last sale price, out of time, on the demo market.

Run it as::

    .venv/bin/python benchmarks/bench_pricing.py [--items 2500] [--days 90] [--split-day 60]
        [--seeds 0,1,2] [--out benchmarks/results/pricing.json]

The assets come from the demo world (``generate_demo_world(seed=0, items=--items)``: about
12% of items are assets, so 2 500 items give a few hundred), with list prices, topics and
creator followers as the demo world draws them. For each seed, ``simulate_daily_attention``
draws ``--days`` days of attention and ``generate_market_history`` the sales (its demand
model is in its docstring). ``evaluate_out_of_time`` fits ``PriceModel`` on sales before
``--split-day`` and prices every later sale; the baseline prices each at the asset's last
sale price before that day (the list price if it never sold). Feature building and fitting
are timed apart, best of three fits, on whatever machine runs it (stated in the output).
In the table, ``price`` is the mean test-period sale price, for scale; ``ratio`` is the
model's MAE over the baseline's (below 1: the model prices better).
"""

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from rich.console import Console
from rich.table import Table

from mindshare.market import (
    PriceModel,
    demo_assets,
    evaluate_out_of_time,
    generate_market_history,
    pricing_features,
    simulate_daily_attention,
)
from mindshare.sim import generate_demo_world

DEFAULT_OUT = Path(__file__).with_name("results") / "pricing.json"
FIT_REPEATS = 3

console = Console()


@dataclass(frozen=True, slots=True)
class Result:
    """One seed's market and how well each pricer did on its test period."""

    seed: int
    assets: int
    sales: int
    train_sales: int
    test_sales: int
    mean_test_price_minor: float
    model_mae_minor: float
    baseline_mae_minor: float
    mae_ratio: float
    features_seconds: float
    fit_seconds: float


def bench_seed(assets: Sequence[Any], *, seed: int, days: int, split_day: int) -> Result:
    """Generate one seed's market, evaluate out of time, and time features and fitting."""
    attention = simulate_daily_attention(assets, days=days, seed=seed)
    sales = generate_market_history(assets, attention, days=days, seed=seed)
    with console.status(f"seed {seed}: evaluating on {len(sales):,} sales"):
        evaluation = evaluate_out_of_time(sales, attention, assets, split_day=split_day)
        started = time.perf_counter()
        train = pricing_features(sales, attention, assets, as_of_day=split_day)
        features_seconds = time.perf_counter() - started
        fit_seconds = min(_time_fit(train) for _ in range(FIT_REPEATS))
    test_prices = [s.price_minor for s in sales if s.day >= split_day]
    return Result(
        seed=seed,
        assets=len(assets),
        sales=len(sales),
        train_sales=evaluation.train_sales,
        test_sales=evaluation.test_sales,
        mean_test_price_minor=float(np.mean(test_prices)),
        model_mae_minor=evaluation.model_mae,
        baseline_mae_minor=evaluation.baseline_mae,
        mae_ratio=evaluation.mae_ratio,
        features_seconds=features_seconds,
        fit_seconds=fit_seconds,
    )


def _time_fit(train: Any) -> float:
    started = time.perf_counter()
    PriceModel().fit(train)
    return time.perf_counter() - started


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit_learn": sklearn.__version__,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def render(results: Sequence[Result], *, split_day: int) -> Table:
    assets = results[0].assets if results else 0
    table = Table(title=f"Price MAE, minor units ({assets} assets, fitted before day {split_day})")
    headers = ("seed", "train", "test", "price", "model", "last sale", "ratio", "feat s", "fit s")
    for header in headers:
        table.add_column(header, justify="right", no_wrap=True)
    for r in results:
        table.add_row(
            str(r.seed),
            f"{r.train_sales:,}",
            f"{r.test_sales:,}",
            f"{r.mean_test_price_minor:,.0f}",
            f"{r.model_mae_minor:,.1f}",
            f"{r.baseline_mae_minor:,.1f}",
            f"{r.mae_ratio:.3f}",
            f"{r.features_seconds:.2f}",
            f"{r.fit_seconds:.2f}",
        )
    return table


def _seeds(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=2_500, help="demo-world items")
    parser.add_argument("--days", type=int, default=90, help="days of market history")
    parser.add_argument("--split-day", type=int, default=60, help="first day of the test")
    parser.add_argument("--seeds", type=_seeds, default=[0, 1, 2], help="e.g. 0,1,2")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write JSON")
    args = parser.parse_args(argv)
    if not 0 < args.split_day < args.days:
        parser.error("--split-day must fall inside the --days")

    world = generate_demo_world(seed=0, items=args.items, days=7)
    assets = demo_assets(world.items, world.events)
    results = [
        bench_seed(assets, seed=seed, days=args.days, split_day=args.split_day)
        for seed in args.seeds
    ]
    model_mae = float(np.mean([r.model_mae_minor for r in results]))
    baseline_mae = float(np.mean([r.baseline_mae_minor for r in results]))
    hardware = machine()
    report = {
        "benchmark": "pricing",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": hardware,
        "settings": {
            "demo_world": {"seed": 0, "items": args.items, "days": 7},
            "days": args.days,
            "split_day": args.split_day,
            "seeds": args.seeds,
            "model": vars(PriceModel()),
            "baseline": "last sale price before the day, else the list price",
            "fit_repeats": FIT_REPEATS,
        },
        "results": [asdict(r) for r in results],
        "mean": {
            "model_mae_minor": model_mae,
            "baseline_mae_minor": baseline_mae,
            "mae_ratio": model_mae / baseline_mae,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")

    console.print(render(results, split_day=args.split_day))
    console.print(
        f"mean over seeds: model {model_mae:,.1f}, last sale {baseline_mae:,.1f}, "
        f"ratio {model_mae / baseline_mae:.3f}"
    )
    console.print(
        f"machine: {hardware['cpus']} CPUs, {hardware['processor']}, {hardware['platform']}"
    )
    console.print(f"results in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
