"""The Filter contract and its registry.

A filter returns one reason per post: "" keeps the post, anything else removes
it and is recorded (``blocked_author``, ``seen``, ``older_than:48h``, ...).
Filters are idempotent: applied to their own output they remove nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BeforeValidator, SerializeAsAny

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.stages.components import Component, Registry

if TYPE_CHECKING:
    from feedrank.engine.many import ContextBatch

__all__ = [
    "FILTERS",
    "Codes",
    "Filter",
    "FilterSpec",
    "encode_reasons",
    "id_array",
    "mark",
    "register_filter",
]

Codes = tuple[NDArray[np.intp], tuple[str, ...]]
"""Reasons as integer codes: 0 keeps the post, code i > 0 removes it with reason
``table[i - 1]``. The ranking stages merge filters on codes, not strings."""


class Filter(Component):
    """Base class: ``reasons(batch, ctx)`` -> ndarray (n,) of str, "" = keep."""

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        """Reason each post is removed, or "" for posts kept."""
        raise NotImplementedError(f"{type(self).__name__} must implement reasons()")

    def keep(self, batch: PostBatch, ctx: Context) -> NDArray[np.bool_]:
        """ndarray of shape (n,), bool: posts the filter keeps."""
        keep: NDArray[np.bool_] = self.reasons(batch, ctx) == ""
        return keep

    def _codes(self, batch: PostBatch, ctx: Context) -> Codes:
        """:meth:`reasons` as codes (see :data:`Codes`); built-ins compute them directly."""
        return encode_reasons(self.reasons(batch, ctx))

    def _is_rowwise(self) -> bool:
        """True if each post's reason depends only on its own row, the per-row
        context arrays and ``ctx.now`` (used element-wise), never on ``ctx.viewer``:
        then :meth:`Pipeline.rank_many` evaluates the filter once over the rows of
        every request, with ``ctx.now`` an int64 array of each row's request time."""
        return False

    def _codes_many(self, batch: PostBatch, contexts: ContextBatch) -> Codes | None:
        """Codes for the rows of many requests at once, or None to let
        :meth:`Pipeline.rank_many` run the filter request by request."""
        return None


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
        return codes, tuple(names[1:])
    return codes + 1, tuple(names)


def flag(mask: NDArray[np.bool_], reason: str) -> Codes:
    """``reason`` where ``mask`` is true, as :data:`Codes`."""
    return mask.astype(np.intp), (reason,)
