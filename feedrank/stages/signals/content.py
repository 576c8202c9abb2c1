"""Signals of content: topic match, embedding similarity, platform features.

>>> from datetime import datetime, timezone
>>> from feedrank import Context, Post, PostBatch, Viewer
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([
...     Post(id="p", author_id="a", created_at=t, topics=("jazz", "film"),
...          features={"p_like": 0.25})])
>>> ctx = Context.build(batch, now=t, viewer=Viewer(id="v", interests={"jazz": 2.0}))
>>> float(TopicMatch().compute(batch, ctx)[0]), float(Feature(name="p_like").compute(batch, ctx)[0])
(2.0, 0.25)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.errors import RankingError
from feedrank.stages.signals.base import Signal, register_signal

if TYPE_CHECKING:
    from feedrank.engine.many import ContextBatch

__all__ = ["EmbeddingSimilarity", "Feature", "TopicMatch"]


@register_signal
class TopicMatch(Signal):
    """Σ of the viewer's interest weights over the post's topics (``mean``: divided
    by the number of topics)."""

    type: Literal["topic_match"] = "topic_match"
    normalize: Literal["sum", "mean"] = "sum"
    reads: ClassVar[tuple[str, ...]] = ("topics", "viewer.interests")

    def compute(self, batch: PostBatch, ctx: Context) -> NDArray[np.float64]:
        interests = ctx.viewer.interests if ctx.viewer is not None else {}
        total = batch.topics.weighted_sum(interests)
        if self.normalize == "mean":
            return total / np.maximum(batch.topics.counts(), 1)
        return total

    def _compute_many(self, batch: PostBatch, contexts: ContextBatch) -> NDArray[np.float64] | None:
        tags = batch.topics
        vocab = {name: i for i, name in enumerate(tags.vocabulary)}
        segments = len(contexts)
        if segments * max(len(vocab), 1) > 50_000_000:
            return None
        # One row of interest weights per request, over the batch's topic vocabulary.
        table = np.zeros((segments, len(vocab)), dtype=np.float64)
        done: dict[int, int] = {}
        for s, viewer in enumerate(contexts.viewers):
            if viewer is None or not viewer.interests:
                continue
            if id(viewer) in done:
                table[s] = table[done[id(viewer)]]
                continue
            done[id(viewer)] = s
            for name, weight in viewer.interests.items():
                col = vocab.get(name)
                if col is not None:
                    table[s, col] = weight
        rows = tags.row_ids
        seg = contexts.segment_of_rows[rows]
        total = np.bincount(rows, weights=table[seg, tags.codes], minlength=len(tags)).astype(
            np.float64
        )
        if self.normalize == "mean":
            return total / np.maximum(tags.counts(), 1)
        return total

    def describe(self) -> str:
        how = "mean" if self.normalize == "mean" else "sum"
        return f"Viewer's interest in the post's topics ({how})"


@register_signal
class EmbeddingSimilarity(Signal):
    """Cosine similarity between the viewer's and the post's embeddings.

    Posts without an embedding (or an anonymous viewer) get ``missing``.
    """

    type: Literal["embedding_similarity"] = "embedding_similarity"
    missing: float = 0.0
    reads: ClassVar[tuple[str, ...]] = ("embeddings", "viewer.embedding")

    def compute(self, batch: PostBatch, ctx: Context) -> NDArray[np.float64]:
        n = len(batch)
        viewer = ctx.viewer.embedding if ctx.viewer is not None else None
        if viewer is None or batch.embeddings is None:
            return np.full(n, self.missing, dtype=np.float64)
        v = np.asarray(viewer, dtype=np.float64)
        if v.shape[0] != batch.embeddings.shape[1]:
            raise RankingError(
                f"viewer embedding has {v.shape[0]} dimensions",
                field="viewer.embedding",
                expected=f"{batch.embeddings.shape[1]} dimensions like the posts",
            )
        norms = np.linalg.norm(batch.embeddings, axis=1) * np.linalg.norm(v)
        dots = batch.embeddings @ v
        ok = batch.has_embedding & (norms > 0)
        return np.asarray(np.where(ok, dots / np.where(ok, norms, 1.0), self.missing), np.float64)

    def describe(self) -> str:
        return "Cosine similarity of the viewer's and the post's embeddings"


@register_signal
class Feature(Signal):
    """A numeric column supplied by the platform, e.g. a model's p_reply.

    A post without the feature raises RankingError unless ``default`` is set.
    """

    type: Literal["feature"] = "feature"
    name: Annotated[str, Field(min_length=1)]
    default: float | None = None
    reads: ClassVar[tuple[str, ...]] = ("features",)

    def _is_rowwise(self) -> bool:
        return True

    def compute(self, batch: PostBatch, ctx: Context) -> NDArray[np.float64]:
        column = batch.features.get(self.name)
        if column is None:
            column = np.full(len(batch), np.nan)
        missing = np.isnan(column)
        if np.any(missing):
            if self.default is None:
                raise RankingError(
                    f"feature {self.name!r} is missing",
                    field=f"features.{self.name}",
                    post_id=str(batch.ids[int(np.argmax(missing))]),
                    expected="a value for every candidate, or a 'default' in the spec",
                )
            column = np.where(missing, self.default, column)
        return np.array(column, dtype=np.float64)

    def describe(self) -> str:
        return f"Platform feature {self.name!r}"
