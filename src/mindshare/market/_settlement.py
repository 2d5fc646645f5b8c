"""How a sale's price is split between the seller, the item's creator and the platform.

The split is exact integer arithmetic in minor units: the creator royalty and the platform
fee are each ``price × rate / 10 000`` rounded down, and the seller gets the remainder, so
the three parts always add up to the price and rounding never creates or destroys money
(the seller keeps the fractions).

The creator royalty applies to every sale, resales included: that is how creators keep
earning from the attention their work goes on drawing. On a primary sale, where the
seller *is* the creator, the royalty is not waived: the creator receives it as well as
the seller's share (together, the price less the platform fee). The split depends only on
the price and the rates, never on who the parties are, so every sale posts the same three
ledger lines and an audit can read the royalty off any sale.
"""

from dataclasses import dataclass

from mindshare.market._listings import BASIS_POINTS, MarketError


class InvalidSplit(MarketError):
    """A price or rate that cannot be split: negative, not whole, or rates above 100%."""


@dataclass(frozen=True, slots=True)
class SaleSplit:
    """Who gets what of one sale's price, in minor units; the three add up to the price."""

    seller_minor: int
    creator_royalty_minor: int
    platform_fee_minor: int

    @property
    def price_minor(self) -> int:
        """The whole price: the sum of the three shares."""
        return self.seller_minor + self.creator_royalty_minor + self.platform_fee_minor


def split_sale(price_minor: int, *, royalty_bps: int, platform_fee_bps: int) -> SaleSplit:
    """Split ``price_minor`` into seller's share, creator royalty and platform fee.

    Royalty and fee are rounded down from their basis points (1 bp = 0.01%); the seller
    gets the rest. Royalty and fee together may not exceed 100% of the price.

    Examples
    --------
    >>> split_sale(999, royalty_bps=500, platform_fee_bps=250)
    SaleSplit(seller_minor=926, creator_royalty_minor=49, platform_fee_minor=24)
    """
    for name, value in (
        ("price_minor", price_minor),
        ("royalty_bps", royalty_bps),
        ("platform_fee_bps", platform_fee_bps),
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidSplit(f"{name} is {value!r}; it must be an integer")
        if value < 0:
            raise InvalidSplit(f"{name} is {value}; it must be at least 0")
    if royalty_bps + platform_fee_bps > BASIS_POINTS:
        raise InvalidSplit(
            f"royalty_bps {royalty_bps} + platform_fee_bps {platform_fee_bps} exceed "
            f"{BASIS_POINTS} (100%); the seller's share would be negative"
        )
    royalty = price_minor * royalty_bps // BASIS_POINTS
    fee = price_minor * platform_fee_bps // BASIS_POINTS
    return SaleSplit(
        seller_minor=price_minor - royalty - fee,
        creator_royalty_minor=royalty,
        platform_fee_minor=fee,
    )
