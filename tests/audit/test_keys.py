"""Key files (feedrank.audit.keys): what keygen writes, what the loaders accept,
and the rule a secret key must pass."""

from __future__ import annotations

import os
import random
import re
import secrets
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from feedrank.audit.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from feedrank.audit.keys import (
    DATA_KEY,
    PSEUDONYM_KEY,
    PUBLIC_KEY,
    SIGNING_KEY,
    KeyFiles,
    check_secret,
    keygen,
    load_public_key,
    load_secret,
    load_signing_key,
)
from feedrank.audit.merkle import EMPTY_ROOT
from feedrank.audit.note import verifier_key
from feedrank.errors import AuditError

NAME = "example.com/feeds/home"
FILES = (SIGNING_KEY, PUBLIC_KEY, PSEUDONYM_KEY, DATA_KEY)


@pytest.fixture
def keys(tmp_path: Path) -> KeyFiles:
    return keygen(tmp_path / "keys", name=NAME)


@pytest.fixture(params=[0o000, 0o277], ids=["umask 000", "umask 277"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """A umask that would leave new files readable by everyone, or not writable
    by their owner."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


# --- keygen ------------------------------------------------------------------


def test_keygen_writes_the_four_files(keys: KeyFiles) -> None:
    directory = keys.signing_key.parent
    assert sorted(p.name for p in directory.iterdir()) == sorted(FILES)
    assert (keys.signing_key.name, keys.public_key.name) == (SIGNING_KEY, PUBLIC_KEY)
    assert (keys.pseudonym_key.name, keys.data_key.name) == (PSEUDONYM_KEY, DATA_KEY)
    pem = keys.signing_key.read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")  # PKCS #8, unencrypted
    assert keys.public_key.read_text() == f"{keys.verifier}\n"
    secrets_written = [keys.pseudonym_key.read_text(), keys.data_key.read_text()]
    for text in secrets_written:
        assert re.fullmatch(r"[0-9a-f]{64}\n", text)
    assert secrets_written[0] != secrets_written[1]


def test_keygen_writes_secret_files_mode_600_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    keys = keygen(tmp_path, name=NAME)
    for path in (keys.signing_key, keys.pseudonym_key, keys.data_key):
        assert path.stat().st_mode & 0o777 == 0o600, path.name


def test_the_keys_load_back_and_sign_a_verifiable_checkpoint(keys: KeyFiles) -> None:
    signing_key = load_signing_key(keys.signing_key)
    assert isinstance(signing_key, Ed25519PrivateKey)
    public = load_public_key(keys.public_key)
    assert public == keys.verifier == verifier_key(signing_key, name=NAME)
    assert load_public_key(str(keys.public_key)) == public
    assert load_public_key(str(public)) == public
    cp = Checkpoint(NAME, 0, EMPTY_ROOT)
    assert verify_checkpoint(sign_checkpoint(cp, signing_key), public) == cp
    pseudonym_key = load_secret(keys.pseudonym_key)
    assert pseudonym_key == bytes.fromhex(keys.pseudonym_key.read_text())
    assert load_secret(keys.data_key) != pseudonym_key


def test_the_signing_key_and_the_pseudonym_key_are_not_interchangeable(keys: KeyFiles) -> None:
    with pytest.raises(AuditError) as info:
        load_secret(keys.signing_key)
    assert info.value.source == str(keys.signing_key)
    with pytest.raises(AuditError) as info:
        load_signing_key(keys.pseudonym_key)
    assert info.value.source == str(keys.pseudonym_key)


@pytest.mark.parametrize("existing", FILES)
def test_keygen_never_overwrites_a_key_file(tmp_path: Path, existing: str) -> None:
    (tmp_path / existing).write_text("keep me\n")
    with pytest.raises(AuditError) as info:
        keygen(tmp_path, name=NAME)
    assert info.value.source == str(tmp_path / existing)
    assert existing in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing]
    assert (tmp_path / existing).read_text() == "keep me\n"


def test_keygen_twice_refuses_and_keeps_the_first_keys(keys: KeyFiles) -> None:
    before = {name: (keys.signing_key.parent / name).read_bytes() for name in FILES}
    with pytest.raises(AuditError):
        keygen(keys.signing_key.parent, name=NAME)
    assert {name: (keys.signing_key.parent / name).read_bytes() for name in FILES} == before


def test_keygen_refuses_a_dangling_symlink_in_place_of_a_key(tmp_path: Path) -> None:
    (tmp_path / SIGNING_KEY).symlink_to(tmp_path / "elsewhere")
    with pytest.raises(AuditError):
        keygen(tmp_path, name=NAME)
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("name", ["", "has space", "a+b"])
def test_keygen_refuses_a_bad_name_and_writes_nothing(tmp_path: Path, name: str) -> None:
    with pytest.raises(AuditError) as info:
        keygen(tmp_path / "keys", name=name)
    assert info.value.field == "name"
    assert not (tmp_path / "keys").exists()


def test_keygen_refuses_a_file_as_its_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(AuditError) as info:
        keygen(tmp_path / "file", name=NAME)
    assert info.value.source == str(tmp_path / "file")


# --- Loaders -----------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"0" * 63 + b"\n",
        b"a" * 65 + b"\n",
        secrets.token_hex(32).upper().encode() + b"\n",
        secrets.token_hex(32).encode() + b"\r\n",
        secrets.token_hex(32).encode() + b"\n\n",
        b" " + secrets.token_hex(32).encode(),
        secrets.token_bytes(32),
        secrets.token_hex(32).encode()[:62] + b"zz\n",
    ],
)
def test_load_secret_refuses_anything_but_64_hex_digits(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.key"
    path.write_bytes(content)
    with pytest.raises(AuditError) as info:
        load_secret(path)
    assert info.value.source == str(path)
    assert "64 lowercase hex digits" in str(info.value)
    if content.strip():
        assert content.strip().decode("latin-1")[:16] not in str(info.value)


def test_load_secret_refuses_a_weak_key_without_showing_it(tmp_path: Path) -> None:
    path = tmp_path / "weak.key"
    path.write_text("ab" * 32 + "\n")
    with pytest.raises(AuditError) as info:
        load_secret(path)
    assert info.value.source == str(path)
    assert "abab" not in str(info.value)


def test_load_secret_accepts_no_final_newline(tmp_path: Path) -> None:
    key = secrets.token_bytes(32)
    path = tmp_path / "k.key"
    path.write_text(key.hex())
    assert load_secret(path) == key


def test_a_missing_key_file_is_an_audit_error_naming_it(tmp_path: Path) -> None:
    for load in (load_secret, load_signing_key, load_public_key):
        with pytest.raises(AuditError) as info:
            load(tmp_path / "absent.key")
        assert info.value.source == str(tmp_path / "absent.key")


def test_a_huge_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.key"
    path.write_bytes(b"0" * (1 << 17))
    with pytest.raises(AuditError) as info:
        load_signing_key(path)
    assert info.value.source == str(path)


def _pem(key: ec.EllipticCurvePrivateKey | Ed25519PrivateKey, password: bytes | None) -> bytes:
    encryption = BestAvailableEncryption(password) if password else NoEncryption()
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, encryption)


@pytest.mark.parametrize(
    "content",
    [
        b"not a key",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        _pem(ec.generate_private_key(ec.SECP256R1()), None),
        _pem(Ed25519PrivateKey.generate(), b"a password"),
    ],
    ids=["text", "bad pem", "p256 key", "encrypted"],
)
def test_load_signing_key_refuses_anything_but_an_ed25519_pkcs8_key(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "signing.key"
    path.write_bytes(content)
    with pytest.raises(AuditError) as info:
        load_signing_key(path)
    assert info.value.source == str(path)
    assert "Ed25519" in str(info.value)


def test_load_public_key_checks_the_key_id(keys: KeyFiles) -> None:
    name, key_id, encoded = str(keys.verifier).split("+", 2)
    wrong = f"{name}+{int(key_id, 16) ^ 1:08x}+{encoded}"
    with pytest.raises(AuditError) as info:
        load_public_key(wrong)
    assert info.value.field == "verifier_key.key_id"
    keys.public_key.write_text(wrong + "\n")
    with pytest.raises(AuditError) as info:
        load_public_key(keys.public_key)
    assert (info.value.source, info.value.line) == (str(keys.public_key), 1)


@pytest.mark.parametrize(
    "content", ["", "\n", "two\nlines\n", "name+0000000+AAAA\n", "é+00000000+AAAA\n"]
)
def test_load_public_key_refuses_a_bad_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "signing.pub"
    path.write_text(content)
    with pytest.raises(AuditError) as info:
        load_public_key(path)
    assert info.value.source == str(path)


def test_a_public_key_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "signing.pub"
    path.write_bytes(b"\xff+00000000+AAAA\n")
    with pytest.raises(AuditError) as info:
        load_public_key(path)
    assert info.value.source == str(path)


def test_a_key_named_in_unicode_round_trips_through_its_file(tmp_path: Path) -> None:
    keys = keygen(tmp_path, name="bücher.example/журнал")
    assert load_public_key(keys.public_key) == keys.verifier
    assert load_public_key(str(keys.verifier)) == keys.verifier


def test_a_malformed_key_string_that_names_no_file_is_parsed_as_a_key() -> None:
    with pytest.raises(AuditError) as info:
        load_public_key("example.com/log+xyz+AAAA")
    assert info.value.field == "verifier_key.key_id"


# --- check_secret ------------------------------------------------------------


def test_keys_from_the_system_random_source_always_pass() -> None:
    for _ in range(5000):
        key = secrets.token_bytes(32)
        assert check_secret(key, field="key") == key


def test_random_keys_of_any_length_from_32_pass() -> None:
    rng = random.Random(20260101)
    for i in range(20000):
        key = rng.randbytes(32 + i % 40)
        assert check_secret(key, field="key") == key


def test_keygen_keys_pass(tmp_path: Path) -> None:
    for i in range(20):
        keys = keygen(tmp_path / str(i), name=NAME)
        assert len(load_secret(keys.pseudonym_key)) == 32
        assert len(load_secret(keys.data_key)) == 32


def _without_text(n: int, rng: random.Random) -> bytes:
    """n random bytes, at least one of them not text (so only other rules apply)."""
    return bytes([0x80]) + rng.randbytes(n - 1)


RNG = random.Random(7)
WEAK = {
    "a * 16": b"a" * 16,
    "ab * 16": b"ab" * 16,
    "hex digits twice": b"0123456789abcdef" * 2,
    "zeros": bytes(32),
    "ones": b"\xff" * 32,
    "two bytes": b"\x00\xff" * 16,
    "counter": bytes(range(32)),
    "counter from 200": bytes((200 + i) & 0xFF for i in range(32)),
    "step of 7": bytes((7 * i) & 0xFF for i in range(40)),
    "random half twice": _without_text(16, RNG) * 2,
    "random 10 repeated and cut": (_without_text(10, RNG) * 4)[:33],
    "15 values": bytes(RNG.choice(range(0x80, 0x8F)) for _ in range(64)),
    "passphrase": b"platform-secret-key-32-bytes!!!!",
    "long passphrase": b"correct horse battery staple and more words here\n",
    "hex of a key": secrets.token_hex(32).encode(),
    "base64 of a key": b"q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k=",
    "short random": secrets.token_bytes(31),
    "empty": b"",
}


@pytest.mark.parametrize("key", WEAK.values(), ids=WEAK.keys())
def test_weak_keys_are_refused_without_being_shown(key: bytes) -> None:
    with pytest.raises(AuditError) as info:
        check_secret(key, field="pseudonym_key")
    assert info.value.field == "pseudonym_key"
    assert info.value.expected
    if len(key) >= 4:
        assert repr(key)[2:10] not in str(info.value)
        assert key.hex()[:8] not in str(info.value)


@settings(max_examples=200, deadline=None)
@given(pattern=st.binary(min_size=1, max_size=16), repeats=st.integers(2, 8))
def test_a_repeated_pattern_is_refused(pattern: bytes, repeats: int) -> None:
    key = pattern * max(repeats, -(-32 // len(pattern)))
    with pytest.raises(AuditError):
        check_secret(key, field="key")


@settings(max_examples=200, deadline=None)
@given(text=st.text(string.printable, min_size=32, max_size=200))
def test_text_is_refused(text: str) -> None:
    with pytest.raises(AuditError):
        check_secret(text.encode(), field="key")


def test_check_secret_takes_bytes_only() -> None:
    key = secrets.token_bytes(32)
    assert check_secret(bytearray(key), field="key") == key
    assert type(check_secret(bytearray(key), field="key")) is bytes
    not_bytes: object = key.hex()
    with pytest.raises(AuditError) as info:
        check_secret(not_bytes, field="key")  # type: ignore[arg-type]
    assert info.value.field == "key"
