"""Configured instances of every built-in signal, filter and re-ranker, for the
conformance checks: one or more per registered type, covering the options that
change what the component computes.

>>> from feedrank.stages.filters import FILTERS
>>> sorted(FILTER_EXAMPLES) == [tag for tag, cls in FILTERS.items() if is_built_in(cls)]
True
>>> [n.describe() for n in RERANKER_EXAMPLES["network_caps"]][1]
'At most 0 from followed accounts rank ahead of the rest'
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from feedrank.models import InteractionKind as K
from feedrank.presets.reddit import REDDIT_EPOCH
from feedrank.stages.components import Component
from feedrank.stages.filters import (
    BlockedAuthors,
    CreatedWithin,
    Filter,
    Labels,
    Language,
    MaxAge,
    MinInteractions,
    MutedAuthors,
    MutedWords,
    SeeFewer,
    Seen,
    SocialProof,
    TopLevel,
)
from feedrank.stages.rerank import (
    DPP,
    MMR,
    AuthorDiversity,
    Calibrated,
    FairTopK,
    NetworkCaps,
    OnePerAuthor,
    Reranker,
)
from feedrank.stages.signals import (
    AgeHours,
    AuthorAffinity,
    Bridging,
    Controversy,
    CoordinationDiscount,
    EmbeddingSimilarity,
    EngagementRate,
    ExponentialDecay,
    Feature,
    FeedbackFatigue,
    GravityDecay,
    HackerNewsPenalty,
    HasLabel,
    InNetwork,
    Interactions,
    IsReply,
    LogVotes,
    NegativeFeedback,
    Points,
    PredictedEngagement,
    Signal,
    SignedTimestamp,
    Surprise,
    Timestamp,
    TopicMatch,
    WilsonLowerBound,
    WindowedGravityDecay,
)

__all__ = ["FILTER_EXAMPLES", "RERANKER_EXAMPLES", "SIGNAL_EXAMPLES", "is_built_in"]

C = TypeVar("C", bound=Component)


def _by_type(items: Iterable[C]) -> Mapping[str, tuple[C, ...]]:
    grouped: dict[str, list[C]] = {}
    for item in items:
        grouped.setdefault(item.type, []).append(item)
    return MappingProxyType({tag: tuple(grouped[tag]) for tag in sorted(grouped)})


def is_built_in(obj: Any) -> bool:
    """Whether a component class (or preset factory) is one of feedrank's own:
    defined in a feedrank module under its own name, not a third party's or one
    a test or doctest registered."""
    module = sys.modules.get(getattr(obj, "__module__", ""))
    return (
        obj.__module__.split(".", 1)[0] == "feedrank" and getattr(module, obj.__name__, None) is obj
    )


SIGNAL_EXAMPLES: Mapping[str, tuple[Signal, ...]] = _by_type(
    [
        AgeHours(),
        AuthorAffinity(),
        AuthorAffinity(transform="linear"),
        Bridging(),
        Bridging(gate=True),
        Bridging.model_validate(
            {
                "gate": True,
                "rule": {"helpful_intercept": 0.2, "min_ratings": 3},
                "needs_more_ratings_value": 0.05,
                "not_helpful_value": -1.0,
            }
        ),
        Bridging(prefix="unrated", default=0.0),
        Controversy(),
        CoordinationDiscount(signal=Interactions(weights={K.LIKE: 1.0, K.REPOST: 2.0})),
        CoordinationDiscount(
            signal=EngagementRate(weights={K.LIKE: 1.0}, prior_rate=0.05),
            kinds=(K.LIKE,),
        ),
        CoordinationDiscount(
            signal=Interactions(weights={K.REPORT: 1.0}, transform="log1p"), kinds=(K.REPORT,)
        ),
        Controversy(positive=(K.LIKE, K.REPOST), negative=(K.HIDE, K.REPORT)),
        EmbeddingSimilarity(),
        EmbeddingSimilarity(missing=-1.0),
        EngagementRate(),
        EngagementRate(
            weights={K.REPLY: 1.0, K.REPOST: 2.0},
            base="followers",
            prior_rate=0.01,
            prior_strength=50.0,
        ),
        ExponentialDecay(),
        ExponentialDecay(half_life_hours=3.0),
        Feature(name="quality_estimate"),
        Feature(name="p_fav", default=0.0),
        Feature(name="not_in_the_data", default=0.5),
        FeedbackFatigue(),
        FeedbackFatigue(kinds=(K.HIDE, K.REPORT), filter_days=0.1, recovery_days=2.0, floor=0.5),
        GravityDecay(),
        GravityDecay(gravity=1.2, offset_hours=0.5),
        HackerNewsPenalty(),
        *(
            HackerNewsPenalty(branch=b)
            for b in ("non_story", "no_url", "lightweight", "controversy")
        ),
        HackerNewsPenalty(min_comments=5, lightweight_labels=("lightweight",)),
        HasLabel(labels=("spam",)),
        HasLabel(labels=("nsfw", "gore"), true_value=0.0, false_value=1.0),
        InNetwork(),
        InNetwork(true_value=1.0, false_value=0.75),
        Interactions(),
        Interactions(weights={K.LIKE: 1.0, K.REPOST: 2.0, K.REPLY: 3.0}, transform="log1p"),
        Interactions(weights={K.UPVOTE: 1.0, K.DOWNVOTE: -1.0}, transform="signed_log10"),
        IsReply(),
        IsReply(true_value=0.75, false_value=1.0),
        LogVotes(),
        LogVotes(shift=2.0, floor=2.0),
        LogVotes(absolute=True),
        NegativeFeedback(),
        Points(),
        Points(offset=1.0, exponent=0.8),
        PredictedEngagement(feature="p_fav", estimate_from=(K.LIKE,)),
        PredictedEngagement(
            feature="p_reply", estimate_from=(K.REPLY,), prior_rate=0.02, source="estimate"
        ),
        PredictedEngagement(feature="p_report", source="feature", default=0.0, label="report"),
        PredictedEngagement(feature="p_good_click", per=K.CLICK, prior_rate=0.1),
        SignedTimestamp(),
        SignedTimestamp(origin=REDDIT_EPOCH, scale=45000.0),
        Surprise(),
        Surprise(weights={K.REPOST: 1.0}, expected=3.0, threshold=2.0),
        Timestamp(),
        Timestamp(origin=1.7e9, scale=60.0),
        TopicMatch(),
        TopicMatch(normalize="mean"),
        WilsonLowerBound(),
        WilsonLowerBound(positive=(K.LIKE, K.REPOST), negative=(K.HIDE,), z=1.96),
        WindowedGravityDecay(),
        WindowedGravityDecay(gravity=1.5, min_hours=1.0, max_hours=24.0),
    ]
)
"""Built-in signal type -> configured instances."""

FILTER_EXAMPLES: Mapping[str, tuple[Filter, ...]] = _by_type(
    [
        BlockedAuthors(),
        CreatedWithin(),
        CreatedWithin(hours=24.0),
        CreatedWithin(hours=12.0, inclusive=False, allow_future=True),
        Labels(exclude=("spam", "nsfw")),
        Labels(exclude=("poll",)),
        Language(),
        Language(languages=("en",), keep_unknown=False),
        MaxAge(hours=24.0),
        MaxAge(hours=36.0, allow_future=True),
        MinInteractions(at_least=3.0),
        MinInteractions(weights={K.UPVOTE: 1.0, K.DOWNVOTE: -1.0}, at_least=5.0),
        MutedAuthors(),
        MutedWords(),
        SeeFewer(),
        SeeFewer(kinds=(K.HIDE, K.REPORT), days=0.5),
        Seen(),
        SocialProof(),
        SocialProof(min_accounts=2),
        TopLevel(),
        TopLevel(exclude_reposts=True),
    ]
)
"""Built-in filter type -> configured instances."""

RERANKER_EXAMPLES: Mapping[str, tuple[Reranker, ...]] = _by_type(
    [
        AuthorDiversity(),
        AuthorDiversity(decay=0.8, floor=0.5),
        Calibrated(),
        Calibrated(lam=0.9, k=6, normalize=False),
        DPP(),
        DPP(theta=0.3, similarity="topics", k=8, window=3),
        FairTopK(attribute="group", value="group_b", p=0.5, k=12),
        FairTopK(attribute="lang", value="es", p=0.3, alpha=0.05, k=30, adjust_alpha=False),
        MMR(),
        MMR(lam=0.3, similarity="topics", k=5, normalize=False),
        NetworkCaps(max_in_network=3, max_out_of_network=2),
        NetworkCaps(max_in_network=0),
        NetworkCaps(max_out_of_network=4),
        OnePerAuthor(),
        OnePerAuthor(others="remove"),
    ]
)
"""Built-in re-ranker type -> configured instances."""
