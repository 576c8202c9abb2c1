"""Re-rankers: change the order after scoring, recording every move.

Import this package to register every built-in re-ranker type; see
:mod:`feedrank.rerank.base` for the contract.
"""

from __future__ import annotations

from .balance import NetworkCaps
from .base import (
    RERANKERS,
    CodedStep,
    Reranker,
    RerankerSpec,
    RerankStep,
    rank_within_groups,
    register_reranker,
)
from .diversity import AuthorDiversity
from .per_author import OnePerAuthor

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
