"""Signed notes (feedrank.audit.note) against the C2SP signed-note spec and the
published example keys and notes of golang.org/x/mod/sumdb/note."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from feedrank.audit.note import (
    MAX_NOTE_BYTES,
    MAX_SIGNATURES,
    Note,
    VerifierKey,
    b64decode_strict,
    check_key_name,
    key_id,
    parse_note,
    parse_verifier_key,
    sign_note,
    verifier_key,
    verify_note,
)
from feedrank.errors import AuditError

# --- Published vectors -------------------------------------------------------
# From golang.org/x/mod, sumdb/note/note_test.go (TestNewVerifier, TestNewSigner,
# TestSign, TestOpen): two verifier keys, the signer key of the first (its
# "PRIVATE+KEY+<name>+<id>+" prefix, then base64 of 0x01 and the Ed25519 seed),
# a text and its signature by each key.

PETER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SEED_B64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_KEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ"
    "SNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnW"
    "Lox33WWd1RvMc+QQ=\n"
)


def peter_signing_key() -> Ed25519PrivateKey:
    raw = base64.b64decode(PETER_SEED_B64)
    assert raw[0] == 0x01
    return Ed25519PrivateKey.from_private_bytes(raw[1:])


def new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


# --- Known answers -----------------------------------------------------------


def test_the_published_verifier_keys_parse_with_their_key_ids() -> None:
    peter, enoch = parse_verifier_key(PETER_KEY), parse_verifier_key(ENOCH_KEY)
    assert (peter.name, peter.key_id) == ("PeterNeumann", 0xC74F20A3)
    assert (enoch.name, enoch.key_id) == ("EnochRoot", 0xAF0CFE78)
    assert str(peter) == PETER_KEY
    assert str(enoch) == ENOCH_KEY


def test_the_key_id_is_the_spec_hash_of_name_type_and_key() -> None:
    public = base64.b64decode(PETER_KEY.split("+", 2)[2])[1:]
    digest = hashlib.sha256(b"PeterNeumann\n\x01" + public).digest()
    assert key_id("PeterNeumann", public) == int.from_bytes(digest[:4], "big") == 0xC74F20A3


def test_the_published_signer_key_gives_the_published_verifier_key() -> None:
    assert verifier_key(peter_signing_key(), name="PeterNeumann") == parse_verifier_key(PETER_KEY)


def test_signing_the_published_text_gives_the_published_note() -> None:
    """Ed25519 is deterministic: the same key and text give the same bytes."""
    assert sign_note(TEXT, peter_signing_key(), name="PeterNeumann") == TEXT + "\n" + PETER_SIG


def test_the_published_note_verifies_with_the_published_key() -> None:
    assert verify_note(TEXT + "\n" + PETER_SIG, PETER_KEY) == TEXT
    assert verify_note((TEXT + "\n" + PETER_SIG).encode(), parse_verifier_key(PETER_KEY)) == TEXT


def test_signatures_by_other_keys_are_ignored() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert verify_note(note, PETER_KEY) == TEXT
    assert verify_note(note, ENOCH_KEY) == TEXT
    parsed = parse_note(note)
    assert [(s.name, s.key_id) for s in parsed.signatures] == [
        ("PeterNeumann", 0xC74F20A3),
        ("EnochRoot", 0xAF0CFE78),
    ]
    assert str(parsed) == note


def test_a_note_without_a_signature_by_the_key_is_refused() -> None:
    with pytest.raises(AuditError) as info:
        verify_note(TEXT + "\n" + ENOCH_SIG, PETER_KEY)
    assert info.value.field == "signatures"
    assert "c74f20a3" in str(info.value)


@pytest.mark.parametrize(
    "signatures",
    [
        PETER_SIG.replace("PeterNeumann", "CarmenSandiego"),  # another name
        PETER_SIG.replace("x08g", "xxxx"),  # another key id
    ],
)
def test_a_signature_with_another_name_or_key_id_is_not_by_the_key(signatures: str) -> None:
    with pytest.raises(AuditError) as info:
        verify_note(TEXT + "\n" + signatures, PETER_KEY)
    assert info.value.field == "signatures"


def test_one_bad_signature_by_the_key_refuses_the_note() -> None:
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    for signatures in (bad, PETER_SIG + bad, bad + PETER_SIG):
        with pytest.raises(AuditError) as info:
            verify_note(TEXT + "\n" + signatures, PETER_KEY)
        assert info.value.field is not None
        assert info.value.field.startswith("signatures[")


def test_duplicated_signatures_verify() -> None:
    note = TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG
    assert verify_note(note, PETER_KEY) == TEXT


def test_the_signature_count_is_bounded() -> None:
    assert verify_note(TEXT + "\n" + PETER_SIG * MAX_SIGNATURES, PETER_KEY) == TEXT
    with pytest.raises(AuditError) as info:
        parse_note(TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1))
    assert info.value.field == "signatures"
    assert info.value.line == 4


@pytest.mark.parametrize(
    "note",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        b"\xff" + (TEXT + "\n" + PETER_SIG).encode(),
        TEXT + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ"
        "SNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    ],
)
def test_the_published_malformed_notes_are_refused(note: str | bytes) -> None:
    """TestOpen's badMsgs."""
    with pytest.raises(AuditError):
        parse_note(note)


def test_every_substring_and_every_changed_byte_of_the_verifier_key_is_refused() -> None:
    """TestNewVerifier's manglings."""
    for i in range(len(PETER_KEY) + 1):
        for j in range(i + 1, len(PETER_KEY) + 1):
            if (i, j) != (0, len(PETER_KEY)):
                with pytest.raises(AuditError):
                    parse_verifier_key(PETER_KEY[i:j])
    for i in range(len(PETER_KEY)):
        changed = PETER_KEY[:i] + chr(ord(PETER_KEY[i]) + 1) + PETER_KEY[i + 1 :]
        with pytest.raises(AuditError):
            parse_verifier_key(changed)


@pytest.mark.parametrize(
    "key",
    [
        # TestNewVerifier: a key of the wrong length, and of an unknown algorithm,
        # each with its key id adjusted.
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_the_published_bad_verifier_keys_are_refused(key: str) -> None:
    with pytest.raises(AuditError) as info:
        parse_verifier_key(key)
    assert info.value.field == "verifier_key.key"


# --- Every byte counts -------------------------------------------------------


@pytest.mark.parametrize("mask", [0x01, 0x20, 0x80])
def test_every_single_byte_change_to_a_note_is_refused(mask: int) -> None:
    note = (TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode()
    peter_end = len((TEXT + "\n" + PETER_SIG).encode())
    for at in range(peter_end):
        changed = bytearray(note)
        changed[at] ^= mask
        with pytest.raises(AuditError):
            verify_note(bytes(changed), PETER_KEY)


# --- Round trips and hostile input ------------------------------------------

NOTE_TEXT = st.lists(
    st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=40), min_size=1
).map(lambda lines: "\n".join(lines) + "\n")
KEY_NAME = st.text(
    st.characters(blacklist_categories=["Cs", "Cc", "Zs", "Zl", "Zp"], blacklist_characters="+"),
    min_size=1,
    max_size=30,
).filter(lambda name: not any(ch.isspace() for ch in name))


@settings(max_examples=80, deadline=None)
@given(text=NOTE_TEXT, name=KEY_NAME)
def test_a_signed_note_round_trips(text: str, name: str) -> None:
    signing_key = new_key()
    note = sign_note(text, signing_key, name=name)
    parsed = parse_note(note)
    assert parsed.text == text
    assert str(parsed) == note
    assert verify_note(note, verifier_key(signing_key, name=name)) == text
    assert verify_note(note, str(verifier_key(signing_key, name=name))) == text
    with pytest.raises(AuditError):
        verify_note(note, verifier_key(new_key(), name=name))


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_any_input_is_a_note_or_an_audit_error(data: str | bytes) -> None:
    try:
        got: Note | AuditError = parse_note(data)
    except AuditError as err:
        got = err
    assert got.signatures if isinstance(got, Note) else got.field is not None


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_a_mangled_published_note_is_refused_or_verifies_as_published(
    data: st.DataObject,
) -> None:
    note = TEXT + "\n" + PETER_SIG
    at = data.draw(st.integers(0, len(note)), label="at")
    cut = data.draw(st.integers(0, 8), label="cut")
    insert = data.draw(st.text(max_size=8), label="insert")
    mangled = note[:at] + insert + note[at + cut :]
    try:
        text = verify_note(mangled, PETER_KEY)
    except AuditError:
        return
    assert text == TEXT


def test_a_non_utf8_byte_is_named_by_its_line() -> None:
    with pytest.raises(AuditError) as info:
        parse_note(b"ok\nbad \xff\n\n\xe2\x80\x94 a AAAAAQI=\n")
    assert (info.value.field, info.value.line) == ("note", 2)


def test_a_control_character_is_named_by_its_line() -> None:
    with pytest.raises(AuditError) as info:
        parse_note("ok\nalso ok\ncarriage\r\n\n— a AAAAAQI=\n")
    assert (info.value.field, info.value.line) == ("note", 3)


def test_a_malformed_signature_line_is_named_by_its_line() -> None:
    with pytest.raises(AuditError) as info:
        parse_note("one\ntwo\n\n— a AAAAAQI=\n-- b AAAAAQI=\n")
    assert (info.value.field, info.value.line) == ("signatures[1]", 5)


def test_a_note_too_large_is_refused_before_it_is_read() -> None:
    big = "x" * MAX_NOTE_BYTES + "\n\n— a AAAAAQI=\n"
    for data in (big, big.encode(), "é" * (MAX_NOTE_BYTES // 2 + 1) + "\n\n— a AAAAAQI=\n"):
        with pytest.raises(AuditError) as info:
            parse_note(data)
        assert info.value.field == "note"
        assert "bytes" in info.value.message


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u2003b", "a\tb", "tab\u00a0"])
def test_bad_key_names_are_refused(name: str) -> None:
    with pytest.raises(AuditError) as info:
        check_key_name(name)
    assert info.value.field == "name"
    with pytest.raises(AuditError):
        sign_note("text\n", new_key(), name=name)


@pytest.mark.parametrize("text", ["AAF=", "AAE", "AA E=", "AA-E", "A===", "é"])
def test_only_canonical_padded_base64_decodes(text: str) -> None:
    with pytest.raises(AuditError) as info:
        b64decode_strict(text, field="x")
    assert info.value.field == "x"


@pytest.mark.parametrize("text", ["no newline", "bell \x07\n", "surrogate \ud800\n"])
def test_sign_note_refuses_what_is_not_a_note_text(text: str) -> None:
    with pytest.raises(AuditError) as info:
        sign_note(text, new_key(), name="a")
    assert info.value.field == "text"


def test_only_an_ed25519_key_signs() -> None:
    pseudonym_key: object = b"\x01" * 32
    with pytest.raises(AuditError) as info:
        sign_note("text\n", pseudonym_key, name="a")  # type: ignore[arg-type]
    assert info.value.field == "signing_key"


def test_a_verifier_key_is_32_bytes_under_a_good_name() -> None:
    with pytest.raises(AuditError) as info:
        VerifierKey("a", bytes(31))
    assert info.value.field == "public_key"
    with pytest.raises(AuditError) as info:
        VerifierKey("a b", bytes(32))
    assert info.value.field == "name"
