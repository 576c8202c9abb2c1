"""Encoding a ranked request as a decision record.

:func:`encode_request` turns a :class:`~feedrank.Ranking` and the
:class:`~feedrank.Context` it was computed with into the UTF-8 canonical JSON
of every field of a record but ``seq``, ``prev`` and ``hash``: the expensive
part, done before the log is locked. :meth:`EncodedRequest.line` adds those
three under the lock. The fields are described in :mod:`feedrank.audit`; every
field of a Ranking that a record stores is read in :func:`encode_request`,
``_cursor_key`` and ``_encode_outputs``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from feedrank._time import iso
from feedrank.audit.arrays import ArrayEncoding, emit, encode_array, json_floats
from feedrank.audit.inputs import encode_batch, encode_context, is_blank
from feedrank.audit.record import RECORD_VERSION, signed_message
from feedrank.audit.seal import seal, seal_aad
from feedrank.audit.viewer import PERIODS, PseudonymPeriod, encode_viewer
from feedrank.batch.context import Context
from feedrank.canonical import canonical_json
from feedrank.engine.algorithm import Algorithm
from feedrank.errors import AuditError
from feedrank.ranking.ranking import Ranking

__all__ = ["EncodedRequest", "choice_json", "encode_request", "spec_json"]


def _utf8(text: str, where: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AuditError(
            f"text that is not valid Unicode ({exc.reason})",
            field=where,
            expected="strings without lone surrogates",
        ) from None


@dataclass(frozen=True)
class EncodedRequest:
    """A request serialised outside the log lock: the UTF-8 canonical JSON of
    every field except ``seq``, ``prev`` and ``hash``, which :meth:`line` adds."""

    now: int
    request_id: str
    inputs: bytes
    outputs: bytes
    spec: bytes
    choice: bytes | None = None
    """Canonical JSON of the viewer's choice (``choice`` field), when there was one."""

    def _choice(self) -> bytes:
        return b"" if self.choice is None else b'"choice":%s,' % self.choice

    def _pieces(self, seq: int, prev: str) -> list[bytes]:
        # The members after "{" in sorted key order; every value is canonical.
        return [
            b'"inputs":',
            self.inputs,
            b',"now":%d,"outputs":' % self.now,
            self.outputs,
            b',"prev":"%s","request_id":' % prev.encode("ascii"),
            _utf8(canonical_json(self.request_id), "request_id"),
            b',"seq":%d,"spec":' % seq,
            self.spec,
            b',"v":%d}' % RECORD_VERSION,
        ]

    def body(self, seq: int, prev: str) -> bytes:
        """The canonical JSON of the record without ``hash``: the bytes it hashes."""
        return b"{" + self._choice() + b"".join(self._pieces(seq, prev))

    def line(
        self, seq: int, prev: str, sign: Callable[[bytes], bytes] | None = None
    ) -> tuple[bytes, str]:
        """The record as one canonical JSON line (``ed25519``, then ``hash``, sort
        first) and its hash; ``sign(message)`` gives the record's Ed25519 signature
        of :func:`~feedrank.audit.record.signed_message` of the hash."""
        pieces = self._pieces(seq, prev)
        digest = hashlib.sha256(b"{" + self._choice())
        for piece in pieces:
            digest.update(piece)
        hexdigest = digest.hexdigest()
        head = b'{%s"hash":"%s",' % (self._choice(), hexdigest.encode("ascii"))
        if sign is not None:
            signature = base64.b64encode(sign(signed_message(hexdigest))).decode("ascii")
            head = b'{%s"ed25519":"%s","hash":"%s",' % (
                self._choice(),
                signature.encode("ascii"),
                hexdigest.encode("ascii"),
            )
        return b"".join([head, *pieces, b"\n"]), hexdigest


def spec_json(pipeline: Algorithm, *, embed: bool = True) -> str:
    """Canonical JSON of a record's ``spec`` field for ``pipeline``."""
    ref: dict[str, Any] = {
        "fingerprint": pipeline.fingerprint,
        "name": pipeline.name,
        "version": pipeline.version,
    }
    if embed:
        ref["canonical"] = pipeline.to_spec()
    return canonical_json(ref)


def choice_json(ranking: Ranking, *, embed: bool = True) -> str | None:
    """Canonical JSON of a record's ``choice`` field for ``ranking`` (None when the
    ranking honoured no choice): the published spec (as :func:`spec_json`), the
    alternative picked and the controls set; the record's ``spec`` is the
    effective spec."""
    stamp = ranking.choice
    if stamp is None:
        return None
    return canonical_json(
        {
            "alternative": stamp.alternative,
            "published": json.loads(spec_json(stamp.published, embed=embed)),
            "settings": dict(stamp.settings),
        }
    )


def _cursor_key(ranking: Ranking) -> dict[str, Any] | None:
    """Key of the post just before the page: a cursor that reproduces the page."""
    if ranking.page_start == 0:
        return None
    row = int(ranking.order[ranking.page_start - 1])
    cand = int(ranking.kept[row])
    return {
        "created_at": int(ranking.candidates.created_at[cand]),
        "post_id": str(ranking.candidates.ids[cand]),
        "score": float(ranking.scores[row]),
        "tier": int(ranking.tier[row]),
    }


def _encode_outputs(r: Ranking, arrays: ArrayEncoding) -> dict[str, Any]:
    order = r.kept[r.order]
    page = r.page
    removed = np.flatnonzero(r.removed_reasons != "")
    k = page.shape[0]
    return {
        "factor_names": list(r.factor_names),
        "factor_stages": list(r.factor_stages),
        "feed": {
            "order": encode_array(order, arrays),
            "scores": encode_array(r.scores[r.order], arrays),
            "tier": encode_array(r.tier[r.order], arrays),
        },
        "moves": {
            "after": encode_array(r.moves.after, arrays),
            "before": encode_array(r.moves.before, arrays),
            "reasons": r.moves.reasons.tolist(),
            "rows": encode_array(r.kept[r.moves.rows], arrays),
            "stages": encode_array(r.moves.stages, arrays),
        },
        "next_cursor": r.next_cursor,
        "page": {
            "contributions": json_floats(r.contributions[page].reshape(k, len(r.term_names))),
            "factors": json_floats(r.factors[page].reshape(k, len(r.factor_names))),
            "ids": r.candidates.ids[order[r.page_start : r.page_stop]].tolist(),
            "scores": json_floats(r.scores[page]),
            "start": r.page_start,
            "stop": r.page_stop,
        },
        "removed": {
            "reasons": r.removed_reasons[removed].tolist(),
            "rows": encode_array(removed, arrays),
        },
        "term_names": list(r.term_names),
    }


def encode_request(
    ranking: Ranking,
    ctx: Context,
    *,
    key: bytes,
    data_key: bytes | None = None,
    pseudonym_period: PseudonymPeriod = "none",
    request_id: str | None = None,
    spec: str | None = None,
    arrays: ArrayEncoding = "binary",
    choice: str | None = None,
) -> EncodedRequest:
    """Serialise one request (everything but ``seq``, ``prev`` and ``hash``).

    ``ctx`` must be the context ``ranking`` was computed with (same rows, same
    ``now``). ``spec`` is :func:`spec_json` of the ranking's pipeline (computed
    if not given); ``choice`` is :func:`choice_json` of the ranking (the
    viewer's choice it honoured, written in clear: it names settings, not
    content), or None. Without a ``request_id`` one is derived from the request:
    the first 32 hex digits of SHA-256 over the canonical JSON of ``[spec
    fingerprint, now, viewer pseudonym or null, page start, candidate ids]``.

    A request with a viewer, or whose context holds anything derived from a
    person, is sealed under ``data_key`` (:mod:`feedrank.audit.seal`); without
    a data key it is refused (AuditError naming ``data_key``). An anonymous
    request is written in clear. ``pseudonym_period`` picks the viewer's
    pseudonym (:func:`~feedrank.audit.viewer.pseudonym`).
    """
    batch = ranking.candidates
    if len(ctx) != len(batch) or ctx.now != ranking.now:
        raise AuditError(
            f"context has {len(ctx)} rows at now={iso(ctx.now)}; the ranking has "
            f"{len(batch)} candidates at now={iso(ranking.now)}",
            field="ctx",
            expected="the Context the ranking was computed with",
        )
    if request_id is not None and (
        not isinstance(request_id, str) or not 0 < len(request_id) <= 256 or "\x00" in request_id
    ):
        raise AuditError(
            f"request id {request_id!r}",
            field="request_id",
            expected="a non-empty string of at most 256 characters without NUL",
        )
    if pseudonym_period not in PERIODS:
        raise AuditError(
            f"pseudonym_period={pseudonym_period!r}",
            field="pseudonym_period",
            expected=" | ".join(PERIODS),
        )
    personal = not is_blank(ctx)
    if personal and data_key is None:
        what = "a viewer" if ctx.viewer is not None else "a context derived from a person"
        raise AuditError(
            f"the request has {what}, which the log must not hold in clear; nothing was written",
            field="data_key",
            expected="DecisionLog(..., data_key=32 random bytes) to seal personal data",
        )
    now = int(ranking.now)
    viewer = encode_viewer(ctx.viewer, batch, key, period=pseudonym_period, now=now)
    pseud = None if viewer is None else str(viewer.pop("id"))
    inputs: dict[str, Any] = {
        "batch": encode_batch(batch, arrays),
        "context": encode_context(ctx, arrays),
        "page": {
            "after": _cursor_key(ranking),
            "limit": max(ranking.page_stop - ranking.page_start, 1),
        },
        "viewer": viewer,
    }
    try:
        inputs_json = emit(inputs)
        outputs_json = emit(_encode_outputs(ranking, arrays))
    except ValueError as exc:  # a non-finite float outside the arrays
        raise AuditError(str(exc), field="request", expected="finite numbers") from None
    pipeline = ranking.pipeline
    if request_id is None:
        seed = [pipeline.fingerprint, now, pseud, ranking.page_start, batch.ids.tolist()]
        digest = hashlib.sha256(_utf8(emit(seed), "request_id"))
        request_id = digest.hexdigest()[:32]
    if personal:
        assert data_key is not None
        period = None if pseud is None else pseudonym_period
        aad = seal_aad(RECORD_VERSION, pipeline.fingerprint, now, request_id, pseud, period)
        inputs_bytes, outputs_bytes = _utf8(inputs_json, "inputs"), _utf8(outputs_json, "outputs")
        plain = b'{"inputs":%s,"outputs":%s}' % (inputs_bytes, outputs_bytes)
        clear: dict[str, Any] = {
            "sealed": seal(plain, data_key, aad),
            "viewer": None if pseud is None else {"id": pseud},
        }
        if period is not None:
            clear["pseudonym_period"] = period
        inputs_json, outputs_json = canonical_json(clear), "null"
    return EncodedRequest(
        now=now,
        request_id=request_id,
        inputs=_utf8(inputs_json, "inputs"),
        outputs=_utf8(outputs_json, "outputs"),
        spec=_utf8(spec if spec is not None else spec_json(pipeline), "spec"),
        choice=None if choice is None else _utf8(choice, "choice"),
    )
