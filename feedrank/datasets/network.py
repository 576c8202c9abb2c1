"""The result of a simulation: the network, its logged impressions and its ground truth.

:func:`feedrank.datasets.simulate` builds these; see
:mod:`feedrank.datasets.simulator` for the generative model and the formulas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.datasets.campaigns import CampaignTruth
from feedrank.errors import InputError
from feedrank.models import Author, Interaction, Post, Viewer

__all__ = ["GRADE_THRESHOLDS", "LANGUAGES", "GroundTruth", "Impressions", "SimulatedNetwork"]

LANGUAGES: tuple[str, ...] = ("en", "es", "fr")
"""Post and reader languages, with shares .80, .12, .08 of first languages."""
GRADE_THRESHOLDS: tuple[float, ...] = (0.3, 0.5, 0.7)
"""Relevance r maps to grade ``#{t in GRADE_THRESHOLDS : r >= t}`` (0 to 3)."""
RELEVANCE_WEIGHTS = (0.5, 0.3, 0.2)
"""Weights of interest match, quality and following the author in relevance."""
FOREIGN_FACTOR = 0.2
"""Relevance multiplier for a post in a language the reader does not read."""


@dataclass(frozen=True, eq=False)
class Impressions:
    """The logged feeds: one row per (session, position) shown, m rows.

    Rows are ordered by session time, then viewer index, then position.

    - ``viewer_index``, ``post_index``: ndarray (m,), intp, rows of
      ``SimulatedNetwork.viewers`` / ``.posts``; ``viewer_id``, ``post_id``: (m,), str.
    - ``session``: ndarray (m,), intp, the feed's number, 0, 1, ... in row order.
    - ``session_at``: ndarray (m,), int64, session start in µs since the epoch (UTC).
    - ``position``: ndarray (m,), int64, 0-based slot in the feed.
    - ``propensity``: ndarray (m,), float64, ``(position + 1)^(−η)``, the probability
      that the slot was examined under the position-based model.
    - ``in_network``: ndarray (m,), bool, the post's author is followed by the viewer.
    - ``examined``: ndarray (m,), bool, the latent examination draw (simulator truth;
      a real log would not have it).
    - ``clicked``, ``liked``, ``hidden``: ndarray (m,), bool, outcomes of the slot.
    """

    viewer_index: NDArray[np.intp]
    viewer_id: NDArray[np.str_]
    post_index: NDArray[np.intp]
    post_id: NDArray[np.str_]
    session: NDArray[np.intp]
    session_at: NDArray[np.int64]
    position: NDArray[np.int64]
    propensity: NDArray[np.float64]
    in_network: NDArray[np.bool_]
    examined: NDArray[np.bool_]
    clicked: NDArray[np.bool_]
    liked: NDArray[np.bool_]
    hidden: NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.viewer_index.shape[0])


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """The latent state behind a network (U users, A authors, K topics, P posts).

    - ``interests``: (U, K) float64, rows ``θ_u`` sum to 1.
    - ``group``: (U,) intp, index into ``SimulatedNetwork.groups``.
    - ``follows``: (U, A) bool, ``follows[u, a]``: user u follows author a.
    - ``speaks``: (U, len(LANGUAGES)) bool, the languages each user reads.
    - ``activity``, ``popularity``, ``author_quality``: (A,) float64, α, φ and μ.
    - ``post_author``: (P,) intp; ``post_topics``: (P, K) float64, rows τ_p sum to 1;
      ``quality``: (P,) float64 in (0, 1); ``post_lang``: (P,) intp into LANGUAGES.
    """

    interests: NDArray[np.float64]
    group: NDArray[np.intp]
    follows: NDArray[np.bool_]
    speaks: NDArray[np.bool_]
    activity: NDArray[np.float64]
    popularity: NDArray[np.float64]
    author_quality: NDArray[np.float64]
    post_author: NDArray[np.intp]
    post_topics: NDArray[np.float64]
    quality: NDArray[np.float64]
    post_lang: NDArray[np.intp]

    def relevance(self, users: NDArray[np.intp], posts: NDArray[np.intp]) -> NDArray[np.float64]:
        """r(u, p) of the module's formula for the pairs ``(users[i], posts[i])``.

        ``users`` and ``posts`` are intp arrays of one shape; returns float64 in [0, 1]
        of that shape.
        """
        theta = self.interests[users]
        match = np.einsum("...k,...k->...", self.post_topics[posts], theta) / theta.max(axis=-1)
        authors = self.post_author[posts]
        follows = self.follows[users, authors].astype(np.float64)
        lang = np.where(self.speaks[users, self.post_lang[posts]], 1.0, FOREIGN_FACTOR)
        w_match, w_quality, w_follow = RELEVANCE_WEIGHTS
        out = lang * (w_match * match + w_quality * self.quality[posts] + w_follow * follows)
        return np.asarray(out, dtype=np.float64)


def _grades(relevance: NDArray[np.float64]) -> NDArray[np.int64]:
    """Graded relevance 0..3 (int64, same shape) of relevance values in [0, 1]."""
    return np.searchsorted(np.array(GRADE_THRESHOLDS), relevance, side="right").astype(np.int64)


class _Cache:
    def __init__(self) -> None:
        self.batch: PostBatch | None = None
        self.users: dict[str, int] | None = None
        self.by_viewer: dict[str, list[Interaction]] | None = None
        self.post_authors: dict[str, str] | None = None
        self.post_ids: tuple[NDArray[np.str_], NDArray[np.intp]] | None = None


@dataclass(frozen=True, eq=False)
class SimulatedNetwork:
    """A simulated network at the instant ``now`` (see the module for the model).

    ``posts`` (ids ``p0…`` in creation order), ``authors`` (the first ``n_authors``
    users), ``viewers`` (every user, ids ``u0…``) and ``interactions`` (ordered by
    time) are validated models; ``impressions`` is the feed log; ``truth`` holds the
    latent arrays; ``parameters`` the arguments of :func:`simulate`.
    """

    posts: list[Post]
    authors: list[Author]
    viewers: list[Viewer]
    interactions: list[Interaction]
    impressions: Impressions
    now: datetime
    start: datetime
    topics: tuple[str, ...]
    groups: tuple[str, ...]
    truth: GroundTruth
    parameters: Mapping[str, object]
    campaigns: CampaignTruth | None = None
    """Ground truth of the planted campaigns (None: an organic network)."""
    _cache: _Cache = field(default_factory=_Cache, init=False, repr=False, compare=False)

    def __repr__(self) -> str:
        return (
            f"SimulatedNetwork(users={len(self.viewers)}, authors={len(self.authors)}, "
            f"posts={len(self.posts)}, interactions={len(self.interactions)}, "
            f"now={self.now.isoformat()})"
        )

    def batch(self) -> PostBatch:
        """All posts as a :class:`~feedrank.PostBatch` with author followers (cached)."""
        if self._cache.batch is None:
            self._cache.batch = PostBatch.from_posts(self.posts, self.authors)
        return self._cache.batch

    def viewer_index(self, viewer_id: str) -> int:
        """Row of ``viewer_id`` in ``viewers`` (and in ``truth``); InputError if unknown."""
        if self._cache.users is None:
            self._cache.users = {v.id: i for i, v in enumerate(self.viewers)}
        try:
            return self._cache.users[viewer_id]
        except KeyError:
            raise InputError(
                f"unknown viewer {viewer_id!r}",
                field="viewer_id",
                expected=f"one of the {len(self.viewers)} simulated users, e.g. "
                f"{self.viewers[0].id!r}",
            ) from None

    def viewer(self, viewer_id: str) -> Viewer:
        """The :class:`~feedrank.Viewer` of ``viewer_id`` as of ``now``."""
        return self.viewers[self.viewer_index(viewer_id)]

    def interactions_of(self, viewer_id: str) -> list[Interaction]:
        """The interactions of ``viewer_id``, in time order."""
        self.viewer_index(viewer_id)
        if self._cache.by_viewer is None:
            grouped: dict[str, list[Interaction]] = {}
            for item in self.interactions:
                grouped.setdefault(item.viewer_id, []).append(item)
            self._cache.by_viewer = grouped
        return list(self._cache.by_viewer.get(viewer_id, ()))

    def post_authors(self) -> dict[str, str]:
        """Post id -> author id for every post (a copy)."""
        if self._cache.post_authors is None:
            self._cache.post_authors = {p.id: p.author_id for p in self.posts}
        return dict(self._cache.post_authors)

    def context(self, viewer_id: str, batch: PostBatch | None = None) -> Context:
        """:meth:`Context.build` for ``viewer_id`` at ``now`` over ``batch`` (default:
        :meth:`batch`), with the viewer's interactions and every post's author."""
        return Context.build(
            self.batch() if batch is None else batch,
            now=self.now,
            viewer=self.viewer(viewer_id),
            interactions=self.interactions_of(viewer_id),
            post_authors=self.post_authors(),
        )

    def post_index(self, post_ids: Iterable[str] | NDArray[np.str_]) -> NDArray[np.intp]:
        """ndarray (n,), intp: rows of ``post_ids`` in ``posts``; InputError if unknown."""
        wanted = np.asarray(
            post_ids if isinstance(post_ids, np.ndarray) else list(post_ids), dtype=np.str_
        )
        if self._cache.post_ids is None:
            ids = np.array([p.id for p in self.posts], dtype=np.str_)
            order = np.argsort(ids, kind="stable").astype(np.intp)
            self._cache.post_ids = (ids[order], order)
        sorted_ids, order = self._cache.post_ids
        if not sorted_ids.size:
            rows = np.full(wanted.shape, -1, dtype=np.intp)
        else:
            slot = np.minimum(np.searchsorted(sorted_ids, wanted), sorted_ids.size - 1)
            rows = np.where(sorted_ids[slot] == wanted, order[slot], -1).astype(np.intp)
        if np.any(rows < 0):
            bad = str(wanted[int(np.argmax(rows < 0))])
            raise InputError(
                "unknown post", field="post_ids", post_id=bad, expected="a simulated post id"
            )
        return rows

    def relevance(
        self, viewer_id: str, post_ids: Iterable[str] | NDArray[np.str_] | None = None
    ) -> NDArray[np.float64]:
        """ndarray (n,), float64 in [0, 1]: ground-truth relevance r(u, p) of each post in
        ``post_ids`` (default: all posts, in order) to ``viewer_id``."""
        rows = (
            np.arange(len(self.posts), dtype=np.intp)
            if post_ids is None
            else self.post_index(post_ids)
        )
        users = np.full(rows.shape, self.viewer_index(viewer_id), dtype=np.intp)
        return self.truth.relevance(users, rows)

    def relevance_grades(
        self, viewer_id: str, post_ids: Iterable[str] | NDArray[np.str_] | None = None
    ) -> NDArray[np.int64]:
        """ndarray (n,), int64 in 0..3: :data:`GRADE_THRESHOLDS` applied to
        :meth:`relevance`."""
        return _grades(self.relevance(viewer_id, post_ids))


# ---------------------------------------------------------------------- simulate
