"""The TREC file formats of runs and qrels, those of NIST's ``trec_eval``.

A run line is ``qid Q0 docno rank score tag`` (the rank column is ignored: the
order comes from the scores, see :meth:`~feedrank.evaluate.run.Run.order`), a
qrels line is ``qid 0 docno rel``. Blank lines and lines starting with ``#`` are
skipped, as trec_eval does; fields after a run's tag are ignored. A malformed
line raises :class:`~feedrank.errors.InputError` naming the file and the line.

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

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError
from feedrank.evaluate.ordering import Ties
from feedrank.evaluate.qrels import Qrels
from feedrank.evaluate.run import Run

__all__ = ["read_trec_qrels", "read_trec_run", "write_trec_qrels", "write_trec_run"]

PathLike = str | os.PathLike[str]

_V = TypeVar("_V")


def _lines(path: PathLike) -> list[tuple[int, list[str]]]:
    text = Path(path).read_text(encoding="utf-8")
    out: list[tuple[int, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if fields and not fields[0].startswith("#"):
            out.append((number, fields))
    return out


def _read(
    path: PathLike,
    layout: str,
    value: Callable[[list[str], int], _V],
    *,
    exact: bool,
) -> tuple[list[str], list[str], list[_V], NDArray[np.int64]]:
    """Query ids (first field), doc ids (third field), ``value(fields, line)`` and
    the line number of every line of a file laid out as ``layout`` (its first
    word the number of fields: exactly that many when ``exact``, else at least)."""
    width = int(layout.split()[0])
    q: list[str] = []
    d: list[str] = []
    v: list[_V] = []
    numbers: list[int] = []
    for number, fields in _lines(path):
        if (len(fields) != width) if exact else (len(fields) < width):
            raise InputError(
                f"has {len(fields)} fields", source=str(path), line=number, expected=layout
            )
        v.append(value(fields, number))
        q.append(fields[0])
        d.append(fields[2])
        numbers.append(number)
    return q, d, v, np.asarray(numbers)


def read_trec_run(path: PathLike) -> Run:
    """Read a TREC run file, ``qid Q0 docno rank score tag`` per line.

    The rank column is ignored (trec_eval ranks by score); fields after the tag
    are ignored; blank and ``#`` lines are skipped. Raises InputError naming the
    file and line of a malformed line, a bad score or a repeated (qid, docno).
    """
    source = str(path)

    def score(fields: list[str], line: int) -> float:
        try:
            return float(fields[4])
        except ValueError:
            raise InputError(
                f"score {fields[4]!r} is not a number",
                field="score",
                source=source,
                line=line,
                expected="a number in the fifth field",
            ) from None

    q, d, s, lines = _read(path, "6 fields: qid Q0 docno rank score tag", score, exact=False)
    run = Run.__new__(Run)
    run._setup(q, d, np.asarray(s, dtype=np.float64), source=source, lines=lines)
    return run


def read_trec_qrels(path: PathLike) -> Qrels:
    """Read a TREC qrels file, ``qid 0 docno rel`` per line (rel an integer).

    Blank and ``#`` lines are skipped. Raises InputError naming the file and
    line of a malformed line, a non-integer grade or a repeated (qid, docno).
    """
    source = str(path)

    def grade(fields: list[str], line: int) -> int:
        try:
            return int(fields[3])
        except ValueError:
            raise InputError(
                f"relevance {fields[3]!r} is not an integer",
                field="relevance",
                source=source,
                line=line,
                expected="an integer grade in the fourth field",
            ) from None

    q, d, r, lines = _read(path, "4 fields: qid 0 docno rel", grade, exact=True)
    qrels = Qrels.__new__(Qrels)
    qrels._setup(q, d, np.asarray(r, dtype=np.int64), source=source, lines=lines)
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
