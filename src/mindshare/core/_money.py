"""Money is an integer count of minor units of one currency, never a float."""

import re
from dataclasses import dataclass

_CURRENCY = re.compile(r"^[A-Z][A-Z0-9]{2,11}$")


def is_currency_code(code: str) -> bool:
    """ISO 4217 codes (``USD``) and a world's own virtual currencies (``GEMS``)."""
    return bool(_CURRENCY.match(code))


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (cents for USD) of a currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(f"money is an integer count of minor units, not {self.minor!r}")
        if not is_currency_code(self.currency):
            raise ValueError(f"{self.currency!r} is not a currency code (3-12 capitals, e.g. USD)")
