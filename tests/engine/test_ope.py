"""The Open Bandit real-data check, composed by engine.evaluate_off_policy (a few resamples)."""

import math
from pathlib import Path

import numpy as np
import pytest

from mindshare import engine
from mindshare.core import InputError, UnreadableFile
from mindshare.datasets import bts_action_distribution, load_bts_priors, load_open_bandit
from mindshare.engine._ope import bootstrap_resample

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
    assert (summary["first_resample"], summary["n_draws"]) == (0, 20_000)


def test_resamples_are_the_ones_obp_draws_for_the_same_index() -> None:
    # obp's sample_bootstrap_bandit_feedback(random_state=0) on 10,000 rounds starts so
    # (NumPy's legacy stream, stable across versions).
    assert bootstrap_resample(10_000, 0)[:5].tolist() == [2732, 9845, 3264, 4859, 9225]
    assert bootstrap_resample(5, 3).tolist() == [2, 0, 1, 3, 0]


def test_a_resample_depends_on_its_index_only(open_bandit: Path) -> None:
    both = engine.evaluate_off_policy(open_bandit, "men", runs=2, n_draws=5_000)

    second = engine.evaluate_off_policy(open_bandit, "men", runs=1, first_resample=1, n_draws=5_000)

    ips = {e.estimator: e for e in both.estimators}["ips"]
    assert second.estimators[0].estimator == "ips"
    assert second.estimators[0].relative_errors == (ips.relative_errors[1],)
    logged = load_open_bandit(open_bandit, policy="random", campaign="men")
    alpha, beta = load_bts_priors(open_bandit, "men")
    policy = bts_action_distribution(alpha, beta, n_positions=3, n_draws=5_000, seed=12345)
    rounds = bootstrap_resample(logged.n_rounds, 1)
    weight = policy[logged.action[rounds], logged.position[rounds]] / logged.pscore[rounds]
    estimate = float(np.mean(weight * logged.reward[rounds]))
    assert ips.relative_errors[1] == pytest.approx(
        abs(estimate - second.ground_truth) / second.ground_truth
    )


def test_bad_runs_and_a_missing_dataset_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="runs must be ≥ 1"):
        engine.evaluate_off_policy(tmp_path, "all", runs=0)
    with pytest.raises(InputError, match="first_resample must be ≥ 0"):
        engine.evaluate_off_policy(tmp_path, "all", first_resample=-1)
    with pytest.raises(UnreadableFile, match="cannot read"):
        engine.evaluate_off_policy(tmp_path, "all", runs=1)
