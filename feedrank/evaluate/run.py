"""A ranked run as columns: one row per retrieved (query, document) pair with the
score the ranker gave it.

The columns are numpy arrays (ids as unicode arrays, scores float64), validated
once when built; problems raise :class:`~feedrank.errors.InputError` naming the
field and the row (or the file and line) of the first one: arrays of different
lengths, a NaN score, a (query, document) pair given twice, ids that are not
strings. :meth:`Run.order` is the ranking every metric evaluates.

>>> run = Run(["q1", "q1", "q2"], ["a", "b", "a"], [1.0, 1.0, 0.5])
>>> run.order().tolist()  # q1's tie goes to the larger document id, as in trec_eval
[1, 0, 2]
>>> run.order(ties="stable").tolist()
[0, 1, 2]
>>> len(run), run.queries.tolist()
(3, ['q1', 'q2'])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError
from feedrank.evaluate._columns import id_columns, line_field, nest, pairs_index, unnest
from feedrank.evaluate._hashing import Index
from feedrank.evaluate.ordering import Ties, check_ties, order_rows

__all__ = ["Run"]


@dataclass(frozen=True, init=False, eq=False, repr=False)
class Run:
    """A ranked run: one row per retrieved (query, document) pair.

    Attributes
    ----------
    query_ids : ndarray of shape (n,), unicode
    doc_ids : ndarray of shape (n,), unicode
    scores : ndarray of shape (n,), float64
        Higher is better; ±inf is allowed, NaN is not. Rows need not be grouped
        or sorted: :meth:`order` ranks them.

    Arrays are coerced once and not copied when already of the right dtype: do
    not modify them afterwards. Each (query, document) pair may appear once.
    """

    query_ids: NDArray[np.str_]
    doc_ids: NDArray[np.str_]
    scores: NDArray[np.float64]
    _index: Index = field(init=False, compare=False)

    def __init__(self, query_ids: Any, doc_ids: Any, scores: Any) -> None:
        self._setup(query_ids, doc_ids, scores, source=None, lines=None)

    def _setup(
        self,
        query_ids: Any,
        doc_ids: Any,
        scores: Any,
        *,
        source: str | None,
        lines: NDArray[np.int64] | None,
    ) -> None:
        q, d, s = id_columns(query_ids, doc_ids, scores, "scores", source)
        if s.shape[0] and s.dtype.kind not in "iuf":
            raise InputError(
                f"holds {s.dtype} values", field="scores", source=source, expected="numbers"
            )
        s = s.astype(np.float64, copy=False)
        bad = np.isnan(s)
        if bad.any():
            row = int(np.argmax(bad))
            raise InputError(
                f"score is NaN for query {str(q[row])!r}, document {str(d[row])!r}"
                + ("" if lines is not None else f" (row {row})"),
                field="scores",
                source=source,
                expected="a number",
                **line_field(row, lines),
            )
        index = pairs_index(q, d, "run", source, lines)
        object.__setattr__(self, "query_ids", q)
        object.__setattr__(self, "doc_ids", d)
        object.__setattr__(self, "scores", s)
        object.__setattr__(self, "_index", index)

    @classmethod
    def from_dict(cls, run: Mapping[str, Mapping[str, float]]) -> Run:
        """Build from ``{query_id: {doc_id: score}}`` (pytrec_eval's and ranx's layout)."""
        q, d, s = unnest(run)
        return cls(q, d, np.asarray(s, dtype=np.float64))

    def to_dict(self) -> dict[str, dict[str, float]]:
        """``{query_id: {doc_id: score}}``, rows in their order."""
        return nest(self.query_ids, self.doc_ids, self.scores.tolist())

    @property
    def queries(self) -> NDArray[np.str_]:
        """Distinct query ids, sorted, shape (k,), unicode."""
        return self._index.queries

    def order(self, ties: Ties = "trec_eval") -> NDArray[np.intp]:
        """Row indices, shape (n,), intp: queries by id, then each query best first.

        Within a query rows go by score descending; equal scores follow ``ties``
        (see :data:`Ties`). This is the ranking every metric evaluates.
        """
        return order_rows(self._index.codes, self.scores, self.doc_ids, check_ties(ties))

    def __len__(self) -> int:
        return int(self.query_ids.shape[0])

    def __repr__(self) -> str:
        return f"Run({len(self)} rows, {self.queries.shape[0]} queries)"
