"""Decoding untrusted text: bounded reads, strict UTF-8, JSON without duplicate keys.

Every reader of feedrank (posts, authors, interactions and viewers, specs,
decision logs, saved Mastodon timelines) reads its input through these
functions, so every one of them refuses the same things in the same way, with
an error that names the file, the line and what was expected:

- bytes that are not UTF-8 (:func:`decode_utf8`);
- a JSON object with a key twice, which other JSON readers would take with
  its first value and Python's with its last (:func:`decode_json`);
- arrays and objects nested more than :data:`MAX_DEPTH` deep, checked before
  parsing (:func:`check_nesting`);
- a file or a line longer than the reader's documented maximum, found while
  reading in bounded pieces, so a file without an end or without newlines
  (such as ``/dev/zero``) fails at once with bounded memory
  (:func:`read_text`, :func:`read_lines`).

The error type is the reader's own (``InputError`` for records, ``SpecError``
for specs, ``AuditError`` for decision logs).

>>> decode_json('{"id": "p1", "n": [1, 2]}', source="posts.jsonl", line=3)
{'id': 'p1', 'n': [1, 2]}
>>> try:
...     decode_json('{"id": "p1", "id": "p2"}', source="posts.jsonl", line=3)
... except InputError as err:
...     print(err)
posts.jsonl:3, field 'id': duplicate key 'id' at column 14 (expected each key once in an object)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple, NoReturn

from feedrank.errors import FeedrankError, InputError

__all__ = [
    "MAX_DEPTH",
    "Line",
    "check_nesting",
    "decode_json",
    "decode_utf8",
    "read_lines",
    "read_text",
    "source_name",
]

MAX_DEPTH = 64
"""The deepest nesting of arrays and objects (tables in TOML) any reader accepts.

feedrank's own formats nest at most 8 deep; the bound keeps hostile input from
exhausting the parser's stack."""

ErrorType = type[FeedrankError]
Syntax = Literal["json", "toml"]

_CHUNK = 1 << 16

# A string (skipped whole, so brackets inside it do not count), an opening
# bracket (group "open") or a closing one.
_JSON_BRACKETS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|(?P<open>[\[{])|[\]}]', re.DOTALL)
_ESCAPE = re.compile(r"\\.", re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
# TOML also nests by dotted keys (a.b.c = 1, [a.b.c]): a run of key segments
# joined by dots (group "chain") counts as deep as its segments. Bare words are
# tokens of their own so the scan never rescans one.
_TOML_SEGMENT = r'[A-Za-z0-9_-]+|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|\'[^\'\n]*\''
_TOML_SEGMENTS = re.compile(_TOML_SEGMENT)
_TOML_BRACKETS = re.compile(
    rf"(?P<chain>(?:{_TOML_SEGMENT})(?:[ \t]*\.[ \t]*(?:{_TOML_SEGMENT}))+)"
    r'|[A-Za-z0-9_-]+|"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
    r"|'[^'\n]*'|#[^\n]*|(?P<open>[\[{])|[\]}]",
    re.DOTALL,
)
# Tokens that locate a duplicate key: a string (group 1) and, if a key, its
# colon (group 2); an opening bracket (3), a closing one (4) or a comma.
_JSON_TOKENS = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"(\s*:)?|([\[{])|([\]}])|,', re.DOTALL)


class _DuplicateKeyError(Exception):
    """Raised inside the decoder; turned into the reader's error with its place."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return out


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_pairs)


def _place(text: str, pos: int, line: int) -> tuple[int, int]:
    """(line, column), both 1-based, of ``text[pos]`` when ``text`` starts on ``line``."""
    return line + text.count("\n", 0, pos), pos - text.rfind("\n", 0, pos)


def decode_utf8(
    data: bytes,
    *,
    source: str,
    line: int = 1,
    error: ErrorType = InputError,
    expected: str = "UTF-8 text",
) -> str:
    """``data`` decoded as UTF-8; ``error`` at the line and column of the first bad byte.

    ``line`` is the line ``data`` starts on.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[start : exc.start].decode("utf-8", "replace")) + 1
        raise error(
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at column {column}",
            source=source,
            line=line + data.count(b"\n", 0, exc.start),
            expected=expected,
        ) from None


def check_nesting(
    text: str,
    *,
    source: str,
    line: int = 1,
    error: ErrorType = InputError,
    max_depth: int = MAX_DEPTH,
    syntax: Syntax = "json",
) -> None:
    """Raise ``error`` where ``text`` (JSON or TOML) nests deeper than ``max_depth``.

    Arrays and objects (inline tables) count, and in TOML the segments of a
    dotted key; brackets inside strings and comments do not. Linear in the
    length of ``text``, and immediate when it holds few brackets.
    """
    brackets = text.count("[") + text.count("{")
    if brackets <= max_depth and (syntax == "json" or brackets + text.count(".") < max_depth):
        return
    if syntax == "json" and _json_depth(text) <= max_depth:
        return
    depth = 0
    pattern = _JSON_BRACKETS if syntax == "json" else _TOML_BRACKETS
    for match in pattern.finditer(text):
        if match.group("open") is not None:
            depth += 1
            if depth > max_depth:
                _too_deep(text, match.start(), line, source, error, max_depth)
        elif text[match.start()] in "]}":
            depth -= 1
        elif syntax == "toml" and match.group("chain") is not None:
            chain = match.group("chain")
            if chain.count(".") >= max_depth and len(_TOML_SEGMENTS.findall(chain)) > max_depth:
                _too_deep(text, match.start(), line, source, error, max_depth)


def _json_depth(text: str) -> int:
    """The deepest nesting of ``text`` (JSON) outside its strings, as a JSON parser
    sees them: escapes are removed, the text is cut at its quotes and the parts
    between the quotes are left out, then only the brackets are scanned. (Text
    after an unterminated string is not counted: a parser stops there.)"""
    if "\\" in text:
        text = _ESCAPE.sub("", text)
    depth = deepest = 0
    for match in _BRACKET.finditer("".join(text.split('"')[::2])):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _too_deep(
    text: str, pos: int, line: int, source: str, error: ErrorType, max_depth: int
) -> NoReturn:
    at, column = _place(text, pos, line)
    raise error(
        f"nested more than {max_depth} deep at column {column}",
        source=source,
        line=at,
        expected=f"at most {max_depth} levels of nesting",
    )


def _locate_duplicate(text: str) -> tuple[int, str, str] | None:
    """Position, dotted path and key of the first repeated key of a JSON text."""
    # One frame per open array (its current index) or object (its keys so far
    # and the key whose value is being read).
    frames: list[tuple[str, list[Any]]] = []
    for match in _JSON_TOKENS.finditer(text):
        raw, colon, opening, closing = match.groups()
        if raw is not None:
            if colon is None or not frames or frames[-1][0] != "{":
                continue
            try:
                key = json.loads(f'"{raw}"')
            except ValueError:
                key = raw
            keys, state = frames[-1][1][0], frames[-1][1]
            if key in keys:
                path = ""
                for kind, frame in frames[:-1]:
                    path += f"[{frame[0]}]" if kind == "[" else ("." if path else "") + frame[1]
                return match.start(), path + ("." if path else "") + key, key
            keys.add(key)
            state[1] = key
        elif opening is not None:
            frames.append((opening, [0] if opening == "[" else [set(), ""]))
        elif closing is not None:
            if frames:
                frames.pop()
        elif frames and frames[-1][0] == "[":
            frames[-1][1][0] += 1
    return None


def decode_json(
    text: str | bytes,
    *,
    source: str,
    line: int = 1,
    error: ErrorType = InputError,
    expected: str = "a JSON value",
    max_depth: int = MAX_DEPTH,
) -> Any:
    """The value of one JSON text: UTF-8, each key once per object, nested at most
    ``max_depth`` deep.

    ``source`` names the file and ``line`` the line ``text`` starts on; errors
    are ``error`` instances located there (the line and column of the fault,
    the dotted path of a repeated key in ``field``).
    """
    if isinstance(text, bytes):
        text = decode_utf8(text, source=source, line=line, error=error)
    check_nesting(text, source=source, line=line, error=error, max_depth=max_depth)
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise error(
            f"not valid JSON: {exc.msg} at column {exc.colno}",
            source=source,
            line=line + exc.lineno - 1,
            expected=expected,
        ) from None
    except _DuplicateKeyError as exc:
        found = _locate_duplicate(text)
        if found is None:  # pragma: no cover - the decoder and the scan agree
            raise error(
                f"duplicate key {exc.key!r}",
                source=source,
                line=line,
                field=exc.key,
                expected="each key once in an object",
            ) from None
        pos, path, key = found
        at, column = _place(text, pos, line)
        raise error(
            f"duplicate key {key!r} at column {column}",
            source=source,
            line=at,
            field=path,
            expected="each key once in an object",
        ) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise error(f"not valid JSON: {exc}", source=source, line=line, expected=expected) from None


def _check_limit(max_bytes: int, error: ErrorType) -> None:
    if type(max_bytes) is not int or max_bytes < 1:
        raise error(
            f"a maximum of {max_bytes!r} bytes", field="max_bytes", expected="an integer >= 1"
        )


def source_name(source: str | Path | IO[Any]) -> str:
    """How errors name ``source``: its path, a stream's file name, or ``<stream>``."""
    if isinstance(source, (str, Path)):
        return str(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<stream>"


def read_text(
    source: str | Path | IO[str] | IO[bytes],
    *,
    max_bytes: int,
    error: ErrorType = InputError,
    what: str = "a file",
    limit: str | None = None,
) -> str:
    """The whole of a file (path) or stream, decoded as UTF-8, if at most ``max_bytes``.

    Reads at most ``max_bytes + 1`` bytes (characters for a text stream), so
    an endless or huge input fails at once with ``error`` naming the limit
    (``limit``: the name of the constant, if any); ``what`` names the
    expected content in that error.
    """
    _check_limit(max_bytes, error)
    where = source_name(source)
    if isinstance(source, (str, Path)):
        with Path(source).open("rb") as fh:
            data: str | bytes = fh.read(max_bytes + 1)
    else:
        try:
            data = source.read(max_bytes + 1)
        except UnicodeDecodeError as exc:
            raise error(
                f"not valid UTF-8: {exc.reason}", source=where, expected="UTF-8 text"
            ) from None
    if len(data) > max_bytes:
        raise error(
            f"larger than the maximum of {max_bytes} bytes" + (f" ({limit})" if limit else ""),
            source=where,
            expected=f"{what} of at most {max_bytes} bytes, or a larger maximum",
        )
    return decode_utf8(data, source=where, error=error) if isinstance(data, bytes) else data


class Line(NamedTuple):
    """One line read by :func:`read_lines`.

    ``number`` is 1-based; ``text`` the line with its newline (bytes from a
    path or binary stream, str from a text stream), or None when it was longer
    than the maximum and skipped; ``size`` its length in bytes (characters for
    a text stream), newline included; ``ended`` whether it ends with a newline
    (only the last line of a file may not).
    """

    number: int
    text: bytes | str | None
    size: int
    ended: bool


def _is_ended(piece: bytes | str) -> bool:
    return piece.endswith(b"\n") if isinstance(piece, bytes) else piece.endswith("\n")


def read_lines(
    fh: IO[bytes] | IO[str],
    *,
    source: str,
    max_bytes: int,
    error: ErrorType = InputError,
    long_lines: Literal["raise", "skip"] = "raise",
) -> Iterator[Line]:
    """The lines of an open file, each read with at most ``max_bytes + 1`` in memory.

    ``max_bytes`` bounds a line without its newline. A longer line raises
    ``error`` at its line number (``long_lines="raise"``: a file without
    newlines fails after reading ``max_bytes + 1`` bytes), or is read to its
    end in bounded pieces and yielded with ``text=None`` (``"skip"``).
    """
    _check_limit(max_bytes, error)
    number = 0
    while True:
        try:
            piece: bytes | str = fh.readline(max_bytes + 1)
        except UnicodeDecodeError as exc:
            raise error(
                f"not valid UTF-8: {exc.reason}",
                source=source,
                line=number + 1,
                expected="UTF-8 text",
            ) from None
        if not piece:
            return
        number += 1
        ended = _is_ended(piece)
        if ended or len(piece) <= max_bytes:  # at most max_bytes before the newline
            yield Line(number, piece, len(piece), ended)
            continue
        if long_lines == "raise":
            raise error(
                f"the line is longer than the maximum of {max_bytes} bytes",
                source=source,
                line=number,
                expected="shorter lines, or a larger maximum",
            )
        size = len(piece)
        while not ended:
            piece = fh.readline(_CHUNK)
            if not piece:
                break
            size += len(piece)
            ended = _is_ended(piece)
        yield Line(number, None, size, ended)
