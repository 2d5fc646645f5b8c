"""Auction throughput: run_auction by GSP, VCG and first price against a pure-Python GSP.

Run it as::

    .venv/bin/python benchmarks/bench_auction.py [--bidders 10,100,1000] [--slots 3,10]
        [--min-seconds 0.3] [--repeats 3] [--out benchmarks/results/auction.json]

For each size (bidders × slots), 256 auctions are generated once, deterministically
(numpy seed 0): log-normal bids, qualities in (0, 1), slot weights that fall off as
1 / log2(rank + 1), and a reserve at the 20th percentile of the bids, so some bidders
are ineligible. Generation is never timed. Each case cycles through the auctions for at
least ``--min-seconds``, ``--repeats`` times, and keeps the best rate (the least
disturbed by other work on the machine).

The baseline, measured in the same run so that ratios mean something on a noisy
machine, is ``reference_gsp``: a straightforward pure-Python GSP over lists (filter the
eligible, sort by score, price each slot by the next score). ``ratio_to_reference_gsp``
is each case's rate over the baseline's at the same size. Before timing, the reference
and ``run_auction`` must agree on every auction's winners and GSP prices; the exit
status is 1 when they do not.
"""

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from mindshare.ads import MECHANISMS, run_auction

SEED = 0
AUCTIONS_PER_SIZE = 256
RESERVE_QUANTILE = 0.2
DEFAULT_OUT = Path(__file__).with_name("results") / "auction.json"
BASELINE = "reference_gsp"

console = Console()


@dataclass(frozen=True, slots=True)
class Workload:
    """The auctions of one size, as arrays for run_auction and as lists for the baseline."""

    bidders: int
    slots: int
    bids: list[np.ndarray[Any, Any]]
    qualities: list[np.ndarray[Any, Any]]
    weights: np.ndarray[Any, Any]
    reserves: list[float]
    bid_lists: list[list[float]]
    quality_lists: list[list[float]]
    weight_list: list[float]


@dataclass(frozen=True, slots=True)
class Result:
    """One measured case: a mechanism at one size."""

    mechanism: str
    bidders: int
    slots: int
    auctions: int
    seconds: float
    auctions_per_s: float
    microseconds_per_auction: float
    ratio_to_reference_gsp: float


def generate(bidders: int, slots: int, seed: int = SEED) -> Workload:
    """AUCTIONS_PER_SIZE auctions of ``bidders`` bidders for ``slots`` slots."""
    rng = np.random.default_rng([seed, bidders, slots])
    bids = [rng.lognormal(0.0, 1.0, bidders) for _ in range(AUCTIONS_PER_SIZE)]
    qualities = [rng.beta(2.0, 5.0, bidders) for _ in range(AUCTIONS_PER_SIZE)]
    weights = 1.0 / np.log2(np.arange(slots) + 2.0)
    reserves = [float(np.quantile(b, RESERVE_QUANTILE)) for b in bids]
    return Workload(
        bidders=bidders,
        slots=slots,
        bids=bids,
        qualities=qualities,
        weights=weights,
        reserves=reserves,
        bid_lists=[b.tolist() for b in bids],
        quality_lists=[q.tolist() for q in qualities],
        weight_list=weights.tolist(),
    )


def reference_gsp(
    bids: list[float], qualities: list[float], slot_weights: list[float], reserve: float
) -> tuple[list[int], list[float]]:
    """GSP by the book, in plain Python: winners (-1 unfilled) and prices per second."""
    ranked = sorted(
        (
            (-(bid * quality), index)
            for index, (bid, quality) in enumerate(zip(bids, qualities, strict=True))
            if bid >= reserve and bid * quality > 0.0
        )
    )
    winners: list[int] = []
    prices: list[float] = []
    for slot in range(len(slot_weights)):
        if slot >= len(ranked):
            winners.append(-1)
            prices.append(0.0)
            continue
        winner = ranked[slot][1]
        next_score = -ranked[slot + 1][0] if slot + 1 < len(ranked) else 0.0
        price = max(next_score / qualities[winner], reserve)
        winners.append(winner)
        prices.append(min(price, bids[winner]))
    return winners, prices


def check_agreement(workload: Workload) -> list[str]:
    """Where run_auction's GSP and the reference disagree on winners or prices."""
    failures = []
    for i in range(AUCTIONS_PER_SIZE):
        winners, prices = reference_gsp(
            workload.bid_lists[i],
            workload.quality_lists[i],
            workload.weight_list,
            workload.reserves[i],
        )
        result = run_auction(
            workload.bids[i],
            workload.qualities[i],
            workload.weights,
            mechanism="gsp",
            reserve=workload.reserves[i],
        )
        if result.winners.tolist() != winners or not np.allclose(
            result.prices, prices, rtol=1e-12, atol=0.0
        ):
            failures.append(
                f"{workload.bidders}×{workload.slots} auction {i}: run_auction "
                f"{result.winners.tolist()} {result.prices.tolist()}, reference {winners} {prices}"
            )
    return failures


def cases(workload: Workload) -> dict[str, Callable[[int], object]]:
    """One callable per case, running the workload's i-th auction."""

    def baseline(i: int) -> object:
        return reference_gsp(
            workload.bid_lists[i],
            workload.quality_lists[i],
            workload.weight_list,
            workload.reserves[i],
        )

    def mechanism_case(mechanism: Any) -> Callable[[int], object]:
        def run(i: int) -> object:
            return run_auction(
                workload.bids[i],
                workload.qualities[i],
                workload.weights,
                mechanism=mechanism,
                reserve=workload.reserves[i],
            )

        return run

    return {BASELINE: baseline, **{m: mechanism_case(m) for m in MECHANISMS}}


def measure(run: Callable[[int], object], *, min_seconds: float, repeats: int) -> tuple[int, float]:
    """Auctions done and seconds taken in the best of ``repeats`` timed runs."""
    best: tuple[int, float] | None = None
    for _ in range(repeats):
        done = 0
        started = time.perf_counter()
        elapsed = 0.0
        while elapsed < min_seconds:
            for i in range(AUCTIONS_PER_SIZE):
                run(i)
            done += AUCTIONS_PER_SIZE
            elapsed = time.perf_counter() - started
        if best is None or done / elapsed > best[0] / best[1]:
            best = (done, elapsed)
    assert best is not None
    return best


def bench_size(workload: Workload, *, min_seconds: float, repeats: int) -> list[Result]:
    """Every case at one size, each with its ratio to the baseline's rate."""
    measured: dict[str, tuple[int, float]] = {}
    for name, run in cases(workload).items():
        with console.status(f"{workload.bidders} bidders × {workload.slots} slots: {name}"):
            measured[name] = measure(run, min_seconds=min_seconds, repeats=repeats)
    baseline_rate = measured[BASELINE][0] / measured[BASELINE][1]
    results = []
    for name, (done, seconds) in measured.items():
        rate = done / seconds
        results.append(
            Result(
                mechanism=name,
                bidders=workload.bidders,
                slots=workload.slots,
                auctions=done,
                seconds=seconds,
                auctions_per_s=rate,
                microseconds_per_auction=1e6 / rate,
                ratio_to_reference_gsp=rate / baseline_rate,
            )
        )
    return results


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def render(results: Sequence[Result]) -> Table:
    table = Table(
        title=f"Auctions per second (best of the repeats; {AUCTIONS_PER_SIZE} auctions per size)"
    )
    for header in ("bidders", "slots", "mechanism", "auctions/s", "µs/auction", "vs reference GSP"):
        table.add_column(header, justify="left" if header == "mechanism" else "right", no_wrap=True)
    for r in results:
        table.add_row(
            f"{r.bidders:,}",
            str(r.slots),
            r.mechanism,
            f"{r.auctions_per_s:,.0f}",
            f"{r.microseconds_per_auction:,.1f}",
            f"{r.ratio_to_reference_gsp:.2f}x",
        )
    return table


def _sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bidders", type=_sizes, default=[10, 100, 1000], help="e.g. 10,100")
    parser.add_argument("--slots", type=_sizes, default=[3, 10], help="e.g. 3,10")
    parser.add_argument("--min-seconds", type=float, default=0.3, help="per timed run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per case")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write JSON")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.min_seconds <= 0:
        parser.error("--repeats must be at least 1 and --min-seconds positive")

    results: list[Result] = []
    failures: list[str] = []
    for bidders in args.bidders:
        for slots in args.slots:
            workload = generate(bidders, slots)
            failures.extend(check_agreement(workload))
            results.extend(bench_size(workload, min_seconds=args.min_seconds, repeats=args.repeats))

    report = {
        "benchmark": "auction",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "seed": SEED,
            "auctions_per_size": AUCTIONS_PER_SIZE,
            "min_seconds": args.min_seconds,
            "repeats": args.repeats,
            "reserve_quantile": RESERVE_QUANTILE,
            "baseline": BASELINE,
        },
        "results": [asdict(r) for r in results],
        "reference_agrees": not failures,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")

    console.print(render(results))
    console.print(f"results in {args.out}")
    for failure in failures[:10]:
        console.print(f"[bold red]check failed:[/] {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
