"""The reverse-chronological control and the balanced personalised feed."""

from __future__ import annotations

from feedrank.models import InteractionKind as K
from feedrank.presets.registry import register_preset
from feedrank.spec.controls import Control
from feedrank.spec.pipeline import Pipeline
from feedrank.stages.filters import (
    BlockedAuthors,
    Labels,
    MaxAge,
    MutedAuthors,
    MutedWords,
    SeeFewer,
    Seen,
)
from feedrank.stages.policy import Policy
from feedrank.stages.rerank import AuthorDiversity, NetworkCaps
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals import (
    AuthorAffinity,
    EngagementRate,
    GravityDecay,
    InNetwork,
    Interactions,
    IsReply,
    NegativeFeedback,
    Timestamp,
    TopicMatch,
)

__all__ = ["SPAM_POLICY", "balanced", "chronological"]

SPAM_POLICY = Policy(
    name="spam",
    kind="visibility_restriction",
    ground="terms",
    reference="The platform's terms of service: spam is not allowed",
    explanation=(
        "The post carries the label 'spam', put on it by the platform's spam classifier; "
        "posts labelled spam are not shown in this feed."
    ),
    category="STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    automated_detection=True,
    automated_decision="fully",
)
"""The policy of ``balanced``'s spam filter. A platform publishing the preset
states its own terms: ``reference`` the clause and ``url`` where users read it."""


@register_preset("chronological")
def chronological() -> Pipeline:
    """Reverse-chronological: newest first, using no personal data.

    The non-profiling option of EU DSA Art. 38 and the control arm of
    amplification audits. The score is the creation time in hours since the
    epoch; ties fall to the post id.
    """
    return Pipeline(
        name="chronological",
        description="Newest posts first. Uses no personal data and no engagement.",
        scorer=Scorer(
            terms=[
                Term(
                    name="recency",
                    signal=Timestamp(scale=3600.0),
                    weight=1.0,
                    why="Newest first: the order of time, the same for every viewer.",
                )
            ]
        ),
    )


@register_preset("balanced")
def balanced() -> Pipeline:
    """A personalised feed that explains itself: engagement, relationships and
    interests, decayed by age, with X-style author diversity and a balance of
    followed and other accounts. This is the preset ``feedrank demo`` uses.

    ``like_rate`` is (likes + reposts + 0.05 · 20) / (views + 20). Where no view
    count is reported (Mastodon and most open networks report none) the rate is
    not computed: the post gets the prior rate 0.05, the same for every such
    post, and its explanation says so; the other terms decide among them.

    A post the viewer hid is removed, with the author's other posts, for 14
    days after the hide (``see_fewer``, reason ``see_fewer:14d``; X's "see
    fewer" window): the context records hides per author, and a hidden post is
    at most 72 hours old while it is a candidate, so it never returns. Older
    hides still lower the author's posts through the ``negative`` term.

    Its published controls: how much stated interests count (``interests``,
    0 to 4), favouring followed accounts (``in_network``, on/off), how much
    popularity counts (``popularity``, 0 to 2), hiding an author after a hide
    (``see_fewer``, on/off) and the oldest post shown (``max_age``, 12 to 168
    hours). ``chronological`` is the alternative on its menu.
    """
    return Pipeline(
        name="balanced",
        description=(
            "Engagement, the viewer's relationships and interests, decayed by age; "
            "at most half the page from outside the viewer's network; no author dominates; "
            "nothing by an author whose post the viewer hid in the last 14 days."
        ),
        filters=[
            BlockedAuthors(),
            MutedAuthors(),
            MutedWords(),
            Seen(),
            SeeFewer(kinds=(K.HIDE,), days=14.0),
            MaxAge(hours=72),
            Labels(exclude=("spam",), policy=SPAM_POLICY),
        ],
        scorer=Scorer(
            terms=[
                Term(
                    name="engagement",
                    signal=Interactions(
                        weights={K.LIKE: 1.0, K.REPOST: 2.0, K.REPLY: 3.0, K.BOOKMARK: 2.0},
                        transform="log1p",
                    ),
                    weight=1.0,
                    why="What many people valued, with diminishing returns so virality saturates.",
                ),
                Term(
                    name="like_rate",
                    signal=EngagementRate(
                        weights={K.LIKE: 1.0, K.REPOST: 1.0},
                        base=K.VIEW,
                        prior_rate=0.05,
                        prior_strength=20.0,
                        missing_base="prior",
                    ),
                    weight=4.0,
                    why=(
                        "Quality per view, so small accounts with good posts can compete. "
                        "A post without a view count gets the prior rate 0.05: a rate is "
                        "never made up from a missing count."
                    ),
                ),
                Term(
                    name="affinity",
                    signal=AuthorAffinity(),
                    weight=1.5,
                    why="Authors the viewer interacts with.",
                ),
                Term(
                    name="in_network",
                    signal=InNetwork(),
                    weight=1.0,
                    why="Accounts the viewer chose to follow.",
                ),
                Term(
                    name="interests",
                    signal=TopicMatch(normalize="mean"),
                    weight=2.0,
                    why="Topics the viewer said they care about.",
                ),
                Term(
                    name="negative",
                    signal=NegativeFeedback(),
                    weight=-2.0,
                    why="The viewer hid, muted or reported this author before.",
                ),
            ],
            factors=[
                Factor(
                    name="age",
                    signal=GravityDecay(gravity=1.2, offset_hours=2.0),
                    why="Fresh posts first, but a strong post stays for a day.",
                ),
                Factor(
                    name="replies",
                    signal=IsReply(true_value=0.75, false_value=1.0),
                    why="Replies make most sense inside their conversation.",
                ),
            ],
        ),
        rerankers=[
            AuthorDiversity(decay=0.5, floor=0.25),
            NetworkCaps(max_in_network=25, max_out_of_network=25),
        ],
        controls=[
            Control(
                name="interests",
                label="How much the topics you said you care about count",
                target="scorer.terms[interests].weight",
                default=2.0,
                min=0.0,
                max=4.0,
                step=0.5,
            ),
            Control(
                name="in_network",
                label="Favour posts from accounts you follow",
                target="scorer.terms[in_network]",
                default=True,
            ),
            Control(
                name="popularity",
                label="How much what many people engaged with counts",
                target="scorer.terms[engagement].weight",
                default=1.0,
                min=0.0,
                max=2.0,
                step=0.25,
            ),
            Control(
                name="see_fewer",
                label="Hide an author for 14 days after you hide one of their posts",
                target="filters[see_fewer]",
                default=True,
            ),
            Control(
                name="max_age",
                label="The oldest posts you see, in hours",
                target="filters[max_age].hours",
                default=72.0,
                min=12.0,
                max=168.0,
                step=12.0,
            ),
        ],
    )
