"""The text of a batch lower-cased as one string, for fast word searches.

Filters that look for words (muted words, for one) search every candidate's
text. Searching one joined, lower-cased string with a compiled pattern that
starts with a literal runs at C speed over all rows at once; the rows are
recovered from the match positions. Rows are joined with NUL, which no pattern
built by :func:`word_pattern` crosses; a batch whose text itself holds a NUL
is searched row by row instead.

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


@dataclass(frozen=True, eq=False)
class LowerText:
    """``joined``: every row's text lower-cased, rows separated by NUL; row ``i``
    is ``joined[starts[i]:starts[i + 1] - 1]``. ``rows``: the lower-cased rows
    themselves instead, when a text holds a NUL (``joined`` is then empty)."""

    joined: str
    starts: NDArray[np.int64]
    rows: tuple[str, ...] | None = None

    @classmethod
    def of(cls, text: NDArray[Any]) -> LowerText:
        """Lower-case ``text`` (ndarray (n,) of strings) once."""
        items: list[str] = text.tolist()
        joined = _SEP.join(items)
        if joined.count(_SEP) != max(len(items) - 1, 0):
            return cls(
                "", np.zeros(len(items) + 1, dtype=np.int64), tuple(t.lower() for t in items)
            )
        lowered = joined.lower()
        if len(lowered) == len(joined):
            lengths = np.strings.str_len(text).astype(np.int64)
        else:  # a character changed length when lower-cased: measure each row
            pieces = [t.lower() for t in items]
            lowered = _SEP.join(pieces)
            lengths = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
        starts = np.zeros(len(items) + 1, dtype=np.int64)
        np.cumsum(lengths + 1, out=starts[1:])
        return cls(lowered, starts)

    def rows_matching(self, pattern: re.Pattern[str], a: int, b: int) -> NDArray[np.intp]:
        """ndarray, intp: the rows in ``a:b`` whose text ``pattern`` matches, ascending."""
        if self.rows is not None:
            found = [i for i in range(a, b) if pattern.search(self.rows[i])]
            return np.array(found, dtype=np.intp)
        if b <= a:
            return np.zeros(0, dtype=np.intp)
        hits = [
            m.start()
            for m in pattern.finditer(self.joined, int(self.starts[a]), int(self.starts[b]) - 1)
        ]
        rows = np.searchsorted(self.starts, np.array(hits, dtype=np.int64), side="right") - 1
        return np.unique(rows).astype(np.intp)
