"""The strength check every decision-log secret passes: at least 32 bytes, not guessable.

:func:`check_secret` is used for the pseudonymisation key and the data key of
:class:`~feedrank.audit.DecisionLog` and by the ``feedrank`` command line,
which reads secrets as 64 hexadecimal digits (:func:`secret_from_hex`). It
refuses what is certainly not random: fewer than :data:`MIN_SECRET_BYTES`
bytes, fewer than :data:`MIN_DISTINCT_BYTES` distinct byte values, or a
repetition of a pattern at most half as long (``b"k" * 32``,
``b"0123456789abcdef" * 2``). 32 random bytes (``secrets.token_bytes(32)``)
pass with overwhelming probability; a passphrase typed by a person may not,
and should not be used.

>>> check_secret(bytes(range(32)), field="key") == bytes(range(32))
True
>>> try:
...     check_secret(b"k" * 32, field="key")
... except AuditError as err:
...     print(err.field, "-", err.message)
key - the secret has 1 distinct byte value(s)
"""

from __future__ import annotations

from feedrank.errors import AuditError

__all__ = ["MIN_DISTINCT_BYTES", "MIN_SECRET_BYTES", "check_secret", "secret_from_hex"]

MIN_SECRET_BYTES = 32
"""The shortest secret accepted (a 256-bit key)."""
MIN_DISTINCT_BYTES = 16
"""The fewest distinct byte values a secret may hold (32 random bytes hold about 30)."""
_EXPECTED = (
    f"at least {MIN_SECRET_BYTES} bytes from a random source, such as secrets.token_bytes(32)"
)


def check_secret(key: object, *, field: str) -> bytes:
    """``key`` as bytes if it is a strong enough secret, else AuditError naming ``field``.

    Strong enough: bytes (or bytearray) of at least :data:`MIN_SECRET_BYTES`,
    holding at least :data:`MIN_DISTINCT_BYTES` distinct values, and not a
    repetition of a pattern at most half its length.
    """
    if not isinstance(key, (bytes, bytearray)):
        raise AuditError(
            f"the secret is a {type(key).__name__}", field=field, expected=f"bytes, {_EXPECTED}"
        )
    data = bytes(key)
    if len(data) < MIN_SECRET_BYTES:
        raise AuditError(f"the secret is {len(data)} byte(s) long", field=field, expected=_EXPECTED)
    distinct = len(set(data))
    if distinct < MIN_DISTINCT_BYTES:
        raise AuditError(
            f"the secret has {distinct} distinct byte value(s)", field=field, expected=_EXPECTED
        )
    period = _smallest_period(data)
    if 2 * period <= len(data):
        raise AuditError(
            f"the secret repeats a pattern of {period} byte(s)", field=field, expected=_EXPECTED
        )
    return data


def _smallest_period(data: bytes) -> int:
    """The least p >= 1 with ``data[p:] == data[:-p]`` (the length minus the
    longest border, by the Knuth-Morris-Pratt prefix function: linear time)."""
    border = [0] * len(data)
    k = 0
    for i in range(1, len(data)):
        while k and data[i] != data[k]:
            k = border[k - 1]
        if data[i] == data[k]:
            k += 1
        border[i] = k
    return len(data) - (border[-1] if data else 0)


def secret_from_hex(text: str, *, field: str, source: str | None = None) -> bytes:
    """The secret written as 64 hexadecimal digits (surrounding white space ignored),
    checked by :func:`check_secret`; errors name ``field`` (and the file ``source``).

    >>> len(secret_from_hex(bytes(range(32)).hex() + "\\n", field="--audit-key"))
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
