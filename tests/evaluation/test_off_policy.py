"""Off-policy estimators against hand-computed values, their identities, and the reward model."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mindshare.core import InputError
from mindshare.datasets import BanditLog
from mindshare.evaluation import (
    RewardModelSpec,
    at_logged_position,
    direct_method,
    doubly_robust,
    fit_reward_model,
    ips,
    off_policy_estimates,
    reward_model_log_loss,
    select_reward_model,
    select_switch_tau,
    self_normalized_doubly_robust,
    snips,
    switch_doubly_robust,
)

# A four-round log over two actions; every array is at the round's logged slot.
REWARD = np.array([1.0, 0.0, 1.0, 0.0])
ACTION = np.array([0, 1, 1, 0])
PSCORE = np.array([0.5, 0.5, 0.25, 0.5])
# π(· | x_i, k_i): π of the logged actions is 0.8, 0.2, 0.5, 1.0, so the weights
# w = π / pscore are 1.6, 0.4, 2.0, 2.0 (Σ w = 6.0, mean 1.5).
TARGET = np.array([[0.8, 0.2], [0.8, 0.2], [0.5, 0.5], [1.0, 0.0]])
TARGET_PSCORE = np.array([0.8, 0.2, 0.5, 1.0])
# q̂(x_i, ·, k_i); the model's term Σ_a π q̂ per round is 0.42, 0.42, 0.30, 0.30.
REWARD_HAT = np.array([[0.5, 0.1], [0.5, 0.1], [0.2, 0.4], [0.3, 0.3]])
# Residuals r - q̂(logged action): 0.5, -0.1, 0.6, -0.3; times w: 0.8, -0.04, 1.2, -0.6.
DOUBLY = {"action": ACTION, "pscore": PSCORE, "target_dist": TARGET, "reward_hat": REWARD_HAT}


def test_ips_is_the_mean_weighted_reward() -> None:
    estimate = ips(REWARD, pscore=PSCORE, target_pscore=TARGET_PSCORE)

    # (1.6·1 + 0.4·0 + 2.0·1 + 2.0·0) / 4 = 3.6 / 4
    assert estimate.value == pytest.approx(0.9)
    assert estimate.contributions == pytest.approx([1.6, 0.0, 2.0, 0.0])
    # sample sd of (1.6, 0, 2, 0) is √(3.32 / 3); divided by √4
    assert estimate.standard_error == pytest.approx(math.sqrt(3.32 / 3) / 2)


def test_snips_divides_by_the_summed_weights() -> None:
    estimate = snips(REWARD, pscore=PSCORE, target_pscore=TARGET_PSCORE)

    assert estimate.value == pytest.approx(3.6 / 6.0)


def test_direct_method_averages_the_model_under_the_target_policy() -> None:
    estimate = direct_method(target_dist=TARGET, reward_hat=REWARD_HAT)

    # (0.8·0.5 + 0.2·0.1) twice, (0.5·0.2 + 0.5·0.4) and (1.0·0.3): (0.42 + 0.42 + 0.3 + 0.3) / 4
    assert estimate.value == pytest.approx(0.36)


def test_doubly_robust_adds_the_weighted_residuals_to_dm() -> None:
    estimate = doubly_robust(REWARD, **DOUBLY)

    # 0.36 + (0.8 - 0.04 + 1.2 - 0.6) / 4 = 0.36 + 0.34
    assert estimate.value == pytest.approx(0.70)


def test_self_normalized_doubly_robust_divides_the_residual_term_by_the_mean_weight() -> None:
    estimate = self_normalized_doubly_robust(REWARD, **DOUBLY)

    # 0.36 + 0.34 / 1.5
    assert estimate.value == pytest.approx(0.36 + 0.34 / 1.5)


def test_switch_doubly_robust_keeps_residuals_only_up_to_tau() -> None:
    estimate = switch_doubly_robust(REWARD, tau=1.8, **DOUBLY)

    # weights 1.6 and 0.4 are ≤ 1.8: 0.36 + (0.8 - 0.04) / 4
    assert estimate.value == pytest.approx(0.55)


def test_switch_doubly_robust_spans_dm_to_dr() -> None:
    dr = doubly_robust(REWARD, **DOUBLY)
    dm = direct_method(target_dist=TARGET, reward_hat=REWARD_HAT)

    assert switch_doubly_robust(REWARD, tau=math.inf, **DOUBLY).value == pytest.approx(dr.value)
    assert switch_doubly_robust(REWARD, tau=0.0, **DOUBLY).value == pytest.approx(dm.value)


def test_at_logged_position_takes_each_rounds_slot() -> None:
    per_slot = np.array([[0.7, 0.2, 0.1], [0.3, 0.8, 0.9]])  # 2 actions × 3 slots

    sliced = at_logged_position(per_slot, [0, 2, 1])

    assert sliced == pytest.approx(np.array([[0.7, 0.3], [0.1, 0.9], [0.2, 0.8]]))
    per_round = np.stack([per_slot, per_slot * 0.5])
    assert at_logged_position(per_round, [1, 0]) == pytest.approx(
        np.array([[0.2, 0.8], [0.35, 0.15]])
    )


def _random_log(seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    n, actions = int(rng.integers(1, 12)), int(rng.integers(2, 5))
    logging = rng.dirichlet(np.ones(actions), size=n)
    action = np.array([rng.choice(actions, p=row) for row in logging])
    pscore = logging[np.arange(n), action]
    target = rng.dirichlet(np.ones(actions), size=n)
    reward = rng.integers(0, 2, size=n).astype(float)
    reward_hat = rng.uniform(size=(n, actions))
    return reward, action, pscore, target, reward_hat


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_doubly_robust_is_ips_when_the_model_predicts_zero(seed: int) -> None:
    reward, action, pscore, target, _ = _random_log(seed)
    target_pscore = target[np.arange(action.size), action]

    dr = doubly_robust(
        reward, action=action, pscore=pscore, target_dist=target, reward_hat=np.zeros_like(target)
    )

    assert dr.value == pytest.approx(ips(reward, pscore=pscore, target_pscore=target_pscore).value)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_doubly_robust_is_dm_when_the_logged_actions_have_zero_weight(seed: int) -> None:
    reward, action, pscore, target, reward_hat = _random_log(seed)
    rounds = np.arange(action.size)
    target[rounds, action] = 0.0  # the target policy never takes a logged action

    dr = doubly_robust(
        reward, action=action, pscore=pscore, target_dist=target, reward_hat=reward_hat
    )
    dm = direct_method(target_dist=target, reward_hat=reward_hat)

    assert dr.value == pytest.approx(dm.value)


def test_ips_and_dr_are_unbiased_on_a_simulated_bandit_where_dm_is_not() -> None:
    rng = np.random.default_rng(7)
    mean_reward = np.array([0.1, 0.3, 0.5, 0.7])
    logging = np.array([0.4, 0.3, 0.2, 0.1])
    target = np.array([0.1, 0.2, 0.3, 0.4])
    true_value = float(target @ mean_reward)  # 0.01 + 0.06 + 0.15 + 0.28 = 0.5
    wrong_model = np.full((500, 4), 0.2)
    ips_values, dr_values, dm_values = [], [], []
    for _ in range(200):  # 200 logs of 500 rounds
        action = rng.choice(4, size=500, p=logging)
        reward = (rng.uniform(size=500) < mean_reward[action]).astype(float)
        dist = np.tile(target, (500, 1))
        ips_values.append(ips(reward, pscore=logging[action], target_pscore=target[action]).value)
        dr_values.append(
            doubly_robust(
                reward,
                action=action,
                pscore=logging[action],
                target_dist=dist,
                reward_hat=wrong_model,
            ).value
        )
        dm_values.append(direct_method(target_dist=dist, reward_hat=wrong_model).value)

    # IPS's per-log standard error is about 0.048, so the mean of 200 is within ~0.0034.
    assert np.mean(ips_values) == pytest.approx(true_value, abs=0.015)
    assert np.mean(dr_values) == pytest.approx(true_value, abs=0.015)
    assert np.mean(dm_values) == pytest.approx(0.2)


def test_select_switch_tau_stops_where_dm_disagrees_with_dr() -> None:
    # The model predicts 0 but every reward is 1: the residual term is all of the value.
    rewards = np.ones(50)
    action = np.zeros(50, dtype=int)
    dist = np.tile([0.5, 0.5], (50, 1))

    tau = select_switch_tau(
        rewards,
        action=action,
        pscore=np.full(50, 0.5),
        target_dist=dist,
        reward_hat=np.zeros((50, 2)),
        candidates=[math.inf, 2.0, 1.0, 0.5, 0.0],
    )

    assert tau == 1.0  # weights are 1: τ = 0.5 would drop every residual


def test_select_switch_tau_takes_dm_when_the_model_is_exact() -> None:
    tau = select_switch_tau(
        REWARD,
        candidates=[math.inf, 1.0, 0.0],
        **DOUBLY | {"reward_hat": np.column_stack([REWARD, REWARD])},
    )

    assert tau == 0.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pscore": np.array([0.5, 0.0, 0.25, 0.5])}, "pscore[1] is 0.0"),
        ({"pscore": np.array([0.5, 0.5, 1.5, 0.5])}, "pscore[2] is 1.5"),
        ({"reward": np.array([1.0, np.nan, 1.0, 0.0])}, "reward[1] is nan"),
        ({"reward": np.array([1.0, 0.0, 1.0])}, "reward has 3 rounds"),
        ({"action": np.array([0, 1, 2, 0])}, "action[2] is 2"),
        ({"action": np.array([0, 1])}, "action has 2 rounds"),
        ({"reward_hat": np.zeros((4, 3))}, "reward_hat has shape (4, 3)"),
        ({"reward_hat": np.full((4, 2), np.inf)}, "reward_hat[0, 0] is inf"),
        ({"target_dist": TARGET * 1.5}, "target_dist[0, 0] is 1.2"),
        ({"target_dist": np.vstack([[0.8, 0.4], TARGET[1:]])}, "row 0 sums to 1.2"),
    ],
)
def test_doubly_robust_names_the_bad_input(change: dict[str, np.ndarray], message: str) -> None:
    arguments = {"reward": REWARD, **DOUBLY} | change

    with pytest.raises(InputError) as raised:
        doubly_robust(arguments.pop("reward"), **arguments)

    assert message in str(raised.value)


def test_ips_rejects_mismatched_lengths_and_bad_probabilities() -> None:
    with pytest.raises(InputError, match="target_pscore has 3 rounds"):
        ips(REWARD, pscore=PSCORE, target_pscore=TARGET_PSCORE[:3])
    with pytest.raises(InputError, match=r"target_pscore\[0\] is -0.1"):
        ips(REWARD, pscore=PSCORE, target_pscore=[-0.1, 0.2, 0.5, 1.0])
    with pytest.raises(InputError, match="tau must be ≥ 0"):
        switch_doubly_robust(REWARD, tau=-1.0, **DOUBLY)


def _synthetic_log(seed: int, *, n: int = 6000, click_rates: tuple[float, ...]) -> BanditLog:
    """Uniform logging over len(click_rates) items and 2 slots; clicks by item only."""
    rng = np.random.default_rng(seed)
    items = len(click_rates)
    action = rng.integers(0, items, size=n)
    return BanditLog(
        policy="random",
        campaign="synthetic",
        n_actions=items,
        n_positions=2,
        action=action,
        position=rng.integers(0, 2, size=n),
        reward=(rng.uniform(size=n) < np.array(click_rates)[action]).astype(float),
        pscore=np.full(n, 1.0 / items),
        context=np.eye(3)[rng.integers(0, 3, size=n)],
        affinity=np.zeros((n, items)),
        action_context=np.eye(items),
    )


def test_reward_model_learns_item_effects_out_of_fold() -> None:
    log = _synthetic_log(1, click_rates=(0.4, 0.05, 0.05, 0.1))

    predicted = fit_reward_model(log, RewardModelSpec(item=1.0, position=10.0), folds=3)

    assert predicted.shape == (log.n_rounds, 4)
    by_item = predicted.mean(axis=0)
    assert by_item == pytest.approx([0.4, 0.05, 0.05, 0.1], abs=0.03)


def test_intercept_only_reward_model_predicts_the_click_rate() -> None:
    log = _synthetic_log(2, n=1000, click_rates=(0.2, 0.2))

    predicted = fit_reward_model(log, RewardModelSpec(), folds=1)

    assert predicted == pytest.approx(log.reward.mean())


def test_reward_model_without_clicks_predicts_half_a_click_smoothed() -> None:
    log = _synthetic_log(2, n=999, click_rates=(0.0, 0.0))

    predicted = fit_reward_model(log, RewardModelSpec(item=1.0), folds=1)

    # (0 clicks + 0.5) / (999 rounds + 1): never exactly 0, so log-losses stay finite
    assert predicted == pytest.approx(0.5 / 1000)


def test_select_reward_model_keeps_item_effects_that_predict_held_out_clicks() -> None:
    log = _synthetic_log(3, n=3000, click_rates=(0.4, 0.05, 0.05, 0.1))

    spec, loss = select_reward_model(log, grid=(100.0, 1.0), repeats=1)

    assert spec.item is not None
    assert loss < reward_model_log_loss(log, RewardModelSpec(), repeats=1)


def test_off_policy_estimates_runs_every_estimator() -> None:
    log = _synthetic_log(4, n=2000, click_rates=(0.3, 0.1))
    target = at_logged_position(np.array([[1.0, 0.0], [0.0, 1.0]]), log.position)

    estimates = off_policy_estimates(
        log, target_dist=target, reward_hat=fit_reward_model(log, RewardModelSpec(item=1.0))
    )

    assert list(estimates) == ["ips", "snips", "dm", "dr", "sndr", "switch-dr"]
    # slot 1 shows item 0 (0.3), slot 2 item 1 (0.1); the slots are equally frequent
    for estimate in estimates.values():
        assert estimate.value == pytest.approx(0.2, abs=0.05)


def test_reward_model_needs_rounds_to_fit_in_every_fold() -> None:
    log = _synthetic_log(5, n=1, click_rates=(0.5, 0.5))

    with pytest.raises(InputError, match="use fewer folds"):
        fit_reward_model(log, RewardModelSpec(item=1.0), folds=2)
