"""Sample data for the conformance checks: a few realistic requests over one network.

:func:`sample_data` simulates a small social network
(:func:`feedrank.datasets.simulate`) and draws several requests from it: each
has its own candidates (overlapping across requests, in no particular order),
its own ``now`` and, but for the last one, a viewer with follows, blocks,
mutes, muted words, languages, seen posts, interests, an embedding, logged
interactions (likes, hides, a report) and social proof from the accounts they
follow. The candidates carry every column a built-in component reads: counts of
every kind (votes, views, replies, ...), topics, labels (``spam``, ``nsfw``,
``poll``, ``lightweight``), text, languages, URLs (some blank, some images),
replies, reposts and quotes, author follower counts, embeddings (some posts
without one) and features: ``quality_estimate``, the ``bridging_*`` columns,
the ``coordination_*`` columns (actions by coordinated groups) and the
prediction features ``p_*`` of the X presets (on most posts, not all).
One post is dated a quarter of an hour after the first request's ``now``.

>>> data = sample_data()
>>> len(data), [len(batch) for batch, _ in data.requests]
(4, [23, 15, 20, 18])
>>> [ctx.viewer is not None for _, ctx in data.requests]
[True, True, True, False]
>>> batch, requests = data.stacked()
>>> requests.offsets.tolist()
[0, 23, 23, 38, 58, 76]

A platform's own columns come in with :meth:`SampleData.with_features`:

>>> import numpy as np
>>> mine = data.with_features(shares_per_view=lambda b: b.count("share") / (b.count("view") + 1))
>>> "shares_per_view" in mine.requests[0][0].features
True
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.datasets.network import SimulatedNetwork
from feedrank.datasets.simulator import simulate
from feedrank.errors import InputError
from feedrank.models import Interaction, InteractionKind, Post, Viewer
from feedrank.presets.x import ENGAGEMENTS_2023, ENGAGEMENTS_2026
from feedrank.stages.signals.coordination import COORDINATION_KINDS, coordination_feature_names

__all__ = ["BRIDGING_FEATURES", "PREDICTION_FEATURES", "SampleData", "sample_data"]

Request = tuple[PostBatch, Context]

PREDICTION_FEATURES: tuple[str, ...] = tuple(
    sorted({e.feature for e in (*ENGAGEMENTS_2023, *ENGAGEMENTS_2026)})
)
"""The prediction features of the X presets; the sample gives them to most posts."""
BRIDGING_FEATURES: tuple[str, ...] = ("bridging_intercept", "bridging_factor", "bridging_ratings")
"""The columns the ``bridging`` signal reads; the sample gives them to every post."""


@dataclass(frozen=True, eq=False)
class SampleData:
    """Requests to check a component on: each a (batch, context) pair.

    Build one from your own requests with ``SampleData(((batch, ctx), ...))``
    (each context built for its batch), or take :func:`sample_data` and add
    columns with :meth:`with_features`.
    """

    requests: tuple[Request, ...]

    def __post_init__(self) -> None:
        if not self.requests:
            raise InputError("no requests", field="requests", expected="at least one request")
        for i, (batch, ctx) in enumerate(self.requests):
            if len(batch) != len(ctx):
                raise InputError(
                    f"request {i}: the context has {len(ctx)} rows, the batch {len(batch)}",
                    field="requests",
                    expected="Context.build(batch, ...) for each request's batch",
                )

    def __len__(self) -> int:
        return len(self.requests)

    @property
    def empty(self) -> Request:
        """A request without candidates, for the first request's viewer and ``now``."""
        batch = PostBatch.empty()
        ctx = self.requests[0][1]
        return batch, Context.build(batch, now=ctx.now_datetime, viewer=ctx.viewer)

    def singles(self, *, with_empty: bool = True) -> list[Request]:
        """Every request, with :attr:`empty` after the first unless ``with_empty`` is false."""
        if not with_empty:
            return list(self.requests)
        return [self.requests[0], self.empty, *self.requests[1:]]

    def stacked(self, *, with_empty: bool = True) -> tuple[PostBatch, Requests]:
        """:meth:`singles` stacked as the engine receives many requests:
        (batch, :class:`~feedrank.batch.requests.Requests`)."""
        parts = self.singles(with_empty=with_empty)
        batch, _ = PostBatch.stack([b for b, _ in parts])
        return batch, Requests.from_contexts([c for _, c in parts])

    def copy(self) -> SampleData:
        """A deep copy (every array copied), so a component that writes into its
        inputs cannot change the data of later checks."""
        return SampleData(copy.deepcopy(self.requests))

    def with_features(self, **columns: Callable[[PostBatch], ArrayLike]) -> SampleData:
        """The same requests with extra feature columns: ``name=function``, the
        function giving the column (n,) of a batch (NaN marks a missing value)."""
        out: list[Request] = []
        for batch, ctx in self.requests:
            features = dict(batch.features)
            for name, make in columns.items():
                values = np.asarray(make(batch), dtype=np.float64)
                if values.shape != (len(batch),) or np.isinf(values).any():
                    raise InputError(
                        f"column has shape {values.shape} or holds inf",
                        field=f"features.{name}",
                        expected=f"{len(batch)} finite values or NaN",
                    )
                features[name] = values
            out.append((replace(batch, features=features), ctx))
        return SampleData(tuple(out))


def sample_data(*, seed: int = 0, requests: int = 4, posts: int = 20) -> SampleData:
    """The default sample: ``requests`` requests (the last one anonymous when
    there are two or more) of about ``posts`` candidates each (3 more, 5 fewer,
    as many, 2 fewer, ...), drawn from a simulated network with seed ``seed``.
    Each call returns a fresh copy."""
    return _sample(seed, requests, posts).copy()


_SPREAD = (3, -5, 0, -2, 4, -1)
"""How many more candidates than ``posts`` each request has (requests differ in size)."""


@lru_cache(maxsize=8)
def _sample(seed: int, requests: int, posts: int) -> SampleData:
    if requests < 1 or posts < 1:
        raise InputError(
            f"requests={requests}, posts={posts}",
            field="sample_data",
            expected="at least one request of at least one post",
        )
    gen = np.random.default_rng(seed)
    net = simulate(
        rng=gen, n_users=16, n_topics=6, n_posts=max(3 * posts, 24), hours=48.0, mean_follows=4.0
    )
    pool = _posts(net, gen)
    authors = {p.id: p.author_id for p in pool}
    rest, future = pool[:-1], pool[-1]
    out: list[Request] = []
    for i in range(requests):
        now = net.now + timedelta(minutes=90 * i)
        size = min(max(posts + _SPREAD[i % len(_SPREAD)], 1), len(rest)) - (i == 0)
        chosen = [rest[j] for j in gen.choice(len(rest), size=size, replace=False).tolist()]
        if i == 0:
            chosen.insert(int(gen.integers(len(chosen) + 1)), future)
        batch = PostBatch.from_posts(chosen, net.authors)
        anonymous = requests > 1 and i == requests - 1
        if anonymous:
            out.append((batch, Context.build(batch, now=now)))
            continue
        viewer, mine = _viewer(net, net.viewers[(3 * i + 1) % len(net.viewers)], chosen, now, gen)
        ctx = Context.build(
            batch,
            now=now,
            viewer=viewer,
            interactions=mine,
            post_authors=authors,
            network=net.interactions,
            follow_graph={a: sorted(net.viewer(a).follows) for a in sorted(viewer.follows)[:1]},
        )
        out.append((batch, ctx))
    return SampleData(tuple(out))


def _posts(net: SimulatedNetwork, gen: np.random.Generator) -> list[Post]:
    """The network's posts with every column a built-in component reads, and one
    post dated after ``now`` (last)."""
    n = len(net.posts)
    base = np.exp(gen.normal(1.5, 1.2, size=n))
    rates: dict[InteractionKind, float] = {
        InteractionKind.LIKE: 1.0,
        InteractionKind.REPOST: 0.2,
        InteractionKind.REPLY: 0.8,
        InteractionKind.QUOTE: 0.05,
        InteractionKind.CLICK: 0.5,
        InteractionKind.VIEW: 12.0,
        InteractionKind.SHARE: 0.1,
        InteractionKind.BOOKMARK: 0.1,
        InteractionKind.UPVOTE: 3.0,
        InteractionKind.DOWNVOTE: 0.8,
        InteractionKind.REPORT: 0.02,
        InteractionKind.HIDE: 0.05,
        InteractionKind.MUTE: 0.02,
        InteractionKind.BLOCK: 0.01,
        InteractionKind.FOLLOW: 0.05,
    }
    draws = {kind: gen.poisson(base * rate) for kind, rate in rates.items()}
    flame = gen.random(n) < 0.15  # more comments than points: a flame war
    draws[InteractionKind.REPLY] = np.where(
        flame, gen.poisson(25.0 + 4.0 * base), draws[InteractionKind.REPLY]
    )
    silent = gen.random(n) < 0.1
    predicted = gen.random(n) < 0.75
    out: list[Post] = []
    for i, post in enumerate(net.posts):
        counts = dict(post.counts)
        if not silent[i]:
            for kind, column in draws.items():
                counts[kind] = counts.get(kind, 0) + int(column[i])
        features = dict(post.features)
        features["bridging_intercept"] = float(np.round(gen.normal(0.15, 0.35), 4))
        features["bridging_factor"] = float(np.round(gen.normal(0.0, 0.5), 4))
        features["bridging_ratings"] = float(gen.poisson(7.0))
        if predicted[i]:
            for name in PREDICTION_FEATURES:
                features[name] = float(np.round(gen.beta(1.0, 12.0), 6))
        labels = set(post.labels)
        roll = gen.random()
        if roll < 0.06:
            labels.add("spam")
        elif roll < 0.12:
            labels.add("nsfw")
        elif roll < 0.18:
            labels.add("poll")
        elif roll < 0.24:
            labels.add("lightweight")
        link = gen.random()
        url = (
            f"https://example.org/{post.id}"
            if link < 0.6
            else (f"https://img.example.org/{post.id}.JPG" if link < 0.7 else None)
        )
        earlier = net.posts[int(gen.integers(0, i))].id if i else None
        share = gen.random()
        out.append(
            post.model_copy(
                update={
                    "counts": counts,
                    "features": features,
                    "labels": tuple(sorted(labels)),
                    "url": url,
                    "repost_of": earlier if share < 0.1 and post.reply_to is None else None,
                    "quote_of": earlier if 0.1 <= share < 0.15 else None,
                    "embedding": None if gen.random() < 0.1 else post.embedding,
                }
            )
        )
    out = _coordination(out)
    first = net.posts[0]
    out.append(
        Post(
            id="future",
            author_id=first.author_id,
            created_at=net.now + timedelta(minutes=15),
            counts={InteractionKind.VIEW: 1},
            features={
                "quality_estimate": 0.5,
                **dict.fromkeys(BRIDGING_FEATURES, 0.0),
                **dict.fromkeys(coordination_feature_names(), 0.0),
            },
            topics=first.topics,
            lang=first.lang,
            text="posted a moment from now",
        )
    )
    return out


def _coordination(posts: list[Post]) -> list[Post]:
    """``posts`` with the ``coordination_*`` columns: on about a fifth of the posts
    with at least two actions of a kind, some of them came from one to three
    coordinated groups. Drawn from a generator of their own, so the rest of the
    sample does not depend on them."""
    gen = np.random.default_rng(2026)
    out = []
    for post in posts:
        features = dict(post.features)
        for kind in COORDINATION_KINDS:
            count = post.counts.get(kind, 0)
            actions = groups = accounts = 0
            if count >= 2 and gen.random() < 0.2:
                actions = int(gen.integers(2, count + 1))
                groups = int(gen.integers(1, min(actions, 3) + 1))
                accounts = int(gen.integers(groups, actions + 1))
            names = coordination_feature_names((kind,))
            for name, value in zip(names, (actions, groups, accounts), strict=True):
                features[name] = float(value)
        out.append(post.model_copy(update={"features": features}))
    return out


def _viewer(
    net: SimulatedNetwork,
    base: Viewer,
    candidates: Sequence[Post],
    now: datetime,
    gen: np.random.Generator,
) -> tuple[Viewer, list[Interaction]]:
    """``base`` with choices that touch the candidates (a block, a mute, a muted
    word, a few seen posts) and their logged interactions plus a recent hide and
    a report."""
    authors = sorted({p.author_id for p in candidates} - {base.id})
    words = [w for p in candidates for w in (p.text or "").split()[1:2] if w.isalpha()]
    seen = [p.id for p in candidates[:3]]
    blocked = {authors[int(gen.integers(len(authors)))]} if authors else set()
    muted = set(base.muted) | ({authors[int(gen.integers(len(authors)))]} if authors else set())
    viewer = Viewer.model_validate(
        {
            **base.model_dump(),
            "seen": seen,
            "blocked": sorted(blocked),
            "muted": sorted(muted),
            "muted_words": (*base.muted_words, *words[:1]),
            "languages": (*base.languages, "es") if "es" not in base.languages else base.languages,
        }
    )
    mine = net.interactions_of(base.id)
    old = [p for p in candidates if p.created_at <= now - timedelta(hours=6)]
    for kind, hours in ((InteractionKind.HIDE, 5.0), (InteractionKind.REPORT, 3.0)):
        if old:
            post = old[int(gen.integers(len(old)))]
            mine.append(
                Interaction(
                    viewer_id=base.id, post_id=post.id, kind=kind, at=now - timedelta(hours=hours)
                )
            )
    return viewer, mine
