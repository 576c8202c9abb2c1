"""Re-rankers: change the order after scoring, recording every move.

Built-in types are registered when first named (``RERANKERS`` lists them all); see
:mod:`feedrank.stages.rerank.base` for the contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feedrank.stages.components import lazy_attributes
from feedrank.stages.rerank.base import (
    RERANKERS,
    CodedStep,
    Reranker,
    RerankerSpec,
    RerankStep,
    rank_within_groups,
    register_reranker,
)

if TYPE_CHECKING:
    from feedrank.stages.rerank.balance import NetworkCaps
    from feedrank.stages.rerank.calibrated import Calibrated
    from feedrank.stages.rerank.diversity import AuthorDiversity
    from feedrank.stages.rerank.dpp import DPP
    from feedrank.stages.rerank.fair import FairTopK
    from feedrank.stages.rerank.mmr import MMR
    from feedrank.stages.rerank.per_author import OnePerAuthor

_CLASSES = {
    "AuthorDiversity": "diversity",
    "Calibrated": "calibrated",
    "DPP": "dpp",
    "FairTopK": "fair",
    "MMR": "mmr",
    "NetworkCaps": "balance",
    "OnePerAuthor": "per_author",
}
"""Built-in class name -> the module of this package that defines it."""
_TYPES = {
    "author_diversity": "diversity",
    "calibrated": "calibrated",
    "dpp": "dpp",
    "fair_topk": "fair",
    "mmr": "mmr",
    "network_caps": "balance",
    "one_per_author": "per_author",
}
"""Built-in type tag -> the module that registers it (imported on first use)."""

RERANKERS.register_lazy({tag: f"{__name__}.{module}" for tag, module in _TYPES.items()})
__getattr__ = lazy_attributes(__name__, _CLASSES)

__all__ = [
    "DPP",
    "MMR",
    "RERANKERS",
    "AuthorDiversity",
    "Calibrated",
    "CodedStep",
    "FairTopK",
    "NetworkCaps",
    "OnePerAuthor",
    "RerankStep",
    "Reranker",
    "RerankerSpec",
    "rank_within_groups",
    "register_reranker",
]
