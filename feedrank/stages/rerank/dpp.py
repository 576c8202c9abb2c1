"""Determinantal point process: greedy MAP inference with incremental Cholesky
(Chen, Zhang & Zhou, "Fast Greedy MAP Inference for Determinantal Point
Process to Improve Recommendation Diversity", NeurIPS 2018).

The kernel is L = diag(q) · S · diag(q): S the declared similarity (cosine of
embeddings or Jaccard of topics, 1 on the diagonal) and q the quality. Greedily,
each of the first ``k`` positions goes to the post that most increases
log det L of the placed set. The quality/diversity trade-off θ is the paper's
(section 4.1): q = exp(α · r) with α = θ / (2 (1 − θ)), so that, up to the
factor 1 / (1 − θ),

    log det L_Y = θ · Σ_{u∈Y} r_u + (1 − θ) · log det S_Y,

θ = 0 is pure diversity and θ → 1 pure relevance. ``r`` is the post's score,
min-max scaled to [0, 1] within the request when ``normalize``. X's home-mixer
(xai-org/x-algorithm, 2026) sends θ = 0.65 and a depth of 150
(``VMRankerDppTheta``, ``VMRankerDppMaxSelectedRank``) to a DPP ranking
service whose kernel is not published; this re-ranker reads θ as the paper
defines it.

Since L = diag(q) S diag(q), the Cholesky factor of L_Y is diag(q_Y) times that
of S_Y: the incremental Cholesky runs on S and each candidate's gain is
2 α r_i + log d_i², d_i² the part of post i not spanned by the placed posts
(1 for a post unlike all of them, 0 for a copy). That is exact and never
overflows. A post with d_i² ≤ 1e-10 cannot be added (det 0): placement stops
there and the rest follow in their current order. Ties go to the post earlier
in the current order.

``window``: for long feeds, each post needs only be diverse from the
``window − 1`` posts placed just above it (the paper's section 5); the
Cholesky state is rebuilt from those posts at each position, O(N · window²)
per position instead of O(N · k).

>>> from datetime import datetime, timezone
>>> import numpy as np
>>> from feedrank import Context, Post, PostBatch
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([
...     Post(id="a", author_id="x", created_at=t, embedding=(1.0, 0.0)),
...     Post(id="b", author_id="y", created_at=t, embedding=(0.99, 0.1)),
...     Post(id="c", author_id="z", created_at=t, embedding=(0.0, 1.0))])
>>> step = DPP(theta=0.65, k=3).adjust(batch, Context.build(batch, now=t),
...                                    np.array([0, 1, 2]), np.array([3.0, 2.9, 1.0]))
>>> step.tier.tolist()
[0, 2, 1]
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.stages.rerank.base import CodedStep, Reranker, register_reranker
from feedrank.stages.rerank.by_similarity import place_by_similarity
from feedrank.stages.rerank.similarity import Similarity, SimilarityKind

__all__ = ["DPP", "EPSILON", "dpp_picks", "theta_alpha"]

EPSILON = 1e-10
"""A post whose residual d² is at most this is spanned by the placed posts."""


def theta_alpha(theta: float) -> float:
    """α = θ / (2 (1 − θ)) of Chen et al.'s trade-off.

    >>> round(theta_alpha(0.65), 6)
    0.928571
    """
    return theta / (2.0 * (1.0 - theta))


def dpp_picks(
    relevance: NDArray[np.float64],
    sim: Similarity,
    theta: float,
    k: int,
    window: int | None = None,
) -> NDArray[np.intp]:
    """The greedy MAP placement of ``m`` posts given in their current order:
    positions in the current order, in placement order (at most ``k``; fewer
    when the remaining posts are spanned by the placed ones)."""
    m = relevance.shape[0]
    k = min(k, m)
    if k == 0:
        return np.zeros(0, dtype=np.intp)
    quality = 2.0 * theta_alpha(theta) * relevance  # log q_i²
    if sim.dissimilar:  # every residual stays 1: the greedy takes quality order
        return np.argsort(-quality, kind="stable")[:k].astype(np.intp)
    span = k if window is None else min(k, window - 1)
    factor = np.zeros((max(span, 1), m), dtype=np.float64)
    d2 = np.ones(m, dtype=np.float64)
    gain = np.empty(m, dtype=np.float64)
    picks: list[int] = []
    j = int(np.argmax(quality))
    while True:
        picks.append(j)
        if len(picks) == k:
            break
        if window is not None and len(picks) >= window:
            d2 = _rebuild(sim, picks[-(window - 1) :], factor) if window > 1 else np.ones(m)
            d2[picks] = 0.0
        else:
            _extend(sim, j, len(picks) - 1, factor, d2)
            d2[j] = 0.0  # placed: its residual is 0 (up to rounding) and stays so
        np.maximum(d2, 1e-300, out=gain)
        np.log(gain, out=gain)
        gain += quality
        gain = np.where(d2 > EPSILON, gain, -np.inf)
        j = int(np.argmax(gain))
        if gain[j] == -np.inf:
            break
    return np.asarray(picks, dtype=np.intp)


def _extend(
    sim: Similarity, j: int, t: int, factor: NDArray[np.float64], d2: NDArray[np.float64]
) -> None:
    """Add post ``j`` as the ``t``-th row of the Cholesky state (in place)."""
    e = sim.to(j)
    if t:
        e -= factor[:t, j] @ factor[:t]
    e /= math.sqrt(d2[j])
    factor[t] = e
    d2 -= e * e


def _rebuild(
    sim: Similarity, placed: list[int], factor: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The residuals d² against ``placed`` alone (the window), from scratch."""
    d2 = np.ones(factor.shape[1], dtype=np.float64)
    for t, j in enumerate(placed):
        _extend(sim, j, t, factor, d2)
    return d2


@register_reranker
class DPP(Reranker):
    """Determinantal point process (greedy MAP, incremental Cholesky): each of
    the first ``k`` positions goes to the post that most increases
    θ·Σ relevance + (1 − θ)·log det similarity of the placed posts."""

    type: Literal["dpp"] = "dpp"
    theta: Annotated[float, Field(ge=0, lt=1)] = 0.65
    similarity: SimilarityKind = "embedding"
    k: Annotated[int, Field(ge=1)] = 150
    window: Annotated[int, Field(ge=1)] | None = None
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
            pick=lambda rel, sim: dpp_picks(rel, sim, self.theta, self.k, self.window),
            window=self.window,
        )

    def describe(self) -> str:
        what = "embeddings (cosine)" if self.similarity == "embedding" else "topics (Jaccard)"
        window = f", diverse within windows of {self.window}" if self.window else ""
        return (
            f"Determinantal point process over the first {self.k} posts: "
            f"{self.theta:g}·relevance + {1 - self.theta:g}·log det similarity of {what}"
            f"{window}"
        )
