"""The Bluesky feed generator over real HTTP: service auth (every rejection case),
signed cursors, feedback, the SQLite lock, slow clients and the decision log."""

from __future__ import annotations

import base64
import json
import socket
import sqlite3
from typing import Any
from urllib.parse import urlencode

import httpx
from cryptography.hazmat.primitives.asymmetric import ec

import feedrank.audit as fa
from feedrank.engine.cursor import Cursor
from feedrank.serve import sign_service_jwt
from tests.serve._helpers import ALICE, BOB, MALLORY, NOW_TS, SERVICE, Keys, Server

FEED = f"at://{SERVICE}/app.bsky.feed.generator/hot-for-you"
SKELETON = "/xrpc/app.bsky.feed.getFeedSkeleton"
SEND = "/xrpc/app.bsky.feed.sendInteractions"
GET_METHOD = "app.bsky.feed.getFeedSkeleton"
SEND_METHOD = "app.bsky.feed.sendInteractions"
N_SECP256K1 = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def skeleton(http: httpx.Client, token: str | None = None, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http.get(f"{SKELETON}?{urlencode({'feed': FEED, **params})}", headers=headers)


def page_all(http: httpx.Client, token: str | None = None, limit: int = 7) -> list[str]:
    served: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    for _ in range(100):  # bounded: the seed has 40 posts
        answer = skeleton(http, token, **params)
        assert answer.status_code == 200, answer.text
        served += [item["post"] for item in answer.json()["feed"]]
        cursor = answer.json().get("cursor")
        if cursor is None:
            return served
        params["cursor"] = cursor
    raise AssertionError("the feed never ended")


def test_describe_and_did_document(server: Server) -> None:
    with server.client() as http:
        described = http.get("/xrpc/app.bsky.feed.describeFeedGenerator").json()
        doc = http.get("/.well-known/did.json").json()
    assert described == {"did": SERVICE, "feeds": [{"uri": FEED}]}
    assert doc["id"] == SERVICE
    assert doc["service"] == [
        {"id": "#bsky_fg", "type": "BskyFeedGenerator", "serviceEndpoint": server.url}
    ]


def test_paging_has_no_repeats_and_no_gaps_for_verified_viewers(server: Server, keys: Keys) -> None:
    with server.client() as http:
        whole = [i["post"] for i in skeleton(http, limit=100).json()["feed"]]
        assert len(whole) > 7
        assert page_all(http) == whole
        for who in (ALICE, BOB):  # ES256K and ES256
            assert page_all(http, keys.token(who)) == whole  # no feedback yet: same feed


def _forged_tokens(keys: Keys) -> dict[str, tuple[str, str]]:
    """Name → (token, the XRPC error it must get), for getFeedSkeleton."""
    claims = {"iss": ALICE, "aud": SERVICE, "exp": NOW_TS + 300, "lxm": GET_METHOD}
    good = keys.token(ALICE)
    head, body, sig = good.split(".")
    raw = unb64(sig)
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    high_s = b64(r.to_bytes(32, "big") + (N_SECP256K1 - s).to_bytes(32, "big"))
    none_head = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    hs_head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    other = ec.generate_private_key(ec.SECP256K1())
    tampered = b64(json.dumps({**claims, "iss": BOB}).encode())
    return {
        "unsigned, alg none": (f"{none_head}.{body}.", "BadJwt"),
        "alg none with a signature": (f"{none_head}.{body}.{sig}", "BadJwt"),
        "alg HS256": (f"{hs_head}.{body}.{sig}", "BadJwt"),
        "forged: signed by a key not in the DID document": (
            sign_service_jwt(claims, other),
            "BadJwtSignature",
        ),
        "another account's iss, signed by alice": (
            keys.token(BOB, key=keys.alice),
            "BadJwtSignature",
        ),
        "payload changed after signing": (f"{head}.{tampered}.{sig}", "BadJwtSignature"),
        "high-S signature": (f"{head}.{body}.{high_s}", "BadJwtSignature"),
        "ES256 header on a secp256k1 signature": (
            sign_service_jwt(claims, keys.alice, alg="ES256"),
            "BadJwtSignature",
        ),
        "truncated signature": (f"{head}.{body}.{b64(raw[:40])}", "BadJwtSignature"),
        "issuer without a DID document": (
            keys.token(MALLORY, key=keys.alice),
            "BadJwtSignature",
        ),
        "expired": (keys.token(exp=NOW_TS - 1), "JwtExpired"),
        "expiring now": (keys.token(exp=NOW_TS), "JwtExpired"),
        "no exp": (keys.token(exp=None), "JwtExpired"),
        "wrong audience": (keys.token(aud="did:web:other.example"), "BadJwtAudience"),
        "no audience": (keys.token(aud=None), "BadJwtAudience"),
        "wrong method": (keys.token(method=SEND_METHOD), "BadJwtLexiconMethod"),
        "no method": (keys.token(method=None), "BadJwtLexiconMethod"),
        "issued in the future": (keys.token(iat=NOW_TS + 3600), "BadJwt"),
        "not a JWT": ("abc.def", "BadJwt"),
        "no issuer": (keys.token(iss=None), "BadJwt"),
    }


def test_every_bad_token_gets_401_in_the_xrpc_error_shape(server: Server, keys: Keys) -> None:
    cases = _forged_tokens(keys)
    with server.client() as http:
        for name, (token, error) in cases.items():
            answer = skeleton(http, token, limit=3)
            assert answer.status_code == 401, name
            assert set(answer.json()) == {"error", "message"}, name
            assert answer.json()["error"] == error, name
        for header in ("Basic YWxpY2U6c2VjcmV0", "Bearer", "Token abc.def.ghi"):
            answer = http.get(f"{SKELETON}?feed={FEED}", headers={"Authorization": header})
            assert answer.status_code == 401, header
            assert answer.json()["error"] == "AuthenticationRequired"


def _stored(server: Server, viewer: str) -> int:
    with sqlite3.connect(server.tmp / "feed.sqlite") as db:
        query = "SELECT count(*) FROM interactions WHERE viewer = ?"
        (n,) = db.execute(query, (viewer,)).fetchone()
    return int(n)


def test_send_interactions_refuses_every_bad_token_and_stores_nothing(
    server: Server, keys: Keys
) -> None:
    with server.client() as http:
        top = skeleton(http, limit=1).json()["feed"][0]["post"]
        body = {"interactions": [{"item": top, "event": "app.bsky.feed.defs#requestLess"}]}
        bad = {
            "no token": None,
            "as bob, signed by alice": keys.token(BOB, SEND_METHOD, key=keys.alice),
            "alg none": ".".join(
                [b64(b'{"alg":"none"}'), keys.token(BOB, SEND_METHOD).split(".")[1], ""]
            ),
            "expired": keys.token(BOB, SEND_METHOD, exp=NOW_TS - 60),
            "wrong audience": keys.token(BOB, SEND_METHOD, aud="did:web:evil.example"),
            "getFeedSkeleton's token": keys.token(BOB, GET_METHOD),
        }
        for name, token in bad.items():
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            answer = http.post(SEND, json=body, headers=headers)
            assert answer.status_code == 401, name
            assert set(answer.json()) == {"error", "message"}, name
        assert _stored(server, BOB) == 0
        auth = {"Authorization": "Bearer " + keys.token(BOB, SEND_METHOD)}
        for wrong in ({"interactions": "x"}, [], {"interactions": [{"item": "http://x"}]}):
            answer = http.post(SEND, json=wrong, headers=auth)
            assert answer.status_code == 400, wrong
            assert answer.json()["error"] == "InvalidRequest"
        assert _stored(server, BOB) == 0


def test_feedback_of_a_verified_viewer_changes_their_next_ranking(
    server: Server, keys: Keys
) -> None:
    with server.client() as http:
        before = [i["post"] for i in skeleton(http, keys.token(BOB), limit=100).json()["feed"]]
        top = before[0]
        author = top.split("/")[2]
        body = {"interactions": [{"item": top, "event": "app.bsky.feed.defs#requestLess"}]}
        answer = http.post(
            SEND, json=body, headers={"Authorization": "Bearer " + keys.token(BOB, SEND_METHOD)}
        )
        assert answer.status_code == 200, answer.text
        after = [i["post"] for i in skeleton(http, keys.token(BOB), limit=100).json()["feed"]]
        others = [i["post"] for i in skeleton(http, keys.token(ALICE), limit=100).json()["feed"]]
    assert [p for p in after if p.split("/")[2] == author] == []  # see_fewer: author hidden
    assert after == [p for p in before if p.split("/")[2] != author]
    assert others == before  # only bob's feed changed


def test_cursors_cannot_be_forged_or_moved_to_another_viewer(server: Server, keys: Keys) -> None:
    with server.client() as http:
        first = skeleton(http, keys.token(ALICE), limit=3).json()
        signed = first["cursor"]
        inner, _, tag = signed.rpartition(".")
        original = Cursor.decode(inner)
        moved = Cursor(
            original.fingerprint,
            original.now - 86_400_000_000,
            original.tier,
            original.score,
            original.created_at,
            original.post_id,
        ).encode()
        bad = {
            "unsigned": inner,
            "chosen now, old tag": f"{moved}.{tag}",
            "tag changed": f"{inner}.{'B' if tag[0] == 'A' else 'A'}{tag[1:]}",
            "other viewer's cursor": signed,
        }
        for name, cursor in bad.items():
            token = keys.token(BOB) if name == "other viewer's cursor" else keys.token(ALICE)
            answer = skeleton(http, token, limit=3, cursor=cursor)
            assert answer.status_code == 400, name
            assert answer.json()["error"] == "InvalidRequest", name
            assert "cursor" in answer.json()["message"], name
        anonymous = skeleton(http, None, limit=3, cursor=signed)
        assert anonymous.status_code == 400
        ok = skeleton(http, keys.token(ALICE), limit=3, cursor=signed)
        assert ok.status_code == 200


def test_a_held_lock_gives_503_and_the_next_request_succeeds(server: Server, keys: Keys) -> None:
    auth = {"Authorization": "Bearer " + keys.token(ALICE, SEND_METHOD)}
    body = {"interactions": [{"item": "at://did:plc:x/app.bsky.feed.post/1", "event": "e"}]}
    held = sqlite3.connect(server.tmp / "feed.sqlite", isolation_level=None)
    try:
        with server.client() as http:
            before = _stored(server, ALICE)
            held.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
            answer = http.post(SEND, json=body, headers=auth)
            assert answer.status_code == 503
            assert answer.headers["retry-after"] == "1"
            assert answer.json()["error"] == "StoreBusy"
            held.execute("ROLLBACK")
            for _ in range(3):  # no transaction was left open by the failed write
                assert http.post(SEND, json=body, headers=auth).status_code == 200
            assert _stored(server, ALICE) == before + 3
            assert skeleton(http, keys.token(ALICE), limit=2).status_code == 200
    finally:
        held.close()


def test_a_slow_client_does_not_block_others(server: Server) -> None:
    slow_head = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    slow_body = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    try:
        slow_head.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        slow_body.sendall(
            b"POST /v1/rank HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"posts": ['
        )
        with server.client() as http:
            for _ in range(5):
                assert http.get("/healthz").status_code == 200
                assert skeleton(http, limit=2).status_code == 200
        # the server closes the connection whose headers never end (header timeout)
        assert slow_head.recv(1024) == b""
    finally:
        slow_head.close()
        slow_body.close()


def test_every_served_feed_is_in_a_verifiable_decision_log(server: Server) -> None:
    with server.client() as http:
        served = skeleton(http, limit=3).json()
    records = fa.read_log(server.tmp / "decisions.jsonl")
    assert records.report.ok
    assert served["reqId"] in {r.request_id for r in records.records}


def test_oversized_request_heads_are_refused(server: Server) -> None:
    with server.client() as http:
        answer = http.get("/healthz", headers={"X-Padding": "a" * 20_000})
        assert answer.status_code == 431
        assert http.get("/healthz").status_code == 200
