"""The key files of a decision log, and the rule a secret key must pass.

:func:`keygen` writes, in a directory of the platform's:

- ``signing.key``: the Ed25519 private key that signs checkpoints, PKCS #8 PEM,
  mode 0o600 (:func:`load_signing_key`);
- ``signing.pub``: its verifier key, one line ``<name>+<key id>+<base64>``
  (signed-note form; :func:`load_public_key`), to publish;
- ``pseudonym.key``: the HMAC key of viewer pseudonyms, and ``data.key``: a key
  for data the log protects; each 32 random bytes as 64 lowercase hex digits
  and a newline, mode 0o600 (:func:`load_secret`).

The signing key and the secret keys are different things, in different files,
of different types: an Ed25519 key object signs, raw bytes key an HMAC.
Nothing overwrites a key file: :func:`keygen` refuses a directory that holds
one already.

:func:`check_secret` is the rule every secret key must pass (see there).

>>> import tempfile
>>> from feedrank.audit.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
>>> from feedrank.audit.merkle import EMPTY_ROOT
>>> with tempfile.TemporaryDirectory() as tmp:
...     files = keygen(tmp, name="example.com/feeds/home")
...     note = sign_checkpoint(Checkpoint("example.com/feeds/home", 0, EMPTY_ROOT),
...                            load_signing_key(files.signing_key))
...     checkpoint = verify_checkpoint(note, load_public_key(files.public_key))
...     pseudonym_key = load_secret(files.pseudonym_key)
...     modes = [oct(p.stat().st_mode & 0o777) for p in (files.signing_key, files.data_key)]
>>> checkpoint.size, len(pseudonym_key), modes
(0, 32, ['0o600', '0o600'])
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from feedrank.audit.note import VerifierKey, check_key_name, parse_verifier_key, verifier_key
from feedrank.audit.secret_check import MIN_SECRET_BYTES, check_secret
from feedrank.errors import AuditError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = [
    "DATA_KEY",
    "MIN_SECRET_BYTES",
    "PSEUDONYM_KEY",
    "PUBLIC_KEY",
    "SIGNING_KEY",
    "KeyFiles",
    "check_secret",
    "keygen",
    "load_public_key",
    "load_secret",
    "load_signing_key",
]

SIGNING_KEY = "signing.key"
"""The file name of the Ed25519 signing key."""
PUBLIC_KEY = "signing.pub"
"""The file name of the signing key's verifier key."""
PSEUDONYM_KEY = "pseudonym.key"
"""The file name of the viewer-pseudonym HMAC key."""
DATA_KEY = "data.key"
"""The file name of the data key."""


_SECRET_FILE = re.compile(rb"[0-9a-f]{64}\n?")
_LARGEST_KEY_FILE = 1 << 16


@dataclass(frozen=True)
class KeyFiles:
    """The files :func:`keygen` wrote, and the verifier key it published."""

    signing_key: Path
    public_key: Path
    pseudonym_key: Path
    data_key: Path
    verifier: VerifierKey


def keygen(out_dir: str | os.PathLike[str], *, name: str) -> KeyFiles:
    """Write a new signing key, its verifier key (named ``name``, the log's
    origin) and new pseudonym and data keys into ``out_dir`` (made, mode
    0o700, if missing).

    Refuses (AuditError naming the file) when any of the four files exists:
    no key is ever overwritten, and no file is written then.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    check_key_name(name)
    directory = Path(out_dir)
    if directory.exists() and not directory.is_dir():
        raise AuditError("not a directory", source=str(directory), expected="a directory")
    paths = [directory / n for n in (SIGNING_KEY, PUBLIC_KEY, PSEUDONYM_KEY, DATA_KEY)]
    for path in paths:
        if path.exists() or path.is_symlink():
            raise AuditError(
                f"{path.name} exists already",
                source=str(path),
                expected="a directory without key files (keys are never overwritten)",
            )
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    signing_key = Ed25519PrivateKey.generate()
    verifier = verifier_key(signing_key, name=name)
    contents = [
        (
            signing_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()),
            0o600,
        ),
        (f"{verifier}\n".encode(), 0o644),
        (_new_secret().hex().encode() + b"\n", 0o600),
        (_new_secret().hex().encode() + b"\n", 0o600),
    ]
    written: list[Path] = []
    try:
        for path, (data, mode) in zip(paths, contents, strict=True):
            _write_new(path, data, mode)
            written.append(path)
    except BaseException:
        for path in written:  # all four keys or none
            path.unlink(missing_ok=True)
        raise
    return KeyFiles(paths[0], paths[1], paths[2], paths[3], verifier)


def load_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PKCS #8 PEM file ``path`` (unencrypted, as
    :func:`keygen` writes it); anything else is an AuditError naming the file."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    data = _read(path)
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as err:
        raise AuditError(
            f"not a private key: {type(err).__name__}",
            source=str(path),
            expected="an unencrypted PKCS #8 PEM Ed25519 private key",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditError(
            f"a {type(key).__name__}", source=str(path), expected="an Ed25519 private key"
        )
    return key


def load_public_key(path_or_text: str | os.PathLike[str]) -> VerifierKey:
    """The verifier key in a ``signing.pub`` file, or given as its string.

    A string of the form ``<name>+<8 hex digits>+<base64>``, or one holding a
    ``+`` that names no file, is the key itself; any other string, and any
    path object, is a file holding one such line. The key id must match the
    name and key (AuditError otherwise).
    """
    if isinstance(path_or_text, str) and (
        _looks_like_verifier_key(path_or_text)
        or ("+" in path_or_text and not os.path.exists(path_or_text))
    ):
        return parse_verifier_key(path_or_text)
    data = _read(path_or_text)
    text = data[:-1] if data.endswith(b"\n") else data
    try:
        return parse_verifier_key(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise AuditError(
            "not UTF-8", source=str(path_or_text), expected="one verifier-key line"
        ) from None
    except AuditError as err:
        raise err.locate(source=str(path_or_text), line=1) from None


def load_secret(path: str | os.PathLike[str]) -> bytes:
    """The 32-byte key in the file ``path``: 64 lowercase hex digits and an
    optional newline, as :func:`keygen` writes; checked by :func:`check_secret`.
    Anything else is an AuditError naming the file (the key never appears in
    the message)."""
    data = _read(path)
    if not _SECRET_FILE.fullmatch(data):
        raise AuditError(
            f"not a key file ({len(data)} bytes)",
            source=str(path),
            expected="64 lowercase hex digits (32 bytes) and a newline",
        )
    try:
        return check_secret(bytes.fromhex(data[:64].decode()), field="key")
    except AuditError as err:
        raise err.locate(source=str(path)) from None


def _new_secret() -> bytes:
    """32 bytes from :func:`secrets.token_bytes` that pass :func:`check_secret`
    (drawn again in the rare case, under 1e-13, that they do not)."""
    while True:
        key = secrets.token_bytes(32)
        try:
            return check_secret(key, field="key")
        except AuditError:
            continue


def _looks_like_verifier_key(text: str) -> bool:
    parts = text.split("+", 2)
    return len(parts) == 3 and re.fullmatch(r"[0-9a-f]{8}", parts[1]) is not None


def _read(path: str | os.PathLike[str]) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(_LARGEST_KEY_FILE + 1)
    except OSError as err:
        raise AuditError(
            f"cannot read the key file: {err.strerror or err}",
            source=str(path),
            expected="a readable key file",
        ) from None
    if len(data) > _LARGEST_KEY_FILE:
        raise AuditError(
            f"more than {_LARGEST_KEY_FILE} bytes", source=str(path), expected="a key file"
        )
    return data


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to the new file ``path`` (never an existing one) with ``mode``."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise AuditError(
            f"{path.name} exists already",
            source=str(path),
            expected="a directory without key files (keys are never overwritten)",
        ) from None
    except OSError as err:
        raise AuditError(
            f"cannot create the key file: {err.strerror or err}", source=str(path)
        ) from None
    try:
        if mode == 0o600 and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)  # whatever the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)
