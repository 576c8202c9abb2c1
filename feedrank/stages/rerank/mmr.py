"""Maximal marginal relevance (Carbonell & Goldstein, SIGIR 1998).

Position after position, MMR places the post maximising

    λ · rel(d) − (1 − λ) · max_{s placed} sim(d, s)

where ``rel`` is the post's score (min-max scaled to [0, 1] within the request
when ``normalize``, so that λ means the same for every scorer) and ``sim`` the
declared similarity (cosine of embeddings or Jaccard of topics). The first
post is the most relevant; ties go to the post earlier in the current order.
The first ``k`` positions are placed so; the other posts follow in their
current order.

>>> from datetime import datetime, timezone
>>> import numpy as np
>>> from feedrank import Context, Post, PostBatch
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([
...     Post(id="a", author_id="x", created_at=t, embedding=(1.0, 0.0)),
...     Post(id="b", author_id="y", created_at=t, embedding=(0.99, 0.1)),
...     Post(id="c", author_id="z", created_at=t, embedding=(0.0, 1.0))])
>>> step = MMR(lam=0.5, k=3).adjust(batch, Context.build(batch, now=t),
...                                 np.array([0, 1, 2]), np.array([3.0, 2.9, 1.0]))
>>> step.tier.tolist()
[0, 2, 1]
>>> for reason in step.reasons.tolist():
...     print(reason or "-")
-
placed at 3 instead of 2: 0.99 similar to #1
placed at 2 instead of 3: at most 0.00 similar to #1
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.stages.rerank.base import CodedStep, Reranker, register_reranker
from feedrank.stages.rerank.by_similarity import place_by_similarity
from feedrank.stages.rerank.similarity import Similarity, SimilarityKind

__all__ = ["MMR", "mmr_picks"]


def mmr_picks(
    relevance: NDArray[np.float64], sim: Similarity, lam: float, k: int
) -> NDArray[np.intp]:
    """The MMR placement of ``m`` posts given in their current order:
    positions in the current order, in placement order (min(k, m) of them)."""
    m = relevance.shape[0]
    k = min(k, m)
    picks = np.empty(k, dtype=np.intp)
    if k == 0:
        return picks
    gain = lam * relevance
    best_sim = np.full(m, -np.inf)
    value = np.empty(m, dtype=np.float64)
    j = int(np.argmax(gain))
    for t in range(k):
        picks[t] = j
        if t == k - 1:
            break
        np.maximum(best_sim, sim.to(j), out=best_sim)
        np.multiply(best_sim, lam - 1.0, out=value)
        value += gain
        value[picks[: t + 1]] = -np.inf
        j = int(np.argmax(value))
    return picks


@register_reranker
class MMR(Reranker):
    """Maximal marginal relevance: each of the first ``k`` positions goes to the
    post maximising λ·relevance − (1 − λ)·(highest similarity to the posts
    placed above it)."""

    type: Literal["mmr"] = "mmr"
    lam: Annotated[float, Field(ge=0, le=1)] = 0.7
    similarity: SimilarityKind = "embedding"
    k: Annotated[int, Field(ge=1)] = 50
    normalize: bool = True

    def adjust_many(
        self,
        batch: PostBatch,
        requests: Requests,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> CodedStep:
        return place_by_similarity(
            batch,
            requests,
            order,
            scores,
            kind=self.similarity,
            normalize=self.normalize,
            pick=lambda rel, sim: mmr_picks(rel, sim, self.lam, self.k),
        )

    def describe(self) -> str:
        what = "embeddings (cosine)" if self.similarity == "embedding" else "topics (Jaccard)"
        return (
            f"Maximal marginal relevance over the first {self.k} posts: "
            f"{self.lam:g}·relevance − {1 - self.lam:g}·similarity of {what} to posts above"
        )
