"""Signed checkpoints of a decision log (C2SP tlog-checkpoint): its tree head.

A checkpoint says "the log ``origin`` holds ``size`` records whose Merkle
tree (:mod:`feedrank.audit.merkle`) has root ``root``", as the text of a
signed note (:mod:`feedrank.audit.note`)::

    <origin>
    <tree size, decimal, no leading zeros>
    <root hash, base64>
    <extension lines, optional, each non-empty>

    — <key name> <base64(4-byte key id ‖ 64-byte Ed25519 signature)>

Every line ends in ``\\n``. The origin names the log (a schema-less URL such
as ``example.com/feeds/home``, without spaces or ``+``); its signing key's
name is the origin unless the signer says otherwise.

Extension lines feedrank writes: one ``feedrank-spec <fingerprint>`` line per
ranking spec whose decisions the log holds (``fingerprint`` is the 64
lowercase hex digits of the spec's SHA-256 fingerprint, as in each record's
``spec.fingerprint``). A checkpoint's :attr:`Checkpoint.spec_fingerprints`
lists them; other extension lines are kept as they are.

A checkpoint of size 0 must carry the empty tree's root
(:data:`~feedrank.audit.merkle.EMPTY_ROOT`).

>>> from feedrank.audit import merkle
>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> from feedrank.audit.note import verifier_key
>>> leaves = [merkle.leaf_hash(b"record 1"), merkle.leaf_hash(b"record 2")]
>>> cp = Checkpoint("example.com/feeds/home", 2, merkle.root(leaves),
...                 (spec_extension("ab" * 32),))
>>> print(cp.body().decode(), end="")
example.com/feeds/home
2
rFmvnVh+YLAQX3I8jIY6+yycKlWv8RoSkHkpuwSmvNc=
feedrank-spec abababababababababababababababababababababababababababababababab
>>> signing_key = Ed25519PrivateKey.generate()
>>> note = sign_checkpoint(cp, signing_key)
>>> verify_checkpoint(note, verifier_key(signing_key, name=cp.origin)) == cp
True
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from feedrank.audit.merkle import EMPTY_ROOT, HASH_SIZE
from feedrank.audit.note import (
    Note,
    NoteSignature,
    VerifierKey,
    b64decode_strict,
    check_key_name,
    check_signatures,
    parse_note,
    sign_note,
)
from feedrank.errors import AuditError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = [
    "MAX_TREE_SIZE",
    "SPEC_EXTENSION",
    "Checkpoint",
    "SignedCheckpoint",
    "parse_checkpoint",
    "sign_checkpoint",
    "spec_extension",
    "verify_checkpoint",
]

SPEC_EXTENSION = "feedrank-spec"
"""The first word of the extension line naming a spec fingerprint."""

MAX_TREE_SIZE = (1 << 64) - 1
"""The largest tree size a checkpoint may state (an unsigned 64-bit count)."""

_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")
_SPEC_LINE = re.compile(rf"{SPEC_EXTENSION} [0-9a-f]{{64}}")
_CONTROL = re.compile(r"[\x00-\x1f]")


def spec_extension(fingerprint: str) -> str:
    """The extension line ``feedrank-spec <fingerprint>`` of a spec fingerprint
    (64 lowercase hex digits).

    >>> spec_extension("0" * 64) == "feedrank-spec " + "0" * 64
    True
    """
    if not isinstance(fingerprint, str) or not _FINGERPRINT.fullmatch(fingerprint):
        raise AuditError(
            f"fingerprint {fingerprint!r}",
            field="fingerprint",
            expected="64 lowercase hex digits (a spec's SHA-256 fingerprint)",
        )
    return f"{SPEC_EXTENSION} {fingerprint}"


@dataclass(frozen=True)
class Checkpoint:
    """The head of a log: its ``origin``, tree ``size``, Merkle ``root`` (32
    bytes) and ``extensions`` (extra body lines, without their newlines).

    Built checked: a bad field is an AuditError naming it.
    """

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_origin(self.origin)
        _check_size(self.size)
        _check_root(self.root, self.size)
        if not isinstance(self.extensions, tuple):
            raise AuditError(
                f"got a {type(self.extensions).__name__}",
                field="extensions",
                expected="a tuple of lines",
            )
        for i, line in enumerate(self.extensions):
            _check_extension(line, f"extensions[{i}]")

    def body(self) -> bytes:
        """The note text of the checkpoint, UTF-8: the lines that are signed."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "".join(f"{line}\n" for line in (*lines, *self.extensions)).encode()

    @property
    def spec_fingerprints(self) -> tuple[str, ...]:
        """The spec fingerprints of the ``feedrank-spec`` extension lines, in order."""
        prefix = SPEC_EXTENSION + " "
        return tuple(line[len(prefix) :] for line in self.extensions if line.startswith(prefix))


@dataclass(frozen=True)
class SignedCheckpoint:
    """A parsed checkpoint note: the :class:`Checkpoint` and the note's signature
    lines, none of them verified yet (see :func:`verify_checkpoint`)."""

    checkpoint: Checkpoint
    signatures: tuple[NoteSignature, ...]

    def text(self) -> str:
        """The whole note: the body, a blank line and the signature lines."""
        return str(Note(self.checkpoint.body().decode(), self.signatures))


def sign_checkpoint(
    checkpoint: Checkpoint, signing_key: Ed25519PrivateKey, *, name: str | None = None
) -> str:
    """The note of ``checkpoint`` signed with ``signing_key`` as the key ``name``
    (the checkpoint's origin unless given)."""
    if not isinstance(checkpoint, Checkpoint):
        raise AuditError(
            f"got a {type(checkpoint).__name__}", field="checkpoint", expected="a Checkpoint"
        )
    key_name = checkpoint.origin if name is None else check_key_name(name)
    return sign_note(checkpoint.body().decode(), signing_key, name=key_name)


def parse_checkpoint(text: str | bytes) -> SignedCheckpoint:
    """The checkpoint and signature lines of a checkpoint note, checked for form.

    Every malformed input is an AuditError naming the line and the field: the
    note's own faults (see :func:`~feedrank.audit.note.parse_note`: size,
    UTF-8, control characters, blank line, signature lines), fewer than three
    body lines, an empty or spaced origin, a size that is not a decimal count,
    a root that is not base64 of 32 bytes, an empty extension line, a
    ``feedrank-spec`` line without a fingerprint.

    >>> try:
    ...     parse_checkpoint("log\\nten\\nAA==\\n\\n— log AAAAAAA=\\n")
    ... except AuditError as err:
    ...     print(err.line, err.field, err.message)
    2 size 'ten' is not a tree size
    """
    note = parse_note(text)
    lines = note.text[:-1].split("\n")
    if len(lines) < 3:
        raise AuditError(
            f"the checkpoint has {len(lines)} line(s)",
            field="checkpoint",
            expected="an origin, a tree size and a root hash line",
        )
    origin, size_text, root_text, *extensions = lines
    with _line(1):
        _check_origin(origin)
    if not _SIZE.fullmatch(size_text) or int(size_text) > MAX_TREE_SIZE:
        raise AuditError(
            f"{size_text!r} is not a tree size",
            field="size",
            line=2,
            expected=f"a decimal count 0 to {MAX_TREE_SIZE} without leading zeros",
        )
    size = int(size_text)
    with _line(3):
        root = b64decode_strict(root_text, field="root")
        _check_root(root, size)
    for i, line in enumerate(extensions):
        with _line(4 + i):
            _check_extension(line, f"extensions[{i}]")
    return SignedCheckpoint(Checkpoint(origin, size, root, tuple(extensions)), note.signatures)


def verify_checkpoint(
    text_or_signed: str | bytes | SignedCheckpoint, public_key: VerifierKey | str
) -> Checkpoint:
    """The checkpoint of a note once a signature by ``public_key`` verifies.

    ``public_key`` is a :class:`~feedrank.audit.note.VerifierKey` or its
    string (``feedrank.audit.keys.load_public_key`` reads one). Signatures by
    other keys are ignored; an AuditError when none is by this key (same name
    and key id) or one by it does not verify.
    """
    signed = (
        text_or_signed
        if isinstance(text_or_signed, SignedCheckpoint)
        else parse_checkpoint(text_or_signed)
    )
    check_signatures(signed.checkpoint.body(), signed.signatures, public_key)
    return signed.checkpoint


@contextmanager
def _line(number: int) -> Iterator[None]:
    """An AuditError raised inside is located at line ``number`` of the note."""
    try:
        yield
    except AuditError as err:
        raise err.locate(line=number) from None


def _check_origin(origin: object) -> None:
    check_key_name(origin, field="origin")


def _check_size(size: object) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_TREE_SIZE:
        raise AuditError(
            f"size {size!r}", field="size", expected=f"an int from 0 to {MAX_TREE_SIZE}"
        )


def _check_root(root: object, size: int) -> None:
    if not isinstance(root, bytes) or len(root) != HASH_SIZE:
        got = f"{len(root)} bytes" if isinstance(root, bytes) else f"a {type(root).__name__}"
        raise AuditError(f"the root hash is {got}", field="root", expected="a 32-byte SHA-256 hash")
    if size == 0 and root != EMPTY_ROOT:
        raise AuditError(
            "an empty tree with another root",
            field="root",
            expected=f"the empty tree's root {base64.b64encode(EMPTY_ROOT).decode()}",
        )


def _check_extension(line: object, field: str) -> None:
    if not isinstance(line, str) or not line:
        raise AuditError(
            f"extension line {line!r}", field=field, expected="a non-empty line of text"
        )
    bad = _CONTROL.search(line)
    if bad is not None:
        raise AuditError(
            f"control character {bad.group()!r}", field=field, expected="one line of text"
        )
    if line.split(" ", 1)[0] == SPEC_EXTENSION and not _SPEC_LINE.fullmatch(line):
        raise AuditError(
            f"{line!r}", field=field, expected=f"'{SPEC_EXTENSION} <64 lowercase hex digits>'"
        )
