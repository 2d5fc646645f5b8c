"""A/B statistics: hand-computed values, A/A false-positive rates, power, and assignment."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mindshare.core import InputError
from mindshare.evaluation import (
    Effect,
    assign_arm,
    assign_arms,
    cuped,
    difference_in_means,
    sequential_test,
)

ALPHA = 0.05
# Welch by hand: treatment mean 5, s² 4 (n 3); control mean 3, s² 2.5 (n 5).
# se² = 4/3 + 2.5/5 = 11/6; df = (11/6)² / ((4/3)²/2 + (1/2)²/4) = 484/137.
WELCH_T = [3.0, 5.0, 7.0]
WELCH_C = [1.0, 2.0, 3.0, 4.0, 5.0]


def _binomial_band(trials: int, p: float) -> tuple[float, float]:
    """The central 99.9% range of a Binomial(trials, p) rate."""
    low, high = stats.binom.interval(0.999, trials, p)
    return low / trials, high / trials


# --- difference in means -------------------------------------------------------------


def test_welch_matches_hand_computed_values() -> None:
    effect = difference_in_means(WELCH_T, WELCH_C)

    se = math.sqrt(11 / 6)
    df = 484 / 137
    half = stats.t.ppf(0.975, df) * se
    assert effect.effect == pytest.approx(2.0)
    assert effect.standard_error == pytest.approx(se)
    assert effect.df == pytest.approx(df)
    assert (effect.ci_low, effect.ci_high) == pytest.approx((2.0 - half, 2.0 + half))
    assert effect.p_value == pytest.approx(2 * stats.t.sf(2.0 / se, df))
    assert (effect.n_treatment, effect.n_control) == (3, 5)
    assert (effect.mean_treatment, effect.mean_control) == pytest.approx((5.0, 3.0))
    # Relative: 2/3; Var ≈ (4/3)/9 + 25 (1/2)/81 = 49/162 by the delta method.
    rel_half = stats.norm.ppf(0.975) * 7 / math.sqrt(162)
    assert effect.relative_effect == pytest.approx(2 / 3)
    assert effect.relative_ci_low == pytest.approx(2 / 3 - rel_half)
    assert effect.relative_ci_high == pytest.approx(2 / 3 + rel_half)
    assert effect.variance_reduction is None
    assert effect.theta is None


def test_welch_agrees_with_scipy_ttest_ind() -> None:
    rng = np.random.default_rng(7)
    treatment, control = rng.normal(1.2, 2.0, 40), rng.normal(1.0, 0.5, 25)

    effect = difference_in_means(treatment, control, alpha=0.1)

    reference = stats.ttest_ind(treatment, control, equal_var=False)
    interval = reference.confidence_interval(confidence_level=0.9)
    assert effect.p_value == pytest.approx(reference.pvalue)
    assert (effect.ci_low, effect.ci_high) == pytest.approx((interval.low, interval.high))
    assert effect.df == pytest.approx(reference.df)


def test_effect_to_dict_lists_every_field() -> None:
    effect = difference_in_means(WELCH_T, WELCH_C)

    as_dict = effect.to_dict()

    assert as_dict["effect"] == pytest.approx(2.0)
    assert as_dict["n_treatment"] == 3
    assert Effect(**as_dict) == effect


def test_relative_effect_is_none_when_the_control_mean_is_zero() -> None:
    effect = difference_in_means([1.0, 2.0], [-1.0, 1.0])

    assert effect.relative_effect is None
    assert effect.relative_ci_low is None
    assert effect.relative_ci_high is None


def test_constant_arms_give_a_degenerate_but_defined_result() -> None:
    differ = difference_in_means([2.0, 2.0], [1.0, 1.0])
    same = difference_in_means([1.0, 1.0], [1.0, 1.0])

    assert (differ.effect, differ.standard_error, differ.p_value) == (1.0, 0.0, 0.0)
    assert (differ.ci_low, differ.ci_high) == (1.0, 1.0)
    assert same.p_value == 1.0


@settings(max_examples=60, deadline=None)
@given(
    treatment=st.lists(st.integers(-1000, 1000), min_size=2, max_size=30),
    control=st.lists(st.integers(-1000, 1000), min_size=2, max_size=30),
)
def test_swapping_the_arms_negates_the_effect(treatment: list[int], control: list[int]) -> None:
    forward = difference_in_means(treatment, control)

    backward = difference_in_means(control, treatment)

    assert backward.effect == pytest.approx(-forward.effect, abs=1e-9)
    assert backward.ci_low == pytest.approx(-forward.ci_high, abs=1e-9)
    assert backward.ci_high == pytest.approx(-forward.ci_low, abs=1e-9)
    assert backward.p_value == pytest.approx(forward.p_value)
    assert backward.standard_error == pytest.approx(forward.standard_error)


@settings(max_examples=60, deadline=None)
@given(
    treatment=st.lists(st.integers(-1000, 1000), min_size=2, max_size=30),
    control=st.lists(st.integers(-1000, 1000), min_size=2, max_size=30),
    shift=st.integers(-10_000, 10_000),
)
def test_shifting_both_arms_leaves_the_effect_unchanged(
    treatment: list[int], control: list[int], shift: int
) -> None:
    plain = difference_in_means(treatment, control)

    shifted = difference_in_means([y + shift for y in treatment], [y + shift for y in control])

    assert shifted.effect == pytest.approx(plain.effect, abs=1e-8)
    assert shifted.standard_error == pytest.approx(plain.standard_error, rel=1e-9, abs=1e-8)
    assert shifted.p_value == pytest.approx(plain.p_value, abs=1e-9)


def test_a_real_effect_is_detected() -> None:
    rng = np.random.default_rng(11)

    effect = difference_in_means(rng.normal(0.3, 1.0, 1000), rng.normal(0.0, 1.0, 1000))

    assert effect.significant
    assert effect.p_value < ALPHA
    assert effect.ci_low > 0


def test_fixed_horizon_test_rejects_a_a_experiments_at_alpha() -> None:
    rng = np.random.default_rng(2024)
    experiments = 4000
    outcomes = rng.exponential(1.0, size=(experiments, 2, 60))

    rejections = [difference_in_means(t, c).significant for t, c in outcomes]

    rate = float(np.mean(rejections))
    low, high = _binomial_band(experiments, ALPHA)
    assert low <= rate <= high, f"A/A false-positive rate {rate:.4f}"


# --- CUPED ---------------------------------------------------------------------------


def test_cuped_theta_by_hand() -> None:
    # Pooled x = (0, 1, 1, 3), mean 1.25; y = (1, 3, 2, 6), mean 3:
    # Σ(x - x̄)(y - ȳ) = 2.5 + 0 + 0.25 + 5.25 = 8, Σ(x - x̄)² = 4.75, θ = 32/19.
    effect = cuped([1.0, 3.0], [0.0, 1.0], [2.0, 6.0], [1.0, 3.0])

    assert effect.theta == pytest.approx(32 / 19)
    # y_adj = y - θ (x - 1.25); treatment mean 2 - θ(0.5 - 1.25), control 4 - θ(2 - 1.25).
    theta = 32 / 19
    assert effect.mean_treatment == pytest.approx(2.0 + 0.75 * theta)
    assert effect.mean_control == pytest.approx(4.0 - 0.75 * theta)


def test_cuped_removes_all_variance_when_x_predicts_y_exactly() -> None:
    rng = np.random.default_rng(3)
    x_t, x_c = rng.normal(5.0, 2.0, 200), rng.normal(5.0, 2.0, 300)

    effect = cuped(3.0 * x_t + 2.0, x_t, 3.0 * x_c + 2.0, x_c)

    assert effect.theta == pytest.approx(3.0)
    assert effect.variance_reduction == pytest.approx(1.0)
    assert effect.effect == pytest.approx(0.0, abs=1e-9)


def test_cuped_removes_nothing_when_x_is_independent_noise() -> None:
    rng = np.random.default_rng(4)
    n = 20_000

    effect = cuped(rng.normal(size=n), rng.normal(size=n), rng.normal(size=n), rng.normal(size=n))

    assert effect.variance_reduction is not None
    assert 0.0 <= effect.variance_reduction < 0.002
    assert effect.theta == pytest.approx(0.0, abs=0.03)


def test_cuped_narrows_the_interval_when_x_correlates_with_y() -> None:
    rng = np.random.default_rng(5)
    n = 2000
    x_t, x_c = rng.normal(10.0, 3.0, n), rng.normal(10.0, 3.0, n)
    y_t = x_t + rng.normal(0.0, 1.0, n) + 0.2
    y_c = x_c + rng.normal(0.0, 1.0, n)

    plain = difference_in_means(y_t, y_c)
    adjusted = cuped(y_t, x_t, y_c, x_c)

    # corr(x, y)² = 9/10, so the interval should be about √(1/10) as wide.
    assert adjusted.variance_reduction == pytest.approx(0.9, abs=0.02)
    assert adjusted.ci_high - adjusted.ci_low < 0.4 * (plain.ci_high - plain.ci_low)
    assert adjusted.ci_low > 0
    assert adjusted.effect == pytest.approx(0.2, abs=0.05)


def test_cuped_with_a_constant_covariate_is_the_plain_test() -> None:
    plain = difference_in_means(WELCH_T, WELCH_C)

    adjusted = cuped(WELCH_T, [1.0] * 3, WELCH_C, [1.0] * 5)

    assert adjusted.theta == 0.0
    assert adjusted.variance_reduction == 0.0
    assert adjusted.effect == pytest.approx(plain.effect)
    assert adjusted.p_value == pytest.approx(plain.p_value)


# --- sequential test -----------------------------------------------------------------


def test_msprt_p_values_and_interval_by_hand() -> None:
    # τ² = 1, burn-in 2. Pair 2: d = 2, V = s_t² + s_c² = 2 + 0, so
    # 1/Λ = sqrt((V + nτ²)/V) exp(-n²τ²d²/(2V(V + nτ²))) = √2 e^-1.
    # Pair 3: d = 2, V = 1 + 0: 1/Λ = 2 e^-4.5. Pair 4: d = 1.5, V = 2/3 + 1 = 5/3:
    # 1/Λ = sqrt(17/5) e^(-36·9/170) ≈ 0.274, above the running minimum.
    result = sequential_test(
        [1.0, 3.0, 2.0, 2.0], [0.0, 0.0, 0.0, 2.0], mixture_variance=1.0, burn_in=2
    )

    expected = [1.0, math.sqrt(2) / math.e, 2 * math.exp(-4.5), 2 * math.exp(-4.5)]
    assert result.p_value == pytest.approx(expected)
    assert result.n.tolist() == [1, 2, 3, 4]
    assert result.effect == pytest.approx([1.0, 2.0, 2.0, 1.5])
    assert result.stopped_at == 3
    # Interval at pair 2: 2 ± sqrt(2·2·4/4 · (log 20 + ½ log 2)); at pair 3:
    # 2 ± sqrt(2·1·4/9 · (log 20 + ½ log 4)), which excludes 0 as p ≤ alpha there.
    half_2 = math.sqrt(4 * (math.log(20) + 0.5 * math.log(2)))
    half_3 = math.sqrt(8 / 9 * (math.log(20) + 0.5 * math.log(4)))
    assert (result.ci_low[0], result.ci_high[0]) == (-math.inf, math.inf)
    assert (result.ci_low[1], result.ci_high[1]) == pytest.approx((2 - half_2, 2 + half_2))
    assert (result.ci_low[2], result.ci_high[2]) == pytest.approx((2 - half_3, 2 + half_3))
    assert result.ci_low[2] > 0


def test_msprt_is_consistent_between_p_value_and_interval() -> None:
    rng = np.random.default_rng(8)

    result = sequential_test(rng.normal(0.2, 1.0, 1500), rng.normal(0.0, 1.0, 1500))

    excludes_zero = (result.ci_low > 0) | (result.ci_high < 0)
    np.testing.assert_array_equal(excludes_zero, result.p_value <= ALPHA)
    assert np.all(np.diff(result.p_value) <= 0)


def test_msprt_detects_a_real_effect_and_stops_early() -> None:
    rng = np.random.default_rng(9)

    result = sequential_test(rng.normal(0.5, 1.0, 1000), rng.normal(0.0, 1.0, 1000))

    assert result.rejected
    assert result.stopped_at is not None
    assert result.stopped_at < 1000
    assert result.p_value[-1] < ALPHA
    assert result.ci_low[-1] > 0
    assert result.ci_low[-1] < 0.5 < result.ci_high[-1]


def test_msprt_looked_at_per_period_never_has_smaller_p_values() -> None:
    rng = np.random.default_rng(10)
    treatment, control = rng.normal(0.1, 1.0, 600), rng.normal(0.0, 1.0, 600)
    looks = [100, 200, 300, 400, 500, 600]

    every_pair = sequential_test(treatment, control)
    per_period = sequential_test(treatment, control, looks=looks)

    assert per_period.n.tolist() == looks
    at = np.array(looks) - 1
    np.testing.assert_allclose(per_period.effect, every_pair.effect[at])
    assert np.all(per_period.p_value >= every_pair.p_value[at])


def test_msprt_burn_in_weighs_no_evidence() -> None:
    result = sequential_test([5.0, 6.0, 5.5, 6.5], [0.0, 0.1, 0.2, 0.3], burn_in=5)

    assert result.p_value.tolist() == [1.0] * 4
    assert np.all(np.isinf(result.ci_low))
    assert np.all(np.isinf(result.ci_high))
    assert result.stopped_at is None


def test_msprt_with_a_constant_outcome_weighs_no_evidence() -> None:
    result = sequential_test([0.0] * 50, [0.0] * 50)

    assert result.mixture_variance == 0.0
    assert result.p_value.tolist() == [1.0] * 50
    assert result.stopped_at is None


def test_sequential_result_to_dict_is_json_ready() -> None:
    result = sequential_test([1.0, 3.0, 2.0], [0.0, 0.0, 1.0], mixture_variance=1.0, burn_in=2)

    as_dict = result.to_dict()

    assert as_dict["n"] == [1, 2, 3]
    assert as_dict["mixture_variance"] == 1.0
    assert isinstance(as_dict["p_value"], list)


def test_peeking_a_a_experiments_inflates_t_tests_but_not_the_msprt() -> None:
    rng = np.random.default_rng(2017)
    experiments, pairs = 2000, 500
    treatment = rng.normal(0.0, 1.0, (experiments, pairs))
    control = rng.normal(0.0, 1.0, (experiments, pairs))

    sequential = np.mean(
        [sequential_test(t, c).rejected for t, c in zip(treatment, control, strict=True)]
    )
    naive = np.mean(_welch_peeks(treatment, control, start=20) <= ALPHA)

    _, high = _binomial_band(experiments, ALPHA)
    assert sequential <= high, f"mSPRT A/A false-positive rate {sequential:.4f}"
    assert naive > 3 * ALPHA, f"peeked t-test A/A false-positive rate {naive:.4f}"


def _welch_peeks(treatment: np.ndarray, control: np.ndarray, *, start: int) -> np.ndarray:
    """Smallest Welch p-value of each experiment over looks after every pair from ``start``."""
    n = np.arange(1, treatment.shape[1] + 1, dtype=np.float64)[start - 1 :]

    def running(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        total = np.cumsum(y, axis=1)[:, start - 1 :]
        squares = np.cumsum(y**2, axis=1)[:, start - 1 :]
        return total / n, (squares - total**2 / n) / (n - 1) / n

    mean_t, var_t = running(treatment)
    mean_c, var_c = running(control)
    df = (var_t + var_c) ** 2 / (var_t**2 / (n - 1) + var_c**2 / (n - 1))
    p = 2 * stats.t.sf(np.abs(mean_t - mean_c) / np.sqrt(var_t + var_c), df)
    smallest: np.ndarray = p.min(axis=1)
    return smallest


# --- assignment ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit_id", "arms", "salt", "arm"),
    [
        ("person-1", ("control", "treatment"), "feed-v2", "control"),
        ("person-2", ("control", "treatment"), "feed-v2", "treatment"),
        ("person-3", ("control", "treatment"), "feed-v2", "treatment"),
        ("person-1", ("control", "treatment"), "feed-v3", "treatment"),
        ("world-42", ("a", "b", "c"), "pricing-2024", "b"),
        ("world-43", ("a", "b", "c"), "pricing-2024", "a"),
        ("world-44", ("a", "b", "c"), "pricing-2024", "c"),
    ],
)
def test_assignment_is_pinned_across_versions(
    unit_id: str, arms: tuple[str, ...], salt: str, arm: str
) -> None:
    assert assign_arm(unit_id, arms, salt=salt) == arm


def test_assignment_is_uniform_over_arms() -> None:
    arms = ("a", "b", "c", "d")
    ids = [f"person-{i}" for i in range(10_000)]

    assigned = assign_arms(ids, arms, salt="uniformity")

    counts = [assigned.count(arm) for arm in arms]
    assert stats.chisquare(counts).pvalue > 0.001
    assert assigned[:5] == [assign_arm(i, arms, salt="uniformity") for i in ids[:5]]


def test_different_salts_give_independent_splits() -> None:
    arms = ("control", "treatment")
    ids = [f"person-{i}" for i in range(10_000)]

    first = np.array(assign_arms(ids, arms, salt="experiment-1")) == "treatment"
    second = np.array(assign_arms(ids, arms, salt="experiment-2")) == "treatment"

    table = [
        [np.sum(first & second), np.sum(first & ~second)],
        [np.sum(~first & second), np.sum(~first & ~second)],
    ]
    assert stats.chi2_contingency(table).pvalue > 0.001
    assert np.mean(first == second) == pytest.approx(0.5, abs=0.03)


def test_salt_and_id_boundaries_do_not_collide() -> None:
    arms = [f"arm-{i}" for i in range(1000)]

    assert assign_arm("bc", arms, salt="a") != assign_arm("c", arms, salt="ab")


# --- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("treatment", "control", "match"),
    [
        ([], [1.0, 2.0], "at least 2"),
        ([1.0], [1.0, 2.0], "at least 2"),
        ([1.0, math.nan], [1.0, 2.0], "non-finite"),
        ([1.0, 2.0], [math.inf, 2.0], "non-finite"),
        ([[1.0, 2.0]], [1.0, 2.0], "one-dimensional"),
        (["a", "b"], [1.0, 2.0], "numbers"),
    ],
)
def test_bad_outcomes_are_refused(treatment: object, control: object, match: str) -> None:
    with pytest.raises(InputError, match=match):
        difference_in_means(treatment, control)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=match):
        sequential_test(treatment, control)  # type: ignore[arg-type]


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 1.5, math.nan, True])
def test_alpha_outside_the_unit_interval_is_refused(alpha: float) -> None:
    with pytest.raises(InputError, match="alpha"):
        difference_in_means(WELCH_T, WELCH_C, alpha=alpha)
    with pytest.raises(InputError, match="alpha"):
        cuped(WELCH_T, WELCH_T, WELCH_C, WELCH_C, alpha=alpha)
    with pytest.raises(InputError, match="alpha"):
        sequential_test(WELCH_T, WELCH_T, alpha=alpha)


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(InputError, match="covariates"):
        cuped([1.0, 2.0, 3.0], [1.0, 2.0], [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(InputError, match="covariates"):
        cuped([1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="pairs"):
        sequential_test([1.0, 2.0, 3.0], [1.0, 2.0])


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"mixture_variance": 0.0}, "mixture_variance"),
        ({"mixture_variance": -1.0}, "mixture_variance"),
        ({"mixture_variance": math.inf}, "mixture_variance"),
        ({"burn_in": 1}, "burn_in"),
        ({"looks": []}, "looks"),
        ({"looks": [3, 2]}, "looks"),
        ({"looks": [0, 2]}, "looks"),
        ({"looks": [2, 99]}, "looks"),
        ({"looks": [1.5]}, "looks"),
    ],
)
def test_bad_sequential_options_are_refused(options: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        sequential_test([1.0, 2.0, 3.0], [1.0, 2.0, 4.0], **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("unit_id", "arms", "salt", "match"),
    [
        ("p", [], "s", "at least one arm"),
        ("p", ["a", "a"], "s", "distinct"),
        ("p", "ab", "s", "not one string"),
        ("p", ["a", ""], "s", "non-empty string"),
        ("p", ["a", "b"], "", "salt"),
        ("", ["a", "b"], "s", "unit id"),
    ],
)
def test_bad_assignment_input_is_refused(
    unit_id: str, arms: list[str], salt: str, match: str
) -> None:
    with pytest.raises(InputError, match=match):
        assign_arm(unit_id, arms, salt=salt)
