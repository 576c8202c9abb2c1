"""Re-rankers: change the order after scoring, recording every move.

A re-ranker sees the current order and scores and returns a :class:`RerankStep`:
an optional per-post score multiplier (kept as a factor column named after the
re-ranker, so scores still decompose exactly) and an optional per-post demotion
tier. The pipeline re-sorts by (tier, score, created_at, id) and records, for
every post whose position changed, its position before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BeforeValidator, Field, SerializeAsAny, model_validator

from .batch import PostBatch
from .components import Component, Registry
from .context import Context

__all__ = [
    "RERANKERS",
    "AuthorDiversity",
    "NetworkCaps",
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


@register_reranker
class AuthorDiversity(Reranker):
    """X's author diversity discount: the k-th post (0-based, in score order) of the
    same author is multiplied by (1 - floor) · decay^k + floor.

    With the defaults: 1, 0.625, 0.4375, 0.34375, ... A negative score is divided
    by the same number instead, so the discount always lowers a repeated
    author's post.
    """

    type: Literal["author_diversity"] = "author_diversity"
    decay: Annotated[float, Field(gt=0, le=1)] = 0.5
    floor: Annotated[float, Field(ge=0, le=1)] = 0.25

    def adjust(
        self,
        batch: PostBatch,
        ctx: Context,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> RerankStep:
        _, authors = np.unique(batch.author_ids, return_inverse=True)
        k = rank_within_groups(authors.astype(np.intp), order)
        m = (1.0 - self.floor) * np.power(self.decay, k.astype(np.float64)) + self.floor
        multiplier = np.where(scores >= 0, m, 1.0 / m)
        reasons = np.where(k > 0, "author_diversity", "")
        return RerankStep(multiplier, None, reasons)

    def describe(self) -> str:
        return (
            f"Author diversity: the k-th post of an author is scaled by "
            f"{1 - self.floor:g}·{self.decay:g}^k + {self.floor:g}"
        )


@register_reranker
class NetworkCaps(Reranker):
    """At most ``max_in_network`` posts from followed authors and
    ``max_out_of_network`` from others rank ahead; the rest move below them
    (X's content balance: 60 and 60 of 120)."""

    type: Literal["network_caps"] = "network_caps"
    max_in_network: Annotated[int, Field(ge=0)] | None = None
    max_out_of_network: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _some_cap(self) -> NetworkCaps:
        if self.max_in_network is None and self.max_out_of_network is None:
            raise ValueError("set max_in_network, max_out_of_network or both")
        return self

    def adjust(
        self,
        batch: PostBatch,
        ctx: Context,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> RerankStep:
        inn = ctx.in_network
        k = rank_within_groups(inn.astype(np.intp), order)
        cap_in = self.max_in_network if self.max_in_network is not None else np.iinfo(np.int64).max
        cap_out = (
            self.max_out_of_network
            if self.max_out_of_network is not None
            else np.iinfo(np.int64).max
        )
        over_in = inn & (k >= cap_in)
        over_out = ~inn & (k >= cap_out)
        reasons = np.where(
            over_in,
            f"in_network_cap:{self.max_in_network}",
            np.where(over_out, f"out_of_network_cap:{self.max_out_of_network}", ""),
        )
        return RerankStep(None, (over_in | over_out).astype(np.int64), reasons)

    def describe(self) -> str:
        caps = []
        if self.max_in_network is not None:
            caps.append(f"{self.max_in_network} from followed accounts")
        if self.max_out_of_network is not None:
            caps.append(f"{self.max_out_of_network} from other accounts")
        return "At most " + " and ".join(caps) + " rank ahead of the rest"
