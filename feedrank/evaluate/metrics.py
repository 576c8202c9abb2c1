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

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError
from feedrank.evaluate._ranked import Ranked
from feedrank.evaluate.eval_result import EvalResult
from feedrank.evaluate.measures import Measure, measure_names, parse_measure
from feedrank.evaluate.ordering import Ties, check_ties
from feedrank.evaluate.qrels import Qrels
from feedrank.evaluate.run import Run

__all__ = ["NO_RELEVANT", "QUERY_SETS", "NoRelevant", "QuerySet", "evaluate"]

QuerySet = Literal["intersection", "qrels"]
"""Which queries are evaluated: those in both run and qrels, or every qrels query."""
NoRelevant = Literal["zero", "one", "drop"]
"""What a query without relevant documents scores on measures normalised by R or
the ideal DCG: 0 (trec_eval, ranx), 1 (LightGBM), or the query is dropped."""

QUERY_SETS: tuple[str, ...] = ("intersection", "qrels")
NO_RELEVANT: tuple[str, ...] = ("zero", "one", "drop")


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
    names = measure_names(measures)
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
    ranked = Ranked(
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
