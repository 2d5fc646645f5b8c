"""Splitting whole minor units pro rata, exactly: the largest-remainder (Hamilton) method.

Every amount the economy divides (a creator pool, a reward pool) is split here, so
that shares always add up to the amount, to the last minor unit, with no floats.
"""

import math
from collections.abc import Sequence
from fractions import Fraction

from mindshare.core import InputError


def split_pro_rata(
    total: int, weights: Sequence[int], *, tie_break: Sequence[str] | None = None
) -> list[int]:
    """Split ``total`` minor units in proportion to ``weights``; the shares sum to ``total``.

    Each share starts at the floor of its exact quota ``total × w / W``; the minor units
    left over (fewer than there are weights) go one each to the largest remainders.
    Equal remainders go first to the smaller ``tie_break`` key, then the earlier index,
    so the split never depends on anything but its input (Hamilton's method, as used
    to apportion seats; Balinski & Young 1982).

    Parameters
    ----------
    total
        Whole minor units to split, ≥ 0.
    weights
        One whole number ≥ 0 per recipient, not all 0.
    tie_break
        Optional key per recipient (an id, say): makes the split independent of the
        order recipients are listed in.

    Examples
    --------
    >>> split_pro_rata(100, [1, 1, 1])
    [34, 33, 33]
    >>> split_pro_rata(100, [1, 1, 1], tie_break=["c", "b", "a"])
    [33, 33, 34]
    """
    _check_whole("total", total)
    for i, weight in enumerate(weights):
        _check_whole(f"weights[{i}]", weight)
    if tie_break is not None and len(tie_break) != len(weights):
        raise InputError(
            f"tie_break has {len(tie_break)} keys for {len(weights)} weights; give one per weight"
        )
    weight_total = sum(weights)
    if weight_total == 0:
        raise InputError(
            f"cannot split {total} pro rata among {len(weights)} weights that sum to 0"
        )
    shares = [total * weight // weight_total for weight in weights]
    remainders = [total * weight % weight_total for weight in weights]
    leftover = total - sum(shares)
    keys = tie_break if tie_break is not None else [""] * len(weights)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], keys[i], i))
    for i in order[:leftover]:
        shares[i] += 1
    return shares


def floor_share(amount: int, fraction: float | Fraction) -> int:
    """The whole minor units of ``amount`` that ``fraction`` of it comes to, rounded down.

    A float is taken at the decimal value it prints as (0.1 is one tenth, not
    0.1000000000000000055…), so ``floor_share(1000, 0.1)`` is 100, not 99.

    Examples
    --------
    >>> floor_share(1_000, 0.1), floor_share(999, 0.5), floor_share(7, Fraction(2, 3))
    (100, 499, 4)
    """
    _check_whole("amount", amount)
    exact = fraction if isinstance(fraction, Fraction) else exact_fraction(fraction)
    if not 0 <= exact <= 1:
        raise InputError(f"fraction is {fraction!r}; it must lie in [0, 1]")
    return math.floor(amount * exact)


def exact_fraction(value: float) -> Fraction:
    """A config number as the exact decimal it is written as: ``0.29`` is 29/100."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{value!r} is not a finite number")
    return Fraction(repr(float(value)))


def _check_whole(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name} is {value!r}; it must be a whole number (minor units, ms)")
    if value < 0:
        raise InputError(f"{name} is {value}; it must be ≥ 0")
