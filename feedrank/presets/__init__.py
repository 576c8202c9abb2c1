"""Named, built-in ranking algorithms. Each is an ordinary spec.

>>> sorted(PRESETS)[:2]
['balanced', 'chronological']
>>> preset("chronological").scorer.terms[0].signal.type
'timestamp'
"""

from __future__ import annotations

from . import basic, bridging
from .registry import PRESETS, preset, register_preset

__all__ = ["PRESETS", "basic", "bridging", "preset", "register_preset"]
