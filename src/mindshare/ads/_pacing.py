"""Budget pacing: shade bids by a multiplier so a day's budget is spread over the day.

The pacer is pure: a ``PacingState`` goes in, a new one comes out. Bids are multiplied
by ``multiplier`` in [``MIN_MULTIPLIER``, 1] (multiplicative pacing, as in Balseiro &
Gur 2019 and Conitzer et al. 2022). After each period ``update_pacing`` compares the
rate the campaign spent at with the rate that would spend exactly the remaining budget
by the end of the day, and scales the multiplier by their ratio, damped. Spend that ran
ahead of the plan lowers the rate it may spend at afterwards, and spend that fell
behind raises it, so cumulative spend tracks ``budget × elapsed fraction``.

Independently of the multiplier, a charge is never allowed past the budget:
``charge_within_budget`` caps it at what remains, and a campaign with nothing left
does not bid.
"""

import math
from dataclasses import dataclass, replace

from mindshare.core import InputError

#: The lowest multiplier: it keeps a campaign in the market, so it can learn that
#: prices fell, instead of shading its bids to zero for good.
MIN_MULTIPLIER = 0.01


@dataclass(frozen=True, slots=True)
class PacingState:
    """Where one campaign stands in its day: budget, spend, bid multiplier, time elapsed."""

    budget_minor: int
    spent_minor: int = 0
    multiplier: float = 1.0
    #: Fraction of the day already past, in [0, 1].
    elapsed_fraction: float = 0.0

    def __post_init__(self) -> None:
        for name in ("budget_minor", "spent_minor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"{name} is {value!r}; it must be an integer ≥ 0 (minor units)")
        if self.spent_minor > self.budget_minor:
            raise InputError(
                f"spent_minor is {self.spent_minor}, above budget_minor {self.budget_minor}; "
                "spend can never exceed the budget"
            )
        if not 0.0 <= self.multiplier <= 1.0:
            raise InputError(f"multiplier is {self.multiplier!r}; it must be in [0, 1]")
        if not 0.0 <= self.elapsed_fraction <= 1.0:
            raise InputError(f"elapsed_fraction is {self.elapsed_fraction!r}; it must be in [0, 1]")

    @property
    def remaining_minor(self) -> int:
        """Budget still to spend today, in minor units."""
        return self.budget_minor - self.spent_minor

    @property
    def planned_spend_minor(self) -> float:
        """What an evenly spread day would have spent by now: budget × elapsed fraction."""
        return self.budget_minor * self.elapsed_fraction


def pace_bid(state: PacingState, bid: float) -> float:
    """The bid to enter in an auction: ``bid × multiplier``, or 0 once the budget is gone.

    Examples
    --------
    >>> pace_bid(PacingState(budget_minor=1_000, multiplier=0.5), 4.0)
    2.0
    >>> pace_bid(PacingState(budget_minor=1_000, spent_minor=1_000), 4.0)
    0.0
    """
    if not math.isfinite(bid) or bid < 0:
        raise InputError(f"bid is {bid!r}; it must be finite and ≥ 0")
    if state.remaining_minor <= 0:
        return 0.0
    return bid * state.multiplier


def charge_within_budget(state: PacingState, charge_minor: int) -> int:
    """The part of a charge the budget still covers: ``min(charge, remaining)``.

    Examples
    --------
    >>> charge_within_budget(PacingState(budget_minor=100, spent_minor=90), 25)
    10
    """
    if isinstance(charge_minor, bool) or not isinstance(charge_minor, int) or charge_minor < 0:
        raise InputError(f"charge_minor is {charge_minor!r}; it must be an integer ≥ 0")
    return min(charge_minor, state.remaining_minor)


def update_pacing(
    state: PacingState,
    *,
    spend_minor: int,
    elapsed_fraction: float,
    gain: float = 0.5,
    max_step: float = 2.0,
) -> PacingState:
    """Record a period's spend and adjust the multiplier for the next period.

    The period runs from ``state.elapsed_fraction`` to ``elapsed_fraction``. Its spend
    rate is compared with the rate that would use the remaining budget exactly by the
    day's end, ``remaining / (1 - elapsed_fraction)``; the multiplier is scaled by
    their ratio raised to ``gain`` (damping, in (0, 1]), the ratio first clipped to
    [1 / ``max_step``, ``max_step``] so one noisy period cannot swing it far, and the
    result clipped to [``MIN_MULTIPLIER``, 1]. A period that spent nothing raises the
    multiplier by the largest step.

    Parameters
    ----------
    state
        The campaign's pacing state before the period.
    spend_minor
        What the campaign was charged in the period; at most ``state.remaining_minor``
        (charge through ``charge_within_budget``).
    elapsed_fraction
        Fraction of the day past at the end of the period, ≥ ``state.elapsed_fraction``.
    gain
        How much of the correction to apply at once, in (0, 1].
    max_step
        The largest factor by which one period may move the multiplier, > 1.

    Raises
    ------
    InputError
        When the spend exceeds the remaining budget, time runs backwards or past the
        day, or a setting is out of range.
    """
    if isinstance(spend_minor, bool) or not isinstance(spend_minor, int) or spend_minor < 0:
        raise InputError(f"spend_minor is {spend_minor!r}; it must be an integer ≥ 0")
    if spend_minor > state.remaining_minor:
        raise InputError(
            f"spend_minor is {spend_minor}, above the remaining budget of "
            f"{state.remaining_minor}; cap charges with charge_within_budget"
        )
    if not state.elapsed_fraction <= elapsed_fraction <= 1.0:
        raise InputError(
            f"elapsed_fraction is {elapsed_fraction!r}; it must be in "
            f"[{state.elapsed_fraction!r}, 1] (time only moves forward within a day)"
        )
    if not 0.0 < gain <= 1.0:
        raise InputError(f"gain is {gain!r}; it must be in (0, 1]")
    if not max_step > 1.0:
        raise InputError(f"max_step is {max_step!r}; it must be > 1")

    spent = state.spent_minor + spend_minor
    period = elapsed_fraction - state.elapsed_fraction
    multiplier = state.multiplier
    if period > 0.0 and elapsed_fraction < 1.0:
        target_rate = (state.budget_minor - spent) / (1.0 - elapsed_fraction)
        spent_rate = spend_minor / period
        ratio = max_step if spent_rate == 0.0 else target_rate / spent_rate
        ratio = min(max(ratio, 1.0 / max_step), max_step)
        multiplier = min(max(multiplier * ratio**gain, MIN_MULTIPLIER), 1.0)
    return replace(
        state, spent_minor=spent, multiplier=multiplier, elapsed_fraction=elapsed_fraction
    )
