"""Filters: which candidates are removed, each with a machine-readable reason.

Import this package to register every built-in filter type.
"""

from __future__ import annotations

from .base import FILTERS, Filter, FilterSpec, register_filter
from .content import Labels, Language, MaxAge
from .viewer import BlockedAuthors, MutedAuthors, MutedWords, Seen

__all__ = [
    "FILTERS",
    "BlockedAuthors",
    "Filter",
    "FilterSpec",
    "Labels",
    "Language",
    "MaxAge",
    "MutedAuthors",
    "MutedWords",
    "Seen",
    "register_filter",
]
