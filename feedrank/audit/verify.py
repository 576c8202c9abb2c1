"""Checking a decision log: every record's hash, the chain, the numbering.

:func:`verify` reads the log once and returns a :class:`VerifyReport`: how
many records there are, how many lead the log without a fault (``valid``),
every :class:`Problem` with its record number and line (``first_bad`` is the
first), and a torn tail — a last line without its final newline, or one that
is not JSON — reported separately because a crash mid-write causes it, while a
problem inside the log means it was altered. :func:`read_log` returns the
validated records of the valid prefix together with the report, so nothing
valid is lost to a fault after it.

Checks, per line, in this order (a line reports the first that fails, and its
detail lists every failure):

- ``unreadable``: not a JSON object: not UTF-8, not JSON, a key given twice
  (which JSON readers resolve differently, so the record would not mean one
  thing), nested deeper than :data:`~feedrank.io.decoding.MAX_DEPTH`, or
  longer than the maximum record size (:data:`~feedrank.audit.log.MAX_RECORD_BYTES`
  by default; such a line is skipped in bounded pieces); or a JSON object
  without a canonical form, so without a hash: it holds NaN, an infinity, a
  number too large for a double or a string with a lone surrogate;
- ``malformed``: ``seq``, ``prev`` or ``hash`` missing or ill-formed, or the
  record does not follow the schema of its version (strictly: no number where
  a string belongs, no string where a number does, times within the range of
  a datetime, a sealed record holding only its pseudonym and a well-formed
  seal — ``alg`` A256GCM, a 12-byte nonce and a ciphertext of at least its
  tag, in base64 — next to it);
- ``hash``: SHA-256 of the canonical JSON without ``hash`` differs from
  ``hash`` (the record was altered);
- ``sequence``: ``seq`` is not one more than the previous record's (a record
  is missing, repeated or out of order);
- ``chain``: ``prev`` is not the previous record's ``hash`` (64 zeros for the
  first record);
- ``spec``: the embedded spec does not hash to the record's fingerprint.

verify needs no data key: the hash covers a sealed record's seal, so an altered
seal fails like any altered record. Whether a seal opens, and what it holds, is
checked by :func:`~feedrank.audit.replay`.

The chain alone cannot notice whole records cut from the *end* of a log: pass
an ``anchor`` (a record hash published earlier, e.g. from
:meth:`DecisionLog.head`) and a log without that record fails with ``anchor``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from feedrank.audit.log import MAX_RECORD_BYTES, TornTail
from feedrank.audit.note import VerifierKey, b64decode_strict, parse_verifier_key
from feedrank.audit.record import (
    GENESIS,
    AuditRecord,
    is_hex64,
    parse_record,
    record_hash,
    signed_message,
    spec_matches,
)
from feedrank.errors import AuditError
from feedrank.io.decoding import decode_json, read_lines

__all__ = ["LogContents", "Problem", "ProblemKind", "VerifyReport", "read_log", "verify"]

ProblemKind = Literal[
    "unreadable",
    "malformed",
    "hash",
    "signature",
    "sequence",
    "chain",
    "spec",
    "anchor",
    "sealed",
    "seal",
    "internal",
]
"""What a :class:`Problem` is. :func:`verify` finds the first eight (module
docstring; ``signature`` only when given the log's public key);
:func:`~feedrank.audit.replay` adds ``sealed`` (a sealed record
and no data key), ``seal`` (the seal does not open: wrong data key or
altered), ``malformed`` and ``spec`` for a record it cannot rank again, and
``internal`` for a fault of feedrank itself, reported rather than raised."""


@dataclass(frozen=True)
class Problem:
    """A fault at ``line`` (1-based), where record number ``record`` was expected;
    ``seq`` is the record number the line itself carries (None if unreadable)."""

    record: int
    line: int
    kind: ProblemKind
    detail: str
    seq: int | None = None

    def __str__(self) -> str:
        return f"record {self.record} (line {self.line}): {self.kind}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "record": self.record,
            "line": self.line,
            "kind": self.kind,
            "detail": self.detail,
            "seq": self.seq,
        }


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify` found.

    ``lines``: whole lines read (a torn tail excluded); ``valid``: records before
    the first problem (or the torn tail) — they are intact and chained;
    ``head``: hash of the last valid record (64 zeros if none); ``problems`` in
    file order; ``torn_tail``: the incomplete last line, if any.
    """

    path: str
    lines: int
    valid: int
    head: str
    problems: tuple[Problem, ...]
    torn_tail: TornTail | None

    @property
    def ok(self) -> bool:
        """No problem and no torn tail."""
        return not self.problems and self.torn_tail is None

    @property
    def first_bad(self) -> Problem | None:
        """The first problem (a torn tail is reported separately)."""
        return self.problems[0] if self.problems else None

    def summary(self, max_problems: int = 10) -> str:
        """A short human-readable account."""
        out = [f"{self.path}: {self.lines} record(s), {self.valid} valid before any fault"]
        if self.ok:
            out.append(f"OK: every hash and link checks; head {self.head}")
        for problem in self.problems[:max_problems]:
            out.append(f"PROBLEM {problem}")
        if len(self.problems) > max_problems:
            out.append(f"... and {len(self.problems) - max_problems} more problem(s)")
        if self.torn_tail is not None:
            t = self.torn_tail
            out.append(
                f"TORN TAIL at line {t.line} (record {t.record}): {t.size} byte(s) from byte "
                f"{t.offset}: {t.reason}; the records before it are unaffected"
            )
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        tail = self.torn_tail
        return {
            "path": self.path,
            "ok": self.ok,
            "lines": self.lines,
            "valid": self.valid,
            "head": self.head,
            "first_bad": None if self.first_bad is None else self.first_bad.to_dict(),
            "problems": [p.to_dict() for p in self.problems],
            "torn_tail": None
            if tail is None
            else {
                "record": tail.record,
                "line": tail.line,
                "offset": tail.offset,
                "size": tail.size,
                "reason": tail.reason,
            },
        }


@dataclass(frozen=True)
class LogContents:
    """The validated records of a log's valid prefix, and the full report."""

    records: tuple[AuditRecord, ...]
    report: VerifyReport


def _content_hash(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """``(record_hash(data), None)``, or ``(None, why)`` if ``data`` has no
    canonical JSON and so no hash."""
    try:
        return record_hash(data), None
    except UnicodeEncodeError:
        return None, "a string that is not valid Unicode (a lone surrogate escape)"
    except ValueError:
        return None, "a number JSON does not have (NaN, an infinity, or one too large for a double)"


def _signature_problem(data: dict[str, Any], digest: str, key: VerifierKey) -> str | None:
    """Why the record's ``ed25519`` signature of its hash fails under ``key``, or None."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    value = data.get("ed25519")
    if value is None:
        return f"the record is not signed, and the log's key {key.name} signs every record"
    try:
        signature = b64decode_strict(value, field="ed25519") if isinstance(value, str) else b""
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature, signed_message(digest))
    except (AuditError, InvalidSignature, ValueError):
        return (
            f"its signature does not verify under {key.name}: the record was written or "
            "changed by someone without the signing key"
        )
    return None


def _check(
    data: dict[str, Any],
    expected: int,
    prev_hash: str | None,
    key: VerifierKey | None = None,
) -> tuple[list[tuple[ProblemKind, str]], AuditRecord | None]:
    seq, digest, prev = data.get("seq"), data.get("hash"), data.get("prev")
    found: list[tuple[ProblemKind, str]] = []
    content, odd = _content_hash(data)
    if odd is not None:
        found.append(("unreadable", f"the record holds {odd}, so it has no canonical form"))
    elif type(seq) is not int or not is_hex64(digest) or not is_hex64(prev):
        found.append(("malformed", "seq, prev or hash is missing or not well formed"))
    elif content != digest:
        found.append(("hash", "the content does not match its hash: the record was altered"))
    elif key is not None and (why := _signature_problem(data, str(digest), key)) is not None:
        found.append(("signature", why))
    record: AuditRecord | None = None
    try:
        record = parse_record(data) if odd is None else None
    except AuditError as err:
        if not found:
            found.append(("malformed", f"not a decision record: {err}"))
    if type(seq) is int and seq != expected:
        if seq > expected:
            gap = seq - expected
            why = f"{gap} record(s) missing before it, or records out of order"
        else:
            why = "a record repeated or out of order"
        found.append(("sequence", f"it carries record number {seq}, expected {expected}: {why}"))
    if prev_hash is not None and is_hex64(prev) and prev != prev_hash:
        what = "64 zeros (the first record)" if prev_hash == GENESIS else "the previous hash"
        found.append(("chain", f"its prev is not {what}: the chain is broken here"))
    if record is not None and not spec_matches(record.spec):
        found.append(("spec", "the embedded spec does not hash to the record's fingerprint"))
    return found, record


def _scan(
    path: str | os.PathLike[str],
    anchor: str | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
    public_key: VerifierKey | None = None,
) -> tuple[VerifyReport, list[tuple[int, AuditRecord]]]:
    """One pass over the log: the report, and every record that follows the schema
    (with its line), whether or not it is in the valid prefix."""
    problems: list[Problem] = []
    records: list[tuple[int, AuditRecord]] = []
    torn: TornTail | None = None
    expected, head, valid, lines, offset = 1, GENESIS, 0, 0, 0
    prev_hash: str | None = GENESIS
    anchored = anchor is None
    where = str(path)
    with Path(path).open("rb") as fh:
        reader = read_lines(fh, source=where, max_bytes=max_record_bytes, long_lines="skip")
        pending = next(reader, None)
        while pending is not None:
            current, pending = pending, next(reader, None)
            line = lines + 1
            last = pending is None
            data: Any = None
            reason = ""
            unreadable = "not a JSON object"
            if not current.ended:
                reason = "the last line has no final newline (an interrupted write)"
            elif current.text is None:
                too_long = (
                    f"{current.size} bytes, longer than the maximum record size of "
                    f"{max_record_bytes} bytes"
                )
                unreadable, reason = f"the line is {too_long}", f"the last line is {too_long}"
            else:
                try:
                    data = decode_json(current.text, source=where, line=line, error=AuditError)
                except AuditError as err:
                    unreadable = err.message
                if not isinstance(data, dict):
                    reason = "the last line is not a JSON object" + (
                        "" if unreadable == "not a JSON object" else f" ({unreadable})"
                    )
            if reason and last:
                torn = TornTail(expected, line, offset, current.size, reason)
                break
            lines += 1
            offset += current.size
            if not isinstance(data, dict):
                problems.append(Problem(expected, line, "unreadable", unreadable))
                expected, prev_hash = expected + 1, None
                continue
            found, record = _check(data, expected, prev_hash, public_key)
            seq = data.get("seq") if type(data.get("seq")) is int else None
            if record is not None:
                records.append((line, record))
            if found:
                kinds = "; ".join(detail for _, detail in found)
                problems.append(Problem(expected, line, found[0][0], kinds, seq))
            elif not problems:
                valid += 1
                head = record.hash if record is not None else head
                anchored = anchored or head == anchor
            digest = data.get("hash")
            prev_hash = digest if is_hex64(digest) else None
            expected = seq + 1 if seq is not None else expected + 1
    if not anchored:
        problems.append(
            Problem(
                valid + 1,
                valid + 1,
                "anchor",
                f"no valid record has the anchor hash {anchor}: the log was truncated or "
                "rewritten before it",
            )
        )
    report = VerifyReport(str(path), lines, valid, head, tuple(problems), torn)
    return report, records


def verify(
    path: str | os.PathLike[str],
    *,
    anchor: str | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
    public_key: VerifierKey | str | None = None,
) -> VerifyReport:
    """Check every record's hash, the chain and the numbering of the log at ``path``.

    ``anchor``: the hash of a record published earlier; the log must still
    hold it among its valid records. ``public_key`` (the log's
    :class:`~feedrank.audit.note.VerifierKey` or its string): every record
    must carry a valid ``ed25519`` signature of its hash by that key, so a
    record edited, inserted or re-chained by someone without the signing key
    is a ``signature`` problem naming it. A line longer than
    ``max_record_bytes`` is skipped in bounded pieces and reported as
    ``unreadable``. Raises OSError if the file cannot be read.
    """
    key = parse_verifier_key(public_key) if isinstance(public_key, str) else public_key
    return _scan(path, anchor, max_record_bytes, key)[0]


def read_log(
    path: str | os.PathLike[str],
    *,
    anchor: str | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> LogContents:
    """The validated records of the valid prefix of the log, with the report.

    Records after the first fault are not returned (they cannot be trusted);
    ``report`` says where the fault is. ``max_record_bytes`` as for :func:`verify`.
    """
    report, records = _scan(path, anchor, max_record_bytes)
    return LogContents(tuple(record for _, record in records[: report.valid]), report)
