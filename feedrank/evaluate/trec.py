"""Runs and qrels as columns, their ranked order, and the TREC file formats.

A :class:`Run` holds one row per retrieved (query, document) pair with the score
the ranker gave it; :class:`Qrels` hold one row per judged pair with its integer
relevance grade. Both keep numpy columns (ids as unicode arrays, scores float64,
grades int64), are validated once when built, and raise
:class:`~feedrank.errors.InputError` naming the field and the row (or the file
and line) of the first problem: arrays of different lengths, a NaN score, a
(query, document) pair given twice, ids that are not strings.

The TREC formats are those of NIST's ``trec_eval``: a run line is
``qid Q0 docno rank score tag`` (the rank column is ignored: the order comes
from the scores, see :meth:`Run.order`), a qrels line is ``qid 0 docno rel``.
Blank lines and lines starting with ``#`` are skipped, as trec_eval does; fields
after a run's tag are ignored.

>>> run = Run(["q1", "q1", "q2"], ["a", "b", "a"], [1.0, 1.0, 0.5])
>>> qrels = Qrels(["q1", "q2"], ["b", "a"], [1, 2])
>>> run.order().tolist()  # q1's tie goes to the larger document id, as in trec_eval
[1, 0, 2]
>>> run.order(ties="stable").tolist()
[0, 1, 2]
>>> qrels.relevance.dtype, len(run)
(dtype('int64'), 3)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError

__all__ = [
    "Qrels",
    "Run",
    "Ties",
    "read_trec_qrels",
    "read_trec_run",
    "write_trec_qrels",
    "write_trec_run",
]

Ties = Literal["trec_eval", "stable"]
"""How rows with equal scores in one query are ordered: ``"trec_eval"`` puts the
larger document id first (plain string comparison, as trec_eval's ``strcmp``),
``"stable"`` keeps the order of the rows in the run."""

TIES: tuple[str, ...] = ("trec_eval", "stable")

PathLike = str | os.PathLike[str]

# ---------------------------------------------------------------------------
# hashing: a width-independent 64-bit hash of unicode ids, used to group and
# join rows without sorting strings. Every match it proposes is checked against
# the strings, and a collision falls back to exact string sorting.


def _word_keys(count: int) -> NDArray[np.uint64]:
    """Fixed odd 64-bit multipliers K_0 … K_{count-1} (splitmix64 of the position)."""
    z = np.arange(1, count + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    keys: NDArray[np.uint64] = z ^ (z >> np.uint64(31)) | np.uint64(1)
    return keys


def _hash_strings(values: NDArray[np.str_]) -> NDArray[np.uint64]:
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


def _pair_keys(
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


@dataclass(frozen=True)
class _Index:
    """Derived columns of a run or qrels, computed once at validation.

    ``queries`` (k,) sorted distinct query ids; ``codes`` (n,) intp, the row's
    position in ``queries``; ``doc_hash`` (n,) uint64, a hash of the doc id.
    """

    queries: NDArray[np.str_]
    codes: NDArray[np.intp]
    doc_hash: NDArray[np.uint64]


def _build_index(query_ids: NDArray[np.str_], doc_ids: NDArray[np.str_]) -> _Index:
    n = query_ids.shape[0]
    if n == 0:
        empty = np.zeros(0, dtype=np.intp)
        return _Index(query_ids[:0], empty, np.zeros(0, dtype=np.uint64))
    starts = np.concatenate([[0], np.flatnonzero(query_ids[1:] != query_ids[:-1]) + 1])
    lengths = np.diff(np.append(starts, n))
    heads = query_ids[starts]
    head_hash = _hash_strings(heads)
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
    return _Index(queries, codes, _hash_strings(doc_ids))


# ---------------------------------------------------------------------------
# validation


def _where(row: int, lines: NDArray[np.int64] | None) -> dict[str, Any]:
    return {"line": int(lines[row])} if lines is not None else {}


def _rows_name(first: int, second: int, lines: NDArray[np.int64] | None) -> str:
    if lines is not None:
        return f"lines {int(lines[first])} and {int(lines[second])}"
    return f"rows {first} and {second}"


def _strings(values: Any, name: str, source: str | None) -> NDArray[np.str_]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InputError(
            f"has shape {arr.shape}", field=name, source=source, expected="a 1-D array"
        )
    if arr.shape[0] == 0:
        return np.zeros(0, dtype="U1")
    if arr.dtype.kind == "U":
        return arr
    if arr.dtype.kind == "T" or (
        arr.dtype == object and all(isinstance(v, str) for v in arr.tolist())
    ):
        return np.array(arr.tolist(), dtype=np.str_)
    raise InputError(
        f"holds {arr.dtype} values",
        field=name,
        source=source,
        expected="strings (convert ids with .astype(str))",
    )


def _same_length(arr: NDArray[Any], name: str, n: int, source: str | None) -> None:
    if arr.ndim != 1 or arr.shape[0] != n:
        raise InputError(
            f"has shape {arr.shape} but query_ids has {n} rows",
            field=name,
            source=source,
            expected=f"a 1-D array of {n} values",
        )


def _check_unique_pairs(
    query_ids: NDArray[np.str_],
    doc_ids: NDArray[np.str_],
    index: _Index,
    what: str,
    source: str | None,
    lines: NDArray[np.int64] | None,
) -> None:
    keys = _pair_keys(index.codes, index.queries.shape[0], index.doc_hash)
    ordered = np.sort(keys)
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return
    suspects = np.flatnonzero(np.isin(keys, ordered[1:][same]))
    seen: dict[tuple[str, str], int] = {}
    for row in suspects.tolist():
        key = (str(query_ids[row]), str(doc_ids[row]))
        if key in seen:
            raise InputError(
                f"query {key[0]!r}, document {key[1]!r} appears twice in the {what} "
                f"({_rows_name(seen[key], row, lines)})",
                field="doc_ids",
                source=source,
                expected="each (query, document) pair once",
                **_where(row, lines),
            )
        seen[key] = row


def _id_columns(
    query_ids: Any, doc_ids: Any, values: Any, name: str, source: str | None
) -> tuple[NDArray[np.str_], NDArray[np.str_], NDArray[Any]]:
    """Query and document ids as unicode arrays, and ``values`` of the same length."""
    q = _strings(query_ids, "query_ids", source)
    d = _strings(doc_ids, "doc_ids", source)
    _same_length(d, "doc_ids", q.shape[0], source)
    v = np.asarray(values)
    _same_length(v, name, q.shape[0], source)
    return q, d, v


_V = TypeVar("_V")


def _unnest(nested: Mapping[str, Mapping[str, _V]]) -> tuple[list[str], list[str], list[_V]]:
    """``{query: {doc: value}}`` as three parallel lists."""
    q = [qid for qid, docs in nested.items() for _ in docs]
    d = [doc for docs in nested.values() for doc in docs]
    v = [value for docs in nested.values() for value in docs.values()]
    return q, d, v


def _nest(
    query_ids: NDArray[np.str_], doc_ids: NDArray[np.str_], values: list[_V]
) -> dict[str, dict[str, _V]]:
    """Parallel columns as ``{query: {doc: value}}``, rows in their order."""
    out: dict[str, dict[str, _V]] = {}
    for qid, doc, value in zip(query_ids.tolist(), doc_ids.tolist(), values, strict=True):
        out.setdefault(qid, {})[doc] = value
    return out


@dataclass(frozen=True, init=False, eq=False, repr=False)
class Run:
    """A ranked run: one row per retrieved (query, document) pair.

    Attributes
    ----------
    query_ids : ndarray of shape (n,), unicode
    doc_ids : ndarray of shape (n,), unicode
    scores : ndarray of shape (n,), float64
        Higher is better; ±inf is allowed, NaN is not. Rows need not be grouped
        or sorted: :meth:`order` ranks them.

    Arrays are coerced once and not copied when already of the right dtype: do
    not modify them afterwards. Each (query, document) pair may appear once.
    """

    query_ids: NDArray[np.str_]
    doc_ids: NDArray[np.str_]
    scores: NDArray[np.float64]
    _index: _Index = field(init=False, compare=False)

    def __init__(self, query_ids: Any, doc_ids: Any, scores: Any) -> None:
        self._setup(query_ids, doc_ids, scores, source=None, lines=None)

    def _setup(
        self,
        query_ids: Any,
        doc_ids: Any,
        scores: Any,
        *,
        source: str | None,
        lines: NDArray[np.int64] | None,
    ) -> None:
        q, d, s = _id_columns(query_ids, doc_ids, scores, "scores", source)
        if s.shape[0] and s.dtype.kind not in "iuf":
            raise InputError(
                f"holds {s.dtype} values", field="scores", source=source, expected="numbers"
            )
        s = s.astype(np.float64, copy=False)
        bad = np.isnan(s)
        if bad.any():
            row = int(np.argmax(bad))
            raise InputError(
                f"score is NaN for query {str(q[row])!r}, document {str(d[row])!r}"
                + ("" if lines is not None else f" (row {row})"),
                field="scores",
                source=source,
                expected="a number",
                **_where(row, lines),
            )
        index = _build_index(q, d)
        _check_unique_pairs(q, d, index, "run", source, lines)
        object.__setattr__(self, "query_ids", q)
        object.__setattr__(self, "doc_ids", d)
        object.__setattr__(self, "scores", s)
        object.__setattr__(self, "_index", index)

    @classmethod
    def from_dict(cls, run: Mapping[str, Mapping[str, float]]) -> Run:
        """Build from ``{query_id: {doc_id: score}}`` (pytrec_eval's and ranx's layout)."""
        q, d, s = _unnest(run)
        return cls(q, d, np.asarray(s, dtype=np.float64))

    def to_dict(self) -> dict[str, dict[str, float]]:
        """``{query_id: {doc_id: score}}``, rows in their order."""
        return _nest(self.query_ids, self.doc_ids, self.scores.tolist())

    @property
    def queries(self) -> NDArray[np.str_]:
        """Distinct query ids, sorted, shape (k,), unicode."""
        return self._index.queries

    def order(self, ties: Ties = "trec_eval") -> NDArray[np.intp]:
        """Row indices, shape (n,), intp: queries by id, then each query best first.

        Within a query rows go by score descending; equal scores follow ``ties``
        (see :data:`Ties`). This is the ranking every metric evaluates.
        """
        return _order_rows(self._index.codes, self.scores, self.doc_ids, _check_ties(ties))

    def __len__(self) -> int:
        return int(self.query_ids.shape[0])

    def __repr__(self) -> str:
        return f"Run({len(self)} rows, {self.queries.shape[0]} queries)"


@dataclass(frozen=True, init=False, eq=False, repr=False)
class Qrels:
    """Relevance judgements: one row per judged (query, document) pair.

    Attributes
    ----------
    query_ids : ndarray of shape (m,), unicode
    doc_ids : ndarray of shape (m,), unicode
    relevance : ndarray of shape (m,), int64
        The grade. A document counts as relevant when its grade reaches the
        threshold (trec_eval ``-l``, default 1); nDCG uses the grade itself as
        gain. Negative grades mean "in the pool but not judged" (trec_eval): never
        relevant, no gain, but the query is still judged.
    """

    query_ids: NDArray[np.str_]
    doc_ids: NDArray[np.str_]
    relevance: NDArray[np.int64]
    _index: _Index = field(init=False, compare=False)

    def __init__(self, query_ids: Any, doc_ids: Any, relevance: Any) -> None:
        self._setup(query_ids, doc_ids, relevance, source=None, lines=None)

    def _setup(
        self,
        query_ids: Any,
        doc_ids: Any,
        relevance: Any,
        *,
        source: str | None,
        lines: NDArray[np.int64] | None,
    ) -> None:
        q, d, r = _id_columns(query_ids, doc_ids, relevance, "relevance", source)
        if r.shape[0] and r.dtype.kind not in "iu":
            raise InputError(
                f"holds {r.dtype} values",
                field="relevance",
                source=source,
                expected="integer grades",
            )
        r = r.astype(np.int64, copy=False)
        index = _build_index(q, d)
        _check_unique_pairs(q, d, index, "qrels", source, lines)
        object.__setattr__(self, "query_ids", q)
        object.__setattr__(self, "doc_ids", d)
        object.__setattr__(self, "relevance", r)
        object.__setattr__(self, "_index", index)

    @classmethod
    def from_dict(cls, qrels: Mapping[str, Mapping[str, int]]) -> Qrels:
        """Build from ``{query_id: {doc_id: grade}}`` (pytrec_eval's and ranx's layout)."""
        q, d, r = _unnest(qrels)
        return cls(q, d, np.asarray(r, dtype=np.int64))

    def to_dict(self) -> dict[str, dict[str, int]]:
        """``{query_id: {doc_id: grade}}``, rows in their order."""
        return _nest(self.query_ids, self.doc_ids, self.relevance.tolist())

    @property
    def queries(self) -> NDArray[np.str_]:
        """Distinct query ids, sorted, shape (k,), unicode."""
        return self._index.queries

    def __len__(self) -> int:
        return int(self.query_ids.shape[0])

    def __repr__(self) -> str:
        return f"Qrels({len(self)} rows, {self.queries.shape[0]} queries)"


# ---------------------------------------------------------------------------
# ordering


def _check_ties(ties: str) -> Ties:
    if ties not in TIES:
        raise InputError(f"unknown tie rule {ties!r}", field="ties", expected=" or ".join(TIES))
    return "trec_eval" if ties == "trec_eval" else "stable"


def _score_keys(scores: NDArray[np.float64]) -> NDArray[np.int64]:
    """int64 keys ordered as the scores (−0.0 equals 0.0), shape (n,)."""
    bits = (scores + 0.0).view(np.int64)
    keys: NDArray[np.int64] = bits ^ ((bits >> np.int64(63)) & np.int64(0x7FFFFFFFFFFFFFFF))
    return keys


_PAD = np.iinfo(np.int64).max  # above every score key (it would be a NaN)


def _order_rows(
    codes: NDArray[np.intp],
    scores: NDArray[np.float64],
    doc_ids: NDArray[np.str_],
    ties: Ties,
) -> NDArray[np.intp]:
    """Rows sorted by group code ascending, score descending, then ``ties``.

    No per-group loop. When each group's rows are contiguous (the usual run),
    the blocks are sorted as the rows of one padded (groups × longest) matrix
    by a single ``np.argsort(axis=1)``, and laid out in code order; otherwise
    rows are first brought together by a stable sort on the code. Only runs of
    equal scores are then reordered by the tie rule.
    """
    n = codes.shape[0]
    if n < 2:
        return np.arange(n, dtype=np.intp)
    keys = ~_score_keys(scores)
    starts = np.concatenate([[0], np.flatnonzero(codes[1:] != codes[:-1]) + 1])
    lengths = np.diff(np.append(starts, n))
    heads = codes[starts]
    if np.unique(heads).shape[0] == heads.shape[0]:  # contiguous groups
        by_code = np.argsort(heads)
        starts, lengths = starts[by_code], lengths[by_code]
        order, ranked_keys = _sort_blocks(codes, keys, starts, lengths)
    else:
        small = int(codes.max()) < 2**16  # radix sort
        grouped = np.argsort(codes.astype(np.uint16 if small else np.int64), kind="stable")
        group_codes = codes[grouped]
        starts = np.concatenate([[0], np.flatnonzero(group_codes[1:] != group_codes[:-1]) + 1])
        lengths = np.diff(np.append(starts, n))
        within, ranked_keys = _sort_blocks(group_codes, keys[grouped], starts, lengths)
        order = grouped[within]
    _settle_ties(order, ranked_keys, lengths, doc_ids, ties)
    return order.astype(np.intp, copy=False)


def _sort_blocks(
    codes: NDArray[np.intp],
    keys: NDArray[np.int64],
    starts: NDArray[Any],
    lengths: NDArray[Any],
) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Rows of the blocks ``[starts[b], starts[b] + lengths[b])``, block after
    block, each block's rows by key ascending, and their keys. Shapes (Σ lengths,)."""
    n = codes.shape[0]
    base = np.repeat(starts, lengths)
    col = np.arange(n) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    head = slice(0, min(n, 4096))
    c, k = codes[head], keys[head]
    if bool(np.all((c[1:] != c[:-1]) | (k[1:] >= k[:-1]))) and bool(
        np.all((codes[1:] != codes[:-1]) | (keys[1:] >= keys[:-1]))
    ):
        rows = base + col  # every block already sorted
        return rows, keys[rows]
    blocks, longest = starts.shape[0], int(lengths.max())
    if int(lengths.min()) == longest:  # equal lengths: no padding
        grid = keys[base + col].reshape(blocks, longest)
        cols = np.argsort(grid, axis=1)
        return base + cols.ravel(), np.take_along_axis(grid, cols, axis=1).ravel()
    if blocks * longest <= 2 * n + 4096:
        grid = np.full((blocks, longest), _PAD, dtype=np.int64)
        grid[np.repeat(np.arange(blocks), lengths), col] = keys[base + col]
        cols = np.argsort(grid, axis=1)
        filled = np.arange(longest) < lengths[:, None]
        return base + cols[filled], np.take_along_axis(grid, cols, axis=1)[filled]
    rows = base + col
    by_key = np.argsort(keys[rows])
    rank = np.empty(n, dtype=np.int64)
    rank[by_key] = np.arange(n, dtype=np.int64)
    block = np.repeat(np.arange(blocks, dtype=np.int64), lengths)
    rows = rows[np.argsort(block * n + rank)]
    return rows, keys[rows]


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
        width = np.int64(order.shape[0])
    else:
        by_doc = np.argsort(doc_ids[rows], kind="stable")
        tie_key = np.empty(at.shape[0], dtype=np.int64)
        tie_key[by_doc] = np.arange(at.shape[0] - 1, -1, -1, dtype=np.int64)
        width = np.int64(at.shape[0])
    order[at] = rows[np.argsort(group * width + tie_key)]


# ---------------------------------------------------------------------------
# TREC files


def _lines(path: PathLike) -> list[tuple[int, list[str]]]:
    text = Path(path).read_text(encoding="utf-8")
    out: list[tuple[int, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if fields and not fields[0].startswith("#"):
            out.append((number, fields))
    return out


def read_trec_run(path: PathLike) -> Run:
    """Read a TREC run file, ``qid Q0 docno rank score tag`` per line.

    The rank column is ignored (trec_eval ranks by score); fields after the tag
    are ignored; blank and ``#`` lines are skipped. Raises InputError naming the
    file and line of a malformed line, a bad score or a repeated (qid, docno).
    """
    source = str(path)
    q: list[str] = []
    d: list[str] = []
    s: list[float] = []
    numbers: list[int] = []
    for number, fields in _lines(path):
        if len(fields) < 6:
            raise InputError(
                f"has {len(fields)} fields",
                source=source,
                line=number,
                expected="6 fields: qid Q0 docno rank score tag",
            )
        try:
            score = float(fields[4])
        except ValueError:
            raise InputError(
                f"score {fields[4]!r} is not a number",
                field="score",
                source=source,
                line=number,
                expected="a number in the fifth field",
            ) from None
        q.append(fields[0])
        d.append(fields[2])
        s.append(score)
        numbers.append(number)
    run = Run.__new__(Run)
    run._setup(q, d, np.asarray(s, dtype=np.float64), source=source, lines=np.asarray(numbers))
    return run


def read_trec_qrels(path: PathLike) -> Qrels:
    """Read a TREC qrels file, ``qid 0 docno rel`` per line (rel an integer).

    Blank and ``#`` lines are skipped. Raises InputError naming the file and
    line of a malformed line, a non-integer grade or a repeated (qid, docno).
    """
    source = str(path)
    q: list[str] = []
    d: list[str] = []
    r: list[int] = []
    numbers: list[int] = []
    for number, fields in _lines(path):
        if len(fields) != 4:
            raise InputError(
                f"has {len(fields)} fields",
                source=source,
                line=number,
                expected="4 fields: qid 0 docno rel",
            )
        try:
            grade = int(fields[3])
        except ValueError:
            raise InputError(
                f"relevance {fields[3]!r} is not an integer",
                field="relevance",
                source=source,
                line=number,
                expected="an integer grade in the fourth field",
            ) from None
        q.append(fields[0])
        d.append(fields[2])
        r.append(grade)
        numbers.append(number)
    qrels = Qrels.__new__(Qrels)
    qrels._setup(q, d, np.asarray(r, dtype=np.int64), source=source, lines=np.asarray(numbers))
    return qrels


def _check_token(values: NDArray[np.str_], name: str) -> None:
    for row, value in enumerate(values.tolist()):
        if not value or any(ch.isspace() for ch in value):
            raise InputError(
                f"{value!r} (row {row}) cannot be written to a TREC file",
                field=name,
                expected="a non-empty id without whitespace",
            )


def write_trec_run(
    run: Run, path: PathLike, *, tag: str = "feedrank", ties: Ties = "trec_eval"
) -> None:
    """Write ``run`` as a TREC run file, queries by id, each best first with ranks 1, 2, ...

    Scores are written with Python's shortest round-trip repr, so reading the
    file back gives the same floats.
    """
    _check_token(run.query_ids, "query_ids")
    _check_token(run.doc_ids, "doc_ids")
    _check_token(np.asarray([tag]), "tag")
    order = run.order(ties)
    codes = run._index.codes[order]
    start = np.searchsorted(codes, codes, side="left")
    ranks = (np.arange(order.shape[0]) - start + 1).tolist()
    with Path(path).open("w", encoding="utf-8") as out:
        for qid, doc, rank, score in zip(
            run.query_ids[order].tolist(),
            run.doc_ids[order].tolist(),
            ranks,
            run.scores[order].tolist(),
            strict=True,
        ):
            out.write(f"{qid} Q0 {doc} {rank} {score!r} {tag}\n")


def write_trec_qrels(qrels: Qrels, path: PathLike) -> None:
    """Write ``qrels`` as a TREC qrels file (``qid 0 docno rel``), rows in their order."""
    _check_token(qrels.query_ids, "query_ids")
    _check_token(qrels.doc_ids, "doc_ids")
    with Path(path).open("w", encoding="utf-8") as out:
        for qid, doc, grade in zip(
            qrels.query_ids.tolist(), qrels.doc_ids.tolist(), qrels.relevance.tolist(), strict=True
        ):
            out.write(f"{qid} 0 {doc} {grade}\n")
