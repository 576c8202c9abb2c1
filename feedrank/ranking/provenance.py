"""Provenance: where each predicted-engagement term of a post took its value from."""

from __future__ import annotations

import numpy as np

from feedrank.engine.result import RequestView
from feedrank.errors import RankingError
from feedrank.stages.signals.prediction import PredictedEngagement

__all__ = ["provenance"]


def provenance(ranking: RequestView, post_id: str) -> dict[str, str]:
    """Where each predicted-engagement term of ``post_id`` took its value from.

    Returns term name -> ``"feature"`` (the platform's prediction),
    ``"estimate"`` (the smoothed rate from counts) or ``"default"``, for every
    term of the ranking's scorer whose signal is a
    :class:`~feedrank.stages.signals.prediction.PredictedEngagement`.
    RankingError if ``post_id`` is not a candidate of ``ranking``.
    """
    row = int(ranking.candidates.index_of([post_id])[0])
    if row < 0:
        raise RankingError(
            "not among the candidates of this ranking", post_id=post_id, expected="a candidate id"
        )
    one = ranking.candidates.take(np.array([row], dtype=np.intp))
    return {
        term.name: str(term.signal.sources(one)[0])
        for term in ranking.pipeline.scorer.terms
        if isinstance(term.signal, PredictedEngagement)
    }
