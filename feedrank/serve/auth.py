"""atproto inter-service authentication: verify the ``Authorization: Bearer`` JWT.

A request to a feed generator carries a JWT signed by the requesting account's
atproto signing key. :func:`verify_service_jwt` accepts it only if

- the header's ``alg`` is ``ES256K`` (secp256k1) or ``ES256`` (P-256), and the
  issuer's ``#atproto`` key is on that curve (``alg: none`` and every other
  algorithm are refused);
- the signature (64 bytes, ``r || s``) verifies against that key, found in the
  DID document of ``iss`` through the resolver, and is *low-S*
  (``s <= n/2``), as atproto requires; a signature that fails is checked once
  more against a freshly resolved document (the key may have been rotated);
- ``aud`` is the service DID (or its ``#bsky_fg`` service), ``exp`` is in
  the future, ``lxm`` is the XRPC method called, ``iat`` (if any) is not in the future.

Everything else raises :class:`~feedrank.errors.XrpcError` with HTTP 401 and an
XRPC error name (``BadJwt``, ``BadJwtSignature``, ``BadJwtAudience``,
``JwtExpired``, ``BadJwtLexiconMethod``).

>>> from cryptography.hazmat.primitives.asymmetric import ec
>>> from feedrank.serve.did import did_document
>>> key = ec.generate_private_key(ec.SECP256R1())
>>> docs = {"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa": did_document("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa",
...                                                          key.public_key())}
>>> class Docs:
...     def resolve(self, did, *, fresh=False):
...         return docs.get(did)
>>> claims = {"iss": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", "aud": "did:web:feed.example",
...           "exp": 2_000_000_000, "lxm": "app.bsky.feed.getFeedSkeleton"}
>>> jwt = sign_service_jwt(claims, key)
>>> verify_service_jwt(jwt, service_did="did:web:feed.example",
...                    method="app.bsky.feed.getFeedSkeleton", resolver=Docs(), now=1_900_000_000)
'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from feedrank.errors import XrpcError
from feedrank.serve.did import DidResolver, atproto_key

__all__ = ["ALGORITHMS", "MAX_TOKEN_CHARS", "sign_service_jwt", "verify_service_jwt"]

ALGORITHMS = {"ES256K": "secp256k1", "ES256": "secp256r1"}
"""JWT ``alg`` → the curve of the key that must have signed it."""
MAX_TOKEN_CHARS = 8192
_ORDER = {
    "secp256k1": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
    "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
}


def _refuse(message: str, error: str = "BadJwt") -> XrpcError:
    return XrpcError(message, error=error, status=401)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or any(c in text for c in "=+/ \n"):
        raise ValueError("not base64url without padding")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_service_jwt(
    claims: Mapping[str, Any], key: ec.EllipticCurvePrivateKey, *, alg: str | None = None
) -> str:
    """A service-auth JWT of ``claims`` signed (low-S) by ``key`` (secp256k1 → ES256K,
    P-256 → ES256 unless ``alg`` says otherwise). For clients and tests."""
    name = key.curve.name
    alg = alg or next(a for a, c in ALGORITHMS.items() if c == name)
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64(json.dumps(dict(claims), separators=(",", ":")).encode())
    r, s = decode_dss_signature(key.sign(f"{header}.{body}".encode(), ec.ECDSA(hashes.SHA256())))
    order = _ORDER[name]
    s = min(s, order - s)
    return f"{header}.{body}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def _check_signature(key: ec.EllipticCurvePublicKey, alg: str, signed: bytes, sig: bytes) -> bool:
    curve = key.curve.name
    if ALGORITHMS[alg] != curve or len(sig) != 64:
        return False
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    order = _ORDER[curve]
    if not (0 < r < order and 0 < s <= order // 2):  # high-S is malleable: refused
        return False
    try:
        key.verify(encode_dss_signature(r, s), signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def verify_service_jwt(
    token: str,
    *,
    service_did: str,
    method: str,
    resolver: DidResolver,
    now: float,
) -> str:
    """The issuer DID of a valid service-auth JWT ``token`` for ``method`` of this
    service; XrpcError (401) otherwise. ``now`` is Unix seconds."""
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise _refuse("the bearer token is not a JWT")
    head, body, sig = token.split(".")
    try:
        header = json.loads(_unb64(head))
        claims = json.loads(_unb64(body))
        signature = _unb64(sig)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _refuse("the bearer token is not a JWT") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise _refuse("the bearer token is not a JWT")
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise _refuse(f"JWT algorithm {str(alg)[:20]!r} is not accepted (ES256K or ES256)")
    iss, aud, exp, lxm = (claims.get(k) for k in ("iss", "aud", "exp", "lxm"))
    if not isinstance(iss, str) or not iss.startswith("did:"):
        raise _refuse("the JWT has no issuer DID (iss)")
    if aud not in (service_did, f"{service_did}#bsky_fg"):
        raise _refuse("the JWT is for another service (aud)", "BadJwtAudience")
    if type(exp) is not int or exp <= now:
        raise _refuse("the JWT has expired (exp)", "JwtExpired")
    iat = claims.get("iat")
    if iat is not None and (type(iat) is not int or iat > now + 60):
        raise _refuse("the JWT was issued in the future (iat)")
    if lxm != method:
        raise _refuse(f"the JWT is not for {method} (lxm)", "BadJwtLexiconMethod")
    did = iss.split("#", 1)[0]
    signed = f"{head}.{body}".encode()
    for fresh in (False, True):
        document = resolver.resolve(did, fresh=fresh)
        if document is None:
            raise _refuse(f"could not resolve the issuer {did[:80]}", "BadJwtSignature")
        if _check_signature(atproto_key(document, did), alg, signed, signature):
            return did
    raise _refuse("the JWT signature does not verify", "BadJwtSignature")
