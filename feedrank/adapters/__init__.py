"""Adapters from the formats real networks use (Mastodon, Bluesky, dataframes)."""

from __future__ import annotations

from feedrank.adapters import atproto, dataframes, mastodon

__all__ = ["atproto", "dataframes", "mastodon"]
