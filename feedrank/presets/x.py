"""X / Twitter "For You": the 2023 and 2026 published reference algorithms.

Four presets:

- ``x-for-you-2023`` and ``x-for-you-2026`` read the platform's predictions
  (post features ``p_*``, listed in each preset's docstring) and, for a post
  without a prediction, let a smoothed rate from its counts stand in;
- ``x-for-you-2023-estimated`` and ``x-for-you-2026-estimated`` are the same
  algorithms for a platform without an engagement model: every prediction is
  the estimate from counts, and every explanation says so.

Why both: the ``auto`` presets are the published algorithm and use a
prediction wherever one exists, with per-post provenance available from
:func:`feedrank.ranking.provenance.provenance` (a term's explanation shows its
value and the rule, not which branch served this post). The ``-estimated``
variants make the provenance part of the published spec: their fingerprint
proves that no model prediction was used, and each term's description reads
"estimated from counts as (like + 100·0) / (view + 100)" for every post, with
no per-post branch to look up.

The estimator is P̂ = (Σ counts + α·π) / (views + α) with α = 100 impressions and
π = 0: with few views it shrinks towards "no engagement". These two numbers
are feedrank's choice, not X's. Engagements that no count observes (profile
clicks, video watch time, dwell, replies engaged by the author, shares via DM
or copied link, link opens) have no estimate and contribute π = 0. Where views
are not logged (count 0) the estimate is a count divided by α, no longer a
probability but still the same monotone rule for every post.

>>> from feedrank.presets import preset
>>> pipe = preset("x-for-you-2026")
>>> [(t.name, t.weight) for t in pipe.scorer.terms][:3]
[('favorite', 0.5), ('reply', 5.0), ('retweet', 1.0)]
>>> pipe.scorer.terms[0].signal.rule()
'(like + 100·0) / (view + 100)'
>>> preset("x-for-you-2026-estimated").scorer.terms[0].signal.describe().split(" as ")[0]
'P(favorite) estimated from counts'
"""

from __future__ import annotations

from dataclasses import dataclass

from feedrank.models import InteractionKind as K
from feedrank.presets.registry import register_preset
from feedrank.spec.pipeline import Pipeline
from feedrank.stages.filters import BlockedAuthors, MaxAge, MutedAuthors, MutedWords, Seen
from feedrank.stages.filters.feedback import SeeFewer, SocialProof
from feedrank.stages.rerank import DPP, AuthorDiversity, NetworkCaps
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals import InNetwork, IsReply
from feedrank.stages.signals.feedback import FeedbackFatigue
from feedrank.stages.signals.prediction import PredictedEngagement, Source

__all__ = [
    "ALPHA",
    "ENGAGEMENTS_2023",
    "ENGAGEMENTS_2026",
    "Engagement",
    "x_for_you_2023",
    "x_for_you_2023_estimated",
    "x_for_you_2026",
    "x_for_you_2026_estimated",
]

ALPHA = 100.0
"""Prior strength α of the estimator, in impressions (feedrank's choice)."""


@dataclass(frozen=True)
class Engagement:
    """One head of the model: term name, weight, prediction feature, the counts that
    estimate it (empty: none observes it), and what it predicts."""

    name: str
    weight: float
    feature: str
    estimate_from: tuple[K, ...]
    meaning: str


ENGAGEMENTS_2023: tuple[Engagement, ...] = (
    Engagement("fav", 0.5, "p_fav", (K.LIKE,), "favorite (like) the post"),
    Engagement("retweet", 1.0, "p_retweet", (K.REPOST,), "retweet the post"),
    Engagement("reply", 13.5, "p_reply", (K.REPLY,), "reply to the post"),
    Engagement(
        "good_profile_click",
        12.0,
        "p_good_profile_click",
        (),
        "open the author's profile and like or reply to a post there",
    ),
    Engagement(
        "video_playback50", 0.005, "p_video_playback50", (), "watch at least half of the video"
    ),
    Engagement(
        "reply_engaged_by_author",
        75.0,
        "p_reply_engaged_by_author",
        (),
        "reply, and the author engages with that reply",
    ),
    Engagement(
        "good_click",
        11.0,
        "p_good_click",
        (),
        "click into the conversation and reply to or like a post there",
    ),
    Engagement(
        "good_click_v2",
        10.0,
        "p_good_click_v2",
        (),
        "click into the conversation and stay at least 2 minutes",
    ),
    Engagement(
        "negative_feedback_v2",
        -74.0,
        "p_negative_feedback_v2",
        (K.HIDE, K.MUTE, K.BLOCK),
        'react negatively ("show less often", mute or block the author)',
    ),
    Engagement("report", -369.0, "p_report", (K.REPORT,), "report the post"),
)
"""The heavy ranker's heads and weights as published on 5 April 2023."""

ENGAGEMENTS_2026: tuple[Engagement, ...] = (
    Engagement("favorite", 0.5, "p_favorite", (K.LIKE,), "favorite (like) the post"),
    Engagement("reply", 5.0, "p_reply", (K.REPLY,), "reply to the post"),
    Engagement("retweet", 1.0, "p_retweet", (K.REPOST,), "repost the post"),
    Engagement("quote", 5.0, "p_quote", (K.QUOTE,), "quote the post"),
    Engagement("share", 2.0, "p_share", (K.SHARE,), "share the post"),
    Engagement("share_via_dm", 5.0, "p_share_via_dm", (), "share the post by direct message"),
    Engagement("share_via_copy_link", 20.0, "p_share_via_copy_link", (), "copy a link to the post"),
    Engagement("follow_author", 4.0, "p_follow_author", (K.FOLLOW,), "follow the author"),
    Engagement("click", 0.4, "p_click", (K.CLICK,), "click the post"),
    Engagement("open_link", 0.2, "p_open_link", (), "open the post's link"),
    Engagement("not_interested", -43.2, "p_not_interested", (K.HIDE,), 'say "not interested"'),
    Engagement("block_author", -31.2, "p_block_author", (K.BLOCK,), "block the author"),
    Engagement("mute_author", -58.8, "p_mute_author", (K.MUTE,), "mute the author"),
    Engagement("report", -234.0, "p_report", (K.REPORT,), "report the post"),
)
"""The weights of xai-org/x-algorithm's home-mixer parameters (2026)."""


def _terms(heads: tuple[Engagement, ...], source: Source, when: str) -> list[Term]:
    return [
        Term(
            name=head.name,
            signal=PredictedEngagement(
                feature=head.feature,
                estimate_from=head.estimate_from,
                per=K.VIEW,
                prior_rate=0.0,
                prior_strength=ALPHA,
                source=source,
                label=head.name,
            ),
            weight=head.weight,
            why=f"X's published weight ({when}) for the probability that the viewer will "
            f"{head.meaning}.",
        )
        for head in heads
    ]


def _viewer_choices() -> tuple[BlockedAuthors, MutedAuthors, MutedWords, Seen]:
    return (BlockedAuthors(), MutedAuthors(), MutedWords(), Seen())


def _x_2023(name: str, source: Source) -> Pipeline:
    estimated = source == "estimate"
    return Pipeline(
        name=name,
        description=(
            "X's 'For You' timeline as published in 2023: the heavy ranker's weighted "
            "engagement probabilities"
            + (" (estimated from counts)" if estimated else "")
            + ", then out-of-network and reply discounts, feedback fatigue, author "
            "diversity and at most 60 in-network and 60 out-of-network posts of 120; "
            "out-of-network posts need social proof."
        ),
        filters=[
            *_viewer_choices(),
            SeeFewer(kinds=(K.HIDE,), days=14.0),
            SocialProof(min_accounts=1),
        ],
        scorer=Scorer(
            terms=_terms(ENGAGEMENTS_2023, source, "April 2023"),
            factors=[
                Factor(
                    name="out_of_network",
                    signal=InNetwork(true_value=1.0, false_value=0.75),
                    why="X 2023 heuristic: posts from accounts the viewer does not follow × 0.75.",
                ),
                Factor(
                    name="replies",
                    signal=IsReply(true_value=0.75, false_value=1.0),
                    why="X 2023 heuristic: replies × 0.75.",
                ),
                Factor(
                    name="feedback_fatigue",
                    signal=FeedbackFatigue(
                        kinds=(K.HIDE,), filter_days=14.0, recovery_days=154.0, floor=0.2
                    ),
                    why="X 2023 heuristic: after 'see fewer' on an author, 0.2 at day 14 "
                    "rising linearly to 1.0 at day 154.",
                ),
            ],
        ),
        rerankers=[
            AuthorDiversity(decay=0.5, floor=0.25),
            NetworkCaps(max_in_network=60, max_out_of_network=60),
        ],
        limit=120,
    )


def _x_2026(name: str, source: Source) -> Pipeline:
    estimated = source == "estimate"
    return Pipeline(
        name=name,
        description=(
            "X's 'For You' ranking as published in 2026: Phoenix's weighted action "
            "probabilities"
            + (" (estimated from counts)" if estimated else "")
            + ", out-of-network posts × 0.75, author diversity (decay 0.5, floor 0.25), "
            "then a determinantal point process over the first 150 posts (θ 0.65, cosine "
            "of post embeddings; without embeddings it keeps the order); posts older than "
            "48 hours are not candidates."
        ),
        filters=[MaxAge(hours=48.0), *_viewer_choices()],
        scorer=Scorer(
            terms=_terms(ENGAGEMENTS_2026, source, "2026"),
            factors=[
                Factor(
                    name="out_of_network",
                    signal=InNetwork(true_value=1.0, false_value=0.75),
                    why="X 2026 out-of-network factor: posts from accounts the viewer does "
                    "not follow × 0.75.",
                )
            ],
        ),
        rerankers=[AuthorDiversity(decay=0.5, floor=0.25), DPP(theta=0.65, k=150)],
    )


@register_preset("x-for-you-2023")
def x_for_you_2023() -> Pipeline:
    """X "For You" (2023): heavy ranker, then X's heuristics.

    score = Σ wᵢ · P(engagementᵢ) × out_of_network × replies × feedback_fatigue,
    then author diversity and the 60/60 network balance of a 120-post page.

    Weights (projects/home/recap/README.md of twitter/the-algorithm-ml, 5 April
    2023) and the post feature each term reads:

    ========================  =======  ============================  ==============
    term                      weight   feature                       estimate from
    ========================  =======  ============================  ==============
    fav                         0.5    p_fav                         like
    retweet                     1.0    p_retweet                     repost
    reply                      13.5    p_reply                       reply
    good_profile_click         12.0    p_good_profile_click          (none)
    video_playback50            0.005  p_video_playback50            (none)
    reply_engaged_by_author    75.0    p_reply_engaged_by_author     (none)
    good_click                 11.0    p_good_click                  (none)
    good_click_v2              10.0    p_good_click_v2               (none)
    negative_feedback_v2      -74.0    p_negative_feedback_v2        hide+mute+block
    report                   -369.0    p_report                      report
    ========================  =======  ============================  ==============

    A post without a feature gets (count + 100·0) / (views + 100) from the counts
    named, or 0 where none observes the engagement. good_click and good_click_v2
    are two heads with their own weights (11 and 10), summed, as in the April
    2023 README (an earlier README took the larger of the two).

    Heuristics, as multiplicative factors and re-rankers (each kept per post):

    - out-of-network posts × 0.75; replies × 0.75;
    - feedback fatigue: posts by an author the viewer hid ("see fewer", the
      ``hide`` interaction) are filtered for 14 days, then × 0.2 rising
      linearly to × 1.0 at day 154;
    - author diversity: the k-th post (0-based, in score order) of an author
      × (1 − 0.25) · 0.5^k + 0.25 = 1, 0.625, 0.4375, 0.34375, ...;
    - at most 60 in-network and 60 out-of-network posts rank ahead of the rest;
      a page holds 120 posts;
    - out-of-network posts need social proof: an account the viewer follows
      liked or reposted the post or follows its author (pass ``network`` and/or
      ``follow_graph`` to :meth:`Context.build`; without them every
      out-of-network post is removed as ``no_social_proof``).

    The viewer's blocks, mutes, muted words and seen posts are filtered first.

    Readings chosen: the author-diversity rank k follows the order after the
    scorer's factors (the out-of-network and fatigue factors are the same for
    all posts of an author, so only the reply factor can reorder an author's
    posts); the factors multiply the weighted sum as it is, also when that sum
    is negative, where a factor below 1 raises the score towards 0 (X offset
    scores to stay positive; feedrank does not). Fatigue is per author only (X
    also applied it to posts liked, retweeted or followed by an account the
    viewer asked to see fewer of).
    """
    return _x_2023("x-for-you-2023", "auto")


@register_preset("x-for-you-2023-estimated")
def x_for_you_2023_estimated() -> Pipeline:
    """``x-for-you-2023`` for a platform without an engagement model: every
    P(engagement) is the smoothed rate (count + 100·0) / (views + 100) from the
    counts listed in :func:`x_for_you_2023` (0 where no count observes it), and
    every explanation says "estimated from counts"."""
    return _x_2023("x-for-you-2023-estimated", "estimate")


@register_preset("x-for-you-2026")
def x_for_you_2026() -> Pipeline:
    """X "For You" (2026, xai-org/x-algorithm home-mixer parameters).

    score = Σ wᵢ · P(actionᵢ) × out_of_network, then author diversity, then a
    determinantal point process (DPP) over the first 150 posts.

    ====================  =======  =======================  ==============
    term                  weight   feature                  estimate from
    ====================  =======  =======================  ==============
    favorite                0.5    p_favorite               like
    reply                   5.0    p_reply                  reply
    retweet                 1.0    p_retweet                repost
    quote                   5.0    p_quote                  quote
    share                   2.0    p_share                  share
    share_via_dm            5.0    p_share_via_dm           (none)
    share_via_copy_link    20.0    p_share_via_copy_link    (none)
    follow_author           4.0    p_follow_author          follow
    click                   0.4    p_click                  click
    open_link               0.2    p_open_link              (none)
    not_interested        -43.2    p_not_interested         hide
    block_author          -31.2    p_block_author           block
    mute_author           -58.8    p_mute_author            mute
    report               -234.0    p_report                 report
    ====================  =======  =======================  ==============

    A post without a feature gets (count + 100·0) / (views + 100), or 0 where no
    count observes the action. Then out-of-network posts × 0.75 and author
    diversity (decay 0.5, floor 0.25: 1, 0.625, 0.4375, 0.34375, ...).

    Filters: posts older than 48 hours (X's AgeFilter) or dated after ``now``,
    and the viewer's blocks, mutes, muted keywords and seen posts.

    The DPP stage (X's VMRanker, ``EnableVMRanker`` with value model ``"dpp"``)
    uses the two numbers the public parameters send it: θ = 0.65
    (``VMRankerDppTheta``) and a depth of 150 (``VMRankerDppMaxSelectedRank``).
    The ranking service that applies them is not published (its kernel, what
    its similarity is computed from, how θ enters), so the rest is feedrank's
    reading: Chen, Zhang & Zhou's greedy MAP with their θ (q = exp(α·r),
    α = θ / (2(1 − θ)), r the score scaled to [0, 1] in the request) and the
    cosine of post embeddings. Posts without an embedding are similar to
    nothing, so on posts without embeddings the stage keeps the order and the
    feed is the published score order. Every move names the post it was too
    similar to.

    Not reproduced: the heads without a published weight in this list (dwell,
    video quality view, photo expand, ...), the weight perturbation, the
    new-author boost, the out-of-network factor for in-network replies and
    reposts, and the positive offset of negative scores.

    The author-diversity rank k follows the score order after the
    out-of-network factor, which is the same for all posts of an author, so k
    equals X's rank in the pre-diversity order.
    """
    return _x_2026("x-for-you-2026", "auto")


@register_preset("x-for-you-2026-estimated")
def x_for_you_2026_estimated() -> Pipeline:
    """``x-for-you-2026`` for a platform without an engagement model: every
    P(action) is the smoothed rate (count + 100·0) / (views + 100) from the counts
    listed in :func:`x_for_you_2026` (0 where no count observes it), and every
    explanation says "estimated from counts"."""
    return _x_2026("x-for-you-2026-estimated", "estimate")
