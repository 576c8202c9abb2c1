"""The id columns of a run or qrels: coerced to unicode arrays, checked for equal
lengths and unique (query, document) pairs, and nested as ``{query: {doc: value}}``.
Problems raise :class:`~feedrank.errors.InputError` naming the field and the row
(or the file line)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError
from feedrank.evaluate._hashing import Index, build_index, pair_keys

__all__ = ["id_columns", "line_field", "nest", "pairs_index", "unnest"]


def line_field(row: int, lines: NDArray[np.int64] | None) -> dict[str, Any]:
    """``{"line": n}``, the file line of ``row``, for an InputError (empty without lines)."""
    return {"line": int(lines[row])} if lines is not None else {}


def _rows_name(first: int, second: int, lines: NDArray[np.int64] | None) -> str:
    if lines is not None:
        return f"lines {int(lines[first])} and {int(lines[second])}"
    return f"rows {first} and {second}"


def _id_strings(values: Any, name: str, source: str | None) -> NDArray[np.str_]:
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


def pairs_index(
    query_ids: NDArray[np.str_],
    doc_ids: NDArray[np.str_],
    what: str,
    source: str | None,
    lines: NDArray[np.int64] | None,
) -> Index:
    """The :class:`~feedrank.evaluate._hashing.Index` of the validated id columns of
    a ``what`` ("run" or "qrels"); raises InputError naming the first (query,
    document) pair given twice."""
    index = build_index(query_ids, doc_ids)
    keys = pair_keys(index.codes, index.queries.shape[0], index.doc_hash)
    ordered = np.sort(keys)
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return index
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
                **line_field(row, lines),
            )
        seen[key] = row
    return index


def id_columns(
    query_ids: Any, doc_ids: Any, values: Any, name: str, source: str | None
) -> tuple[NDArray[np.str_], NDArray[np.str_], NDArray[Any]]:
    """Query and document ids as unicode arrays, and ``values`` of the same length."""
    q = _id_strings(query_ids, "query_ids", source)
    d = _id_strings(doc_ids, "doc_ids", source)
    _same_length(d, "doc_ids", q.shape[0], source)
    v = np.asarray(values)
    _same_length(v, name, q.shape[0], source)
    return q, d, v


_V = TypeVar("_V")


def unnest(nested: Mapping[str, Mapping[str, _V]]) -> tuple[list[str], list[str], list[_V]]:
    """``{query: {doc: value}}`` as three parallel lists."""
    q = [qid for qid, docs in nested.items() for _ in docs]
    d = [doc for docs in nested.values() for doc in docs]
    v = [value for docs in nested.values() for value in docs.values()]
    return q, d, v


def nest(
    query_ids: NDArray[np.str_], doc_ids: NDArray[np.str_], values: list[_V]
) -> dict[str, dict[str, _V]]:
    """Parallel columns as ``{query: {doc: value}}``, rows in their order."""
    out: dict[str, dict[str, _V]] = {}
    for qid, doc, value in zip(query_ids.tolist(), doc_ids.tolist(), values, strict=True):
        out.setdefault(qid, {})[doc] = value
    return out
