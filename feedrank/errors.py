"""The feedrank exception tree.

Every error feedrank raises on purpose derives from :class:`FeedrankError`, so a
platform can catch one type at its boundary. Errors about input name the record
(post id or line number), the field and what was expected.

>>> try:
...     raise BatchError("negative count", field="counts.like", post_id="p1",
...                      expected="an integer >= 0")
... except FeedrankError as err:
...     print(err)
post 'p1', field 'counts.like': negative count (expected an integer >= 0)

A value longer than 80 characters (an id, a field name, a string quoted in the
message) is shown as its start, "…" and its length, so a megabyte id never makes
a megabyte message; the attributes keep every value whole.

>>> err = InputError("bad id", post_id="p" * 100)
>>> print(err)
post 'pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp'… (100 characters): bad id
>>> len(err.post_id)
100
"""

from __future__ import annotations

import re
from typing import TypeVar

__all__ = [
    "AuditError",
    "BatchError",
    "ConformanceError",
    "CursorError",
    "FeedrankError",
    "InputError",
    "RankingError",
    "RegistryError",
    "SpecError",
    "XrpcError",
]

_LONGEST = 80
"""Values longer than this many characters are shortened in messages."""
_SHOWN = 64
"""How many characters of a shortened value are shown."""
_LONGEST_TEXT = 1000
"""A message (or its ``expected`` part) still longer than this once its values are
shortened (long text quoted without quotes) is cut to this many characters."""
_VALUES = re.compile(
    r"""(?<!\w)('[^'\\\n]*(?:\\.[^'\\\n]*)*'|"[^"\\\n]*(?:\\.[^"\\\n]*)*")(?!\w)"""
    rf"|\S{{{_LONGEST + 1},}}"
)
"""A value in a message: a quoted Python ``repr`` of a string, or a run of
characters without white space."""


def _quote(value: str) -> str:
    """``repr(value)``, shortened to its start, "…" and its length when long."""
    if not isinstance(value, str):
        return _shorten(repr(value))
    if len(value) <= _LONGEST:
        return repr(value)
    return f"{value[:_SHOWN]!r}… ({len(value)} characters)"


def _shorten_value(match: re.Match[str]) -> str:
    text = match.group(0)
    if len(text) <= _LONGEST:
        return text
    if match.group(1) is not None:
        import ast

        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            value = None
        if isinstance(value, str):
            return _quote(value)
    return f"{text[:_SHOWN]}… ({len(text)} characters)"


def _shorten(text: str) -> str:
    """``text`` with every long value in it shortened (see :func:`_quote`)."""
    if len(text) <= _LONGEST:
        return text
    out = _VALUES.sub(_shorten_value, text)
    if len(out) > _LONGEST_TEXT:
        out = f"{out[:_LONGEST_TEXT]}… ({len(out)} characters)"
    return out


_E = TypeVar("_E", bound="FeedrankError")


class FeedrankError(Exception):
    """Root of every error feedrank raises on purpose.

    Attributes name where the problem is: ``field`` (a dotted path), ``post_id``
    (the record's id when known), ``line`` (1-based line of a JSON Lines file),
    ``source`` (the file or stream) and ``expected`` (what would have been
    accepted). ``message`` is the message as raised; ``str()`` of the error
    shortens the long values in it.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        post_id: str | None = None,
        line: int | None = None,
        source: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.message = message
        self.field = field
        self.post_id = post_id
        self.line = line
        self.source = source
        self.expected = expected
        super().__init__(self._render())

    def locate(
        self: _E,
        *,
        source: str | None = None,
        line: int | None = None,
        post_id: str | None = None,
        within: str | None = None,
    ) -> _E:
        """Say where the error happened, in place, and return it: in ``source`` at
        ``line``, in the record ``post_id``, its field below the field ``within``.
        Arguments left as None keep what the error already says.

        >>> err = InputError("got -1", field="counts.like", expected="a value >= 0")
        >>> print(err.locate(source="posts.jsonl", line=3, post_id="p1"))
        posts.jsonl:3, post 'p1', field 'counts.like': got -1 (expected a value >= 0)
        """
        if source is not None:
            self.source = source
        if line is not None:
            self.line = line
        if post_id is not None:
            self.post_id = post_id
        if within:
            self.field = within if not self.field else f"{within}.{self.field}"
        self.args = (self._render(),)
        return self

    def _render(self) -> str:
        where: list[str] = []
        if self.source is not None:
            where.append(self.source if self.line is None else f"{self.source}:{self.line}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.post_id is not None:
            where.append(f"post {_quote(self.post_id)}")
        if self.field is not None:
            where.append(f"field {_quote(self.field)}")
        message = _shorten(self.message)
        text = message if not where else f"{', '.join(where)}: {message}"
        if self.expected is not None:
            text += f" (expected {_shorten(self.expected)})"
        return text


class InputError(FeedrankError, ValueError):
    """A record (post, author, interaction, viewer) failed validation."""


class BatchError(FeedrankError, ValueError):
    """Columns given to :class:`~feedrank.PostBatch` are inconsistent or invalid."""


class SpecError(FeedrankError, ValueError):
    """A ranking spec is malformed: unknown key, unknown type or bad value."""


class RegistryError(FeedrankError, KeyError):
    """A component type name is unknown or registered twice."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return self._render()


class RankingError(FeedrankError, ValueError):
    """A signal or factor produced values the scorer cannot rank (NaN, inf, < 0)."""


class CursorError(FeedrankError, ValueError):
    """A pagination cursor is malformed or belongs to another feed."""


class AuditError(FeedrankError, ValueError):
    """A decision log cannot be written or read: torn tail, bad key, bad record."""


class XrpcError(InputError):
    """A request an XRPC endpoint must refuse: ``error`` is the lexicon's error name
    (``InvalidRequest``, ``UnknownFeed``, ...), ``status`` the HTTP status.

    >>> body = XrpcError("limit is 0", field="limit", expected="1 to 100").body()
    >>> body["error"], body["message"]
    ('InvalidRequest', "field 'limit': limit is 0 (expected 1 to 100)")
    """

    def __init__(
        self,
        message: str,
        *,
        error: str = "InvalidRequest",
        status: int = 400,
        field: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.error = error
        self.status = status
        super().__init__(message, field=field, expected=expected)

    def body(self) -> dict[str, str]:
        """The XRPC error body: ``{"error": name, "message": text}``."""
        return {"error": self.error, "message": str(self)}


class ConformanceError(FeedrankError, AssertionError):
    """A component failed a check of :func:`feedrank.testing.check_component`.

    ``component`` names the component (its kind, type and parameters, or a
    pipeline's name and fingerprint), ``check`` the check that failed; the
    message says what differed.

    >>> err = ConformanceError("row 3 changed", component="signal 'x'", check="determinism")
    >>> print(err)
    signal 'x' failed check 'determinism': row 3 changed
    >>> isinstance(err, AssertionError)
    True
    """

    def __init__(
        self, message: str, *, component: str, check: str, expected: str | None = None
    ) -> None:
        self.component = component
        self.check = check
        super().__init__(message, expected=expected)

    def _render(self) -> str:
        return f"{_shorten(self.component)} failed check {_quote(self.check)}: {super()._render()}"
