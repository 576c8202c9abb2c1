"""Rows of a batch whose columns are gathered when first read.

After the filters, the engine ranks the kept rows of the candidates; the
signals of a spec read only some columns. :func:`take_rows` gives those rows as
a :class:`~feedrank.PostBatch` that gathers each column on first use, and
shares the source batch's derived columns (author codes, lower-cased text).
"""

from __future__ import annotations

from dataclasses import fields
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.batch._columns import kind_index
from feedrank.batch.posts import PostBatch
from feedrank.models import InteractionKind

__all__ = ["TakenRows", "take_rows"]


def take_rows(batch: PostBatch, index: NDArray[np.intp]) -> PostBatch:
    """Rows ``index`` of ``batch``, their columns gathered on first use."""
    return TakenRows(batch, index)


_COLUMNS = tuple(f.name for f in fields(PostBatch))


class TakenRows(PostBatch):
    """Rows ``index`` of ``source``: each column is gathered when first read.

    Internal to the ranking stages (filters have removed rows; the signals of a
    spec read only some columns). It is a :class:`PostBatch` in every respect, a
    read-only one; :meth:`take` and :meth:`_slice` compose the row index instead
    of copying columns.
    """

    def __init__(self, source: PostBatch, index: NDArray[np.intp]) -> None:
        # Not the dataclass __init__: the columns are properties defined below.
        if isinstance(source, TakenRows):
            index = source._index[index]
            source = source._source
        object.__setattr__(self, "_source", source)
        object.__setattr__(self, "_index", np.asarray(index, dtype=np.intp))
        object.__setattr__(self, "_cache", {})

    _source: PostBatch
    _index: NDArray[np.intp]
    _cache: dict[str, Any]

    def __len__(self) -> int:
        return int(self._index.shape[0])

    def _gather(self, name: str) -> Any:
        src, idx = self._source, self._index
        value = getattr(src, name)
        if name == "features":
            return {k: v[idx] for k, v in value.items()}
        if name in ("topics", "labels", "author_attributes"):
            return value.take(idx)
        if value is None:
            return None
        return value[idx]

    def count(self, kind: InteractionKind | str) -> NDArray[np.int64]:
        if "counts" in self._cache:
            return super().count(kind)
        key = f"counts.{kind_index(kind)}"
        column: NDArray[np.int64] | None = self._cache.get(key)
        if column is None:
            column = self._source.count(kind)[self._index]
            self._cache[key] = column
        return column

    # Derived columns come from the source batch, computed there once.
    @cached_property
    def _author_codes(self) -> NDArray[np.intp]:
        codes: NDArray[np.intp] = self._source._author_codes[self._index]
        return codes

    @cached_property
    def _author_lookup(self) -> dict[str, int]:
        return self._source._author_lookup

    def _ids_at(self, rows: NDArray[np.intp]) -> NDArray[np.str_]:
        if "ids" in self._cache:
            return super()._ids_at(rows)
        return self._source.ids[self._index[rows]]

    def take(self, index: Any) -> PostBatch:
        raw = np.asarray(index)
        if raw.dtype == bool and raw.shape == (len(self),):
            raw = np.flatnonzero(raw)
        if raw.size and raw.dtype.kind not in "iu":
            return super().take(index)
        return TakenRows(self, raw.astype(np.intp))

    def _slice(self, start: int, stop: int) -> PostBatch:
        return TakenRows(self, np.arange(start, stop, dtype=np.intp))


def _lazy_column(name: str) -> property:
    def get(self: TakenRows) -> Any:
        cache = self._cache
        if name not in cache:
            cache[name] = self._gather(name)
        return cache[name]

    return property(get, doc=f"Column ``{name}`` of the taken rows.")


for _name in _COLUMNS:
    setattr(TakenRows, _name, _lazy_column(_name))
