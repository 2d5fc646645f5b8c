"""Every attention model on MovieLens-100k under the protocol, beside RecBole in the same run.

Run it as::

    .venv/bin/python benchmarks/bench_models.py [--dataset ../shared/data/movielens-100k]
        [--models pop,itemknn,…] [--recbole-python PATH] [--recbole-models EASE,ItemKNN,BPR]
        [--out benchmarks/results/models-ml100k.json]

Mindshare's models go through ``engine.evaluate_models``: leave-last-out split with ties
in file order, tuning and early stopping on validation, the test split ranked once per
model over the full catalogue with pessimistic ties. MostPopular is the check of the
protocol: it must give test NDCG@10 0.0432 and Recall@10 0.0838 (``protocol_check``).

With ``--recbole-python`` (or ``MINDSHARE_RECBOLE_PYTHON``) naming the interpreter of a
RecBole 1.2.1 environment (see ../shared/anchors/recbole-ml100k.md), the same data is
copied with timestamps replaced by their stable rank and RecBole's models run on it with
``../shared/anchors/recbole_run_one.py``, so both sides share split and machine. Without
it, the RecBole rows of the previous results file are kept, with the time they were
measured (``recbole_measured_at``). The load average before and after the run is
recorded: on a shared machine, training times are inflated by other work.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from mindshare import engine
from mindshare.datasets import load_recbole_dataset
from mindshare.models import MODEL_CLASSES

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REFERENCE_POP = {"ndcg@10": 0.0432, "recall@10": 0.0838}
#: Test NDCG@10 of the recency-weighted EASE baseline that reads the whole prefix.
BASELINE_NDCG = 0.1057
console = Console(stderr=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dataset", type=Path, default=SHARED / "data" / "movielens-100k")
    parser.add_argument("--models", default=",".join(MODEL_CLASSES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--recbole-python", default=os.environ.get("MINDSHARE_RECBOLE_PYTHON", ""))
    parser.add_argument("--recbole-models", default="Pop,ItemKNN,BPR,EASE")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "models-ml100k.json"
    )
    args = parser.parse_args()

    load_before = os.getloadavg()
    data = load_recbole_dataset(args.dataset)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    console.print(f"{data.name}: {data.n_users} people, {data.n_items} items, {len(data)} rows")
    with console.status("") as status:
        results = engine.evaluate_models(
            data,
            names,
            seed=args.seed,
            on_model=lambda name: status.update(f"Fitting and ranking {name}…"),
        )
    rows = [r.as_row() for r in results]
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    if args.recbole_python:
        recbole = _run_recbole(args, data.name)
        recbole_measured_at = datetime.now(UTC).isoformat(timespec="seconds")
    else:
        recbole = previous.get("recbole", [])
        recbole_measured_at = previous.get("recbole_measured_at", previous.get("created_at"))

    pop = next((r for r in rows if r["model"] == "pop"), None)
    best = max(rows, key=lambda r: r["ndcg@10"])
    report: dict[str, Any] = {
        "benchmark": "models-ml100k",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_1_5_15_min": {
                "before": [round(x, 2) for x in load_before],
                "after": [round(x, 2) for x in os.getloadavg()],
            },
        },
        "dataset": {"name": data.name, "people": data.n_users, "items": data.n_items},
        "protocol": "leave-last-out, stable time order, full ranking, pessimistic ties",
        "protocol_check": None
        if pop is None
        else {
            "reference": REFERENCE_POP,
            "measured": {k: pop[k] for k in REFERENCE_POP},
            "ok": all(abs(pop[k] - v) <= 0.0005 for k, v in REFERENCE_POP.items()),
        },
        "baseline_ndcg@10": BASELINE_NDCG,
        "best": {"model": best["model"], "ndcg@10": best["ndcg@10"]},
        "best_over_baseline": round(best["ndcg@10"] / BASELINE_NDCG, 3),
        "mindshare": rows,
        "recbole": recbole,
        "recbole_measured_at": recbole_measured_at if recbole else None,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    _print_table(rows, recbole)
    console.print(f"Wrote {args.out}")
    return 0 if report["protocol_check"] in (None,) or report["protocol_check"]["ok"] else 1


def _run_recbole(args: argparse.Namespace, name: str) -> list[dict[str, Any]]:
    """RecBole's models on a rank-timestamp copy of the same data, one process each."""
    anchors = SHARED / "anchors"
    results = []
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "ml100kr"
        subprocess.run(
            [
                args.recbole_python,
                str(anchors / "rank_timestamps.py"),
                str(args.dataset / f"{name}.inter"),
                str(copy / "ml100kr.inter"),
            ],
            check=True,
            capture_output=True,
        )
        for model in [m.strip() for m in args.recbole_models.split(",") if m.strip()]:
            with console.status(f"RecBole {model}…"):
                started = time.perf_counter()
                done = subprocess.run(
                    [args.recbole_python, str(anchors / "recbole_run_one.py"), model],
                    env=os.environ
                    | {
                        "DATA_PATH": folder,
                        "DATASET": "ml100kr",
                        "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1",
                    },
                    capture_output=True,
                    text=True,
                    cwd=folder,
                )
            line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
            if line is None:
                console.print(f"[red]RecBole {model} failed[/]: {done.stderr[-800:]}")
                continue
            result = json.loads(line.removeprefix("RESULT "))
            test = result.get("test_result", {})
            results.append(
                {
                    "model": f"recbole-{model}",
                    "ndcg@10": test.get("ndcg@10"),
                    "recall@10": test.get("recall@10"),
                    "mrr@10": test.get("mrr@10"),
                    "ndcg@20": test.get("ndcg@20"),
                    "recall@20": test.get("recall@20"),
                    "train_s": round(result.get("wall_s", time.perf_counter() - started), 1),
                }
            )
    return results


def _print_table(rows: list[dict[str, Any]], recbole: list[dict[str, Any]]) -> None:
    table = Table(title="MovieLens-100k, test split (NDCG@10 against the 0.1057 baseline)")
    for column in ("model", "reads", "ndcg@10", "recall@10", "mrr@10", "cold ndcg@10", "train s"):
        table.add_column(column, justify="left" if column in ("model", "reads") else "right")
    table.add_column("× baseline", justify="right")
    for row in rows:
        table.add_row(
            row["model"],
            row["reads"],
            f"{row['ndcg@10']:.4f}",
            f"{row['recall@10']:.4f}",
            f"{row['mrr@10']:.4f}",
            f"{row['cold_ndcg@10']:.4f}",
            f"{row['train_s']:.1f}",
            f"{row['ndcg@10'] / BASELINE_NDCG:.2f}",
        )
    for row in recbole:
        table.add_row(
            row["model"],
            "train",
            f"{row['ndcg@10']:.4f}",
            f"{row['recall@10']:.4f}",
            f"{row['mrr@10']:.4f}",
            "",
            f"{row['train_s']:.1f}",
            f"{row['ndcg@10'] / BASELINE_NDCG:.2f}",
        )
    Console().print(table)


if __name__ == "__main__":
    sys.exit(main())
