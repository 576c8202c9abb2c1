"""Signals: per-post numbers computed from a batch and its context.

Built-in types are registered when first named (``SIGNALS`` lists them all).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feedrank.stages.components import lazy_attributes
from feedrank.stages.signals.base import SIGNALS, Signal, SignalSpec, register_signal
from feedrank.stages.signals.domain import Domain

if TYPE_CHECKING:
    from feedrank.stages.signals.bridging import Bridging
    from feedrank.stages.signals.content import EmbeddingSimilarity, Feature, TopicMatch
    from feedrank.stages.signals.coordination import CoordinationDiscount
    from feedrank.stages.signals.engagement import Interactions
    from feedrank.stages.signals.feedback import FeedbackFatigue
    from feedrank.stages.signals.moderation import HasLabel
    from feedrank.stages.signals.prediction import PredictedEngagement
    from feedrank.stages.signals.quality import EngagementRate, WilsonLowerBound
    from feedrank.stages.signals.social import AuthorAffinity, InNetwork, IsReply, NegativeFeedback
    from feedrank.stages.signals.time import AgeHours, ExponentialDecay, GravityDecay, Timestamp
    from feedrank.stages.signals.votes import (
        Controversy,
        HackerNewsPenalty,
        LogVotes,
        Points,
        SignedTimestamp,
        Surprise,
        WindowedGravityDecay,
    )

_CLASSES = {
    "AgeHours": "time",
    "AuthorAffinity": "social",
    "Bridging": "bridging",
    "Controversy": "votes",
    "CoordinationDiscount": "coordination",
    "EmbeddingSimilarity": "content",
    "EngagementRate": "quality",
    "ExponentialDecay": "time",
    "Feature": "content",
    "FeedbackFatigue": "feedback",
    "GravityDecay": "time",
    "HasLabel": "moderation",
    "HackerNewsPenalty": "votes",
    "InNetwork": "social",
    "Interactions": "engagement",
    "IsReply": "social",
    "LogVotes": "votes",
    "NegativeFeedback": "social",
    "Points": "votes",
    "PredictedEngagement": "prediction",
    "SignedTimestamp": "votes",
    "Surprise": "votes",
    "Timestamp": "time",
    "TopicMatch": "content",
    "WilsonLowerBound": "quality",
    "WindowedGravityDecay": "votes",
}
"""Built-in class name -> the module of this package that defines it."""
_TYPES = {
    "age_hours": "time",
    "author_affinity": "social",
    "bridging": "bridging",
    "controversy": "votes",
    "coordination_discount": "coordination",
    "embedding_similarity": "content",
    "engagement_rate": "quality",
    "exponential_decay": "time",
    "feature": "content",
    "feedback_fatigue": "feedback",
    "gravity_decay": "time",
    "has_label": "moderation",
    "hn_penalty": "votes",
    "in_network": "social",
    "interactions": "engagement",
    "is_reply": "social",
    "log_votes": "votes",
    "negative_feedback": "social",
    "points": "votes",
    "predicted_engagement": "prediction",
    "signed_timestamp": "votes",
    "surprise": "votes",
    "timestamp": "time",
    "topic_match": "content",
    "wilson": "quality",
    "windowed_gravity_decay": "votes",
}
"""Built-in type tag -> the module that registers it (imported on first use)."""

SIGNALS.register_lazy({tag: f"{__name__}.{module}" for tag, module in _TYPES.items()})
__getattr__ = lazy_attributes(__name__, _CLASSES)

__all__ = [
    "SIGNALS",
    "AgeHours",
    "AuthorAffinity",
    "Bridging",
    "Controversy",
    "CoordinationDiscount",
    "Domain",
    "EmbeddingSimilarity",
    "EngagementRate",
    "ExponentialDecay",
    "Feature",
    "FeedbackFatigue",
    "GravityDecay",
    "HackerNewsPenalty",
    "HasLabel",
    "InNetwork",
    "Interactions",
    "IsReply",
    "LogVotes",
    "NegativeFeedback",
    "Points",
    "PredictedEngagement",
    "Signal",
    "SignalSpec",
    "SignedTimestamp",
    "Surprise",
    "Timestamp",
    "TopicMatch",
    "WilsonLowerBound",
    "WindowedGravityDecay",
    "register_signal",
]
