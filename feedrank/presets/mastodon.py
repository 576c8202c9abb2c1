"""Mastodon's trending posts as an ordinary spec.

Source: mastodon/mastodon ``app/models/trends/statuses.rb`` (``calculate_scores``,
``eligible?``). Boosts are the ``repost`` count, favourites the ``like`` count.

>>> from datetime import datetime, timedelta, timezone
>>> from feedrank import Context, Post, PostBatch, preset
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([Post(id="p", author_id="a", created_at=t,
...                                    counts={"repost": 4, "like": 6})])
>>> ctx = Context.build(batch, now=t + timedelta(hours=1))
>>> float(preset("mastodon-trends").rank(batch, ctx).scores[0])
40.5
"""

from __future__ import annotations

from feedrank.models import InteractionKind as K
from feedrank.presets.registry import register_preset
from feedrank.spec.pipeline import Pipeline
from feedrank.stages.filters import Labels
from feedrank.stages.filters.community import CreatedWithin, TopLevel
from feedrank.stages.policy import Policy
from feedrank.stages.rerank.per_author import OnePerAuthor
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals import ExponentialDecay
from feedrank.stages.signals.votes import Surprise

__all__ = ["NOT_TRENDABLE_LABELS", "mastodon_trends"]

NOT_TRENDABLE_LABELS: tuple[str, ...] = ("sensitive", "spoiler", "not_public")
"""Labels that make a status ineligible: ``sensitive`` (marked sensitive),
``spoiler`` (has a content warning), ``not_public`` (visibility other than public)."""


@register_preset("mastodon-trends")
def mastodon_trends() -> Pipeline:
    """Mastodon trending posts (``Trends::Statuses``): expected = 1, observed =
    boosts + favourites; score = 0 if observed < 5 or expected > observed, else
    (observed − expected)² / expected; decayed = score · 0.5^(age_h / 1).

    - Half-life 1 h, the value Mastodon uses since 2023 (earlier releases: 2 h).
    - Eligibility (``eligible?``): non-reply posts only (``reply_to`` empty); a
      boost itself never trends (its original does), so reposts are removed
      too. Public, non-sensitive, no content warning: posts labelled
      ``sensitive``, ``spoiler`` or ``not_public`` are removed. Account-level
      checks (discoverable, not silenced) and the language check are left to
      the caller: label such posts ``not_public``.
    - One post per account (PR #18181, 2022: "only show one status from each
      account"): the re-ranker ``one_per_author`` with ``others = "remove"``
      keeps each account's best post by decayed score (ties: newer, then id)
      and removes its other posts, with reason ``one_per_author`` among the
      removals. It runs after scoring because "best" depends on the scores;
      the posts that move up because others were removed record the move
      (``shifted_by:one_per_author``).
    - Posts dated after ``now`` are removed (``created_after_now``): they did not
      exist at the moment being ranked, and the decay would boost them without
      bound (0.5 to a negative power).
    - Not modelled: statuses whose decayed score falls below ``decay_threshold``
      0.3 leave the trends table; here they stay, ranked last by their score.
      The preferred-language ordering of the query is not applied either.

    Worked value: observed 10 at 1 h → (10 − 1)² · 0.5 = 40.5.
    """
    return Pipeline(
        name="mastodon-trends",
        description=(
            "Mastodon trending posts: surprise over boosts + favourites, halving every "
            "hour; public non-sensitive top-level posts, only the best one of each account."
        ),
        filters=[
            TopLevel(exclude_reposts=True),
            Labels(
                exclude=NOT_TRENDABLE_LABELS,
                policy=Policy(
                    name="trends-eligibility",
                    kind="ranking_preference",
                    ground="terms",
                    reference="Mastodon trends: only public posts without a content warning "
                    "or a sensitive mark trend (Trends::Statuses#eligible?)",
                    url="https://github.com/mastodon/mastodon/blob/main/app/models/trends/statuses.rb",
                    explanation=(
                        "The labels record the author's own settings (marked sensitive, a "
                        "content warning, not public): nothing is decided about the post."
                    ),
                ),
            ),
            CreatedWithin(hours=None),
        ],
        scorer=Scorer(
            terms=[
                Term(
                    name="surprise",
                    signal=Surprise(
                        weights={K.REPOST: 1.0, K.LIKE: 1.0}, expected=1.0, threshold=5.0
                    ),
                    weight=1.0,
                    why=(
                        "How far boosts + favourites exceed the 1 expected, squared; "
                        "fewer than 5 interactions never trend."
                    ),
                )
            ],
            factors=[
                Factor(
                    name="decay",
                    signal=ExponentialDecay(half_life_hours=1.0),
                    why="Trends are about now: the score halves every hour.",
                )
            ],
        ),
        rerankers=[OnePerAuthor(others="remove")],
    )
