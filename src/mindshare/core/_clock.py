"""Time as Mindshare stores it: integer milliseconds since the Unix epoch, UTC."""

from datetime import UTC, date, datetime, timedelta

MS_PER_SECOND = 1_000
MS_PER_MINUTE = 60_000
MS_PER_DAY = 86_400_000


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC). Only edges call this; pure code takes ``now``."""
    return datetime.now(UTC)


def to_epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of a timezone-aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a naive datetime has no defined instant; give it a timezone")
    return (moment - _EPOCH) // _ONE_MS


def from_epoch_ms(epoch_ms: int) -> datetime:
    """The UTC datetime of an epoch-milliseconds count."""
    return _EPOCH + epoch_ms * _ONE_MS


def day_of(epoch_ms: int) -> int:
    """The UTC day number (days since 1970-01-01) an epoch-milliseconds instant falls in."""
    return epoch_ms // MS_PER_DAY


def date_of_day(day: int) -> date:
    """The calendar date of a UTC day number."""
    return _EPOCH_DATE + timedelta(days=day)


def day_number(day: date) -> int:
    """The UTC day number of a calendar date (its inverse: ``date_of_day``)."""
    return (day - _EPOCH_DATE).days


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DATE = _EPOCH.date()
_ONE_MS = datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=UTC) - _EPOCH
