"""Requests: the contexts of one or many requests over the rows of one batch.

The candidates of S requests are stored one request after another in one
:class:`~feedrank.PostBatch`; ``offsets`` (S + 1,) marks where each request's
rows start. :class:`Requests` holds, for every row, the per-post arrays of its
request's :class:`~feedrank.Context` (in-network, seen, affinity, ...) and, per
request, its ``now`` and viewer. It is what every stage of the engine receives:
one request is the case S = 1 (:meth:`Requests.one`, no copy).

>>> from datetime import datetime, timezone
>>> from feedrank import Context, Post, PostBatch, Viewer
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([Post(id="p", author_id="a", created_at=t)])
>>> both = Requests.from_contexts([Context.build(batch, now=t, viewer=Viewer(id="v")),
...                                Context.build(batch, now=t)])
>>> len(both), both.offsets.tolist(), both.context(1).viewer is None
(2, [0, 1, 2], True)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.context import Context, RowViews
from feedrank.batch.segments import segment_of_rows
from feedrank.models import Viewer

__all__ = ["ROW_FIELDS", "Requests"]

ROW_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(Context) if f.name not in ("now", "viewer")
)
"""The per-post arrays of a :class:`~feedrank.Context`, in field order."""


@dataclass(frozen=True, eq=False)
class Requests(RowViews):
    """S requests over n rows (request ``i`` owns rows ``offsets[i]:offsets[i + 1]``).

    - ``offsets``: ndarray (S + 1,), intp.
    - ``now``: ndarray (S,), int64, each request's ``now`` (µs since the epoch).
    - ``viewers``: one :class:`~feedrank.Viewer` (or None) per request.
    - ``in_network``, ``seen`` (n,) bool; ``affinity``, ``negative`` (n,)
      float64; ``last_negative_at`` (n, len(NEGATIVE_KINDS)) int64;
      ``social_proof_count`` (n,) int64: as in :class:`~feedrank.Context`.
    """

    offsets: NDArray[np.intp]
    now: NDArray[np.int64]
    viewers: tuple[Viewer | None, ...]
    in_network: NDArray[np.bool_]
    seen: NDArray[np.bool_]
    affinity: NDArray[np.float64]
    negative: NDArray[np.float64]
    last_negative_at: NDArray[np.int64]
    social_proof_count: NDArray[np.int64]

    # -------------------------------------------------------------- builders
    @classmethod
    def one(cls, ctx: Context) -> Requests:
        """The single request ``ctx`` (its arrays are shared, not copied)."""
        return cls(
            np.array([0, len(ctx)], dtype=np.intp),
            np.array([ctx.now], dtype=np.int64),
            (ctx.viewer,),
            ctx.in_network,
            ctx.seen,
            ctx.affinity,
            ctx.negative,
            ctx.last_negative_at,
            ctx.social_proof_count,
        )

    @classmethod
    def from_contexts(cls, contexts: Sequence[Context]) -> Requests:
        """Stack one :class:`~feedrank.Context` per request, request after request."""
        if len(contexts) == 1:
            return cls.one(contexts[0])
        lengths = np.fromiter((len(c) for c in contexts), dtype=np.intp, count=len(contexts))
        offsets = np.zeros(len(contexts) + 1, dtype=np.intp)
        np.cumsum(lengths, out=offsets[1:])
        probe = Context.empty()
        arrays = {
            name: np.concatenate([getattr(c, name) for c in contexts])
            if contexts
            else getattr(probe, name)
            for name in ROW_FIELDS
        }
        now = np.fromiter((c.now for c in contexts), dtype=np.int64, count=len(contexts))
        return cls(offsets, now, tuple(c.viewer for c in contexts), **arrays)

    # ---------------------------------------------------------------- access
    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    @property
    def rows(self) -> int:
        """Number of rows (candidates of all requests)."""
        return int(self.offsets[-1])

    def bounds(self) -> Iterator[tuple[int, int, int]]:
        """(request, first row, end row) of every request."""
        cuts = self.offsets.tolist()
        for i in range(len(cuts) - 1):
            yield i, cuts[i], cuts[i + 1]

    def context(self, i: int) -> Context:
        """The :class:`~feedrank.Context` of request ``i`` (its arrays are views)."""
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        if len(self) == 1:
            parts = {name: getattr(self, name) for name in ROW_FIELDS}
        else:
            parts = {name: getattr(self, name)[a:b] for name in ROW_FIELDS}
        return Context(int(self.now[i]), self.viewers[i], **parts)

    @cached_property
    def segment_of_rows(self) -> NDArray[np.intp]:
        """ndarray (n,), intp: the request of every row."""
        return segment_of_rows(self.offsets)

    @cached_property
    def now_rows(self) -> NDArray[np.int64]:
        """The ``now`` of every row's request, for element-wise use: ndarray (n,),
        int64, or of shape (1,) (it broadcasts) when there is one request."""
        if len(self) == 1:
            return self.now
        return np.repeat(self.now, np.diff(self.offsets))

    def with_viewer(self) -> Iterator[tuple[int, int, int, Viewer]]:
        """(request, first row, end row, viewer) of the requests that have a viewer."""
        for i, a, b in self.bounds():
            viewer = self.viewers[i]
            if viewer is not None and b > a:
                yield i, a, b, viewer

    def take(self, rows: NDArray[np.intp], offsets: NDArray[np.intp]) -> Requests:
        """Rows ``rows`` (ascending, so requests stay in order) with their new ``offsets``."""
        arrays: dict[str, Any] = {name: getattr(self, name)[rows] for name in ROW_FIELDS}
        return Requests(offsets, self.now, self.viewers, **arrays)

    def segments(self, s0: int, s1: int) -> Requests:
        """Requests ``s0:s1`` (their rows are views)."""
        a, b = int(self.offsets[s0]), int(self.offsets[s1])
        arrays: dict[str, Any] = {name: getattr(self, name)[a:b] for name in ROW_FIELDS}
        return Requests(
            self.offsets[s0 : s1 + 1] - a, self.now[s0:s1], self.viewers[s0:s1], **arrays
        )
