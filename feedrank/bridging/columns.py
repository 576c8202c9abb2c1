"""The input columns of a bridging fit: rater and item ids and ratings, checked,
and the positions of ids among a fit's sorted ids."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError

__all__ = [
    "HELPFULNESS_VALUES",
    "check_pairs",
    "id_column",
    "lookup",
    "positions",
    "rating_column",
    "rating_count",
]

HELPFULNESS_VALUES: Mapping[str, float] = MappingProxyType(
    {"helpful": 1.0, "somewhat_helpful": 0.5, "not_helpful": 0.0}
)
"""The documented mapping of rating answers to numbers (Yes, Somewhat, No)."""


def _one_dimensional(values: Any, field: str) -> NDArray[Any]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InputError(
            f"{field} has shape {arr.shape}", field=field, expected="a one-dimensional array"
        )
    return arr


def rating_count(values: Any, field: str) -> int:
    """K, the number of ratings: the length of the one-dimensional, non-empty ``values``."""
    arr = _one_dimensional(values, field)
    if arr.shape[0] == 0:
        raise InputError("no ratings to fit", field=field, expected="at least one rating")
    return int(arr.shape[0])


def id_column(
    values: Any, field: str, length: int | None, against: str = "ratings"
) -> NDArray[np.str_]:
    """Ids as a unicode array of shape (length,), validated; ``against`` names the
    column whose length must match."""
    arr = _one_dimensional(values, field)
    if length is not None and arr.shape[0] != length:
        raise InputError(
            f"{field} has {arr.shape[0]} values but {against} has {length}",
            field=field,
            expected=f"{length} values, one per entry of {against}",
        )
    if arr.dtype.kind == "O":
        is_id = np.frompyfunc(lambda v: isinstance(v, (str, int)) and not isinstance(v, bool), 1, 1)
        ok = is_id(arr).astype(bool) if arr.shape[0] else np.zeros(0, dtype=bool)
        if not np.all(ok):
            row = int(np.argmin(ok))
            raise InputError(
                f"{field}[{row}] is {arr[row]!r}",
                field=field,
                expected="string or integer ids",
            )
    elif arr.dtype.kind not in "UiuT" and arr.shape[0]:
        raise InputError(
            f"{field} has dtype {arr.dtype}", field=field, expected="string or integer ids"
        )
    ids = arr.astype(np.str_) if arr.shape[0] else np.zeros(0, dtype="U1")
    empty = np.char.str_len(ids) == 0
    if np.any(empty):
        row = int(np.argmax(empty))
        raise InputError(f"{field}[{row}] is an empty id", field=field, expected="non-empty ids")
    return ids


def rating_column(
    values: Any, raters: NDArray[np.str_], items: NDArray[np.str_]
) -> NDArray[np.float64]:
    """Ratings as float64 in [0, 1], validated; an error names the rating's row,
    rater and item."""
    arr = np.asarray(values)
    expected = "a number in [0, 1] (Helpful 1.0, Somewhat 0.5, Not helpful 0.0)"
    if arr.dtype.kind not in "iuf":
        is_number = np.frompyfunc(
            lambda v: (
                isinstance(v, (int, float, np.integer, np.floating))
                and not isinstance(v, (bool, np.bool_))
            ),
            1,
            1,
        )
        ok = is_number(arr.astype(object)).astype(bool)
        row = int(np.argmin(ok)) if not np.all(ok) else 0
        raise InputError(
            f"rating #{row} by rater {str(raters[row])!r} is {arr[row]!r}",
            field="ratings",
            post_id=str(items[row]),
            expected=expected
            + ("; fit_bridging_triples reads answer names" if arr.dtype.kind in "UT" else ""),
        )
    out = arr.astype(np.float64)
    bad = ~(np.isfinite(out) & (out >= 0.0) & (out <= 1.0))
    if np.any(bad):
        row = int(np.argmax(bad))
        raise InputError(
            f"rating #{row} by rater {str(raters[row])!r} is {out[row]!r}",
            field="ratings",
            post_id=str(items[row]),
            expected=expected,
        )
    return out


def check_pairs(
    rater_idx: NDArray[np.intp],
    item_idx: NDArray[np.intp],
    n_items: int,
    raters: NDArray[np.str_],
    items: NDArray[np.str_],
) -> None:
    """Reject a (rater, item) pair that appears twice, naming both rows."""
    key = rater_idx.astype(np.int64) * n_items + item_idx
    order = np.argsort(key, kind="stable")
    same = key[order][1:] == key[order][:-1]
    if np.any(same):
        first = int(np.argmax(same))
        a, b = sorted((int(order[first]), int(order[first + 1])))
        raise InputError(
            f"rater {str(raters[a])!r} rated this item twice (ratings #{a} and #{b})",
            field="ratings",
            post_id=str(items[a]),
            expected="one rating per (rater, item) pair",
        )


def positions(sorted_ids: NDArray[np.str_], wanted: NDArray[np.str_]) -> NDArray[np.intp]:
    """Index of each ``wanted`` id in ``sorted_ids`` (sorted, unique), or -1."""
    if sorted_ids.shape[0] == 0 or wanted.shape[0] == 0:
        return np.full(wanted.shape[0], -1, dtype=np.intp)
    pos = np.minimum(np.searchsorted(sorted_ids, wanted), sorted_ids.shape[0] - 1)
    return np.where(sorted_ids[pos] == wanted, pos, -1).astype(np.intp)


def lookup(sorted_ids: NDArray[np.str_], wanted: NDArray[np.str_], field: str) -> NDArray[np.intp]:
    """Index of each ``wanted`` id in ``sorted_ids``; an id not there raises
    :class:`~feedrank.InputError` naming ``field``."""
    pos = positions(sorted_ids, wanted)
    if np.any(pos < 0):
        row = int(np.argmax(pos < 0))
        raise InputError(
            f"{field}[{row}] {str(wanted[row])!r} is not in the fitted model",
            field=field,
            expected="ids that were rated in the fit",
        )
    return pos
