"""The Open Bandit Dataset's real-data check of off-policy estimators, composed once.

The check (Saito et al. 2021): estimate the Bernoulli Thompson sampling (BTS) policy's
click rate from the uniform-random policy's logs, and compare with the click rate the
BTS policy actually had in its own logs. The estimators are rerun on bootstrap
resamples of the random logs, the reward model refitted on each, so that every
estimator's relative error comes with its spread.

The protocol is obp's (``examples/obd`` of obp 0.4.1, whose numbers are the reference):
resample b is the one ``OpenBanditDataset.sample_bootstrap_bandit_feedback(random_state=b)``
draws, b = 0, 1, …; the ground truth is the mean click of the whole BTS log, not
resampled; every slot counts; the BTS policy is replayed with 1,000,000 Thompson draws.
With these, the model-free estimators (IPS, SNIPS) reproduce obp's published relative
errors (to the third decimal; to the sixth with obp's own stream of Thompson draws), so
both sides are measured on the same 30 resamples.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mindshare.core import InputError
from mindshare.datasets import bts_action_distribution, load_bts_priors, load_open_bandit
from mindshare.evaluation import (
    RewardModelSpec,
    at_logged_position,
    fit_reward_model,
    off_policy_estimates,
    reward_model_log_loss,
)

#: The reward model of the check: item effects under a strong Gaussian prior (L2 = 100).
#: Chosen on the random logs only, by nested cross-validation over all three campaigns:
#: it tied the intercept-only model on held-out log-loss (both ahead of every
#: cross-validated feature search, which chased fold noise with ~40 clicks), and unlike
#: the intercept it still learns item effects when a log holds enough clicks to.
OBD_REWARD_MODEL = RewardModelSpec(item=100.0)


@dataclass(frozen=True)
class EstimatorAccuracy:
    """One estimator over the resamples: its mean estimate and its relative errors.

    The relative error of an estimate V̂ is |V̂ - V| / V with V the ground truth; the
    standard deviation is the sample one (ddof = 1) over the resamples.
    """

    estimator: str
    mean_estimate: float
    mean_relative_error: float
    std_relative_error: float
    relative_errors: tuple[float, ...]


@dataclass(frozen=True)
class OffPolicyReport:
    """How well each estimator recovered the BTS policy's click rate from the random logs."""

    campaign: str
    runs: int
    seed: int
    first_resample: int
    n_draws: int
    n_rounds: int
    n_actions: int
    ground_truth: float
    behavior_value: float
    reward_model: RewardModelSpec
    reward_model_log_loss: float
    estimators: tuple[EstimatorAccuracy, ...]

    @property
    def best(self) -> EstimatorAccuracy:
        """The estimator with the smallest mean relative error."""
        return min(self.estimators, key=lambda e: e.mean_relative_error)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (relative errors per resample included)."""
        result = asdict(self)
        result["reward_model"] = self.reward_model.penalties()
        result["estimators"] = [asdict(e) for e in self.estimators]
        result["best"] = self.best.estimator
        return result


def evaluate_off_policy(
    root: Path,
    campaign: str,
    *,
    runs: int = 30,
    seed: int = 12345,
    first_resample: int = 0,
    reward_model: RewardModelSpec = OBD_REWARD_MODEL,
    folds: int = 3,
    n_draws: int = 1_000_000,
    on_run: Callable[[int], None] | None = None,
) -> OffPolicyReport:
    """Run the real-data check on one campaign of the Open Bandit Dataset under ``root``.

    The ground truth is the mean click of the BTS logs; the evaluation policy is BTS
    replayed from its production priors (``n_draws`` Thompson draws, see
    :func:`~mindshare.datasets.bts_action_distribution`). The reward model is refitted,
    cross-fitted with ``folds`` folds, on each of ``runs`` bootstrap resamples of the
    random logs: resamples ``first_resample``, ``first_resample + 1``, … as
    :func:`bootstrap_resample` draws them. ``seed`` fixes the BTS draws and the folds
    (obp's ``random_state``), not the resamples. The reward model's cross-validated
    log-loss on the random logs is reported beside. ``on_run`` is told how many
    resamples are done.
    """
    if runs < 1:
        raise InputError(f"runs must be ≥ 1, not {runs}")
    if first_resample < 0:
        raise InputError(f"first_resample must be ≥ 0, not {first_resample}")
    logged = load_open_bandit(root, policy="random", campaign=campaign)
    ground_truth = float(load_open_bandit(root, policy="bts", campaign=campaign).reward.mean())
    if ground_truth <= 0:
        raise InputError(f"the BTS logs of {campaign!r} hold no click: no relative error exists")
    alpha, beta = load_bts_priors(root, campaign)
    if alpha.size != logged.n_actions:
        raise InputError(
            f"prior_bts.yaml has {alpha.size} priors for campaign {campaign!r}; "
            f"its item_context.csv has {logged.n_actions} items"
        )
    target = bts_action_distribution(
        alpha, beta, n_positions=logged.n_positions, n_draws=n_draws, seed=seed
    )
    log_loss = reward_model_log_loss(logged, reward_model, seed=seed)
    values: dict[str, list[float]] = {}
    for run in range(runs):
        resampled = bootstrap_resample(logged.n_rounds, first_resample + run)
        sample = logged.take(resampled)
        reward_hat = fit_reward_model(
            sample, reward_model, folds=folds, seed=seed + run, groups=resampled
        )
        estimates = off_policy_estimates(
            sample, target_dist=at_logged_position(target, sample.position), reward_hat=reward_hat
        )
        for name, estimate in estimates.items():
            values.setdefault(name, []).append(estimate.value)
        if on_run is not None:
            on_run(run + 1)
    return OffPolicyReport(
        campaign=campaign,
        runs=runs,
        seed=seed,
        first_resample=first_resample,
        n_draws=n_draws,
        n_rounds=logged.n_rounds,
        n_actions=logged.n_actions,
        ground_truth=ground_truth,
        behavior_value=float(logged.reward.mean()),
        reward_model=reward_model,
        reward_model_log_loss=log_loss,
        estimators=tuple(_accuracy(n, v, ground_truth) for n, v in values.items()),
    )


def bootstrap_resample(n_rounds: int, index: int) -> npt.NDArray[np.int64]:
    """Round indices of bootstrap resample ``index``: ``n_rounds`` draws with replacement.

    Drawn exactly as obp draws its resample ``index`` (``sample_bootstrap_bandit_feedback``
    with ``random_state=index``), so that the check and obp's reference numbers are
    measured on the same resamples. That is why NumPy's legacy ``RandomState`` is used:
    its streams are kept stable across NumPy versions for this kind of reproduction.
    """
    if n_rounds < 1 or index < 0:
        raise InputError(f"a resample needs n_rounds ≥ 1 and index ≥ 0, not {n_rounds}, {index}")
    rng = np.random.RandomState(index)
    return rng.choice(n_rounds, size=n_rounds, replace=True).astype(np.int64)


def _accuracy(name: str, estimates: list[float], truth: float) -> EstimatorAccuracy:
    errors = np.abs(np.array(estimates) - truth) / truth
    return EstimatorAccuracy(
        estimator=name,
        mean_estimate=float(np.mean(estimates)),
        mean_relative_error=float(errors.mean()),
        std_relative_error=float(errors.std(ddof=1)) if errors.size > 1 else 0.0,
        relative_errors=tuple(float(e) for e in errors),
    )
