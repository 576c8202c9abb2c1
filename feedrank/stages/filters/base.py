"""The Filter contract and its registry.

A filter returns one reason per post: "" keeps the post, anything else removes
it and is recorded (``blocked_author``, ``seen``, ``older_than:48h``, ...).
Filters are idempotent: applied to their own output they remove nothing more.
"""

from __future__ import annotations

from typing import Annotated, Any, NamedTuple, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BeforeValidator, SerializeAsAny

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.errors import RankingError
from feedrank.stages.components import Component, Registry
from feedrank.stages.policy import Declares

__all__ = [
    "FILTERS",
    "Codes",
    "Filter",
    "FilterSpec",
    "encode_reasons",
    "flag",
    "id_array",
    "mark",
    "register_filter",
]


class Codes(NamedTuple):
    """Filter reasons as integer codes: ``codes`` (n,) intp, 0 keeps the post and
    ``i > 0`` removes it with reason ``table[i - 1]``. The engine merges filters
    on codes; strings are made only when a removal is explained or written."""

    codes: NDArray[np.intp]
    table: tuple[str, ...]

    def reasons(self) -> NDArray[np.str_]:
        """ndarray (n,), str: the reason of every row, "" where kept."""
        names: NDArray[np.str_] = np.array(["", *self.table], dtype=np.str_)
        return names[self.codes]


class Filter(Declares, Component):
    """Base class of filters; filters are idempotent (applied to their own output
    they remove nothing more).

    The engine calls :meth:`codes_many` once for the candidates of every request
    it ranks; built-in filters implement it with array operations and a fixed
    code table. A filter that does not need that speed implements only
    :meth:`reasons` for one request ("" keeps a post, any other string removes
    it and is its reason), and :meth:`codes_many` calls it request by request.

    ``policy``: the published rule behind the filter
    (:class:`~feedrank.stages.policy.Policy`); ``effect`` (a class attribute)
    says what the filter does to a post's reach when no policy is declared.
    """

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        """ndarray (n,), str: why each post is removed, "" for posts kept (one request)."""
        if type(self).codes_many is Filter.codes_many:
            raise NotImplementedError(f"{type(self).__name__} must implement reasons()")
        return self.codes_many(batch, Requests.one(ctx)).reasons()

    def keep(self, batch: PostBatch, ctx: Context) -> NDArray[np.bool_]:
        """ndarray of shape (n,), bool: posts the filter keeps."""
        keep: NDArray[np.bool_] = self.codes_many(batch, Requests.one(ctx)).codes == 0
        return keep

    def codes_many(self, batch: PostBatch, requests: Requests) -> Codes:
        """The reasons of the rows of every request as :class:`Codes`."""
        if type(self).reasons is Filter.reasons:
            raise NotImplementedError(f"{type(self).__name__} must implement reasons()")
        parts = [
            self._checked(self.reasons(batch._slice(a, b), requests.context(i)), b - a)
            for i, a, b in requests.bounds()
        ]
        if len(parts) == 1:
            return encode_reasons(parts[0])
        return encode_reasons(np.concatenate(parts) if parts else np.zeros(0, dtype="U1"))

    def _checked(self, reasons: Any, n: int) -> NDArray[np.str_]:
        out = np.asarray(reasons)
        if out.shape != (n,) or (n and out.dtype.kind != "U"):
            raise RankingError(
                f"filter {self.type!r} returned reasons of shape {out.shape} and dtype {out.dtype}",
                expected=f"a string array of shape ({n},)",
            )
        return out


FILTERS: Registry[Filter] = Registry("filter", Filter)
F = TypeVar("F", bound=type[Filter])


def register_filter(cls: F) -> F:
    """Class decorator registering a :class:`Filter` subclass under its ``type`` tag."""
    FILTERS.register(cls)
    return cls


FilterSpec = Annotated[SerializeAsAny[Filter], BeforeValidator(FILTERS.parse)]


def mark(mask: NDArray[np.bool_], reason: str) -> NDArray[np.str_]:
    """``reason`` where ``mask`` is true, "" elsewhere."""
    return np.where(mask, reason, "")


def id_array(values: Any) -> NDArray[np.str_]:
    """A sorted unicode array of the strings in ``values``."""
    items = sorted(values)
    return np.array(items, dtype=np.str_) if items else np.zeros(0, dtype="U1")


def encode_reasons(reasons: NDArray[np.str_]) -> Codes:
    """Reason strings ("" = keep) as :data:`Codes`."""
    table, inverse = np.unique(reasons, return_inverse=True)
    codes = inverse.astype(np.intp).reshape(-1)
    names = [str(x) for x in table.tolist()]
    if names and names[0] == "":
        return Codes(codes, tuple(names[1:]))
    return Codes(codes + 1, tuple(names))


def flag(mask: NDArray[np.bool_], reason: str) -> Codes:
    """``reason`` where ``mask`` is true, as :data:`Codes`."""
    return Codes(mask.astype(np.intp), (reason,))
