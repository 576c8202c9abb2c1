"""Ranking: the typed result of one request; RankingBatch: of many.

A :class:`Ranking` is a view of what the engine computed for one request
(:class:`~feedrank.engine.result.Ranked`): arrays for every kept candidate
(in final order via ``order``), the served page, every filter reason and every
re-ranker move as codes. :meth:`Ranking.to_dict` is proportional to the page:
the served posts with every part of their scores and their moves, plus counts
of removals and moves by reason (the full lists on request).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
from numpy.typing import NDArray

from feedrank._time import from_micros
from feedrank.batch.segments import segmented_order
from feedrank.engine.algorithm import Algorithm
from feedrank.engine.result import Move, Moves, Ranked, RequestView
from feedrank.ranking.explain import Comparison, Explanation, compare_posts, explain_post
from feedrank.ranking.stamp import ChoiceStamp

if TYPE_CHECKING:
    from feedrank.ranking.ablation import Ablation
    from feedrank.ranking.counterfactual import Change

__all__ = ["Move", "Moves", "Ranking", "RankingBatch", "final_order", "request_positions"]

Detail = Literal["counts", "all"]


def final_order(
    tier: NDArray[np.int64],
    scores: NDArray[np.float64],
    created_at: NDArray[np.int64],
    ids: NDArray[np.str_],
) -> NDArray[np.intp]:
    """Row indices sorted by the documented total order: tier ascending, score
    descending, created_at descending, post id ascending.

    >>> final_order(np.array([0, 0, 0]), np.array([1.0, 2.0, 1.0]),
    ...             np.array([5, 5, 5]), np.array(["b", "c", "a"])).tolist()
    [1, 2, 0]
    """
    offsets = np.array([0, scores.shape[0]], dtype=np.intp)
    return segmented_order(offsets, tier, scores, created_at, ids.__getitem__)


class Ranking(RequestView):
    """What :meth:`Pipeline.rank` computed for one request.

    Row-aligned arrays (m = number of kept candidates): ``inputs`` and
    ``contributions`` (m, T); ``factors`` (m, F) — the scorer's factors then one
    column per score-multiplying re-ranker (``factor_stages``: per column, -1 for
    a scorer factor, else the index of the re-ranker); ``scores`` (m,) =
    contributions.sum(1) × factors.prod(1), rounded if the scorer sets
    ``round_digits``; ``tier`` (m,). ``order`` lists kept rows best first;
    ``kept`` maps kept rows to candidate rows; ``context`` is the request's
    context restricted to the kept rows. ``removed_codes`` (n,) and
    ``removed_table`` give every candidate's filter reason (:meth:`removed`,
    :meth:`removal_counts`); ``moves`` every re-ranker move (:meth:`moves_of`,
    :meth:`move_counts`).
    """

    logged: Any = None
    """What the decision log's ``append`` returned when ``Pipeline.rank(...,
    audit=log)`` logged this request (a :class:`~feedrank.audit.Appended`:
    ``seq``, ``request_id``, ``hash``, ``leaf_hash``); None when not logged."""

    choice: ChoiceStamp | None = None
    """The viewer's choice this ranking honoured (published spec, alternative,
    controls set; ``fingerprint`` is the effective spec's), or None when the
    spec ranked as published (see :mod:`feedrank.spec.choice`)."""

    def __repr__(self) -> str:
        removed = sum(self.removal_counts().values())
        kept = self.order.shape[0]
        moved = sum(sum(r.values()) for r in self.move_counts().values())
        return (
            f"Ranking(spec={self.pipeline.name!r}, page={self.post_ids[:5]!r}"
            f"{'...' if len(self) > 5 else ''} ({len(self)} of {kept} kept), "
            f"removed={removed}, moved={moved})"
        )

    def explain(self, post_id: str) -> Explanation:
        """Why ``post_id`` is where it is (see :mod:`feedrank.ranking.explain`)."""
        return explain_post(self, post_id)

    def compare(self, a: str, b: str) -> Comparison:
        """Exact decomposition of score(a) - score(b) by term and factor."""
        return compare_posts(self, a, b)

    def ablation(self) -> Ablation:
        """Every kept post's rank with each term removed (see :mod:`feedrank.ranking.ablation`)."""
        from feedrank.ranking.ablation import ablation

        return ablation(self)

    def weight_to_swap(self, a: str, b: str) -> list[Change]:
        """Per term, the smallest weight change that reorders ``a`` and ``b``."""
        from feedrank.ranking.counterfactual import weight_to_swap

        return weight_to_swap(self, a, b)

    def input_to_top_k(self, post_id: str, k: int) -> list[Change]:
        """Per term, the smallest input change that brings ``post_id`` into the top k."""
        from feedrank.ranking.counterfactual import input_to_top_k

        return input_to_top_k(self, post_id, k)

    def to_dict(self, *, removed: Detail = "counts", moves: Detail = "counts") -> dict[str, Any]:
        """The served page as plain JSON values, with every part of every score.

        Each served item carries its contributions, factors and moves;
        ``removed_counts`` and ``move_counts`` count every removal and move by
        reason. ``removed="all"`` adds every removed post and its reason,
        ``moves="all"`` every move of every kept post. A ranking of a viewer's
        choice adds ``choice``: the published and effective fingerprints and the
        overlay (``spec`` is the effective spec).
        """
        rows = self.page
        kept_ids = self._kept_ids
        types = [stage.type for stage in self.pipeline.rerankers]
        moved = self.moves
        by_row: dict[int, list[dict[str, Any]]] = {}
        if len(moved):
            on_page = np.isin(moved.rows, rows)
            for i in np.flatnonzero(on_page).tolist():
                by_row.setdefault(int(moved.rows[i]), []).append(self._move_dict(i, types))
        items = [
            {
                "post_id": str(kept_ids[row]),
                "rank": int(rank),
                "score": float(self.scores[row]),
                "contributions": dict(
                    zip(self.term_names, self.contributions[row].tolist(), strict=True)
                ),
                "factors": dict(zip(self.factor_names, self.factors[row].tolist(), strict=True)),
                "moves": by_row.get(row, []),
            }
            for rank, row in zip(self.ranks.tolist(), rows.tolist(), strict=True)
        ]
        out: dict[str, Any] = {
            "spec": {
                "name": self.pipeline.name,
                "version": self.pipeline.version,
                "fingerprint": self.fingerprint,
            },
            "now": from_micros(self.now).isoformat(),
            "terms": list(self.term_names),
            "factors": list(self.factor_names),
            "items": items,
            "next_cursor": self.next_cursor,
            "candidates": len(self.candidates),
            "removed_counts": self.removal_counts(),
            "move_counts": self.move_counts(),
        }
        if self.choice is not None:
            out["choice"] = self.choice.to_dict()
        if removed == "all":
            out["removed"] = [{"post_id": k, "reason": v} for k, v in self.removed().items()]
        if moves == "all":
            out["moves"] = [self._move_dict(i, types) for i in range(len(moved))]
        return out

    def _move_dict(self, i: int, types: list[str]) -> dict[str, Any]:
        m = self.moves
        return {
            "post_id": str(self._kept_ids[int(m.rows[i])]),
            "stage": types[int(m.stages[i])],
            "before": int(m.before[i]),
            "after": int(m.after[i]),
            "reason": m.table[int(m.codes[i])],
        }


def request_positions(key: int | slice, n: int) -> int | range:
    """The request (``0 <= i < n``) an index names, or the requests a slice names.

    Negative indices count from the end, as for a list; an index out of range
    raises IndexError, anything but an integer or a slice TypeError.

    >>> request_positions(-1, 5), request_positions(slice(None, 2), 5)
    (4, range(0, 2))
    """
    if isinstance(key, slice):
        return range(n)[key]
    try:
        i = operator.index(key)
    except TypeError:
        raise TypeError(
            f"requests are indexed by integers or slices, not {type(key).__name__}"
        ) from None
    if not -n <= i < n:
        raise IndexError(f"request {i} of {n}")
    return i % n


class RankingBatch:
    """What :meth:`Pipeline.rank_many` computed, for S requests.

    ``self[i]`` is the :class:`Ranking` of request ``i``, equal in every array
    to what ``pipeline.rank`` gives for that request alone. The columnar
    accessors (:attr:`page_rows`, :attr:`page_post_ids`, :attr:`page_scores`,
    ...) serve every page without building a Ranking per request; ``result``
    holds every array the engine computed.
    """

    def __init__(self, result: Ranked) -> None:
        self.result = result

    def __len__(self) -> int:
        return len(self.result)

    @property
    def pipeline(self) -> Algorithm:
        """The algorithm that ranked these requests."""
        return self.result.algorithm

    def __iter__(self) -> Iterator[Ranking]:
        for i in range(len(self)):
            yield self[i]

    @overload
    def __getitem__(self, i: int) -> Ranking: ...

    @overload
    def __getitem__(self, i: slice) -> list[Ranking]: ...

    def __getitem__(self, i: int | slice) -> Ranking | list[Ranking]:
        """Request ``i``'s Ranking; a slice gives a list of them, in request order."""
        where = request_positions(i, len(self))
        if isinstance(where, range):
            return [Ranking(self.result, j) for j in where]
        return Ranking(self.result, where)

    @property
    def page_offsets(self) -> NDArray[np.intp]:
        """ndarray (S + 1,), intp: request ``i``'s page is
        ``page_rows[page_offsets[i]:page_offsets[i + 1]]``."""
        return self.result.page_offsets

    @property
    def page_rows(self) -> NDArray[np.intp]:
        """ndarray (p,), intp: kept rows of every page, best first, request after request."""
        return self.result.page_rows

    @property
    def page_post_ids(self) -> NDArray[np.str_]:
        """ndarray (p,), str: the served post ids, page after page."""
        r = self.result
        return r.candidates.ids[r.kept[r.page_rows]]

    @property
    def page_scores(self) -> NDArray[np.float64]:
        """ndarray (p,), float64: final scores of the served posts, page after page."""
        return self.result.scores[self.result.page_rows]

    def post_ids(self, i: int) -> list[str]:
        """Ids of request ``i``'s page, best first (``self[i].post_ids``, cheaper)."""
        r = self.result
        a, b = int(r.page_offsets[i]), int(r.page_offsets[i + 1])
        return [str(x) for x in r.candidates.ids[r.kept[r.page_rows[a:b]]]]
