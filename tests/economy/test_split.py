"""split_pro_rata: hand-worked splits, Hamilton's properties, and refusals."""

from fractions import Fraction
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mindshare.core import InputError
from mindshare.economy import floor_share, split_pro_rata

# --- Worked by hand -----------------------------------------------------------------------


def test_100_split_three_ways_gives_the_leftover_unit_to_the_first() -> None:
    # Quotas 33⅓ each; one unit is left over and the remainders tie: index 0 wins.
    assert split_pro_rata(100, [1, 1, 1]) == [34, 33, 33]


def test_leftover_units_go_to_the_largest_remainders() -> None:
    # 10 by 5:3:2 divides exactly. 7 by 5:3:2 has quotas 3.5, 2.1, 1.4: the floors
    # 3, 2, 1 leave one unit, which goes to the largest remainder (0.5).
    assert split_pro_rata(10, [5, 3, 2]) == [5, 3, 2]
    assert split_pro_rata(7, [5, 3, 2]) == [4, 2, 1]


def test_two_leftover_units_go_to_the_two_largest_remainders() -> None:
    # 10 by 1:1:1:1 → quotas 2.5 each; two units left, ties go by index.
    assert split_pro_rata(10, [1, 1, 1, 1]) == [3, 3, 2, 2]


def test_tie_break_keys_decide_equal_remainders() -> None:
    assert split_pro_rata(100, [1, 1, 1], tie_break=["c", "b", "a"]) == [33, 33, 34]


def test_a_zero_weight_gets_nothing_and_a_zero_total_gives_zeros() -> None:
    assert split_pro_rata(5, [0, 1, 0]) == [0, 5, 0]
    assert split_pro_rata(0, [3, 1]) == [0, 0]


def test_amounts_beyond_float_precision_split_exactly() -> None:
    total = 10**30 + 1
    assert split_pro_rata(total, [1, 1]) == [5 * 10**29 + 1, 5 * 10**29]


# --- Properties -----------------------------------------------------------------------------

totals = st.integers(min_value=0, max_value=10**12)
weight_lists = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30).filter(
    lambda weights: sum(weights) > 0
)


@given(totals, weight_lists)
def test_shares_add_up_to_the_total(total: int, weights: list[int]) -> None:
    assert sum(split_pro_rata(total, weights)) == total


@given(totals, weight_lists)
def test_each_share_is_within_one_unit_of_its_exact_quota(total: int, weights: list[int]) -> None:
    shares = split_pro_rata(total, weights)
    for share, weight in zip(shares, weights, strict=True):
        quota = Fraction(total * weight, sum(weights))
        assert abs(share - quota) < 1
        assert share >= 0


@given(totals, weight_lists)
def test_a_larger_weight_never_gets_a_smaller_share(total: int, weights: list[int]) -> None:
    shares = split_pro_rata(total, weights)
    for i in range(len(weights)):
        for j in range(len(weights)):
            if weights[i] > weights[j]:
                assert shares[i] >= shares[j]


@given(totals, weight_lists, st.randoms(use_true_random=False))
def test_with_tie_break_keys_the_order_of_recipients_does_not_matter(
    total: int, weights: list[int], random: Random
) -> None:
    keys = [f"r{i:02d}" for i in range(len(weights))]
    order = list(range(len(weights)))
    random.shuffle(order)
    shares = dict(zip(keys, split_pro_rata(total, weights, tie_break=keys), strict=True))
    shuffled = split_pro_rata(
        total, [weights[i] for i in order], tie_break=[keys[i] for i in order]
    )
    assert dict(zip([keys[i] for i in order], shuffled, strict=True)) == shares


# --- Refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights", "message"),
    [
        (10, [0, 0], "cannot split 10 pro rata among 2 weights that sum to 0"),
        (10, [], "cannot split 10 pro rata among 0 weights that sum to 0"),
        (10, [1, -1], r"weights\[1\] is -1; it must be ≥ 0"),
        (-1, [1], "total is -1; it must be ≥ 0"),
        (10, [1.5], r"weights\[0\] is 1.5; it must be a whole number"),
        (10.0, [1], "total is 10.0; it must be a whole number"),
    ],
)
def test_bad_splits_are_refused_with_the_reason(
    total: int, weights: list[int], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        split_pro_rata(total, weights)


def test_tie_break_needs_one_key_per_weight() -> None:
    with pytest.raises(InputError, match="tie_break has 1 keys for 2 weights"):
        split_pro_rata(10, [1, 1], tie_break=["a"])


# --- floor_share -----------------------------------------------------------------------------


def test_floor_share_reads_a_float_as_the_decimal_it_prints_as() -> None:
    assert floor_share(1_000, 0.1) == 100  # not 99, as 1000 * 0.1 in binary might suggest
    assert floor_share(999, 0.5) == 499
    assert floor_share(7, Fraction(2, 3)) == 4


def test_floor_share_refuses_fractions_outside_zero_to_one() -> None:
    with pytest.raises(InputError, match="must lie in"):
        floor_share(100, 1.5)
