"""split_sale: exact integer shares that always add up to the price."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mindshare.market import InvalidSplit, SaleSplit, split_sale


def test_royalty_and_fee_round_down_and_the_seller_keeps_the_fractions() -> None:
    # 5% of 999 = 49.95 → 49; 2.5% of 999 = 24.975 → 24; seller 999 - 49 - 24 = 926.
    split = split_sale(999, royalty_bps=500, platform_fee_bps=250)

    assert split == SaleSplit(seller_minor=926, creator_royalty_minor=49, platform_fee_minor=24)
    assert split.price_minor == 999


def test_a_primary_sale_still_pays_the_royalty_line() -> None:
    # The creator selling their own item receives seller share + royalty = price - fee;
    # the split itself never looks at who the parties are.
    split = split_sale(10_000, royalty_bps=1_000, platform_fee_bps=500)

    assert split.creator_royalty_minor == 1_000
    assert split.seller_minor + split.creator_royalty_minor == 10_000 - 500


def test_zero_rates_give_the_seller_everything_and_a_zero_price_splits_to_zeros() -> None:
    assert split_sale(1_234, royalty_bps=0, platform_fee_bps=0) == SaleSplit(1_234, 0, 0)
    assert split_sale(0, royalty_bps=500, platform_fee_bps=250) == SaleSplit(0, 0, 0)


def test_rates_of_exactly_one_hundred_percent_leave_the_seller_nothing() -> None:
    split = split_sale(101, royalty_bps=6_000, platform_fee_bps=4_000)

    assert split == SaleSplit(seller_minor=1, creator_royalty_minor=60, platform_fee_minor=40)


@pytest.mark.parametrize(
    ("price", "royalty", "fee", "rule"),
    [
        (-1, 0, 0, "price_minor is -1; it must be at least 0"),
        (100, -5, 0, "royalty_bps is -5"),
        (100, 6_000, 4_001, "exceed 10000 \\(100%\\)"),
        (10.5, 0, 0, "price_minor is 10.5; it must be an integer"),
        (True, 0, 0, "price_minor is True; it must be an integer"),
    ],
)
def test_bad_prices_and_rates_are_refused_naming_the_rule(
    price: int, royalty: int, fee: int, rule: str
) -> None:
    with pytest.raises(InvalidSplit, match=rule):
        split_sale(price, royalty_bps=royalty, platform_fee_bps=fee)


@given(
    price=st.integers(0, 10**15),
    royalty=st.integers(0, 10_000),
    fee=st.integers(0, 10_000),
)
def test_shares_are_never_negative_and_sum_exactly_to_the_price(
    price: int, royalty: int, fee: int
) -> None:
    if royalty + fee > 10_000:
        fee = 10_000 - royalty

    split = split_sale(price, royalty_bps=royalty, platform_fee_bps=fee)

    assert split.seller_minor + split.creator_royalty_minor + split.platform_fee_minor == price
    assert min(split.seller_minor, split.creator_royalty_minor, split.platform_fee_minor) >= 0
    assert split.creator_royalty_minor == price * royalty // 10_000
    assert split.platform_fee_minor == price * fee // 10_000
