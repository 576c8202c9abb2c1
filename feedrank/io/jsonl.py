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
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, TypeVar, overload

from pydantic import BaseModel, ValidationError

from feedrank.errors import InputError
from feedrank.models import Author, Interaction, Post, Viewer, input_error

__all__ = [
    "LoadReport",
    "read_authors",
    "read_interactions",
    "read_jsonl",
    "read_posts",
    "read_viewer",
    "write_jsonl",
]

M = TypeVar("M", bound=BaseModel)
Source = str | Path | IO[str]


@dataclass(frozen=True)
class LoadReport:
    """Good records and one error per bad line (``errors="collect"``)."""

    records: list[Any]
    errors: list[InputError]


def _lines(source: Source) -> Iterator[tuple[str, int, str]]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                yield str(path), number, line
    else:
        name = getattr(source, "name", "<stream>")
        for number, line in enumerate(source, start=1):
            yield str(name) if isinstance(name, str) else "<stream>", number, line


@overload
def read_jsonl(source: Source, model: type[M], *, errors: Literal["raise"] = ...) -> list[M]: ...
@overload
def read_jsonl(source: Source, model: type[M], *, errors: Literal["collect"]) -> LoadReport: ...
def read_jsonl(
    source: Source, model: type[M], *, errors: Literal["raise", "collect"] = "raise"
) -> list[M] | LoadReport:
    """Read one ``model`` per non-blank line of ``source`` (a path or text stream)."""
    records: list[M] = []
    problems: list[InputError] = []
    for where, number, line in _lines(source):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problem = InputError(
                f"not valid JSON: {exc.msg} at column {exc.colno}",
                source=where,
                line=number,
                expected="one JSON object per line",
            )
        else:
            if not isinstance(raw, dict):
                problem = InputError(
                    f"got a JSON {type(raw).__name__}",
                    source=where,
                    line=number,
                    expected="one JSON object per line",
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


def read_posts(source: Source) -> list[Post]:
    """Posts from JSON Lines."""
    return read_jsonl(source, Post)


def read_authors(source: Source) -> list[Author]:
    """Authors from JSON Lines."""
    return read_jsonl(source, Author)


def read_interactions(source: Source) -> list[Interaction]:
    """Interactions from JSON Lines."""
    return read_jsonl(source, Interaction)


def read_viewer(source: Source) -> Viewer:
    """One viewer from a JSON file."""
    path = Path(source) if isinstance(source, (str, Path)) else None
    text = path.read_text(encoding="utf-8") if path is not None else source.read()  # type: ignore[union-attr]
    where = str(path) if path is not None else "<stream>"
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
