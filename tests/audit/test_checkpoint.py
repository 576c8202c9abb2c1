"""Signed checkpoints (feedrank.audit.checkpoint) in the C2SP tlog-checkpoint
form: round trips, the exact bytes, tampering and hostile input."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from feedrank.audit import merkle
from feedrank.audit.checkpoint import (
    MAX_TREE_SIZE,
    Checkpoint,
    SignedCheckpoint,
    parse_checkpoint,
    sign_checkpoint,
    spec_extension,
    verify_checkpoint,
)
from feedrank.audit.note import MAX_SIGNATURES, verifier_key
from feedrank.errors import AuditError

ORIGIN = "example.com/feeds/home"
ROOT = merkle.root([merkle.leaf_hash(b"record %d" % i) for i in range(5)])
ROOT_B64 = base64.b64encode(ROOT).decode()
FINGERPRINT = hashlib.sha256(b"a spec").hexdigest()

# C2SP tlog-checkpoint.md's example (its public key is not published: it is
# parsed, not verified).
C2SP_EXAMPLE = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q"
    "1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)


def new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def checkpoint(size: int = 5, extensions: tuple[str, ...] = ()) -> Checkpoint:
    return Checkpoint(ORIGIN, size, ROOT, extensions)


# --- The exact form ----------------------------------------------------------


def test_the_body_is_origin_size_root_and_extension_lines() -> None:
    cp = checkpoint(extensions=(spec_extension(FINGERPRINT), "other extension"))
    assert (
        cp.body()
        == (f"{ORIGIN}\n5\n{ROOT_B64}\nfeedrank-spec {FINGERPRINT}\nother extension\n").encode()
    )
    assert cp.spec_fingerprints == (FINGERPRINT,)


def test_the_signature_line_is_em_dash_name_and_key_id_with_ed25519_signature() -> None:
    """Checked by hand from the specs: the key id is SHA-256(name, 0x0A, 0x01,
    public key)[:4] and the rest is an Ed25519 signature of the body."""
    signing_key = new_key()
    cp = checkpoint(extensions=(spec_extension(FINGERPRINT),))
    note = sign_checkpoint(cp, signing_key)
    body, signature_line = note.split("\n\n")
    assert (body + "\n").encode() == cp.body()
    assert signature_line.startswith(f"\u2014 {ORIGIN} ")
    assert signature_line.endswith("\n")
    assert signature_line.count("\n") == 1
    raw = base64.b64decode(signature_line.rstrip("\n").split(" ")[2], validate=True)
    public = signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert raw[:4] == hashlib.sha256(ORIGIN.encode() + b"\n\x01" + public).digest()[:4]
    assert len(raw) == 4 + 64
    signing_key.public_key().verify(raw[4:], cp.body())  # raises if it does not verify


def test_the_key_name_may_differ_from_the_origin() -> None:
    signing_key = new_key()
    note = sign_checkpoint(checkpoint(), signing_key, name="witness.example/w1")
    assert "\n\u2014 witness.example/w1 " in note
    assert verify_checkpoint(note, verifier_key(signing_key, name="witness.example/w1"))
    with pytest.raises(AuditError):
        verify_checkpoint(note, verifier_key(signing_key, name=ORIGIN))


def test_the_c2sp_example_parses() -> None:
    signed = parse_checkpoint(C2SP_EXAMPLE)
    cp = signed.checkpoint
    assert (cp.origin, cp.size, cp.extensions) == ("example.com/behind-the-sofa", 20852163, ())
    assert cp.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    (sig,) = signed.signatures
    assert (sig.name, sig.key_id, len(sig.signature)) == (
        "example.com/behind-the-sofa",
        0x033DE0AE,
        64,
    )
    assert signed.text() == C2SP_EXAMPLE
    with pytest.raises(AuditError) as info:  # no key of ours signed it
        verify_checkpoint(C2SP_EXAMPLE, verifier_key(new_key(), name="example.com/behind-the-sofa"))
    assert info.value.field == "signatures"


# --- Round trips -------------------------------------------------------------

ORIGINS = st.text(
    st.characters(blacklist_categories=["Cs", "Cc", "Zs", "Zl", "Zp"], blacklist_characters="+"),
    min_size=1,
    max_size=40,
).filter(lambda origin: not any(ch.isspace() for ch in origin))
EXTENSIONS = st.lists(
    st.one_of(
        st.binary(min_size=32, max_size=32).map(lambda b: spec_extension(b.hex())),
        st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=30),
    ),
    max_size=4,
).map(tuple)


@st.composite
def checkpoints(draw: st.DrawFn) -> Checkpoint:
    size = draw(st.integers(0, MAX_TREE_SIZE))
    root = merkle.EMPTY_ROOT if size == 0 else draw(st.binary(min_size=32, max_size=32))
    return Checkpoint(draw(ORIGINS), size, root, draw(EXTENSIONS))


SIGNING_KEYS = [new_key() for _ in range(2)]


@settings(max_examples=100, deadline=None)
@given(cp=checkpoints())
def test_a_signed_checkpoint_round_trips(cp: Checkpoint) -> None:
    signing_key, other = SIGNING_KEYS
    note = sign_checkpoint(cp, signing_key)
    signed = parse_checkpoint(note)
    assert signed.checkpoint == cp
    assert signed.text() == note
    assert parse_checkpoint(note.encode()) == signed
    key = verifier_key(signing_key, name=cp.origin)
    assert verify_checkpoint(note, key) == cp
    assert verify_checkpoint(signed, str(key)) == cp
    with pytest.raises(AuditError):
        verify_checkpoint(note, verifier_key(other, name=cp.origin))


def test_a_checkpoint_signed_by_two_keys_verifies_with_each_and_no_other() -> None:
    first, second = new_key(), new_key()
    cp = checkpoint()
    note = sign_checkpoint(cp, first) + sign_checkpoint(cp, second).split("\n\n")[1]
    assert len(parse_checkpoint(note).signatures) == 2
    assert verify_checkpoint(note, verifier_key(first, name=ORIGIN)) == cp
    assert verify_checkpoint(note, verifier_key(second, name=ORIGIN)) == cp
    with pytest.raises(AuditError) as info:
        verify_checkpoint(note, verifier_key(new_key(), name=ORIGIN))
    assert info.value.field == "signatures"


def test_an_unknown_signature_is_ignored_and_a_bad_one_by_the_key_refuses() -> None:
    signing_key = new_key()
    note = sign_checkpoint(checkpoint(), signing_key)
    key = verifier_key(signing_key, name=ORIGIN)
    unknown = "\u2014 witness.example " + base64.b64encode(b"\x00\x00\x00\x07" + bytes(64)).decode()
    assert verify_checkpoint(note + unknown + "\n", key) == checkpoint()
    forged = (
        f"\u2014 {ORIGIN} " + base64.b64encode(key.key_id.to_bytes(4, "big") + bytes(64)).decode()
    )
    with pytest.raises(AuditError) as info:
        verify_checkpoint(note + forged + "\n", key)
    assert info.value.field == "signatures[1]"


# --- Every byte counts -------------------------------------------------------


@pytest.mark.parametrize("mask", [0x01, 0x08, 0x40, 0x80])
def test_every_single_byte_change_to_body_or_signature_is_detected(mask: int) -> None:
    signing_key = new_key()
    cp = checkpoint(extensions=(spec_extension(FINGERPRINT), "note"))
    note = sign_checkpoint(cp, signing_key).encode()
    key = verifier_key(signing_key, name=ORIGIN)
    assert verify_checkpoint(note, key) == cp
    for at in range(len(note)):
        changed = bytearray(note)
        changed[at] ^= mask
        with pytest.raises(AuditError):
            verify_checkpoint(bytes(changed), key)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_a_mangled_checkpoint_is_refused_or_is_the_signed_one(data: st.DataObject) -> None:
    signing_key = SIGNING_KEYS[0]
    cp = checkpoint(extensions=(spec_extension(FINGERPRINT),))
    note = sign_checkpoint(cp, signing_key)
    at = data.draw(st.integers(0, len(note)), label="at")
    cut = data.draw(st.integers(0, 6), label="cut")
    insert = data.draw(st.text(max_size=6), label="insert")
    try:
        got = verify_checkpoint(
            note[:at] + insert + note[at + cut :], verifier_key(signing_key, name=ORIGIN)
        )
    except AuditError:
        return
    assert got == cp


# --- Hostile input -----------------------------------------------------------

SIG = "\u2014 log AAAAAAA=\n"


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        (f"log\n5\n{ROOT_B64}\n{SIG}", None, "note"),  # no blank line
        (f"log\n5\n{ROOT_B64}\n\n", 5, "signatures"),  # no signature line
        (f"log\n5\n{ROOT_B64}\n\n\u2014 log\n", 5, "signatures[0]"),
        (f"log\n5\n{ROOT_B64}\n\n-- log AAAAAAA=\n", 5, "signatures[0]"),
        (f"log\n5\n{ROOT_B64}\n\n\u2014 log AAAA\n", 5, "signatures[0]"),  # 3 bytes
        (f"log\n5\n{ROOT_B64}\n\n" + SIG * (MAX_SIGNATURES + 1), 5, "signatures"),
        (f"log\n5\n\n{SIG}", None, "checkpoint"),
        (f"\n5\n{ROOT_B64}\n\n{SIG}", 1, "origin"),
        (f"my log\n5\n{ROOT_B64}\n\n{SIG}", 1, "origin"),
        (f"my+log\n5\n{ROOT_B64}\n\n{SIG}", 1, "origin"),
        (f"log\n05\n{ROOT_B64}\n\n{SIG}", 2, "size"),
        (f"log\n-5\n{ROOT_B64}\n\n{SIG}", 2, "size"),
        (f"log\n+5\n{ROOT_B64}\n\n{SIG}", 2, "size"),
        (f"log\n5.0\n{ROOT_B64}\n\n{SIG}", 2, "size"),
        (f"log\n 5\n{ROOT_B64}\n\n{SIG}", 2, "size"),
        (f"log\n\u0665\n{ROOT_B64}\n\n{SIG}", 2, "size"),  # an Arabic-Indic five
        (f"log\n{MAX_TREE_SIZE + 1}\n{ROOT_B64}\n\n{SIG}", 2, "size"),
        (f"log\n{'9' * 5000}\n{ROOT_B64}\n\n{SIG}", 2, "size"),
        (f"log\n5\nnot base64!\n\n{SIG}", 3, "root"),
        (f"log\n5\n{ROOT_B64.rstrip('=')}\n\n{SIG}", 3, "root"),
        (f"log\n5\n{base64.b64encode(ROOT[:31]).decode()}\n\n{SIG}", 3, "root"),
        (f"log\n5\n{base64.b64encode(ROOT + b'!').decode()}\n\n{SIG}", 3, "root"),
        (f"log\n0\n{ROOT_B64}\n\n{SIG}", 3, "root"),  # an empty tree has one root
        (f"log\n5\n{ROOT_B64}\n\nextension\n\n{SIG}", 4, "extensions[0]"),
        (f"log\n5\n{ROOT_B64}\nok\nfeedrank-spec xyz\n\n{SIG}", 5, "extensions[1]"),
        (f"log\n5\n{ROOT_B64}\nfeedrank-spec {FINGERPRINT.upper()}\n\n{SIG}", 4, "extensions[0]"),
        (f"log\n5\n{ROOT_B64}\nfeedrank-spec\n\n{SIG}", 4, "extensions[0]"),
        (f"log\n5\r\n{ROOT_B64}\n\n{SIG}", 2, "note"),
        (f"log\n5\n{ROOT_B64}\n\n{SIG}".encode() + b"\xc3", 6, "note"),
        (b"\xfflog\n5\n", 1, "note"),
        ("x" * (1 << 20) + f"\n5\n{ROOT_B64}\n\n{SIG}", None, "note"),
    ],
)
def test_malformed_checkpoints_are_audit_errors_naming_line_and_field(
    text: str | bytes, line: int | None, field: str
) -> None:
    with pytest.raises(AuditError) as info:
        parse_checkpoint(text)
    assert (info.value.line, info.value.field) == (line, field)
    assert info.value.expected or info.value.message


def parse_or_error(data: str | bytes) -> SignedCheckpoint | AuditError:
    try:
        return parse_checkpoint(data)
    except AuditError as err:
        return err


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_any_input_is_a_checkpoint_or_an_audit_error(data: str | bytes) -> None:
    got = parse_or_error(data)
    assert isinstance(got, SignedCheckpoint) or got.field is not None


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(
        st.one_of(
            st.sampled_from(["log", "5", "0", ROOT_B64, "", "feedrank-spec", SIG[:-1]]),
            st.text(max_size=12),
        ),
        max_size=8,
    )
)
def test_line_soup_is_a_checkpoint_or_an_audit_error(lines: list[str]) -> None:
    got = parse_or_error("\n".join(lines) + "\n")
    assert isinstance(got, SignedCheckpoint) or got.field is not None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"origin": ""}, "origin"),
        ({"origin": "a b"}, "origin"),
        ({"size": -1}, "size"),
        ({"size": MAX_TREE_SIZE + 1}, "size"),
        ({"size": True}, "size"),
        ({"root": ROOT[:31]}, "root"),
        ({"root": ROOT_B64}, "root"),
        ({"size": 0}, "root"),
        ({"extensions": ["x"]}, "extensions"),
        ({"extensions": ("",)}, "extensions[0]"),
        ({"extensions": ("ok", "two\nlines")}, "extensions[1]"),
        ({"extensions": ("feedrank-spec 1234",)}, "extensions[0]"),
    ],
)
def test_a_bad_checkpoint_cannot_be_built(kwargs: dict[str, object], field: str) -> None:
    fields: dict[str, object] = {"origin": ORIGIN, "size": 5, "root": ROOT, "extensions": ()}
    fields.update(kwargs)
    with pytest.raises(AuditError) as info:
        Checkpoint(**fields)  # type: ignore[arg-type]
    assert info.value.field == field


def test_spec_extension_takes_a_fingerprint() -> None:
    assert spec_extension(FINGERPRINT) == "feedrank-spec " + FINGERPRINT
    for bad in (FINGERPRINT.upper(), FINGERPRINT[:-1], "", FINGERPRINT + " "):
        with pytest.raises(AuditError) as info:
            spec_extension(bad)
        assert info.value.field == "fingerprint"


def test_only_an_ed25519_key_signs_a_checkpoint() -> None:
    pseudonym_key: object = b"\x02" * 32
    with pytest.raises(AuditError) as info:
        sign_checkpoint(checkpoint(), pseudonym_key)  # type: ignore[arg-type]
    assert info.value.field == "signing_key"


def test_importing_the_audit_package_loads_no_cryptography() -> None:
    code = (
        "import sys, feedrank.audit, feedrank.audit.checkpoint, feedrank.audit.keys; "
        "print(any(m.split('.')[0] == 'cryptography' for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
