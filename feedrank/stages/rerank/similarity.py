"""Post-to-post similarity for the diversity re-rankers.

Two kinds, declared in the spec: ``"embedding"`` (cosine of the posts'
embeddings) and ``"topics"`` (Jaccard index of their topic sets). Both are
positive semi-definite kernels with 1 on the diagonal; a post without an
embedding (or without topics) has similarity 0 to every other post, so where no
post has one the kernel is the identity (:attr:`Similarity.dissimilar`) and a
diversity re-ranker keeps the order.

>>> import numpy as np
>>> from datetime import datetime, timezone
>>> from feedrank import Post, PostBatch
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([
...     Post(id="a", author_id="x", created_at=t, topics=("jazz", "news")),
...     Post(id="b", author_id="y", created_at=t, topics=("jazz",)),
...     Post(id="c", author_id="z", created_at=t)])
>>> sim = Similarity.of(batch, np.array([0, 1, 2]), "topics")
>>> sim.to(0).tolist()
[1.0, 0.5, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.posts import PostBatch

__all__ = ["Similarity", "SimilarityKind", "closest_above", "row_tags"]

SimilarityKind = Literal["embedding", "topics"]


@dataclass(frozen=True, eq=False)
class Similarity:
    """Similarity among ``m`` posts (the rows given to :meth:`of`, in that order).

    ``vectors`` (m, d) float64: unit embeddings (zero rows for posts without
    one) or 0/1 topic indicators; ``sizes`` (m,) the number of topics per post
    (None for embeddings).
    """

    vectors: NDArray[np.float64]
    sizes: NDArray[np.float64] | None

    @classmethod
    def of(cls, batch: PostBatch, rows: NDArray[np.intp], kind: SimilarityKind) -> Similarity:
        """The similarity of ``batch`` rows ``rows`` under ``kind``."""
        if kind == "embedding":
            if batch.embeddings is None:  # no post has one: each is similar to nothing
                return cls(np.zeros((rows.shape[0], 1)), None)
            vectors = np.asarray(batch.embeddings[rows], dtype=np.float64)  # a copy
            missing = ~batch.has_embedding[rows]
            if missing.any():
                vectors[missing] = 0.0
            norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))
            norms[norms == 0] = 1.0
            vectors /= norms[:, None]
            return cls(vectors, None)
        owner, codes, lengths = row_tags(batch, rows)
        used, column = np.unique(codes, return_inverse=True)  # only these rows' topics
        vectors = np.zeros((rows.shape[0], max(used.shape[0], 1)), dtype=np.float64)
        vectors[owner, column.reshape(-1)] = 1.0
        return cls(vectors, lengths.astype(np.float64))

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def dissimilar(self) -> bool:
        """Whether every post is similar to nothing but itself (the identity
        kernel: no post has an embedding, or none has a topic)."""
        return not bool(self.vectors.any())

    def to(self, j: int) -> NDArray[np.float64]:
        """ndarray (m,), float64: the similarity of every post to post ``j``
        (1 at ``j`` itself)."""
        dot: NDArray[np.float64] = self.vectors @ self.vectors[j]
        if self.sizes is not None:
            union = self.sizes + self.sizes[j] - dot
            dot = np.divide(dot, union, out=np.zeros_like(dot), where=union > 0)
        dot[j] = 1.0
        return dot

    def matrix(self, index: NDArray[np.intp]) -> NDArray[np.float64]:
        """ndarray (k, k), float64: the similarities among posts ``index``."""
        v = self.vectors[index]
        out: NDArray[np.float64] = v @ v.T
        if self.sizes is not None:
            s = self.sizes[index]
            union = s[:, None] + s[None, :] - out
            out = np.divide(out, union, out=np.zeros_like(out), where=union > 0)
        np.fill_diagonal(out, 1.0)
        return out


def closest_above(
    among: NDArray[np.float64], window: int | None = None
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """For posts placed in the order of ``among`` (k, k), each one's highest
    similarity to the posts placed before it (within the last ``window - 1``
    when given) and the index of that post: ``closest`` (k,) float64 (NaN
    where none counts) and ``near`` (k,) intp (-1 there).

    >>> closest_above(np.array([[1.0, 0.2, 0.9], [0.2, 1.0, 0.4], [0.9, 0.4, 1.0]]))
    (array([nan, 0.2, 0.9]), array([-1,  0,  0]))
    """
    k = among.shape[0]
    i, j = np.indices((k, k))
    counts = j < i
    if window is not None:
        counts &= j > i - window
    masked = np.where(counts, among, -np.inf)
    near = np.argmax(masked, axis=1).astype(np.intp) if k else np.zeros(0, dtype=np.intp)
    some = counts.any(axis=1)
    closest = np.where(some, masked[np.arange(k), near], np.nan)
    return closest, np.where(some, near, -1).astype(np.intp)


def row_tags(
    batch: PostBatch, rows: NDArray[np.intp]
) -> tuple[NDArray[np.intp], NDArray[np.int64], NDArray[np.intp]]:
    """The topics of ``rows``: ``owner`` (nnz,) the index in ``rows`` of every
    stored topic, ``codes`` (nnz,) its code in ``batch.topics.vocabulary``, and
    ``lengths`` (len(rows),) the number of topics of each row."""
    tags = batch.topics
    starts = tags.indptr[rows]
    lengths = (tags.indptr[rows + 1] - starts).astype(np.intp)
    nnz = int(lengths.sum())
    owner = np.repeat(np.arange(rows.shape[0], dtype=np.intp), lengths)
    within = np.arange(nnz, dtype=np.intp) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    codes: NDArray[np.int64] = tags.codes[np.repeat(starts, lengths) + within]
    return owner, codes, lengths
