"""A dataset cut in time for the benchmark: the posts visible at the cut and one
test request per query with its relevance judgements. See
:mod:`feedrank.evaluate.benchmark` for the split and
:func:`~feedrank.evaluate.simulated.simulated_split` and
:func:`~feedrank.evaluate.movielens.movielens_split` for the datasets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.posts import PostBatch
from feedrank.errors import InputError
from feedrank.evaluate.qrels import Qrels
from feedrank.models import Interaction, Viewer

__all__ = ["BenchRequest", "BenchmarkData", "cut_data", "split_fraction"]


@dataclass(frozen=True, eq=False)
class BenchRequest:
    """One test request: ``viewer`` ranks ``rows`` (positions in the split's
    ``batch``) at the cut, knowing ``interactions``; ``judged_ids`` /
    ``grades`` (same length) are its relevance judgements."""

    query_id: str
    viewer: Viewer
    interactions: tuple[Interaction, ...]
    rows: NDArray[np.intp]
    judged_ids: NDArray[np.str_]
    grades: NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class BenchmarkData:
    """A dataset cut in time: the posts visible at ``cut`` and the test requests.

    ``batch`` holds every visible post (counts as of the cut), ``requests`` one
    :class:`BenchRequest` per query, ``post_authors`` post id -> author id of
    every post an interaction may name, ``relevance_threshold`` the grade from
    which a document counts as relevant, ``description`` a JSON-ready summary.
    """

    name: str
    cut: datetime
    batch: PostBatch
    requests: tuple[BenchRequest, ...]
    post_authors: Mapping[str, str]
    relevance_threshold: int
    description: Mapping[str, Any]

    def qrels(self) -> Qrels:
        """The judgements of every request as :class:`~feedrank.evaluate.qrels.Qrels`."""
        queries = np.concatenate(
            [np.full(len(r.judged_ids), r.query_id) for r in self.requests]
            or [np.zeros(0, dtype=np.str_)]
        )
        docs = np.concatenate([r.judged_ids for r in self.requests] or [queries[:0]])
        grades = np.concatenate([r.grades for r in self.requests] or [np.zeros(0, dtype=np.int64)])
        return Qrels(queries.astype(np.str_), docs.astype(np.str_), grades)


def split_fraction(split: float, name: str = "split") -> float:
    """``split`` as a float; InputError unless it is a number strictly between 0 and 1."""
    if isinstance(split, bool) or not isinstance(split, int | float) or not 0.0 < split < 1.0:
        raise InputError(f"got {split!r}", field=name, expected="a number strictly between 0 and 1")
    return float(split)


def cut_data(
    name: str,
    *,
    cut: datetime,
    batch: PostBatch,
    requests: list[BenchRequest],
    post_authors: Mapping[str, str],
    relevance_threshold: int,
    max_queries: int | None,
    seed: int,
    facts: Mapping[str, Any],
    relevance: str,
) -> BenchmarkData:
    """The :class:`BenchmarkData` of dataset ``name`` cut at ``cut``, keeping at
    most ``max_queries`` of ``requests`` (a random subset drawn with ``seed``, in
    their order). Its description holds the dataset's ``facts``, the cut, the
    counts of posts and queries, and how ``relevance`` is judged."""
    kept = _sample(requests, max_queries, seed)
    return BenchmarkData(
        name=name,
        cut=cut,
        batch=batch,
        requests=tuple(kept),
        post_authors=post_authors,
        relevance_threshold=relevance_threshold,
        description={
            "dataset": name,
            **facts,
            "cut": cut.isoformat(),
            "visible_posts": len(batch),
            "queries": len(kept),
            "queries_with_relevant": len(requests),
            "relevance": relevance,
        },
    )


def _sample(requests: list[BenchRequest], max_queries: int | None, seed: int) -> list[BenchRequest]:
    if max_queries is None or len(requests) <= max_queries:
        return requests
    if isinstance(max_queries, bool) or not isinstance(max_queries, int) or max_queries < 2:
        raise InputError(f"got {max_queries!r}", field="max_queries", expected="an integer >= 2")
    keep = np.random.default_rng(seed).choice(len(requests), size=max_queries, replace=False)
    return [requests[i] for i in sorted(keep.tolist())]
