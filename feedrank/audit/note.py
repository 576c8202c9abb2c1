"""Signed notes (C2SP signed-note): a text, a blank line, and signature lines.

A note is UTF-8 text ending in a newline, then a blank line, then one or more
signature lines ``— <key name> <base64(key id ‖ signature)>`` (U+2014 em
dash, space, name, space, base64, newline). No ASCII control character other
than the newline may appear anywhere. feedrank signs with Ed25519 (signature
type 0x01), over the note text including its final newline:

- the **key id** is the first 4 bytes, read big-endian, of
  SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key) (:func:`key_id`);
- a **verifier key** is written ``<name>+<key id, 8 hex digits>+<base64(0x01
  ‖ public key)>`` (:class:`VerifierKey`, :func:`parse_verifier_key`).

Verification (:func:`verify_note`) follows the spec: signatures by other keys
(another name or another key id) are ignored; every signature by the key
(same name and key id) must verify; a note with none is refused. Parsing
refuses notes over :data:`MAX_NOTE_BYTES` or with more than
:data:`MAX_SIGNATURES` signature lines. Every refusal is an
:class:`~feedrank.errors.AuditError` naming the line and the field.

The Ed25519 keys are :mod:`cryptography` keys, imported only when a note is
signed or verified.

>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> signing_key = Ed25519PrivateKey.generate()
>>> note = sign_note("hello\\n", signing_key, name="example.com/log")
>>> note.startswith("hello\\n\\n— example.com/log ")
True
>>> verify_note(note, verifier_key(signing_key, name="example.com/log"))
'hello\\n'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from feedrank.errors import AuditError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = [
    "ED25519",
    "MAX_NOTE_BYTES",
    "MAX_SIGNATURES",
    "Note",
    "NoteSignature",
    "VerifierKey",
    "b64decode_strict",
    "check_key_name",
    "check_signatures",
    "key_id",
    "parse_note",
    "parse_verifier_key",
    "sign_note",
    "verifier_key",
    "verify_note",
]

ED25519 = 0x01
"""The signed-note signature type byte of Ed25519."""

MAX_NOTE_BYTES = 1 << 20
"""The largest note parsed, in UTF-8 bytes (1 MiB)."""

MAX_SIGNATURES = 100
"""The most signature lines a parsed note may hold (the spec asks for at least 16)."""

_DASH = "— "
_PUBLIC_KEY_SIZE = 32
_SIGNATURE_SIZE = 64
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_HEX8 = re.compile(r"[0-9a-f]{8}")


def check_key_name(name: object, *, field: str = "name") -> str:
    """``name`` if it can name a key: a non-empty string without Unicode spaces,
    ``+`` or control characters; else an AuditError naming ``field``.

    >>> check_key_name("example.com/log")
    'example.com/log'
    """
    if not isinstance(name, str):
        raise AuditError(f"got a {type(name).__name__}", field=field, expected="a string")
    if not name:
        raise AuditError("the name is empty", field=field, expected="a non-empty name")
    bad = next((ch for ch in name if ch.isspace() or ch == "+" or ch < " "), None)
    if bad is not None:
        raise AuditError(
            f"the name {name!r} holds {bad!r}",
            field=field,
            expected="a name without spaces, '+' or control characters",
        )
    return name


def key_id(name: str, public_key: bytes) -> int:
    """The key id of an Ed25519 key: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key),
    its first 4 bytes as a big-endian unsigned int.

    The example key of golang.org/x/mod/sumdb/note's tests:

    >>> public = base64.b64decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")[1:]
    >>> f"{key_id('PeterNeumann', public):08x}"
    'c74f20a3'
    """
    check_key_name(name)
    _check_public_key(public_key)
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


@dataclass(frozen=True)
class VerifierKey:
    """The public half of a note key: its ``name`` and 32-byte Ed25519
    ``public_key``. ``str()`` gives the verifier-key string
    ``<name>+<key id hex>+<base64(0x01 ‖ public key)>``.

    >>> key = VerifierKey("example.com/log", bytes(32))
    >>> str(key)
    'example.com/log+a3ad76db+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
    >>> parse_verifier_key(str(key)) == key
    True
    """

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        _check_public_key(self.public_key)

    @property
    def key_id(self) -> int:
        """The key id (see :func:`key_id`)."""
        return key_id(self.name, self.public_key)

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{encoded}"


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the key ``name``, the 32-bit ``key_id`` and the
    ``signature`` bytes (64 for Ed25519; without the key id)."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        """The signature line, ``— <name> <base64(key id ‖ signature)>\\n``."""
        encoded = base64.b64encode(self.key_id.to_bytes(4, "big") + self.signature).decode()
        return f"{_DASH}{self.name} {encoded}\n"


@dataclass(frozen=True)
class Note:
    """A parsed note: its ``text`` (ending in a newline) and its ``signatures``
    in the order of their lines. Nothing in it is verified: see
    :func:`verify_note`."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def __str__(self) -> str:
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)


def verifier_key(signing_key: Ed25519PrivateKey, *, name: str) -> VerifierKey:
    """The verifier key of ``signing_key`` under the key name ``name``."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    _check_signing_key(signing_key)
    public = signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return VerifierKey(name, public)


def parse_verifier_key(text: str) -> VerifierKey:
    """The :class:`VerifierKey` a verifier-key string names, checking that its
    key id is the one its name and public key give.

    >>> key = parse_verifier_key(
    ...     "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    ... )
    >>> key.name, f"{key.key_id:08x}"
    ('PeterNeumann', 'c74f20a3')
    """
    field = "verifier_key"
    expected = "<name>+<8 hex digits of key id>+<base64 of 0x01 and a 32-byte Ed25519 key>"
    if not isinstance(text, str):
        raise AuditError(f"got a {type(text).__name__}", field=field, expected=expected)
    parts = text.split("+", 2)  # the name and key id hold no "+"; base64 may
    if len(parts) != 3:
        raise AuditError(f"no two '+' in {text!r}", field=field, expected=expected)
    name, hex_id, encoded = parts
    check_key_name(name, field=f"{field}.name")
    if not _HEX8.fullmatch(hex_id):
        raise AuditError(
            f"key id {hex_id!r}", field=f"{field}.key_id", expected="8 lowercase hex digits"
        )
    raw = b64decode_strict(encoded, field=f"{field}.key")
    if len(raw) != 1 + _PUBLIC_KEY_SIZE or raw[0] != ED25519:
        raise AuditError(
            f"a key of {len(raw)} bytes, type {raw[:1].hex() or 'none'}",
            field=f"{field}.key",
            expected="0x01 (Ed25519) and a 32-byte public key",
        )
    key = VerifierKey(name, raw[1:])
    if key.key_id != int(hex_id, 16):
        raise AuditError(
            f"key id {hex_id} does not match the name and key",
            field=f"{field}.key_id",
            expected=f"{key.key_id:08x}",
        )
    return key


def parse_note(data: str | bytes) -> Note:
    """The text and signature lines of a signed note, checked for form only.

    ``data`` is the note as text or as UTF-8 bytes. Refused (AuditError naming
    the line): over :data:`MAX_NOTE_BYTES`, not UTF-8, a control character, no
    final newline, no blank line before the signatures, no signature line,
    more than :data:`MAX_SIGNATURES`, a line that is not ``— <name> <base64>``,
    a signature shorter than its 4-byte key id and one byte.

    >>> note = parse_note("hi\\n\\n— someone AAAAAQI=\\n")
    >>> note.text, note.signatures[0].key_id, note.signatures[0].signature
    ('hi\\n', 1, b'\\x02')
    """
    text = _decode(data)
    bad = _CONTROL.search(text)
    if bad is not None:
        raise AuditError(
            f"control character {bad.group()!r}",
            field="note",
            line=text.count("\n", 0, bad.start()) + 1,
            expected="no control character other than newline",
        )
    if not text.endswith("\n"):
        raise AuditError(
            "the note does not end in a newline",
            field="note",
            line=text.count("\n") + 1,
            expected="every line ending in '\\n'",
        )
    split = text.rfind("\n\n")
    if split < 0:
        raise AuditError(
            "no blank line before the signatures",
            field="note",
            expected="the text, a blank line, then signature lines",
        )
    body, block = text[: split + 1], text[split + 2 :]
    first = body.count("\n") + 2  # the line number of the first signature line
    if not block:
        raise AuditError("no signature line after the blank line", field="signatures", line=first)
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise AuditError(
            f"{len(lines)} signature lines",
            field="signatures",
            line=first,
            expected=f"at most {MAX_SIGNATURES}",
        )
    signatures = tuple(_signature(line, i, first) for i, line in enumerate(lines))
    return Note(body, signatures)


def sign_note(text: str, signing_key: Ed25519PrivateKey, *, name: str) -> str:
    """The note of ``text`` signed by ``signing_key`` as the key ``name``: the
    text, a blank line and one signature line.

    ``text`` must be a note text: ending in a newline, without control
    characters other than newlines, and small enough that the note stays
    under :data:`MAX_NOTE_BYTES`.
    """
    check_key_name(name)
    _check_signing_key(signing_key)
    if not isinstance(text, str) or not text.endswith("\n"):
        raise AuditError(
            "the text does not end in a newline", field="text", expected="text + '\\n'"
        )
    encoded = _encode(text, field="text")
    _check_size(len(encoded), field="text")
    bad = _CONTROL.search(text)
    if bad is not None:
        raise AuditError(
            f"control character {bad.group()!r}",
            field="text",
            line=text.count("\n", 0, bad.start()) + 1,
            expected="no control character other than newline",
        )
    verifier = verifier_key(signing_key, name=name)
    signature = NoteSignature(name, verifier.key_id, signing_key.sign(encoded))
    note = text + "\n" + signature.line()
    _check_size(len(note.encode()), field="text")
    return note


def verify_note(note: str | bytes | Note, key: VerifierKey | str) -> str:
    """The text of ``note`` once a signature by ``key`` verifies over it.

    ``key`` is a :class:`VerifierKey` or its string. Signatures by other keys
    (another name or key id) are ignored; an AuditError when no signature is
    by ``key``, or when one by ``key`` does not verify (then the whole note is
    refused, as the spec recommends).
    """
    parsed = note if isinstance(note, Note) else parse_note(note)
    check_signatures(parsed.text.encode(), parsed.signatures, key)
    return parsed.text


def check_signatures(
    text: bytes, signatures: tuple[NoteSignature, ...], key: VerifierKey | str
) -> None:
    """Check the ``signatures`` of a note's ``text`` (its UTF-8 bytes) by ``key``
    as :func:`verify_note` does: at least one is by ``key`` and every one by
    ``key`` verifies; else an AuditError."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    verifier = parse_verifier_key(key) if isinstance(key, str) else key
    if not isinstance(verifier, VerifierKey):
        raise AuditError(
            f"got a {type(key).__name__}", field="key", expected="a VerifierKey or its string"
        )
    wanted = verifier.key_id
    public = Ed25519PublicKey.from_public_bytes(verifier.public_key)
    found = 0
    for i, sig in enumerate(signatures):
        if sig.name != verifier.name or sig.key_id != wanted:
            continue
        found += 1
        try:
            if len(sig.signature) != _SIGNATURE_SIZE:
                raise InvalidSignature
            public.verify(sig.signature, text)
        except InvalidSignature:
            raise AuditError(
                f"the signature by {verifier.name}+{wanted:08x} does not verify",
                field=f"signatures[{i}]",
                expected="an Ed25519 signature of the note text by this key",
            ) from None
    if not found:
        raise AuditError(
            f"no signature by the key {verifier.name}+{wanted:08x}",
            field="signatures",
            expected=f"a line '— {verifier.name} <base64>' whose key id is {wanted:08x}",
        )


def b64decode_strict(text: str, *, field: str) -> bytes:
    """The bytes of standard, padded, canonical base64 ``text`` (RFC 4648 §4);
    anything else is an AuditError naming ``field``.

    >>> b64decode_strict("AAE=", field="x")
    b'\\x00\\x01'
    """
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = None
    if raw is None or base64.b64encode(raw).decode() != text:
        raise AuditError(
            f"{text!r} is not base64", field=field, expected="standard padded base64 (RFC 4648)"
        )
    return raw


def _signature(line: str, index: int, first: int) -> NoteSignature:
    try:
        return _parse_signature(line, index)
    except AuditError as err:
        raise err.locate(line=first + index) from None


def _parse_signature(line: str, index: int) -> NoteSignature:
    field = f"signatures[{index}]"
    expected = "'— <key name> <base64 of key id and signature>'"
    parts = line[len(_DASH) :].split(" ") if line.startswith(_DASH) else []
    if len(parts) != 2:
        raise AuditError(f"line {line!r}", field=field, expected=expected)
    name = check_key_name(parts[0], field=f"{field}.name")
    raw = b64decode_strict(parts[1], field=field)
    if len(raw) < 5:
        raise AuditError(
            f"a signature of {len(raw)} bytes",
            field=field,
            expected="a 4-byte key id and a signature",
        )
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def _decode(data: str | bytes) -> str:
    if isinstance(data, bytes):
        _check_size(len(data), field="note")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            text = data[: err.start].decode("utf-8")
            raise AuditError(
                f"byte {data[err.start]:#04x} is not UTF-8",
                field="note",
                line=text.count("\n") + 1,
                expected="UTF-8 text",
            ) from None
    if not isinstance(data, str):
        raise AuditError(f"got a {type(data).__name__}", field="note", expected="str or bytes")
    if len(data) > MAX_NOTE_BYTES:
        _check_size(len(data), field="note")
    _check_size(len(_encode(data, field="note")), field="note")
    return data


def _encode(text: str, *, field: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise AuditError(
            f"character {err.object[err.start]!r} cannot be UTF-8",
            field=field,
            line=text.count("\n", 0, err.start) + 1,
            expected="text encodable as UTF-8",
        ) from None


def _check_size(size: int, *, field: str) -> None:
    if size > MAX_NOTE_BYTES:
        raise AuditError(
            f"{size} bytes", field=field, expected=f"a note of at most {MAX_NOTE_BYTES} bytes"
        )


def _check_public_key(public_key: object) -> None:
    if not isinstance(public_key, bytes) or len(public_key) != _PUBLIC_KEY_SIZE:
        got = (
            f"{len(public_key)} bytes"
            if isinstance(public_key, bytes)
            else f"a {type(public_key).__name__}"
        )
        raise AuditError(f"got {got}", field="public_key", expected="a 32-byte Ed25519 public key")


def _check_signing_key(signing_key: object) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not isinstance(signing_key, Ed25519PrivateKey):
        raise AuditError(
            f"got a {type(signing_key).__name__}",
            field="signing_key",
            expected="an Ed25519 private key (feedrank.audit.keys.load_signing_key)",
        )
