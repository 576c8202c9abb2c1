"""Sealing the personal part of a decision record: AES-256-GCM under the data key.

A sealed record stores ``inputs.sealed = {"alg": "A256GCM", "nonce", "ct"}``:
``nonce`` is 12 fresh random bytes (``os.urandom``) and ``ct`` the ciphertext
followed by its 16-byte tag, both in standard base64. The associated data
(:func:`seal_aad`) is the canonical JSON of ``["feedrank.audit.sealed", v,
spec fingerprint, now, request_id, viewer pseudonym or null, pseudonym period
or null]``: the seal opens only in the record it was made for, so moving it to
another record (another time, request, viewer or spec) makes it fail to open,
exactly as altering it does. The record's hash covers the sealed blob, so
:func:`~feedrank.audit.verify` checks a sealed log without the data key.

With random nonces one data key should seal at most 2**32 records (NIST SP
800-38D); open a new log with a new data key well before that.

``cryptography`` is imported only when a record is sealed or opened, never by
``import feedrank``.

>>> key = bytes.fromhex("5f1c0e8a9b7d3c2e4a6f8b1d0c9e7a5b3f2d4c6e8a0b1c3d5e7f9a2b4c6d8e0f")
>>> aad = seal_aad(2, "0" * 64, 0, "req-1", None, None)
>>> stored = seal(b'{"secret":1}', key, aad)
>>> sorted(stored), stored["alg"]
(['alg', 'ct', 'nonce'], 'A256GCM')
>>> open_seal(stored, key, aad)
b'{"secret":1}'
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from typing import Any

from feedrank.canonical import canonical_json
from feedrank.errors import AuditError

__all__ = [
    "NONCE_BYTES",
    "SEAL_ALG",
    "TAG_BYTES",
    "check_sealed",
    "open_seal",
    "seal",
    "seal_aad",
]

SEAL_ALG = "A256GCM"
"""The ``alg`` of every seal: AES-256 in Galois/Counter Mode (the JOSE name)."""
NONCE_BYTES = 12
"""Length of a seal's nonce."""
TAG_BYTES = 16
"""Length of the authentication tag at the end of ``ct``."""
_WHERE = "inputs.sealed"
DOES_NOT_OPEN = "seal does not open (wrong data key or altered)"
"""The message of a seal that fails to authenticate."""


def seal_aad(
    v: int,
    fingerprint: str,
    now: int,
    request_id: str,
    pseudonym: str | None,
    period: str | None,
) -> bytes:
    """The associated data binding a seal to its record (UTF-8 canonical JSON)."""
    data = ["feedrank.audit.sealed", v, fingerprint, now, request_id, pseudonym, period]
    return canonical_json(data).encode("utf-8")


def _aesgcm(data_key: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(data_key) != 32:
        raise AuditError(
            f"the data key is {len(data_key)} bytes", field="data_key", expected="32 bytes"
        )
    return AESGCM(data_key)


def seal(plaintext: bytes, data_key: bytes, aad: bytes) -> dict[str, str]:
    """``{"alg", "nonce", "ct"}``: ``plaintext`` encrypted under ``data_key`` (32
    bytes) with a fresh random nonce, authenticated with ``aad``."""
    nonce = os.urandom(NONCE_BYTES)
    ct = _aesgcm(data_key).encrypt(nonce, plaintext, aad)
    return {
        "alg": SEAL_ALG,
        "ct": base64.b64encode(ct).decode("ascii"),
        "nonce": base64.b64encode(nonce).decode("ascii"),
    }


def _b64(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise AuditError(f"got {type(value).__name__}", field=where, expected="base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise AuditError("bad base64", field=where, expected="standard base64 text") from None


def check_sealed(stored: Any) -> tuple[bytes, bytes]:
    """``(nonce, ct)`` of a stored seal, checked without the key (AuditError naming
    the field if the seal is not ``{"alg": "A256GCM", "nonce", "ct"}`` with a
    12-byte nonce and a ciphertext of at least its 16-byte tag)."""
    if not isinstance(stored, Mapping) or set(stored) != {"alg", "ct", "nonce"}:
        raise AuditError("malformed seal", field=_WHERE, expected="{alg, nonce, ct}")
    if stored["alg"] != SEAL_ALG:
        raise AuditError(f"alg {stored['alg']!r}", field=f"{_WHERE}.alg", expected=SEAL_ALG)
    nonce = _b64(stored["nonce"], f"{_WHERE}.nonce")
    if len(nonce) != NONCE_BYTES:
        raise AuditError(
            f"the nonce is {len(nonce)} bytes",
            field=f"{_WHERE}.nonce",
            expected=f"{NONCE_BYTES} bytes",
        )
    ct = _b64(stored["ct"], f"{_WHERE}.ct")
    if len(ct) < TAG_BYTES:
        raise AuditError(
            f"the ciphertext is {len(ct)} bytes",
            field=f"{_WHERE}.ct",
            expected=f"at least the {TAG_BYTES}-byte tag",
        )
    return nonce, ct


def open_seal(stored: Any, data_key: bytes, aad: bytes) -> bytes:
    """The plaintext of a seal (AuditError "seal does not open (wrong data key or
    altered)" if ``data_key`` or ``aad`` is not the one it was sealed with, or it
    was changed)."""
    from cryptography.exceptions import InvalidTag

    nonce, ct = check_sealed(stored)
    try:
        plaintext: bytes = _aesgcm(data_key).decrypt(nonce, ct, aad)
    except InvalidTag:
        raise AuditError(
            DOES_NOT_OPEN, field=_WHERE, expected="the data key it was sealed with"
        ) from None
    return plaintext
