"""Calibrated recommendations (Steck, "Calibrated Recommendations", RecSys 2018).

The page's topic mix should match the viewer's: ``p(g)`` is the viewer's
declared interests (``Viewer.interests``, positive weights scaled to sum 1),
``q(g | i)`` spreads each post evenly over its topics, and the mix of the
posts placed so far is ``q(g) = Σ_i q(g | i) / Σ_i Σ_g q(g | i)`` (posts
without topics add nothing to it). Position after position, the post
maximising

    (1 − λ) · Σ_{i placed} s(i) − λ · KL(p ‖ q̃),    q̃ = (1 − a) · q + a · p

is placed (greedy, as in the paper), with ``s`` the score (min-max scaled to
[0, 1] within the request when ``normalize``) and ``a`` = 0.01 the paper's
smoothing. Ties go to the post earlier in the current order; the first ``k``
positions are placed so and the rest follow in their current order. A viewer
without declared interests has nothing to calibrate to: the order is kept.

>>> from datetime import datetime, timezone
>>> import numpy as np
>>> from feedrank import Context, Post, PostBatch, Viewer
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([
...     Post(id="a", author_id="x", created_at=t, topics=("sport",)),
...     Post(id="b", author_id="y", created_at=t, topics=("sport",)),
...     Post(id="c", author_id="z", created_at=t, topics=("jazz",))])
>>> ctx = Context.build(batch, now=t, viewer=Viewer(id="v", interests={"sport": 1, "jazz": 1}))
>>> step = Calibrated(lam=0.5, k=3).adjust(batch, ctx, np.array([0, 1, 2]),
...                                        np.array([3.0, 2.9, 1.0]))
>>> step.tier.tolist()
[0, 2, 1]
>>> head, why = str(step.reasons[2]).split(": ")
>>> head
'placed at 2 instead of 3'
>>> why
"brings the page's topic mix closer to the viewer's interests (KL 1.96 → 0.00)"
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.models import Viewer
from feedrank.stages.rerank.base import CodedStep, Reranker, register_reranker
from feedrank.stages.rerank.placement import normalized, placed_step, position_phrase
from feedrank.stages.rerank.similarity import row_tags

__all__ = ["SMOOTHING", "Calibrated", "calibrated_picks", "kl_divergence", "topic_mix"]

SMOOTHING = 0.01
"""Steck's ``a``: q̃ = (1 − a)·q + a·p keeps KL finite."""


def kl_divergence(p: NDArray[np.float64], q: NDArray[np.float64]) -> NDArray[np.float64]:
    """KL(p ‖ q̃) for every row of ``q`` (..., G), q̃ smoothed towards ``p`` (G,);
    terms with p(g) = 0 count 0.

    >>> kl_divergence(np.array([0.5, 0.5]), np.array([[0.5, 0.5], [1.0, 0.0]])).round(4).tolist()
    [0.0, 1.9585]
    """
    smoothed = (1.0 - SMOOTHING) * q + SMOOTHING * p
    mask = p > 0
    ratio = np.where(mask, p / np.where(mask, smoothed, 1.0), 1.0)
    out: NDArray[np.float64] = np.sum(np.where(mask, p * np.log(ratio), 0.0), axis=-1)
    return out


def topic_mix(
    batch: PostBatch, rows: NDArray[np.intp], viewer: Viewer | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], tuple[str, ...]]:
    """The viewer's topic distribution ``p`` (G,) and each post's ``q(g | i)``
    (m, G) over ``names`` (G topics: the viewer's, then the posts' others)."""
    interests = {} if viewer is None else viewer.interests
    wanted = {t: float(w) for t, w in interests.items() if w > 0}
    owner, codes, lengths = row_tags(batch, rows)
    vocab = batch.topics.vocabulary
    used = np.unique(codes).tolist()  # only these rows' topics
    names = tuple(sorted(wanted)) + tuple(vocab[c] for c in used if vocab[c] not in wanted)
    where = {t: j for j, t in enumerate(names)}
    p = np.zeros(len(names), dtype=np.float64)
    total = sum(wanted.values())
    for topic, weight in wanted.items():
        p[where[topic]] = weight / total
    q = np.zeros((rows.shape[0], len(names)), dtype=np.float64)
    if codes.shape[0]:
        lookup = np.zeros(len(vocab), dtype=np.intp)
        lookup[used] = [where[vocab[c]] for c in used]
        q[owner, lookup[codes]] = 1.0 / np.repeat(lengths, lengths)
    return p, q, names


def calibrated_picks(
    relevance: NDArray[np.float64],
    p: NDArray[np.float64],
    q: NDArray[np.float64],
    lam: float,
    k: int,
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Steck's greedy placement of ``m`` posts given in their current order:
    ``picks`` (positions in the current order, in placement order) and ``kl``
    (len(picks) + 1,), KL(p ‖ q̃) of the placed posts before the first pick and
    after each."""
    m = relevance.shape[0]
    k = min(k, m)
    mass = np.zeros(p.shape[0], dtype=np.float64)
    free = np.ones(m, dtype=bool)
    picks = np.empty(k, dtype=np.intp)
    kl = np.empty(k + 1, dtype=np.float64)
    kl[0] = float(kl_divergence(p, mass))
    sizes = q.sum(axis=1)
    placed_mass = 0.0
    for t in range(k):
        grown = mass[None, :] + q
        total = placed_mass + sizes
        mix = np.divide(grown, total[:, None], out=np.zeros_like(grown), where=total[:, None] > 0)
        value = (1.0 - lam) * relevance - lam * kl_divergence(p, mix)
        value[~free] = -np.inf
        j = int(np.argmax(value))
        picks[t] = j
        free[j] = False
        mass = grown[j]
        placed_mass = float(total[j])
        kl[t + 1] = float(kl_divergence(p, mix[j]))
    return picks, kl


@register_reranker
class Calibrated(Reranker):
    """Calibrated recommendations: each of the first ``k`` positions goes to the
    post maximising (1 − λ)·relevance − λ·KL(viewer's interests ‖ the page's
    topic mix)."""

    type: Literal["calibrated"] = "calibrated"
    lam: Annotated[float, Field(ge=0, le=1)] = 0.5
    k: Annotated[int, Field(ge=1)] = 50
    normalize: bool = True

    def adjust_many(
        self,
        batch: PostBatch,
        requests: Requests,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> CodedStep:
        offsets = requests.offsets
        picks: list[NDArray[np.intp]] = []
        notes: list[tuple[NDArray[np.float64], ...]] = []
        names: list[tuple[str, ...]] = []
        for s in range(offsets.shape[0] - 1):
            rows = order[offsets[s] : offsets[s + 1]]
            p, q, topics = topic_mix(batch, rows, requests.viewers[s])
            if not p.any():
                picks.append(np.zeros(0, dtype=np.intp))
                notes.append((p, q, np.zeros(1), np.zeros(0)))
                names.append(topics)
                continue
            rel = scores[rows]
            rel = normalized(rel) if self.normalize else rel
            chosen, kl = calibrated_picks(rel, p, q, self.lam, self.k)
            picks.append(chosen)
            notes.append((p, q[chosen], kl, rel[chosen]))
            names.append(topics)

        def why(segment: int, new: int, old: int) -> str:
            p, q, kl, rel = notes[segment]
            head = position_phrase(new, old)
            if new < old:
                if kl[new + 1] < kl[new]:
                    return (
                        f"{head}: brings the page's topic mix closer to the viewer's interests "
                        f"(KL {kl[new]:.2f} → {kl[new + 1]:.2f})"
                    )
                return (
                    f"{head}: its relevance {rel[new]:.2f} outweighs the topic mix "
                    f"(KL {kl[new]:.2f} → {kl[new + 1]:.2f})"
                )
            own = q[new]
            if not own.any():
                return (
                    f"{head}: it has no topics to bring the page closer to the viewer's interests"
                )
            above = q[:new].sum(axis=0)
            share = above / above.sum() if above.sum() > 0 else above
            excess = np.where(own > 0, share - p, -np.inf)
            g = int(np.argmax(excess))
            if not excess[g] > 0:
                return ""  # it moved because others moved up
            return (
                f"{head}: posts on {names[segment][g]} already fill {share[g]:.0%} of the "
                f"topics above against {p[g]:.0%} of the viewer's interests"
            )

        return placed_step(offsets, order, picks, why)

    def describe(self) -> str:
        return (
            f"Calibrated to the viewer's interests over the first {self.k} posts: "
            f"{1 - self.lam:g}·relevance − {self.lam:g}·KL(interests ‖ page's topic mix)"
        )
