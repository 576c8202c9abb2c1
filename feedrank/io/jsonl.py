"""JSON Lines readers and writers for posts, authors, interactions and viewers.

Readers validate every line and, on bad input, raise
:class:`~feedrank.errors.InputError` naming the file, the line number, the
record id when it could be read, and the field. With ``errors="collect"`` they
return the good records and every problem instead of stopping at the first.

>>> import io
>>> text = '{"id": "p1", "author_id": "a", "created_at": "2026-01-01T00:00:00Z"}\\n'
>>> [p.id for p in read_posts(io.StringIO(text))]
['p1']
>>> bad = '{"id": "p2", "author_id": "a", "created_at": "2026-01-01T00:00:00"}\\n'
>>> try:
...     read_posts(io.StringIO(bad))
... except InputError as err:
...     print(err.line, err.post_id, err.field)
1 p2 created_at

Lines are read in bounded pieces: a line longer than :data:`MAX_LINE_BYTES`
(``max_line_bytes=`` raises or lowers it) stops the reader with an error at
its line, after reading at most that many bytes, so a file without newlines
cannot exhaust memory. Invalid UTF-8, a key given twice in an object and
nesting deeper than :data:`~feedrank.io.decoding.MAX_DEPTH` are errors at
their line, like any other bad record.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, TypeVar, overload

from pydantic import BaseModel, ValidationError

from feedrank.errors import InputError
from feedrank.io.decoding import decode_json, decode_utf8, read_lines, read_text, source_name
from feedrank.models import Author, Interaction, Post, Viewer, input_error

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_VIEWER_BYTES",
    "LoadReport",
    "read_authors",
    "read_interactions",
    "read_jsonl",
    "read_posts",
    "read_viewer",
    "write_jsonl",
]

MAX_LINE_BYTES = 1 << 20
"""The longest line (one record, newline excluded) the JSON Lines readers accept:
1 MiB, in bytes (characters for a text stream); ``max_line_bytes=`` changes it."""

MAX_VIEWER_BYTES = 16 << 20
"""The largest viewer file :func:`read_viewer` accepts: 16 MiB; ``max_bytes=``
changes it."""

_ONE_OBJECT = "one JSON object per line"

M = TypeVar("M", bound=BaseModel)
Source = str | Path | IO[str]


@dataclass(frozen=True)
class LoadReport:
    """Good records and one error per bad line (``errors="collect"``)."""

    records: list[Any]
    errors: list[InputError]


def _lines(source: Source, max_line_bytes: int) -> Iterator[tuple[str, int, str]]:
    """(file name, line number, line without its newline) of every line of
    ``source``, read in bounded pieces."""
    where = source_name(source)
    with contextlib.ExitStack() as stack:
        fh: IO[bytes] | IO[str] = (
            stack.enter_context(Path(source).open("rb"))
            if isinstance(source, (str, Path))
            else source
        )
        for line in read_lines(fh, source=where, max_bytes=max_line_bytes):
            text = line.text
            assert text is not None  # a long line raises
            if isinstance(text, bytes):
                text = decode_utf8(text, source=where, line=line.number)
            yield where, line.number, text.rstrip("\r\n")


@overload
def read_jsonl(
    source: Source,
    model: type[M],
    *,
    errors: Literal["raise"] = ...,
    max_line_bytes: int = ...,
) -> list[M]: ...
@overload
def read_jsonl(
    source: Source,
    model: type[M],
    *,
    errors: Literal["collect"],
    max_line_bytes: int = ...,
) -> LoadReport: ...
def read_jsonl(
    source: Source,
    model: type[M],
    *,
    errors: Literal["raise", "collect"] = "raise",
    max_line_bytes: int = MAX_LINE_BYTES,
) -> list[M] | LoadReport:
    """Read one ``model`` per non-blank line of ``source`` (a path or text stream).

    A line longer than ``max_line_bytes`` (newline excluded) and a line that
    is not UTF-8 stop the reading with :class:`InputError` even with
    ``errors="collect"``: what follows cannot be read line by line.
    """
    records: list[M] = []
    problems: list[InputError] = []
    for where, number, line in _lines(source, max_line_bytes):
        if not line.strip():
            continue
        try:
            raw = decode_json(line, source=where, line=number, expected=_ONE_OBJECT)
        except InputError as exc:
            problem = exc
        else:
            if not isinstance(raw, dict):
                problem = InputError(
                    f"got a JSON {type(raw).__name__}",
                    source=where,
                    line=number,
                    expected=_ONE_OBJECT,
                )
            else:
                try:
                    records.append(model.model_validate_json(line))
                    continue
                except InputError as exc:  # feedrank's models name field and record
                    problem = exc.locate(source=where, line=number)
                except ValidationError as exc:  # any other pydantic model
                    problem = input_error(exc, line).locate(source=where, line=number)
        if errors == "raise":
            raise problem
        problems.append(problem)
    if errors == "collect":
        return LoadReport(list(records), problems)
    return records


def read_posts(source: Source, *, max_line_bytes: int = MAX_LINE_BYTES) -> list[Post]:
    """Posts from JSON Lines (lines of at most ``max_line_bytes``)."""
    return read_jsonl(source, Post, max_line_bytes=max_line_bytes)


def read_authors(source: Source, *, max_line_bytes: int = MAX_LINE_BYTES) -> list[Author]:
    """Authors from JSON Lines (lines of at most ``max_line_bytes``)."""
    return read_jsonl(source, Author, max_line_bytes=max_line_bytes)


def read_interactions(source: Source, *, max_line_bytes: int = MAX_LINE_BYTES) -> list[Interaction]:
    """Interactions from JSON Lines (lines of at most ``max_line_bytes``)."""
    return read_jsonl(source, Interaction, max_line_bytes=max_line_bytes)


def read_viewer(source: Source, *, max_bytes: int = MAX_VIEWER_BYTES) -> Viewer:
    """One viewer from a JSON file (a path or text stream) of at most ``max_bytes``."""
    where = source_name(source)
    text = read_text(source, max_bytes=max_bytes, what="a viewer JSON file")
    decode_json(text, source=where, expected="one JSON object, the viewer")  # keys, depth
    try:
        return Viewer.model_validate_json(text)
    except InputError as exc:  # names the field and the viewer already
        raise exc.locate(source=where, line=1) from None


def write_jsonl(records: Iterable[BaseModel], target: str | Path | IO[str]) -> int:
    """Write one JSON object per line; returns the number of records written.

    Keys and sets are written sorted so the output is deterministic.
    """
    count = 0

    def emit(fh: IO[str]) -> None:
        nonlocal count
        for record in records:
            data = record.model_dump(mode="json", exclude_defaults=True)
            fh.write(json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1

    if isinstance(target, (str, Path)):
        with Path(target).open("w", encoding="utf-8") as fh:
            emit(fh)
    else:
        emit(target)
    return count
