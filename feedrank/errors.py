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
"""

from __future__ import annotations

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


class FeedrankError(Exception):
    """Root of every error feedrank raises on purpose.

    Attributes name where the problem is: ``field`` (a dotted path), ``post_id``
    (the record's id when known), ``line`` (1-based line of a JSON Lines file)
    and ``expected`` (what would have been accepted).
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

    def _render(self) -> str:
        where: list[str] = []
        if self.source is not None:
            where.append(self.source if self.line is None else f"{self.source}:{self.line}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.post_id is not None:
            where.append(f"post {self.post_id!r}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        text = self.message if not where else f"{', '.join(where)}: {self.message}"
        if self.expected is not None:
            text += f" (expected {self.expected})"
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
        return f"{self.component} failed check {self.check!r}: {super()._render()}"
