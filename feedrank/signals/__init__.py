"""Signals: per-post numbers computed from a batch and its context.

Import this package to register every built-in signal type.
"""

from __future__ import annotations

from .base import SIGNALS, Signal, SignalSpec, register_signal
from .bridging import Bridging
from .content import EmbeddingSimilarity, Feature, TopicMatch
from .engagement import Interactions
from .feedback import FeedbackFatigue
from .prediction import PredictedEngagement
from .quality import EngagementRate, WilsonLowerBound
from .social import AuthorAffinity, InNetwork, IsReply, NegativeFeedback
from .time import AgeHours, ExponentialDecay, GravityDecay, Timestamp
from .votes import (
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
