"""The ranked order of a run: queries by id, each query best score first, equal
scores by a tie rule. This is the ranking every metric evaluates; it is computed
for all queries at once (one batched sort, no loop over queries).

>>> import numpy as np
>>> codes = np.array([0, 0, 1], dtype=np.intp)
>>> order_rows(codes, np.array([1.0, 1.0, 0.5]), np.array(["a", "b", "a"]), "trec_eval").tolist()
[1, 0, 2]
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError

__all__ = ["TIES", "Ties", "check_ties", "order_rows"]

Ties = Literal["trec_eval", "stable"]
"""How rows with equal scores in one query are ordered: ``"trec_eval"`` puts the
larger document id first (plain string comparison, as trec_eval's ``strcmp``),
``"stable"`` keeps the order of the rows in the run."""

TIES: tuple[str, ...] = ("trec_eval", "stable")


def check_ties(ties: str) -> Ties:
    if ties not in TIES:
        raise InputError(f"unknown tie rule {ties!r}", field="ties", expected=" or ".join(TIES))
    return "trec_eval" if ties == "trec_eval" else "stable"


def _score_keys(scores: NDArray[np.float64]) -> NDArray[np.int64]:
    """int64 keys ordered as the scores (−0.0 equals 0.0), shape (n,)."""
    keys: NDArray[np.int64] = (scores + 0.0).view(np.int64)
    sign = keys >> np.int64(63)
    sign &= np.int64(0x7FFFFFFFFFFFFFFF)
    keys ^= sign
    return keys


_PAD = np.iinfo(np.int64).max  # above every score key (it would be a NaN)


def order_rows(
    codes: NDArray[np.intp],
    scores: NDArray[np.float64],
    doc_ids: NDArray[np.str_],
    ties: Ties,
    *,
    below: int | None = None,
) -> NDArray[np.intp]:
    """Rows sorted by group code ascending, score descending, then ``ties``;
    rows whose code is ``below`` or more are left out.

    No per-group loop. When each group's rows are contiguous (the usual run),
    the blocks are sorted as the rows of one padded (groups × longest) matrix
    by a single ``np.argsort(axis=1)``, and laid out in code order; otherwise
    rows are first brought together by a stable sort on the code. Only runs of
    equal scores are then reordered by the tie rule.
    """
    n = codes.shape[0]
    if n == 0 or (n == 1 and below is None):
        return np.arange(n, dtype=np.intp)
    keys = _score_keys(scores)
    np.invert(keys, out=keys)  # best score first
    starts = np.concatenate([[0], np.flatnonzero(codes[1:] != codes[:-1]) + 1]).astype(np.intp)
    lengths = np.diff(np.append(starts, n))
    heads = codes[starts]
    if below is not None and not bool((kept := heads < below).all()):
        starts, lengths, heads = starts[kept], lengths[kept], heads[kept]
    if np.unique(heads).shape[0] == heads.shape[0]:  # contiguous groups
        by_code = np.argsort(heads)
        starts, lengths = starts[by_code], lengths[by_code]
        order, ranked_keys = _sort_blocks(keys, starts, lengths)
    else:
        chosen = None if below is None else np.flatnonzero(codes < below)
        some = codes if chosen is None else codes[chosen]
        small = int(some.max()) < 2**16  # radix sort
        grouped = np.argsort(some.astype(np.uint16 if small else np.int64), kind="stable")
        if chosen is not None:
            grouped = chosen[grouped]
        group_codes = codes[grouped]
        starts = np.concatenate([[0], np.flatnonzero(group_codes[1:] != group_codes[:-1]) + 1])
        lengths = np.diff(np.append(starts, grouped.shape[0]))
        within, ranked_keys = _sort_blocks(keys[grouped], starts, lengths)
        order = grouped[within]
    _settle_ties(order, ranked_keys, lengths, doc_ids, ties)
    return order.astype(np.intp, copy=False)


def _sort_blocks(
    keys: NDArray[np.int64], starts: NDArray[Any], lengths: NDArray[Any]
) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Rows of the blocks ``[starts[b], starts[b] + lengths[b])``, block after
    block, each block's rows by key ascending, and their keys. Shapes (Σ lengths,)."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.intp), keys[:0]
    offsets = np.cumsum(lengths) - lengths  # where each block goes
    if np.array_equal(starts, offsets):  # the blocks are rows 0, 1, ... in order
        rows = np.arange(total, dtype=np.intp)
        ranked = keys if total == keys.shape[0] else keys[:total]
    else:
        rows = np.repeat((starts - offsets).astype(np.intp), lengths)
        rows += np.arange(total, dtype=np.intp)
        ranked = keys[rows]
    ascending = ranked[1:] >= ranked[:-1]
    ascending[offsets[1:] - 1] = True  # a block's first row follows another block
    if bool(ascending.all()):  # every block already sorted
        return rows, ranked
    del ascending
    blocks, longest = starts.shape[0], int(lengths.max())
    if int(lengths.min()) == longest:  # equal lengths: no padding
        at = np.argsort(ranked.reshape(blocks, longest), axis=1)
        at += offsets[:, None]
        flat = at.reshape(-1)
        return rows[flat], ranked[flat]
    if blocks * longest <= 2 * total + 4096:
        grid = np.full((blocks, longest), _PAD, dtype=np.int64)
        cell = np.repeat(np.arange(blocks, dtype=np.intp) * longest - offsets, lengths)
        cell += np.arange(total, dtype=np.intp)
        grid.reshape(-1)[cell] = ranked
        del cell
        at = np.argsort(grid, axis=1)
        del grid
        at += offsets[:, None]
        flat = at[np.arange(longest) < lengths[:, None]]
        return rows[flat], ranked[flat]
    by_key = np.argsort(ranked)
    rank = np.empty(total, dtype=np.int64)
    rank[by_key] = np.arange(total, dtype=np.int64)
    block = np.repeat(np.arange(blocks, dtype=np.int64), lengths)
    flat = np.argsort(block * total + rank)
    return rows[flat], ranked[flat]


def _settle_ties(
    order: NDArray[np.intp],
    ranked_keys: NDArray[np.int64],
    lengths: NDArray[Any],
    doc_ids: NDArray[np.str_],
    ties: Ties,
) -> None:
    """Reorder, in place, each run of equal scores within a block of ``order``
    (blocks of ``lengths`` rows): by doc id descending ("trec_eval") or by row
    index ("stable"). ``ranked_keys`` are the score keys of ``order``."""
    tied = ranked_keys[1:] == ranked_keys[:-1]
    tied[np.cumsum(lengths)[:-1] - 1] = False  # a block's first row ties with no one
    if not tied.any():
        return
    member = np.zeros(order.shape[0], dtype=bool)
    member[:-1] |= tied
    member[1:] |= tied
    at = np.flatnonzero(member)
    first = np.ones(at.shape[0], dtype=bool)
    first[1:] = ~tied[at[1:] - 1]
    group = np.cumsum(first, dtype=np.int64) - 1
    rows = order[at]
    if ties == "stable":
        tie_key = rows.astype(np.int64)
        width = np.int64(rows.max()) + 1  # rows index the whole run, not only `order`
    else:
        by_doc = np.argsort(doc_ids[rows], kind="stable")
        tie_key = np.empty(at.shape[0], dtype=np.int64)
        tie_key[by_doc] = np.arange(at.shape[0] - 1, -1, -1, dtype=np.int64)
        width = np.int64(at.shape[0])
    order[at] = rows[np.argsort(group * width + tie_key)]
