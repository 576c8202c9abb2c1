"""Ablation: every post's rank with each term removed.

For each term t the pipeline's re-rankers run again on the same kept posts with
that term's contributions set to zero, so the ranks reflect what the served
feed would have been without it (filters do not depend on terms).

>>> from datetime import datetime, timezone
>>> import feedrank as fr
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> posts = [fr.Post(id="a", author_id="x", created_at=t, counts={"like": 9}),
...          fr.Post(id="b", author_id="y", created_at=t, counts={"reply": 3})]
>>> pipe = fr.loads_spec('''name = "t"
... [[scorer.terms]]
... name = "likes"
... signal = { type = "interactions", weights = { like = 1.0 } }
... weight = 1.0
... [[scorer.terms]]
... name = "replies"
... signal = { type = "interactions", weights = { reply = 1.0 } }
... weight = 2.0''', "toml")
>>> batch = fr.PostBatch.from_posts(posts)
>>> result = ablation(pipe.rank(batch, fr.Context.build(batch, now=t)))
>>> result.post_ids, result.ranks.tolist()
(('a', 'b'), [[2, 1], [1, 2]])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

if TYPE_CHECKING:
    from feedrank.ranking.ranking import Ranking

__all__ = ["Ablation", "ablation", "kept_batch"]


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


def kept_batch(ranking: Ranking) -> Any:
    """The PostBatch of the kept posts, rows aligned with ``ranking.context``."""
    if ranking.kept.shape[0] == len(ranking.candidates):
        return ranking.candidates
    return ranking.candidates.take(ranking.kept)


def _ranks(order: NDArray[np.intp]) -> NDArray[np.int64]:
    ranks = np.empty(order.shape[0], dtype=np.int64)
    ranks[order] = np.arange(1, order.shape[0] + 1)
    return ranks


def ablation(ranking: Ranking) -> Ablation:
    """Rank every kept post again with each term removed, re-rankers included."""
    pipe = ranking.pipeline
    batch = kept_batch(ranking)
    scorer_factors = ranking.factors[:, np.asarray(ranking.factor_stages) < 0]
    base = _ranks(ranking.order)
    ranks = np.empty((base.shape[0], len(ranking.term_names)), dtype=np.int64)
    for j in range(len(ranking.term_names)):
        contributions = ranking.contributions.copy()
        contributions[:, j] = 0.0
        staged = pipe.rerank(batch, ranking.context, contributions, scorer_factors)
        ranks[:, j] = _ranks(staged.order)
    served = ranking.order
    return Ablation(
        post_ids=tuple(str(x) for x in batch.ids[served]),
        term_names=ranking.term_names,
        base_ranks=base[served],
        ranks=ranks[served],
    )
