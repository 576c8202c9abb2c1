"""The strength check every decision-log secret passes: at least 32 bytes, not guessable.

:func:`check_secret` is used for the pseudonymisation key and the data key of
:class:`~feedrank.audit.DecisionLog` and by the ``feedrank`` command line,
which reads secrets as 64 hexadecimal digits (:func:`secret_from_hex`). It
refuses what is certainly not random (the rules are in :func:`check_secret`):
fewer than :data:`MIN_SECRET_BYTES` bytes, text (a passphrase, or a key not
yet decoded from hex), fewer than :data:`MIN_DISTINCT_BYTES` distinct byte
values, or a repeated pattern (``b"k" * 32``, a counter such as
``bytes(range(32))``). 32 random bytes (``secrets.token_bytes(32)``, what
``feedrank audit keygen`` writes) pass with overwhelming probability.
"""

from __future__ import annotations

import itertools

from feedrank.errors import AuditError

__all__ = ["MIN_DISTINCT_BYTES", "MIN_SECRET_BYTES", "check_secret", "secret_from_hex"]

MIN_SECRET_BYTES = 32
"""The shortest secret accepted (a 256-bit key)."""
_TEXT = frozenset(range(0x20, 0x7F)) | frozenset(b"\t\n\v\f\r")
MIN_DISTINCT_BYTES = 16
"""The fewest distinct byte values a secret may hold (32 random bytes hold about 30)."""
_EXPECTED = (
    f"at least {MIN_SECRET_BYTES} bytes from a random source, such as secrets.token_bytes(32)"
)


def check_secret(key: bytes | bytearray | memoryview, *, field: str) -> bytes:
    """``key`` as bytes if it can be a secret key; else an AuditError naming
    ``field`` (the key never appears in the message).

    A secret key (the pseudonym key, the data key) must be raw random bytes. A
    key is refused when it is

    1. shorter than :data:`MIN_SECRET_BYTES` (32) bytes;
    2. text: every byte printable ASCII or ASCII white space. A password or phrase
       is guessable, and an encoded key (hex, base64) must be decoded first;
    3. made of fewer than 16 distinct byte values;
    4. periodic: the key, or the sequence of differences (mod 256) of its
       successive bytes, repeats a pattern of at most half its length
       (``b"ab" * 16``; a counter such as ``bytes(range(32))``).

    32 bytes from :func:`secrets.token_bytes` (what :func:`keygen` writes) fail
    one of these with probability below 1e-13: rule 2 with (100/256)^32 (about
    9e-14), rule 3 about 3e-17, rule 4 under 2^-120.

    >>> import secrets
    >>> len(check_secret(secrets.token_bytes(32), field="pseudonym_key"))
    32
    >>> for weak in (b"0123456789abcdef" * 2, bytes(range(32)), b"a" * 16):
    ...     try:
    ...         check_secret(weak, field="pseudonym_key")
    ...     except AuditError as err:
    ...         print(err.message)
    the key is text
    the differences of its bytes repeat a pattern of 1 bytes
    the key is 16 bytes
    """
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise AuditError(f"got a {type(key).__name__}", field=field, expected="the key as bytes")
    key = bytes(key)
    if len(key) < MIN_SECRET_BYTES:
        raise AuditError(
            f"the key is {len(key)} bytes",
            field=field,
            expected=f"at least {MIN_SECRET_BYTES} random bytes",
        )
    if _TEXT.issuperset(key):
        raise AuditError(
            "the key is text",
            field=field,
            expected=(
                f"{MIN_SECRET_BYTES} or more random bytes, not a password or an encoded key: "
                "decode hex or base64 first"
            ),
        )
    if len(set(key)) < MIN_DISTINCT_BYTES:
        raise AuditError(
            f"the key has {len(set(key))} distinct byte values",
            field=field,
            expected=f"random bytes (at least {MIN_DISTINCT_BYTES} distinct values)",
        )
    steps = bytes((b - a) & 0xFF for a, b in itertools.pairwise(key))
    for sequence, what in ((key, "the key"), (steps, "the differences of its bytes")):
        period = _period(sequence)
        if period is not None:
            raise AuditError(
                f"{what} {'repeats' if sequence is key else 'repeat'} a pattern of {period} bytes",
                field=field,
                expected="random bytes (no repeated pattern)",
            )
    return key


def _period(data: bytes) -> int | None:
    """The smallest ``p <= len(data) // 2`` with ``data[i] == data[i + p]`` for
    every ``i``, or None."""
    for p in range(1, len(data) // 2 + 1):
        if data[p:] == data[:-p]:
            return p
    return None


def secret_from_hex(text: str, *, field: str, source: str | None = None) -> bytes:
    """The secret written as 64 hexadecimal digits (surrounding white space ignored),
    checked by :func:`check_secret`; errors name ``field`` (and the file ``source``).

    >>> digits = "5f1c0e9a7b3d2c4e6a8b0d1f3e5c7a9b2d4f6e8a0c1b3d5f7e9a2c4b6d8f0e1a"
    >>> len(secret_from_hex(digits + "\\n", field="--audit-key"))
    32
    """
    digits = text.strip()
    if len(digits) != 2 * MIN_SECRET_BYTES:
        raise AuditError(
            f"{len(digits)} character(s)",
            field=field,
            source=source,
            expected=f"{2 * MIN_SECRET_BYTES} hexadecimal digits (32 random bytes), such as "
            "the output of `python -c 'import secrets; print(secrets.token_hex(32))'`",
        )
    try:
        data = bytes.fromhex(digits)
    except ValueError:
        raise AuditError(
            "not hexadecimal",
            field=field,
            source=source,
            expected=f"{2 * MIN_SECRET_BYTES} hexadecimal digits",
        ) from None
    try:
        return check_secret(data, field=field)
    except AuditError as err:
        raise err.locate(source=source) from None
