"""What :func:`~feedrank.evaluate.metrics.evaluate` returns: per-query values and
means of every measure, as JSON or in trec_eval's output layout."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.evaluate.measures import parse_measure

__all__ = ["EvalResult"]


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
