"""Dataframes in and out: pandas and Apache Arrow (optional extras).

:func:`batch_from_pandas` and :func:`batch_from_arrow` build a
:class:`~feedrank.PostBatch` from a table with one row per post;
:func:`ranking_to_pandas` turns a :class:`~feedrank.Ranking` into a table with
one row per ranked post and one column per score part. pandas and pyarrow are
imported only when these functions run; without them they raise
:class:`ImportError` naming the extra to install (``feedrank[pandas]``,
``feedrank[arrow]``).

Columns of the input table (the names ``pandas.json_normalize`` gives
:class:`~feedrank.Post` dicts, so both routes agree):

=========================  ===================================================
column                     values
=========================  ===================================================
``id``, ``author_id``      strings, required (``id`` unique)
``created_at``             required: timezone-aware timestamps, or int64
                           microseconds since the epoch (UTC); naive
                           timestamps are refused (which zone would they be in?)
``counts.<kind>``          integers >= 0, one column per
                           :class:`~feedrank.InteractionKind` (``counts.like``);
                           a missing count is refused, not read as 0: fill it
                           (``df.fillna({"counts.like": 0})``) if 0 is meant
``features.<name>``        numbers; missing (NaN/null) = the post has no value
``topics``, ``labels``     a list of strings per row (null = none)
``lang``, ``reply_to``,    strings; null = none
``repost_of``,
``quote_of``, ``url``,
``text``
``embedding``              a list of numbers per row (null = none)
``author_followers``       numbers; null = unknown author
=========================  ===================================================

Any other column raises :class:`~feedrank.errors.BatchError` (nothing is
silently dropped); list the columns to leave out in ``ignore``. Errors name the
column and the first offending post id.

>>> import pytest
>>> pd = pytest.importorskip("pandas")
>>> df = pd.DataFrame({
...     "id": ["a", "b"], "author_id": ["ann", "bob"],
...     "created_at": pd.to_datetime(["2026-01-01T10:00Z", "2026-01-01T11:00Z"]),
...     "counts.like": [3, 5], "topics": [["jazz"], None]})
>>> batch = batch_from_pandas(df)
>>> batch.count("like").tolist(), batch.topics.to_lists()
([3, 5], [('jazz',), ()])
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.posts import PostBatch
from feedrank.errors import BatchError
from feedrank.models import InteractionKind
from feedrank.ranking.ranking import Ranking

__all__ = ["COLUMNS", "batch_from_arrow", "batch_from_pandas", "ranking_to_pandas"]

COLUMNS: tuple[str, ...] = (
    "id",
    "author_id",
    "created_at",
    "topics",
    "labels",
    "lang",
    "reply_to",
    "repost_of",
    "quote_of",
    "url",
    "text",
    "embedding",
    "author_followers",
)
"""The fixed column names; ``counts.<kind>`` and ``features.<name>`` come on top."""

_STRINGS = ("lang", "reply_to", "repost_of", "quote_of", "url", "text")
_KINDS = {kind.value for kind in InteractionKind}


def _require(module: str, extra: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"{module} is not installed: `pip install 'feedrank[{extra}]'` (or `pip install "
            f"{module}`) to use feedrank.adapters.dataframes"
        ) from None


# ---------------------------------------------------------------- shared
class _Table:
    """Column access over a pandas DataFrame or a pyarrow Table."""

    def __init__(self, names: list[str], get: Callable[[str], Any]) -> None:
        self.names = names
        self.get = get


def _check_names(names: Iterable[str], ignore: Iterable[str]) -> list[str]:
    names = [str(n) for n in names]
    skip = set(ignore)
    missing = [c for c in ("id", "author_id", "created_at") if c not in names]
    if missing:
        raise BatchError(
            f"column {missing[0]!r} is missing",
            field=missing[0],
            expected="id, author_id, created_at",
        )
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})[0]
        raise BatchError(f"column {twice!r} appears twice", field=twice, expected="unique names")
    for name in names:
        if name in skip or name in COLUMNS:
            continue
        prefix, _, rest = name.partition(".")
        if prefix == "counts" and rest in _KINDS:
            continue
        if prefix == "features" and rest:
            continue
        raise BatchError(
            f"unknown column {name!r}",
            field=name,
            expected="the columns listed in feedrank.adapters.dataframes (counts.<kind>, "
            "features.<name>, ...), or pass ignore=[...]",
        )
    return [n for n in names if n not in skip]


def _cells(values: Any, ids: NDArray[np.str_], name: str) -> list[Any]:
    out = list(values)
    if len(out) != ids.shape[0]:  # pragma: no cover - tables keep columns aligned
        raise BatchError(f"has {len(out)} rows", field=name, expected=f"{ids.shape[0]} rows")
    return out


def _is_missing(cell: Any) -> bool:
    if cell is None:
        return True
    return isinstance(cell, float) and cell != cell


def _list_cell(cell: Any, name: str, post_id: str) -> list[Any] | None:
    if _is_missing(cell):
        return None
    if isinstance(cell, (str, bytes, Mapping)) or not isinstance(cell, Iterable):
        raise BatchError(
            f"cell is a {type(cell).__name__}", field=name, post_id=post_id, expected="a list"
        )
    return list(cell)


def _tags(values: Any, ids: NDArray[np.str_], name: str) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for post_id, cell in zip(ids.tolist(), _cells(values, ids, name), strict=True):
        items = _list_cell(cell, name, post_id) or []
        for tag in items:
            if not isinstance(tag, str) or not tag:
                raise BatchError(
                    f"holds {tag!r}", field=name, post_id=post_id, expected="non-empty strings"
                )
        rows.append(tuple(items))
    return rows


def _embeddings(values: Any, ids: NDArray[np.str_]) -> NDArray[np.float64] | None:
    cells = [
        _list_cell(cell, "embedding", pid)
        for pid, cell in zip(ids.tolist(), _cells(values, ids, "embedding"), strict=True)
    ]
    if all(c is None for c in cells):
        return None
    dim = len(next(c for c in cells if c is not None) or ())
    out = np.full((ids.shape[0], dim), np.nan)
    for row, cell in enumerate(cells):
        if cell is None:
            continue
        if len(cell) != dim or not cell:
            raise BatchError(
                f"has {len(cell)} dimensions",
                field="embedding",
                post_id=str(ids[row]),
                expected=f"{dim} numbers like the first embedded post",
            )
        try:
            out[row] = np.asarray(cell, dtype=np.float64)
        except (TypeError, ValueError):
            raise BatchError(
                "holds a value that is not a number",
                field="embedding",
                post_id=str(ids[row]),
                expected="numbers",
            ) from None
        if np.isnan(out[row]).any():
            raise BatchError(
                "holds NaN", field="embedding", post_id=str(ids[row]), expected="finite numbers"
            )
    return out


def _build(
    table: _Table,
    strings: Callable[[str, bool], NDArray[Any]],
    numbers: Callable[[str], NDArray[np.float64]],
    integers: Callable[[str], NDArray[Any]],
    times: Callable[[str], NDArray[Any]],
) -> PostBatch:
    names = table.names
    ids = np.asarray(strings("id", True))
    kwargs: dict[str, Any] = {
        "ids": ids,
        "author_ids": strings("author_id", True),
        "created_at": times("created_at"),
    }
    id_arr = ids.astype(np.str_) if ids.dtype == object and ids.size else ids
    counts = {n.split(".", 1)[1]: integers(n) for n in names if n.startswith("counts.")}
    if counts:
        kwargs["counts"] = counts
    features = {n.split(".", 1)[1]: numbers(n) for n in names if n.startswith("features.")}
    if features:
        kwargs["features"] = features
    for name in ("topics", "labels"):
        if name in names:
            kwargs[name] = _tags(table.get(name), id_arr, name)
    for name in _STRINGS:
        if name in names:
            kwargs[name] = strings(name, False)
    if "embedding" in names:
        kwargs["embeddings"] = _embeddings(table.get("embedding"), id_arr)
    if "author_followers" in names:
        kwargs["author_followers"] = numbers("author_followers")
    return PostBatch.from_columns(**kwargs)


def _object_strings(values: NDArray[Any], name: str, required: bool) -> NDArray[Any]:
    """An object array of str/None as strings ("" for None unless required)."""
    cells = values.tolist()
    for row, cell in enumerate(cells):
        if _is_missing(cell):
            if required:
                raise BatchError(
                    f"row {row} is empty", field=name, post_id=f"<row {row}>", expected="a string"
                )
            cells[row] = ""
        elif not isinstance(cell, str):
            raise BatchError(
                f"row {row} holds a {type(cell).__name__}",
                field=name,
                post_id=f"<row {row}>",
                expected="strings",
            )
    return np.array(cells, dtype=object) if cells else np.zeros(0, dtype="U1")


# ---------------------------------------------------------------- pandas
def batch_from_pandas(df: Any, *, ignore: Iterable[str] = ()) -> PostBatch:
    """A :class:`~feedrank.PostBatch` from a pandas DataFrame (columns in the module
    docstring). The index is not used. Raises BatchError naming the column and post."""
    pd = _require("pandas", "pandas")
    if not isinstance(df, pd.DataFrame):
        raise BatchError(f"got a {type(df).__name__}", field="df", expected="a pandas DataFrame")
    names = _check_names(list(df.columns), ignore)
    types = pd.api.types

    def strings(name: str, required: bool) -> NDArray[Any]:
        return _object_strings(df[name].to_numpy(dtype=object, na_value=None), name, required)

    def numbers(name: str) -> NDArray[np.float64]:
        column = df[name]
        if types.is_bool_dtype(column.dtype) or not types.is_numeric_dtype(column.dtype):
            raise BatchError(f"has dtype {column.dtype}", field=name, expected="numbers")
        return np.asarray(column.to_numpy(dtype=np.float64, na_value=np.nan))

    def integers(name: str) -> NDArray[Any]:
        column = df[name]
        if types.is_bool_dtype(column.dtype) or not types.is_numeric_dtype(column.dtype):
            raise BatchError(f"has dtype {column.dtype}", field=name, expected="integers >= 0")
        if types.is_integer_dtype(column.dtype) and not column.isna().any():
            return np.asarray(column.to_numpy(dtype=np.int64))
        return np.asarray(column.to_numpy(dtype=np.float64, na_value=np.nan))

    def times(name: str) -> NDArray[Any]:
        column = df[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            naive = column.dt.tz_convert("UTC").dt.tz_localize(None)
            return np.asarray(naive.to_numpy(dtype="datetime64[us]"))
        if types.is_datetime64_dtype(column.dtype):
            raise BatchError(
                "timestamps have no timezone",
                field=name,
                expected="timezone-aware timestamps (Series.dt.tz_localize('UTC')) or int64 µs",
            )
        if types.is_integer_dtype(column.dtype) and not types.is_bool_dtype(column.dtype):
            if column.isna().any():
                raise BatchError("missing timestamp", field=name, expected="a timestamp")
            return np.asarray(column.to_numpy(dtype=np.int64))
        raise BatchError(
            f"has dtype {column.dtype}",
            field=name,
            expected="timezone-aware timestamps or int64 microseconds since the epoch",
        )

    table = _Table(names, lambda name: df[name].tolist())
    return _build(table, strings, numbers, integers, times)


# ---------------------------------------------------------------- arrow
def batch_from_arrow(table: Any, *, ignore: Iterable[str] = ()) -> PostBatch:
    """A :class:`~feedrank.PostBatch` from a pyarrow Table (or RecordBatch) with the
    columns of the module docstring; timestamps must carry a timezone
    (``pa.timestamp("us", tz="UTC")``), lists are ``list<string>`` /
    ``list<double>``. Raises BatchError naming the column and post.

    >>> import pytest
    >>> pa = pytest.importorskip("pyarrow")
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> table = pa.table({"id": ["a"], "author_id": ["ann"], "created_at": [t],
    ...                   "counts.like": [4], "labels": [["spam"]]})
    >>> batch_from_arrow(table).labels.to_lists()
    [('spam',)]
    """
    pa = _require("pyarrow", "arrow")
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    if not isinstance(table, pa.Table):
        raise BatchError(f"got a {type(table).__name__}", field="table", expected="a pyarrow Table")
    names = _check_names(table.column_names, ignore)
    types = pa.types

    def column(name: str) -> Any:
        return table.column(name)

    def strings(name: str, required: bool) -> NDArray[Any]:
        col = column(name)
        if not (types.is_string(col.type) or types.is_large_string(col.type)) and not (
            types.is_null(col.type) and not required
        ):
            raise BatchError(f"has type {col.type}", field=name, expected="strings")
        return _object_strings(np.asarray(col.to_pylist(), dtype=object), name, required)

    def numbers(name: str) -> NDArray[np.float64]:
        col = column(name)
        if not (types.is_integer(col.type) or types.is_floating(col.type)):
            raise BatchError(f"has type {col.type}", field=name, expected="numbers")
        cells = [np.nan if v is None else v for v in col.to_pylist()]
        return np.asarray(cells, dtype=np.float64).reshape(-1)

    def integers(name: str) -> NDArray[Any]:
        col = column(name)
        if types.is_integer(col.type) and col.null_count == 0:
            return np.asarray(col.to_numpy(), dtype=np.int64)
        return numbers(name)

    def times(name: str) -> NDArray[Any]:
        col = column(name)
        if types.is_timestamp(col.type):
            if col.type.tz is None:
                raise BatchError(
                    "timestamps have no timezone",
                    field=name,
                    expected='pa.timestamp(unit, tz="UTC") or int64 µs',
                )
            if col.null_count:
                raise BatchError("missing timestamp", field=name, expected="a timestamp")
            return np.asarray(col.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_numpy())
        if types.is_integer(col.type):
            if col.null_count:
                raise BatchError("missing timestamp", field=name, expected="a timestamp")
            return np.asarray(col.to_numpy(), dtype=np.int64)
        raise BatchError(
            f"has type {col.type}",
            field=name,
            expected="timezone-aware timestamps or int64 microseconds since the epoch",
        )

    wrapped = _Table(names, lambda name: column(name).to_pylist())
    return _build(wrapped, strings, numbers, integers, times)


# ---------------------------------------------------------------- out
def ranking_to_pandas(
    ranking: Ranking, *, whole_feed: bool = False, include_removed: bool = False
) -> Any:
    """One row per ranked post, best first: ``rank`` (1-based), ``post_id``,
    ``author_id``, ``created_at`` (UTC), ``score``, ``tier``, then per term
    ``input.<term>`` and ``contribution.<term>``, then per factor ``factor.<name>``.

    The served page by default; ``whole_feed`` gives every kept post.
    ``include_removed`` appends the posts filters removed, with their
    ``removed_by`` reason (rank, tier and score parts missing); ``rank`` and
    ``tier`` are then nullable integers. Requires pandas.

    >>> import pytest
    >>> pd = pytest.importorskip("pandas")
    >>> from datetime import datetime, timezone
    >>> from feedrank import Context, Post, PostBatch, preset
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> batch = PostBatch.from_posts([Post(id="p", author_id="a", created_at=t)])
    >>> df = ranking_to_pandas(preset("chronological").rank(batch, Context.build(batch, now=t)))
    >>> df[["rank", "post_id", "contribution.recency"]].to_dict("records")
    [{'rank': 1, 'post_id': 'p', 'contribution.recency': 490896.0}]
    """
    pd = _require("pandas", "pandas")
    rows = ranking.order if whole_feed else ranking.page
    start = 0 if whole_feed else ranking.page_start
    cand = ranking.kept[rows]
    gone = np.flatnonzero(ranking.removed_reasons != "") if include_removed else rows[:0]
    k, r = rows.shape[0], gone.shape[0]
    batch = ranking.candidates
    both = np.concatenate([cand, gone])

    def part(values: NDArray[Any]) -> NDArray[np.float64]:
        return np.concatenate([values.astype(np.float64), np.full(r, np.nan)])

    rank = np.arange(start + 1, start + 1 + k, dtype=np.int64)
    data: dict[str, Any] = {
        "rank": rank,
        "post_id": batch.ids[both].astype(object),
        "author_id": batch.author_ids[both].astype(object),
        "created_at": pd.to_datetime(batch.created_at[both], unit="us", utc=True),
        "score": part(ranking.scores[rows]),
        "tier": ranking.tier[rows],
    }
    if include_removed:
        mask = np.concatenate([np.zeros(k, bool), np.ones(r, bool)])
        for name in ("rank", "tier"):
            filled = np.concatenate([data[name], np.zeros(r, np.int64)])
            data[name] = pd.arrays.IntegerArray(filled, mask)
    for j, term in enumerate(ranking.term_names):
        data[f"input.{term}"] = part(ranking.inputs[rows, j])
        data[f"contribution.{term}"] = part(ranking.contributions[rows, j])
    for j, factor in enumerate(ranking.factor_names):
        data[f"factor.{factor}"] = part(ranking.factors[rows, j])
    if include_removed:
        reasons = ranking.removed_reasons[gone].astype(object)
        data["removed_by"] = np.concatenate([np.full(k, None, dtype=object), reasons])
    return pd.DataFrame(data)
