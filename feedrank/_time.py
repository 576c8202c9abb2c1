"""Exact conversion between aware datetimes and int64 microseconds since the epoch.

Every time feedrank stores is a datetime can hold: from 0001-01-01 to
9999-12-31T23:59:59.999999 (UTC), :data:`MIN_MICROS` to :data:`MAX_MICROS`.
Messages print times with :func:`iso`:

>>> iso(1_767_268_800_000_000), iso(1)
('2026-01-01T12:00:00Z', '1970-01-01T00:00:00.000001Z')
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from feedrank.errors import InputError

__all__ = ["EPOCH", "MAX_MICROS", "MIN_MICROS", "TIME_RANGE", "from_micros", "iso", "to_micros"]

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICRO = timedelta(microseconds=1)
MICROS_PER_HOUR = 3_600_000_000
MIN_MICROS = (datetime.min.replace(tzinfo=timezone.utc) - EPOCH) // _MICRO
"""The earliest time a datetime can hold (0001-01-01, UTC), in µs since the epoch."""
MAX_MICROS = (datetime.max.replace(tzinfo=timezone.utc) - EPOCH) // _MICRO
"""The latest time a datetime can hold (9999-12-31T23:59:59.999999, UTC)."""
TIME_RANGE = "a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z"
"""What a time out of range was expected to be, for error messages."""


def to_micros(moment: datetime, *, field: str = "now") -> int:
    """Microseconds since 1970-01-01 UTC; ``moment`` must carry a timezone and lie
    within the range a UTC datetime can hold."""
    if not isinstance(moment, datetime):
        raise InputError(
            f"got {type(moment).__name__}", field=field, expected="a timezone-aware datetime"
        )
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(
            f"datetime {moment.isoformat()} has no timezone",
            field=field,
            expected="a timezone-aware datetime such as 2026-01-01T00:00:00Z",
        )
    micros = (moment - EPOCH) // _MICRO
    if not MIN_MICROS <= micros <= MAX_MICROS:
        raise InputError(
            f"datetime {moment.isoformat()} is out of range", field=field, expected=TIME_RANGE
        )
    return micros


def from_micros(micros: int) -> datetime:
    """The UTC datetime ``micros`` microseconds after the epoch (InputError if no
    datetime can hold it)."""
    value = int(micros)
    if not MIN_MICROS <= value <= MAX_MICROS:
        raise InputError(
            f"{value} µs since the epoch is out of range", field="time", expected=TIME_RANGE
        )
    return EPOCH + timedelta(microseconds=value)


def iso(micros: int) -> str:
    """``micros`` as ISO 8601 in UTC, the way error messages print a time
    (microseconds shown when there are some); a time no datetime can hold is
    printed as its number of microseconds."""
    value = int(micros)
    if not MIN_MICROS <= value <= MAX_MICROS:
        return f"{value} µs since the epoch"
    return from_micros(value).isoformat().replace("+00:00", "Z")
