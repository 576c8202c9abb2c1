"""Re-rankers: change the order after scoring, recording every move.

Import this package to register every built-in re-ranker type; see
:mod:`feedrank.stages.rerank.base` for the contract.
"""

from __future__ import annotations

from feedrank.stages.rerank.balance import NetworkCaps
from feedrank.stages.rerank.base import (
    RERANKERS,
    CodedStep,
    Reranker,
    RerankerSpec,
    RerankStep,
    rank_within_groups,
    register_reranker,
)
from feedrank.stages.rerank.diversity import AuthorDiversity
from feedrank.stages.rerank.per_author import OnePerAuthor

__all__ = [
    "RERANKERS",
    "AuthorDiversity",
    "CodedStep",
    "NetworkCaps",
    "OnePerAuthor",
    "RerankStep",
    "Reranker",
    "RerankerSpec",
    "rank_within_groups",
    "register_reranker",
]
