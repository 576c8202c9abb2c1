"""The Filter contract and its registry.

A filter returns one reason per post: "" keeps the post, anything else removes
it and is recorded (``blocked_author``, ``seen``, ``older_than:48h``, ...).
Filters are idempotent: applied to their own output they remove nothing more.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BeforeValidator, SerializeAsAny

from ..batch import PostBatch
from ..components import Component, Registry
from ..context import Context

__all__ = ["FILTERS", "Filter", "FilterSpec", "id_array", "mark", "register_filter"]


class Filter(Component):
    """Base class: ``reasons(batch, ctx)`` -> ndarray (n,) of str, "" = keep."""

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        """Reason each post is removed, or "" for posts kept."""
        raise NotImplementedError(f"{type(self).__name__} must implement reasons()")

    def keep(self, batch: PostBatch, ctx: Context) -> NDArray[np.bool_]:
        """ndarray of shape (n,), bool: posts the filter keeps."""
        keep: NDArray[np.bool_] = self.reasons(batch, ctx) == ""
        return keep


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
