"""A decision log as a Merkle tree: its leaves, signed checkpoints, consistency.

Leaf ``i`` (0-based) of the log's tree is record ``i + 1``: the exact bytes of
its line without the final newline, hashed as RFC 6962 does
(:func:`~feedrank.audit.merkle.leaf_hash`). A checkpoint
(:mod:`feedrank.audit.checkpoint`) signs the tree of the first ``size``
records, and names every spec fingerprint they use, so whoever holds a
checkpoint can later tell whether the log still holds exactly those records
(:func:`checkpoint_problems`), and whether a later checkpoint extends it
(:func:`consistency`).

>>> import tempfile, pathlib
>>> log = pathlib.Path(tempfile.mkdtemp()) / "decisions.jsonl"
>>> _ = log.write_bytes(b'{"a":1}\\n{"b":2}\\n')
>>> leaf_hashes(log) == [leaf_hash(b'{"a":1}'), leaf_hash(b'{"b":2}')]
True
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedrank.audit.checkpoint import (
    Checkpoint,
    parse_checkpoint,
    sign_checkpoint,
    spec_extension,
    verify_checkpoint,
)
from feedrank.audit.log import MAX_RECORD_BYTES
from feedrank.audit.merkle import consistency_proof, leaf_hash, root, verify_consistency
from feedrank.audit.note import VerifierKey
from feedrank.errors import AuditError
from feedrank.io.decoding import read_lines

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = [
    "Consistency",
    "checkpoint_log",
    "checkpoint_problems",
    "consistency",
    "leaf_hashes",
    "record_line",
]

PathLike = str | os.PathLike[str]


def _whole_lines(path: PathLike, max_record_bytes: int) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes without newline) of every complete line; a line
    longer than the maximum is an AuditError naming its record."""
    where = str(path)
    with Path(path).open("rb") as fh:
        for line in read_lines(fh, source=where, max_bytes=max_record_bytes, long_lines="skip"):
            if not line.ended:
                return  # a torn tail is no record (verify reports it)
            if line.text is None:
                raise AuditError(
                    f"record {line.number} is {line.size} bytes, longer than the maximum "
                    f"record size of {max_record_bytes} bytes",
                    source=where,
                    line=line.number,
                    expected="records within the maximum record size",
                )
            text = line.text
            assert isinstance(text, bytes)
            yield line.number, text[:-1]


def leaf_hashes(
    path: PathLike, *, size: int | None = None, max_record_bytes: int = MAX_RECORD_BYTES
) -> list[bytes]:
    """The leaf hashes of the log's records, in order (at most ``size`` of them);
    an incomplete last line (a torn tail) is not a record and has no leaf."""
    out: list[bytes] = []
    if size is not None and size <= 0:
        return out
    for _, entry in _whole_lines(path, max_record_bytes):
        out.append(leaf_hash(entry))
        if size is not None and len(out) >= size:
            break
    return out


def record_line(path: PathLike, seq: int, *, max_record_bytes: int = MAX_RECORD_BYTES) -> bytes:
    """The bytes of record ``seq`` (1-based, its line) without the newline."""
    if type(seq) is not int or seq < 1:
        raise AuditError(f"seq {seq!r}", field="seq", expected="a record number >= 1")
    for number, entry in _whole_lines(path, max_record_bytes):
        if number == seq:
            return entry
    raise AuditError(
        f"the log has no record {seq}", field="seq", source=str(path), expected="a record it holds"
    )


def checkpoint_log(
    path: PathLike,
    signing_key: Ed25519PrivateKey,
    *,
    origin: str,
    key_name: str | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> str:
    """A signed checkpoint of the log as it stands: every record, its tree's root
    and one ``feedrank-spec`` line per spec fingerprint the records use.

    Refuses (AuditError naming the first problem) a log that does not verify:
    a checkpoint vouches for the records it covers, so it is never signed over
    an altered or torn log.
    """
    from feedrank.audit.verify import read_log

    contents = read_log(path, max_record_bytes=max_record_bytes)
    report = contents.report
    if report.problems:
        raise AuditError(
            f"the log does not verify: {report.problems[0]}",
            source=str(path),
            expected="a log that verifies (feedrank audit verify)",
        )
    if report.torn_tail is not None:
        raise AuditError(
            f"the log ends in a torn record at line {report.torn_tail.line}",
            source=str(path),
            expected="a log without a torn tail (repair_tail moves it aside)",
        )
    fingerprints = sorted({record.spec.fingerprint for record in contents.records})
    leaves = leaf_hashes(path, size=report.valid, max_record_bytes=max_record_bytes)
    checkpoint = Checkpoint(
        origin, len(leaves), root(leaves), tuple(spec_extension(fp) for fp in fingerprints)
    )
    return sign_checkpoint(checkpoint, signing_key, name=key_name)


def checkpoint_problems(
    leaves: Sequence[bytes],
    checkpoint_text: str | bytes,
    public_key: VerifierKey | str,
) -> list[tuple[str, int, str]]:
    """What is wrong between a log's ``leaves`` and a checkpoint of it, as
    (kind, record, detail): ``signature`` (the checkpoint does not verify under
    ``public_key``), ``truncated`` (the log holds fewer records than the
    checkpoint covers) or ``checkpoint`` (its first ``size`` records do not hash
    to the checkpoint's root). Empty when the log extends the checkpoint."""
    try:
        checkpoint = verify_checkpoint(checkpoint_text, public_key)
    except AuditError as err:
        return [("signature", 1, f"the checkpoint does not verify: {err}")]
    size = checkpoint.size
    if len(leaves) < size:
        return [
            (
                "truncated",
                len(leaves) + 1,
                f"the log holds {len(leaves)} record(s) but the checkpoint covers {size}: "
                f"record(s) {len(leaves) + 1} to {size} were removed",
            )
        ]
    if root(leaves[:size]) != checkpoint.root:
        return [
            (
                "checkpoint",
                1,
                f"records 1 to {size} do not hash to the checkpoint's root: one of them was "
                "edited, inserted, reordered or removed since it was signed",
            )
        ]
    return []


@dataclass(frozen=True)
class Consistency:
    """A consistency proof between two checkpoints of one log: ``ok`` when the
    tree of ``old_size`` records is a prefix of the tree of ``new_size``."""

    origin: str
    old_size: int
    new_size: int
    proof: tuple[bytes, ...]
    ok: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (proof hashes in hex)."""
        return {
            "origin": self.origin,
            "old_size": self.old_size,
            "new_size": self.new_size,
            "proof": [p.hex() for p in self.proof],
            "ok": self.ok,
            "detail": self.detail,
        }

    def summary(self) -> str:
        """A short account."""
        head = "OK" if self.ok else "INCONSISTENT"
        return f"{head}: {self.origin} {self.old_size} -> {self.new_size}: {self.detail}"


def consistency(
    old_text: str | bytes,
    new_text: str | bytes,
    path: PathLike,
    *,
    public_key: VerifierKey | str | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> Consistency:
    """Prove from the log at ``path`` that the checkpoint ``new_text`` extends
    ``old_text``, and check the proof against both roots.

    With ``public_key`` both checkpoints' signatures are checked first. The
    proof is computed from the log's records; ``ok`` is False, with the
    reason, when the log does not hold the new checkpoint's records, a
    signature does not verify, the origins differ, the new checkpoint is
    smaller, or the proof does not verify (one of the two
    trees was rewritten). A checkpoint that is not one is an AuditError.
    """
    old_signed, new_signed = parse_checkpoint(old_text), parse_checkpoint(new_text)
    old, new = old_signed.checkpoint, new_signed.checkpoint

    def result(ok: bool, detail: str, proof: Sequence[bytes] = ()) -> Consistency:
        return Consistency(new.origin, old.size, new.size, tuple(proof), ok, detail)

    if public_key is not None:
        for which, signed in (("old", old_signed), ("new", new_signed)):
            try:
                verify_checkpoint(signed, public_key)
            except AuditError as err:
                return result(False, f"the {which} checkpoint's signature: {err.message}")
    if old.origin != new.origin:
        return result(
            False, f"the checkpoints name different logs ({old.origin!r}, {new.origin!r})"
        )
    if old.size > new.size:
        return result(False, "the new checkpoint covers fewer records than the old one")
    leaves = leaf_hashes(path, size=new.size, max_record_bytes=max_record_bytes)
    if len(leaves) < new.size:
        return result(
            False, f"the log holds {len(leaves)} record(s), fewer than the new checkpoint's"
        )
    if root(leaves) != new.root:
        return result(False, "the log's records do not hash to the new checkpoint's root")
    proof = consistency_proof(old.size, leaves)
    if not verify_consistency(old.size, new.size, old.root, new.root, proof):
        return result(
            False,
            "the old checkpoint's tree is not a prefix of the new one: records it covered "
            "were changed or removed",
            proof,
        )
    return result(True, f"the first {old.size} record(s) are unchanged", proof)
