"""Filters: which candidates are removed, each with a machine-readable reason.

Import this package to register every built-in filter type.
"""

from __future__ import annotations

from feedrank.stages.filters.base import FILTERS, Filter, FilterSpec, register_filter
from feedrank.stages.filters.community import CreatedWithin, MinInteractions, TopLevel
from feedrank.stages.filters.content import Labels, Language, MaxAge
from feedrank.stages.filters.feedback import SeeFewer, SocialProof
from feedrank.stages.filters.viewer import BlockedAuthors, MutedAuthors, MutedWords, Seen

__all__ = [
    "FILTERS",
    "BlockedAuthors",
    "CreatedWithin",
    "Filter",
    "FilterSpec",
    "Labels",
    "Language",
    "MaxAge",
    "MinInteractions",
    "MutedAuthors",
    "MutedWords",
    "SeeFewer",
    "Seen",
    "SocialProof",
    "TopLevel",
    "register_filter",
]
