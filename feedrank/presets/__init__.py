"""Named, built-in ranking algorithms. Each is an ordinary spec.

>>> {"balanced", "chronological", "reddit-hot", "hacker-news"} <= set(PRESETS)
True
>>> preset("chronological").scorer.terms[0].signal.type
'timestamp'
"""

from __future__ import annotations

from feedrank.presets.registry import PRESETS, preset, register_preset, spec_or_preset

PRESETS.declare(
    {
        name: f"feedrank.presets.{module}"
        for module, names in {
            "basic": ("chronological", "balanced"),
            "bluesky": ("bluesky-whats-hot",),
            "bridging": ("community-notes-bridging",),
            "coordination": ("balanced-coordination-aware",),
            "hacker_news": ("hacker-news", "hacker-news-simple"),
            "lemmy": ("lemmy-hot",),
            "mastodon": ("mastodon-trends",),
            "reddit": (
                "reddit-hot",
                "reddit-hot-2013",
                "reddit-best",
                "reddit-controversial",
                "reddit-top",
                "reddit-top-hour",
                "reddit-top-week",
                "reddit-top-month",
                "reddit-top-year",
                "reddit-top-all",
            ),
            "x": (
                "x-for-you-2023",
                "x-for-you-2023-estimated",
                "x-for-you-2026",
                "x-for-you-2026-estimated",
            ),
        }.items()
        for name in names
    }
)

__all__ = ["PRESETS", "preset", "register_preset", "spec_or_preset"]
