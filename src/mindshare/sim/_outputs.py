"""A simulation's outputs on disk: metrics as Parquet and JSON, plots as PNG, and its status.

``status.json`` says whether the run is ``running``, ``partial`` (interrupted: the
metrics hold the days done so far) or ``complete``; a reader never mistakes a partial
run for a whole one.
"""

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mindshare.sim._metrics import DayMetrics

#: The metrics drawn, each on its own panel: (field, title).
PLOTTED = (
    ("attentive_minutes", "verified attention (minutes)"),
    ("mean_utility", "mean utility of visitors"),
    ("retention", "retention (share of people still active)"),
    ("creator_income_gini", "creator income Gini"),
    ("exposure_gini", "exposure Gini over creators"),
    ("new_creator_survival", "new-creator survival"),
    ("homogenization", "homogenization (mean pairwise Jaccard)"),
    ("ad_revenue_minor", "ad revenue (minor units)"),
)


def write_status(out_dir: Path, status: str, **details: Any) -> None:
    """Write ``status.json`` atomically (a crash never leaves half a file)."""
    _write_json(out_dir / "status.json", {"status": status, **details})


def read_status(out_dir: Path) -> dict[str, Any] | None:
    """The run's status, or None when ``out_dir`` holds no run."""
    path = out_dir / "status.json"
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def write_metrics(out_dir: Path, days: Sequence[DayMetrics]) -> None:
    """``metrics.json`` and ``metrics.parquet``: one row per simulated day."""
    rows = [day.to_dict() for day in days]
    _write_json(out_dir / "metrics.json", rows)
    table = pa.Table.from_pylist(rows) if rows else pa.table({})
    temporary = out_dir / "metrics.parquet.tmp"
    pq.write_table(table, temporary)
    os.replace(temporary, out_dir / "metrics.parquet")


def read_metrics(out_dir: Path) -> list[DayMetrics]:
    """The days ``write_metrics`` wrote (undefined values back as NaN)."""
    rows: list[dict[str, Any]] = json.loads((out_dir / "metrics.json").read_text())
    undefined_as_nan: list[dict[str, Any]] = [
        {name: float("nan") if value is None else value for name, value in row.items()}
        for row in rows
    ]
    return [DayMetrics(**row) for row in undefined_as_nan]


def plot_metrics(
    out_dir: Path, runs: Mapping[str, Sequence[DayMetrics]], *, name: str = "metrics.png"
) -> Path:
    """One PNG with a panel per metric and a line per run (label → its days)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 4, figsize=(18, 8), constrained_layout=True)
    for axis, (field, title) in zip(axes.ravel(), PLOTTED, strict=True):
        for label, days in runs.items():
            axis.plot(range(1, len(days) + 1), [getattr(d, field) for d in days], label=label)
        axis.set_title(title, fontsize=10)
        axis.set_xlabel("day")
        axis.grid(alpha=0.3)
    axes.ravel()[0].legend(fontsize=8)
    path = out_dir / name
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def _write_json(path: Path, value: Any) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(value, indent=1, allow_nan=False) + "\n")
    os.replace(temporary, path)
