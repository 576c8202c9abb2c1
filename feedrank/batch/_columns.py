"""Column validation for :class:`~feedrank.PostBatch`: every check is vectorised
and names the column and the first offending post."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank._time import MAX_MICROS, MIN_MICROS, TIME_RANGE
from feedrank.batch.segments import segment_of_rows, string_hash
from feedrank.batch.tags import Tags, _row_name
from feedrank.errors import BatchError
from feedrank.models import Author, InteractionKind

__all__ = ["KINDS", "TEXT", "kind_index"]

KINDS: tuple[InteractionKind, ...] = tuple(InteractionKind)
"""Column order of :attr:`PostBatch.counts`."""
_KIND_INDEX: dict[str, int] = {kind: i for i, kind in enumerate(KINDS)}
TEXT = np.dtypes.StringDType()


def kind_index(kind: InteractionKind | str, *, field: str = "kind") -> int:
    """Column of ``kind`` in :attr:`PostBatch.counts`; raises BatchError if unknown."""
    index = _KIND_INDEX.get(kind)
    if index is not None:
        return index
    try:
        return _KIND_INDEX[InteractionKind(kind)]
    except ValueError:
        raise BatchError(
            f"unknown interaction kind {kind!r}",
            field=field,
            expected="one of " + ", ".join(k.value for k in KINDS),
        ) from None


def _unicode(values: Sequence[str]) -> NDArray[np.str_]:
    return np.array(values, dtype=np.str_) if values else np.zeros(0, dtype="U1")


def _first_bad(mask: Any, ids: NDArray[np.str_] | None) -> str:
    """The post id (or ``<row i>``) of the first True of ``mask``."""
    return _row_name(int(np.argmax(np.asarray(mask))), ids)


def _check_length(arr: NDArray[Any], name: str, ids: NDArray[np.str_] | None) -> None:
    if arr.ndim == 0:
        raise BatchError("got a scalar", field=name, expected="a one-dimensional array")
    if ids is not None and arr.shape[0] != ids.shape[0]:
        raise BatchError(
            f"has {arr.shape[0]} rows but ids has {ids.shape[0]}",
            field=name,
            expected=f"{ids.shape[0]} rows",
        )


def _check_unique(ids: NDArray[np.str_], offsets: NDArray[np.intp] | None = None) -> None:
    """Raise BatchError on a repeated id (within a segment, when ``offsets`` is given).

    Large arrays are checked on 64-bit hashes of the ids (an integer sort instead
    of a string sort); any pair of equal hashes sends the check to the exact
    string sort, so the outcome and the error message are the same either way.
    """
    n = ids.shape[0]
    if n < 2:
        return
    if (n > 8192 or offsets is not None) and ids.dtype.kind == "U":
        h = string_hash(ids)
        if offsets is not None:
            seg = segment_of_rows(offsets).astype(np.uint64)
            h = h ^ (seg * np.uint64(0xD6E8FEB86659FD93) + np.uint64(0x2545F4914F6CDD1D))
        h.sort()
        if not np.any(h[1:] == h[:-1]):
            return
    if offsets is None:
        _check_sorted(np.sort(ids))
        return
    for start, stop in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True):
        if stop - start > 1:
            _check_sorted(np.sort(ids[start:stop]))


def _check_sorted(ordered: NDArray[np.str_]) -> None:
    dup = ordered[1:] == ordered[:-1]
    if np.any(dup):
        raise BatchError(
            "duplicate post id",
            field="ids",
            post_id=str(ordered[1:][dup][0]),
            expected="unique post ids",
        )


def _strings(values: Any, name: str, ids: NDArray[np.str_] | None) -> NDArray[Any]:
    """``values`` as a one-dimensional array of strings: dtype 'U' or 'T', or an
    object array holding only ``str`` (None, where allowed, already replaced).

    A list never goes through numpy's fixed-width unicode on its own, which would
    drop trailing NUL characters and turn numbers into strings without a word.
    """
    if isinstance(values, (str, bytes)):
        raise BatchError(
            f"got a single {type(values).__name__}",
            field=name,
            expected="an array of strings, one per post",
        )
    if isinstance(values, np.ndarray):
        arr = values
    else:
        items = list(values)
        arr = np.empty(len(items), dtype=object)
        arr[:] = items
    if arr.ndim != 1:
        raise BatchError(f"has shape {arr.shape}", field=name, expected="a one-dimensional array")
    _check_length(arr, name, ids)
    if arr.dtype == object:
        cells = arr.tolist()
        row = next((i for i, v in enumerate(cells) if not isinstance(v, str)), None)
        if row is not None:
            raise BatchError(
                f"holds {cells[row]!r} of type {type(cells[row]).__name__}",
                field=name,
                post_id=_row_name(row, ids),
                expected="strings",
            )
    elif arr.dtype.kind not in "UT" and arr.size:
        raise BatchError(f"has dtype {arr.dtype}", field=name, expected="an array of strings")
    return arr


def _without_none(values: Any) -> Any:
    """``values`` with None (a missing optional string) as ""."""
    if values is None or isinstance(values, (str, bytes)):
        return values
    if isinstance(values, np.ndarray):
        if values.dtype != object:
            return values
        return np.where(values == np.array(None), "", values)
    return ["" if v is None else v for v in values]


def _nul_rows(arr: NDArray[Any]) -> NDArray[np.bool_] | None:
    """Rows holding a NUL character, or None when no row does."""
    if arr.dtype.kind == "U":
        # Fixed-width unicode pads with NUL: a row holds one of its own when it has
        # more zero code points than padding. One count over the whole array first.
        width = arr.dtype.itemsize // 4
        codes = np.ascontiguousarray(arr).view(np.uint32).reshape(arr.shape[0], width)
        lengths = np.char.str_len(arr)
        if np.count_nonzero(codes) == int(lengths.sum()):
            return None
        return np.asarray(np.count_nonzero(codes, axis=1) != lengths, dtype=bool)
    cells = arr.tolist()
    if "\x00" not in "".join(cells):
        return None
    return np.fromiter(("\x00" in s for s in cells), dtype=bool, count=len(cells))


def _string_column(values: Any, name: str, ids: NDArray[np.str_] | None) -> NDArray[np.str_]:
    """An id-like column as fixed-width unicode, refusing NUL characters (which
    fixed-width storage would drop or that would end an id early)."""
    arr = _strings(values, name, ids)
    if arr.shape[0] == 0:
        return np.zeros(0, dtype="U1")
    nul = _nul_rows(arr)
    if nul is not None:
        raise BatchError(
            "string holds a NUL character",
            field=name,
            post_id=_first_bad(nul, ids),
            expected="strings without NUL characters",
        )
    return arr if arr.dtype.kind == "U" else arr.astype(np.str_)


def _optional_strings(values: Any, name: str, ids: NDArray[np.str_]) -> NDArray[np.str_]:
    if values is None:
        return np.zeros(ids.shape[0], dtype="U1")
    return _string_column(_without_none(values), name, ids)


def _text_column(values: Any, name: str, ids: NDArray[np.str_]) -> NDArray[Any]:
    if values is None:
        return np.full(ids.shape[0], "", dtype=TEXT)
    return _strings(_without_none(values), name, ids).astype(TEXT)


_INT64_MAX = int(np.iinfo(np.int64).max)
_TIME_UNITS = {"s": 1_000_000, "ms": 1_000, "us": 1}
"""Microseconds per unit of an integer ``created_at``."""
_UNIT_NAMES = {"s": "seconds", "ms": "milliseconds", "us": "microseconds"}
_FINE_UNITS = frozenset({"ns", "ps", "fs", "as"})
"""datetime64 units finer than a microsecond."""


def _float_bound(bound: int, direction: float) -> float:
    """The float nearest ``bound`` that does not pass it (towards ``direction``)."""
    out = float(bound)
    if (out > bound and direction < 0) or (out < bound and direction > 0):
        out = float(np.nextafter(out, direction))
    return out


def _outside(arr: NDArray[Any], low: int, high: int, *, floats: bool) -> NDArray[np.bool_] | None:
    """Where ``arr`` is not an integer in [low, high] (same shape as ``arr``), or
    None when its dtype cannot hold integers (bool, strings, floats unless
    ``floats``). Object arrays (Python ints beyond 64 bits) are read cell by cell."""
    kind = arr.dtype.kind
    if kind == "f" and floats:
        with np.errstate(invalid="ignore"):
            return np.asarray(
                ~np.isfinite(arr)
                | (arr != np.floor(arr))
                | (arr < _float_bound(low, np.inf))
                | (arr > _float_bound(high, -np.inf)),
                dtype=bool,
            )
    if kind in "iu":
        info = np.iinfo(arr.dtype)
        bad = np.zeros(arr.shape, dtype=bool)
        if low > int(info.min):
            bad |= arr < low
        if high < int(info.max):
            bad |= arr > high
        return bad
    if kind == "O":
        flat = arr.reshape(-1).tolist()
        ok = (
            isinstance(v, (int, np.integer))
            and not isinstance(v, (bool, np.bool_))
            and low <= int(v) <= high
            for v in flat
        )
        return ~np.fromiter(ok, dtype=bool, count=len(flat)).reshape(arr.shape)
    return None


def _describe(value: Any, what: str, low: int, high: int) -> str:
    """What is wrong with ``value``, a cell :func:`_outside` flagged."""
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return f"NaN or inf {what}"
        if value != np.floor(value):
            return f"fractional {what} {float(value)!r}"
    elif not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        return f"{what} {value!r} is a {type(value).__name__}"
    if value < low:
        return f"negative {what} {value}" if low == 0 else f"{what} {value} is below {low}"
    return f"{what} {value} exceeds {high}"


def _first_cell(bad: NDArray[np.bool_]) -> tuple[int, int]:
    """(row, column) of the first True of a (n,) or (n, k) mask (column 0 if 1-D)."""
    if bad.ndim == 1:
        return int(np.argmax(bad)), 0
    row = int(np.argmax(bad.any(axis=1)))
    return row, int(np.argmax(bad[row]))


def _time_column(values: Any, ids: NDArray[np.str_], unit: str | None) -> NDArray[np.int64]:
    """``created_at`` as int64 microseconds since the epoch: integers in ``unit``
    (microseconds unless told), or datetime64; every time one a datetime can hold."""
    if unit is not None and unit not in _TIME_UNITS:
        raise BatchError(
            f"unknown unit {unit!r}", field="created_at_unit", expected="'s', 'ms' or 'us'"
        )
    arr = np.asarray(values)
    _check_length(arr, "created_at", ids)
    if arr.ndim != 1:
        raise BatchError(
            f"has shape {arr.shape}", field="created_at", expected="a one-dimensional array"
        )
    if arr.dtype.kind == "M":
        if unit is not None:
            raise BatchError(
                f"created_at_unit={unit!r} given with datetime64 times",
                field="created_at_unit",
                expected="no unit: datetime64 carries its own",
            )
        return _datetime64_micros(arr, ids)
    unit = unit or "us"
    per = _TIME_UNITS[unit]
    low, high = -(-MIN_MICROS // per), MAX_MICROS // per
    expected = (
        f"integer {_UNIT_NAMES[unit]} since the epoch (UTC) from {low} to {high} "
        "(0001-01-01 to 9999-12-31), or datetime64"
    )
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    bad = _outside(arr, low, high, floats=False)
    if bad is None:
        raise BatchError(f"has dtype {arr.dtype}", field="created_at", expected=expected)
    if np.any(bad):
        row = int(np.argmax(bad))
        raise BatchError(
            _describe(arr[row], "time", low, high),
            field="created_at",
            post_id=_row_name(row, ids),
            expected=expected,
        )
    out = arr.astype(np.int64)
    return out if per == 1 else out * np.int64(per)


def _datetime64_micros(arr: NDArray[Any], ids: NDArray[np.str_]) -> NDArray[np.int64]:
    """datetime64 of any unit as int64 µs; NaT, times a datetime cannot hold and
    sub-microsecond parts are refused (nothing is rounded away)."""
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    nat = np.isnat(arr)
    if np.any(nat):
        raise BatchError(
            "NaT timestamp",
            field="created_at",
            post_id=_first_bad(nat, ids),
            expected="a timestamp",
        )
    unit = np.datetime_data(arr.dtype)[0]
    ticks = arr.view(np.int64)
    if unit not in _FINE_UNITS:
        # Compare in the array's own unit first: converting a far-away time to
        # microseconds would overflow without a word.
        low = int(np.datetime64(MIN_MICROS, "us").astype(arr.dtype).view(np.int64))
        high = int(np.datetime64(MAX_MICROS, "us").astype(arr.dtype).view(np.int64))
        _refuse_times((ticks < low) | (ticks > high), arr, ids)
    micros = arr.astype("datetime64[us]")
    if unit in _FINE_UNITS:
        lost = micros.astype(arr.dtype) != arr
        if np.any(lost):
            row = int(np.argmax(lost))
            raise BatchError(
                f"time {arr[row]} has a fraction of a microsecond",
                field="created_at",
                post_id=_row_name(row, ids),
                expected="whole microseconds (round first, e.g. .astype('datetime64[us]'))",
            )
    out: NDArray[np.int64] = micros.view(np.int64)
    _refuse_times((out < MIN_MICROS) | (out > MAX_MICROS), arr, ids)
    return out


def _refuse_times(bad: NDArray[np.bool_], arr: NDArray[Any], ids: NDArray[np.str_]) -> None:
    if np.any(bad):
        row = int(np.argmax(bad))
        raise BatchError(
            f"time {arr[row]} is out of range",
            field="created_at",
            post_id=_row_name(row, ids),
            expected=TIME_RANGE,
        )


def _float_column(
    values: Any, name: str, ids: NDArray[np.str_], *, allow_nan: bool
) -> NDArray[np.float64]:
    arr = np.asarray(values)
    _check_length(arr, name, ids)
    if arr.ndim != 1:
        raise BatchError(f"has shape {arr.shape}", field=name, expected="a one-dimensional array")
    if arr.dtype.kind not in "iuf":
        raise BatchError(f"has dtype {arr.dtype}", field=name, expected="a numeric array")
    out = arr.astype(np.float64, copy=False)
    bad = np.isinf(out) if allow_nan else ~np.isfinite(out)
    if np.any(bad):
        row = int(np.argmax(bad))
        raise BatchError(
            f"value {out[row]}",
            field=name,
            post_id=str(ids[row]),
            expected="a finite number" + (" (NaN marks a missing value)" if allow_nan else ""),
        )
    return out


def _count_matrix(counts: Any, ids: NDArray[np.str_]) -> NDArray[np.int64]:
    n = ids.shape[0]
    if counts is None:
        return np.zeros((n, len(KINDS)), dtype=np.int64)
    if isinstance(counts, Mapping):
        out = np.zeros((n, len(KINDS)), dtype=np.int64)
        for kind, values in counts.items():
            col = kind_index(kind, field=f"counts.{kind}")
            arr = np.asarray(values)
            name = f"counts.{KINDS[col].value}"
            _check_length(arr, name, ids)
            out[:, col] = _counts(arr, name, ids)
        return out
    arr = np.asarray(counts)
    if arr.shape != (n, len(KINDS)):
        raise BatchError(
            f"has shape {arr.shape}", field="counts", expected=f"shape ({n}, {len(KINDS)})"
        )
    return _counts(arr, "counts", ids)


def _counts(arr: NDArray[Any], name: str, ids: NDArray[np.str_]) -> NDArray[np.int64]:
    """Counts as int64: integers (integral floats too) from 0 to 2**63 - 1, nothing
    wrapped around; errors name the kind's column and the first offending post."""
    expected = f"integers from 0 to {_INT64_MAX}"
    bad = _outside(arr, 0, _INT64_MAX, floats=True)
    if bad is None:
        raise BatchError(f"has dtype {arr.dtype}", field=name, expected=expected)
    if np.any(bad):
        row, col = _first_cell(bad)
        value = arr[row] if arr.ndim == 1 else arr[row, col]
        raise BatchError(
            _describe(value, "count", 0, _INT64_MAX),
            field=f"counts.{KINDS[col].value}" if arr.ndim == 2 else name,
            post_id=_row_name(row, ids),
            expected=expected,
        )
    return arr.astype(np.int64, copy=False)


def _attribute_tags(author_ids: list[str], authors: Iterable[Author]) -> Tags:
    """Each post's author attributes as ``"key=value"`` tags (a key holding "="
    would be ambiguous and is refused)."""
    attributes: dict[str, tuple[str, ...]] = {}
    for author in authors:
        for key in author.attributes:
            if "=" in key or not key:
                raise BatchError(
                    f"attribute name {key!r} is empty or holds '='",
                    field="attributes",
                    expected="attribute names without '='",
                    post_id=f"<author {author.id}>",
                )
        attributes[author.id] = tuple(f"{k}={v}" for k, v in author.attributes.items())
    if not any(attributes.values()):
        return Tags.empty(len(author_ids))
    return Tags.from_lists([attributes.get(a, ()) for a in author_ids], field="attributes")


def _tags_column(values: Any, name: str, ids: NDArray[np.str_]) -> Tags:
    if values is None:
        return Tags.empty(ids.shape[0])
    if isinstance(values, (str, bytes)):
        raise BatchError(
            f"got a single {type(values).__name__}",
            field=name,
            expected="one list of strings per post",
        )
    rows = values if isinstance(values, Tags) else list(values)
    if len(rows) != ids.shape[0]:
        raise BatchError(
            f"has {len(rows)} rows but ids has {ids.shape[0]}",
            field=name,
            expected=f"{ids.shape[0]} rows",
        )
    return rows if isinstance(rows, Tags) else Tags.from_lists(rows, field=name, ids=ids)


def _embedding_matrix(
    values: Any, ids: NDArray[np.str_]
) -> tuple[NDArray[np.float64] | None, NDArray[np.bool_]]:
    n = ids.shape[0]
    if values is None:
        return None, np.zeros(n, dtype=bool)
    arr = np.asarray(values)
    if arr.ndim != 2 or arr.shape[0] != n or arr.dtype.kind not in "iuf":
        raise BatchError(
            f"has shape {arr.shape} and dtype {arr.dtype}",
            field="embeddings",
            expected=f"a numeric array of shape ({n}, d)",
        )
    out = arr.astype(np.float64, copy=False)
    nan_rows = np.isnan(out)
    has = np.asarray(~nan_rows.all(axis=1), dtype=bool)
    bad = np.asarray((nan_rows.any(axis=1) & has) | np.isinf(out).any(axis=1), dtype=bool)
    if np.any(bad):
        raise BatchError(
            "embedding holds inf or a partial NaN row",
            field="embeddings",
            post_id=_first_bad(bad, ids),
            expected="finite rows, or an all-NaN row for a post without embedding",
        )
    return np.where(has[:, None], out, 0.0), has


def _followers(author_ids: Sequence[str], authors: Iterable[Author]) -> NDArray[np.float64]:
    known = {a.id: float(a.followers) for a in authors}
    return np.fromiter(
        (known.get(a, np.nan) for a in author_ids), dtype=np.float64, count=len(author_ids)
    )
