"""attentive_ms and observed_daily_budget: hand-computed cases and properties."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mindshare.attention import AttentionRules, attentive_ms, observed_daily_budget

RULES = AttentionRules()
NAN = math.nan


def measure(views: list[tuple[int, int, int, float]], rules: AttentionRules = RULES) -> list[int]:
    """attentive_ms of (user, start_ms, dwell_ms, visible_fraction) rows, as a list."""
    user, start, dwell, fraction = zip(*views, strict=True)
    counted = attentive_ms(
        np.array(user), np.array(start), np.array(dwell), np.array(fraction, float), rules
    )
    return [int(share) for share in counted]


def test_a_view_less_than_half_visible_counts_nothing() -> None:
    assert measure([(1, 0, 10_000, 0.4)]) == [0]


def test_a_view_exactly_half_visible_for_exactly_one_second_counts() -> None:
    assert measure([(1, 0, 1_000, 0.5)]) == [1_000]


def test_a_view_shorter_than_one_second_counts_nothing() -> None:
    assert measure([(1, 0, 900, 1.0), (2, 0, 999, 1.0)]) == [0, 0]


def test_a_view_of_unknown_visibility_counts_nothing() -> None:
    assert measure([(1, 0, 10_000, NAN)]) == [0]


def test_a_twenty_minute_view_is_capped_at_ten_minutes() -> None:
    assert measure([(1, 0, 20 * 60_000, 1.0)]) == [600_000]


def test_two_overlapping_views_share_the_overlap_equally() -> None:
    # [0, 10 s) and [5 s, 15 s): 5 s alone + 5 s shared / 2 each.
    assert measure([(1, 0, 10_000, 1.0), (1, 5_000, 10_000, 1.0)]) == [7_500, 7_500]


def test_shares_are_rounded_down_so_the_total_stays_within_wall_clock_time() -> None:
    # Three views of the same second: 333.3 ms each, 999 ms in all.
    assert measure([(1, 0, 1_000, 1.0)] * 3) == [333, 333, 333]
    # Two views of the same 1001 ms: 500.5 ms each.
    assert measure([(1, 0, 1_001, 1.0)] * 2) == [500, 500]


def test_a_view_inside_another_shares_only_its_own_time() -> None:
    # [0, 10 s) around [2 s, 6 s): the inner view gets half of 4 s, the outer the rest.
    assert measure([(1, 0, 10_000, 1.0), (1, 2_000, 4_000, 1.0)]) == [8_000, 2_000]


def test_views_that_only_touch_do_not_overlap() -> None:
    assert measure([(1, 0, 1_000, 1.0), (1, 1_000, 1_000, 1.0)]) == [1_000, 1_000]


def test_views_of_different_people_never_merge() -> None:
    assert measure([(1, 0, 10_000, 1.0), (2, 0, 10_000, 1.0)]) == [10_000, 10_000]


def test_a_view_that_does_not_count_takes_no_share_of_one_that_does() -> None:
    assert measure([(1, 0, 10_000, 1.0), (1, 0, 10_000, 0.2), (1, 0, 10_000, NAN)]) == [
        10_000,
        0,
        0,
    ]


def test_the_cap_applies_before_overlapping_views_are_merged() -> None:
    # The 20-minute view ends at 10 min once capped, before the view at 11 min begins.
    assert measure([(1, 0, 20 * 60_000, 1.0), (1, 11 * 60_000, 60_000, 1.0)]) == [
        600_000,
        60_000,
    ]


def test_custom_rules_change_the_thresholds_and_the_cap() -> None:
    rules = AttentionRules(min_visible_fraction=1.0, min_view_ms=2_000, max_view_ms=5_000)

    counted = measure(
        [(1, 0, 3_000, 0.99), (2, 0, 1_500, 1.0), (3, 0, 8_000, 1.0), (4, 0, 2_000, 1.0)],
        rules,
    )

    assert counted == [0, 0, 5_000, 2_000]


def test_the_result_follows_input_order_whatever_that_order_is() -> None:
    views = [(2, 5_000, 10_000, 1.0), (1, 2_000, 4_000, 1.0), (1, 0, 10_000, 1.0)]

    assert measure(views) == [10_000, 2_000, 8_000]


def test_people_codes_too_far_apart_to_pack_give_the_same_result() -> None:
    far_apart = [(0, 0, 10_000, 1.0), (2**62, 0, 10_000, 1.0), (2**62, 5_000, 10_000, 1.0)]

    assert measure(far_apart) == [10_000, 7_500, 7_500]


def test_no_views_give_an_empty_result() -> None:
    empty = np.array([], dtype=np.int64)

    result = attentive_ms(empty, empty, empty, np.array([], dtype=float), RULES)

    assert result.dtype == np.int64
    assert result.shape == (0,)


def test_inputs_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="length"):
        attentive_ms([1, 2], [0], [1_000], [1.0], RULES)


def union_length(intervals: list[tuple[int, int]]) -> int:
    """Length of the union of half-open intervals, merged the plain way."""
    total, reach = 0, None
    for start, end in sorted(intervals):
        if reach is None or start >= reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


view_rows = st.lists(
    st.tuples(
        st.integers(0, 3),  # person
        st.integers(-5_000, 40_000),  # start
        st.integers(0, 25_000),  # dwell
        st.one_of(st.just(NAN), st.floats(0.0, 1.0)),  # visible fraction
    ),
    max_size=40,
)
small_rules = st.builds(
    AttentionRules,
    min_visible_fraction=st.floats(0.0, 1.0),
    min_view_ms=st.integers(0, 2_000),
    max_view_ms=st.integers(2_000, 20_000),
)


@settings(max_examples=300, deadline=None)
@given(views=view_rows, rules=small_rules)
def test_nobody_gives_more_attention_than_wall_clock_time(
    views: list[tuple[int, int, int, float]], rules: AttentionRules
) -> None:
    counted = measure(views, rules) if views else []

    for person in {user for user, *_ in views}:
        intervals, shares = [], []
        for (user, start, dwell, fraction), share in zip(views, counted, strict=True):
            if user != person:
                continue
            capped = min(dwell, rules.max_view_ms)
            if fraction >= rules.min_visible_fraction and dwell >= rules.min_view_ms:
                intervals.append((start, start + capped))
                shares.append(share)
                assert 0 <= share <= capped
            else:
                assert share == 0
        union = union_length(intervals)
        assert union - len(shares) <= sum(shares) <= union


@settings(max_examples=100, deadline=None)
@given(views=view_rows.filter(bool))
def test_a_persons_shares_do_not_depend_on_other_people(
    views: list[tuple[int, int, int, float]],
) -> None:
    counted = measure(views)
    person = views[0][0]
    own = [index for index, view in enumerate(views) if view[0] == person]

    assert measure([views[index] for index in own]) == [counted[index] for index in own]


def test_a_budget_is_the_interpolated_quantile_of_the_daily_totals() -> None:
    days = np.arange(10)
    totals = (days + 1) * 100  # 100 … 1000

    budgets = observed_daily_budget(np.zeros(10, np.int64), days, totals, quantile=0.9)

    # rank 0.9 * 9 = 8.1: 900 + 0.1 * (1000 - 900)
    assert budgets.as_dict() == {0: 910}
    assert budgets.active_days.tolist() == [10]


def test_views_of_one_day_are_summed_and_days_without_attention_are_not_active() -> None:
    user = [1, 1, 1, 2, 1]
    day = [0, 0, 1, 0, 2]
    counted = [300, 200, 100, 70, 0]

    budgets = observed_daily_budget(user, day, counted, quantile=1.0)

    assert budgets.user.tolist() == [1, 2]
    assert budgets.budget_ms.tolist() == [500, 70]
    assert budgets.active_days.tolist() == [2, 1]


@settings(max_examples=100, deadline=None)
@given(
    totals=st.lists(st.integers(1, 10**9), min_size=1, max_size=30),
    quantile=st.floats(0.0, 1.0),
)
def test_a_budget_matches_numpy_quantile_rounded_down(totals: list[int], quantile: float) -> None:
    budgets = observed_daily_budget(
        np.zeros(len(totals), np.int64), np.arange(len(totals)), totals, quantile=quantile
    )

    expected = math.floor(np.quantile(np.array(totals, dtype=float), quantile))
    assert (
        abs(budgets.budget_ms[0] - expected) <= 1
    )  # the formulas may round to either side of a whole ms


@pytest.mark.parametrize("quantile", [-0.1, 1.5])
def test_a_quantile_outside_zero_to_one_is_refused(quantile: float) -> None:
    with pytest.raises(ValueError, match="quantile"):
        observed_daily_budget([1], [0], [100], quantile=quantile)


_intervals = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 60_000), st.integers(1, 30_000)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(views=_intervals, others=st.integers(0, 2_000), seed=st.integers(0, 2**32 - 1))
def test_a_views_share_among_the_views_that_overlap_it_is_its_share_among_all(
    views: list[tuple[int, int, int]], others: int, seed: int
) -> None:
    # Other people's views before these shift every prefix sum, as in a full refresh.
    chance = np.random.default_rng(seed)
    user = np.array([user for user, _, _ in views] + [9] * others)
    start = np.array([start for _, start, _ in views] + chance.integers(0, 10**6, others).tolist())
    dwell = np.array([dwell for _, _, dwell in views] + chance.integers(1, 9_999, others).tolist())
    fraction = np.ones(len(user))
    everything = attentive_ms(user, start, dwell, fraction, RULES)
    end = start + np.minimum(dwell, RULES.max_view_ms)

    for view in range(len(views)):
        near = (user == user[view]) & (start < end[view]) & (end > start[view])
        alone = attentive_ms(user[near], start[near], dwell[near], fraction[near], RULES)
        assert alone[np.flatnonzero(np.flatnonzero(near) == view)[0]] == everything[view]
