"""Signals: per-post numbers computed from a batch and its context.

Import this package to register every built-in signal type.
"""

from __future__ import annotations

from feedrank.stages.signals.base import SIGNALS, Signal, SignalSpec, register_signal
from feedrank.stages.signals.bridging import Bridging
from feedrank.stages.signals.content import EmbeddingSimilarity, Feature, TopicMatch
from feedrank.stages.signals.engagement import Interactions
from feedrank.stages.signals.feedback import FeedbackFatigue
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

__all__ = [
    "SIGNALS",
    "AgeHours",
    "AuthorAffinity",
    "Bridging",
    "Controversy",
    "EmbeddingSimilarity",
    "EngagementRate",
    "ExponentialDecay",
    "Feature",
    "FeedbackFatigue",
    "GravityDecay",
    "HackerNewsPenalty",
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
