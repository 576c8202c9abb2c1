"""Bluesky's original "What's Hot" feed as an ordinary spec.

Source: bluesky-social/atproto ``packages/bsky/src/feed-gen/whats-hot.ts`` and
the migrations that create its ``algo_whats_hot_view`` materialized view.

>>> from datetime import datetime, timedelta, timezone
>>> from feedrank import Context, Post, PostBatch, preset
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([Post(id="p", author_id="a", created_at=t,
...                                    counts={"like": 50})])
>>> ctx = Context.build(batch, now=t + timedelta(hours=3))
>>> round(float(preset("bluesky-whats-hot").rank(batch, ctx).scores[0]), 6)
2.759459
"""

from __future__ import annotations

from feedrank.models import InteractionKind as K
from feedrank.presets.registry import register_preset
from feedrank.spec.pipeline import Pipeline
from feedrank.stages.filters import Labels
from feedrank.stages.filters.community import CreatedWithin, MinInteractions, TopLevel
from feedrank.stages.policy import Policy
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals import GravityDecay, Interactions

__all__ = ["MIN_LIKES", "NO_WHATS_HOT_LABELS", "bluesky_whats_hot"]

NO_WHATS_HOT_LABELS: tuple[str, ...] = (
    "!no-promote",
    "corpse",
    "self-harm",
    "porn",
    "sexual",
    "nudity",
    "underwear",
)
"""Labels that keep a post out of What's Hot (whats-hot.ts ``NO_WHATS_HOT_LABELS``)."""

MIN_LIKES = 3
"""Fewest likes a candidate needs: the view keeps ``likeCount > 2``."""


@register_preset("bluesky-whats-hot")
def bluesky_whats_hot() -> Pipeline:
    """Bluesky "What's Hot" (atproto whats-hot.ts): likes / (age_h + 2)^1.8 over
    top-level posts (no ``reply_to``) of the last 24 h.

    - Window: the view keeps ``indexedAt > now − 1 day``, an open window, so a
      post exactly 24 h old is removed (``not_newer_than:24h``); posts dated
      after now are removed too. Age is taken from ``created_at`` (Bluesky
      used the time its AppView indexed the post).
    - Minimum like count: more than 2 likes (``MIN_LIKES`` = 3), the value the
      later atproto migration seeds for the ``whats_hot_like_threshold`` view
      parameter (the first migration seeded 10; operators tune it at run time).
      Chosen because it is the value the current code ships with.
    - Labels: posts carrying any of ``NO_WHATS_HOT_LABELS`` are removed. Bluesky
      also checks labels on the author and on an embedded record; put those on
      the post's labels to have them count.
    - The view stores round(10⁶ · score) as an integer and breaks ties by CID;
      this preset keeps full precision and the library's tie order (score,
      then newer, then id), which only differ for scores equal to 6 decimals.

    Worked value: 50 likes at 3 h → 50 / 5^1.8 = 2.759459.
    """
    return Pipeline(
        name="bluesky-whats-hot",
        description=(
            "Bluesky What's Hot: likes / (age_h + 2)^1.8 over top-level posts of the "
            "last 24 h with more than 2 likes, without adult or graphic labels."
        ),
        filters=[
            TopLevel(),
            CreatedWithin(hours=24.0, inclusive=False),
            MinInteractions(weights={K.LIKE: 1.0}, at_least=float(MIN_LIKES)),
            Labels(
                exclude=NO_WHATS_HOT_LABELS,
                policy=Policy(
                    name="no-whats-hot-labels",
                    kind="visibility_restriction",
                    ground="terms",
                    reference="Bluesky Community Guidelines; labelled content is kept out of "
                    "What's Hot",
                    url="https://bsky.social/about/support/community-guidelines",
                    explanation=(
                        "The post carries a moderation label (adult, graphic or self-harm "
                        "content, or !no-promote) that keeps it out of What's Hot."
                    ),
                    category="STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
                    automated_detection=True,
                    automated_decision="fully",
                ),
            ),
        ],
        scorer=Scorer(
            terms=[
                Term(
                    name="likes",
                    signal=Interactions(weights={K.LIKE: 1.0}),
                    weight=1.0,
                    why="What many people liked: the like count, nothing else.",
                )
            ],
            factors=[
                Factor(
                    name="age",
                    signal=GravityDecay(gravity=1.8, offset_hours=2.0),
                    why="Hacker News gravity: (age_h + 2)^1.8, so the feed turns over daily.",
                )
            ],
        ),
    )
