"""Candidates as columns and the request they are ranked for.

:class:`PostBatch` holds the candidate posts as numpy columns validated once;
:class:`Context` one request (``now``, the viewer and the per-post arrays
derived from them); :class:`Tags` sets of strings per post.
"""

from __future__ import annotations

from feedrank.batch.context import AffinityModel, Context
from feedrank.batch.posts import KINDS, PostBatch, kind_index
from feedrank.batch.tags import Tags

__all__ = ["KINDS", "AffinityModel", "Context", "PostBatch", "Tags", "kind_index"]
