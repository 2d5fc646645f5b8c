"""The Open Bandit real-data check, composed by engine.evaluate_off_policy (a few resamples)."""

import math
from pathlib import Path

import numpy as np
import pytest

from mindshare import engine
from mindshare.core import InputError, UnreadableFile
from mindshare.datasets import load_open_bandit

ESTIMATORS = ["ips", "snips", "dm", "dr", "sndr", "switch-dr"]


def test_every_estimator_is_scored_against_the_bts_logs_click_rate(open_bandit: Path) -> None:
    done: list[int] = []

    report = engine.evaluate_off_policy(
        open_bandit, "men", runs=3, n_draws=20_000, on_run=done.append
    )

    bts = load_open_bandit(open_bandit, policy="bts", campaign="men")
    assert report.ground_truth == pytest.approx(bts.reward.mean())
    assert (report.runs, report.n_rounds, report.n_actions) == (3, 10_000, 34)
    assert done == [1, 2, 3]
    assert [e.estimator for e in report.estimators] == ESTIMATORS
    for accuracy in report.estimators:
        assert len(accuracy.relative_errors) == 3
        assert accuracy.mean_relative_error == pytest.approx(np.mean(accuracy.relative_errors))
        assert all(math.isfinite(error) and error >= 0 for error in accuracy.relative_errors)
    dm = next(e for e in report.estimators if e.estimator == "dm")
    assert math.isfinite(dm.mean_relative_error)
    assert dm.mean_relative_error < 1
    assert report.best.mean_relative_error == min(e.mean_relative_error for e in report.estimators)
    summary = report.as_dict()
    assert summary["reward_model"] == {"item": 100.0}
    assert summary["best"] == report.best.estimator


def test_bad_runs_and_a_missing_dataset_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="runs must be ≥ 1"):
        engine.evaluate_off_policy(tmp_path, "all", runs=0)
    with pytest.raises(UnreadableFile, match="cannot read"):
        engine.evaluate_off_policy(tmp_path, "all", runs=1)
