"""The input columns of a detection: accounts, posts, kinds and times, checked and
coded (all in :mod:`feedrank.coordination`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank._time import to_micros
from feedrank.batch.posts import KINDS
from feedrank.bridging.columns import id_column
from feedrank.errors import InputError
from feedrank.models import Interaction

__all__ = ["Columns", "interaction_columns", "read_columns"]

_KIND_VALUES = np.array([k.value for k in KINDS])
_TIMES = "integer microseconds since 1970-01-01 UTC, or numpy datetime64 values"


@dataclass(frozen=True, eq=False)
class Columns:
    """Coded interactions (K rows): ``account``, ``post``, ``kind`` (index into
    ``KINDS``), ndarray (K,), intp; ``micros``, ndarray (K,), int64; the sorted
    unique ``account_ids`` and ``post_ids`` the codes index."""

    account: NDArray[np.intp]
    post: NDArray[np.intp]
    kind: NDArray[np.intp]
    micros: NDArray[np.int64]
    account_ids: NDArray[np.str_]
    post_ids: NDArray[np.str_]

    def __len__(self) -> int:
        return int(self.account.shape[0])


def _kinds(values: Any, length: int) -> NDArray[np.intp]:
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] != length:
        raise InputError(
            f"kinds has shape {arr.shape}",
            field="kinds",
            expected=f"{length} values, one per entry of accounts",
        )
    if arr.dtype.kind == "O":
        arr = np.array([getattr(v, "value", v) for v in arr.tolist()], dtype=object)
        not_text = [i for i, v in enumerate(arr.tolist()) if not isinstance(v, str)][:1]
        if not_text:
            row = not_text[0]
            raise InputError(
                f"kinds[{row}] is {arr[row]!r}",
                field="kinds",
                expected="interaction kinds such as 'like' or 'report'",
            )
        arr = arr.astype(np.str_)
    elif arr.dtype.kind not in "UT" and length:
        raise InputError(
            f"kinds has dtype {arr.dtype}", field="kinds", expected="interaction kind names"
        )
    values_u, inverse = np.unique(arr.astype(np.str_), return_inverse=True)
    order = np.argsort(_KIND_VALUES)
    pos = np.searchsorted(_KIND_VALUES[order], values_u)
    pos = np.minimum(pos, len(KINDS) - 1)
    found = _KIND_VALUES[order][pos] == values_u
    if not np.all(found):
        bad = str(values_u[int(np.argmin(found))])
        row = int(np.argmax(arr.astype(np.str_) == bad))
        raise InputError(
            f"kinds[{row}] is {bad!r}",
            field="kinds",
            expected="one of " + ", ".join(str(v) for v in _KIND_VALUES),
        )
    out: NDArray[np.intp] = order[pos][inverse.reshape(-1)].astype(np.intp)
    return out


def _times(values: Any, length: int) -> NDArray[np.int64]:
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] != length:
        raise InputError(
            f"times has shape {arr.shape}",
            field="times",
            expected=f"{length} values, one per entry of accounts",
        )
    if arr.dtype.kind == "M":
        nat = np.isnat(arr)
        if nat.any():
            row = int(np.argmax(nat))
            raise InputError(f"times[{row}] is NaT", field="times", expected=_TIMES)
        return arr.astype("datetime64[us]").astype(np.int64)
    if arr.dtype.kind not in "iu" and length:
        raise InputError(f"times has dtype {arr.dtype}", field="times", expected=_TIMES)
    return arr.astype(np.int64)


def read_columns(accounts: Any, posts: Any, kinds: Any, times: Any) -> Columns:
    """Check and code the four columns (InputError naming the column and row)."""
    acc = id_column(accounts, "accounts", None)
    k = int(acc.shape[0])
    pst = id_column(posts, "posts", k, "accounts")
    kind = _kinds(kinds, k)
    micros = _times(times, k)
    account_ids, a = np.unique(acc, return_inverse=True)
    post_ids, p = np.unique(pst, return_inverse=True)
    return Columns(
        account=a.reshape(-1).astype(np.intp),
        post=p.reshape(-1).astype(np.intp),
        kind=kind,
        micros=micros,
        account_ids=account_ids.astype(np.str_),
        post_ids=post_ids.astype(np.str_),
    )


def interaction_columns(
    interactions: Iterable[Interaction],
) -> tuple[list[str], list[str], list[str], NDArray[np.int64]]:
    """Accounts (viewer ids), posts, kind names and times (µs) of validated
    :class:`~feedrank.Interaction` records."""
    accounts: list[str] = []
    posts: list[str] = []
    kinds: list[str] = []
    micros: list[int] = []
    for row, item in enumerate(interactions):
        if not isinstance(item, Interaction):
            raise InputError(
                f"interaction #{row} is {type(item).__name__}",
                field="interactions",
                expected="feedrank.Interaction records",
            )
        accounts.append(item.viewer_id)
        posts.append(item.post_id)
        kinds.append(item.kind.value)
        micros.append(to_micros(item.at, field="at"))
    return accounts, posts, kinds, np.array(micros, dtype=np.int64)
