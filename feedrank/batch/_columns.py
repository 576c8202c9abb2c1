"""Column validation for :class:`~feedrank.PostBatch`: every check is vectorised
and names the column and the first offending post."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.segments import segment_of_rows, string_hash
from feedrank.batch.tags import Tags
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


def _first_bad(mask: Any, ids: NDArray[np.str_] | None) -> str | None:
    row = int(np.argmax(np.asarray(mask)))
    if ids is None or ids.shape[0] <= row:
        return f"<row {row}>"
    return str(ids[row])


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


def _string_column(values: Any, name: str, ids: NDArray[np.str_] | None) -> NDArray[np.str_]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise BatchError(f"has shape {arr.shape}", field=name, expected="a one-dimensional array")
    _check_length(arr, name, ids)
    if arr.shape[0] == 0:
        return np.zeros(0, dtype="U1")
    if arr.dtype.kind == "U":
        return arr
    if arr.dtype.kind == "T" or (
        arr.dtype == object and all(isinstance(v, str) for v in arr.tolist())
    ):
        # Fixed-width unicode (the fast path, dtype 'U') drops trailing NUL
        # characters; strings arriving as objects are checked so none is altered.
        lost = np.fromiter(("\x00" in s for s in arr.tolist()), dtype=bool, count=arr.shape[0])
        if np.any(lost):
            raise BatchError(
                "string ends with a NUL character",
                field=name,
                post_id=_first_bad(lost, ids),
                expected="strings without NUL characters",
            )
        return arr.astype(np.str_)
    raise BatchError(f"has dtype {arr.dtype}", field=name, expected="an array of strings")


def _optional_strings(values: Any, name: str, ids: NDArray[np.str_]) -> NDArray[np.str_]:
    if values is None:
        return np.zeros(ids.shape[0], dtype="U1")
    arr = np.asarray(values)
    if arr.dtype == object:
        arr = np.where(arr == np.array(None), "", arr)
    return _string_column(arr, name, ids)


def _text_column(values: Any, name: str, ids: NDArray[np.str_]) -> NDArray[Any]:
    if values is None:
        return np.full(ids.shape[0], "", dtype=TEXT)
    arr = np.asarray(values)
    if arr.dtype == object:
        arr = np.where(arr == np.array(None), "", arr)
    _check_length(arr, name, ids)
    if arr.dtype.kind not in "UT" and not (arr.dtype == object and arr.size == 0):
        if arr.dtype == object and all(isinstance(v, str) for v in arr.tolist()):
            return arr.astype(TEXT)
        raise BatchError(f"has dtype {arr.dtype}", field=name, expected="an array of strings")
    return arr.astype(TEXT)


_INT64_MAX = np.iinfo(np.int64).max


def _check_int64_range(arr: NDArray[Any], name: str, ids: NDArray[np.str_]) -> None:
    if arr.dtype.kind == "u" and arr.size and arr.dtype.itemsize >= 8:
        too_big = arr > _INT64_MAX
        if np.any(too_big):
            rows = too_big.reshape(arr.shape[0], -1).any(axis=1)
            raise BatchError(
                "value exceeds the int64 range",
                field=name,
                post_id=_first_bad(rows, ids),
                expected=f"integers <= {_INT64_MAX}",
            )


def _time_column(values: Any, ids: NDArray[np.str_]) -> NDArray[np.int64]:
    arr = np.asarray(values)
    _check_length(arr, "created_at", ids)
    if arr.ndim != 1:
        raise BatchError(
            f"has shape {arr.shape}", field="created_at", expected="a one-dimensional array"
        )
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind == "M":
        if np.any(np.isnat(arr)):
            raise BatchError(
                "NaT timestamp",
                field="created_at",
                post_id=_first_bad(np.isnat(arr), ids),
                expected="a timestamp",
            )
        return arr.astype("datetime64[us]").astype(np.int64)
    if arr.dtype.kind in "iu":
        _check_int64_range(arr, "created_at", ids)
        return arr.astype(np.int64)
    raise BatchError(
        f"has dtype {arr.dtype}",
        field="created_at",
        expected="int64 microseconds since the epoch (UTC) or datetime64",
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
            name = f"counts.{InteractionKind(kind).value}"
            _check_length(arr, name, ids)
            _check_counts(arr, name, ids)
            out[:, col] = arr
        return out
    arr = np.asarray(counts)
    if arr.shape != (n, len(KINDS)):
        raise BatchError(
            f"has shape {arr.shape}", field="counts", expected=f"shape ({n}, {len(KINDS)})"
        )
    _check_counts(arr, "counts", ids)
    return arr.astype(np.int64, copy=False)


def _check_counts(arr: NDArray[Any], name: str, ids: NDArray[np.str_]) -> None:
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            bad = ~np.isfinite(arr)
            row = int(np.argmax(bad.reshape(bad.shape[0], -1).any(axis=1)))
            raise BatchError(
                "NaN or inf count", field=name, post_id=str(ids[row]), expected="integers >= 0"
            )
        if np.any(arr != np.floor(arr)):
            row = int(np.argmax((arr != np.floor(arr)).reshape(arr.shape[0], -1).any(axis=1)))
            raise BatchError(
                "fractional count", field=name, post_id=str(ids[row]), expected="integers >= 0"
            )
    elif arr.dtype.kind not in "iu":
        raise BatchError(f"has dtype {arr.dtype}", field=name, expected="integers >= 0")
    _check_int64_range(arr, name, ids)
    if arr.dtype.kind == "f" and np.any(arr > _INT64_MAX):
        rows = (arr > _INT64_MAX).reshape(arr.shape[0], -1).any(axis=1)
        raise BatchError(
            "count exceeds the int64 range",
            field=name,
            post_id=_first_bad(rows, ids),
            expected=f"integers <= {_INT64_MAX}",
        )
    negative = arr < 0
    if np.any(negative):
        rows = negative.reshape(arr.shape[0], -1).any(axis=1)
        row = int(np.argmax(rows))
        column = name
        if arr.ndim == 2:
            column = f"counts.{KINDS[int(np.argmax(negative[row]))].value}"
        raise BatchError(
            "negative count", field=column, post_id=str(ids[row]), expected="integers >= 0"
        )


def _tags_column(values: Any, name: str, ids: NDArray[np.str_]) -> Tags:
    if values is None:
        return Tags.empty(ids.shape[0])
    tags = values if isinstance(values, Tags) else Tags.from_lists(list(values))
    if len(tags) != ids.shape[0]:
        raise BatchError(
            f"has {len(tags)} rows but ids has {ids.shape[0]}",
            field=name,
            expected=f"{ids.shape[0]} rows",
        )
    return tags


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
