"""Receipts: proof, checkable offline, that a served page is in a signed log.

A receipt holds one decision record (the exact line of the log), its leaf
hash, its inclusion proof in the log's Merkle tree and a signed checkpoint of
that tree. :func:`verify_receipt` needs only the receipt and the log's public
key: it recomputes the leaf from the record, the root from the proof, checks
the checkpoint's signature and that the record's spec is one the checkpoint
names. A platform hands each viewer the receipt of the page they were served;
whoever holds it can show later that the page is in the log, and the log
cannot drop or change it without the checkpoint failing.

Format: one line of canonical JSON (keys sorted, no spaces, UTF-8), fields
``feedrank_receipt`` (1), ``origin``, ``seq`` (the record's number, 1-based),
``record`` (the record's line, without newline), ``leaf_hash`` and
``inclusion_proof`` (base64 of 32-byte hashes) and ``checkpoint`` (the note's
text). A receipt must be in that exact form, so any changed byte fails.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any

from feedrank.audit.checkpoint import parse_checkpoint, verify_checkpoint
from feedrank.audit.logtree import leaf_hashes, record_line
from feedrank.audit.merkle import inclusion_proof, leaf_hash, root, verify_inclusion
from feedrank.audit.note import VerifierKey, b64decode_strict
from feedrank.errors import AuditError
from feedrank.io.decoding import decode_json

__all__ = ["MAX_RECEIPT_BYTES", "Receipt", "VerifiedReceipt", "prove", "verify_receipt"]

MAX_RECEIPT_BYTES = 80 << 20
"""The largest receipt read: a record of the maximum size, its proof and checkpoint."""

_FIELDS = (
    "checkpoint",
    "feedrank_receipt",
    "inclusion_proof",
    "leaf_hash",
    "origin",
    "record",
    "seq",
)


@dataclass(frozen=True)
class Receipt:
    """A record of a log, its inclusion proof and a checkpoint of the log."""

    origin: str
    seq: int
    record: bytes
    leaf_hash: bytes
    inclusion_proof: tuple[bytes, ...]
    checkpoint: str

    def to_json(self) -> str:
        """The receipt's one line of canonical JSON, with its newline."""
        data = {
            "checkpoint": self.checkpoint,
            "feedrank_receipt": 1,
            "inclusion_proof": [base64.b64encode(p).decode() for p in self.inclusion_proof],
            "leaf_hash": base64.b64encode(self.leaf_hash).decode(),
            "origin": self.origin,
            "record": self.record.decode("utf-8"),
            "seq": self.seq,
        }
        return _canonical(data) + "\n"


@dataclass(frozen=True)
class VerifiedReceipt:
    """What a receipt proves: record ``seq`` of the log ``origin`` (of ``size``
    records at its checkpoint) served ``post_ids`` at ``now`` (µs) under the
    spec ``fingerprint``, for ``request_id``. A viewer's record is ``sealed``:
    its page is inside the seal (``post_ids`` empty); the receipt still proves
    the record, byte for byte, and the data key's holder can open it."""

    origin: str
    seq: int
    size: int
    request_id: str
    fingerprint: str
    now: int
    post_ids: tuple[str, ...]
    sealed: bool = False

    def summary(self) -> str:
        """A short account."""
        return (
            f"OK: record {self.seq} of {self.size} in {self.origin} (request {self.request_id}, "
            f"spec {self.fingerprint[:16]}) "
            + (
                "sealed: its page opens with the data key"
                if self.sealed
                else f"served {len(self.post_ids)} post(s): "
                + ", ".join(self.post_ids[:10])
                + (" ..." if len(self.post_ids) > 10 else "")
            )
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "ok": True,
            "origin": self.origin,
            "seq": self.seq,
            "size": self.size,
            "request_id": self.request_id,
            "fingerprint": self.fingerprint,
            "now": self.now,
            "post_ids": list(self.post_ids),
            "sealed": self.sealed,
        }


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def prove(path: str | os.PathLike[str], seq: int, checkpoint_text: str | bytes) -> Receipt:
    """The receipt of record ``seq`` of the log at ``path`` under a checkpoint.

    The checkpoint's form is checked (its signature is the receiver's to
    check); the log must still hold the checkpoint's records, hashing to its
    root, and ``seq`` must be among them, else an AuditError saying which.
    """
    checkpoint = parse_checkpoint(checkpoint_text).checkpoint
    text = (
        checkpoint_text.decode("utf-8") if isinstance(checkpoint_text, bytes) else checkpoint_text
    )
    if type(seq) is not int or not 1 <= seq <= checkpoint.size:
        raise AuditError(
            f"seq {seq!r}",
            field="seq",
            expected=f"a record the checkpoint covers, 1 to {checkpoint.size}",
        )
    leaves = leaf_hashes(path, size=checkpoint.size)
    if len(leaves) < checkpoint.size or root(leaves) != checkpoint.root:
        raise AuditError(
            "the log does not hold the records the checkpoint covers",
            source=str(path),
            field="checkpoint",
            expected="the log the checkpoint was signed for (feedrank audit verify --checkpoint)",
        )
    entry = record_line(path, seq)
    return Receipt(
        checkpoint.origin,
        seq,
        entry,
        leaves[seq - 1],
        tuple(inclusion_proof(seq - 1, leaves)),
        text,
    )


def verify_receipt(text: str | bytes, public_key: VerifierKey | str) -> VerifiedReceipt:
    """Check a receipt offline; an AuditError naming what fails.

    Fails on a receipt not in its canonical form (any changed byte), a record
    that does not hash to the leaf, a proof that does not lead to the
    checkpoint's root, a checkpoint not signed by ``public_key``, a record
    whose number is not ``seq`` or whose spec the checkpoint does not name.
    """
    data = _parse(text)
    checkpoint = verify_checkpoint(data["checkpoint"], public_key)
    record_bytes = data["record"].encode("utf-8")
    leaf = b64decode_strict(data["leaf_hash"], field="leaf_hash")
    proof = [
        b64decode_strict(p, field=f"inclusion_proof[{i}]")
        for i, p in enumerate(data["inclusion_proof"])
    ]
    seq = data["seq"]
    if data["origin"] != checkpoint.origin:
        raise AuditError("the receipt names another log than its checkpoint", field="origin")
    if leaf_hash(record_bytes) != leaf:
        raise AuditError("the record does not hash to the receipt's leaf hash", field="record")
    if not 1 <= seq <= checkpoint.size:
        raise AuditError(
            f"record {seq} is not among the checkpoint's {checkpoint.size}", field="seq"
        )
    try:
        ok = verify_inclusion(seq - 1, checkpoint.size, leaf, proof, checkpoint.root)
    except AuditError as err:
        raise AuditError(
            f"the inclusion proof is malformed: {err.message}", field="inclusion_proof"
        ) from None
    if not ok:
        raise AuditError(
            "the inclusion proof does not lead to the checkpoint's root",
            field="inclusion_proof",
        )
    record = decode_json(data["record"], source="receipt record", error=AuditError)
    if not isinstance(record, dict) or record.get("seq") != seq:
        raise AuditError("the record does not carry the receipt's number", field="record.seq")
    spec = record.get("spec")
    fingerprint = spec.get("fingerprint") if isinstance(spec, dict) else None
    if fingerprint not in checkpoint.spec_fingerprints:
        raise AuditError(
            f"the record's spec {fingerprint!r} is not one the checkpoint names",
            field="record.spec.fingerprint",
        )
    page = (
        record.get("outputs", {}).get("page", {}) if isinstance(record.get("outputs"), dict) else {}
    )
    ids = page.get("ids", []) if isinstance(page, dict) else []
    return VerifiedReceipt(
        checkpoint.origin,
        seq,
        checkpoint.size,
        str(record.get("request_id", "")),
        str(fingerprint),
        int(record["now"]) if type(record.get("now")) is int else 0,
        tuple(str(i) for i in ids) if isinstance(ids, list) else (),
        sealed=isinstance(record.get("inputs"), dict) and "sealed" in record["inputs"],
    )


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _parse(text: str | bytes) -> dict[str, Any]:
    if isinstance(text, bytes):
        if len(text) > MAX_RECEIPT_BYTES:
            raise AuditError(
                "the receipt is too large", expected=f"at most {MAX_RECEIPT_BYTES} bytes"
            )
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise AuditError("the receipt is not UTF-8", expected="a receipt's JSON line") from None
    data = decode_json(text, source="receipt", error=AuditError)
    if not isinstance(data, dict) or tuple(sorted(data)) != _FIELDS:
        raise AuditError(
            "not a receipt", field="receipt", expected="the fields " + ", ".join(_FIELDS)
        )
    if data["feedrank_receipt"] != 1 or type(data["feedrank_receipt"]) is not int:
        raise AuditError("unknown receipt version", field="feedrank_receipt", expected="1")
    for name in ("checkpoint", "leaf_hash", "origin", "record"):
        if not isinstance(data[name], str):
            raise AuditError(f"{name} is not a string", field=name, expected="a string")
    if type(data["seq"]) is not int:
        raise AuditError("seq is not an integer", field="seq", expected="a record number")
    proof = data["inclusion_proof"]
    if not isinstance(proof, list) or not all(isinstance(p, str) for p in proof) or len(proof) > 64:
        raise AuditError(
            "inclusion_proof is not a list of base64 hashes",
            field="inclusion_proof",
            expected="at most 64 base64 hashes",
        )
    if _canonical(data) + "\n" != text and _canonical(data) != text:
        raise AuditError(
            "the receipt is not in its canonical form: it was altered",
            field="receipt",
            expected="the receipt exactly as feedrank audit prove wrote it",
        )
    return data
