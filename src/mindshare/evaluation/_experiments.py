"""A/B experiments: stable assignment to arms, fixed-horizon and always-valid statistics.

A world splits its people into arms with :func:`assign_arm` (a keyed cryptographic hash,
so the split is the same in every process and every version), serves each arm a
different policy, and analyses one outcome per person:

- :func:`difference_in_means` — Welch's t-test (Welch 1947) for a difference in means
  with unequal variances, the relative effect with a delta-method interval;
- :func:`cuped` — the same after CUPED's variance reduction with a pre-experiment
  covariate (Deng, Xu, Kohavi & Walker 2013);
- :func:`sequential_test` — the mixture sequential probability ratio test (mSPRT) of
  Johari, Koomen, Pekelis & Walsh (2017), whose p-values and confidence intervals stay
  valid however often they are looked at, so an experiment may stop as soon as its
  p-value falls to alpha. A fixed-horizon test peeked at repeatedly does not have this
  property: its false-positive rate grows with the number of looks.

Everything here is pure: arrays in, frozen dataclasses out.
"""

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from mindshare.core import InputError

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

#: Pairs observed before the sequential test starts to weigh evidence (see
#: :func:`sequential_test`): its plug-in variance is too noisy before then.
SEQUENTIAL_BURN_IN = 20


@dataclass(frozen=True)
class Effect:
    """A treatment-minus-control difference in means with its interval and p-value.

    Attributes
    ----------
    effect
        Mean of treatment minus mean of control.
    ci_low, ci_high
        Two-sided ``1 - alpha`` Welch t interval for the effect.
    p_value
        Two-sided p-value of "no difference" (Welch's t-test).
    standard_error
        ``sqrt(s_t²/n_t + s_c²/n_c)``.
    df
        Welch-Satterthwaite degrees of freedom of the t statistic.
    alpha
        The level the interval was built for.
    n_treatment, n_control
        Observations in each arm.
    mean_treatment, mean_control
        Arm means (of the CUPED-adjusted outcome for :func:`cuped`).
    relative_effect
        ``effect / mean_control``; None when the control mean is 0.
    relative_ci_low, relative_ci_high
        Delta-method normal interval for the relative effect; None with it.
    variance_reduction
        CUPED only: ``1 - var(y_adj) / var(y)`` on the pooled data.
    theta
        CUPED only: the regression coefficient ``cov(x, y) / var(x)`` used.
    """

    effect: float
    ci_low: float
    ci_high: float
    p_value: float
    standard_error: float
    df: float
    alpha: float
    n_treatment: int
    n_control: int
    mean_treatment: float
    mean_control: float
    relative_effect: float | None
    relative_ci_low: float | None
    relative_ci_high: float | None
    variance_reduction: float | None = None
    theta: float | None = None

    @property
    def significant(self) -> bool:
        """Whether the effect is significant at ``alpha`` (``p_value <= alpha``)."""
        return self.p_value <= self.alpha

    def to_dict(self) -> dict[str, float | int | None]:
        """The fields as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, eq=False)
class SequentialResult:
    """The always-valid p-values and confidence sequence of an mSPRT, one entry per look.

    Attributes
    ----------
    n
        Pairs observed at each look (1-based counts, increasing).
    effect
        Running difference in means (treatment minus control) at each look.
    p_value
        Always-valid p-value: running minimum of ``1 / Λ_n``, capped at 1.
    ci_low, ci_high
        Always-valid ``1 - alpha`` confidence sequence for the effect: the running
        intersection of the per-look intervals ``{θ : Λ_n(θ) < 1 / alpha}``.
        Infinite during the burn-in.
    alpha
        The level.
    mixture_variance
        τ², the variance of the normal mixing distribution over effects.
    burn_in
        Pairs observed before evidence is weighed.
    stopped_at
        Pairs observed at the first look whose p-value is at most ``alpha``; None if
        none is.
    """

    n: Ints
    effect: Floats
    p_value: Floats
    ci_low: Floats
    ci_high: Floats
    alpha: float
    mixture_variance: float
    burn_in: int
    stopped_at: int | None

    @property
    def rejected(self) -> bool:
        """Whether the test rejected "no difference" at some look."""
        return self.stopped_at is not None

    def to_dict(self) -> dict[str, object]:
        """The fields as a JSON-ready dict (arrays become lists; infinities stay floats)."""
        return {
            "n": self.n.tolist(),
            "effect": self.effect.tolist(),
            "p_value": self.p_value.tolist(),
            "ci_low": self.ci_low.tolist(),
            "ci_high": self.ci_high.tolist(),
            "alpha": self.alpha,
            "mixture_variance": self.mixture_variance,
            "burn_in": self.burn_in,
            "stopped_at": self.stopped_at,
        }


def assign_arm(unit_id: str, arms: Sequence[str], *, salt: str) -> str:
    """The arm a unit (a person, a world) belongs to, the same in every process and version.

    The arm is drawn from the first 8 bytes of a BLAKE2b digest of the length-prefixed
    salt and the unit id, mapped onto the arms by a multiply-shift, so it is uniform over
    the arms to within ``len(arms) / 2**64``. Python's ``hash`` is never used: it is
    randomised per process. Each experiment should have a salt of its own: different
    salts give independent splits, so one experiment's treatment group is not
    another's.

    Parameters
    ----------
    unit_id
        The unit's stable id (non-empty).
    arms
        Distinct, non-empty arm names, e.g. ``("control", "treatment")``.
    salt
        The experiment's salt (non-empty).

    Examples
    --------
    >>> assign_arm("person-1", ["control", "treatment"], salt="feed-v2") in {"control", "treatment"}
    True
    """
    checked = _check_arms(arms)
    _check_salt(salt)
    return checked[_arm_index(unit_id, len(checked), _salt_prefix(salt))]


def assign_arms(unit_ids: Iterable[str], arms: Sequence[str], *, salt: str) -> list[str]:
    """:func:`assign_arm` for many units at once, checking the arms and salt once."""
    checked = _check_arms(arms)
    _check_salt(salt)
    prefix = _salt_prefix(salt)
    return [checked[_arm_index(unit_id, len(checked), prefix)] for unit_id in unit_ids]


def difference_in_means(
    treatment: npt.ArrayLike, control: npt.ArrayLike, *, alpha: float = 0.05
) -> Effect:
    """Welch's t-test and interval for the difference in means of two independent arms.

    Welch (1947) does not assume equal variances: the standard error is
    ``sqrt(s_t²/n_t + s_c²/n_c)`` and the t statistic has Welch-Satterthwaite degrees of
    freedom. The relative effect ``effect / mean_control`` comes with a delta-method
    interval, ``Var(r) ≈ Var(ȳ_t)/ȳ_c² + ȳ_t² Var(ȳ_c)/ȳ_c⁴`` (normal quantiles), as in
    Deng, Knoblich & Lu (2018), "Applying the delta method in metric analytics".

    When both arms are constant the standard error is 0: the interval collapses to the
    effect and the p-value is 0 if the effect is non-zero, else 1.

    Parameters
    ----------
    treatment, control
        One outcome per unit, at least two finite values per arm.
    alpha
        Level of the two-sided interval, in (0, 1).

    Examples
    --------
    >>> e = difference_in_means([3.0, 5.0, 7.0], [1.0, 2.0, 3.0, 4.0, 5.0])
    >>> e.effect, round(e.standard_error**2, 6), round(e.df, 4)
    (2.0, 1.833333, 3.5328)
    """
    alpha = _check_alpha(alpha)
    y_t = _check_outcomes(treatment, "treatment")
    y_c = _check_outcomes(control, "control")
    return _welch(y_t, y_c, alpha=alpha)


def cuped(
    treatment_y: npt.ArrayLike,
    treatment_x: npt.ArrayLike,
    control_y: npt.ArrayLike,
    control_x: npt.ArrayLike,
    *,
    alpha: float = 0.05,
) -> Effect:
    """Difference in means after CUPED's variance reduction (Deng, Xu, Kohavi & Walker 2013).

    A covariate x measured before the experiment (last month's attention of the same
    person, say) is unaffected by the treatment, so subtracting the part of y it
    predicts leaves the expected difference in means unchanged and removes a share
    ``corr(x, y)²`` of the variance:

    ``θ = cov(x, y) / var(x)`` on the pooled arms, ``y_adj = y - θ (x - mean(x))``,

    then :func:`difference_in_means` on ``y_adj``. The reported means are those of
    ``y_adj``, whose control mean estimates the control mean of y, so the relative
    effect keeps its meaning. A constant covariate predicts nothing: θ is then 0.

    Parameters
    ----------
    treatment_y, treatment_x, control_y, control_x
        Outcome and covariate per unit of each arm; x and y of an arm have equal length.
    alpha
        Level of the two-sided interval, in (0, 1).

    Returns
    -------
    Effect
        With ``theta`` and ``variance_reduction = 1 - var(y_adj) / var(y)`` (pooled) set.
    """
    alpha = _check_alpha(alpha)
    y_t = _check_outcomes(treatment_y, "treatment_y")
    x_t = _check_outcomes(treatment_x, "treatment_x")
    y_c = _check_outcomes(control_y, "control_y")
    x_c = _check_outcomes(control_x, "control_x")
    if y_t.size != x_t.size:
        raise InputError(f"treatment has {y_t.size} outcomes but {x_t.size} covariates")
    if y_c.size != x_c.size:
        raise InputError(f"control has {y_c.size} outcomes but {x_c.size} covariates")
    y = np.concatenate([y_t, y_c])
    x = np.concatenate([x_t, x_c])
    x_centred = x - x.mean()
    var_x = float(x_centred @ x_centred)
    theta = float(x_centred @ (y - y.mean()) / var_x) if var_x > 0 else 0.0
    y_adj = y - theta * x_centred
    var_y = float(y.var())
    reduction = 1.0 - float(y_adj.var()) / var_y if var_y > 0 else 0.0
    effect = _welch(y_adj[: y_t.size], y_adj[y_t.size :], alpha=alpha)
    return _with_cuped(effect, theta=theta, variance_reduction=reduction)


def sequential_test(
    treatment: npt.ArrayLike,
    control: npt.ArrayLike,
    *,
    alpha: float = 0.05,
    mixture_variance: float | None = None,
    burn_in: int = SEQUENTIAL_BURN_IN,
    looks: Sequence[int] | None = None,
) -> SequentialResult:
    """Always-valid p-values and confidence sequence: the mSPRT of Johari et al. (2017).

    Observations arrive in pairs, one per arm, in the order given: after ``n`` pairs the
    difference in means ``d_n = ȳ_t - ȳ_c`` is approximately ``N(θ, V/n)`` with
    ``V = sigma_t² + sigma_c²``. Mixing the likelihood ratio of θ against 0 over a normal
    ``θ ~ N(0, τ²)`` gives (Johari, Koomen, Pekelis & Walsh 2017, "Always valid
    inference", eq. 11)::

        Λ_n = sqrt(V / (V + n τ²)) · exp(n² τ² d_n² / (2 V (V + n τ²)))

    a martingale under θ = 0, so by Ville's inequality ``P(sup_n Λ_n ≥ 1/alpha) ≤ alpha``: the
    p-value ``p_n = min(1, min_{m ≤ n} 1/Λ_m)`` may be checked after every pair and the
    experiment stopped the first time ``p_n ≤ alpha`` without inflating false positives.
    Inverting ``Λ_n(θ₀) < 1/alpha`` around each θ₀ gives the interval
    ``d_n ± sqrt(2 V (V + n τ²) / (n² τ²) · (log(1/alpha) + ½ log((V + n τ²) / V)))``;
    the confidence sequence is their running intersection, so 0 leaves it exactly
    when the p-value reaches alpha.

    sigma² is unknown, so V is the plug-in ``s_t² + s_c²`` of the pairs seen so far (as in
    the paper's deployment), which is why evidence is weighed only after ``burn_in``
    pairs: earlier variance estimates are too noisy, and a test that believed them
    would reject too often. Before then, and at looks where the plug-in V is 0 (e.g. a
    rare binary outcome not yet seen), ``Λ = 1``: no evidence.

    Parameters
    ----------
    treatment, control
        The outcomes of each arm in arrival order; equal lengths (pair ``i`` is
        ``treatment[i]`` and ``control[i]``), at least two each, finite.
    alpha
        Level, in (0, 1).
    mixture_variance
        τ² > 0, the spread of effects the test is tuned for: use the squared size of
        effects seen in past experiments when known. None: the plug-in V at the end of
        the burn-in (or at the first later look where it is positive), which tunes the
        test to effects of about one standard deviation of a pair's difference; small
        effects are still detected, later.
    burn_in
        Pairs observed before evidence is weighed, at least 2.
    looks
        Pair counts at which the results are looked at (increasing, within 1..n), for
        analyses per period; None: after every pair. Fewer looks never make the
        p-value smaller.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> result = sequential_test(rng.normal(0.5, 1, 2000), rng.normal(0.0, 1, 2000))
    >>> result.rejected, bool(result.ci_low[-1] > 0)
    (True, True)
    """
    alpha = _check_alpha(alpha)
    y_t = _check_outcomes(treatment, "treatment")
    y_c = _check_outcomes(control, "control")
    if y_t.size != y_c.size:
        raise InputError(
            f"the sequential test takes observations in pairs: treatment has {y_t.size}, "
            f"control {y_c.size}"
        )
    if isinstance(burn_in, bool) or not isinstance(burn_in, int) or burn_in < 2:
        raise InputError(f"burn_in must be an integer of at least 2, not {burn_in!r}")
    at = _check_looks(looks, y_t.size)

    n = np.arange(1, y_t.size + 1, dtype=np.float64)
    effect = np.cumsum(y_t) / n - np.cumsum(y_c) / n
    variance = _running_variance(y_t) + _running_variance(y_c)
    counted = (n >= burn_in) & (variance > 0)
    tau2 = _mixture_variance(mixture_variance, variance, counted)

    log_lr = np.zeros_like(n)
    half_width = np.full_like(n, np.inf)
    if tau2 > 0:
        v = variance[counted]
        k = n[counted]
        spread = v + k * tau2
        log_lr[counted] = 0.5 * np.log(v / spread) + (
            k**2 * tau2 * effect[counted] ** 2 / (2.0 * v * spread)
        )
        half_width[counted] = np.sqrt(
            2.0 * v * spread / (k**2 * tau2) * (math.log(1.0 / alpha) + 0.5 * np.log(spread / v))
        )

    looked = at - 1
    p_value = np.minimum.accumulate(np.minimum(1.0, np.exp(-log_lr[looked])))
    ci_low = np.maximum.accumulate(effect[looked] - half_width[looked])
    ci_high = np.minimum.accumulate(effect[looked] + half_width[looked])
    rejected = np.flatnonzero(p_value <= alpha)
    return SequentialResult(
        n=at,
        effect=effect[looked],
        p_value=p_value,
        ci_low=ci_low,
        ci_high=ci_high,
        alpha=alpha,
        mixture_variance=tau2,
        burn_in=burn_in,
        stopped_at=int(at[rejected[0]]) if rejected.size else None,
    )


def _welch(y_t: Floats, y_c: Floats, *, alpha: float) -> Effect:
    n_t, n_c = y_t.size, y_c.size
    mean_t, mean_c = float(y_t.mean()), float(y_c.mean())
    var_mean_t = float(y_t.var(ddof=1)) / n_t
    var_mean_c = float(y_c.var(ddof=1)) / n_c
    effect = mean_t - mean_c
    se = math.sqrt(var_mean_t + var_mean_c)
    if se > 0:
        df = (var_mean_t + var_mean_c) ** 2 / (
            var_mean_t**2 / (n_t - 1) + var_mean_c**2 / (n_c - 1)
        )
        p_value = float(2.0 * stats.t.sf(abs(effect) / se, df))
        half = float(stats.t.ppf(1.0 - alpha / 2.0, df)) * se
    else:
        df = float(n_t + n_c - 2)
        p_value = 0.0 if effect != 0 else 1.0
        half = 0.0
    relative: float | None = None
    rel_low: float | None = None
    rel_high: float | None = None
    if mean_c != 0:
        relative = effect / mean_c
        rel_se = math.sqrt(var_mean_t / mean_c**2 + mean_t**2 * var_mean_c / mean_c**4)
        rel_half = float(stats.norm.ppf(1.0 - alpha / 2.0)) * rel_se
        rel_low, rel_high = relative - rel_half, relative + rel_half
    return Effect(
        effect=effect,
        ci_low=effect - half,
        ci_high=effect + half,
        p_value=p_value,
        standard_error=se,
        df=float(df),
        alpha=alpha,
        n_treatment=n_t,
        n_control=n_c,
        mean_treatment=mean_t,
        mean_control=mean_c,
        relative_effect=relative,
        relative_ci_low=rel_low,
        relative_ci_high=rel_high,
    )


def _with_cuped(effect: Effect, *, theta: float, variance_reduction: float) -> Effect:
    fields = asdict(effect)
    fields.update(theta=theta, variance_reduction=variance_reduction)
    return Effect(**fields)


def _running_variance(y: Floats) -> Floats:
    """Unbiased sample variance of ``y[:n]`` for every n (0 at n = 1), from running sums."""
    n = np.arange(1, y.size + 1, dtype=np.float64)
    # Any shift leaves the variances unchanged; centring on the mean keeps the running
    # sums small, so subtracting them loses little precision.
    shifted = y - y.mean()
    total = np.cumsum(shifted)
    squares = np.cumsum(shifted**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = (squares - total**2 / n) / (n - 1)
    variance[0] = 0.0
    result: Floats = np.maximum(variance, 0.0)
    return result


def _mixture_variance(
    given: float | None, variance: Floats, counted: npt.NDArray[np.bool_]
) -> float:
    if given is not None:
        if isinstance(given, bool) or not isinstance(given, int | float):
            raise InputError(f"mixture_variance must be a number, not {given!r}")
        if not math.isfinite(given) or given <= 0:
            raise InputError(f"mixture_variance must be finite and positive, not {given!r}")
        return float(given)
    first = np.flatnonzero(counted)
    # No look with a positive variance: τ² = 0 makes Λ ≡ 1, i.e. no evidence anywhere.
    return float(variance[first[0]]) if first.size else 0.0


def _check_alpha(alpha: float) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float):
        raise InputError(f"alpha must be a number in (0, 1), not {alpha!r}")
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be in (0, 1), not {alpha!r}")
    return float(alpha)


def _check_outcomes(values: npt.ArrayLike, name: str) -> Floats:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InputError(f"{name} must be numbers: {error}") from None
    if array.ndim != 1:
        raise InputError(f"{name} must be one-dimensional, not of shape {array.shape}")
    if array.size < 2:
        raise InputError(f"{name} needs at least 2 observations, has {array.size}")
    if not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise InputError(f"{name} has a non-finite value ({array[bad]}) at index {bad}")
    return array


def _check_looks(looks: Sequence[int] | None, n: int) -> Ints:
    if looks is None:
        return np.arange(1, n + 1, dtype=np.int64)
    at = np.asarray(looks)
    if at.ndim != 1 or at.size == 0 or not np.issubdtype(at.dtype, np.integer):
        raise InputError("looks must be a non-empty sequence of pair counts (integers)")
    if (np.diff(at) <= 0).any() or at[0] < 1 or at[-1] > n:
        raise InputError(f"looks must be strictly increasing pair counts within 1..{n}")
    return at.astype(np.int64)


def _check_arms(arms: Sequence[str]) -> tuple[str, ...]:
    if isinstance(arms, str):
        raise InputError("arms must be a sequence of arm names, not one string")
    checked = tuple(arms)
    if not checked:
        raise InputError("arms must name at least one arm")
    if not all(isinstance(arm, str) and arm for arm in checked):
        raise InputError(f"every arm must be a non-empty string: {checked!r}")
    if len(set(checked)) != len(checked):
        raise InputError(f"arms must be distinct: {checked!r}")
    return checked


def _check_salt(salt: str) -> None:
    if not isinstance(salt, str) or not salt:
        raise InputError("salt must be a non-empty string, one per experiment")


def _salt_prefix(salt: str) -> bytes:
    # Length-prefixed so that ("ab", "c") and ("a", "bc") never hash alike.
    encoded = salt.encode("utf-8")
    return len(encoded).to_bytes(4, "big") + encoded


def _arm_index(unit_id: str, n_arms: int, prefix: bytes) -> int:
    if not isinstance(unit_id, str) or not unit_id:
        raise InputError(f"a unit id must be a non-empty string, not {unit_id!r}")
    digest = hashlib.blake2b(prefix + unit_id.encode("utf-8"), digest_size=8).digest()
    return (int.from_bytes(digest, "big") * n_arms) >> 64
