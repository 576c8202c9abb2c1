"""What every loader shares: reading a file (``.gz`` transparently) row by row,
typed access to the cells of a row, and the error policy.

A bad row raises :class:`~feedrank.errors.InputError` naming the file
(``source``), the 1-based line the row starts on (``line``), the record id when
it could be read (``post_id``) and the column (``field``); with
``errors="collect"`` a loader skips bad rows and keeps every problem instead
(:class:`Rows`). Timestamps are converted exactly (integer microseconds, never
through a float).
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Literal

from feedrank._time import EPOCH
from feedrank.errors import InputError
from feedrank.models import Post

__all__ = [
    "MICROS",
    "Errors",
    "Field",
    "FirstLines",
    "PathLike",
    "Rows",
    "bad",
    "csv_rows",
    "data_files",
    "open_text",
    "validated_post",
]

Errors = Literal["raise", "collect"]
"""What a loader does with a bad row: raise its InputError, or collect it and go on."""
PathLike = str | Path

MICROS = 1_000_000
"""Microseconds in a second."""


class Rows:
    """Collects the problems of one load: :meth:`fail` raises a problem
    (``errors="raise"``) or keeps it in ``problems`` (``errors="collect"``)."""

    def __init__(self, errors: Errors) -> None:
        if errors not in ("raise", "collect"):
            raise InputError(f"errors={errors!r}", field="errors", expected="'raise' or 'collect'")
        self.mode = errors
        self.problems: list[InputError] = []

    def fail(self, problem: InputError) -> None:
        """Raise ``problem`` or keep it, as the load's ``errors`` says."""
        if self.mode == "raise":
            raise problem
        self.problems.append(problem)


def bad(
    message: str,
    where: str,
    line: int,
    field: str | None,
    *,
    record: str | None = None,
    expected: str | None = None,
) -> InputError:
    """The InputError of a bad row: file ``where``, line, column ``field``, record id."""
    return InputError(
        message, source=where, line=line, field=field, post_id=record, expected=expected
    )


@contextmanager
def open_text(path: Path, encoding: str) -> Iterator[IO[str]]:
    """``path`` opened as text (decompressed when it ends in ``.gz``); InputError if
    there is no such file."""
    if not path.is_file():
        raise InputError(f"no such file: {str(path)!r}", field="path", expected="an existing file")
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding=encoding, newline="") as fh:
            yield fh
    else:
        with path.open(encoding=encoding, newline="") as fh:
            yield fh


def csv_rows(
    fh: IO[str], where: str, required: Sequence[str], rows: Rows
) -> Iterator[tuple[int, dict[str, str]]]:
    """(start line, row) for every data row of a CSV file with a header; a header
    without a ``required`` column or a row of the wrong width is reported."""
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        rows.fail(bad("the file is empty", where, 1, None, expected="a CSV header line"))
        return
    except (csv.Error, UnicodeDecodeError) as exc:
        rows.fail(bad(f"unreadable header: {exc}", where, 1, None, expected="a CSV header"))
        return
    missing = [name for name in required if name not in header]
    if missing:
        rows.fail(
            bad(
                f"header lacks column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                where,
                1,
                missing[0],
                expected="columns " + ", ".join(required),
            )
        )
        return
    last = reader.line_num
    while True:
        start = last + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            rows.fail(bad(f"unreadable row: {exc}", where, start, None, expected="a CSV row"))
            if isinstance(exc, UnicodeDecodeError):
                return  # the decoder cannot resynchronise
            last = reader.line_num
            continue
        last = reader.line_num
        if not values:
            continue
        if len(values) != len(header):
            rows.fail(
                bad(
                    f"row has {len(values)} fields",
                    where,
                    start,
                    None,
                    expected=f"{len(header)} fields like the header",
                )
            )
            continue
        yield start, dict(zip(header, values, strict=True))


class FirstLines:
    """Where each record id was first read, so that a record read again names it."""

    def __init__(self) -> None:
        self.at: dict[str, tuple[str, int]] = {}

    def check(self, get: Field, record: str, name: str, what: str, expected: str) -> None:
        """InputError on column ``name`` of ``get``'s row if ``record`` was read before:
        "``what`` (first in FILE line N)"."""
        if record in self.at:
            where, line = self.at[record]
            raise get.error(name, f"{what} (first in {where} line {line})", expected)

    def add(self, record: str, get: Field) -> None:
        """Note that ``record`` was read on ``get``'s row."""
        self.at[record] = (get.where, get.line)


class Field:
    """Typed access to the cells of one row; errors name file, line, record and column."""

    def __init__(self, row: Mapping[str, str], where: str, line: int) -> None:
        self.row, self.where, self.line = row, where, line
        self.record: str | None = None

    def error(self, name: str, message: str, expected: str) -> InputError:
        return bad(message, self.where, self.line, name, record=self.record, expected=expected)

    def text(self, name: str, *, required: bool = True) -> str:
        value = self.row.get(name, "")
        if required and not value.strip():
            raise self.error(name, "is empty", "a non-empty value")
        return value

    def count(self, name: str) -> int:
        value = self.row.get(name, "")
        if not re.fullmatch(r"[0-9]+", value):
            raise self.error(name, f"{value!r} is not a count", "an integer >= 0")
        return int(value)

    def flag(self, name: str) -> bool:
        value = self.row.get(name, "")
        if value not in ("True", "False"):
            raise self.error(name, f"{value!r} is not a boolean", "True or False")
        return value == "True"

    def epoch(self, name: str) -> datetime:
        value = self.row.get(name, "")
        return _epoch(value, lambda message, expected: self.error(name, message, expected))

    def iso(self, name: str) -> datetime:
        value = self.row.get(name, "")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value):
            raise self.error(name, f"{value!r} is not a UTC timestamp", "YYYY-MM-DDTHH:MM:SSZ")
        try:
            return datetime.fromisoformat(value[:-1] + "+00:00")
        except ValueError:
            raise self.error(
                name, f"{value!r} is not a valid date and time", "YYYY-MM-DDTHH:MM:SSZ"
            ) from None


def _epoch(value: str, error: Callable[[str, str], InputError]) -> datetime:
    """Exact UTC datetime of decimal epoch seconds (``1370746482.0``)."""
    expected = "epoch seconds, e.g. 1370746482.0"
    try:
        seconds = Decimal(value.strip())
    except InvalidOperation:
        raise error(f"{value!r} is not a number", expected) from None
    if not seconds.is_finite() or seconds < 0:
        raise error(f"{value!r} is not a time", expected)
    micros = seconds * MICROS
    if micros != micros.to_integral_value():
        raise error(f"{value!r} has a fraction below a microsecond", expected)
    try:
        return EPOCH + timedelta(microseconds=int(micros))
    except OverflowError:
        raise error(f"{value!r} is out of range", expected) from None


def data_files(paths: PathLike | Iterable[PathLike], pattern: str) -> list[Path]:
    """A file, a folder (its ``pattern`` files, sorted) or several of them."""
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    out: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.glob(pattern) if p.is_file())
            if not found:
                raise InputError(
                    f"no {pattern} files in {str(path)!r}", field="path", expected="data files"
                )
            out.extend(found)
        else:
            out.append(path)
    if not out:
        raise InputError("no files given", field="path", expected="a file or a folder")
    return out


def validated_post(where: str, line: int, post_id: str, **fields: object) -> Post:
    """The :class:`~feedrank.Post` of a row; its first validation error as InputError."""
    try:
        return Post.model_validate({"id": post_id, **fields})
    except InputError as err:
        raise err.locate(source=where, line=line, post_id=post_id) from None
