"""Pacing: bid shading, the hard budget cap, the multiplier's updates, a simulated day."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mindshare.ads import (
    MIN_MULTIPLIER,
    PacingState,
    charge_minor,
    charge_within_budget,
    pace_bid,
    run_auction,
    update_pacing,
)
from mindshare.core import InputError

# --- Shading and the cap -----------------------------------------------------------------


def test_bids_are_shaded_by_the_multiplier() -> None:
    assert pace_bid(PacingState(budget_minor=1_000, multiplier=0.25), 4.0) == 1.0


def test_a_campaign_with_no_budget_left_does_not_bid() -> None:
    assert pace_bid(PacingState(budget_minor=1_000, spent_minor=1_000), 4.0) == 0.0
    assert pace_bid(PacingState(budget_minor=0), 4.0) == 0.0


def test_a_charge_is_capped_at_the_remaining_budget() -> None:
    state = PacingState(budget_minor=100, spent_minor=90)

    assert charge_within_budget(state, 5) == 5
    assert charge_within_budget(state, 10) == 10
    assert charge_within_budget(state, 25) == 10
    assert charge_within_budget(PacingState(budget_minor=0), 25) == 0


# --- Updates -----------------------------------------------------------------------------


def test_spending_on_plan_keeps_the_multiplier() -> None:
    # Half the day, half the budget: the rate spent (1000 a day) is the rate the rest
    # needs (500 left over half a day).
    state = PacingState(budget_minor=1_000, multiplier=0.6)

    after = update_pacing(state, spend_minor=500, elapsed_fraction=0.5)

    assert (after.spent_minor, after.elapsed_fraction) == (500, 0.5)
    assert after.multiplier == pytest.approx(0.6)


def test_spending_ahead_of_plan_lowers_the_multiplier() -> None:
    # The first quarter's target is 250; 400 is 150 ahead, 0.15 of the budget: three
    # halvings of 0.05 each, so the multiplier falls to 1/8.
    after = update_pacing(PacingState(budget_minor=1_000), spend_minor=400, elapsed_fraction=0.25)

    assert after.spent_minor == 400
    assert after.multiplier == pytest.approx(0.125)
    assert after.planned_spend_minor == 250.0


def test_spending_behind_plan_raises_the_multiplier_up_to_one() -> None:
    # Nothing in [0, 0.05] against a target of 50: 0.05 behind, one doubling, 0.25 to
    # 0.5. Nothing again in [0.05, 0.15] against 1000 / 0.95 × 0.1 ≈ 105: two more
    # doublings and a bit, clipped to 1.
    state = PacingState(budget_minor=1_000, multiplier=0.25)

    after = update_pacing(state, spend_minor=0, elapsed_fraction=0.05)
    again = update_pacing(after, spend_minor=0, elapsed_fraction=0.15)

    assert after.multiplier == pytest.approx(0.5)
    assert again.multiplier == 1.0


def test_after_a_slow_morning_the_target_rate_rises_to_catch_up() -> None:
    # Half the day gone and nothing spent: the rest of the day may spend 1000 / 0.5 =
    # 2000 a day. 100 in the next tenth is on the day's plain rate but 100 behind this
    # target (200): the multiplier doubles twice.
    state = PacingState(budget_minor=1_000, multiplier=0.2, elapsed_fraction=0.5)

    after = update_pacing(state, spend_minor=100, elapsed_fraction=0.6)

    assert after.multiplier == pytest.approx(0.8)


def test_the_multiplier_never_falls_below_the_floor() -> None:
    state = PacingState(budget_minor=1_000, multiplier=MIN_MULTIPLIER)

    after = update_pacing(state, spend_minor=900, elapsed_fraction=0.01)

    assert after.multiplier == MIN_MULTIPLIER


def test_a_charge_recorded_without_time_passing_counts_fully_ahead() -> None:
    # No time, no target: 10 of 1000 is 0.01 ahead, a fifth of a halving.
    state = PacingState(budget_minor=1_000, multiplier=0.7, elapsed_fraction=0.3)

    after = update_pacing(state, spend_minor=10, elapsed_fraction=0.3)

    assert after.spent_minor == 10
    assert after.multiplier == pytest.approx(0.7 * 2**-0.2)


@pytest.mark.parametrize(
    ("spend", "elapsed", "settings_", "message"),
    [
        (101, 0.5, {}, r"spend_minor is 101, above the remaining budget of 100"),
        (-1, 0.5, {}, r"spend_minor is -1"),
        (1.5, 0.5, {}, r"spend_minor is 1\.5; it must be an integer"),
        (10, 0.1, {}, r"elapsed_fraction is 0\.1; it must be in \[0\.2, 1\]"),
        (10, 1.5, {}, r"elapsed_fraction is 1\.5"),
        (10, 0.5, {"halving_fraction": 0.0}, r"halving_fraction is 0\.0; it must be > 0"),
    ],
)
def test_bad_updates_are_refused_naming_the_field(
    spend: int, elapsed: float, settings_: dict[str, float], message: str
) -> None:
    state = PacingState(budget_minor=1_000, spent_minor=900, elapsed_fraction=0.2)

    with pytest.raises(InputError, match=message):
        update_pacing(state, spend_minor=spend, elapsed_fraction=elapsed, **settings_)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"budget_minor": -1}, r"budget_minor is -1"),
        ({"budget_minor": 10, "spent_minor": 11}, r"spent_minor is 11, above budget_minor 10"),
        ({"budget_minor": 10, "multiplier": 1.5}, r"multiplier is 1\.5"),
        ({"budget_minor": 10, "elapsed_fraction": -0.1}, r"elapsed_fraction is -0\.1"),
    ],
)
def test_bad_pacing_states_are_refused_naming_the_field(
    fields: dict[str, float], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        PacingState(**fields)  # type: ignore[arg-type]


# --- A simulated day ---------------------------------------------------------------------

AUCTIONS_PER_DAY = 4_000
ATTENTIVE_MS_PER_WIN = 2_000


def simulate_day(budget_minor: int, *, pacing: str, seed: int = 0) -> list[int]:
    """Cumulative spend after each auction of a day spent against one rival.

    The rival bids uniformly on [0, 10] per second; the campaign values a second at 10
    and bids that, shaded unless ``pacing`` is ``"off"``. Both have quality 1; one slot
    of weight 1 is sold by GSP, and the winner is charged for 2 measured attentive
    seconds. The pacer is updated after every charge (``"on_charge"``) or every 40
    auctions (``"periodic"``).
    """
    rival_bids = np.random.default_rng(seed).uniform(0.0, 10.0, AUCTIONS_PER_DAY)
    state = PacingState(budget_minor=budget_minor)  # as of the last update
    pending = 0  # charged since the last update
    cumulative = []
    for t, rival in enumerate(rival_bids.tolist()):
        now = replace(state, spent_minor=state.spent_minor + pending)
        bid = (
            pace_bid(now, 10.0) if pacing != "off" else pace_bid(replace(now, multiplier=1.0), 10.0)
        )
        result = run_auction([bid, rival], [1.0, 1.0], [1.0])
        if result.winners[0] == 0:
            pending += charge_within_budget(
                now, charge_minor(float(result.prices[0]), ATTENTIVE_MS_PER_WIN)
            )
        elapsed = (t + 1) / AUCTIONS_PER_DAY
        if (pacing == "on_charge" and pending) or (pacing == "periodic" and (t + 1) % 40 == 0):
            state = update_pacing(state, spend_minor=pending, elapsed_fraction=elapsed)
            pending = 0
        cumulative.append(state.spent_minor + pending)
    return cumulative


def test_without_pacing_the_budget_is_gone_early() -> None:
    # A value of 10 wins every auction and pays the rival's bid, 5 a second on average,
    # 10 an auction: a budget of 10_000 lasts about a quarter of the day.
    spend = simulate_day(10_000, pacing="off")

    assert max(spend) == 10_000
    assert spend[AUCTIONS_PER_DAY // 3] == 10_000


@pytest.mark.parametrize("pacing", ["periodic", "on_charge"])
def test_pacing_spreads_the_budget_over_the_day_and_never_exceeds_it(pacing: str) -> None:
    # Paced at multiplier m, the campaign wins with probability m and pays 5 m a second,
    # 10 m² an auction: m = 0.5 spends the budget evenly.
    budget = 10_000

    spend = simulate_day(budget, pacing=pacing)

    assert max(spend) <= budget
    midday = spend[AUCTIONS_PER_DAY // 2]
    assert 0.45 * budget <= midday <= 0.55 * budget
    for quarter in (1, 3):
        at = spend[quarter * AUCTIONS_PER_DAY // 4 - 1]
        assert abs(at - quarter * budget / 4) <= 0.05 * budget, (quarter, at)
    assert spend[-1] >= 0.95 * budget


@settings(max_examples=100, deadline=None)
@given(
    budget=st.integers(0, 10_000),
    periods=st.lists(
        st.tuples(st.lists(st.integers(0, 5_000), max_size=5), st.floats(0.0, 0.2)),
        max_size=12,
    ),
)
def test_spend_through_the_pacer_never_exceeds_the_budget(
    budget: int, periods: list[tuple[list[int], float]]
) -> None:
    state = PacingState(budget_minor=budget)
    for charges, step in periods:
        spend = 0
        for charge in charges:
            spend += charge_within_budget(
                replace(state, spent_minor=state.spent_minor + spend), charge
            )
        elapsed = min(1.0, state.elapsed_fraction + step)

        state = update_pacing(state, spend_minor=spend, elapsed_fraction=elapsed)

        assert 0 <= state.spent_minor <= budget
        assert MIN_MULTIPLIER <= state.multiplier <= 1.0
        assert pace_bid(state, 1.0) == (0.0 if state.remaining_minor == 0 else state.multiplier)
