"""Author diversity: repeated authors are discounted (the X heuristic)."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.batch.segments import segmented_group_rank
from feedrank.stages.rerank.base import (
    CodedStep,
    Reranker,
    register_reranker,
)

__all__ = ["AuthorDiversity"]


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

    def adjust_many(
        self,
        batch: PostBatch,
        requests: Requests,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> CodedStep:
        k = segmented_group_rank(requests.offsets, batch._author_codes, order)
        codes = (k > 0).astype(np.intp)
        return CodedStep(self._multiplier(k, scores), None, codes, ("author_diversity",))

    def _multiplier(self, k: NDArray[np.int64], scores: NDArray[np.float64]) -> NDArray[np.float64]:
        m = (1.0 - self.floor) * np.power(self.decay, k.astype(np.float64)) + self.floor
        out: NDArray[np.float64] = np.where(scores >= 0, m, 1.0 / m)
        return out

    def describe(self) -> str:
        return (
            f"Author diversity: the k-th post of an author is scaled by "
            f"{1 - self.floor:g}·{self.decay:g}^k + {self.floor:g}"
        )
