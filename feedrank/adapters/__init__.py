"""Adapters from the formats real networks use (Mastodon, Bluesky, dataframes)."""

from __future__ import annotations

__all__: list[str] = []
