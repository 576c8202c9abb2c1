"""feedrank: rank social feeds with an algorithm anyone can read, replay and audit."""

from __future__ import annotations

from .batch import PostBatch
from .context import AffinityModel, Context
from .errors import FeedrankError
from .models import Author, FeedRequest, Interaction, InteractionKind, Post, Viewer

__version__ = "0.1.0"
__all__ = [
    "AffinityModel",
    "Author",
    "Context",
    "FeedRequest",
    "FeedrankError",
    "Interaction",
    "InteractionKind",
    "Post",
    "PostBatch",
    "Viewer",
    "__version__",
]
