"""What the engine needs of a ranking algorithm: its stages, page size and identity.

:class:`~feedrank.Pipeline` (the published spec) is one; the engine reads only
these members, so it never depends on how an algorithm is written down.
"""

from __future__ import annotations

from typing import Any, Protocol

from feedrank.stages.filters.base import Filter
from feedrank.stages.rerank.base import Reranker
from feedrank.stages.scoring import Scorer

__all__ = ["Algorithm", "rerank_factor_names"]


class Algorithm(Protocol):
    """Filters, then the scorer, then re-rankers, then a page of ``limit`` posts."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def filters(self) -> tuple[Filter, ...]: ...

    @property
    def scorer(self) -> Scorer: ...

    @property
    def rerankers(self) -> tuple[Reranker, ...]: ...

    @property
    def limit(self) -> int: ...

    @property
    def fingerprint(self) -> str: ...

    def to_spec(self) -> dict[str, Any]: ...


def rerank_factor_names(rerankers: tuple[Reranker, ...]) -> tuple[str, ...]:
    """The factor column each score-multiplying re-ranker would add, named by its
    type (``author_diversity``; ``author_diversity_2`` for a second one at index 2)."""
    names: list[str] = []
    for i, reranker in enumerate(rerankers):
        names.append(reranker.type if reranker.type not in names else f"{reranker.type}_{i}")
    return tuple(names)
