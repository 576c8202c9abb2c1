"""Relevance judgements as columns: one row per judged (query, document) pair with
its integer grade.

The columns are numpy arrays (ids as unicode arrays, grades int64), validated
once when built, as a :class:`~feedrank.evaluate.run.Run` is; problems raise
:class:`~feedrank.errors.InputError` naming the field and the row (or the file
and line).

>>> qrels = Qrels(["q1", "q2", "q2"], ["b", "a", "c"], [1, 2, 0])
>>> qrels.relevance.dtype, len(qrels)
(dtype('int64'), 3)
>>> qrels.grades_for("q2", ["c", "a", "b"]).tolist()
[0, 2, 0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError
from feedrank.evaluate._columns import id_columns, nest, pairs_index, unnest
from feedrank.evaluate._hashing import Index

__all__ = ["Qrels"]


@dataclass(frozen=True, init=False, eq=False, repr=False)
class Qrels:
    """Relevance judgements: one row per judged (query, document) pair.

    Attributes
    ----------
    query_ids : ndarray of shape (m,), unicode
    doc_ids : ndarray of shape (m,), unicode
    relevance : ndarray of shape (m,), int64
        The grade. A document counts as relevant when its grade reaches the
        threshold (trec_eval ``-l``, default 1); nDCG uses the grade itself as
        gain. Negative grades mean "in the pool but not judged" (trec_eval): never
        relevant, no gain, but the query is still judged.
    """

    query_ids: NDArray[np.str_]
    doc_ids: NDArray[np.str_]
    relevance: NDArray[np.int64]
    _index: Index = field(init=False, compare=False)

    def __init__(self, query_ids: Any, doc_ids: Any, relevance: Any) -> None:
        self._setup(query_ids, doc_ids, relevance, source=None, lines=None)

    def _setup(
        self,
        query_ids: Any,
        doc_ids: Any,
        relevance: Any,
        *,
        source: str | None,
        lines: NDArray[np.int64] | None,
    ) -> None:
        q, d, r = id_columns(query_ids, doc_ids, relevance, "relevance", source)
        if r.shape[0] and r.dtype.kind not in "iu":
            raise InputError(
                f"holds {r.dtype} values",
                field="relevance",
                source=source,
                expected="integer grades",
            )
        r = r.astype(np.int64, copy=False)
        index = pairs_index(q, d, "qrels", source, lines)
        object.__setattr__(self, "query_ids", q)
        object.__setattr__(self, "doc_ids", d)
        object.__setattr__(self, "relevance", r)
        object.__setattr__(self, "_index", index)

    @classmethod
    def from_dict(cls, qrels: Mapping[str, Mapping[str, int]]) -> Qrels:
        """Build from ``{query_id: {doc_id: grade}}`` (pytrec_eval's and ranx's layout)."""
        q, d, r = unnest(qrels)
        return cls(q, d, np.asarray(r, dtype=np.int64))

    def to_dict(self) -> dict[str, dict[str, int]]:
        """``{query_id: {doc_id: grade}}``, rows in their order."""
        return nest(self.query_ids, self.doc_ids, self.relevance.tolist())

    @property
    def queries(self) -> NDArray[np.str_]:
        """Distinct query ids, sorted, shape (k,), unicode."""
        return self._index.queries

    def grades_for(
        self, query_id: str, doc_ids: Sequence[str] | NDArray[np.str_]
    ) -> NDArray[np.int64]:
        """ndarray (len(doc_ids),), int64: the grade of each document for ``query_id``,
        0 for documents it has no judgement of (unjudged = not relevant, as trec_eval)."""
        mine = self.query_ids == query_id
        docs, grades = self.doc_ids[mine], self.relevance[mine]
        wanted = np.asarray(doc_ids, dtype=np.str_)
        out = np.zeros(wanted.shape, dtype=np.int64)
        if docs.size and wanted.size:
            order = np.argsort(docs, kind="stable")
            slot = np.minimum(np.searchsorted(docs[order], wanted), docs.size - 1)
            found = docs[order][slot] == wanted
            out[found] = grades[order][slot[found]]
        return out

    def __len__(self) -> int:
        return int(self.query_ids.shape[0])

    def __repr__(self) -> str:
        return f"Qrels({len(self)} rows, {self.queries.shape[0]} queries)"
