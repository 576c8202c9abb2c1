"""Keyset pagination cursors.

A ranking is totally ordered by the key (tier ascending, score descending,
created_at descending, post id ascending). A cursor records the key of the last
post served, the ``now`` the feed was ranked at and the spec fingerprint; the
next page holds the posts whose key comes strictly after it. Ranked again with
the same ``now``, the next page never repeats or skips a post. ``now`` and
``created_at`` are times a datetime can hold and ``tier`` fits int64: a cursor
holding anything else was not issued by feedrank and is refused.

>>> c = Cursor(fingerprint="ab" * 32, now=5, tier=0, score=1.5, created_at=3, post_id="p")
>>> Cursor.decode(c.encode()) == c
True
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import operator
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from feedrank._time import MAX_MICROS, MIN_MICROS, TIME_RANGE, from_micros, iso
from feedrank.errors import CursorError
from feedrank.io.decoding import decode_json

__all__ = ["MAX_CURSOR_CHARS", "Cursor"]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


MAX_CURSOR_CHARS = 4096
"""The longest cursor accepted: a cursor holds a fingerprint, five numbers and a
post id (at most 512 characters), base64-encoded."""


@dataclass(frozen=True)
class Cursor:
    """Where the previous page ended. ``encode()`` gives an opaque URL-safe string."""

    fingerprint: str
    now: int
    tier: int
    score: float
    created_at: int
    post_id: str

    def __post_init__(self) -> None:
        """Refuse integers no ranking can hold (CursorError, not an overflow later)."""
        for name, low, high, expected in (
            ("now", MIN_MICROS, MAX_MICROS, TIME_RANGE),
            ("created_at", MIN_MICROS, MAX_MICROS, TIME_RANGE),
            ("tier", _INT64_MIN, _INT64_MAX, f"an integer from {_INT64_MIN} to {_INT64_MAX}"),
        ):
            value = getattr(self, name)
            try:
                number = operator.index(value)
            except TypeError:
                number = None
            if isinstance(value, bool) or number is None or not low <= number <= high:
                raise CursorError(
                    f"malformed cursor: its {name} is {value!r}, out of range",
                    field="cursor",
                    expected=f"a cursor returned by a previous page ({name}: {expected})",
                )

    @property
    def now_datetime(self) -> datetime:
        """The ``now`` the feed was ranked at, as a UTC datetime."""
        return from_micros(self.now)

    def encode(self) -> str:
        """URL-safe base64 of a small JSON document (exact float via hex)."""
        payload = [
            1,
            self.fingerprint,
            self.now,
            self.tier,
            float(self.score).hex(),
            self.created_at,
            self.post_id,
        ]
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Parse a cursor string; raises CursorError if it is malformed (a cursor
        holds one flat list and is at most ``MAX_CURSOR_CHARS`` characters)."""
        if not isinstance(text, str) or len(text) > MAX_CURSOR_CHARS:
            raise CursorError(
                "malformed cursor",
                field="cursor",
                expected=f"a cursor returned by a previous page (at most {MAX_CURSOR_CHARS} "
                "characters)",
            )
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            decoded = decode_json(raw, source="cursor", error=CursorError, max_depth=1)
            v, fp, now, tier, score, created, post_id = decoded
            ok = (
                v == 1
                and isinstance(fp, str)
                and all(type(x) is int for x in (now, tier, created))
                and isinstance(post_id, str)
            )
            if not ok:
                raise ValueError
            value = float.fromhex(score)
            if not math.isfinite(value):
                raise ValueError
        except (CursorError, ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise CursorError(
                "malformed cursor", field="cursor", expected="a cursor returned by a previous page"
            ) from None
        return cls(fp, now, tier, value, created, post_id)

    def check(self, fingerprint: str, now: int) -> None:
        """Raise CursorError unless the cursor belongs to this spec and ``now``."""
        if fingerprint != self.fingerprint:
            raise CursorError(
                "cursor was issued by another ranking spec",
                field="cursor",
                expected=f"a cursor of spec {fingerprint[:16]}...",
            )
        if now != self.now:
            raise CursorError(
                f"cursor was issued for a feed ranked at another 'now' (this feed: {iso(now)})",
                field="cursor",
                expected=f"now = {iso(self.now)}, as on the first page",
            )

    def after(
        self,
        tier: NDArray[np.int64],
        scores: NDArray[np.float64],
        created_at: NDArray[np.int64],
        ids: NDArray[np.str_],
    ) -> NDArray[np.bool_]:
        """ndarray (n,), bool: rows whose key comes strictly after the cursor."""
        same_tier = tier == self.tier
        same_score = same_tier & (scores == self.score)
        same_time = same_score & (created_at == self.created_at)
        after: NDArray[np.bool_] = (
            (tier > self.tier)
            | (same_tier & (scores < self.score))
            | (same_score & (created_at < self.created_at))
            | (same_time & (ids > self.post_id))
        )
        return after
