"""Ranking: the typed result of :meth:`Pipeline.rank`, with every part kept.

Arrays are stored for all kept candidates (in final order via ``order``);
``post_ids``, ``scores``, ``contributions`` and ``factors`` give the served page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from feedrank._time import from_micros
from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.batch.segments import segmented_order
from feedrank.errors import RankingError

if TYPE_CHECKING:
    from feedrank.ranking.ablation import Ablation
    from feedrank.ranking.counterfactual import Change
    from feedrank.ranking.explain import Comparison, Explanation
    from feedrank.spec.pipeline import Pipeline

__all__ = ["Move", "Moves", "Ranking", "final_order"]


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


@dataclass(frozen=True)
class Move:
    """A re-ranker changed a post's 0-based position from ``before`` to ``after``."""

    post_id: str
    stage: str
    before: int
    after: int
    reason: str


@dataclass(frozen=True, eq=False)
class Moves:
    """Every move as columns: ``rows`` index the kept candidates."""

    rows: NDArray[np.intp]
    stages: NDArray[np.intp]
    before: NDArray[np.intp]
    after: NDArray[np.intp]
    reasons: NDArray[np.str_]

    @classmethod
    def empty(cls) -> Moves:
        z = np.zeros(0, dtype=np.intp)
        return cls(z, z, z, z, np.zeros(0, dtype="U1"))

    def extend(
        self,
        old: NDArray[np.intp],
        new: NDArray[np.intp],
        stage: int,
        reasons: NDArray[np.str_],
        stage_type: str,
    ) -> Moves:
        """Add the posts whose position differs between orders ``old`` and ``new``.

        A post the stage did not act on itself moved because others did; its
        reason is ``shifted_by:<stage type>``.
        """
        n = old.shape[0]
        before = np.empty(n, dtype=np.intp)
        before[old] = np.arange(n)
        after = np.empty(n, dtype=np.intp)
        after[new] = np.arange(n)
        rows = np.flatnonzero(before != after)
        why = reasons[rows] if reasons.shape[0] else np.full(rows.shape[0], "")
        why = np.where(why == "", f"shifted_by:{stage_type}", why)
        return Moves(
            np.concatenate([self.rows, rows]),
            np.concatenate([self.stages, np.full(rows.shape[0], stage, dtype=np.intp)]),
            np.concatenate([self.before, before[rows]]),
            np.concatenate([self.after, after[rows]]),
            np.concatenate([self.reasons.astype(np.str_), why.astype(np.str_)]),
        )


@dataclass(frozen=True, eq=False)
class Ranking:
    """What :meth:`Pipeline.rank` computed, for one request.

    Row-aligned arrays (m = number of kept candidates): ``inputs`` and
    ``contributions`` (m, T); ``factors`` (m, F) — the scorer's factors then one
    column per score-multiplying re-ranker (``factor_stages``: per column, -1 for
    a scorer factor, else the index of the re-ranker); ``scores`` (m,) =
    contributions.sum(1) × factors.prod(1), rounded if the scorer sets
    ``round_digits``; ``tier`` (m,). ``order`` lists kept rows best first;
    ``kept`` maps kept rows to candidate rows; ``context`` is the request's
    context restricted to the kept rows;
    ``removed_reasons`` (n,) gives the filter reason of each candidate ("" = kept).
    """

    pipeline: Pipeline
    candidates: PostBatch
    now: int
    removed_reasons: NDArray[np.str_]
    kept: NDArray[np.intp]
    term_names: tuple[str, ...]
    factor_names: tuple[str, ...]
    factor_stages: tuple[int, ...]
    inputs: NDArray[np.float64]
    contributions: NDArray[np.float64]
    factors: NDArray[np.float64]
    scores: NDArray[np.float64]
    tier: NDArray[np.int64]
    order: NDArray[np.intp]
    moves: Moves
    page_start: int
    page_stop: int
    next_cursor: str | None
    context: Context

    # ---------------------------------------------------------------- page
    @property
    def page(self) -> NDArray[np.intp]:
        """Kept rows of the served page, best first."""
        return self.order[self.page_start : self.page_stop]

    @property
    def post_ids(self) -> list[str]:
        """Ids of the served page, best first."""
        return [str(x) for x in self._kept_ids[self.page]]

    @property
    def page_scores(self) -> NDArray[np.float64]:
        """ndarray (k,), float64: final scores of the served page."""
        return self.scores[self.page]

    @property
    def ranks(self) -> NDArray[np.intp]:
        """ndarray (k,), intp: 1-based rank of each served post in the whole feed."""
        return np.arange(self.page_start + 1, self.page_stop + 1, dtype=np.intp)

    @property
    def fingerprint(self) -> str:
        """Fingerprint of the spec that produced this ranking."""
        return self.pipeline.fingerprint

    def __len__(self) -> int:
        return self.page_stop - self.page_start

    # ----------------------------------------------------------- whole feed
    @property
    def _kept_ids(self) -> NDArray[np.str_]:
        return self.candidates.ids[self.kept]

    @property
    def all_post_ids(self) -> list[str]:
        """Every kept candidate in final order (beyond the page too)."""
        return [str(x) for x in self._kept_ids[self.order]]

    @property
    def removed(self) -> dict[str, str]:
        """Removed post id -> reason of the filter that removed it."""
        rows = np.flatnonzero(self.removed_reasons != "")
        return dict(
            zip(
                self.candidates.ids[rows].tolist(), self.removed_reasons[rows].tolist(), strict=True
            )
        )

    def row_of(self, post_id: str) -> int:
        """Kept row of ``post_id``, or -1 if it was removed; RankingError if unknown."""
        cand = int(self.candidates.index_of([post_id])[0])
        if cand < 0:
            raise RankingError(
                "not among the candidates of this ranking",
                post_id=post_id,
                expected="a candidate id",
            )
        if self.removed_reasons[cand] != "":
            return -1
        return int(np.searchsorted(self.kept, cand))

    def position(self, post_id: str) -> int:
        """0-based position of ``post_id`` in the whole feed, or -1 if removed."""
        row = self.row_of(post_id)
        if row < 0:
            return -1
        return int(np.flatnonzero(self.order == row)[0])

    def moves_of(self, post_id: str) -> list[Move]:
        """Every move of ``post_id``, in stage order."""
        row = self.row_of(post_id)
        hits = np.flatnonzero(self.moves.rows == row) if row >= 0 else np.zeros(0, np.intp)
        types = [stage.type for stage in self.pipeline.rerankers]
        return [
            Move(
                post_id,
                types[int(self.moves.stages[i])],
                int(self.moves.before[i]),
                int(self.moves.after[i]),
                str(self.moves.reasons[i]),
            )
            for i in hits
        ]

    def explain(self, post_id: str) -> Explanation:
        """Why ``post_id`` is where it is (see :mod:`feedrank.ranking.explain`)."""
        from feedrank.ranking.explain import explain_post

        return explain_post(self, post_id)

    def compare(self, a: str, b: str) -> Comparison:
        """Exact decomposition of score(a) - score(b) by term and factor."""
        from feedrank.ranking.explain import compare_posts

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

    def to_dict(self) -> dict[str, Any]:
        """The served page as plain JSON values, with every part of every score."""
        rows = self.page
        items = [
            {
                "post_id": pid,
                "rank": int(rank),
                "score": float(self.scores[row]),
                "contributions": dict(
                    zip(self.term_names, self.contributions[row].tolist(), strict=True)
                ),
                "factors": dict(zip(self.factor_names, self.factors[row].tolist(), strict=True)),
            }
            for pid, rank, row in zip(
                self.post_ids, self.ranks.tolist(), rows.tolist(), strict=True
            )
        ]
        moved = [
            {
                "post_id": str(self._kept_ids[int(r)]),
                "stage": self.pipeline.rerankers[int(s)].type,
                "before": int(b),
                "after": int(a),
                "reason": str(why),
            }
            for r, s, b, a, why in zip(
                self.moves.rows,
                self.moves.stages,
                self.moves.before,
                self.moves.after,
                self.moves.reasons,
                strict=True,
            )
        ]
        return {
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
            "removed": [{"post_id": k, "reason": v} for k, v in self.removed.items()],
            "moves": moved,
        }
