"""FA*IR ranked group fairness (Zehlike, Bonchi, Castillo, Hajian, Megahed &
Baeza-Yates, "FA*IR: A Fair Top-k Ranking Algorithm", CIKM 2017).

A post is *protected* when its author's attribute ``attribute`` equals
``value``. The ranking passes the ranked group fairness test when every prefix
of length i = 1..k holds at least

    m(i) = F⁻¹_Binom(α_c; i, p)

protected posts: the α_c-quantile of the number of protected posts among i
drawn with probability p each (0 where it is negative). Testing k prefixes at
level α would fail a fair ranking far more often than α, so α is adjusted (the
paper's section 4): α_c is the level in [0, α] whose table makes the
probability that a ranking of independent Bernoulli(p) draws fails some prefix
closest to α. That probability is computed exactly by dynamic programming over
the number of protected posts so far; the search halves [0, α] until two
tables differ by one protected post in total and keeps the closer (the lower
on a tie).

Reading chosen: the failure probability the search targets is that of the
first k − 1 prefixes, as in ``fairsearchcore`` (the authors' implementation,
whose tables this one reproduces); the paper's text counts all k. The two
differ by one protected post somewhere in the table for about one (k, p, α) in
six; :attr:`FairTable.fail` reports the exact probability over all k prefixes
(e.g. 0.056 for k = 10, p = 0.75, α = 0.05).

The re-ranker fills positions 1..k from the current order: the next protected
post when the prefix would otherwise fall short of m(i), else whichever of the
best remaining protected and unprotected posts comes first. The rest follow
in their current order. A protected post moved up says which prefix it keeps
fair; the posts it passes record ``shifted_by:fair_topk``.

>>> fair_mtable(10, 0.5, 0.1, adjust=False).tolist()
[0, 0, 0, 1, 1, 1, 2, 2, 3, 3]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.stages.rerank.base import CodedStep, Reranker, register_reranker
from feedrank.stages.rerank.placement import placed_step, position_phrase

__all__ = ["FairTable", "FairTopK", "fail_probability", "fair_mtable", "fair_picks"]

_EPS = 1e-16
"""The search over α_c stops when its interval is this narrow."""


def _unadjusted(k: int, p: float, alpha: float) -> NDArray[np.int64]:
    from scipy.stats import binom

    m = binom.ppf(alpha, np.arange(1, k + 1), p)
    out: NDArray[np.int64] = np.maximum(np.nan_to_num(m, nan=0.0), 0).astype(np.int64)
    return out


def fail_probability(mtable: NDArray[np.int64], p: float) -> float:
    """The probability that k independent Bernoulli(``p``) draws fail some prefix
    of ``mtable`` (fewer than ``mtable[i - 1]`` protected among the first i).

    >>> round(fail_probability(np.array([1]), 0.3), 12)
    0.7
    """
    k = mtable.shape[0]
    alive = np.zeros(k + 1, dtype=np.float64)
    alive[0] = 1.0  # P(j protected so far and every prefix passed)
    for i in range(k):
        nxt = alive * (1.0 - p)
        nxt[1:] += alive[:-1] * p
        nxt[: int(mtable[i])] = 0.0
        alive = nxt
    return float(max(0.0, 1.0 - alive.sum()))


@dataclass(frozen=True)
class FairTable:
    """The minimum-protected table of (k, p, α): ``m`` (k,) int64, the minimum
    protected posts in the first 1..k; ``alpha_c`` the level it was computed
    at; ``fail`` the probability that a fair ranking (k Bernoulli(p) draws)
    fails one of its k prefixes."""

    m: NDArray[np.int64]
    alpha_c: float
    fail: float


@lru_cache(maxsize=64)
def fair_table(k: int, p: float, alpha: float, adjust: bool = True) -> FairTable:
    """The :class:`FairTable` of (k, p, α), α adjusted for the k tests or not."""
    table = _search(k, p, alpha) if adjust else None
    if table is None:
        m = _unadjusted(k, p, alpha)
        table = FairTable(m, alpha, fail_probability(m, p))
    table.m.setflags(write=False)  # shared by every caller of the cache
    return table


def _search(k: int, p: float, alpha: float) -> FairTable:
    """The adjusted table: halve [0, α] until two tables differ by one protected
    post in total, keep the one whose failure probability is closer to α."""

    def target(m: NDArray[np.int64]) -> float:
        return fail_probability(m[:-1], p)  # the first k - 1 prefixes (see above)

    lo_a, hi_a = 0.0, alpha
    lo, hi = _unadjusted(k, p, lo_a), _unadjusted(k, p, hi_a)
    lo_f, hi_f = target(lo), target(hi)
    while int(hi.sum()) - int(lo.sum()) > 1 and hi_a - lo_a > _EPS:
        mid_a = (lo_a + hi_a) / 2
        mid = _unadjusted(k, p, mid_a)
        mid_f = target(mid)
        if mid_f == alpha:
            lo_a, lo, lo_f = hi_a, hi, hi_f = mid_a, mid, mid_f
            break
        if mid_f < alpha:
            lo_a, lo, lo_f = mid_a, mid, mid_f
        else:
            hi_a, hi, hi_f = mid_a, mid, mid_f
    if abs(lo_f - alpha) <= abs(hi_f - alpha):
        return FairTable(lo, lo_a, fail_probability(lo, p))
    return FairTable(hi, hi_a, fail_probability(hi, p))


def fair_mtable(k: int, p: float, alpha: float, adjust: bool = True) -> NDArray[np.int64]:
    """ndarray (k,), int64: m(1), ..., m(k) of :func:`fair_table`."""
    out: NDArray[np.int64] = fair_table(k, p, alpha, adjust).m.copy()
    return out


def fair_picks(protected: NDArray[np.bool_], mtable: NDArray[np.int64]) -> NDArray[np.intp]:
    """FA*IR's placement of posts given in their current order: positions in the
    current order filling 1..min(k, m); ``protected`` (m,) bool."""
    m = protected.shape[0]
    k = min(mtable.shape[0], m)
    prot = np.flatnonzero(protected).tolist()
    other = np.flatnonzero(~protected).tolist()
    a = b = count = 0
    picks: list[int] = []
    for i in range(k):
        short = count < int(mtable[i])
        if a < len(prot) and (short or b >= len(other) or prot[a] < other[b]):
            picks.append(prot[a])
            a += 1
            count += 1
        else:
            picks.append(other[b])
            b += 1
    return np.asarray(picks, dtype=np.intp)


@register_reranker
class FairTopK(Reranker):
    """FA*IR: every prefix of the first ``k`` posts holds at least the binomial
    quantile of posts by protected authors (author attribute ``attribute`` equal
    to ``value``) for proportion ``p`` at significance ``alpha``, adjusted for
    the k tests."""

    type: Literal["fair_topk"] = "fair_topk"
    attribute: Annotated[str, Field(min_length=1, pattern=r"^[^=]+$")]
    value: Annotated[str, Field(min_length=1)]
    p: Annotated[float, Field(gt=0, lt=1)]
    alpha: Annotated[float, Field(gt=0, lt=1)] = 0.1
    k: Annotated[int, Field(ge=1, le=10_000)] = 50
    adjust_alpha: bool = True

    def table(self) -> FairTable:
        """The minimum-protected table this re-ranker enforces."""
        return fair_table(self.k, self.p, self.alpha, self.adjust_alpha)

    def adjust_many(
        self,
        batch: PostBatch,
        requests: Requests,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> CodedStep:
        offsets = requests.offsets
        mtable = self.table().m
        protected = batch.author_attribute(self.attribute) == self.value
        picks: list[NDArray[np.intp]] = []
        flags: list[NDArray[np.bool_]] = []
        for s in range(offsets.shape[0] - 1):
            rows = order[offsets[s] : offsets[s + 1]]
            picks.append(fair_picks(protected[rows], mtable))
            flags.append(protected[rows])
        group = f"{self.attribute}={self.value}"

        def why(segment: int, new: int, old: int) -> str:
            if new > old or not flags[segment][int(picks[segment][new])]:
                return ""
            need = int(mtable[new])
            return (
                f"{position_phrase(new, old)} to keep at least {need} "
                f"post{'s' if need != 1 else ''} by protected authors ({group}) "
                f"in the first {new + 1}"
            )

        return placed_step(offsets, order, picks, why)

    def describe(self) -> str:
        table = self.table()
        return (
            f"FA*IR fair top-{self.k}: every prefix holds at least the binomial quantile of "
            f"posts by authors with {self.attribute}={self.value} for p = {self.p:g} "
            f"(α = {self.alpha:g}, adjusted to {table.alpha_c:.4g})"
        )
