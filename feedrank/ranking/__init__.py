"""Ranking results and their explanations."""

from __future__ import annotations

from feedrank.ranking.explain import Comparison, Explanation
from feedrank.ranking.ranking import Ranking, RankingBatch

__all__ = ["Comparison", "Explanation", "Ranking", "RankingBatch"]
