"""rank_trending: windows, smoothed growth and the score, by hand and by property."""

import doctest
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mindshare.attention import _trending, rank_trending, trending_windows
from mindshare.core import InputError

NOW = 10


def four_items() -> tuple[list[int], list[int], list[int]]:
    """Rows (item, day, ms) over a 2-day window ending on day 10 (recent: 9-10, previous: 7-8).

    item 0: recent 300 + 300, previous 200 ......... r 600, p 200
    item 1: recent 400, previous 400 ................ r 400, p 400 (steady)
    item 2: previous 460 ............................ r 0,   p 460 (gone quiet)
    item 3: recent 340, plus a future and an old row  r 340, p 0   (new)
    """
    rows = [
        (0, 9, 300),
        (0, 10, 300),
        (0, 7, 200),
        (1, 8, 400),
        (1, 10, 400),
        (2, 7, 460),
        (3, 10, 340),
        (3, 11, 9_000),  # after now: not counted
        (3, 6, 9_000),  # before the previous window: not counted
    ]
    items, days, amounts = zip(*rows, strict=True)
    return list(items), list(days), list(amounts)


def test_windows_are_back_to_back_and_end_today() -> None:
    assert trending_windows(NOW, 2) == (range(9, 11), range(7, 9))
    assert trending_windows(NOW, 1) == (range(10, 11), range(9, 10))


def test_scores_match_the_hand_computed_values() -> None:
    items, days, amounts = four_items()

    ranked = rank_trending(items, days, amounts, n_items=4, now_day=NOW, window_days=2)

    assert ranked.recent_ms.tolist() == [600, 400, 0, 340]
    assert ranked.previous_ms.tolist() == [200, 400, 460, 0]
    # s = (600 + 400 + 340 + 200 + 400 + 460) / (2 * 4 active items) = 300
    rising = [math.log(900 / 500), 0.0, math.log(300 / 760), math.log(640 / 300)]
    np.testing.assert_allclose(ranked.rising, rising, rtol=1e-12)
    score = [600 * math.sqrt(1.8), 400.0, 0.0, 340 * math.sqrt(640 / 300)]
    np.testing.assert_allclose(ranked.score, score, rtol=1e-12)
    # the new item (340 ms, rising) overtakes the steady one with more attention (400 ms);
    # the item that went quiet is not trending at all
    assert ranked.order.tolist() == [0, 3, 1]


def test_growth_weight_zero_ranks_by_recent_attention_alone() -> None:
    items, days, amounts = four_items()

    ranked = rank_trending(
        items, days, amounts, n_items=4, now_day=NOW, window_days=2, growth_weight=0.0
    )

    assert ranked.order.tolist() == [0, 1, 3]
    np.testing.assert_array_equal(ranked.score, [600.0, 400.0, 0.0, 340.0])


def test_ties_go_to_the_lower_item_code() -> None:
    ranked = rank_trending([2, 0, 1], [5, 5, 5], [70, 70, 70], n_items=3, now_day=5, window_days=1)
    assert ranked.order.tolist() == [0, 1, 2]


def test_no_attention_at_all_ranks_nothing() -> None:
    ranked = rank_trending([], [], [], n_items=3, now_day=5, window_days=7)
    assert ranked.order.tolist() == []
    assert ranked.rising.tolist() == ranked.score.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"window_days": 0}, "window_days must be at least 1"),
        ({"growth_weight": 1.5}, "growth_weight must be between 0 and 1"),
        ({"growth_weight": -0.1}, "growth_weight must be between 0 and 1"),
        ({"item": [0, 3]}, r"item codes must lie in \[0, 3\)"),
        ({"attentive_ms": [5, -1]}, "must not be negative"),
        ({"day": [1]}, "one entry per row"),
    ],
)
def test_bad_input_is_refused(arguments: dict[str, object], message: str) -> None:
    call: dict[str, object] = {
        "item": [0, 1],
        "day": [1, 1],
        "attentive_ms": [5, 6],
        "n_items": 3,
        "now_day": 1,
        "window_days": 1,
    } | arguments
    with pytest.raises(InputError, match=message):
        rank_trending(**call)  # type: ignore[arg-type]


def test_the_module_examples_run() -> None:
    assert doctest.testmod(_trending).failed == 0


N_ITEMS = 6
rows = st.lists(
    st.tuples(st.integers(0, N_ITEMS - 1), st.integers(NOW - 7, NOW + 1), st.integers(0, 10**9)),
    max_size=40,
)
weights = st.floats(0.0, 1.0)


def ranked_rows(
    data: list[tuple[int, int, int]], growth_weight: float, scale: int = 1
) -> _trending.TrendingScores:
    items = [item for item, _, _ in data]
    days = [day for _, day, _ in data]
    amounts = [ms * scale for _, _, ms in data]
    return rank_trending(
        items,
        days,
        amounts,
        n_items=N_ITEMS,
        now_day=NOW,
        window_days=3,
        growth_weight=growth_weight,
    )


@given(rows, weights, st.integers(0, 20))
def test_scaling_all_attention_by_a_power_of_two_leaves_the_order_unchanged(
    data: list[tuple[int, int, int]], growth_weight: float, power: int
) -> None:
    # a power of two scales every intermediate value exactly, so even ties must survive
    before = ranked_rows(data, growth_weight)
    after = ranked_rows(data, growth_weight, scale=2**power)
    assert after.order.tolist() == before.order.tolist()
    np.testing.assert_array_equal(after.rising, before.rising)


@given(rows, weights, st.integers(2, 1000))
def test_scaling_all_attention_keeps_rising_and_scales_scores(
    data: list[tuple[int, int, int]], growth_weight: float, scale: int
) -> None:
    before = ranked_rows(data, growth_weight)
    after = ranked_rows(data, growth_weight, scale=scale)
    np.testing.assert_allclose(after.rising, before.rising, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(after.score, before.score * scale, rtol=1e-9)


@given(rows, weights)
def test_an_item_without_recent_attention_never_outranks_one_with_some(
    data: list[tuple[int, int, int]], growth_weight: float
) -> None:
    ranked = ranked_rows(data, growth_weight)
    quiet = ranked.recent_ms == 0
    assert set(ranked.order.tolist()) == set(np.flatnonzero(~quiet).tolist())
    if quiet.any() and (~quiet).any():
        assert ranked.score[quiet].max() < ranked.score[~quiet].min()
    ordered_scores = ranked.score[ranked.order]
    assert np.all(np.diff(ordered_scores) <= 0)


@given(rows, weights, st.integers(0, N_ITEMS - 1), st.integers(1, 10**9))
def test_more_recent_attention_never_lowers_an_items_score(
    data: list[tuple[int, int, int]], growth_weight: float, item: int, extra_ms: int
) -> None:
    before = ranked_rows(data, growth_weight)
    after = ranked_rows([*data, (item, NOW, extra_ms)], growth_weight)
    assert after.score[item] >= before.score[item] * (1 - 1e-12)
