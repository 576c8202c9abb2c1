"""Filters: which candidates are removed, each with a machine-readable reason.

Built-in types are registered when first named (``FILTERS`` lists them all).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feedrank.stages.components import lazy_attributes
from feedrank.stages.filters.base import FILTERS, Filter, FilterSpec, register_filter

if TYPE_CHECKING:
    from feedrank.stages.filters.community import CreatedWithin, MinInteractions, TopLevel
    from feedrank.stages.filters.content import Labels, Language, MaxAge
    from feedrank.stages.filters.feedback import SeeFewer, SocialProof
    from feedrank.stages.filters.viewer import BlockedAuthors, MutedAuthors, MutedWords, Seen

_CLASSES = {
    "BlockedAuthors": "viewer",
    "CreatedWithin": "community",
    "Labels": "content",
    "Language": "content",
    "MaxAge": "content",
    "MinInteractions": "community",
    "MutedAuthors": "viewer",
    "MutedWords": "viewer",
    "SeeFewer": "feedback",
    "Seen": "viewer",
    "SocialProof": "feedback",
    "TopLevel": "community",
}
"""Built-in class name -> the module of this package that defines it."""
_TYPES = {
    "blocked_authors": "viewer",
    "created_within": "community",
    "labels": "content",
    "language": "content",
    "max_age": "content",
    "min_interactions": "community",
    "muted_authors": "viewer",
    "muted_words": "viewer",
    "see_fewer": "feedback",
    "seen": "viewer",
    "social_proof": "feedback",
    "top_level": "community",
}
"""Built-in type tag -> the module that registers it (imported on first use)."""

FILTERS.register_lazy({tag: f"{__name__}.{module}" for tag, module in _TYPES.items()})
__getattr__ = lazy_attributes(__name__, _CLASSES)

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
