"""The fields of a whitespace-separated text file (TREC runs and qrels), found a
chunk of lines at a time without a Python loop over lines or fields.

The file is read in pieces of about :data:`CHUNK_BYTES`, each cut after its last
line end, so memory stays bounded whatever the file holds. In a piece:

- lines end at LF, CRLF or a lone CR (all three count as one line end);
- fields are separated by runs of ASCII white space (space, tab, vertical tab,
  form feed), as trec_eval and ``bytes.split()`` separate them; every other
  byte, non-ASCII included, belongs to a field;
- blank lines and lines whose first field starts with ``#`` are skipped;
- other control characters (bytes below 0x20 but those), bytes that are not
  UTF-8 and lines longer than the maximum are errors at their line.

Most files have exactly the expected number of fields on every line, separated
by single spaces or tabs: their fields are read straight off the positions of
the separators. Other pieces (extra fields, runs of blanks, blank or comment
lines, malformed lines) take a general path that counts the fields per line.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "qrels.txt"
>>> _ = path.write_bytes(b"# judged\\nq1 0 d1 1\\r\\n\\nq1\\t0  d2 0")
>>> for chunk in read_fields(path, width=4, exact=True, columns=(0, 2, 3),
...                          layout="4 fields", max_line_bytes=100):
...     ids, longest = texts(chunk, 1)
...     print(chunk.lines.tolist(), ids.view(f"S{ids.shape[1]}").ravel().tolist())
[2] [b'd1']
[4] [b'd2']
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError
from feedrank.evaluate._decimal import FRONT
from feedrank.io.decoding import decode_utf8

__all__ = ["CHUNK_BYTES", "Chunk", "field_text", "read_fields", "texts"]

CHUNK_BYTES = 1 << 20
"""Bytes read at a time (1 MiB: the arrays made of a piece stay small, and there
are few enough pieces for numpy's cost per call not to count), plus at most one
line carried over to the next piece."""

_NL, _HASH = 10, 35


@dataclass(frozen=True)
class Chunk:
    """The wanted fields of the kept lines of one piece of a file.

    ``buf`` holds the piece (LF line ends) from index :data:`FRONT` on, with
    padding after it; ``starts[j]`` and ``ends[j]`` (k,), intp, are the positions
    in ``buf`` of the j-th wanted field of each kept line; ``lines`` (k,), int64,
    the 1-based line number of each kept line in the file; ``ascii`` whether the
    piece is ASCII; ``size`` its length in bytes; ``error`` the error of the
    first bad line of the piece, to be raised once the lines before it have
    been read, or None.
    """

    buf: NDArray[np.uint8]
    starts: tuple[NDArray[np.intp], ...]
    ends: tuple[NDArray[np.intp], ...]
    lines: NDArray[np.int64]
    ascii: bool
    size: int
    error: InputError | None


class _NoLineEndError(Exception):
    """More than the longest line's bytes without a line end."""


def _pieces(path: str | os.PathLike[str], max_line_bytes: int) -> Generator[bytes, None, None]:
    """Whole lines of the file, LF-terminated, in pieces of about CHUNK_BYTES.
    Raises _NoLineEndError as soon as more than ``max_line_bytes`` (+ 1 for a CR)
    go by without a line end."""
    carry = b""
    with Path(path).open("rb") as fh:
        while True:
            block = fh.read(CHUNK_BYTES)
            data = carry + block if carry else block
            if not block:
                if not data:
                    return
                end = len(data)
            else:
                # a CR at the very end may be the first half of a CRLF
                end = max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1)) + 1
                if end == 0:
                    if len(data) > max_line_bytes + 1:
                        raise _NoLineEndError
                    carry = data
                    continue
            piece, carry = data[:end], data[end:]
            if b"\r" in piece:
                piece = piece.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            if not piece.endswith(b"\n"):
                piece += b"\n"
            yield piece
            if len(carry) > max_line_bytes + 1:  # the next line is already too long
                raise _NoLineEndError


def _too_long(source: str, line: int, max_line_bytes: int) -> InputError:
    return InputError(
        f"the line is longer than the maximum of {max_line_bytes} bytes",
        source=source,
        line=line,
        expected="shorter lines, or a larger maximum (max_line_bytes)",
    )


def _line_start(c: NDArray[np.uint8], pos: int) -> int:
    """Index of the first byte of the line holding ``c[pos]``."""
    before = np.flatnonzero(c[:pos] == _NL)
    return int(before[-1]) + 1 if before.shape[0] else 0


def _column(c: NDArray[np.uint8], pos: int) -> int:
    """1-based column, in characters, of ``c[pos]`` in its line."""
    start = _line_start(c, pos)
    return len(c[start:pos].tobytes().decode("utf-8", "replace")) + 1


@dataclass(frozen=True)
class _Layout:
    width: int
    exact: bool
    columns: tuple[int, ...]
    layout: str
    source: str
    max_line_bytes: int


_Found = tuple[
    tuple[NDArray[np.intp], ...],
    tuple[NDArray[np.intp], ...],
    NDArray[np.int64],
    InputError | None,
    int,
]
"""Starts and ends of the wanted fields, line numbers, the error, lines in the piece."""


def _nothing(spec: _Layout, error: InputError | None) -> _Found:
    none = tuple(np.zeros(0, dtype=np.intp) for _ in spec.columns)
    return none, none, np.zeros(0, dtype=np.int64), error, 0


def _structure(c: NDArray[np.uint8], first: int, spec: _Layout) -> _Found:
    """Starts, ends (positions in ``c``) and line numbers of the wanted fields of
    the kept lines of a piece ``c`` (ending with LF) whose first line is ``first``,
    and the error of its first bad line (the lines from it on are not kept)."""
    error: InputError | None = None
    while True:  # cut the piece before a line with a control character
        if c.shape[0] == 0:
            return _nothing(spec, error)
        blank = c <= 32
        sp = np.flatnonzero(blank)
        v = c[sp]
        control = (v != 32) & ((v - np.uint8(9)) > 4)  # not space, tab, LF, VT, FF, CR
        if not control.any():
            break
        at = int(sp[int(np.argmax(control))])
        error = InputError(
            f"control character 0x{int(c[at]):02x} at column {_column(c, at)}",
            source=spec.source,
            line=first + int(np.count_nonzero(c[:at] == _NL)),
            expected="text fields separated by spaces or tabs",
        )
        c = c[: _line_start(c, at)]
    newline = v == _NL
    count = int(np.count_nonzero(newline))
    width = spec.width
    regular = (
        sp.shape[0] == width * count and bool(newline[width - 1 :: width].all()) and not blank[0]
    )
    line_ends = sp[width - 1 :: width] if regular else sp[newline]
    too_long = np.flatnonzero(np.diff(line_ends, prepend=-1) - 1 > spec.max_line_bytes)
    if too_long.shape[0]:
        at = int(too_long[0])
        error = _too_long(spec.source, first + at, spec.max_line_bytes)
        if at == 0:
            return _nothing(spec, error)
        keep = int(np.searchsorted(sp, line_ends[at - 1], side="right"))
        sp, newline, line_ends = sp[:keep], newline[:keep], line_ends[:at]
        count = at
    line_starts = np.concatenate(([0], line_ends[:-1] + 1))
    if regular and not bool(np.logical_and(blank[1:], blank[:-1]).any()):
        # every line: exactly `width` fields, one separator between two
        grid = sp.reshape(count, width)
        starts = tuple(grid[:, j - 1] + 1 if j else line_starts for j in spec.columns)
        ends = tuple(grid[:, j] for j in spec.columns)
        lines = np.arange(first, first + count, dtype=np.int64)
        comment = c[line_starts] == _HASH
        if comment.any():
            rows = np.flatnonzero(~comment)
            starts = tuple(x[rows] for x in starts)
            ends = tuple(x[rows] for x in ends)
            lines = lines[rows]
        return starts, tuple(np.ascontiguousarray(x) for x in ends), lines, error, count
    left = np.concatenate(([-1], sp[:-1]))
    closes = sp - left > 1  # a field ends at sp[i]
    field_starts = left[closes] + 1
    field_ends = sp[closes]
    through = np.cumsum(closes)[np.flatnonzero(newline)]  # fields up to each line end
    fields = np.diff(through, prepend=0)
    head: NDArray[np.intp] = through - fields  # index of the line's first field
    filled = np.flatnonzero(fields > 0)
    comment = c[field_starts[head[filled]]] == _HASH
    rows = filled[~comment]
    wrong = fields[rows] != width if spec.exact else fields[rows] < width
    if wrong.any():
        at = int(np.argmax(wrong))
        bad = int(rows[at])
        error = InputError(
            f"has {int(fields[bad])} fields",
            source=spec.source,
            line=first + bad,
            expected=spec.layout,
        )
        rows = rows[:at]
    heads: NDArray[np.intp] = head[rows]
    return (
        tuple(field_starts[heads + j] for j in spec.columns),
        tuple(field_ends[heads + j] for j in spec.columns),
        rows.astype(np.int64) + first,
        error,
        count,
    )


def read_fields(
    path: str | os.PathLike[str],
    *,
    width: int,
    exact: bool,
    columns: tuple[int, ...],
    layout: str,
    max_line_bytes: int,
) -> Generator[Chunk, None, None]:
    """The fields ``columns`` (0-based) of every line of ``path``, a chunk at a time.

    A kept line has exactly ``width`` fields (``exact``) or at least that many;
    otherwise it is an error "has N fields" (expected ``layout``). The error of
    a chunk's first bad line comes with the chunk (:attr:`Chunk.error`), after
    the lines before it, so that errors are raised in the order of the file.
    """
    source = str(path)
    spec = _Layout(width, exact, columns, layout, source, max_line_bytes)
    with contextlib.closing(_pieces(path, max_line_bytes)) as pieces:
        yield from _chunks(pieces, spec)


def _chunks(pieces: Iterator[bytes], spec: _Layout) -> Iterator[Chunk]:
    """The chunks of the pieces of a file."""
    source, first = spec.source, 1
    while True:
        try:
            piece = next(pieces)
        except StopIteration:
            return
        except _NoLineEndError:
            raise _too_long(source, first, spec.max_line_bytes) from None
        error: InputError | None = None
        ascii = piece.isascii()
        if not ascii:
            try:
                piece.decode("utf-8")
            except UnicodeDecodeError as reason:
                try:
                    decode_utf8(piece, source=source, line=first)
                except InputError as exc:  # always: it names the line and column
                    error = exc
                piece = piece[: piece.rfind(b"\n", 0, reason.start) + 1]
        c = np.frombuffer(piece, dtype=np.uint8)
        starts, ends, lines, found, count = _structure(c, first, spec)
        error = found or error
        longest = max(
            (int((e - s).max()) for s, e in zip(starts, ends, strict=True) if e.size), default=0
        )
        buf = np.zeros(FRONT + c.shape[0] + longest + 24, dtype=np.uint8)
        buf[FRONT : FRONT + c.shape[0]] = c
        yield Chunk(
            buf,
            tuple(x + FRONT for x in starts),
            tuple(x + FRONT for x in ends),
            lines,
            ascii,
            c.shape[0],
            error,
        )
        first += count


_PREFIX = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)
"""_PREFIX[n]: the first n bytes of a little-endian uint64 lane."""


def texts(chunk: Chunk, column: int) -> tuple[NDArray[np.uint8], int]:
    """The fields of ``column`` (an index into the columns asked) as rows of a
    (k, 8 * lanes) byte matrix, each field padded with zero bytes, and the
    length of the longest."""
    starts, ends = chunk.starts[column], chunk.ends[column]
    k = starts.shape[0]  # at least 1
    lengths = ends - starts
    longest = int(lengths.max())
    lanes = -(-longest // 8)
    buf = chunk.buf
    window = np.ndarray(
        (buf.shape[0] - 8 * lanes + 1,), dtype=f"V{8 * lanes}", buffer=buf, strides=(1,)
    )
    out = window[starts].view(np.dtype("<u8")).reshape(k, lanes)
    if lanes == 1:
        out[:, 0] &= _PREFIX[lengths]
    else:
        clipped = np.arange(8 * lanes + 1)
        for j in range(lanes):  # the bytes of lane j to keep, by length
            out[:, j] &= _PREFIX[np.clip(clipped - 8 * j, 0, 8)][lengths]
    return out.view(np.uint8).reshape(k, 8 * lanes), longest


def field_text(chunk: Chunk, row: int, column: int) -> str:
    """One field as text (the piece is valid UTF-8 up to its kept lines)."""
    start, end = int(chunk.starts[column][row]), int(chunk.ends[column][row])
    return chunk.buf[start:end].tobytes().decode("utf-8")
