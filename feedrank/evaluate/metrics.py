"""Ranking metrics over columnar runs, in agreement with NIST's trec_eval.

:func:`evaluate` scores a :class:`~feedrank.evaluate.run.Run` against
:class:`~feedrank.evaluate.qrels.Qrels` on many measures at once. The run is
ranked once for all queries (query, score descending, tie rule: one batched
sort), joined once with the qrels, and every measure is then a segment
operation over the judged retrieved documents (``np.bincount`` sums and counts
per query): no Python loop over queries.

Measures can be named the feedrank way or the trec_eval way (k ≥ 1):

- ``P@k`` / ``P_k``: relevant documents in the top k, divided by k;
- ``recall@k`` / ``recall_k``: relevant in the top k, divided by R;
- ``hit_rate@k`` / ``success_k``: 1 if a relevant document is in the top k;
- ``map`` / ``map``: AP = Σ over relevant retrieved documents of P@rank, / R;
- ``map@k`` / ``map_cut_k``: the same sum over the top k, / R;
- ``mrr`` / ``recip_rank``: 1 / rank of the first relevant document
  (``mrr@k``: 0 when it ranks below k; trec_eval has no such measure);
- ``r_precision`` / ``Rprec``: relevant in the top R, divided by R;
- ``ndcg``, ``ndcg@k`` / ``ndcg``, ``ndcg_cut_k``: DCG / ideal DCG with gain =
  grade (linear, trec_eval);
- ``ndcg_exp``, ``ndcg_exp@k``: the same with gain 2^grade − 1 ("Burges");
  feedrank only;
- ``num_q``, ``num_ret``, ``num_rel``, ``num_rel_ret``: counts (trec_eval sums
  them under ``all``, see :meth:`EvalResult.summary`).

R is the number of relevant documents of the query in the qrels, retrieved or
not. The discount is 1 / log2(rank + 1); the ideal ranking puts every judged
document of the query with a positive grade in grade order. A document is
relevant when its grade reaches ``relevance_threshold`` (trec_eval ``-l``);
nDCG uses the grade itself as gain whatever the threshold, as trec_eval does.

The conventions are parameters, with trec_eval's as defaults: ``ties``
(``"trec_eval"``: equal scores ordered by document id descending, plain string
comparison; ``"stable"``: the run's row order), ``queries`` (``"intersection"``:
queries in both run and qrels; ``"qrels"``: every qrels query, a query missing
from the run scoring 0, trec_eval ``-c``), ``depth`` (trec_eval ``-M``) and
``no_relevant``, what a query with no relevant document scores on the measures
that divide by R or by the ideal DCG (0/0): ``"zero"`` (trec_eval, ranx),
``"one"`` (LightGBM) or ``"drop"`` (leave such queries out of every measure).

>>> from feedrank.evaluate.qrels import Qrels
>>> from feedrank.evaluate.run import Run
>>> run = Run(["q1", "q1", "q1", "q2", "q2"], ["a", "b", "c", "a", "b"],
...           [3.0, 2.0, 1.0, 1.0, 1.0])
>>> qrels = Qrels(["q1", "q1", "q2"], ["b", "c", "a"], [1, 2, 1])
>>> result = evaluate(run, qrels, ["map", "P@2", "recip_rank"])
>>> result.per_query["map"].round(4).tolist()  # q2's tie puts "b" before "a"
[0.5833, 0.5]
>>> round(result["map"], 4), round(result["P_2"], 4)  # either name works
(0.5417, 0.5)
>>> print(result.to_trec().replace("\\t", " | "), end="")  # trec_eval's layout
map                    | all | 0.5417
P@2                    | all | 0.5000
recip_rank             | all | 0.5000
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError
from feedrank.evaluate._hashing import pair_keys
from feedrank.evaluate.ordering import Ties, check_ties, order_rows
from feedrank.evaluate.qrels import Qrels
from feedrank.evaluate.run import Run

__all__ = [
    "MEASURE_NAMES",
    "EvalResult",
    "Measure",
    "NoRelevant",
    "QuerySet",
    "evaluate",
    "parse_measure",
]

QuerySet = Literal["intersection", "qrels"]
"""Which queries are evaluated: those in both run and qrels, or every qrels query."""
NoRelevant = Literal["zero", "one", "drop"]
"""What a query without relevant documents scores on measures normalised by R or
the ideal DCG: 0 (trec_eval, ranx), 1 (LightGBM), or the query is dropped."""

QUERY_SETS: tuple[str, ...] = ("intersection", "qrels")
NO_RELEVANT: tuple[str, ...] = ("zero", "one", "drop")

_COUNTS = frozenset({"num_q", "num_ret", "num_rel", "num_rel_ret"})
# name (lower case) -> (kind, cutoff: "required" | "optional" | "none")
_ALIASES: dict[str, tuple[str, str]] = {
    "p": ("P", "required"),
    "precision": ("P", "required"),
    "recall": ("recall", "required"),
    "hit_rate": ("success", "required"),
    "success": ("success", "required"),
    "map": ("map", "optional"),
    "map_cut": ("map", "required"),
    "mrr": ("recip_rank", "optional"),
    "recip_rank": ("recip_rank", "optional"),
    "r_precision": ("Rprec", "none"),
    "rprec": ("Rprec", "none"),
    "ndcg": ("ndcg", "optional"),
    "ndcg_cut": ("ndcg", "required"),
    "ndcg_exp": ("ndcg_exp", "optional"),
    **{name: (name, "none") for name in _COUNTS},
}
MEASURE_NAMES: tuple[str, ...] = (
    "P@k",
    "recall@k",
    "hit_rate@k",
    "map",
    "map@k",
    "mrr",
    "mrr@k",
    "r_precision",
    "ndcg",
    "ndcg@k",
    "ndcg_exp",
    "ndcg_exp@k",
    "num_q",
    "num_ret",
    "num_rel",
    "num_rel_ret",
    "P_k",
    "recall_k",
    "success_k",
    "map_cut_k",
    "recip_rank",
    "Rprec",
    "ndcg_cut_k",
)
"""Every accepted measure name (k a positive integer), feedrank's then trec_eval's."""

_NAME = re.compile(r"(?P<base>.+?)(?:[@_](?P<k>\d+))?")
_FEEDRANK = {"P": "P", "recall": "recall", "success": "hit_rate", "map": "map"}
_FEEDRANK |= {"recip_rank": "mrr", "ndcg": "ndcg", "ndcg_exp": "ndcg_exp"}
_TREC_CUT = {"P": "P", "recall": "recall", "success": "success", "map": "map_cut"}
_TREC_CUT["ndcg"] = "ndcg_cut"


@dataclass(frozen=True)
class Measure:
    """A parsed measure: ``kind`` (trec_eval's family name) and cutoff ``k``."""

    kind: str
    k: int | None = None

    @property
    def name(self) -> str:
        """The feedrank name, e.g. ``ndcg@10``."""
        if self.kind == "Rprec":
            return "r_precision"
        base = _FEEDRANK.get(self.kind, self.kind)
        return base if self.k is None else f"{base}@{self.k}"

    @property
    def trec_name(self) -> str | None:
        """trec_eval's name (``ndcg_cut_10``), or None when trec_eval has no such measure."""
        if self.kind == "ndcg_exp" or (self.kind == "recip_rank" and self.k is not None):
            return None
        return self.kind if self.k is None else f"{_TREC_CUT[self.kind]}_{self.k}"

    @property
    def is_count(self) -> bool:
        """True for num_q, num_ret, num_rel, num_rel_ret (summed, not averaged, under ``all``)."""
        return self.kind in _COUNTS


def parse_measure(name: str) -> Measure:
    """Parse a feedrank or trec_eval measure name (see :data:`MEASURE_NAMES`).

    >>> parse_measure("ndcg_cut_10") == parse_measure("ndcg@10")
    True
    >>> parse_measure("P@5").trec_name
    'P_5'
    """
    match = _NAME.fullmatch(name.strip())
    entry = _ALIASES.get(match["base"].lower()) if match else None
    if match is None or entry is None:
        raise InputError(
            f"unknown measure {name!r}",
            field="measures",
            expected="one of " + ", ".join(MEASURE_NAMES),
        )
    kind, cutoff = entry
    k = None if match["k"] is None else int(match["k"])
    if (k is None and cutoff == "required") or (k is not None and cutoff == "none"):
        need = "a cutoff, e.g. P@10" if cutoff == "required" else "no cutoff"
        raise InputError(f"measure {name!r} takes {need}", field="measures", expected=need)
    if k is not None and k < 1:
        raise InputError(f"cutoff of {name!r} is 0", field="measures", expected="k >= 1")
    return Measure(kind, k)


def _measure_names(measures: str | Sequence[str]) -> list[str]:
    items = [measures] if isinstance(measures, str) else list(measures)
    names: list[str] = []
    for item in items:
        for name in item.split(","):
            if name.strip() and name.strip() not in names:
                names.append(name.strip())
    if not names:
        raise InputError("no measure given", field="measures", expected="e.g. map,P@10,ndcg@10")
    return names


@dataclass(frozen=True, eq=False)
class EvalResult:
    """What :func:`evaluate` returns.

    Attributes
    ----------
    measures : tuple of str
        The names asked for, in order (feedrank or trec_eval spelling, as given).
    query_ids : ndarray of shape (q,), unicode
        The evaluated queries, sorted by id.
    per_query : mapping of name to ndarray of shape (q,), float64
        Each measure's value for each query, aligned with ``query_ids``.
    means : mapping of name to float
        The mean over the evaluated queries (trec_eval's ``all`` line for every
        measure but the counts, which trec_eval sums: see :meth:`summary`).
    options : mapping
        The conventions used: ties, queries, relevance_threshold, no_relevant, depth.
    """

    measures: tuple[str, ...]
    query_ids: NDArray[np.str_]
    per_query: Mapping[str, NDArray[np.float64]]
    means: Mapping[str, float]
    options: Mapping[str, Any]

    def __getitem__(self, name: str) -> float:
        """The mean of measure ``name``, by either spelling (``result["P@10"]``)."""
        if name in self.means:
            return self.means[name]
        wanted = parse_measure(name)
        for have in self.measures:
            if parse_measure(have) == wanted:
                return self.means[have]
        raise KeyError(name)

    def summary(self) -> dict[str, float]:
        """trec_eval's ``all`` values: the mean, except num_q (the number of
        queries) and num_ret, num_rel, num_rel_ret (their totals)."""
        out: dict[str, float] = {}
        for name in self.measures:
            measure = parse_measure(name)
            values = self.per_query[name]
            out[name] = float(values.sum()) if measure.is_count else self.means[name]
        return out

    def to_dict(self, *, per_query: bool = False) -> dict[str, Any]:
        """A JSON-ready dict: options, number of queries, ``all`` and (optionally)
        ``per_query`` as ``{query_id: {measure: value}}``."""
        out: dict[str, Any] = {
            "options": dict(self.options),
            "num_queries": int(self.query_ids.shape[0]),
            "all": self.summary(),
        }
        if per_query:
            columns = {name: self.per_query[name].tolist() for name in self.measures}
            out["per_query"] = {
                qid: {name: columns[name][i] for name in self.measures}
                for i, qid in enumerate(self.query_ids.tolist())
            }
        return out

    def to_json(self, *, per_query: bool = False) -> str:
        """:meth:`to_dict` as indented JSON."""
        return json.dumps(self.to_dict(per_query=per_query), indent=2, ensure_ascii=False)

    def to_trec(self, *, per_query: bool = False) -> str:
        """trec_eval's output layout: ``measure<TAB>query<TAB>value`` lines, per query
        (queries by id) when ``per_query``, then the ``all`` lines. Values have 4
        decimals; counts are integers; num_q is only printed under ``all``."""
        counts = {name: parse_measure(name).is_count for name in self.measures}
        lines: list[str] = []
        if per_query:
            columns = {name: self.per_query[name].tolist() for name in self.measures}
            for i, qid in enumerate(self.query_ids.tolist()):
                for name in self.measures:
                    if parse_measure(name).kind != "num_q":
                        lines.append(_trec_line(name, qid, columns[name][i], counts[name]))
        for name, value in self.summary().items():
            lines.append(_trec_line(name, "all", value, counts[name]))
        return "".join(line + "\n" for line in lines)


def _trec_line(name: str, qid: str, value: float, count: bool) -> str:
    text = str(round(value)) if count else f"{value:.4f}"
    return f"{name:<22}\t{qid}\t{text}"


# ---------------------------------------------------------------------------
# evaluation


def _safe_div(num: NDArray[Any], den: NDArray[Any]) -> NDArray[np.float64]:
    out = np.zeros(num.shape[0], dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _slots(hashes: NDArray[np.uint64], bits: int) -> NDArray[np.intp]:
    """Multiply-shift: ``bits`` well-mixed bits of each hash, as indices."""
    mixed = hashes * np.uint64(0x9E3779B97F4A7C15)
    mixed >>= np.uint64(64 - bits)
    slots: NDArray[np.intp] = mixed.astype(np.intp)
    return slots


def _lookup(
    run: Run,
    rows: NDArray[np.intp],
    run_group: NDArray[np.intp],
    qrels: Qrels,
    qrels_group: NDArray[np.intp],
    groups: int,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Which of the run rows ``rows`` are judged: (i, j) with ``rows[i]`` and qrels
    row ``j`` the same (query, doc); ``i`` ascending.

    Queries are group codes shared by both sides (``run_group`` for every run
    row, ``qrels_group`` for every qrels row, values < ``groups``). A byte map
    of judged doc hashes discards most unjudged rows, then a binary search of
    (group, doc-hash) keys finds the rest, fastest when ``rows`` come grouped.
    Every match is checked against the ids; a hash collision (never seen in
    practice) falls back to exact string codes.
    """
    n, m = rows.shape[0], qrels_group.shape[0]
    none = np.zeros(0, dtype=np.intp)
    if n == 0 or m == 0:
        return none, none
    qrels_hash = qrels._index.doc_hash
    qrels_keys = pair_keys(qrels_group, groups, qrels_hash)
    by_key = np.argsort(qrels_keys)
    keys = qrels_keys[by_key]
    if not np.any(keys[1:] == keys[:-1]):
        bits = min(26, max(10, (16 * m).bit_length()))
        judged = np.zeros(1 << bits, dtype=bool)
        judged[_slots(qrels_hash, bits)] = True
        run_hash = run._index.doc_hash[rows]
        maybe = np.flatnonzero(judged[_slots(run_hash, bits)])
        maybe_rows = rows[maybe]
        wanted = pair_keys(run_group[maybe_rows], groups, run_hash[maybe])
        at = np.minimum(np.searchsorted(keys, wanted), m - 1)
        hit = keys[at] == wanted
        mine, theirs = maybe[hit], by_key[at[hit]]
        if np.array_equal(run_group[maybe_rows[hit]], qrels_group[theirs]) and bool(
            np.all(run.doc_ids[maybe_rows[hit]] == qrels.doc_ids[theirs])
        ):
            return mine.astype(np.intp, copy=False), theirs.astype(np.intp, copy=False)
    docs = np.concatenate([run.doc_ids[rows], qrels.doc_ids])
    _, doc_code = np.unique(docs, return_inverse=True)
    width = np.int64(doc_code.max() + 1)
    run_key = run_group[rows].astype(np.int64) * width + doc_code[:n]
    qrels_key = qrels_group.astype(np.int64) * width + doc_code[n:]
    by_key = np.argsort(qrels_key)
    exact = qrels_key[by_key]
    at = np.minimum(np.searchsorted(exact, run_key), m - 1)
    mine = np.flatnonzero(exact[at] == run_key)
    return mine.astype(np.intp, copy=False), by_key[at[mine]].astype(np.intp, copy=False)


class _Ranked:
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
        order = order_rows(run_group, run.scores, run.doc_ids, ties)
        counts = np.bincount(run_group, minlength=n + 1)[:n].astype(np.int64)
        order = order[: int(counts.sum())]  # rows of queries left out sort last
        starts = np.cumsum(counts) - counts
        at, judged = _lookup(run, order, run_group, qrels, qrels_group, n + 1)
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


def evaluate(
    run: Run,
    qrels: Qrels,
    measures: str | Sequence[str],
    *,
    ties: Ties = "trec_eval",
    queries: QuerySet = "intersection",
    relevance_threshold: int = 1,
    no_relevant: NoRelevant = "zero",
    depth: int | None = None,
) -> EvalResult:
    """Evaluate ``run`` against ``qrels`` on ``measures``.

    Parameters
    ----------
    run, qrels : Run, Qrels
    measures : str or sequence of str
        Names in feedrank or trec_eval spelling (see :data:`MEASURE_NAMES`);
        a string may hold several, comma separated: ``"map,P@10,ndcg_cut_10"``.
    ties : {"trec_eval", "stable"}
        Order of equal scores in a query: document id descending (trec_eval) or
        the run's row order.
    queries : {"intersection", "qrels"}
        Evaluate the queries in both run and qrels (trec_eval), or every qrels
        query, a query absent from the run scoring 0 (trec_eval ``-c``). Run
        queries without judgements are never evaluated.
    relevance_threshold : int, default 1
        A document is relevant when its grade is at least this (trec_eval ``-l``).
        Must be >= 0. nDCG gains are the grades themselves whatever the threshold.
    no_relevant : {"zero", "one", "drop"}
        For a query without relevant document, measures normalised by R (map,
        recall, R-precision) or by the ideal DCG (nDCG) are 0/0: score it 0
        (trec_eval, ranx), 1 (LightGBM), or drop such queries from every measure.
        P@k, hit rate and MRR are 0 for such a query under "zero" and "one".
    depth : int, optional
        Evaluate only the first ``depth`` ranked documents per query (trec_eval ``-M``).

    Returns
    -------
    EvalResult
        Per-query arrays (queries sorted by id) and means.

    Raises
    ------
    InputError
        Unknown measure or option, or no query to evaluate.
    """
    names = _measure_names(measures)
    parsed = {name: parse_measure(name) for name in names}
    ties = check_ties(ties)
    _check_choice(queries, QUERY_SETS, "queries")
    _check_choice(no_relevant, NO_RELEVANT, "no_relevant")
    if isinstance(relevance_threshold, bool) or not isinstance(
        relevance_threshold, int | np.integer
    ):
        raise InputError(
            f"{relevance_threshold!r} is not an integer",
            field="relevance_threshold",
            expected="an integer >= 0",
        )
    if relevance_threshold < 0:
        raise InputError(
            f"{relevance_threshold} is negative",
            field="relevance_threshold",
            expected="an integer >= 0 (negative grades mean unjudged)",
        )
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 1):
        raise InputError(f"{depth!r}", field="depth", expected="None or an integer >= 1")
    ranked = _Ranked(
        run,
        qrels,
        ties=ties,
        queries=queries,
        threshold=int(relevance_threshold),
        no_relevant=no_relevant,
        depth=depth,
    )
    computed: dict[Measure, NDArray[np.float64]] = {}
    per_query: dict[str, NDArray[np.float64]] = {}
    for name, measure in parsed.items():
        if measure not in computed:
            values = ranked.value(measure, no_relevant)
            values.setflags(write=False)
            computed[measure] = values
        per_query[name] = computed[measure]
    options = {
        "ties": ties,
        "queries": queries,
        "relevance_threshold": int(relevance_threshold),
        "no_relevant": no_relevant,
        "depth": depth,
    }
    return EvalResult(
        measures=tuple(names),
        query_ids=ranked.query_ids,
        per_query=per_query,
        means={name: float(values.mean()) for name, values in per_query.items()},
        options=options,
    )


def _check_choice(value: str, choices: tuple[str, ...], name: str) -> None:
    if value not in choices:
        raise InputError(f"unknown value {value!r}", field=name, expected=" or ".join(choices))
