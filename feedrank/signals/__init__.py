"""Signals: per-post numbers computed from a batch and its context.

Import this package to register every built-in signal type.
"""

from __future__ import annotations

from .base import SIGNALS, Signal, SignalSpec, register_signal
from .bridging import Bridging
from .content import EmbeddingSimilarity, Feature, TopicMatch
from .engagement import Interactions
from .quality import EngagementRate, WilsonLowerBound
from .social import AuthorAffinity, InNetwork, IsReply, NegativeFeedback
from .time import AgeHours, ExponentialDecay, GravityDecay, Timestamp

__all__ = [
    "SIGNALS",
    "AgeHours",
    "AuthorAffinity",
    "Bridging",
    "EmbeddingSimilarity",
    "EngagementRate",
    "ExponentialDecay",
    "Feature",
    "GravityDecay",
    "InNetwork",
    "Interactions",
    "IsReply",
    "NegativeFeedback",
    "Signal",
    "SignalSpec",
    "Timestamp",
    "TopicMatch",
    "WilsonLowerBound",
    "register_signal",
]
