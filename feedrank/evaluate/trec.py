"""The TREC file formats of runs and qrels, those of NIST's ``trec_eval``.

A run line is ``qid Q0 docno rank score tag`` (the rank column is ignored: the
order comes from the scores, see :meth:`~feedrank.evaluate.run.Run.order`), a
qrels line is ``qid 0 docno rel``. Fields are separated by ASCII white space
(spaces, tabs), as trec_eval separates them; lines end at LF, CRLF or CR. Blank
lines and lines starting with ``#`` are skipped, as trec_eval does; fields after
a run's tag are ignored. A malformed line (too few or too many fields, a score
that is not a number, a grade that is not an integer, a control character,
bytes that are not UTF-8, more than ``max_line_bytes``) raises
:class:`~feedrank.errors.InputError` naming the file and the line.

Files are read in pieces of 1 MiB and parsed a piece at a time with numpy
(:mod:`feedrank.evaluate._fields`, :mod:`feedrank.evaluate._decimal`): memory
is bounded by the piece and the columns read, and a score is the float
Python's ``float()`` makes of its text, bit for bit.

>>> import tempfile, pathlib
>>> from feedrank.evaluate.run import Run
>>> path = pathlib.Path(tempfile.mkdtemp()) / "run.txt"
>>> write_trec_run(Run(["q1", "q1"], ["a", "b"], [0.5, 2.0]), path)
>>> print(path.read_text(), end="")
q1 Q0 b 1 2.0 feedrank
q1 Q0 a 2 0.5 feedrank
>>> read_trec_run(path).to_dict()
{'q1': {'b': 2.0, 'a': 0.5}}
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError
from feedrank.evaluate._decimal import parse_floats, parse_ints
from feedrank.evaluate._fields import Chunk, field_text, read_fields, texts
from feedrank.evaluate.ordering import Ties
from feedrank.evaluate.qrels import Qrels
from feedrank.evaluate.run import Run

__all__ = [
    "MAX_TREC_LINE_BYTES",
    "read_trec_qrels",
    "read_trec_run",
    "write_trec_qrels",
    "write_trec_run",
]

PathLike = str | os.PathLike[str]

MAX_TREC_LINE_BYTES = 4096
"""The longest line the TREC readers accept by default, in bytes without its
line end (a TREC line is a few dozen bytes); ``max_line_bytes=`` changes it."""

_ID_BYTES_PER_FILE_BYTE = 16
_ID_BYTES_FREE = 64 << 20
"""The id columns are numpy unicode arrays, every id as wide as the longest (4
bytes a character): columns that would take more than 16 times the bytes read
so far, plus 64 MiB, mean one id far longer than the others, and are refused."""

_ORDINALS = ("first", "second", "third", "fourth", "fifth")


class _Columns:
    """The query ids, doc ids and values read so far, a chunk at a time."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.ids: tuple[list[_Text], list[_Text]] = ([], [])
        self.values: list[NDArray[Any]] = []
        self.rows = 0
        self.bytes = 0
        self.widest = [0, 0]
        self.widest_line = [0, 0]

    def add(self, chunk: Chunk, values: NDArray[Any]) -> None:
        self.bytes += chunk.size
        if chunk.lines.shape[0] == 0:
            return
        self.rows += chunk.lines.shape[0]
        for column, parts in enumerate(self.ids):
            found, longest = texts(chunk, column)
            if chunk.ascii:
                parts.append((found, longest))
                width = longest
            else:
                decoded = np.strings.decode(found.view(f"S{found.shape[1]}").reshape(-1), "utf-8")
                parts.append((decoded, longest))
                width = decoded.dtype.itemsize // 4
            if width > self.widest[column]:
                lengths = chunk.ends[column] - chunk.starts[column]
                self.widest[column] = width
                self.widest_line[column] = int(chunk.lines[int(np.argmax(lengths))])
        self.values.append(values)
        self._check_width()

    def _check_width(self) -> None:
        size = 4 * self.rows * sum(self.widest)
        if size <= _ID_BYTES_PER_FILE_BYTE * self.bytes + _ID_BYTES_FREE:
            return
        column = int(np.argmax(self.widest))
        raise InputError(
            f"an id of {self.widest[column]} characters would make the id columns of "
            f"{self.rows} rows take {size} bytes, more than "
            f"{_ID_BYTES_PER_FILE_BYTE} times the {self.bytes} bytes read",
            source=self.source,
            line=self.widest_line[column],
            expected="ids of similar lengths (every id is stored as wide as the longest)",
        )

    def columns(
        self, dtype: type[np.generic]
    ) -> tuple[NDArray[np.str_], NDArray[np.str_], NDArray[Any]]:
        """The columns, the chunks' pieces released as they are copied."""
        q, d = (
            _unicode(parts, self.rows, width)
            for parts, width in zip(self.ids, self.widest, strict=True)
        )
        values = np.empty(self.rows, dtype=dtype)
        at = 0
        self.values.reverse()
        while self.values:
            part = self.values.pop()
            values[at : at + part.shape[0]] = part
            at += part.shape[0]
        return q, d, values


_Text = tuple[NDArray[Any], int]
"""Ids of a chunk: a (k, w) matrix of ASCII bytes (zero after each id), or a
unicode array; and the length of the longest."""


def _unicode(parts: list[_Text], rows: int, width: int) -> NDArray[np.str_]:
    """The ids of all chunks as one unicode array, as wide as the longest."""
    width = max(width, 1)
    out = np.empty((rows, width), dtype=np.uint32)
    at = 0
    parts.reverse()
    while parts:
        found, _ = parts.pop()
        k = found.shape[0]
        if found.dtype.kind == "U":
            found = found.view(np.uint32).reshape(k, -1)
        common = min(width, found.shape[1])
        out[at : at + k, :common] = found[:, :common]
        out[at : at + k, common:] = 0
        at += k
    text: NDArray[np.str_] = out.view(f"<U{width}").reshape(-1)
    return text


def _numbers(chunk: Chunk, column: int, integer: bool, name: str, source: str) -> NDArray[Any]:
    """The values of ``column``, parsed in bulk; those not parsed there are given
    to ``int()``/``float()``, whose error is the error of the line."""
    ends = chunk.ends[column]
    lengths = ends - chunk.starts[column]
    values: NDArray[Any]
    values, parsed = (parse_ints if integer else parse_floats)(chunk.buf, ends, lengths)
    for row in np.flatnonzero(~parsed).tolist():
        text = field_text(chunk, row, column)
        try:
            values[row] = int(text) if integer else float(text)
        except (ValueError, OverflowError):
            raise _bad_value(text, name, integer, source, int(chunk.lines[row])) from None
    return values


def _bad_value(text: str, name: str, integer: bool, source: str, line: int) -> InputError:
    position = _ORDINALS[3 if integer else 4]
    if integer:
        try:
            int(text)
        except ValueError:
            pass
        else:
            return InputError(
                f"relevance {text!r} is out of range",
                field=name,
                source=source,
                line=line,
                expected=f"an integer grade in the {position} field, of at most 63 bits",
            )
        return InputError(
            f"relevance {text!r} is not an integer",
            field=name,
            source=source,
            line=line,
            expected=f"an integer grade in the {position} field",
        )
    return InputError(
        f"score {text!r} is not a number",
        field=name,
        source=source,
        line=line,
        expected=f"a number in the {position} field",
    )


_RUN = "6 fields: qid Q0 docno rank score tag"
_QRELS = "4 fields: qid 0 docno rel"


def _fields(
    path: PathLike, layout: str, integer: bool, max_line_bytes: int
) -> Generator[Chunk, None, None]:
    """The chunks of a file laid out as ``layout`` (its first word the number of
    fields: exactly that many for qrels, at least for a run)."""
    return read_fields(
        path,
        width=int(layout.split()[0]),
        exact=integer,
        columns=(0, 2, 3 if integer else 4),
        layout=layout,
        max_line_bytes=max_line_bytes,
    )


def _read(
    path: PathLike, layout: str, *, integer: bool, name: str, max_line_bytes: int
) -> tuple[NDArray[np.str_], NDArray[np.str_], NDArray[Any]]:
    """Query ids (first field), doc ids (third field) and the values (the fifth
    field of a run, parsed as floats, or the fourth of qrels, as integers) of
    every kept line of a file laid out as ``layout``."""
    source = str(path)
    found = _Columns(source)
    with contextlib.closing(_fields(path, layout, integer, max_line_bytes)) as chunks:
        for chunk in chunks:  # closed at once on an error: so is the file
            found.add(chunk, _numbers(chunk, 2, integer, name, source))
            if chunk.error is not None:
                raise chunk.error
    return found.columns(np.int64 if integer else np.float64)


def _setup(
    made: Run | Qrels,
    columns: tuple[NDArray[np.str_], NDArray[np.str_], NDArray[Any]],
    path: PathLike,
    layout: str,
    integer: bool,
    max_line_bytes: int,
) -> None:
    """Validate the columns read from ``path`` into ``made``. Line numbers are
    not kept for every row: when a row is refused (a NaN score, a repeated
    pair), the file is scanned again for them, so that the error names lines."""
    try:
        made._setup(*columns, source=str(path), lines=None)
    except InputError:
        chunks = _fields(path, layout, integer, max_line_bytes)
        lines = np.concatenate([np.zeros(0, dtype=np.int64), *(c.lines for c in chunks)])
        made._setup(*columns, source=str(path), lines=lines)
        raise  # not reached: the same rows are refused, now with their lines


def read_trec_run(path: PathLike, *, max_line_bytes: int = MAX_TREC_LINE_BYTES) -> Run:
    """Read a TREC run file, ``qid Q0 docno rank score tag`` per line.

    The rank column is ignored (trec_eval ranks by score); fields after the tag
    are ignored; blank and ``#`` lines are skipped. Raises InputError naming the
    file and line of a malformed line, a bad score or a repeated (qid, docno).
    """
    columns = _read(path, _RUN, integer=False, name="score", max_line_bytes=max_line_bytes)
    run = Run.__new__(Run)
    _setup(run, columns, path, _RUN, False, max_line_bytes)
    return run


def read_trec_qrels(path: PathLike, *, max_line_bytes: int = MAX_TREC_LINE_BYTES) -> Qrels:
    """Read a TREC qrels file, ``qid 0 docno rel`` per line (rel an integer).

    Blank and ``#`` lines are skipped. Raises InputError naming the file and
    line of a malformed line, a non-integer grade or a repeated (qid, docno).
    """
    columns = _read(path, _QRELS, integer=True, name="relevance", max_line_bytes=max_line_bytes)
    qrels = Qrels.__new__(Qrels)
    _setup(qrels, columns, path, _QRELS, True, max_line_bytes)
    return qrels


def _check_token(values: NDArray[np.str_], name: str) -> None:
    for row, value in enumerate(values.tolist()):
        if not value or any(ch.isspace() for ch in value):
            raise InputError(
                f"{value!r} (row {row}) cannot be written to a TREC file",
                field=name,
                expected="a non-empty id without whitespace",
            )


def write_trec_run(
    run: Run, path: PathLike, *, tag: str = "feedrank", ties: Ties = "trec_eval"
) -> None:
    """Write ``run`` as a TREC run file, queries by id, each best first with ranks 1, 2, ...

    Scores are written with Python's shortest round-trip repr, so reading the
    file back gives the same floats.
    """
    _check_token(run.query_ids, "query_ids")
    _check_token(run.doc_ids, "doc_ids")
    _check_token(np.asarray([tag]), "tag")
    order = run.order(ties)
    codes = run._index.codes[order]
    start = np.searchsorted(codes, codes, side="left")
    ranks = (np.arange(order.shape[0]) - start + 1).tolist()
    with Path(path).open("w", encoding="utf-8") as out:
        for qid, doc, rank, score in zip(
            run.query_ids[order].tolist(),
            run.doc_ids[order].tolist(),
            ranks,
            run.scores[order].tolist(),
            strict=True,
        ):
            out.write(f"{qid} Q0 {doc} {rank} {score!r} {tag}\n")


def write_trec_qrels(qrels: Qrels, path: PathLike) -> None:
    """Write ``qrels`` as a TREC qrels file (``qid 0 docno rel``), rows in their order."""
    _check_token(qrels.query_ids, "query_ids")
    _check_token(qrels.doc_ids, "doc_ids")
    with Path(path).open("w", encoding="utf-8") as out:
        for qid, doc, grade in zip(
            qrels.query_ids.tolist(), qrels.doc_ids.tolist(), qrels.relevance.tolist(), strict=True
        ):
            out.write(f"{qid} 0 {doc} {grade}\n")
