"""Context: the request a batch is ranked for — ``now``, the viewer, and the
per-post arrays derived from them (in-network, seen, author affinity).

>>> from datetime import datetime, timezone
>>> from feedrank import Post, PostBatch, Viewer
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([Post(id="p1", author_id="alice", created_at=t),
...                               Post(id="p2", author_id="bob", created_at=t)])
>>> ctx = Context.build(batch, now=t, viewer=Viewer(id="v", follows={"bob"}, seen={"p1"}))
>>> ctx.in_network.tolist(), ctx.seen.tolist()
([False, True], [True, False])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from ._time import MICROS_PER_HOUR, from_micros, to_micros
from .batch import PostBatch
from .components import SpecModel
from .errors import InputError
from .models import NEGATIVE_KINDS, Interaction, InteractionKind, Viewer

__all__ = ["AffinityModel", "Context"]


def _default_weights() -> dict[InteractionKind, float]:
    k = InteractionKind
    return {
        k.LIKE: 1.0,
        k.REPOST: 2.0,
        k.REPLY: 3.0,
        k.QUOTE: 2.0,
        k.CLICK: 0.5,
        k.SHARE: 2.0,
        k.BOOKMARK: 2.0,
        k.UPVOTE: 1.0,
    }


class AffinityModel(SpecModel):
    """How a viewer's past interactions turn into affinity for an author.

    affinity(author) = Σ weights[kind] · 0.5^(age_hours / half_life_hours) over
    the viewer's interactions with that author's posts, and likewise
    ``negative(author)`` over the kinds in NEGATIVE_KINDS with weight 1.
    """

    half_life_hours: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 168.0
    weights: dict[InteractionKind, Annotated[float, Field(allow_inf_nan=False)]] = Field(
        default_factory=_default_weights
    )


@dataclass(frozen=True, eq=False)
class Context:
    """One request. Arrays are aligned with the rows of the batch it was built for.

    - ``now``: int microseconds since the epoch (UTC).
    - ``viewer``: the :class:`~feedrank.Viewer`, or None for an anonymous feed.
    - ``in_network``, ``seen``: ndarray (n,), bool.
    - ``affinity``, ``negative``: ndarray (n,), float64, the viewer's decayed
      positive and negative interactions with each post's author.
    """

    now: int
    viewer: Viewer | None
    in_network: NDArray[np.bool_]
    seen: NDArray[np.bool_]
    affinity: NDArray[np.float64]
    negative: NDArray[np.float64]

    @property
    def now_datetime(self) -> datetime:
        """``now`` as a UTC datetime."""
        return from_micros(self.now)

    def __len__(self) -> int:
        return int(self.in_network.shape[0])

    @classmethod
    def build(
        cls,
        batch: PostBatch,
        *,
        now: datetime,
        viewer: Viewer | None = None,
        interactions: Iterable[Interaction] = (),
        post_authors: Mapping[str, str] | None = None,
        affinity: AffinityModel | None = None,
    ) -> Context:
        """Derive the per-post arrays of ``viewer`` for ``batch`` at ``now``.

        ``interactions`` are the viewer's logged actions (other viewers' are
        ignored); the author of each interacted post is looked up in ``batch``
        and then in ``post_authors`` (post id -> author id, for posts no longer
        candidates). An interaction whose post is in neither raises InputError,
        rather than being silently dropped; interactions after ``now`` are
        ignored (they had not happened yet).
        """
        now_us = to_micros(now)
        n = len(batch)
        if viewer is None:
            zeros = np.zeros(n, dtype=np.float64)
            return cls(now_us, None, np.zeros(n, bool), np.zeros(n, bool), zeros, zeros.copy())
        in_network = np.isin(batch.author_ids, _strings(viewer.follows))
        seen = np.isin(batch.ids, _strings(viewer.seen))
        pos, neg = _author_scores(
            batch, now_us, viewer, interactions, post_authors or {}, affinity or AffinityModel()
        )
        return cls(now_us, viewer, in_network, seen, pos, neg)

    def take(self, index: NDArray[np.intp]) -> Context:
        """The context restricted to rows ``index`` of its batch."""
        return Context(
            self.now,
            self.viewer,
            self.in_network[index],
            self.seen[index],
            self.affinity[index],
            self.negative[index],
        )


def _strings(values: Iterable[str]) -> NDArray[np.str_]:
    items = sorted(values)
    return np.array(items, dtype=np.str_) if items else np.zeros(0, dtype="U1")


def _author_scores(
    batch: PostBatch,
    now_us: int,
    viewer: Viewer,
    interactions: Iterable[Interaction],
    post_authors: Mapping[str, str],
    model: AffinityModel,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    n = len(batch)
    mine = [i for i in interactions if i.viewer_id == viewer.id]
    if not mine:
        return np.zeros(n), np.zeros(n)
    post_ids = np.array([i.post_id for i in mine], dtype=np.str_)
    rows = batch.index_of(post_ids)
    known = batch.author_ids[rows[rows >= 0]].tolist()
    authors_list: list[str] = [""] * len(mine)
    for j, author in zip(np.flatnonzero(rows >= 0).tolist(), known, strict=True):
        authors_list[j] = author
    for j in np.flatnonzero(rows < 0):
        pid = str(post_ids[j])
        if pid not in post_authors:
            raise InputError(
                "interaction with a post whose author is unknown",
                field="interactions.post_id",
                post_id=pid,
                expected="a candidate post, or an entry in post_authors",
            )
        authors_list[j] = post_authors[pid]
    authors = np.array(authors_list, dtype=np.str_)
    at = np.array([to_micros(i.at, field="interactions.at") for i in mine], dtype=np.int64)
    age_h = (now_us - at) / MICROS_PER_HOUR
    decay = np.where(age_h >= 0, 0.5 ** (np.maximum(age_h, 0) / model.half_life_hours), 0.0)
    negative_kinds = set(NEGATIVE_KINDS)
    w_pos = np.array([model.weights.get(i.kind, 0.0) for i in mine], dtype=np.float64)
    w_neg = np.array([1.0 if i.kind in negative_kinds else 0.0 for i in mine], dtype=np.float64)
    uniq, inverse = np.unique(authors, return_inverse=True)
    pos_by_author = np.bincount(inverse, weights=w_pos * decay, minlength=len(uniq))
    neg_by_author = np.bincount(inverse, weights=w_neg * decay, minlength=len(uniq))
    slot = np.minimum(np.searchsorted(uniq, batch.author_ids), max(len(uniq) - 1, 0))
    hit = uniq[slot] == batch.author_ids if n else np.zeros(0, bool)
    return (
        np.where(hit, pos_by_author[slot], 0.0).astype(np.float64),
        np.where(hit, neg_by_author[slot], 0.0).astype(np.float64),
    )
