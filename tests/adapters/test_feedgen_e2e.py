"""End to end: the example feed generator as a subprocess on a free loopback port.

Pages through a feed until the end, checks describeFeedGenerator, the XRPC
error shape of bad requests, that sendInteractions changes the viewer's next
ranking, the algorithm card, the decision log and a clean shutdown. Only
127.0.0.1 is contacted (http.client, so no proxy settings apply).
"""

from __future__ import annotations

import base64
import http.client
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

import feedrank as fr
import feedrank.audit as fa
from feedrank.adapters.atproto import EVENT_PREFIX, parse_feed_context

ROOT = Path(__file__).resolve().parent.parent.parent
FEEDGEN = ROOT / "examples" / "feedgen"
SPEC = FEEDGEN / "hot_for_you.toml"
NOW = "2026-03-01T12:00:00+00:00"
SERVICE = "did:web:localhost"
FEED = f"at://{SERVICE}/app.bsky.feed.generator/hot-for-you"
START_TIMEOUT = 300.0
"""Seconds before a server that never starts counts as hung (a hang guard, not a speed check)."""


@dataclass
class Server:
    proc: subprocess.Popen[str]
    port: int
    log: Path
    served: int = 0  # getFeedSkeleton requests answered with 200

    def request(
        self,
        method: str,
        path: str,
        body: object | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            data = None if body is None else json.dumps(body).encode()
            sent = dict(headers or {})
            if data is not None:
                sent["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            return response.status, response.getheader("Content-Type") or "", response.read()
        finally:
            conn.close()

    def skeleton(self, viewer: str | None = None, **params: Any) -> tuple[int, dict[str, Any]]:
        query = urlencode({"feed": FEED, **params})
        headers = {"Authorization": f"Bearer {token(viewer)}"} if viewer else None
        status, kind, raw = self.request(
            "GET", f"/xrpc/app.bsky.feed.getFeedSkeleton?{query}", headers=headers
        )
        assert kind.startswith("application/json")
        if status == 200:
            self.served += 1
        return status, json.loads(raw)

    def page_all(self, viewer: str | None = None, limit: int = 7) -> list[str]:
        served: list[str] = []
        cursor: str | None = None
        for _ in range(100):  # bounded: the seed has 40 posts
            params: dict[str, Any] = {"limit": limit}
            if cursor is not None:
                params["cursor"] = cursor
            status, out = self.skeleton(viewer, **params)
            assert status == 200, out
            assert len(out["feed"]) <= limit
            served += [item["post"] for item in out["feed"]]
            cursor = out.get("cursor")
            if cursor is None:
                return served
        raise AssertionError("the feed never ended")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(viewer: str | None, aud: str = SERVICE) -> str:
    """A service-auth-shaped JWT (the demo server does not check signatures)."""
    header = b64(json.dumps({"alg": "ES256K", "typ": "JWT"}).encode())
    claims = {"iss": viewer, "aud": aud, "exp": 1_900_000_000, "lxm": "app.bsky.feed.x"}
    return f"{header}.{b64(json.dumps(claims).encode())}.{b64(b'not-a-signature')}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("feedgen")
    ready = tmp / "port"
    log = tmp / "decisions.jsonl"
    args = [
        sys.executable,
        str(FEEDGEN / "server.py"),
        "--db", str(tmp / "feed.sqlite"),
        "--spec", str(SPEC),
        "--seed-posts", str(FEEDGEN / "posts.jsonl"),
        "--port", "0",
        "--ready-file", str(ready),
        "--audit-log", str(log),
        "--fsync", "never",
        "--now", NOW,
    ]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + START_TIMEOUT
    while not ready.exists():
        if proc.poll() is not None:
            pytest.fail(f"the server exited early: {proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait(5)
            pytest.fail("the server did not start in time")
        time.sleep(0.05)
    running = Server(proc, int(ready.read_text()), log)
    yield running
    if proc.poll() is None:
        proc.kill()
        proc.wait(5)


def test_describe_feed_generator(server: Server) -> None:
    status, kind, raw = server.request("GET", "/xrpc/app.bsky.feed.describeFeedGenerator")
    assert (status, kind) == (200, "application/json; charset=utf-8")
    assert json.loads(raw) == {"did": SERVICE, "feeds": [{"uri": FEED}]}
    status, _, raw = server.request("GET", "/.well-known/did.json")
    assert status == 200
    assert json.loads(raw)["service"][0]["type"] == "BskyFeedGenerator"


def test_paging_to_the_end_has_no_repeats_and_no_gaps(server: Server) -> None:
    status, whole = server.skeleton(limit=100)
    assert status == 200
    everything = [item["post"] for item in whole["feed"]]
    assert "cursor" not in whole
    assert 20 < len(everything) < 40  # replies, labelled and old posts are filtered out
    paged = server.page_all(limit=7)
    assert len(paged) == len(set(paged))
    assert paged == everything
    assert server.page_all(limit=1) == everything
    status, first = server.skeleton(limit=3)
    contexts = [parse_feed_context(item["feedContext"]) for item in first["feed"]]
    assert [c.rank for c in contexts if c] == [1, 2, 3]
    assert len(first["reqId"]) == 32


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"limit": "0"}, "InvalidRequest"),
        ({"limit": "101"}, "InvalidRequest"),
        ({"limit": "x"}, "InvalidRequest"),
        ({"cursor": "garbage"}, "InvalidRequest"),
        ({"cursor": "W1siYSJd"}, "InvalidRequest"),
        ({"feed": "at://did:web:elsewhere/app.bsky.feed.generator/hot"}, "UnknownFeed"),
    ],
)
def test_bad_requests_get_the_xrpc_error_shape(
    server: Server, params: dict[str, str], error: str
) -> None:
    status, out = server.skeleton(**params)
    assert status == 400
    assert set(out) == {"error", "message"}
    assert out["error"] == error
    assert out["message"]


def test_cursors_of_another_spec_or_moment_are_refused(server: Server) -> None:
    status, page = server.skeleton(limit=2)
    good = fr.Cursor.decode(page["cursor"])
    other_spec = fr.Cursor("0" * 64, good.now, good.tier, good.score, good.created_at, "x")
    status, out = server.skeleton(cursor=other_spec.encode())
    assert (status, out["error"]) == (400, "InvalidRequest")
    assert "another ranking spec" in out["message"]
    missing_feed = server.request("GET", "/xrpc/app.bsky.feed.getFeedSkeleton?limit=5")
    assert missing_feed[0] == 400
    assert json.loads(missing_feed[2])["error"] == "InvalidRequest"


def test_send_interactions_changes_the_next_ranking(server: Server) -> None:
    viewer = "did:plc:e2etester000000000000001"
    before = server.page_all(viewer, limit=50)
    assert before == server.page_all(None, limit=50)  # no feedback yet: the global feed
    top, middle = before[0], before[len(before) // 2]
    body = {
        "interactions": [
            {"item": top, "event": EVENT_PREFIX + "requestLess", "feedContext": "fr1:ab:1:likes"},
            {"item": middle, "event": EVENT_PREFIX + "requestMore"},
            {"item": middle, "event": EVENT_PREFIX + "interactionSeen"},
            {"item": middle, "event": EVENT_PREFIX + "somethingNew"},
        ]
    }
    auth = {"Authorization": f"Bearer {token(viewer)}"}
    status, _, raw = server.request(
        "POST", "/xrpc/app.bsky.feed.sendInteractions", body, headers=auth
    )
    assert (status, json.loads(raw)) == (200, {})
    after = server.page_all(viewer, limit=50)
    top_author = top.split("/")[2]
    assert top not in after
    assert not [uri for uri in after if uri.split("/")[2] == top_author]  # see_fewer: 14 days
    assert after.index(middle) < before.index(middle)  # requestMore: affinity
    assert server.page_all(None, limit=50) == before  # other viewers are unaffected


def test_send_interactions_refuses_bad_requests(server: Server) -> None:
    path = "/xrpc/app.bsky.feed.sendInteractions"
    body = {"interactions": [{"item": "at://did:plc:a/app.bsky.feed.post/1", "event": "x"}]}
    status, _, raw = server.request("POST", path, body)
    assert status == 401
    assert json.loads(raw)["error"] == "AuthenticationRequired"
    wrong_aud = {"Authorization": f"Bearer {token('did:plc:x', aud='did:web:other')}"}
    assert server.request("POST", path, body, headers=wrong_aud)[0] == 401
    auth = {"Authorization": f"Bearer {token('did:plc:x')}"}
    for bad in ({"interactions": "all"}, {"interactions": [{"item": "nope"}]}, [1]):
        status, _, raw = server.request("POST", path, bad, headers=auth)
        assert status == 400
        assert json.loads(raw)["error"] == "InvalidRequest"
    status, _, raw = server.request("GET", path)
    assert status == 405
    status, _, raw = server.request("GET", "/xrpc/app.bsky.feed.getTimeline")
    assert (status, json.loads(raw)["error"]) == (501, "MethodNotImplemented")


def test_algorithm_card(server: Server) -> None:
    status, kind, raw = server.request("GET", "/card")
    assert status == 200
    assert kind.startswith("text/html")
    page = raw.decode()
    assert "hot-for-you" in page
    assert fr.load_spec(SPEC).fingerprint in page
    status, kind, raw = server.request("GET", "/card.md")
    assert status == 200
    assert raw.decode().startswith("# How “hot-for-you” ranks your feed")


def test_shutdown_is_clean_and_every_request_was_logged(server: Server) -> None:
    # Runs last (file order): stops the server.
    server.proc.send_signal(signal.SIGTERM)
    out, err = server.proc.communicate(timeout=120)  # a hang guard, not a speed check
    assert server.proc.returncode == 0, err
    assert "on http://127.0.0.1:" in out
    assert out.rstrip().endswith("feedgen: stopped")
    report = fa.verify(server.log)
    assert report.ok, report.summary()
    assert report.valid == server.served > 0
    records = fa.read_log(server.log).records
    assert {r.spec.fingerprint for r in records} == {fr.load_spec(SPEC).fingerprint}
    assert any(r.is_sealed for r in records)  # requests made for a viewer are sealed
    data_key_file = server.log.with_name(server.log.name + ".data-key")
    assert data_key_file.stat().st_mode & 0o777 == 0o600
    data_key = bytes.fromhex(data_key_file.read_text())
    assert fa.replay(server.log, data_key=data_key).ok
    assert not fa.replay(server.log).ok  # without the data key the seals stay shut
