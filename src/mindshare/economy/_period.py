"""A settlement period: whole UTC days from a first to a last, both included."""

from dataclasses import dataclass
from datetime import date

from mindshare.core import InputError, date_of_day, day_number


@dataclass(frozen=True, slots=True)
class Period:
    """Days ``first_day`` to ``last_day`` inclusive, as UTC day numbers (see ``day_of``)."""

    first_day: int
    last_day: int

    @property
    def label(self) -> str:
        """``YYYY-MM-DD..YYYY-MM-DD``, the form ``parse_period`` reads; part of transfer ids."""
        return f"{self.first_date.isoformat()}..{self.last_date.isoformat()}"

    @property
    def first_date(self) -> date:
        return date_of_day(self.first_day)

    @property
    def last_date(self) -> date:
        return date_of_day(self.last_day)

    @property
    def days(self) -> int:
        return self.last_day - self.first_day + 1

    def overlaps(self, other: "Period") -> bool:
        """Whether the two periods share a day."""
        return self.first_day <= other.last_day and other.first_day <= self.last_day


def parse_period(text: str) -> Period:
    """Read ``YYYY-MM-DD..YYYY-MM-DD`` (or one day, ``YYYY-MM-DD``); the first not after the last.

    Examples
    --------
    >>> parse_period("2024-05-01..2024-05-07").days
    7
    """
    first, separator, last = text.strip().partition("..")
    if not separator:
        last = first
    try:
        first_date, last_date = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        raise InputError(
            f"period {text!r} is not YYYY-MM-DD..YYYY-MM-DD (first and last day, inclusive)"
        ) from None
    if last_date < first_date:
        raise InputError(f"period {text!r} ends before it starts")
    return Period(day_number(first_date), day_number(last_date))
