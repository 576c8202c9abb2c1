"""Re-rankers: change the order after scoring, recording every move.

A re-ranker sees the current order and scores and returns a :class:`RerankStep`:
an optional per-post score multiplier (kept as a factor column named after the
re-ranker, so scores still decompose exactly) and an optional per-post demotion
tier. The pipeline re-sorts by (tier, score, created_at, id) and records, for
every post whose position changed, its position before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BeforeValidator, SerializeAsAny

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.stages.components import Component, Registry

if TYPE_CHECKING:
    from feedrank.engine.many import ContextBatch

__all__ = [
    "RERANKERS",
    "CodedStep",
    "RerankStep",
    "Reranker",
    "RerankerSpec",
    "rank_within_groups",
    "register_reranker",
]


@dataclass(frozen=True, eq=False)
class RerankStep:
    """What a re-ranker decided, aligned with the batch rows.

    ``multiplier``: (n,) float64 > 0 or None; ``tier``: (n,) int64 >= 0 added to
    the posts' demotion tier, or None; ``reasons``: (n,) str, why the re-ranker
    acted on each post ("" where it did not).
    """

    multiplier: NDArray[np.float64] | None
    tier: NDArray[np.int64] | None
    reasons: NDArray[np.str_]


@dataclass(frozen=True, eq=False)
class CodedStep:
    """A :class:`RerankStep` for the rows of many requests, with reasons as codes:
    ``codes`` (n,) intp, 0 where the re-ranker did not act, else ``i`` for reason
    ``table[i - 1]``."""

    multiplier: NDArray[np.float64] | None
    tier: NDArray[np.int64] | None
    codes: NDArray[np.intp]
    table: tuple[str, ...]


class Reranker(Component):
    """Base class: ``adjust(batch, ctx, order, scores)`` -> :class:`RerankStep`."""

    def adjust(
        self,
        batch: PostBatch,
        ctx: Context,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> RerankStep:
        """Decide multipliers and demotions given the current ``order`` (row
        indices, best first) and ``scores`` (aligned with rows)."""
        raise NotImplementedError(f"{type(self).__name__} must implement adjust()")

    def _adjust_many(
        self,
        batch: PostBatch,
        contexts: ContextBatch,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> CodedStep | None:
        """:meth:`adjust` for the rows of many requests at once: ``order`` lists the
        rows of every request in its current order, request after request. None
        lets :meth:`Pipeline.rank_many` call :meth:`adjust` request by request."""
        return None


RERANKERS: Registry[Reranker] = Registry("reranker", Reranker)
R = TypeVar("R", bound=type[Reranker])


def register_reranker(cls: R) -> R:
    """Class decorator registering a :class:`Reranker` subclass under its ``type`` tag."""
    RERANKERS.register(cls)
    return cls


RerankerSpec = Annotated[SerializeAsAny[Reranker], BeforeValidator(RERANKERS.parse)]


def rank_within_groups(groups: NDArray[np.intp], order: NDArray[np.intp]) -> NDArray[np.int64]:
    """0-based rank of every row among the rows of its group, following ``order``.

    >>> rank_within_groups(np.array([0, 1, 0, 0]), np.array([3, 2, 1, 0])).tolist()
    [2, 0, 1, 0]
    """
    n = groups.shape[0]
    position = np.empty(n, dtype=np.intp)
    position[order] = np.arange(n)
    by = np.lexsort((position, groups))
    sorted_groups = groups[by]
    starts = np.ones(n, dtype=bool)
    starts[1:] = sorted_groups[1:] != sorted_groups[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    out = np.empty(n, dtype=np.int64)
    out[by] = np.arange(n) - first
    return out
