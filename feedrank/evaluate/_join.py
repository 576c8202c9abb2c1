"""The join of a ranked run with its qrels: which run rows are judged, found by
hashing (query, document) pairs instead of sorting strings."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from feedrank.evaluate._hashing import pair_keys, slots
from feedrank.evaluate.qrels import Qrels
from feedrank.evaluate.run import Run

__all__ = ["lookup"]

_BLOCK = 1 << 16
"""Run rows looked at a block at a time, so that temporaries stay small."""


def lookup(
    run: Run,
    rows: NDArray[np.intp],
    run_group: NDArray[np.intp],
    qrels: Qrels,
    qrels_group: NDArray[np.intp],
    groups: int,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Which of the run rows ``rows`` are judged: (i, j) with ``rows[i]`` and qrels
    row ``j`` the same (query, doc); ``i`` ascending.

    Queries are group codes shared by both sides (``run_group`` for every run
    row, ``qrels_group`` for every qrels row, values < ``groups``). A byte map
    of judged doc hashes discards most unjudged rows, then a binary search of
    (group, doc-hash) keys finds the rest, fastest when ``rows`` come grouped.
    Every match is checked against the ids; a hash collision (never seen in
    practice) falls back to exact string codes.
    """
    none = np.zeros(0, dtype=np.intp)
    if rows.shape[0] == 0 or qrels_group.shape[0] == 0:
        return none, none
    # only judgements of the queries of these rows can match (and judgements of
    # other queries could share one group, their keys then colliding)
    present = np.zeros(groups, dtype=bool)
    for lo in range(0, rows.shape[0], _BLOCK):
        present[run_group[rows[lo : lo + _BLOCK]]] = True
    candidates = np.flatnonzero(present[qrels_group])
    mine, theirs = _lookup(run, rows, run_group, qrels, qrels_group, candidates, groups)
    return mine, candidates[theirs]


def _same_ids(
    a: NDArray[np.str_], rows_a: NDArray[np.intp], b: NDArray[np.str_], rows_b: NDArray[np.intp]
) -> bool:
    """Whether ``a[rows_a] == b[rows_b]`` everywhere, compared a block at a time."""
    return all(
        bool(np.all(a[rows_a[lo : lo + _BLOCK]] == b[rows_b[lo : lo + _BLOCK]]))
        for lo in range(0, rows_a.shape[0], _BLOCK)
    )


def _lookup(
    run: Run,
    rows: NDArray[np.intp],
    run_group: NDArray[np.intp],
    qrels: Qrels,
    all_groups: NDArray[np.intp],
    candidates: NDArray[np.intp],
    groups: int,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """:func:`lookup` among the qrels rows ``candidates``; the second array
    indexes ``candidates``."""
    n, m = rows.shape[0], candidates.shape[0]
    none = np.zeros(0, dtype=np.intp)
    if m == 0:
        return none, none
    qrels_group = all_groups[candidates]
    qrels_hash = qrels._index.doc_hash[candidates]
    qrels_keys = pair_keys(qrels_group, groups, qrels_hash)
    by_key = np.argsort(qrels_keys)
    keys = qrels_keys[by_key]
    del qrels_keys
    if not np.any(keys[1:] == keys[:-1]):
        bits = min(26, max(10, (16 * m).bit_length()))
        judged = np.zeros(1 << bits, dtype=bool)
        judged[slots(qrels_hash, bits)] = True
        doc_hash = run._index.doc_hash
        maybe = np.concatenate(
            [
                np.flatnonzero(judged[slots(doc_hash[rows[lo : lo + _BLOCK]], bits)]) + lo
                for lo in range(0, n, _BLOCK)
            ]
        )
        del judged
        maybe_rows = rows[maybe]
        wanted = pair_keys(run_group[maybe_rows], groups, doc_hash[maybe_rows])
        at = np.minimum(np.searchsorted(keys, wanted), m - 1)
        hit = keys[at] == wanted
        mine, theirs = maybe[hit], by_key[at[hit]]
        found = maybe_rows[hit]
        del maybe, maybe_rows, wanted, at, hit
        if np.array_equal(run_group[found], qrels_group[theirs]) and _same_ids(
            run.doc_ids, found, qrels.doc_ids, candidates[theirs]
        ):
            return mine.astype(np.intp, copy=False), theirs.astype(np.intp, copy=False)
    qrels_docs = qrels.doc_ids[candidates]
    docs = np.concatenate([run.doc_ids[rows], qrels_docs])
    _, doc_code = np.unique(docs, return_inverse=True)
    width = np.int64(doc_code.max() + 1)
    run_key = run_group[rows].astype(np.int64) * width + doc_code[:n]
    qrels_key = qrels_group.astype(np.int64) * width + doc_code[n:]
    by_key = np.argsort(qrels_key)
    exact = qrels_key[by_key]
    at = np.minimum(np.searchsorted(exact, run_key), m - 1)
    mine = np.flatnonzero(exact[at] == run_key)
    return mine.astype(np.intp, copy=False), by_key[at[mine]].astype(np.intp, copy=False)
