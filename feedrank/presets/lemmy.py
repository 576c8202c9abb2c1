"""Lemmy's "hot" sort as an ordinary spec.

Source: LemmyNet/lemmy ``docs/src/about_ranking.md`` and the ``hot_rank`` SQL
function of its migrations. Score = ``upvote`` − ``downvote`` counts.

>>> from datetime import datetime, timedelta, timezone
>>> from feedrank import Context, Post, PostBatch, preset
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([
...     Post(id="old", author_id="a", created_at=t - timedelta(days=8), counts={"upvote": 9}),
...     Post(id="future", author_id="a", created_at=t + timedelta(hours=5)),
...     Post(id="new", author_id="a", created_at=t - timedelta(hours=2), counts={"upvote": 8})])
>>> ranking = preset("lemmy-hot").rank(batch, Context.build(batch, now=t))
>>> ranking.post_ids, [round(s, 6) for s in ranking.page_scores.tolist()]
(['new', 'future', 'old'], [0.082469, 0.0, 0.0])
"""

from __future__ import annotations

from feedrank.models import InteractionKind as K
from feedrank.presets.registry import register_preset
from feedrank.spec.pipeline import Pipeline
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals.votes import LogVotes, WindowedGravityDecay

__all__ = ["lemmy_hot"]


@register_preset("lemmy-hot")
def lemmy_hot() -> Pipeline:
    """Lemmy hot rank: log10(max(2, score + 2)) / (age_h + 2)^1.8 for
    0 < age_h < 168, else 0; score = upvotes − downvotes.

    - Posts older than a week and posts dated at or after ``now`` (future
      posts) score 0 rather than being removed or raising; among equal scores
      the library's tie order applies (newer first, then id), as Lemmy orders
      by hot rank, then publication time.
    - The vote term never drops below log10(2), so a post with score ≤ 0 still
      ranks by its age.
    - Not modelled: Lemmy's "scaled" sort, which divides by log(2 + monthly active
      users of the community).
    """
    return Pipeline(
        name="lemmy-hot",
        description=(
            "Lemmy hot: log10 of net votes (at least 2) over (age_h + 2)^1.8 for posts "
            "younger than a week; older or future posts score 0."
        ),
        scorer=Scorer(
            terms=[
                Term(
                    name="votes",
                    signal=LogVotes(
                        weights={K.UPVOTE: 1.0, K.DOWNVOTE: -1.0}, shift=2.0, floor=2.0
                    ),
                    weight=1.0,
                    why="Net votes on a log scale, floored so new posts can still rise.",
                )
            ],
            factors=[
                Factor(
                    name="age",
                    signal=WindowedGravityDecay(
                        gravity=1.8, offset_hours=2.0, min_hours=0.0, max_hours=168.0
                    ),
                    why=(
                        "Gravity 1.8 over the age plus 2 h; only posts of the past week "
                        "are hot at all."
                    ),
                )
            ],
        ),
    )
