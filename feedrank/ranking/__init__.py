"""Ranking results and their explanations."""

from __future__ import annotations

from feedrank.ranking.explain import Comparison, Explanation
from feedrank.ranking.ranking import Move, Ranking

__all__ = ["Comparison", "Explanation", "Move", "Ranking"]
