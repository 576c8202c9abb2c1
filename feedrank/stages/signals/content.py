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

from typing import Annotated, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.batch.tags import Tags
from feedrank.errors import RankingError
from feedrank.stages.signals.base import Signal, register_signal

__all__ = ["EmbeddingSimilarity", "Feature", "TopicMatch"]


@register_signal
class TopicMatch(Signal):
    """Σ of the viewer's interest weights over the post's topics (``mean``: divided
    by the number of topics)."""

    type: Literal["topic_match"] = "topic_match"
    normalize: Literal["sum", "mean"] = "sum"
    reads: ClassVar[tuple[str, ...]] = ("topics", "viewer.interests")

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        tags = batch.topics
        if len(requests) == 1:
            viewer = requests.viewers[0]
            total = tags.weighted_sum(viewer.interests if viewer is not None else {})
        else:
            total = _interest_sums(tags, requests)
        if self.normalize == "mean":
            return total / np.maximum(tags.counts(), 1)
        return total

    def describe(self) -> str:
        how = "mean" if self.normalize == "mean" else "sum"
        return f"Viewer's interest in the post's topics ({how})"


def _interest_sums(tags: Tags, requests: Requests) -> NDArray[np.float64]:
    """Σ of each row's request viewer's interest weights over the row's topics.

    The interests of every distinct viewer become sorted (viewer, topic) keys; each
    stored tag looks up its (viewer of its request, topic) key: memory stays
    proportional to the interests and tags given.
    """
    vocab = {name: i for i, name in enumerate(tags.vocabulary)}
    width = max(len(vocab), 1)
    slot = np.full(len(requests), -1, dtype=np.int64)
    keys: list[int] = []
    weights: list[float] = []
    seen: dict[int, int] = {}
    for s, viewer in enumerate(requests.viewers):
        if viewer is None or not viewer.interests:
            continue
        known = seen.get(id(viewer))
        if known is None:
            known = seen[id(viewer)] = len(seen)
            for name, weight in viewer.interests.items():
                col = vocab.get(name)
                if col is not None:
                    keys.append(known * width + col)
                    weights.append(weight)
        slot[s] = known
    out = np.zeros(len(tags), dtype=np.float64)
    if not keys:
        return out
    key_arr = np.array(keys, dtype=np.int64)
    by = np.argsort(key_arr, kind="stable")
    key_arr, weight_arr = key_arr[by], np.array(weights, dtype=np.float64)[by]
    rows = tags.row_ids
    owner = slot[requests.segment_of_rows[rows]]
    wanted = owner * width + tags.codes
    pos = np.minimum(np.searchsorted(key_arr, wanted), key_arr.shape[0] - 1)
    hit = (owner >= 0) & (key_arr[pos] == wanted)
    found = np.where(hit, weight_arr[pos], 0.0)
    return np.bincount(rows, weights=found, minlength=len(tags)).astype(np.float64)


@register_signal
class EmbeddingSimilarity(Signal):
    """Cosine similarity between the viewer's and the post's embeddings.

    Posts without an embedding (or an anonymous viewer) get ``missing``.
    """

    type: Literal["embedding_similarity"] = "embedding_similarity"
    missing: float = 0.0
    reads: ClassVar[tuple[str, ...]] = ("embeddings", "viewer.embedding")

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        out = np.full(len(batch), self.missing, dtype=np.float64)
        emb = batch.embeddings
        if emb is None:
            return out
        norms: NDArray[np.float64] | None = None
        for _, a, b, viewer in requests.with_viewer():
            if viewer.embedding is None:
                continue
            v = np.asarray(viewer.embedding, dtype=np.float64)
            if v.shape[0] != emb.shape[1]:
                raise RankingError(
                    f"viewer embedding has {v.shape[0]} dimensions",
                    field="viewer.embedding",
                    expected=f"{emb.shape[1]} dimensions like the posts",
                )
            if norms is None:
                norms = np.linalg.norm(emb, axis=1)
            rows = emb[a:b]
            scale = norms[a:b] * np.linalg.norm(v)
            ok = batch.has_embedding[a:b] & (scale > 0)
            # Row by row (not a matrix product, whose summation order depends on a
            # row's position), so equal embeddings always get equal similarities.
            dots = (rows * v).sum(axis=1)
            out[a:b] = np.where(ok, dots / np.where(ok, scale, 1.0), self.missing)
        return out

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

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        column = batch.features.get(self.name)
        if column is None:
            column = np.full(len(batch), np.nan)
        missing = np.isnan(column)
        if missing.any():
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
