"""The text of a batch lower-cased and joined, for fast word searches.

Filters that look for words (muted words, for one) search every candidate's
text. Searching joined, lower-cased strings (blocks of rows, small enough to
stay in cache) with a compiled pattern that starts with a literal runs at C
speed over many rows at once; the rows are recovered from the match positions.
Rows are joined with NUL, which no pattern built by :func:`word_pattern`
crosses; a batch whose text itself holds a NUL is searched row by row instead.

>>> import numpy as np
>>> text = LowerText.of(np.array(["Cats are great", "a category", "CAT!"]))
>>> text.rows_matching(word_pattern("cat"), 0, 3).tolist()
[2]
>>> text.rows_matching(word_pattern("cats are"), 0, 3).tolist()
[0]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["LowerText", "word_pattern"]

_SEP = "\x00"


@lru_cache(maxsize=4096)
def word_pattern(phrase: str) -> re.Pattern[str] | None:
    """The pattern of a word or phrase matched case-insensitively on whole words
    (its words may be separated by any run of non-word characters), for
    lower-cased text; None if the phrase holds no word.

    It starts with the first word as a literal (so the search scans fast) and
    checks the word boundary before it with a fixed-width lookbehind.
    """
    parts = [p for p in re.split(r"\W+", phrase.lower()) if p]
    if not parts:
        return None
    first = re.escape(parts[0])
    rest = "".join(rf"[^\w{_SEP}]+" + re.escape(p) for p in parts[1:])
    return re.compile(rf"(?s){first}(?<!\w.{{{len(parts[0])}}}){rest}(?!\w)")


_BLOCK_ROWS = 1 << 15
"""Rows joined into one string: blocks of text small enough to stay in cache."""


@dataclass(frozen=True, eq=False)
class _Block:
    """Rows ``first:first + len(starts) - 1`` lower-cased and joined by NUL; row
    ``first + i`` is ``joined[starts[i]:starts[i + 1] - 1]``."""

    first: int
    joined: str
    starts: NDArray[np.int64]

    @classmethod
    def of(cls, first: int, items: list[str], text: NDArray[Any]) -> _Block | None:
        """The block of ``items`` (None if one of them holds a NUL)."""
        joined = _SEP.join(items)
        if joined.count(_SEP) != max(len(items) - 1, 0):
            return None
        lowered = joined.lower()
        if len(lowered) == len(joined):
            lengths = np.strings.str_len(text).astype(np.int64)
        else:  # a character changed length when lower-cased: measure each row
            pieces = [t.lower() for t in items]
            lowered = _SEP.join(pieces)
            lengths = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
        starts = np.zeros(len(items) + 1, dtype=np.int64)
        np.cumsum(lengths + 1, out=starts[1:])
        return cls(first, lowered, starts)

    def rows_matching(self, pattern: re.Pattern[str], a: int, b: int) -> NDArray[np.intp]:
        """Rows (of the whole text) in ``a:b`` that ``pattern`` matches."""
        lo, hi = max(a - self.first, 0), min(b - self.first, self.starts.shape[0] - 1)
        if hi <= lo:
            return np.zeros(0, dtype=np.intp)
        end = int(self.starts[hi]) - 1
        hits = [m.start() for m in pattern.finditer(self.joined, int(self.starts[lo]), end)]
        rows = np.searchsorted(self.starts, np.array(hits, dtype=np.int64), side="right") - 1
        out: NDArray[np.intp] = (np.unique(rows) + self.first).astype(np.intp)
        return out


@dataclass(frozen=True, eq=False)
class LowerText:
    """The rows' text lower-cased, in blocks of joined rows (or, when a text
    holds a NUL, the lower-cased rows themselves in ``rows``)."""

    blocks: tuple[_Block, ...]
    rows: tuple[str, ...] | None = None

    @classmethod
    def of(cls, text: NDArray[Any]) -> LowerText:
        """Lower-case ``text`` (ndarray (n,) of strings) once."""
        items: list[str] = text.tolist()
        blocks: list[_Block] = []
        for s in range(0, len(items), _BLOCK_ROWS):
            block = _Block.of(s, items[s : s + _BLOCK_ROWS], text[s : s + _BLOCK_ROWS])
            if block is None:
                return cls((), tuple(t.lower() for t in items))
            blocks.append(block)
        return cls(tuple(blocks))

    def rows_matching(self, pattern: re.Pattern[str], a: int, b: int) -> NDArray[np.intp]:
        """ndarray, intp: the rows in ``a:b`` whose text ``pattern`` matches, ascending."""
        if self.rows is not None:
            found = [i for i in range(a, b) if pattern.search(self.rows[i])]
            return np.array(found, dtype=np.intp)
        parts = [
            block.rows_matching(pattern, a, b)
            for block in self.blocks
            if block.first < b and block.first + block.starts.shape[0] - 1 > a
        ]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
