"""Ablation: every post's rank with each term removed.

For each term t the pipeline's re-rankers run again on the same kept posts with
that term's contributions set to zero, so the ranks reflect what the served
feed would have been without it (filters do not depend on terms).

>>> from datetime import datetime, timezone
>>> import feedrank as fr
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> posts = [fr.Post(id="a", author_id="x", created_at=t, counts={"like": 9}),
...          fr.Post(id="b", author_id="y", created_at=t, counts={"reply": 3})]
>>> pipe = fr.load_spec('''name = "t"
... [[scorer.terms]]
... name = "likes"
... signal = { type = "interactions", weights = { like = 1.0 } }
... weight = 1.0
... [[scorer.terms]]
... name = "replies"
... signal = { type = "interactions", weights = { reply = 1.0 } }
... weight = 2.0''')
>>> batch = fr.PostBatch.from_posts(posts)
>>> result = ablation(pipe.rank(batch, fr.Context.build(batch, now=t)))
>>> result.post_ids, result.ranks.tolist()
(('a', 'b'), [[2, 1], [1, 2]])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.requests import Requests
from feedrank.engine.rerank import rerank
from feedrank.engine.result import RequestView

__all__ = ["Ablation", "ablation", "rerank_order"]


@dataclass(frozen=True, eq=False)
class Ablation:
    """Ranks with each term removed.

    ``post_ids``: the kept posts in served order; ``base_ranks``: (m,) their
    1-based ranks; ``ranks``: (m, T) int64, rank of each post with term t removed.
    """

    post_ids: tuple[str, ...]
    term_names: tuple[str, ...]
    base_ranks: NDArray[np.int64]
    ranks: NDArray[np.int64]

    @property
    def rank_changes(self) -> NDArray[np.int64]:
        """(m, T): rank without the term minus the served rank (positive = the
        post would fall without the term, i.e. the term lifted it)."""
        return self.ranks - self.base_ranks[:, None]

    def kendall_tau(self) -> dict[str, float]:
        """Kendall's tau-b between the served order and the order without each term
        (1.0: the term changes nothing)."""
        from scipy import stats

        out: dict[str, float] = {}
        for j, name in enumerate(self.term_names):
            if len(self.post_ids) < 2:
                out[name] = 1.0
                continue
            tau = stats.kendalltau(self.base_ranks, self.ranks[:, j]).statistic
            out[name] = 1.0 if np.isnan(tau) else float(tau)
        return out

    def for_post(self, post_id: str) -> dict[str, int]:
        """Term -> rank of ``post_id`` without that term."""
        row = self.post_ids.index(post_id)
        return dict(zip(self.term_names, self.ranks[row].tolist(), strict=True))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values: per post, its rank and its rank without each term."""
        return {
            "terms": list(self.term_names),
            "kendall_tau": self.kendall_tau(),
            "posts": [
                {"post_id": pid, "rank": int(rank), "without": self.for_post(pid)}
                for pid, rank in zip(self.post_ids, self.base_ranks.tolist(), strict=True)
            ],
        }


def rerank_order(ranking: RequestView, contributions: NDArray[np.float64]) -> NDArray[np.intp]:
    """The final order of ``ranking``'s kept posts had the scorer produced
    ``contributions`` (m, T) instead: the engine's re-ranking stages run again on
    the same posts, with the scorer's own factors."""
    scorer_factors = ranking.factors[:, np.asarray(ranking.factor_stages, dtype=np.intp) < 0]
    with np.errstate(over="ignore", invalid="ignore"):
        sums = contributions.sum(axis=1)
    staged = rerank(
        ranking.pipeline,
        ranking.kept_batch,
        Requests.one(ranking.context),
        sums,
        scorer_factors,
    )
    return staged.order


def _ranks(order: NDArray[np.intp]) -> NDArray[np.int64]:
    ranks = np.empty(order.shape[0], dtype=np.int64)
    ranks[order] = np.arange(1, order.shape[0] + 1)
    return ranks


def ablation(ranking: RequestView) -> Ablation:
    """Rank every kept post again with each term removed, re-rankers included."""
    base = _ranks(ranking.order)
    ranks = np.empty((base.shape[0], len(ranking.term_names)), dtype=np.int64)
    for j in range(len(ranking.term_names)):
        contributions = ranking.contributions.copy()
        contributions[:, j] = 0.0
        ranks[:, j] = _ranks(rerank_order(ranking, contributions))
    served = ranking.order
    return Ablation(
        post_ids=tuple(str(x) for x in ranking.kept_batch.ids[served]),
        term_names=ranking.term_names,
        base_ranks=base[served],
        ranks=ranks[served],
    )
