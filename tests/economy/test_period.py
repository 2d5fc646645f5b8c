"""Settlement periods: whole UTC days, first and last included."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mindshare.core import InputError
from mindshare.economy import Period, parse_period


def test_a_period_reads_first_and_last_day_inclusive() -> None:
    period = parse_period("2024-05-01..2024-05-07")
    assert period.days == 7
    assert period.label == "2024-05-01..2024-05-07"
    assert period.first_day == 19_844  # days from 1970-01-01 to 2024-05-01


def test_a_single_day_is_a_period_of_one_day() -> None:
    period = parse_period("2024-05-01")
    assert (period.first_day, period.last_day, period.days) == (19_844, 19_844, 1)


@pytest.mark.parametrize("text", ["May", "2024-05-01..", "2024-13-01..2024-13-02", ""])
def test_an_unreadable_period_names_the_format(text: str) -> None:
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        parse_period(text)


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InputError, match="ends before it starts"):
        parse_period("2024-05-07..2024-05-01")


@given(st.integers(0, 40_000), st.integers(0, 60), st.integers(0, 40_000), st.integers(0, 60))
def test_periods_overlap_exactly_when_they_share_a_day(
    a: int, a_len: int, b: int, b_len: int
) -> None:
    first, second = Period(a, a + a_len), Period(b, b + b_len)
    shared = set(range(a, a + a_len + 1)) & set(range(b, b + b_len + 1))
    assert first.overlaps(second) == second.overlaps(first) == bool(shared)
    assert parse_period(first.label) == first
