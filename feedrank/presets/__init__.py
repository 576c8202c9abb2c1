"""Named, built-in ranking algorithms. Each is an ordinary spec.

>>> {"balanced", "chronological", "reddit-hot", "hacker-news"} <= set(PRESETS)
True
>>> preset("chronological").scorer.terms[0].signal.type
'timestamp'
"""

from __future__ import annotations

from feedrank.presets import basic, bluesky, bridging, hacker_news, lemmy, mastodon, reddit, x
from feedrank.presets.registry import PRESETS, preset, register_preset, spec_or_preset

__all__ = [
    "PRESETS",
    "basic",
    "bluesky",
    "bridging",
    "hacker_news",
    "lemmy",
    "mastodon",
    "preset",
    "reddit",
    "register_preset",
    "spec_or_preset",
    "x",
]
