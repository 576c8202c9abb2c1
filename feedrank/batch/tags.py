"""Sets of short strings per post (topics, labels) as a compressed sparse row table.

>>> tags = Tags.from_lists([("news", "sport"), (), ("sport",)])
>>> tags.vocabulary
('news', 'sport')
>>> tags.contains_any(["sport"]).tolist()
[True, False, True]
>>> tags.weighted_sum({"news": 2.0, "sport": 0.5}).tolist()
[2.5, 0.0, 0.5]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import BatchError

__all__ = ["Tags"]


@dataclass(frozen=True, eq=False)
class Tags:
    """Row ``i`` holds ``vocabulary[codes[indptr[i]:indptr[i + 1]]]``.

    ``vocabulary`` is sorted and unique; ``indptr`` is int64 of shape (n + 1,);
    ``codes`` is int64 of shape (nnz,), sorted and unique within each row.
    """

    vocabulary: tuple[str, ...]
    indptr: NDArray[np.int64]
    codes: NDArray[np.int64]

    @classmethod
    def empty(cls, n: int) -> Tags:
        """A table of ``n`` rows without any tag."""
        return cls((), np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64))

    @classmethod
    def from_lists(
        cls,
        rows: Sequence[Iterable[str]],
        *,
        field: str = "tags",
        ids: Sequence[str] | NDArray[np.str_] | None = None,
    ) -> Tags:
        """Build from one iterable of strings per row (duplicates within a row merge).

        A row that is itself a string is refused, not read as its characters; so
        are tags that are not strings, empty or hold a NUL. Errors name ``field``
        and the post (``ids[i]`` when given, else the row number).

        >>> try:
        ...     Tags.from_lists(["jazz"], field="topics", ids=["p1"])
        ... except BatchError as err:
        ...     print(err.message, "|", err.field, "|", err.post_id)
        got the string 'jazz' | topics | p1
        """
        if isinstance(rows, (str, bytes)):
            raise BatchError(
                f"got the {type(rows).__name__} {rows!r}",
                field=field,
                expected="a list of rows, each a list of strings",
            )
        sets: list[list[str]] = []
        for i, row in enumerate(rows):
            if isinstance(row, (str, bytes)) or not isinstance(row, Iterable):
                what = "string" if isinstance(row, str) else type(row).__name__
                raise BatchError(
                    f"got the {what} {row!r}",
                    field=field,
                    post_id=_row_name(i, ids),
                    expected="a list of strings per post",
                )
            items = list(row)
            bad = next((t for t in items if not isinstance(t, str) or not t or "\x00" in t), None)
            if bad is not None:
                raise BatchError(
                    f"tag {bad!r} is a {type(bad).__name__}"
                    if not isinstance(bad, str)
                    else f"tag {bad!r} is empty or holds a NUL character",
                    field=field,
                    post_id=_row_name(i, ids),
                    expected="non-empty strings without NUL characters",
                )
            sets.append(sorted(set(items)))
        vocabulary = tuple(sorted({tag for row in sets for tag in row}))
        lookup = {tag: i for i, tag in enumerate(vocabulary)}
        lengths = np.fromiter((len(row) for row in sets), dtype=np.int64, count=len(sets))
        indptr = np.zeros(len(sets) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        codes = np.fromiter(
            (lookup[tag] for row in sets for tag in row), dtype=np.int64, count=int(indptr[-1])
        )
        return cls(vocabulary, indptr, codes)

    def __len__(self) -> int:
        return len(self.indptr) - 1

    @cached_property
    def row_ids(self) -> NDArray[np.intp]:
        """ndarray of shape (nnz,), intp: the row of every stored tag."""
        return np.repeat(np.arange(len(self), dtype=np.intp), np.diff(self.indptr))

    def row(self, i: int) -> tuple[str, ...]:
        """The tags of row ``i`` in sorted order."""
        return tuple(self.vocabulary[c] for c in self.codes[self.indptr[i] : self.indptr[i + 1]])

    def to_lists(self) -> list[tuple[str, ...]]:
        """Every row as a tuple of tags."""
        return [self.row(i) for i in range(len(self))]

    @cached_property
    def _vocab_index(self) -> dict[str, int]:
        """Tag -> its code (built once per vocabulary; tables taken from this one share it)."""
        return {tag: i for i, tag in enumerate(self.vocabulary)}

    def _vocab_vector(self, weights: Mapping[str, float]) -> NDArray[np.float64]:
        vec = np.zeros(len(self.vocabulary), dtype=np.float64)
        if self.vocabulary and weights:
            index = self._vocab_index
            for name, value in weights.items():
                code = index.get(name)
                if code is not None:
                    vec[code] = value
        return vec

    def contains_any(self, names: Iterable[str]) -> NDArray[np.bool_]:
        """ndarray of shape (n,), bool: does the row hold at least one of ``names``."""
        vec = self._vocab_vector(dict.fromkeys(names, 1.0))
        hits = np.bincount(self.row_ids, weights=vec[self.codes], minlength=len(self))
        return hits > 0

    def first_of(self, names: Sequence[str]) -> NDArray[np.int64]:
        """ndarray of shape (n,), int64: index in ``names`` of the first name the row
        holds (in the order of ``names``), or -1."""
        order: dict[str, int] = {}
        for i, name in enumerate(names):
            order.setdefault(name, len(names) - i)  # a repeated name keeps its first place
        vec = self._vocab_vector({k: float(v) for k, v in order.items()})
        best = np.zeros(len(self), dtype=np.float64)
        if len(self.codes):
            np.maximum.at(best, self.row_ids, vec[self.codes])
        out = np.where(best > 0, len(names) - best, -1)
        return out.astype(np.int64)

    def weighted_sum(self, weights: Mapping[str, float]) -> NDArray[np.float64]:
        """ndarray of shape (n,), float64: sum of ``weights[tag]`` over each row's tags."""
        vec = self._vocab_vector(weights)
        return np.bincount(self.row_ids, weights=vec[self.codes], minlength=len(self)).astype(
            np.float64
        )

    def counts(self) -> NDArray[np.int64]:
        """ndarray of shape (n,), int64: number of tags per row."""
        return np.diff(self.indptr)

    def take(self, index: NDArray[np.intp]) -> Tags:
        """Rows ``index`` (any order, repeats allowed)."""
        index = np.asarray(index, dtype=np.intp)
        starts = self.indptr[:-1][index]
        lengths = self.indptr[1:][index] - starts
        indptr = np.zeros(len(index) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        within = np.arange(int(indptr[-1]), dtype=np.int64) - np.repeat(indptr[:-1], lengths)
        codes = self.codes[np.repeat(starts, lengths) + within]
        return self._sharing(Tags(self.vocabulary, indptr, codes))

    def _sharing(self, other: Tags) -> Tags:
        """``other`` (same vocabulary) with this table's vocabulary index, if built."""
        if "_vocab_index" in self.__dict__:
            other.__dict__["_vocab_index"] = self._vocab_index
        return other

    def _slice(self, start: int, stop: int) -> Tags:
        """Rows ``start:stop`` (codes shared with this table, not copied)."""
        lo, hi = int(self.indptr[start]), int(self.indptr[stop])
        return self._sharing(
            Tags(self.vocabulary, self.indptr[start : stop + 1] - lo, self.codes[lo:hi])
        )

    @classmethod
    def concat(cls, parts: Sequence[Tags]) -> Tags:
        """Stack tables row-wise, merging their vocabularies."""
        vocabulary = tuple(sorted({t for part in parts for t in part.vocabulary}))
        merged = np.asarray(vocabulary)
        codes: list[NDArray[np.int64]] = []
        lengths: list[NDArray[np.int64]] = []
        for part in parts:
            remap = (
                np.searchsorted(merged, np.asarray(part.vocabulary)).astype(np.int64)
                if part.vocabulary
                else np.zeros(0, dtype=np.int64)
            )
            codes.append(remap[part.codes])
            lengths.append(np.diff(part.indptr))
        all_lengths = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64)
        indptr = np.zeros(len(all_lengths) + 1, dtype=np.int64)
        np.cumsum(all_lengths, out=indptr[1:])
        all_codes = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)
        return cls(vocabulary, indptr, all_codes)


def _row_name(row: int, ids: Sequence[str] | NDArray[np.str_] | None) -> str:
    """The post id of ``row``, or ``<row i>`` when the ids are not known."""
    return str(ids[row]) if ids is not None and row < len(ids) else f"<row {row}>"
