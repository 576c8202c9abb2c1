"""Decimal fields of a text buffer parsed in bulk, each to the value Python's
``float()`` (or ``int()``) gives it, without a Python loop over fields.

A field is read right-aligned in a frame of 8, 16 or 24 bytes straight from the
buffer, and the frame is processed as ``uint64`` lanes of eight bytes, eight
digits at a time (SWAR). Frames holding an optional sign, digits and at most one
point (none for integers), worth less than 10^19 without the point, give the
digits as an integer M and the count f of digits after the point. The value
M / 10^f is then computed exactly:

- M < 2^53 and f <= 22: one float64 division of two exact operands, correctly
  rounded (Clinger's fast path);
- otherwise, where numpy's ``longdouble`` is the x87 80-bit format (64-bit
  significand): one correctly rounded division in that precision, then rounded
  to float64. Rounding twice gives the correctly rounded double unless the
  first result lies exactly midway between two doubles (its low 11 bits are
  ``10000000000``); such fields (one in about two thousand) are left to
  ``float()``. Elsewhere these fields are all left to ``float()``.

Every other field (exponents, ``inf``, ``nan``, underscores, non-ASCII digits,
too many digits, ...) comes back marked as not parsed: the caller converts it
with ``float()``/``int()``, which also decides whether it is an error. Values
parsed here are therefore exactly those of ``float()``/``int()``, bit for bit.
"""

from __future__ import annotations

import sys

import numpy as np
from numpy.typing import NDArray

__all__ = ["FRONT", "parse_floats", "parse_ints"]

FRONT = 24
"""Bytes the buffer must hold before the first field (frames are read from a
field's end backwards)."""

_X87 = bool(
    np.finfo(np.longdouble).nmant == 63
    and np.dtype(np.longdouble).itemsize in (12, 16)
    and sys.byteorder == "little"
)
"""Whether ``longdouble`` is x87 extended precision: every uint64 exact, and the
low 64 bits of a value its significand (with the integer bit)."""

_POW10 = 10.0 ** np.arange(23)
_POW10_LONG = np.cumprod(np.full(24, 10, dtype=np.longdouble)) / np.longdouble(10)
"""10^0 … 10^23 in ``longdouble``, by exact multiplications (5^23 < 2^64)."""
_POW10_INT = np.array([10**e for e in range(20)], dtype=np.uint64)

_ALL = np.uint64(2**64 - 1)
_HIGH = np.uint64(0x8080808080808080)
_ABOVE_NINE = np.uint64(0x7676767676767676)  # a byte above 9 gets its high bit set
_DOT = np.uint64(0xFE)  # "." - "0" as a byte
_LOW_PAIRS = np.uint64(0x000000FF000000FF)
_PAIR_SCALE = np.uint64(100 + (1000000 << 32))
_QUAD_SCALE = np.uint64(1 + (10000 << 32))
_KEEP = np.array([(2**64 - 1) << (8 * o) & (2**64 - 1) for o in range(9)], dtype=np.uint64)
"""_KEEP[o]: the bytes of a lane after its first o (the padding before a field)."""
_FAST_LIMIT = np.uint64(1 << 53)
_MIDPOINT = np.uint32(0x400)
_ROUNDED_BITS = np.uint32(0x7FF)


def _after_point(lane: int, lanes: int) -> np.uint64:
    """Multiplier taking a lane with 1 in the byte of the point (byte i) to
    ``(7 - i + 8 * (lanes - 1 - lane)) << 56``: the digits after the point."""
    later = 8 * (lanes - 1 - lane)
    multiplier: np.uint64 = np.uint64(sum((m + later) << (8 * m) for m in range(8)))
    return multiplier


def _lane_tables(count: int) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """For frames of ``count`` lanes: the bytes of lane j to keep when the field
    starts at column f (``[j, f]``), and the multipliers of :func:`_after_point`."""
    width = 8 * count
    keep = np.array(
        [[_KEEP[min(max(f - 8 * j, 0), 8)] for f in range(width + 1)] for j in range(count)],
        dtype=np.uint64,
    )
    after = np.array([_after_point(j, count) for j in range(count)], dtype=np.uint64)
    return keep, after


_TABLES = {count: _lane_tables(count) for count in (1, 2, 3)}


def _lanes(
    buf: NDArray[np.uint8], ends: NDArray[np.intp], lengths: NDArray[np.intp], point: bool
) -> tuple[NDArray[np.uint64], NDArray[np.intp], NDArray[np.bool_], NDArray[np.bool_]]:
    """M (the digits as an integer), f (digits after the point), the negative
    fields and the well-formed ones: an optional sign, digits, at most one point
    (if ``point``), M < 10^19, and the field no longer than 24 bytes."""
    k = ends.shape[0]
    count = min(3, max(1, -(-int(lengths.max()) // 8)))
    width = 8 * count
    window = np.ndarray((buf.shape[0] - width + 1,), dtype=f"V{width}", buffer=buf, strides=(1,))
    frame: NDArray[np.uint8] = window[ends - width].view(np.uint8).reshape(k, width)
    first = width - np.minimum(lengths, width)  # the column of the field's first byte
    flat = frame.reshape(-1)
    lead_at = np.arange(k, dtype=np.intp) * width + first
    lead = flat[lead_at]
    negative = lead == 45
    signed = negative | (lead == 43)
    flat[lead_at[signed]] = 48  # a sign reads as a 0 digit
    if point:
        dots = np.ascontiguousarray((frame == 46).view(np.uint8).view("<u8").T, dtype=np.uint64)
    frame -= np.uint8(48)
    digits = np.ascontiguousarray(frame.view("<u8").T, dtype=np.uint64)  # (lanes, k)
    keep_table, after_point = _TABLES[count]
    value = np.zeros(k, dtype=np.uint64)
    after = np.zeros(k, dtype=np.uint64)
    points = np.zeros(k, dtype=np.uint8)
    invalid = np.zeros(k, dtype=bool)
    t = np.empty(k, dtype=np.uint64)
    for j in range(count):
        x = digits[j]
        keep = keep_table[j][first]  # the padding bytes before the field are dropped
        x &= keep
        if point:
            d = dots[j]
            d &= keep
            points += np.bitwise_count(d)
            np.multiply(d, after_point[j], out=t)
            t >>= np.uint64(56)
            after += t
            d *= _DOT
            x ^= d  # the point reads as a 0 digit
        np.add(x, _ABOVE_NINE, out=t)
        t |= x
        t &= _HIGH
        invalid |= t != 0
        # eight digits, first in the lowest byte, into their value (Lemire)
        np.right_shift(x, np.uint64(8), out=t)
        x *= np.uint64(10)
        x += t
        np.right_shift(x, np.uint64(16), out=t)
        t &= _LOW_PAIRS
        t *= _QUAD_SCALE
        x &= _LOW_PAIRS
        x *= _PAIR_SCALE
        x += t
        x >>= np.uint64(32)
        if j == 0 and count == 3:
            invalid |= x >= np.uint64(1000)  # 10^19 or more: beyond uint64
        value *= np.uint64(10**8)
        value += x
    ok = ~invalid & (lengths - signed - points >= 1) & (points <= 1) & (lengths <= width)
    dotted = np.flatnonzero(points)
    if dotted.shape[0]:  # the point was read as a 0 digit: take it out
        scale = _POW10_INT[np.minimum(after[dotted], 18).astype(np.intp)]
        high, low = np.divmod(value[dotted], scale * np.uint64(10))
        value[dotted] = high * scale + low
    return value, after.astype(np.intp), negative, ok


def parse_floats(
    buf: NDArray[np.uint8], ends: NDArray[np.intp], lengths: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """The fields ``buf[ends - lengths : ends]`` (lengths >= 1, ends >= FRONT) as
    float64, and which of them were parsed (the others hold garbage: convert
    them with ``float()``). A parsed value equals ``float(field)`` bit for bit."""
    k = ends.shape[0]
    if k == 0:
        return np.zeros(0, dtype=np.float64), np.zeros(0, dtype=bool)
    value, after, negative, ok = _lanes(buf, ends, lengths, point=True)
    out = value.astype(np.float64)
    out /= _POW10[np.minimum(after, 22)]
    rest = np.flatnonzero(ok & ((value >= _FAST_LIMIT) | (after > 22)))
    if rest.shape[0]:
        if _X87:
            exact = value[rest].astype(np.longdouble) / _POW10_LONG[after[rest]]
            out[rest] = exact.astype(np.float64)
            significand = exact.view(np.uint32).reshape(rest.shape[0], -1)[:, 0]  # its low bits
            ok[rest[(significand & _ROUNDED_BITS) == _MIDPOINT]] = False  # float() decides
        else:
            ok[rest] = False
    np.negative(out, out=out, where=negative)
    return out, ok


def parse_ints(
    buf: NDArray[np.uint8], ends: NDArray[np.intp], lengths: NDArray[np.intp]
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """The fields ``buf[ends - lengths : ends]`` as int64 where they are an
    optional sign and digits worth less than 2^63, and which were parsed
    (convert the others with ``int()``). A parsed value equals ``int(field)``."""
    k = ends.shape[0]
    if k == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    value, _, negative, ok = _lanes(buf, ends, lengths, point=False)
    ok &= value < np.uint64(2**63)
    out = value.astype(np.int64)
    np.negative(out, out=out, where=negative)
    return out, ok
