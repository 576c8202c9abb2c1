"""Exact comparisons for the conformance checks: arrays bit for bit, snapshots of
inputs, and rankings in every array.

>>> import numpy as np
>>> rows_difference({"values": np.array([1.0, 2.0])}, {"values": np.array([1.0, 2.0])})
>>> rows_difference({"values": np.array([1.0, 2.0])}, {"values": np.array([1.0, 3.0])})
'values differ at row 1: 2.0 vs 3.0'
>>> rows_difference({"values": np.array([0.0])}, {"values": np.array([-0.0])})
'values differ at row 0: 0.0 vs -0.0'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import ROW_FIELDS, Requests
from feedrank.batch.tags import Tags
from feedrank.ranking.ranking import Ranking

__all__ = [
    "RANKING_ARRAYS",
    "Rows",
    "array_key",
    "concat_rows",
    "permute_rows",
    "ranking_difference",
    "rows_difference",
    "snapshot",
    "snapshot_difference",
]

Rows = Mapping[str, NDArray[Any] | None]
"""What a component decided for every row, by name (``values``, ``reasons``,
``multiplier``, ``tier``, ``removed``); None where the component gives no such array."""

RANKING_ARRAYS: tuple[str, ...] = (
    "inputs",
    "contributions",
    "factors",
    "scores",
    "tier",
    "order",
    "kept",
    "removed_reasons",
)
"""The row-aligned arrays of a :class:`~feedrank.Ranking` compared bit for bit
(filter reasons as strings: the code table of many requests is shared, so a
request's codes may differ from its codes ranked alone)."""


def array_key(values: NDArray[Any]) -> tuple[Any, ...]:
    """What makes two arrays the same: numbers by dtype, shape and bytes (so -0.0
    differs from 0.0 and NaN payloads count); strings by their characters."""
    if values.dtype.kind in "UTSO":
        return ("text", values.shape, tuple(str(x) for x in values.reshape(-1).tolist()))
    return (values.dtype.str, values.shape, np.ascontiguousarray(values).tobytes())


def _differs_at(a: NDArray[Any], b: NDArray[Any]) -> str:
    if a.shape != b.shape:
        return f"shape {a.shape} vs {b.shape}"
    if a.dtype.kind not in "UTSO" and b.dtype.kind not in "UTSO" and a.dtype != b.dtype:
        return f"dtype {a.dtype} vs {b.dtype}"
    if a.ndim == 0 or a.size == 0:
        return "in their bytes"
    flat_a, flat_b = a.reshape(a.shape[0], -1), b.reshape(b.shape[0], -1)
    for row in range(a.shape[0]):
        if array_key(flat_a[row]) != array_key(flat_b[row]):
            x, y = flat_a[row].tolist(), flat_b[row].tolist()
            if len(x) == 1:
                x, y = x[0], y[0]
            return f"row {row}: {x!r} vs {y!r}"
    return "in their bytes"


def rows_difference(a: Rows, b: Rows) -> str | None:
    """None if ``a`` and ``b`` hold the same arrays bit for bit, else what differs."""
    for name in sorted(set(a) | set(b)):
        x, y = a.get(name), b.get(name)
        if x is None or y is None:
            if x is not y:
                return f"{name} is {'None' if x is None else 'given'} vs " + (
                    "None" if y is None else "given"
                )
            continue
        if array_key(x) != array_key(y):
            return f"{name} differ at {_differs_at(x, y)}"
    return None


def permute_rows(rows: Rows, perm: NDArray[np.intp]) -> dict[str, NDArray[Any] | None]:
    """Every array of ``rows`` taken at ``perm``."""
    return {k: None if v is None else v[perm] for k, v in rows.items()}


def concat_rows(parts: list[Rows]) -> dict[str, NDArray[Any] | None] | str:
    """The rows of several requests one after another, or what prevents it (an
    array given for some requests and None for others)."""
    names = sorted({k for p in parts for k in p})
    out: dict[str, NDArray[Any] | None] = {}
    for name in names:
        arrays = [p.get(name) for p in parts]
        given = [x for x in arrays if x is not None]
        if not given:
            out[name] = None
        elif len(given) != len(arrays):
            return f"{name} is given for some requests and None for others"
        else:
            out[name] = np.concatenate(given)
    return out


@dataclass(frozen=True)
class _Atom:
    """A value compared as a whole (an array's key)."""

    key: tuple[Any, ...]


def snapshot(value: Any) -> Any:
    """A comparable copy of every array and value in ``value`` (a batch, a
    context, requests, arrays, tuples of them)."""
    if isinstance(value, np.ndarray):
        return _Atom(array_key(value))
    if isinstance(value, PostBatch):
        return tuple(
            (f.name, snapshot(getattr(value, f.name))) for f in dataclasses.fields(PostBatch)
        )
    if isinstance(value, Tags):
        return (
            ("vocabulary", value.vocabulary),
            ("indptr", snapshot(value.indptr)),
            ("codes", snapshot(value.codes)),
        )
    if isinstance(value, Context):
        return (
            ("now", value.now),
            ("viewer", snapshot(value.viewer)),
            *((name, snapshot(getattr(value, name))) for name in ROW_FIELDS),
        )
    if isinstance(value, Requests):
        return (
            ("offsets", snapshot(value.offsets)),
            ("now", snapshot(value.now)),
            ("viewers", tuple(snapshot(v) for v in value.viewers)),
            *((name, snapshot(getattr(value, name))) for name in ROW_FIELDS),
        )
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), snapshot(v)) for k, v in value.items()))
    if isinstance(value, (tuple, list)):
        return tuple(snapshot(v) for v in value)
    if hasattr(value, "model_dump"):
        return snapshot(value.model_dump())
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(map(str, value)))
    return value


def snapshot_difference(before: Any, after: Any, path: str = "") -> str | None:
    """None if two snapshots are equal, else the path of the first difference."""
    if before == after:
        return None
    if isinstance(before, tuple) and isinstance(after, tuple) and len(before) == len(after):
        named = all(isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str) for x in before)
        for i, (x, y) in enumerate(zip(before, after, strict=True)):
            if x != y:
                if named and isinstance(y, tuple) and len(y) == 2:
                    return snapshot_difference(x[1], y[1], f"{path}.{x[0]}" if path else x[0])
                return snapshot_difference(x, y, f"{path}[{i}]")
    return path or "the value"


def ranking_difference(a: Ranking, b: Ranking) -> str | None:
    """None if two rankings agree in every array (floats bit for bit), every
    move, the page, the cursor and :meth:`~feedrank.Ranking.to_dict`; else what
    differs first."""
    simple = {
        "candidate ids": (a.candidates.ids.tolist(), b.candidates.ids.tolist()),
        "now": (a.now, b.now),
        "term names": (a.term_names, b.term_names),
        "factor names": (a.factor_names, b.factor_names),
        "factor stages": (a.factor_stages, b.factor_stages),
        "page": ((a.page_start, a.page_stop), (b.page_start, b.page_stop)),
        "post ids": (a.post_ids, b.post_ids),
        "next cursor": (a.next_cursor, b.next_cursor),
        "removed": (a.removed(), b.removed()),
    }
    for name, (x, y) in simple.items():
        if x != y:
            return f"{name}: {x!r} vs {y!r}"
    found = rows_difference(
        {name: getattr(a, name) for name in RANKING_ARRAYS},
        {name: getattr(b, name) for name in RANKING_ARRAYS},
    )
    if found is not None:
        return found
    moves = ("rows", "stages", "before", "after", "reasons")
    found = rows_difference(
        {f"moves.{m}": getattr(a.moves, m) for m in moves},
        {f"moves.{m}": getattr(b.moves, m) for m in moves},
    )
    if found is not None:
        return found
    if a.to_dict(removed="all", moves="all") != b.to_dict(removed="all", moves="all"):
        return "to_dict() differs"
    return None
