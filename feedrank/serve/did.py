"""DID documents: resolvers, a cache, and the ``#atproto`` signing key in them.

A resolver is any object with ``resolve(did, *, fresh=False) -> dict | None``
(the DID document, or None when the DID does not exist).

- :class:`FileResolver`: DID documents from a JSON file (offline use, tests);
- :class:`NetworkResolver`: ``did:plc`` through the PLC directory and
  ``did:web`` through ``https://<host>/.well-known/did.json`` (bounded reads, a
  3 s timeout, no redirects, only hosts whose every address is public: a token
  cannot make the service fetch from its own network);
- :class:`CachingResolver`: keeps what another resolver found for ``ttl``
  seconds; ``fresh=True`` (after a signature failed, as atproto advises for a
  rotated key) asks the inner resolver again.

:func:`atproto_key` reads the ``#atproto`` verification method, as ``Multikey``
(``publicKeyMultibase`` = ``z`` + base58btc(multicodec prefix + compressed
point); ``0xe7 0x01`` secp256k1, ``0x80 0x24`` P-256) or as the legacy
``EcdsaSecp256k1VerificationKey2019`` / ``EcdsaSecp256r1VerificationKey2019``
types (no multicodec prefix).

>>> from cryptography.hazmat.primitives.asymmetric import ec
>>> key = ec.generate_private_key(ec.SECP256K1()).public_key()
>>> doc = did_document("did:plc:abc", key)
>>> atproto_key(doc, "did:plc:abc").curve.name
'secp256k1'
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.error import HTTPError, URLError

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from feedrank.errors import XrpcError
from feedrank.io.decoding import decode_json, read_text

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "CachingResolver",
    "DidResolver",
    "FileResolver",
    "NetworkResolver",
    "atproto_key",
    "b58decode",
    "b58encode",
    "did_document",
    "multikey",
]

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_PREFIXES: dict[bytes, ec.EllipticCurve] = {
    b"\xe7\x01": ec.SECP256K1(),
    b"\x80\x24": ec.SECP256R1(),
}
_LEGACY = {
    "EcdsaSecp256k1VerificationKey2019": ec.SECP256K1(),
    "EcdsaSecp256r1VerificationKey2019": ec.SECP256R1(),
}
MAX_DOCUMENT_BYTES = 64 << 10
_PLC = re.compile(r"did:plc:[a-z2-7]{24}")
_WEB_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(%3A[0-9]{1,5})?"
)
_IP_LITERAL = re.compile(r"[0-9.]+")


class DidResolver(Protocol):
    """Finds the DID document of a DID (None: no such DID)."""

    def resolve(self, did: str, *, fresh: bool = False) -> Mapping[str, Any] | None: ...


def _unauthorized(message: str, error: str = "BadJwt") -> XrpcError:
    return XrpcError(message, error=error, status=401)


def b58decode(text: str) -> bytes:
    """Base58btc (Bitcoin alphabet) to bytes."""
    number = 0
    for char in text:
        if char not in _B58_INDEX:
            raise ValueError(f"{char!r} is not a base58btc digit")
        number = number * 58 + _B58_INDEX[char]
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def b58encode(data: bytes) -> str:
    """Bytes to base58btc."""
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, digit = divmod(number, 58)
        out = _B58[digit] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def multikey(key: ec.EllipticCurvePublicKey) -> str:
    """The ``publicKeyMultibase`` of a secp256k1 or P-256 public key (Multikey)."""
    prefix = next(p for p, c in _PREFIXES.items() if c.name == key.curve.name)
    return "z" + b58encode(prefix + key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint))


def did_document(did: str, key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """A minimal atproto DID document for ``did`` whose ``#atproto`` key is ``key``."""
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": f"{did}#atproto",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": multikey(key),
            }
        ],
    }


def atproto_key(document: Mapping[str, Any], did: str) -> ec.EllipticCurvePublicKey:
    """The ``#atproto`` public key of ``did``'s document; XrpcError (401) if there is none
    or it cannot be read."""
    if document.get("id") != did:
        raise _unauthorized(f"the DID document of {did[:80]} names another DID")
    methods = document.get("verificationMethod")
    for method in methods if isinstance(methods, list) else []:
        if not isinstance(method, Mapping) or method.get("id") not in (
            "#atproto",
            f"{did}#atproto",
        ):
            continue
        encoded = method.get("publicKeyMultibase")
        kind = method.get("type")
        if not isinstance(encoded, str) or not encoded.startswith("z"):
            break
        try:
            raw = b58decode(encoded[1:])
            if kind == "Multikey":
                curve = _PREFIXES.get(raw[:2])
                raw = raw[2:]
            else:
                curve = _LEGACY.get(str(kind))
            if curve is None:
                break
            return ec.EllipticCurvePublicKey.from_encoded_point(curve, raw)
        except ValueError:
            break
    raise _unauthorized(f"the DID document of {did[:80]} has no readable #atproto key")


class FileResolver:
    """DID documents from a JSON file: a list of documents or ``{did: document}``."""

    def __init__(self, path: str | Path) -> None:
        text = read_text(Path(path), max_bytes=16 << 20, what="a file of DID documents")
        data = decode_json(text, source=str(path), expected="DID documents")
        docs = list(data.values()) if isinstance(data, dict) else data
        if not isinstance(docs, list) or not all(
            isinstance(d, dict) and isinstance(d.get("id"), str) for d in docs
        ):
            raise XrpcError(
                "not a file of DID documents",
                field="did_documents",
                expected='a JSON list of DID documents, or {"did": document}',
            )
        self._docs = {d["id"]: d for d in docs}

    def resolve(self, did: str, *, fresh: bool = False) -> Mapping[str, Any] | None:
        return self._docs.get(did)


Fetch = Callable[[str], bytes | None]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: a did:web host could point them anywhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _public_host(host: str) -> bool:
    """Whether every address ``host`` resolves to is a public (global) one."""
    try:
        infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_global for i in infos)


def _fetch(url: str, timeout: float = 3.0) -> bytes | None:
    """GET ``url`` (https only, a public host, no redirects), at most
    :data:`MAX_DOCUMENT_BYTES`; None on 404/410."""
    if not url.startswith("https://"):
        raise _unauthorized("DID documents are fetched over https only")
    host = urllib.parse.urlsplit(url).hostname or ""
    if not _public_host(host):
        raise _unauthorized("the issuer's DID host is not a public address")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            body: bytes = response.read(MAX_DOCUMENT_BYTES + 1)
    except HTTPError as err:
        if err.code in (404, 410):
            return None
        raise _unauthorized(f"could not resolve the issuer's DID (HTTP {err.code})") from None
    except (URLError, TimeoutError, OSError):
        raise _unauthorized("could not resolve the issuer's DID") from None
    if len(body) > MAX_DOCUMENT_BYTES:
        raise _unauthorized("the issuer's DID document is too large")
    return body


class NetworkResolver:
    """``did:plc`` through the PLC directory, ``did:web`` through its host."""

    def __init__(self, plc_directory: str = "https://plc.directory", fetch: Fetch = _fetch) -> None:
        self._plc = plc_directory.rstrip("/")
        self._fetch = fetch

    def url(self, did: str) -> str:
        """Where the document of ``did`` is read."""
        if did.startswith("did:plc:"):
            if not _PLC.fullmatch(did):
                raise _unauthorized("a did:plc is 24 base32 characters")
            return f"{self._plc}/{did}"
        if did.startswith("did:web:"):
            host = did.removeprefix("did:web:")
            if not _WEB_HOST.fullmatch(host) or _IP_LITERAL.fullmatch(host.split("%3A")[0]):
                raise _unauthorized("only host-level did:web DIDs of a domain name are supported")
            return f"https://{host.replace('%3A', ':')}/.well-known/did.json"
        raise _unauthorized(f"unsupported DID method in {did[:80]!r}")

    def resolve(self, did: str, *, fresh: bool = False) -> Mapping[str, Any] | None:
        body = self._fetch(self.url(did))
        if body is None:
            return None
        try:
            doc = json.loads(body)
        except ValueError:
            raise _unauthorized("the issuer's DID document is not JSON") from None
        return doc if isinstance(doc, dict) else None


class CachingResolver:
    """What ``inner`` resolved, kept ``ttl`` seconds (a DID that does not exist:
    ``missing_ttl``), at most ``max_entries`` DIDs. ``fresh=True`` asks ``inner``
    again only for an entry older than ``refresh_after`` seconds, so a stream of
    forged tokens naming one DID cannot make the service hammer its directory."""

    def __init__(
        self,
        inner: DidResolver,
        *,
        ttl: float = 3600.0,
        missing_ttl: float = 60.0,
        refresh_after: float = 60.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._ttl = ttl
        self._missing_ttl = missing_ttl
        self._refresh = refresh_after
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[float, Mapping[str, Any] | None]] = OrderedDict()
        self.misses = 0

    def resolve(self, did: str, *, fresh: bool = False) -> Mapping[str, Any] | None:
        now = self._clock()
        with self._lock:
            hit = self._cache.get(did)
            if hit is not None:
                age = now - hit[0]
                ttl = self._ttl if hit[1] is not None else self._missing_ttl
                if age < ttl and (not fresh or age < self._refresh):
                    self._cache.move_to_end(did)
                    return hit[1]
        self.misses += 1
        doc = self._inner.resolve(did, fresh=fresh)
        with self._lock:
            self._cache[did] = (now, doc)
            self._cache.move_to_end(did)
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return doc
