"""Exact conversion between aware datetimes and int64 microseconds since the epoch."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from feedrank.errors import InputError

__all__ = ["EPOCH", "from_micros", "to_micros"]

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICRO = timedelta(microseconds=1)
MICROS_PER_HOUR = 3_600_000_000


def to_micros(moment: datetime, *, field: str = "now") -> int:
    """Microseconds since 1970-01-01 UTC; ``moment`` must carry a timezone."""
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
    return (moment - EPOCH) // _MICRO


def from_micros(micros: int) -> datetime:
    """The UTC datetime ``micros`` microseconds after the epoch."""
    return EPOCH + timedelta(microseconds=int(micros))
