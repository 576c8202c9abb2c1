"""The run of the evaluated queries ranked once and joined once with the qrels;
every measure is then a segment operation (``np.bincount`` sums and counts per
query) over the judged retrieved documents, with no Python loop over queries."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError
from feedrank.evaluate._join import lookup
from feedrank.evaluate.measures import Measure
from feedrank.evaluate.ordering import Ties, order_rows
from feedrank.evaluate.qrels import Qrels
from feedrank.evaluate.run import Run

__all__ = ["Ranked"]


def _safe_div(num: NDArray[Any], den: NDArray[Any]) -> NDArray[np.float64]:
    out = np.zeros(num.shape[0], dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


class Ranked:
    """The run of the evaluated queries, ranked once. Only the judged retrieved
    documents are kept, as (query, rank position, grade) triples sorted by query
    then position, shape (h,); query arrays have shape (q,)."""

    def __init__(
        self,
        run: Run,
        qrels: Qrels,
        *,
        ties: Ties,
        queries: str,
        threshold: int,
        no_relevant: str,
        depth: int | None,
    ) -> None:
        ri, qi = run._index, qrels._index
        universe = np.union1d(ri.queries, qi.queries)
        run_at = np.searchsorted(universe, ri.queries)
        qrels_at = np.searchsorted(universe, qi.queries)
        relevant = qrels.relevance >= threshold
        num_rel = np.bincount(qi.codes[relevant], minlength=qi.queries.shape[0])
        chosen = np.zeros(universe.shape[0], dtype=bool)
        chosen[qrels_at] = True
        if queries == "intersection":
            in_run = np.zeros_like(chosen)
            in_run[run_at] = True
            chosen &= in_run
        if no_relevant == "drop":
            chosen[qrels_at[num_rel == 0]] = False
        selected = np.flatnonzero(chosen)
        if selected.shape[0] == 0:
            raise InputError(
                "no query to evaluate",
                field="queries",
                expected="a query in both the run and the qrels"
                + (" with a relevant document" if no_relevant == "drop" else ""),
            )
        n = int(selected.shape[0])
        # slot of each universe query: its evaluated position, or n when left out
        slot = np.full(universe.shape[0], n, dtype=np.intp)
        slot[selected] = np.arange(n)
        self.query_ids: NDArray[np.str_] = universe[selected]
        self.n = n
        self.num_rel: NDArray[np.int64] = np.zeros(n, dtype=np.int64)
        qrels_slot = slot[qrels_at]
        kept = qrels_slot < n
        self.num_rel[qrels_slot[kept]] = num_rel[kept]
        self.threshold = threshold

        run_group = slot[run_at][ri.codes]
        qrels_group = qrels_slot[qi.codes]
        order = order_rows(run_group, run.scores, run.doc_ids, ties, below=n)
        counts = np.bincount(run_group, minlength=n + 1)[:n].astype(np.int64)
        starts = np.cumsum(counts) - counts
        at, judged = lookup(run, order, run_group, qrels, qrels_group, n + 1)
        group = run_group[order[at]]
        pos = at - starts[group]
        grade = qrels.relevance[judged]
        if depth is not None:
            keep = pos < depth
            group, pos, grade = group[keep], pos[keep], grade[keep]
            counts = np.minimum(counts, depth)
        self.counts = counts
        self.group: NDArray[np.intp] = group
        self.pos: NDArray[np.int64] = pos
        self.grade: NDArray[np.int64] = grade
        self._ideal_rows = np.flatnonzero((qrels_group < n) & (qrels.relevance > 0))
        self._ideal_query = qrels_group
        self._qrels_grade = qrels.relevance

    # -- shared columns ----------------------------------------------------
    @cached_property
    def relevant(self) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
        """(query, position) of each relevant retrieved document, shape (v,)."""
        keep = self.grade >= self.threshold
        return self.group[keep], self.pos[keep]

    def relevant_in_top(self, k: int | NDArray[np.int64]) -> NDArray[np.int64]:
        """Relevant documents in each query's top k, shape (q,), int64."""
        group, pos = self.relevant
        limit = k if isinstance(k, int) else k[group]
        return np.bincount(group[pos < limit], minlength=self.n).astype(np.int64)

    @cached_property
    def precision_terms(self) -> NDArray[np.float64]:
        """P@rank at each relevant retrieved document (AP's terms), shape (v,)."""
        group, pos = self.relevant
        per_query = np.bincount(group, minlength=self.n)
        seen = np.arange(1, group.shape[0] + 1) - np.repeat(
            np.cumsum(per_query) - per_query, per_query
        )
        terms: NDArray[np.float64] = seen / (pos + 1.0)
        return terms

    def discount(self, length: int) -> NDArray[np.float64]:
        return 1.0 / np.log2(np.arange(length, dtype=np.float64) + 2.0)

    @cached_property
    def ideal(self) -> tuple[NDArray[np.intp], NDArray[np.int64], NDArray[np.intp]]:
        """Ideal ranking: (query, grade, position) of each positive judged doc, (j,)."""
        rows = self._ideal_rows
        query = self._ideal_query[rows]
        grade = self._qrels_grade[rows]
        if rows.shape[0] == 0:
            return query, grade, np.zeros(0, dtype=np.intp)
        top = np.int64(grade.max())
        order = np.argsort(query.astype(np.int64) * (top + 1) + (top - grade))
        query, grade = query[order], grade[order]
        counts = np.bincount(query, minlength=self.n)
        pos = np.arange(query.shape[0]) - np.repeat(np.cumsum(counts) - counts, counts)
        return query, grade, pos

    # -- measures ------------------------------------------------------------
    def gains(self, grade: NDArray[np.int64], exponential: bool) -> NDArray[np.float64]:
        if not exponential:
            return grade.astype(np.float64)
        if grade.shape[0] and int(grade.max()) > 1023:
            raise InputError(
                f"grade {int(grade.max())} overflows 2^grade − 1",
                field="relevance",
                expected="grades <= 1023 for exponential-gain nDCG",
            )
        return np.exp2(grade.astype(np.float64)) - 1.0

    def dcg(self, k: int | None, exponential: bool) -> tuple[NDArray[Any], NDArray[Any]]:
        keep = self.grade > 0
        if k is not None:
            keep &= self.pos < k
        group, pos, grade = self.group[keep], self.pos[keep], self.grade[keep]
        iq, igrade, ipos = self.ideal
        if k is not None:
            iq, igrade, ipos = iq[ipos < k], igrade[ipos < k], ipos[ipos < k]
        longest = int(max(pos.max(initial=-1), ipos.max(initial=-1))) + 1
        disc = self.discount(longest)
        gain = self.gains(grade, exponential) * disc[pos]
        ideal = self.gains(igrade, exponential) * disc[ipos]
        dcg = np.bincount(group, weights=gain, minlength=self.n)
        idcg = np.bincount(iq, weights=ideal, minlength=self.n)
        return dcg, idcg

    def value(self, measure: Measure, no_relevant: str) -> NDArray[np.float64]:
        """Per-query values of ``measure``, shape (q,), float64."""
        kind, k = measure.kind, measure.k
        num_rel = self.num_rel
        undefined: NDArray[np.bool_] | None = num_rel == 0
        if kind == "num_q":
            return np.ones(self.n)
        if kind == "num_ret":
            return self.counts.astype(np.float64)
        if kind == "num_rel":
            return num_rel.astype(np.float64)
        if kind == "num_rel_ret":
            return np.bincount(self.relevant[0], minlength=self.n).astype(np.float64)
        if kind == "P":
            assert k is not None
            return self.relevant_in_top(k) / float(k)
        if kind == "success":
            assert k is not None
            return (self.relevant_in_top(k) > 0).astype(np.float64)
        if kind == "recip_rank":
            query, pos = self.relevant
            first = np.ones(query.shape[0], dtype=bool)
            first[1:] = query[1:] != query[:-1]
            rank = pos[first] + 1.0
            out = np.zeros(self.n)
            out[query[first]] = np.where(rank <= (k or np.inf), 1.0 / rank, 0.0)
            return out
        if kind == "recall":
            assert k is not None
            out = _safe_div(self.relevant_in_top(k), num_rel)
        elif kind == "Rprec":
            out = _safe_div(self.relevant_in_top(num_rel), num_rel)
        elif kind == "map":
            (query, pos), terms = self.relevant, self.precision_terms
            if k is not None:
                query, terms = query[pos < k], terms[pos < k]
            out = _safe_div(np.bincount(query, weights=terms, minlength=self.n), num_rel)
        else:  # ndcg, ndcg_exp
            dcg, idcg = self.dcg(k, kind == "ndcg_exp")
            out = _safe_div(dcg, idcg)
            undefined = idcg == 0
        if no_relevant == "one":
            out[undefined] = 1.0
        return out
