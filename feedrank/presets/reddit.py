"""Reddit's sorts (hot, best, controversial, top) as ordinary specs.

Source: reddit-archive/reddit, ``r2/r2/lib/db/_sorts.pyx`` — the final version
(753b174) and the 2013-03 version (8af4154) — and ``r2/r2/lib/utils`` for the
``top`` time windows. Votes are the ``upvote`` and ``downvote`` counts of each
post; s = ups − downs.

>>> from datetime import datetime, timezone
>>> from feedrank import Context, Post, PostBatch, preset
>>> t0 = datetime.fromtimestamp(1134028003 + 45000, tz=timezone.utc)
>>> batch = PostBatch.from_posts([Post(id="p", author_id="a", created_at=t0,
...                                    counts={"upvote": 10})])
>>> float(preset("reddit-hot").rank(batch, Context.build(batch, now=t0)).scores[0])
2.0
"""

from __future__ import annotations

from feedrank.models import InteractionKind as K
from feedrank.presets.registry import register_preset
from feedrank.spec.pipeline import Pipeline
from feedrank.stages.filters.community import CreatedWithin
from feedrank.stages.scoring import Scorer, Term
from feedrank.stages.signals import Interactions, Timestamp, WilsonLowerBound
from feedrank.stages.signals.votes import Controversy, LogVotes, SignedTimestamp

__all__ = [
    "REDDIT_EPOCH",
    "TOP_WINDOWS_HOURS",
    "reddit_best",
    "reddit_controversial",
    "reddit_hot",
    "reddit_hot_2013",
    "reddit_top",
    "reddit_top_all",
    "reddit_top_hour",
    "reddit_top_month",
    "reddit_top_week",
    "reddit_top_year",
]

REDDIT_EPOCH = 1134028003.0
"""Epoch second of reddit's hot origin (2005-12-08 07:46:43 UTC)."""
HOT_SCALE = 45000.0
"""Seconds per unit of the time term: 12.5 h newer is worth 10× the net votes."""
TOP_WINDOWS_HOURS: dict[str, float | None] = {
    "hour": 1.0,
    "day": 24.0,
    "week": 24.0 * 7,
    "month": 24.0 * 30,
    "year": 24.0 * 365,
    "all": None,
}
"""The ``t=`` windows of reddit's top listing in hours (r2 ``timeintervald``:
a month is 30 days, a year 365 days); ``all`` has no window."""

_NET = {K.UPVOTE: 1.0, K.DOWNVOTE: -1.0}


@register_preset("reddit-hot")
def reddit_hot() -> Pipeline:
    """Reddit "hot", final reading (``_sorts.pyx`` at 753b174):
    hot = round(sign(s) · log10(max(|s|, 1)) + (created_epoch − 1134028003) / 45000, 7).

    This is the default Reddit hot preset. The sign multiplies only the vote
    term, so a post with more downvotes than upvotes still gets the full time
    bonus (see ``reddit-hot-2013`` for the older reading). Rounding uses
    ``Scorer(round_digits=7)``, which rounds each final score exactly as
    Python's ``round(x, 7)`` does; contributions stay unrounded.
    """
    return Pipeline(
        name="reddit-hot",
        description=(
            "Reddit hot (final _sorts.pyx): signed log10 of net votes plus creation "
            "time in units of 12.5 h, rounded to 7 decimals."
        ),
        scorer=Scorer(
            terms=[
                Term(
                    name="votes",
                    signal=Interactions(weights=_NET, transform="signed_log10"),
                    weight=1.0,
                    why=(
                        "Net votes on a log scale: the first 10 votes count as much as "
                        "the next 90. Negative net votes count negatively."
                    ),
                ),
                Term(
                    name="time",
                    signal=Timestamp(origin=REDDIT_EPOCH, scale=HOT_SCALE),
                    weight=1.0,
                    why=(
                        "Newer posts rank higher without decay at read time: 12.5 h "
                        "newer equals 10 times the net votes."
                    ),
                ),
            ],
            round_digits=7,
        ),
    )


@register_preset("reddit-hot-2013")
def reddit_hot_2013() -> Pipeline:
    """Reddit "hot", 2013 reading (``_sorts.pyx`` at 8af4154, the version behind
    the reddit_top_2013 data): hot = round(log10(max(|s|, 1)) + sign(s) ·
    (created_epoch − 1134028003) / 45000, 7).

    Reading chosen: the source's own expression ``order + sign * seconds / 45000``,
    i.e. the vote term is unsigned and the sign of s multiplies the time term.
    It agrees with ``reddit-hot`` whenever s > 0; a post with s < 0 sinks the
    further the newer it is, and one with s = 0 scores 0. Rounded with
    ``Scorer(round_digits=7)`` exactly as Python's ``round(x, 7)``.
    """
    return Pipeline(
        name="reddit-hot-2013",
        description=(
            "Reddit hot as of 2013: log10 of |net votes| plus the creation time signed "
            "by the net votes, rounded to 7 decimals."
        ),
        scorer=Scorer(
            terms=[
                Term(
                    name="votes",
                    signal=LogVotes(weights=_NET, absolute=True, floor=1.0),
                    weight=1.0,
                    why="Size of the net vote on a log scale, whatever its sign.",
                ),
                Term(
                    name="time",
                    signal=SignedTimestamp(weights=_NET, origin=REDDIT_EPOCH, scale=HOT_SCALE),
                    weight=1.0,
                    why=(
                        "Newer posts with positive net votes rank higher (12.5 h = 10× the "
                        "votes); posts with negative net votes are pushed down instead."
                    ),
                ),
            ],
            round_digits=7,
        ),
    )


@register_preset("reddit-best")
def reddit_best() -> Pipeline:
    """Reddit "best" (``confidence`` in ``_sorts.pyx``): the lower bound of the
    Wilson score interval of the upvote share, z = 1.281551565545 (80 %).

    n = ups + downs, 0 if n = 0, p = ups / n:
    (p + z²/(2n) − z·sqrt(p(1−p)/n + z²/(4n²))) / (1 + z²/n).
    Computed in float64; reddit's Cython declared n, z and p as C ``float``
    (single precision), so its stored values can differ from these in the
    7th–8th significant digit. Time plays no part.
    """
    return Pipeline(
        name="reddit-best",
        description="Reddit best: Wilson lower bound (80 %) of the share of upvotes.",
        scorer=Scorer(
            terms=[
                Term(
                    name="confidence",
                    signal=WilsonLowerBound(
                        positive=(K.UPVOTE,), negative=(K.DOWNVOTE,), z=1.281551565545
                    ),
                    weight=1.0,
                    why=(
                        "How good the post is with 80 % confidence: a high share of upvotes "
                        "counts more the more votes it rests on."
                    ),
                )
            ]
        ),
    )


@register_preset("reddit-controversial")
def reddit_controversial() -> Pipeline:
    """Reddit "controversial", final reading (``_sorts.pyx`` at 753b174):
    (ups + downs) ^ (min(ups, downs) / max(ups, downs)), 0 if ups ≤ 0 or downs ≤ 0.

    Reading chosen: the final formula of REFERENCES.md. The 2013 version
    (8af4154) used (ups + downs) / max(|ups − downs|, 1) instead.
    """
    return Pipeline(
        name="reddit-controversial",
        description="Reddit controversial: many votes, evenly split between up and down.",
        scorer=Scorer(
            terms=[
                Term(
                    name="controversy",
                    signal=Controversy(positive=(K.UPVOTE,), negative=(K.DOWNVOTE,)),
                    weight=1.0,
                    why="Posts that divide many voters evenly rank first.",
                )
            ]
        ),
    )


def _top(window: str) -> Pipeline:
    hours = TOP_WINDOWS_HOURS[window]
    name = "reddit-top" if window == "day" else f"reddit-top-{window}"
    span = "of all time" if hours is None else f"of the past {window}"
    return Pipeline(
        name=name,
        description=f"Reddit top {span}: net votes (ups − downs), highest first.",
        filters=[CreatedWithin(hours=hours)],
        scorer=Scorer(
            terms=[
                Term(
                    name="score",
                    signal=Interactions(weights=_NET),
                    weight=1.0,
                    why="The net vote count: upvotes minus downvotes.",
                )
            ]
        ),
    )


@register_preset("reddit-top")
def reddit_top() -> Pipeline:
    """Reddit "top" of the past day (``t=day``, the default window): ups − downs of
    posts created at most 24 h before now (r2 keeps ``_date >= now − 1 day``).

    Posts dated after ``now`` are removed (``created_after_now``): they did not
    exist at the moment being ranked. Variants: ``reddit-top-hour``,
    ``reddit-top-week``, ``reddit-top-month`` (30 days), ``reddit-top-year``
    (365 days), ``reddit-top-all``.
    """
    return _top("day")


@register_preset("reddit-top-hour")
def reddit_top_hour() -> Pipeline:
    """Reddit "top" of the past hour (``t=hour``); see :func:`reddit_top`."""
    return _top("hour")


@register_preset("reddit-top-week")
def reddit_top_week() -> Pipeline:
    """Reddit "top" of the past week (``t=week``, 168 h); see :func:`reddit_top`."""
    return _top("week")


@register_preset("reddit-top-month")
def reddit_top_month() -> Pipeline:
    """Reddit "top" of the past month (``t=month``, 30 days as in r2); see :func:`reddit_top`."""
    return _top("month")


@register_preset("reddit-top-year")
def reddit_top_year() -> Pipeline:
    """Reddit "top" of the past year (``t=year``, 365 days as in r2); see :func:`reddit_top`."""
    return _top("year")


@register_preset("reddit-top-all")
def reddit_top_all() -> Pipeline:
    """Reddit "top" of all time (``t=all``): no window, only posts dated after now
    are removed; see :func:`reddit_top`."""
    return _top("all")
