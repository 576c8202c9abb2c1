"""The join of a ranked run with its qrels: which run rows are judged, found by
hashing (query, document) pairs instead of sorting strings."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from feedrank.evaluate._hashing import pair_keys, slots
from feedrank.evaluate.qrels import Qrels
from feedrank.evaluate.run import Run

__all__ = ["lookup"]


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
    present[run_group[rows]] = True
    candidates = np.flatnonzero(present[qrels_group])
    mine, theirs = _lookup(run, rows, run_group, qrels, qrels_group, candidates, groups)
    return mine, candidates[theirs]


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
    qrels_docs = qrels.doc_ids[candidates]
    qrels_keys = pair_keys(qrels_group, groups, qrels_hash)
    by_key = np.argsort(qrels_keys)
    keys = qrels_keys[by_key]
    if not np.any(keys[1:] == keys[:-1]):
        bits = min(26, max(10, (16 * m).bit_length()))
        judged = np.zeros(1 << bits, dtype=bool)
        judged[slots(qrels_hash, bits)] = True
        run_hash = run._index.doc_hash[rows]
        maybe = np.flatnonzero(judged[slots(run_hash, bits)])
        maybe_rows = rows[maybe]
        wanted = pair_keys(run_group[maybe_rows], groups, run_hash[maybe])
        at = np.minimum(np.searchsorted(keys, wanted), m - 1)
        hit = keys[at] == wanted
        mine, theirs = maybe[hit], by_key[at[hit]]
        if np.array_equal(run_group[maybe_rows[hit]], qrels_group[theirs]) and bool(
            np.all(run.doc_ids[maybe_rows[hit]] == qrels_docs[theirs])
        ):
            return mine.astype(np.intp, copy=False), theirs.astype(np.intp, copy=False)
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
