"""A world's market rules, the ledger codes of market transfers, and how long holds last.

A world sets its market under ``"market"`` in its config::

    {"market": {"currency": "USD", "royalty_bps": 500, "platform_fee_bps": 250}}

Money a buyer commits is first held in the market's escrow by a *pending* ledger
transfer, then posted and paid out (seller, creator royalty, platform fee) when the sale
completes, or voided. A hold's timeout is how long the ledger keeps it if nobody posts or
voids it (after a crash, say): long enough that a sale in progress completes, short
enough that an abandoned hold gives the money back.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from mindshare.core import MS_PER_DAY, ConfigurationError, is_currency_code, world_config_section
from mindshare.market._listings import BASIS_POINTS, Listing

#: How long a buyer's payment for a fixed or Dutch listing may wait to be posted.
PURCHASE_HOLD_MS: Final = 60 * 60 * 1000
#: How long after an auction's latest possible close its bids' holds are kept, for
#: ``close_auctions`` to run.
BID_HOLD_GRACE_MS: Final = 7 * MS_PER_DAY


class MarketTransferCode(IntEnum):
    """Why the market moved money: the ledger's ``code`` of each market transfer (141-149)."""

    DEPOSIT = 141
    PURCHASE_HOLD = 142
    BID_HOLD = 143
    SALE_PROCEEDS = 144
    CREATOR_ROYALTY = 145
    PLATFORM_FEE = 146


@dataclass(frozen=True, slots=True)
class MarketRules:
    """How a world's market trades; a world overrides any of these under ``"market"``.

    Parameters
    ----------
    currency
        The currency every listing, bid and sale is in.
    royalty_bps
        The creator's royalty on every sale, resales included, in basis points.
    platform_fee_bps
        The platform's fee on every sale, in basis points; with the royalty at most 100%.
    listing_days
        How long a fixed or Dutch listing stays open when its seller names no expiry.
    """

    currency: str = "USD"
    royalty_bps: int = 500
    platform_fee_bps: int = 250
    listing_days: int = 30

    def __post_init__(self) -> None:
        if not isinstance(self.currency, str) or not is_currency_code(self.currency):
            raise ConfigurationError(
                f"market.currency must be a currency code (3-12 capitals, e.g. USD), "
                f"got {self.currency!r}"
            )
        for name in ("royalty_bps", "platform_fee_bps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigurationError(
                    f"market.{name} must be a whole number of basis points ≥ 0, got {value!r}"
                )
        if self.royalty_bps + self.platform_fee_bps > BASIS_POINTS:
            raise ConfigurationError(
                f"market.royalty_bps ({self.royalty_bps}) and market.platform_fee_bps "
                f"({self.platform_fee_bps}) take more than the whole price; together they "
                f"must be at most {BASIS_POINTS}"
            )
        days = self.listing_days
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ConfigurationError(
                f"market.listing_days must be a whole number of days ≥ 1, got {days!r}"
            )

    @classmethod
    def from_world_config(cls, config: Mapping[str, Any] | None) -> "MarketRules":
        """The rules a world's config sets under ``"market"``; defaults for keys it omits."""
        section = world_config_section(config, "market", cls)
        return cls() if section is None else cls(**section)


def bid_hold_timeout_ms(listing: Listing) -> int:
    """How long the hold behind a bid on ``listing`` lasts: past its latest possible close.

    Measured from the hold, which is never before the listing opened, so the listing's
    whole life plus ``BID_HOLD_GRACE_MS`` always reaches past its close; and it depends
    on the listing alone, so a retried bid asks for the same hold.
    """
    return listing.expires_ms - listing.created_ms + BID_HOLD_GRACE_MS
