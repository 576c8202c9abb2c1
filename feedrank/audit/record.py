"""Decision records: the schema of one record, validated, and what it gives back.

:func:`parse_record` validates one parsed line of a log into an
:class:`AuditRecord` (the format is described field by field in
:mod:`feedrank.audit`), whose methods rebuild the exact
:class:`~feedrank.PostBatch`, :class:`~feedrank.Context` and viewer the
request was ranked with and give its outputs as numpy arrays.
:func:`record_hash` and :data:`GENESIS` are the links of the hash chain.

>>> record_hash({"hash": "ignored", "seq": 1}) == record_hash({"seq": 1})
True
>>> is_hex64(GENESIS)
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from feedrank.audit.arrays import decode_array
from feedrank.audit.inputs import decode_batch, decode_context
from feedrank.audit.viewer import decode_viewer
from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.canonical import canonical_json, fingerprint
from feedrank.errors import AuditError
from feedrank.models import Viewer

if TYPE_CHECKING:
    from feedrank.spec.pipeline import Pipeline

__all__ = [
    "GENESIS",
    "RECORD_VERSION",
    "AuditRecord",
    "CursorKey",
    "FeedData",
    "MovesData",
    "PageData",
    "PageInput",
    "RemovedData",
    "RequestInputs",
    "RequestOutputs",
    "SpecRef",
    "is_hex64",
    "parse_record",
    "record_hash",
    "spec_matches",
]

RECORD_VERSION = 1
"""Value of the ``v`` field of every record this version writes."""
GENESIS = "0" * 64
"""The ``prev`` of the first record of a log."""

_HEX = frozenset("0123456789abcdef")


def is_hex64(value: Any) -> bool:
    """Whether ``value`` is a lowercase 64-digit hex string."""
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpecRef(_Model):
    """Which spec ranked the request; ``canonical`` is the spec itself when embedded."""

    fingerprint: Hex64
    name: str
    version: str
    canonical: dict[str, Any] | None = None


class CursorKey(_Model):
    """Key of the post served just before the page."""

    tier: int
    score: float
    created_at: int
    post_id: str


class PageInput(_Model):
    """Page size (posts served, at least 1) and the key the page started after."""

    limit: Annotated[int, Field(ge=1)]
    after: CursorKey | None = None


class RequestInputs(_Model):
    """Everything needed to rank the request again."""

    batch: dict[str, Any]
    context: dict[str, Any]
    page: PageInput
    viewer: dict[str, Any] | None


class FeedData(_Model):
    """The whole feed: candidate rows best first, their scores and tiers."""

    order: Any
    scores: Any
    tier: Any


class PageData(_Model):
    """The served page: positions ``[start, stop)`` of the feed, ids, scores and parts."""

    start: Annotated[int, Field(ge=0)]
    stop: Annotated[int, Field(ge=0)]
    ids: list[str]
    scores: list[Any]
    contributions: list[list[Any]]
    factors: list[list[Any]]


class RemovedData(_Model):
    """Candidate rows removed by filters, with the reason of the first filter."""

    rows: Any
    reasons: list[str]


class MovesData(_Model):
    """Every re-ranker move: candidate row, stage index, positions and reason."""

    rows: Any
    stages: Any
    before: Any
    after: Any
    reasons: list[str]


class RequestOutputs(_Model):
    """What the ranker computed and served."""

    term_names: list[str]
    factor_names: list[str]
    factor_stages: list[int]
    feed: FeedData
    page: PageData
    removed: RemovedData
    moves: MovesData
    next_cursor: str | None


class AuditRecord(_Model):
    """One validated record of a decision log (see :mod:`feedrank.audit`).

    :meth:`batch`, :meth:`context` and :meth:`viewer` rebuild the request's
    inputs exactly; the other methods give the outputs as numpy arrays.
    """

    hash: Hex64
    v: Literal[1]
    seq: Annotated[int, Field(ge=1)]
    request_id: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    prev: Hex64
    now: int
    spec: SpecRef
    inputs: RequestInputs
    outputs: RequestOutputs

    def viewer(self) -> Viewer | None:
        """The pseudonymised, minimised viewer, or None for an anonymous feed."""
        return decode_viewer(self.inputs.viewer)

    def batch(self) -> PostBatch:
        """The candidates: the :class:`PostBatch` that was ranked."""
        return decode_batch(self.inputs.batch)

    def context(self, batch: PostBatch | None = None) -> Context:
        """The :class:`Context` the request was ranked with (``batch``: from :meth:`batch`)."""
        n = len(batch if batch is not None else self.batch())
        return decode_context(self.inputs.context, self.now, self.viewer(), n)

    def pipeline(self) -> Pipeline:
        """The embedded spec as a :class:`~feedrank.Pipeline` (AuditError if absent)."""
        from feedrank.spec.files import parse_spec

        if self.spec.canonical is None:
            raise AuditError(
                "the record does not embed its spec",
                field="spec.canonical",
                expected="a spec passed to replay",
            )
        return parse_spec(self.spec.canonical)

    def order(self) -> NDArray[np.intp]:
        """ndarray (m,), intp: candidate rows of the kept posts, best first."""
        return decode_array(self.outputs.feed.order, "outputs.feed.order", "iu").astype(np.intp)

    def scores(self) -> NDArray[np.float64]:
        """ndarray (m,), float64: scores of the kept posts, aligned with :meth:`order`."""
        return decode_array(self.outputs.feed.scores, "outputs.feed.scores", "f").astype(np.float64)

    def page_scores(self) -> NDArray[np.float64]:
        """ndarray (k,), float64: scores of the served page, best first."""
        shape = (len(self.outputs.page.ids),)
        return decode_array(self.outputs.page.scores, "outputs.page.scores", "f", shape)

    def contributions(self) -> NDArray[np.float64]:
        """ndarray (k, T), float64: term contributions of the served page."""
        shape = (len(self.outputs.page.ids), len(self.outputs.term_names))
        return decode_array(
            self.outputs.page.contributions, "outputs.page.contributions", "f", shape
        )

    def factors(self) -> NDArray[np.float64]:
        """ndarray (k, F), float64: factors of the served page."""
        shape = (len(self.outputs.page.ids), len(self.outputs.factor_names))
        return decode_array(self.outputs.page.factors, "outputs.page.factors", "f", shape)

    def removed_rows(self) -> NDArray[np.intp]:
        """ndarray (r,), intp: candidate rows removed by filters (reasons aligned)."""
        return decode_array(self.outputs.removed.rows, "outputs.removed.rows", "iu").astype(np.intp)

    def moves(self) -> list[tuple[int, int, int, int, str]]:
        """Every move as (candidate row, stage, before, after, reason)."""
        m = self.outputs.moves
        cols = [
            decode_array(getattr(m, name), f"outputs.moves.{name}", "iu").tolist()
            for name in ("rows", "stages", "before", "after")
        ]
        if any(len(c) != len(m.reasons) for c in cols):
            raise AuditError("columns of different lengths", field="outputs.moves")
        return list(zip(*cols, m.reasons, strict=True))


def parse_record(data: Mapping[str, Any]) -> AuditRecord:
    """Validate a parsed JSON line into an :class:`AuditRecord` (AuditError if not)."""
    try:
        return AuditRecord.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or None
        raise AuditError(first["msg"], field=where) from None


def record_hash(data: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the canonical JSON of ``data`` without its ``hash`` field."""
    body = {k: v for k, v in data.items() if k != "hash"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def spec_matches(ref: SpecRef) -> bool:
    """Whether an embedded spec (if any) hashes to the fingerprint the record names."""
    return ref.canonical is None or fingerprint(ref.canonical) == ref.fingerprint
