"""Width-independent 64-bit hashes of unicode ids, used to group and join rows of
runs and qrels without sorting strings. Every match a hash proposes is checked
against the strings, and a collision falls back to exact string sorting."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Index", "build_index", "hash_strings", "pair_keys", "slots"]


def _word_keys(count: int) -> NDArray[np.uint64]:
    """Fixed odd 64-bit multipliers K_0 … K_{count-1} (splitmix64 of the position)."""
    z = np.arange(1, count + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    keys: NDArray[np.uint64] = z ^ (z >> np.uint64(31)) | np.uint64(1)
    return keys


def hash_strings(values: NDArray[np.str_]) -> NDArray[np.uint64]:
    """64-bit hash of each string of a unicode array, shape (n,), uint64.

    The UCS-4 code units are read two at a time as 64-bit words w_i (no copy)
    and hashed as Σ_i w_i · K_i (mod 2^64) with fixed random odd K_i: the high
    bits depend on every character. Padding zeros add nothing, so equal
    strings hash equally whatever the array's itemsize.
    """
    n = values.shape[0]
    width = values.dtype.itemsize // 4
    if n == 0 or width == 0:
        return np.zeros(n, dtype=np.uint64)
    units = np.ascontiguousarray(values)
    pairs = width // 2
    keys = _word_keys(pairs + 1)
    words = np.ndarray((n, pairs), dtype=np.uint64, buffer=units, strides=(4 * width, 8))
    h: NDArray[np.uint64] = words @ keys[:pairs] if pairs else np.zeros(n, dtype=np.uint64)
    if width % 2:
        h += units.view(np.uint32).reshape(n, width)[:, width - 1] * keys[pairs]
    return h


def pair_keys(
    codes: NDArray[np.intp], groups: int, doc_hash: NDArray[np.uint64]
) -> NDArray[np.uint64]:
    """(group, doc) keys, shape (n,), uint64: the group code in the high bits, the
    top bits of the doc hash below. Keys sort by group first; equal keys are
    only candidates for equality (the ids must be compared)."""
    bits = np.uint64(max(1, int(groups).bit_length()))
    keys: NDArray[np.uint64] = (codes.astype(np.uint64) << (np.uint64(64) - bits)) | (
        doc_hash >> bits
    )
    return keys


def slots(hashes: NDArray[np.uint64], bits: int) -> NDArray[np.intp]:
    """Multiply-shift: ``bits`` well-mixed bits of each hash, as indices."""
    mixed = hashes * np.uint64(0x9E3779B97F4A7C15)
    mixed >>= np.uint64(64 - bits)
    out: NDArray[np.intp] = mixed.astype(np.intp)
    return out


@dataclass(frozen=True)
class Index:
    """Derived columns of a run or qrels, computed once at validation.

    ``queries`` (k,) sorted distinct query ids; ``codes`` (n,) intp, the row's
    position in ``queries``; ``doc_hash`` (n,) uint64, a hash of the doc id.
    """

    queries: NDArray[np.str_]
    codes: NDArray[np.intp]
    doc_hash: NDArray[np.uint64]


def build_index(query_ids: NDArray[np.str_], doc_ids: NDArray[np.str_]) -> Index:
    n = query_ids.shape[0]
    if n == 0:
        empty = np.zeros(0, dtype=np.intp)
        return Index(query_ids[:0], empty, np.zeros(0, dtype=np.uint64))
    starts = np.concatenate([[0], np.flatnonzero(query_ids[1:] != query_ids[:-1]) + 1])
    lengths = np.diff(np.append(starts, n))
    heads = query_ids[starts]
    head_hash = hash_strings(heads)
    if np.unique(head_hash).shape[0] == heads.shape[0]:
        # every query's rows are contiguous: sort only one id per query
        queries, inverse = np.unique(heads, return_inverse=True)
        codes = np.repeat(inverse.astype(np.intp), lengths)
    else:
        row_hash = np.repeat(head_hash, lengths)
        _, first, inverse = np.unique(row_hash, return_index=True, return_inverse=True)
        representatives = query_ids[first]
        if np.array_equal(representatives[inverse], query_ids):
            by_id = np.argsort(representatives, kind="stable")
            rank = np.empty_like(by_id)
            rank[by_id] = np.arange(by_id.shape[0])
            queries = representatives[by_id]
            codes = rank[inverse].astype(np.intp)
        else:  # a hash collision between two query ids: sort the strings
            queries, inverse = np.unique(query_ids, return_inverse=True)
            codes = inverse.astype(np.intp)
    return Index(queries, codes, hash_strings(doc_ids))
