"""Sweeps on Ray (a local cluster) and A/B experiments, end to end on tiny worlds."""

import json
from pathlib import Path

import pytest

from mindshare.core import InputError
from mindshare.sim import SimulationSpec, analyse, run_experiment, run_sweep, simulate

TINY = {"people": 40, "creators": 6, "days": 3}


def test_a_sweep_runs_every_policy_and_seed_on_ray_and_matches_single_runs(
    tmp_path: Path,
) -> None:
    specs = [
        SimulationSpec(policy=policy, seed=seed, **TINY)
        for policy in ("popularity", "fair")
        for seed in (0, 1)
    ]
    summary = run_sweep(specs, tmp_path / "sweep")

    assert [(r["spec"]["policy"], r["spec"]["seed"]) for r in summary.runs] == [
        ("popularity", 0),
        ("popularity", 1),
        ("fair", 0),
        ("fair", 1),
    ]
    assert set(summary.last_days_by_policy()) == {"popularity", "fair"}
    saved = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert len(saved["runs"]) == 4
    assert (tmp_path / "sweep" / "sweep.png").exists()
    alone = simulate(specs[2], tmp_path / "alone")
    assert summary.runs[2]["days"] == [day.to_dict() for day in alone.days]


def test_a_sweep_refuses_repeats_and_nothing() -> None:
    spec = SimulationSpec(policy="fair", **TINY)
    with pytest.raises(InputError, match="remove the repeats"):
        run_sweep([spec, spec], Path("unused"))
    with pytest.raises(InputError, match="at least one simulation"):
        run_sweep([], Path("unused"))


def test_an_experiment_reports_each_outcome_of_each_arm(tmp_path: Path) -> None:
    report = run_experiment(
        ["fair", "popularity"],
        days=3,
        pre_days=2,
        people=120,
        creators=8,
        seed=1,
        out_dir=tmp_path,
    )
    assert report.arms == ("fair", "popularity")
    assert sum(report.units.values()) >= 120  # and whoever joined in the pre-period
    assert min(report.units.values()) > 30  # a stable hash splits about evenly
    assert [(e.outcome, e.treatment, e.control) for e in report.effects] == [
        ("attentive_minutes", "fair", "popularity"),
        ("utility", "fair", "popularity"),
        ("retained", "fair", "popularity"),
    ]
    minutes = report.effects[0]
    assert minutes.cuped is not None
    assert minutes.effect.n_treatment == report.units["fair"]
    assert len(minutes.sequential.n) == 3  # one look per experiment day
    assert report.effects[2].cuped is None  # nobody has a pre-period retention to adjust by
    assert json.dumps(report.to_dict())


def test_an_experiment_needs_distinct_arms_and_its_days(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="two or more distinct arms"):
        run_experiment(
            ["fair", "fair"], days=2, pre_days=1, people=10, creators=2, seed=0, out_dir=tmp_path
        )
    spec = SimulationSpec(policy="model", arms=("fair", "model"), pre_days=1, **TINY)
    with pytest.raises(InputError, match="pre-period"):
        analyse(spec, [], [], out_dir=tmp_path)
