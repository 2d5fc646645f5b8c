"""Budget pacing: shade bids by a multiplier so a day's budget is spread over the day.

The pacer is pure: a ``PacingState`` goes in, a new one comes out. Bids are multiplied
by ``multiplier`` in [``MIN_MULTIPLIER``, 1] (multiplicative pacing, as in Balseiro &
Gur 2019 and Conitzer et al. 2022). ``update_pacing`` compares what was spent since
the last update with what the remaining budget allows for that stretch of the day, and
moves the multiplier down (ahead of target) or up (behind it) by a factor exponential
in the difference, the multiplicative form of Balseiro & Gur's dual update. The target
rate is re-derived from the budget left, so cumulative spend tracks ``budget ×
elapsed fraction`` and catches up after a slow morning.

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
    halving_fraction: float = 0.05,
) -> PacingState:
    """Record the spend since the last update and adjust the multiplier for what follows.

    The period runs from ``state.elapsed_fraction`` to ``elapsed_fraction``. Its target
    spend is the period's share of the rate that would use the budget left at its start
    exactly by the day's end: ``remaining / (1 - start) × (end - start)``. The
    multiplier halves for every ``halving_fraction`` of the budget spent above that
    target, and doubles for every ``halving_fraction`` spent below it, then is clipped
    to [``MIN_MULTIPLIER``, 1].

    Because the adjustment is linear in spend and time, updating once per auction or
    once an hour gives about the same multiplier: call it whenever a charge is recorded,
    on a timer, or both. Ahead of plan, the rate allowed for the rest of the day falls;
    behind it, the rate rises, so cumulative spend tracks ``budget × elapsed_fraction``.

    Parameters
    ----------
    state
        The campaign's pacing state at the start of the period.
    spend_minor
        What the campaign was charged in the period; at most ``state.remaining_minor``
        (cap each charge with ``charge_within_budget``).
    elapsed_fraction
        Fraction of the day past at the end of the period, ≥ ``state.elapsed_fraction``.
    halving_fraction
        Share of the budget, spent ahead of target, that halves the multiplier; > 0.
        Smaller reacts faster and noisier.

    Raises
    ------
    InputError
        When the spend exceeds the remaining budget, time runs backwards or past the
        day's end, or ``halving_fraction`` is not positive.

    Examples
    --------
    >>> state = PacingState(budget_minor=1_000, multiplier=0.8)
    >>> update_pacing(state, spend_minor=300, elapsed_fraction=0.25).multiplier  # 50 ahead
    0.4
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
    if not halving_fraction > 0.0:
        raise InputError(f"halving_fraction is {halving_fraction!r}; it must be > 0")

    multiplier = state.multiplier
    start = state.elapsed_fraction
    if state.budget_minor > 0 and start < 1.0:
        target = state.remaining_minor / (1.0 - start) * (elapsed_fraction - start)
        ahead = (spend_minor - target) / state.budget_minor
        multiplier = multiplier * 2.0 ** (-ahead / halving_fraction)
        multiplier = min(max(multiplier, MIN_MULTIPLIER), 1.0)
    return replace(
        state,
        spent_minor=state.spent_minor + spend_minor,
        multiplier=multiplier,
        elapsed_fraction=elapsed_fraction,
    )
