"""Hacker News front-page ranking (news.arc) and its published simplification.

Source: arclanguage/anarki ``apps/news/news.arc`` (arc3 news), ``frontpage-rank``:
gravity 1.8, timebase 120 minutes. Points are the post's ``upvote`` count (HN's
``score``, which includes the submitter's own vote); comments are its ``reply``
count (HN's ``descendants``); a story without URL has an empty ``url``.

>>> from datetime import datetime, timedelta, timezone
>>> from feedrank import Context, Post, PostBatch, preset
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([Post(id="p", author_id="a", created_at=t,
...                                    counts={"upvote": 100}, url="https://x.org")])
>>> ctx = Context.build(batch, now=t + timedelta(hours=1))
>>> round(float(preset("hacker-news-simple").rank(batch, ctx).scores[0]), 5)
13.70304
"""

from __future__ import annotations

from feedrank.models import InteractionKind as K
from feedrank.presets.registry import register_preset
from feedrank.spec.pipeline import Pipeline
from feedrank.stages.filters.community import CreatedWithin
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals import GravityDecay
from feedrank.stages.signals.votes import HackerNewsPenalty, Points

__all__ = ["hacker_news", "hacker_news_simple"]


def _future() -> CreatedWithin:
    return CreatedWithin(hours=None)


def _age() -> Factor:
    return Factor(
        name="age",
        signal=GravityDecay(gravity=1.8, offset_hours=2.0),
        why=(
            "Gravity 1.8 over the age plus a 2 h timebase: ((age_min + 120) / 60)^1.8 = "
            "(age_h + 2)^1.8, so stories fall off the page within hours."
        ),
    )


@register_preset("hacker-news")
def hacker_news() -> Pipeline:
    """Hacker News ``frontpage-rank`` (news.arc): base / (age_h + 2)^1.8 × penalty,
    base = (points − 1)^0.8 if points − 1 > 0 else points − 1.

    The penalty is the first matching rule, each kept as its own factor (the
    others are 1, so they multiply to the news.arc value):

    - ``non_story`` 0.5 for an item that is not a story: a post labelled
      ``poll``. Reading chosen: REFERENCES.md and arc3's original ``(~astory s)``
      test penalise polls; anarki's later ``(in s!type 'story 'poll)`` exempts
      them (they then get the no-URL 0.4).
    - ``no_url`` 0.4 for a story with a blank URL (Ask HN and other text posts).
    - ``lightweight`` min(0.3, contro-factor) for a lightweight story: labelled
      ``lightweight``, ``rally`` or ``image``, or a URL ending in .png/.jpg/.jpeg.
      news.arc's per-site ``lightweights*`` table and dead flag are represented
      by the ``lightweight`` label.
    - ``controversy`` contro-factor for every other story: min(1, (points /
      comments)²) when the post has more than 20 comments, else 1. news.arc
      counts the visible comments of the thread; the ``reply`` count stands for
      them. Points stand for news.arc's ``realscore`` (score minus votes of
      detected sock puppets, which a feed cannot see).

    Posts dated after ``now`` are removed (``created_after_now``): news.arc
    never sees them, and the age term is undefined for them.
    """
    return Pipeline(
        name="hacker-news",
        description=(
            "Hacker News front page (news.arc): (points − 1)^0.8 / (age_h + 2)^1.8 "
            "with penalties for non-stories, text posts, lightweight and flame-war stories."
        ),
        filters=[_future()],
        scorer=Scorer(
            terms=[
                Term(
                    name="points",
                    signal=Points(weights={K.UPVOTE: 1.0}, offset=1.0, exponent=0.8),
                    weight=1.0,
                    why=(
                        "Votes after the submitter's own, with diminishing returns "
                        "(power 0.8) so a big lead does not last forever."
                    ),
                )
            ],
            factors=[
                _age(),
                Factor(
                    name="non_story",
                    signal=HackerNewsPenalty(branch="non_story"),
                    why="Polls and other non-story items count half (news.arc 0.5).",
                ),
                Factor(
                    name="no_url",
                    signal=HackerNewsPenalty(branch="no_url"),
                    why="Stories without a link (text posts) count 0.4 (nourl-factor).",
                ),
                Factor(
                    name="lightweight",
                    signal=HackerNewsPenalty(branch="lightweight"),
                    why="Images and rallying cries count at most 0.3 (lightweight-factor).",
                ),
                Factor(
                    name="controversy",
                    signal=HackerNewsPenalty(branch="controversy"),
                    why=(
                        "More comments than points on a busy thread signals a flame war: "
                        "(points / comments)² above 20 comments (contro-factor)."
                    ),
                ),
            ],
        ),
    )


@register_preset("hacker-news-simple")
def hacker_news_simple() -> Pipeline:
    """The widely published simplification of Hacker News ranking:
    (points − 1) / (age_h + 2)^1.8, no penalties, no power on the points.

    Worked value: 100 points at 1 h → 99 / 3^1.8 = 13.70304. Posts dated after
    ``now`` are removed (``created_after_now``).
    """
    return Pipeline(
        name="hacker-news-simple",
        description="Hacker News, simplified: (points − 1) / (age_h + 2)^1.8.",
        filters=[_future()],
        scorer=Scorer(
            terms=[
                Term(
                    name="points",
                    signal=Points(weights={K.UPVOTE: 1.0}, offset=1.0, exponent=1.0),
                    weight=1.0,
                    why="Votes after the submitter's own.",
                )
            ],
            factors=[_age()],
        ),
    )
