"""Array primitives over concatenated segments (one segment = one request).

Rows of many requests are stored one request after another; ``offsets`` of shape
(S + 1,) holds where each segment starts (``offsets[0] == 0``, ``offsets[-1] == n``).
Everything here is a handful of numpy calls whatever the number of segments: no
Python loop per segment or per row.

>>> offsets = np.array([0, 3, 5])
>>> scores = np.array([1.0, 3.0, 2.0, 5.0, 5.0])
>>> created = np.array([0, 0, 0, 7, 9])
>>> ids = np.array(["a", "b", "c", "d", "e"])
>>> segmented_order(offsets, np.zeros(5, np.int64), scores, created, ids.__getitem__).tolist()
[1, 2, 0, 4, 3]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import BatchError

__all__ = [
    "check_offsets",
    "group_codes",
    "rank_within_groups",
    "segment_of_rows",
    "segmented_flag_rank",
    "segmented_group_rank",
    "segmented_order",
    "string_hash",
    "top_rows",
]

IdsAt = Callable[[NDArray[np.intp]], NDArray[Any]]
"""Returns the post ids of the given rows (called only for rows in exact ties)."""

_PAD_LIMIT = 4
"""Segments are sorted as one padded (S, max length) matrix when it holds at most
this many cells per row; otherwise with a global lexsort."""


def check_offsets(values: Any, n: int) -> NDArray[np.intp]:
    """Validated segment offsets: (S + 1,) integers from 0 to ``n``, non-decreasing."""
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] < 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise BatchError(
            f"has shape {arr.shape} and dtype {arr.dtype}",
            field="offsets",
            expected="a one-dimensional integer array [0, ..., n]",
        )
    out = arr.astype(np.intp)
    if int(out[0]) != 0 or int(out[-1]) != n or (np.diff(out) < 0).any():
        raise BatchError(
            "offsets do not run from 0 to the number of rows without decreasing",
            field="offsets",
            expected=f"non-decreasing integers from 0 to {n}",
        )
    return out


def segment_of_rows(offsets: NDArray[np.intp]) -> NDArray[np.intp]:
    """ndarray (n,), intp: the segment of every row."""
    lengths = np.diff(offsets)
    return np.repeat(np.arange(lengths.shape[0], dtype=np.intp), lengths)


def _padded(offsets: NDArray[np.intp]) -> tuple[int, NDArray[np.intp]] | None:
    """(max length, local position of each row) if a padded matrix is small enough."""
    n = int(offsets[-1])
    lengths = np.diff(offsets)
    width = int(lengths.max()) if lengths.shape[0] else 0
    if width == 0 or lengths.shape[0] * width > _PAD_LIMIT * n + 1024:
        return None
    local = np.arange(n, dtype=np.intp) - np.repeat(offsets[:-1], lengths)
    return width, local


def segmented_order(
    offsets: NDArray[np.intp],
    tier: NDArray[np.int64],
    scores: NDArray[np.float64],
    created_at: NDArray[np.int64],
    ids_at: IdsAt,
) -> NDArray[np.intp]:
    """Rows of every segment in the documented total order, segment after segment:
    tier ascending, score descending, created_at descending, post id ascending.

    ``ids_at(rows)`` gives the ids of ``rows``; it is called only for rows whose
    tier, score and created_at are all equal to a neighbour's (exact ties), so
    strings are compared only where they decide. Returns ndarray (n,), intp.
    """
    n = scores.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    segments = offsets.shape[0] - 1
    tiered = bool(tier.any())
    neg = -scores
    order: NDArray[np.intp]
    if segments == 1 and not tiered:
        order = np.argsort(neg).astype(np.intp, copy=False)
    else:
        padded = None if tiered else _padded(offsets)
        if padded is not None:
            width, local = padded
            seg = segment_of_rows(offsets)
            grid = np.full((segments, width), np.inf)
            grid[seg, local] = neg
            sorted_local = np.argsort(grid, axis=1)
            valid = np.arange(width) < np.diff(offsets)[:, None]
            order = (sorted_local + offsets[:-1, None])[valid].astype(np.intp, copy=False)
        else:
            keys: tuple[NDArray[Any], ...] = (neg, tier)
            if segments > 1:
                keys = (*keys, segment_of_rows(offsets))
            order = np.lexsort(keys).astype(np.intp, copy=False)
    return _break_ties(order, offsets, tier, scores, created_at, ids_at, tiered)


def top_rows(
    scores: NDArray[np.float64],
    created_at: NDArray[np.int64],
    ids_at: IdsAt,
    k: int,
    rows: NDArray[np.intp] | None = None,
) -> NDArray[np.intp]:
    """The first ``k`` of ``rows`` (default: every row) in the documented order
    (score descending, created_at descending, id ascending) of one segment
    without tiers, by partial selection: only the rows that can make the first
    ``k`` are sorted. Returns ndarray (min(k, len(rows)),), intp.

    >>> top_rows(np.array([1.0, 3.0, 2.0, 3.0]), np.array([0, 0, 0, 5]),
    ...          np.array(["a", "b", "c", "d"]).__getitem__, 2).tolist()
    [3, 1]
    """
    size = scores.shape[0] if rows is None else rows.shape[0]
    if k <= 0 or size == 0:
        return np.zeros(0, dtype=np.intp)
    neg = -scores if rows is None else -scores[rows]
    if size > k:
        # Every row scoring at least the k-th best score (ties included) may be in.
        keep = np.flatnonzero(neg <= np.partition(neg, k - 1)[k - 1])
        pool = keep.astype(np.intp) if rows is None else rows[keep]
        neg = neg[keep]
    else:
        pool = np.arange(size, dtype=np.intp) if rows is None else rows
    offsets = np.array([0, pool.shape[0]], dtype=np.intp)
    local = segmented_order(
        offsets,
        np.zeros(pool.shape[0], dtype=np.int64),
        -neg,
        created_at[pool],
        lambda r: ids_at(pool[r]),
    )
    out: NDArray[np.intp] = pool[local[:k]]
    return out


def _break_ties(
    order: NDArray[np.intp],
    offsets: NDArray[np.intp],
    tier: NDArray[np.int64],
    scores: NDArray[np.float64],
    created_at: NDArray[np.int64],
    ids_at: IdsAt,
    tiered: bool,
) -> NDArray[np.intp]:
    """Sort every run of rows with equal (segment, tier, score) by created_at
    descending, then id ascending."""
    s = scores[order]
    eq = s[1:] == s[:-1]
    if not eq.any():
        return order
    if offsets.shape[0] > 2:
        inner = np.ones(order.shape[0] - 1, dtype=bool)
        cuts = offsets[1:-1]
        inner[cuts[(cuts > 0) & (cuts < order.shape[0])] - 1] = False  # segment boundaries
        eq &= inner
    if tiered:
        t = tier[order]
        eq &= t[1:] == t[:-1]
    if not eq.any():
        return order
    in_run = np.zeros(order.shape[0], dtype=bool)
    in_run[:-1] |= eq
    in_run[1:] |= eq
    pos = np.flatnonzero(in_run)
    starts = np.ones(pos.shape[0], dtype=bool)
    starts[1:] = ~eq[pos[1:] - 1]
    run = np.cumsum(starts)
    rows = order[pos]
    sub = np.lexsort((rows, ids_at(rows), -created_at[rows], run))
    order = order.copy()
    order[pos] = rows[sub]
    return order


_HASH_ROWS = 1 << 14
"""Rows hashed at a time by :func:`string_hash`."""


def string_hash(values: NDArray[Any]) -> NDArray[np.uint64]:
    """ndarray (n,), uint64: a hash of every string of a unicode array that does not
    depend on the array's width (trailing padding adds nothing). Equal strings
    have equal hashes; callers check equality of strings that share a hash."""
    n = values.shape[0]
    out = np.zeros(n, dtype=np.uint64)
    width = values.dtype.itemsize // 4
    if n == 0 or width == 0:
        return out
    chars = np.ascontiguousarray(values).view(np.uint32).reshape(n, width)
    powers = np.empty(width, dtype=np.uint64)
    power = 0xBF58476D1CE4E5B9
    for j in range(width):
        powers[j] = power
        power = (power * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    # Σ code point × power (mod 2**64) as a matrix product, block by block of rows
    # so each block's characters are read once, from cache.
    for start in range(0, n, _HASH_ROWS):
        block = chars[start : start + _HASH_ROWS]
        out[start : start + block.shape[0]] = block.astype(np.uint64) @ powers
    out ^= out >> np.uint64(31)
    out *= np.uint64(0x94D049BB133111EB)
    out ^= out >> np.uint64(29)
    return out


def group_codes(values: NDArray[Any]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Dense codes of equal strings: (codes (n,), intp; one row of each code).

    Small arrays use ``np.unique``; large ones hash the strings, group the hashes
    and then check that every string equals its group's first string (falling
    back to ``np.unique`` on a hash collision), so codes are exact either way.
    """
    n = values.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    if n <= 4096 or values.dtype.kind != "U":
        _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        return inverse.astype(np.intp).reshape(-1), first.astype(np.intp)
    longest = int(np.strings.str_len(values).max())
    if 0 < longest < values.dtype.itemsize // 4:
        values = values.astype(f"U{longest}")  # drop padding every string shares
    h = string_hash(values)
    by = np.argsort(h).astype(np.intp)
    sorted_h = h[by]
    new = np.ones(n, dtype=bool)
    new[1:] = sorted_h[1:] != sorted_h[:-1]
    codes = np.empty(n, dtype=np.intp)
    codes[by] = np.cumsum(new) - 1
    first = by[new]
    # Equal hashes must be equal strings: every row against its group's first row,
    # read in row order from the (smaller) table of distinct strings.
    if first.shape[0] < n and not np.array_equal(values, values[first][codes]):
        _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        return inverse.astype(np.intp).reshape(-1), first.astype(np.intp)
    return codes, first


def rank_within_groups(groups: NDArray[np.intp], order: NDArray[np.intp]) -> NDArray[np.int64]:
    """0-based rank of every row among the rows of its group, following ``order``
    (one segment): one stable sort of the group codes in that order.

    >>> rank_within_groups(np.array([0, 1, 0, 0]), np.array([3, 2, 1, 0])).tolist()
    [2, 0, 1, 0]
    """
    n = groups.shape[0]
    out = np.empty(n, dtype=np.int64)
    if n == 0:
        return out
    g = groups[order]
    by = np.argsort(g, kind="stable")
    sorted_g = g[by]
    start = np.empty(n, dtype=bool)
    start[0] = True
    np.not_equal(sorted_g[1:], sorted_g[:-1], out=start[1:])
    idx = np.arange(n, dtype=np.int64)
    first = np.maximum.accumulate(np.where(start, idx, 0))
    out[order[by]] = idx - first
    return out


def segmented_flag_rank(
    offsets: NDArray[np.intp], flag: NDArray[np.bool_], order: NDArray[np.intp]
) -> NDArray[np.int64]:
    """:func:`segmented_group_rank` for two groups (``flag`` true or false), by
    running counts: 0-based rank of every row among the rows of its segment with
    the same flag, following ``order``.

    >>> segmented_flag_rank(np.array([0, 3, 5]), np.array([1, 1, 0, 1, 1], bool),
    ...                     np.array([2, 1, 0, 4, 3])).tolist()
    [1, 0, 0, 1, 0]
    """
    n = flag.shape[0]
    out = np.empty(n, dtype=np.int64)
    if n == 0:
        return out
    f = flag[order]
    ones = np.cumsum(f, dtype=np.int64)
    zeros = np.arange(1, n + 1, dtype=np.int64) - ones
    if offsets.shape[0] > 2:
        starts = offsets[:-1]
        before = np.where(starts > 0, ones[np.maximum(starts - 1, 0)], 0)
        lengths = np.diff(offsets)
        ones -= np.repeat(before, lengths)
        zeros -= np.repeat(starts - before, lengths)
    out[order] = np.where(f, ones, zeros) - 1
    return out


def segmented_group_rank(
    offsets: NDArray[np.intp],
    groups: NDArray[np.intp],
    order: NDArray[np.intp],
) -> NDArray[np.int64]:
    """0-based rank of every row among the rows of its segment with the same group
    code, following ``order`` (segment-major, as :func:`segmented_order` gives).

    >>> segmented_group_rank(np.array([0, 3, 5]), np.array([4, 4, 9, 4, 4]),
    ...                      np.array([2, 1, 0, 4, 3])).tolist()
    [1, 0, 0, 1, 0]
    """
    n = groups.shape[0]
    if offsets.shape[0] == 2:
        return rank_within_groups(groups, order)
    out = np.zeros(n, dtype=np.int64)
    if n == 0:
        return out
    g = groups[order].astype(np.int64)
    padded = _padded(offsets)
    if padded is not None:
        width, local = padded
        segments = offsets.shape[0] - 1
        seg = segment_of_rows(offsets)
        # Dense codes per segment first, so the stable sort works on small keys.
        grid = np.full((segments, width), np.iinfo(np.int64).max, dtype=np.int64)
        grid[seg, local] = g
        by = np.argsort(grid, axis=1)
        sorted_g = np.take_along_axis(grid, by, axis=1)
        new = np.ones_like(sorted_g, dtype=bool)
        new[:, 1:] = sorted_g[:, 1:] != sorted_g[:, :-1]
        dense = np.cumsum(new, axis=1) - 1
        codes = np.empty_like(dense)
        np.put_along_axis(codes, by, dense, axis=1)
        small = np.int16 if width < 2**15 else np.int64
        grid_codes = codes.astype(small)
        by2 = np.argsort(grid_codes, axis=1, kind="stable")
        sorted_codes = np.take_along_axis(grid_codes, by2, axis=1)
        start = np.ones_like(sorted_codes, dtype=bool)
        start[:, 1:] = sorted_codes[:, 1:] != sorted_codes[:, :-1]
        idx = np.broadcast_to(np.arange(width), start.shape)
        first = np.maximum.accumulate(np.where(start, idx, 0), axis=1)
        rank = np.empty((segments, width), dtype=np.int64)
        np.put_along_axis(rank, by2, idx - first, axis=1)
        out[order] = rank[seg, local]
        return out
    seg = segment_of_rows(offsets)
    by_flat = np.lexsort((np.arange(n), g, seg))
    sg, ss = g[by_flat], seg[by_flat]
    start_flat = np.ones(n, dtype=bool)
    start_flat[1:] = (sg[1:] != sg[:-1]) | (ss[1:] != ss[:-1])
    first_flat = np.maximum.accumulate(np.where(start_flat, np.arange(n), 0))
    ranks = np.empty(n, dtype=np.int64)
    ranks[by_flat] = np.arange(n) - first_flat
    out[order] = ranks
    return out
