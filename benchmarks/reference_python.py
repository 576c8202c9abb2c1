"""A straightforward pure-Python ranker: the baseline of the benchmarks.

It computes exactly what the pipeline of ``bench_single_request.py`` computes,
the way one would write it by hand without feedrank or numpy: posts are dicts,
every number comes from a loop over posts using the ``math`` module, and the
feed is ordered with ``sorted()`` by the documented total order (score
descending, created_at descending, post id ascending).

The algorithm (all parameters live in :class:`Params`):

- context: in-network and seen flags per post; the viewer's affinity and
  negative feedback per author, Σ weight · 0.5^(age_h / half_life) over the
  viewer's interactions with the author's posts;
- filters, first reason wins: ``seen``, then ``older_than:<h>h`` /
  ``created_after_now``;
- ten additive terms (weight · signal) and two multiplicative factors;
- author diversity: the k-th post (0-based, in score order) of an author is
  multiplied by (1 - floor) · decay^k + floor (divided, for a negative score),
  then the feed is sorted again and every moved post is recorded.

Every part of every score is kept, as feedrank keeps it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TypedDict

__all__ = [
    "FACTOR_NAMES",
    "MICROS_PER_HOUR",
    "NEGATIVE_KINDS",
    "TERM_NAMES",
    "Params",
    "RefContext",
    "RefInteraction",
    "RefPost",
    "RefRanking",
    "RefViewer",
    "build_context",
    "rank",
    "rank_request",
]

MICROS_PER_HOUR = 3_600_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
MICROSECOND = timedelta(microseconds=1)
NEGATIVE_KINDS = frozenset({"downvote", "report", "hide", "mute", "block"})
TERM_NAMES = (
    "engagement",
    "like_rate",
    "quality",
    "in_network",
    "affinity",
    "interests",
    "p_like",
    "freshness",
    "negative",
    "votes",
)
FACTOR_NAMES = ("age", "replies", "author_diversity")


class RefPost(TypedDict):
    """One candidate post as a plain dict."""

    id: str
    author_id: str
    created_at: int  # microseconds since the epoch, UTC
    counts: dict[str, int]  # interaction kind -> count, absent = 0
    features: dict[str, float]  # absent = missing
    topics: tuple[str, ...]
    reply_to: str | None


class RefViewer(TypedDict):
    """The viewer a feed is ranked for."""

    id: str
    follows: frozenset[str]
    seen: frozenset[str]
    interests: dict[str, float]


class RefInteraction(TypedDict):
    """One logged action of a viewer on a post."""

    viewer_id: str
    post_id: str
    kind: str
    at: datetime  # timezone-aware


def _default_affinity_weights() -> dict[str, float]:
    return {
        "like": 1.0,
        "repost": 2.0,
        "reply": 3.0,
        "quote": 2.0,
        "click": 0.5,
        "share": 2.0,
        "bookmark": 2.0,
        "upvote": 1.0,
    }


@dataclass(frozen=True)
class Params:
    """Every number of the benchmark algorithm (the feedrank spec is built from it)."""

    # context
    affinity_half_life_hours: float = 168.0
    affinity_weights: dict[str, float] = field(default_factory=_default_affinity_weights)
    # filters
    max_age_hours: float = 72.0
    # terms: signal parameters and weights
    engagement_weights: dict[str, float] = field(
        default_factory=lambda: {"like": 1.0, "repost": 2.0, "reply": 3.0, "bookmark": 2.0}
    )
    engagement_weight: float = 1.0
    rate_weights: dict[str, float] = field(default_factory=lambda: {"like": 1.0, "repost": 1.0})
    rate_base: str = "view"
    rate_prior_rate: float = 0.05
    rate_prior_strength: float = 20.0
    rate_weight: float = 4.0
    wilson_z: float = 1.281551565545
    wilson_weight: float = 2.0
    in_network_weight: float = 1.0
    affinity_weight: float = 1.5
    interests_weight: float = 2.0
    feature_name: str = "p_like"
    feature_default: float = 0.0
    feature_weight: float = 3.0
    freshness_half_life_hours: float = 12.0
    freshness_weight: float = 2.0
    negative_weight: float = -2.0
    votes_weights: dict[str, float] = field(
        default_factory=lambda: {"upvote": 1.0, "downvote": -1.0}
    )
    votes_weight: float = 0.5
    # factors
    gravity: float = 1.2
    gravity_offset_hours: float = 2.0
    reply_factor: float = 0.75
    # re-ranker
    diversity_decay: float = 0.5
    diversity_floor: float = 0.25


@dataclass(frozen=True)
class RefContext:
    """Per-request values, keyed by post id (flags) and author id (affinities).

    ``now``: microseconds since the epoch, UTC.
    """

    now: int
    follows: frozenset[str]
    seen: frozenset[str]
    interests: dict[str, float]
    affinity: dict[str, float]
    negative: dict[str, float]


@dataclass(frozen=True)
class RefRanking:
    """The whole feed, best first, with every part of every score.

    ``contributions[i]`` (10 values, in ``TERM_NAMES`` order) and ``factors[i]``
    (3 values, in ``FACTOR_NAMES`` order) belong to ``post_ids[i]``;
    ``moves`` maps a moved post id to (position before, position after, reason).
    """

    post_ids: list[str]
    scores: list[float]
    contributions: list[list[float]]
    factors: list[list[float]]
    removed: dict[str, str]
    moves: dict[str, tuple[int, int, str]]
    page: list[str]


def build_context(
    posts: list[RefPost],
    viewer: RefViewer,
    interactions: list[RefInteraction],
    post_authors: dict[str, str],
    now: datetime,
    params: Params,
) -> RefContext:
    """The viewer's decayed affinity and negative feedback per author at ``now``
    (a timezone-aware datetime, like every ``at`` of ``interactions``)."""
    author_of = {p["id"]: p["author_id"] for p in posts}
    weights = params.affinity_weights
    half_life = params.affinity_half_life_hours
    affinity: dict[str, float] = {}
    negative: dict[str, float] = {}
    for item in interactions:
        if item["viewer_id"] != viewer["id"]:
            continue
        post_id = item["post_id"]
        author = author_of.get(post_id)
        if author is None:
            author = post_authors[post_id]  # KeyError: unknown author, as feedrank raises
        age_h = (now - item["at"]) / HOUR
        decay = 0.5 ** (max(age_h, 0.0) / half_life) if age_h >= 0 else 0.0
        kind = item["kind"]
        affinity[author] = affinity.get(author, 0.0) + weights.get(kind, 0.0) * decay
        negative[author] = negative.get(author, 0.0) + (
            (1.0 if kind in NEGATIVE_KINDS else 0.0) * decay
        )
    return RefContext(
        (now - EPOCH) // MICROSECOND,
        viewer["follows"],
        viewer["seen"],
        viewer["interests"],
        affinity,
        negative,
    )


def _weighted(counts: dict[str, int], weights: dict[str, float]) -> float:
    return sum(w * counts.get(kind, 0) for kind, w in weights.items())


def _sort_key(row: tuple[float, int, str]) -> tuple[float, int, str]:
    score, created_at, post_id = row
    return (-score, -created_at, post_id)


def rank(posts: list[RefPost], ctx: RefContext, params: Params, limit: int = 50) -> RefRanking:
    """Filter, score, re-rank and page ``posts`` for ``ctx``."""
    p = params
    now = ctx.now
    removed: dict[str, str] = {}
    kept: list[RefPost] = []
    ages: list[float] = []
    max_age_reason = f"older_than:{p.max_age_hours:g}h"
    for post in posts:
        age_h = (now - post["created_at"]) / MICROS_PER_HOUR
        if post["id"] in ctx.seen:
            removed[post["id"]] = "seen"
        elif post["created_at"] > now:
            removed[post["id"]] = "created_after_now"
        elif age_h > p.max_age_hours:
            removed[post["id"]] = max_age_reason
        else:
            kept.append(post)
            ages.append(age_h)

    term_weights = (
        p.engagement_weight,
        p.rate_weight,
        p.wilson_weight,
        p.in_network_weight,
        p.affinity_weight,
        p.interests_weight,
        p.feature_weight,
        p.freshness_weight,
        p.negative_weight,
        p.votes_weight,
    )
    z2 = p.wilson_z * p.wilson_z
    contributions: list[list[float]] = []
    factors: list[list[float]] = []
    base: list[float] = []
    scores: list[float] = []
    for post, age_h in zip(kept, ages, strict=True):
        counts = post["counts"]
        author = post["author_id"]

        engagement = math.log1p(_weighted(counts, p.engagement_weights))
        rate = (_weighted(counts, p.rate_weights) + p.rate_prior_rate * p.rate_prior_strength) / (
            counts.get(p.rate_base, 0) + p.rate_prior_strength
        )

        up = float(counts.get("upvote", 0))
        total = up + counts.get("downvote", 0)
        if total > 0:
            share = up / total
            wilson = (
                share
                + z2 / (2 * total)
                - p.wilson_z * math.sqrt(share * (1 - share) / total + z2 / (4 * total * total))
            ) / (1 + z2 / total)
        else:
            wilson = 0.0

        in_network = 1.0 if author in ctx.follows else 0.0
        affinity = math.log1p(max(ctx.affinity.get(author, 0.0), 0.0))
        topics = post["topics"]
        interests = sum(ctx.interests.get(t, 0.0) for t in topics) / max(len(topics), 1)
        feature = post["features"].get(p.feature_name, p.feature_default)
        freshness = 2.0 ** (-age_h / p.freshness_half_life_hours)
        negative = math.log1p(ctx.negative.get(author, 0.0))
        votes = _weighted(counts, p.votes_weights)
        votes = math.copysign(math.log10(max(abs(votes), 1.0)), votes) if votes else 0.0

        values = (
            engagement,
            rate,
            wilson,
            in_network,
            affinity,
            interests,
            feature,
            freshness,
            negative,
            votes,
        )
        parts = [w * x for w, x in zip(term_weights, values, strict=True)]
        age = (age_h + p.gravity_offset_hours) ** -p.gravity
        replies = p.reply_factor if post["reply_to"] else 1.0
        total_terms = sum(parts)
        contributions.append(parts)
        factors.append([age, replies])
        base.append(total_terms)
        scores.append(total_terms * (age * replies))

    # Order by score desc, created_at desc, id asc.
    rows = [(scores[i], kept[i]["created_at"], kept[i]["id"]) for i in range(len(kept))]
    order = sorted(range(len(kept)), key=lambda i: _sort_key(rows[i]))

    # Author diversity: k-th post of an author in the current order.
    seen_per_author: dict[str, int] = {}
    reasons: list[str] = [""] * len(kept)
    for i in order:
        author = kept[i]["author_id"]
        k = seen_per_author.get(author, 0)
        seen_per_author[author] = k + 1
        m = (1.0 - p.diversity_floor) * p.diversity_decay ** float(k) + p.diversity_floor
        multiplier = m if scores[i] >= 0 else 1.0 / m
        row_factors = factors[i]
        row_factors.append(multiplier)
        scores[i] = base[i] * ((row_factors[0] * row_factors[1]) * multiplier)
        if k > 0:
            reasons[i] = "author_diversity"
        rows[i] = (scores[i], kept[i]["created_at"], kept[i]["id"])
    new_order = sorted(range(len(kept)), key=lambda i: _sort_key(rows[i]))

    before = {row: pos for pos, row in enumerate(order)}
    moves: dict[str, tuple[int, int, str]] = {}
    for pos, row in enumerate(new_order):
        if before[row] != pos:
            moves[kept[row]["id"]] = (
                before[row],
                pos,
                reasons[row] or "shifted_by:author_diversity",
            )

    post_ids = [kept[i]["id"] for i in new_order]
    return RefRanking(
        post_ids=post_ids,
        scores=[scores[i] for i in new_order],
        contributions=[contributions[i] for i in new_order],
        factors=[factors[i] for i in new_order],
        removed=removed,
        moves=moves,
        page=post_ids[:limit],
    )


def rank_request(
    posts: list[RefPost],
    viewer: RefViewer,
    interactions: list[RefInteraction],
    post_authors: dict[str, str],
    now: datetime,
    params: Params,
    limit: int = 50,
) -> RefRanking:
    """One whole request: :func:`build_context` then :func:`rank`."""
    ctx = build_context(posts, viewer, interactions, post_authors, now, params)
    return rank(posts, ctx, params, limit)
