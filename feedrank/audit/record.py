"""Decision records: the schema of one record, validated, and what it gives back.

:func:`parse_record` validates one parsed line of a log into an
:class:`AuditRecord` (the format is described field by field in
:mod:`feedrank.audit`), whose methods rebuild the exact
:class:`~feedrank.PostBatch`, :class:`~feedrank.Context` and viewer the
request was ranked with and give its outputs as numpy arrays.
:func:`record_hash` and :data:`GENESIS` are the links of the hash chain.

A sealed record (version 2, a request with personal data) holds its inputs and
outputs in ``inputs.sealed``: :meth:`AuditRecord.unseal` opens it with the
data key and returns the record with them readable; until then the methods
that read them raise AuditError "sealed: needs the data key". Version 1
records (never sealed) are read as they are.

>>> record_hash({"hash": "ignored", "seq": 1}) == record_hash({"seq": 1})
True
>>> is_hex64(GENESIS)
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from feedrank._time import MAX_MICROS, MIN_MICROS
from feedrank.audit.arrays import decode_array
from feedrank.audit.inputs import decode_batch, decode_context
from feedrank.audit.seal import check_sealed, open_seal, seal_aad
from feedrank.audit.viewer import PseudonymPeriod, decode_viewer
from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.canonical import canonical_json, fingerprint
from feedrank.errors import AuditError
from feedrank.io.decoding import decode_json
from feedrank.models import Viewer

if TYPE_CHECKING:
    from feedrank.spec.pipeline import Pipeline

__all__ = [
    "GENESIS",
    "RECORD_VERSION",
    "SEALED_NEEDS_KEY",
    "SIGNATURE_CONTEXT",
    "VERSIONS",
    "AuditRecord",
    "ChoiceRef",
    "CursorKey",
    "FeedData",
    "MovesData",
    "PageData",
    "PageInput",
    "RemovedData",
    "RequestInputs",
    "RequestOutputs",
    "SealedData",
    "SpecRef",
    "is_hex64",
    "parse_record",
    "record_hash",
    "signed_message",
    "spec_matches",
]

RECORD_VERSION = 2
"""Value of the ``v`` field of every record this version writes (it reads 1 and 2)."""
VERSIONS = (1, 2)
"""The record format versions this version reads."""
GENESIS = "0" * 64
"""The ``prev`` of the first record of a log."""
SEALED_NEEDS_KEY = "sealed: needs the data key"
"""The message of reading a sealed part of a record without opening it."""

_HEX = frozenset("0123456789abcdef")
_INT64 = 2**63


def is_hex64(value: Any) -> bool:
    """Whether ``value`` is a lowercase 64-digit hex string."""
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Int64 = Annotated[int, Field(ge=-_INT64, lt=_INT64)]
Count = Annotated[int, Field(ge=0, lt=_INT64)]
Micros = Annotated[int, Field(ge=MIN_MICROS, le=MAX_MICROS)]
"""A time feedrank can hold: µs since the epoch within the range of a datetime."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SpecRef(_Model):
    """Which spec ranked the request; ``canonical`` is the spec itself when embedded."""

    fingerprint: Hex64
    name: str
    version: str
    canonical: dict[str, Any] | None = None


class ChoiceRef(_Model):
    """The viewer's choice a request honoured: the ``published`` spec whose menu
    and controls were used, the ``alternative`` picked (None: the published
    spec) and the control values set. The record's ``spec`` is the effective
    spec: ``published`` (or the alternative) with those values written in."""

    published: SpecRef
    alternative: str | None
    settings: dict[str, bool | int | float]


class CursorKey(_Model):
    """Key of the post served just before the page."""

    tier: Int64
    score: float
    created_at: Micros
    post_id: str


class PageInput(_Model):
    """Page size (posts served, at least 1) and the key the page started after."""

    limit: Annotated[int, Field(ge=1, lt=_INT64)]
    after: CursorKey | None = None


class SealedData(_Model):
    """A seal: ``alg`` "A256GCM", base64 ``nonce`` (12 bytes) and ``ct`` (ciphertext
    and tag); :func:`~feedrank.audit.seal.check_sealed` checks its form."""

    alg: str
    nonce: str
    ct: str


class RequestInputs(_Model):
    """Everything needed to rank the request again.

    In a sealed record only ``viewer`` (``{"id": pseudonym}`` or None),
    ``pseudonym_period`` and ``sealed`` are stored; the others are None until
    :meth:`AuditRecord.unseal` opens the seal.
    """

    viewer: dict[str, Any] | None
    batch: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    page: PageInput | None = None
    pseudonym_period: PseudonymPeriod | None = None
    sealed: SealedData | None = None


class FeedData(_Model):
    """The whole feed: candidate rows best first, their scores and tiers."""

    order: Any
    scores: Any
    tier: Any


class PageData(_Model):
    """The served page: positions ``[start, stop)`` of the feed, ids, scores and parts."""

    start: Count
    stop: Count
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
    factor_stages: list[Int64]
    feed: FeedData
    page: PageData
    removed: RemovedData
    moves: MovesData
    next_cursor: str | None


def _missing(part: str) -> AuditError:
    """A record whose inputs lack ``part`` (an open record always holds it)."""
    return AuditError(
        "missing", field=f"inputs.{part}", expected=f"the request's {part} in the record"
    )


class AuditRecord(_Model):
    """One validated record of a decision log (see :mod:`feedrank.audit`).

    :meth:`batch`, :meth:`context` and :meth:`viewer` rebuild the request's
    inputs exactly; the other methods give the outputs as numpy arrays. A
    sealed record (:attr:`is_sealed`) gives them only once :meth:`unseal` has
    opened it with the data key; before, they raise AuditError "sealed: needs
    the data key".
    """

    hash: Hex64
    ed25519: Annotated[str, StringConstraints(min_length=88, max_length=88)] | None = None
    v: Annotated[int, Field(ge=VERSIONS[0], le=VERSIONS[-1])]
    seq: Annotated[int, Field(ge=1)]
    request_id: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    prev: Hex64
    now: Micros
    spec: SpecRef
    inputs: RequestInputs
    outputs: RequestOutputs | None
    choice: ChoiceRef | None = None

    @property
    def is_sealed(self) -> bool:
        """Whether the record keeps its request sealed (``inputs.sealed``)."""
        return self.inputs.sealed is not None

    @property
    def is_open(self) -> bool:
        """Whether the request can be read: a clear record, or one :meth:`unseal` opened."""
        return self.inputs.batch is not None

    @property
    def pseudonym(self) -> str | None:
        """The viewer's pseudonym (None for an anonymous feed), readable without the data key."""
        viewer = self.inputs.viewer
        return None if viewer is None else viewer.get("id")

    def associated_data(self) -> bytes:
        """The associated data of the record's seal (:func:`~feedrank.audit.seal.seal_aad`)."""
        return seal_aad(
            self.v,
            self.spec.fingerprint,
            self.now,
            self.request_id,
            self.pseudonym,
            self.inputs.pseudonym_period,
        )

    def open_seal(self, data_key: bytes) -> bytes:
        """The plaintext of the record's seal (AuditError: not sealed, or "seal does
        not open (wrong data key or altered)")."""
        if self.inputs.sealed is None:
            raise AuditError("the record is not sealed", field="inputs.sealed")
        return open_seal(self.inputs.sealed.model_dump(), data_key, self.associated_data())

    def unseal(self, data_key: bytes) -> AuditRecord:
        """The record with its seal opened by ``data_key``: inputs and outputs readable.

        A clear record is returned as it is. AuditError if the key does not open
        the seal or what it holds does not follow the schema.
        """
        if self.is_open:
            return self
        return self.with_plaintext(self.open_seal(data_key))

    def with_plaintext(self, plaintext: bytes) -> AuditRecord:
        """The record with its sealed fields read from ``plaintext`` (the seal's
        canonical JSON ``{"inputs": {batch, context, page, viewer}, "outputs"}``)."""
        data = decode_json(plaintext, source="inputs.sealed", error=AuditError)
        if not isinstance(data, dict) or set(data) != {"inputs", "outputs"}:
            raise AuditError(
                "malformed seal contents", field="inputs.sealed", expected="{inputs, outputs}"
            )
        inner = data["inputs"]
        if not isinstance(inner, dict) or set(inner) != {"batch", "context", "page", "viewer"}:
            raise AuditError(
                "malformed sealed inputs", field="inputs", expected="{batch, context, page, viewer}"
            )
        viewer = inner["viewer"]
        if self.inputs.viewer is None:
            if viewer is not None:
                raise AuditError(
                    "a viewer in the seal of an anonymous record", field="inputs.viewer"
                )
        elif not isinstance(viewer, dict) or "id" in viewer:
            raise AuditError(
                "malformed sealed viewer",
                field="inputs.viewer",
                expected="the viewer without its id",
            )
        else:
            viewer = {**viewer, "id": self.inputs.viewer["id"]}
        clear = self.inputs.model_dump(exclude={"viewer"}, exclude_none=True)
        try:
            inputs = RequestInputs.model_validate({**clear, **inner, "viewer": viewer})
        except ValidationError as exc:
            raise _audit_error(exc, "inputs") from None
        try:
            outputs = RequestOutputs.model_validate(data["outputs"])
        except ValidationError as exc:
            raise _audit_error(exc, "outputs") from None
        return self.model_copy(update={"inputs": inputs, "outputs": outputs})

    def _open_inputs(self) -> RequestInputs:
        if not self.is_open:
            raise AuditError(
                SEALED_NEEDS_KEY, field="inputs.sealed", expected="record.unseal(data_key)"
            )
        return self.inputs

    def require_outputs(self) -> RequestOutputs:
        """The outputs (AuditError "sealed: needs the data key" until :meth:`unseal`)."""
        if self.outputs is None:
            raise AuditError(
                SEALED_NEEDS_KEY, field="inputs.sealed", expected="record.unseal(data_key)"
            )
        return self.outputs

    def page_input(self) -> PageInput:
        """The page requested: its size and the key it started after."""
        page = self._open_inputs().page
        if page is None:
            raise _missing("page")
        return page

    def viewer(self) -> Viewer | None:
        """The pseudonymised, minimised viewer, or None for an anonymous feed."""
        return decode_viewer(self._open_inputs().viewer)

    def batch(self) -> PostBatch:
        """The candidates: the :class:`PostBatch` that was ranked."""
        stored = self._open_inputs().batch
        if stored is None:
            raise _missing("batch")
        return decode_batch(stored)

    def context(self, batch: PostBatch | None = None) -> Context:
        """The :class:`Context` the request was ranked with (``batch``: from :meth:`batch`)."""
        stored = self._open_inputs().context
        if stored is None:
            raise _missing("context")
        n = len(batch if batch is not None else self.batch())
        return decode_context(stored, self.now, self.viewer(), n)

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
        stored = self.require_outputs().feed.order
        return decode_array(stored, "outputs.feed.order", "iu").astype(np.intp)

    def scores(self) -> NDArray[np.float64]:
        """ndarray (m,), float64: scores of the kept posts, aligned with :meth:`order`."""
        stored = self.require_outputs().feed.scores
        return decode_array(stored, "outputs.feed.scores", "f").astype(np.float64)

    def tiers(self) -> NDArray[np.int64]:
        """ndarray (m,), int64: tiers of the kept posts, aligned with :meth:`order`."""
        stored = self.require_outputs().feed.tier
        return decode_array(stored, "outputs.feed.tier", "iu").astype(np.int64)

    def page_scores(self) -> NDArray[np.float64]:
        """ndarray (k,), float64: scores of the served page, best first."""
        page = self.require_outputs().page
        return decode_array(page.scores, "outputs.page.scores", "f", (len(page.ids),))

    def contributions(self) -> NDArray[np.float64]:
        """ndarray (k, T), float64: term contributions of the served page."""
        out = self.require_outputs()
        shape = (len(out.page.ids), len(out.term_names))
        return decode_array(out.page.contributions, "outputs.page.contributions", "f", shape)

    def factors(self) -> NDArray[np.float64]:
        """ndarray (k, F), float64: factors of the served page."""
        out = self.require_outputs()
        shape = (len(out.page.ids), len(out.factor_names))
        return decode_array(out.page.factors, "outputs.page.factors", "f", shape)

    def removed_rows(self) -> NDArray[np.intp]:
        """ndarray (r,), intp: candidate rows removed by filters (reasons aligned)."""
        stored = self.require_outputs().removed.rows
        return decode_array(stored, "outputs.removed.rows", "iu").astype(np.intp)

    def moves(self) -> list[tuple[int, int, int, int, str]]:
        """Every move as (candidate row, stage, before, after, reason)."""
        m = self.require_outputs().moves
        cols = [
            decode_array(getattr(m, name), f"outputs.moves.{name}", "iu").tolist()
            for name in ("rows", "stages", "before", "after")
        ]
        if any(len(c) != len(m.reasons) for c in cols):
            raise AuditError("columns of different lengths", field="outputs.moves")
        return list(zip(*cols, m.reasons, strict=True))


def _audit_error(exc: ValidationError, prefix: str | None = None) -> AuditError:
    """The first error of a validation, naming its field (under ``prefix``)."""
    first = exc.errors()[0]
    where = ".".join([*([prefix] if prefix else []), *(str(p) for p in first["loc"])])
    return AuditError(first["msg"], field=where or None)


def _check_form(record: AuditRecord) -> None:
    """What the schema alone does not say: which fields a record of each version and
    kind (clear or sealed) holds."""
    inputs = record.inputs
    if inputs.sealed is None:
        for name in ("batch", "context", "page"):
            if getattr(inputs, name) is None:
                raise AuditError("missing", field=f"inputs.{name}")
        if record.outputs is None:
            raise AuditError("missing", field="outputs")
        if record.v >= 2 and inputs.viewer is not None:
            raise AuditError(
                "a viewer in clear",
                field="inputs.viewer",
                expected="a version 2 record keeps its viewer sealed",
            )
        if inputs.pseudonym_period is not None:
            raise AuditError(
                "a pseudonym period without a pseudonym", field="inputs.pseudonym_period"
            )
        return
    if record.v < 2:
        raise AuditError("a seal in a version 1 record", field="inputs.sealed")
    for name in ("batch", "context", "page"):
        if getattr(inputs, name) is not None:
            raise AuditError(
                "in clear in a sealed record", field=f"inputs.{name}", expected="it in the seal"
            )
    if record.outputs is not None:
        raise AuditError("in clear in a sealed record", field="outputs", expected="null")
    viewer = inputs.viewer
    if viewer is not None and (set(viewer) != {"id"} or not is_hex64(viewer["id"])):
        raise AuditError(
            "more than the pseudonym in clear",
            field="inputs.viewer",
            expected='{"id": the 64-digit hex pseudonym}',
        )
    if (viewer is None) != (inputs.pseudonym_period is None):
        raise AuditError(
            "a pseudonym period goes with a pseudonym, and only with one",
            field="inputs.pseudonym_period",
        )
    check_sealed(inputs.sealed.model_dump())


def parse_record(data: Mapping[str, Any]) -> AuditRecord:
    """Validate a parsed JSON line into an :class:`AuditRecord` (AuditError if not)."""
    try:
        record = AuditRecord.model_validate(dict(data))
    except ValidationError as exc:
        raise _audit_error(exc) from None
    _check_form(record)
    return record


def record_hash(data: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the canonical JSON of ``data`` without its ``hash`` and
    ``ed25519`` (signature) fields."""
    body = {k: v for k, v in data.items() if k not in _UNHASHED}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


_UNHASHED = frozenset(("hash", "ed25519"))

SIGNATURE_CONTEXT = b"feedrank decision record\x00"
"""What a record's signature signs before its hash (so it signs nothing else)."""


def signed_message(hexdigest: str) -> bytes:
    """The bytes a record's ``ed25519`` signature signs: :data:`SIGNATURE_CONTEXT`
    then the 32 bytes of its hash.

    >>> len(signed_message("00" * 32)), signed_message("ab" * 32)[-1]
    (57, 171)
    """
    return SIGNATURE_CONTEXT + bytes.fromhex(hexdigest)


def spec_matches(ref: SpecRef) -> bool:
    """Whether an embedded spec (if any) hashes to the fingerprint the record names."""
    return ref.canonical is None or fingerprint(ref.canonical) == ref.fingerprint
