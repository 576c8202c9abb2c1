"""Service-auth verification, DID resolution and cursor signing, in process."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from feedrank.errors import XrpcError
from feedrank.serve import (
    CachingResolver,
    CursorSigner,
    FileResolver,
    NetworkResolver,
    did_document,
    sign_service_jwt,
    verify_service_jwt,
)
from feedrank.serve.did import _fetch, atproto_key, b58decode, b58encode, multikey

DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
SERVICE = "did:web:feed.example"
METHOD = "app.bsky.feed.getFeedSkeleton"
NOW = 1_800_000_000


class Docs:
    """A resolver over a dict whose documents a test can change (key rotation)."""

    def __init__(self, docs: dict[str, Mapping[str, Any]]) -> None:
        self.docs = docs
        self.calls: list[tuple[str, bool]] = []

    def resolve(self, did: str, *, fresh: bool = False) -> Mapping[str, Any] | None:
        self.calls.append((did, fresh))
        return self.docs.get(did)


def _claims(**changes: Any) -> dict[str, Any]:
    return {"iss": DID, "aud": SERVICE, "exp": NOW + 60, "lxm": METHOD, **changes}


def _verify(token: str, resolver: Any) -> str:
    return verify_service_jwt(token, service_did=SERVICE, method=METHOD, resolver=resolver, now=NOW)


@pytest.mark.parametrize("curve", [ec.SECP256K1(), ec.SECP256R1()])
def test_a_valid_token_of_either_curve_verifies(curve: ec.EllipticCurve) -> None:
    key = ec.generate_private_key(curve)
    docs = Docs({DID: did_document(DID, key.public_key())})
    assert _verify(sign_service_jwt(_claims(), key), docs) == DID
    # the service's #bsky_fg audience and an issuer with a service fragment are accepted
    token = sign_service_jwt(_claims(aud=f"{SERVICE}#bsky_fg", iss=f"{DID}#atproto_labeler"), key)
    assert _verify(token, docs) == DID


def test_multikey_round_trips_and_matches_the_atproto_examples() -> None:
    key = ec.generate_private_key(ec.SECP256K1()).public_key()
    text = multikey(key)
    assert text.startswith("zQ3s")  # secp256k1 multikeys start so (atproto spec)
    assert multikey(ec.generate_private_key(ec.SECP256R1()).public_key()).startswith("zDn")
    raw = b58decode(text[1:])
    assert raw[:2] == b"\xe7\x01"
    assert raw[2:] == key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    assert b58encode(b"\0\0\x01") == "112"
    assert b58decode("112") == b"\0\0\x01"


def test_legacy_verification_method_types_are_read() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    doc = {
        "id": DID,
        "verificationMethod": [
            {
                "id": "#atproto",
                "type": "EcdsaSecp256r1VerificationKey2019",
                "publicKeyMultibase": "z" + b58encode(raw),
            }
        ],
    }
    assert _verify(sign_service_jwt(_claims(), key), Docs({DID: doc})) == DID


@pytest.mark.parametrize(
    "doc",
    [
        {"id": "did:plc:someoneelse", "verificationMethod": []},
        {"id": DID},
        {"id": DID, "verificationMethod": [{"id": "#other", "type": "Multikey"}]},
        {"id": DID, "verificationMethod": [{"id": "#atproto", "publicKeyMultibase": "zzz"}]},
        {"id": DID, "verificationMethod": [{"id": "#atproto", "type": "Multikey",
                                             "publicKeyMultibase": "z0OIl"}]},
    ],
)  # fmt: skip
def test_documents_without_a_readable_atproto_key_refuse(doc: dict[str, Any]) -> None:
    with pytest.raises(XrpcError) as err:
        atproto_key(doc, DID)
    assert err.value.status == 401


def test_a_rotated_key_is_found_by_resolving_again() -> None:
    old, new = ec.generate_private_key(ec.SECP256K1()), ec.generate_private_key(ec.SECP256K1())
    docs = Docs({DID: did_document(DID, old.public_key())})
    now = [0.0]
    cache = CachingResolver(docs, ttl=3600, refresh_after=60, clock=lambda: now[0])
    assert _verify(sign_service_jwt(_claims(), old), cache) == DID
    assert _verify(sign_service_jwt(_claims(), old), cache) == DID
    assert docs.calls == [(DID, False)]  # the second time came from the cache
    docs.docs[DID] = did_document(DID, new.public_key())
    now[0] = 59.0
    for _ in range(5):  # bad signatures within a minute do not resolve again
        with pytest.raises(XrpcError):
            _verify(sign_service_jwt(_claims(), new), cache)
    assert docs.calls == [(DID, False)]
    now[0] = 60.0
    assert _verify(sign_service_jwt(_claims(), new), cache) == DID
    assert docs.calls[-1] == (DID, True)
    with pytest.raises(XrpcError) as err:  # the old key is no longer accepted
        _verify(sign_service_jwt(_claims(), old), cache)
    assert err.value.error == "BadJwtSignature"


def test_the_cache_expires_and_stays_bounded() -> None:
    key = ec.generate_private_key(ec.SECP256K1())
    docs = Docs({DID: did_document(DID, key.public_key())})
    now = [0.0]
    cache = CachingResolver(docs, ttl=10, missing_ttl=2, max_entries=2, clock=lambda: now[0])
    cache.resolve(DID)
    now[0] = 9.0
    cache.resolve(DID)
    now[0] = 10.0
    cache.resolve(DID)
    assert len(docs.calls) == 2
    assert cache.resolve("did:plc:missing") is None
    now[0] = 11.0
    assert cache.resolve("did:plc:missing") is None  # a missing DID is cached, briefly
    assert len(docs.calls) == 3
    now[0] = 12.0
    cache.resolve("did:plc:missing")
    assert len(docs.calls) == 4
    for other in ("did:plc:a", "did:plc:b", "did:plc:c"):
        cache.resolve(other)
    cache.resolve(DID)  # evicted by the three others
    assert len(docs.calls) == 8


def test_the_network_resolver_reads_plc_and_did_web_over_https() -> None:
    fetched: list[str] = []
    key = ec.generate_private_key(ec.SECP256K1()).public_key()

    def fetch(url: str) -> bytes | None:
        fetched.append(url)
        return json.dumps(did_document(DID, key)).encode() if "plc" in url else None

    resolver = NetworkResolver(fetch=fetch)
    assert resolver.resolve(DID) == did_document(DID, key)
    assert resolver.resolve("did:web:feeds.example.com") is None
    assert fetched == [
        f"https://plc.directory/{DID}",
        "https://feeds.example.com/.well-known/did.json",
    ]
    assert resolver.url("did:web:feeds.example.com%3A8443") == (
        "https://feeds.example.com:8443/.well-known/did.json"
    )
    for bad in (
        "did:web:example.com:user:alice",
        "did:key:zQ3sabc",
        "did:web:a/b",
        "did:web:127.0.0.1",
        "did:web:localhost",
        "did:web:10.0.0.1%3A443",
        "did:plc:../../admin",
        "did:plc:short",
    ):
        with pytest.raises(XrpcError):
            resolver.url(bad)


def test_documents_are_fetched_over_https_from_public_hosts_only() -> None:
    for url in (
        "http://plc.directory/did:plc:ewvi7nxzyoun6zhxrhs64oiz",
        "https://localhost/.well-known/did.json",
        "https://127.0.0.1/.well-known/did.json",
    ):
        with pytest.raises(XrpcError) as err:
            _fetch(url)  # refused before any connection is made
        assert err.value.status == 401


def test_the_file_resolver_refuses_a_file_that_is_not_did_documents(tmp_path: Path) -> None:
    path = tmp_path / "docs.json"
    path.write_text(json.dumps([{"not": "a document"}]), encoding="utf-8")
    with pytest.raises(XrpcError, match="DID documents"):
        FileResolver(path)
    key = ec.generate_private_key(ec.SECP256K1()).public_key()
    path.write_text(json.dumps({DID: did_document(DID, key)}), encoding="utf-8")
    assert FileResolver(path).resolve(DID) == did_document(DID, key)
    assert FileResolver(path).resolve("did:plc:unknown") is None


def test_cursor_signer_binds_feed_and_viewer() -> None:
    signer = CursorSigner(b"\x01" * 32)
    text = signer.sign("eyJ4Ijox", feed="at://a", viewer=None)
    assert signer.open(text, feed="at://a", viewer=None) == "eyJ4Ijox"
    for feed, viewer, given in (
        ("at://b", None, text),
        ("at://a", "did:plc:x", text),
        ("at://a", None, "eyJ4Ijox"),
        ("at://a", None, text.replace("eyJ4", "eyJ5")),
    ):
        with pytest.raises(XrpcError):
            signer.open(given, feed=feed, viewer=viewer)
    assert CursorSigner(b"\x02" * 32).sign("c", feed="f", viewer=None) != signer.sign(
        "c", feed="f", viewer=None
    )
    with pytest.raises(ValueError, match="32 bytes"):
        CursorSigner(b"short")
