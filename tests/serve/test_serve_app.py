"""The ASGI application in process: a body that never finishes, the metrics text, the
configuration without a feed."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from feedrank import load_spec, preset
from feedrank.audit import DecisionLog, read_log
from feedrank.cli import main
from feedrank.serve import Metrics, ServeConfig, create_app, parse_prc_request
from tests.serve._helpers import ROOT


async def _call(
    app: Any, method: str, path: str, chunks: list[bytes], hang: bool
) -> tuple[int, Any]:
    """Send a request whose body arrives as ``chunks`` (then, if ``hang``, never ends)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
    }
    pending = list(chunks)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return {"type": "http.request", "body": pending.pop(0), "more_body": True}
        if hang:
            await asyncio.Event().wait()
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body)


def test_a_body_that_never_ends_gets_408() -> None:
    app = create_app(ServeConfig(preset("chronological"), body_timeout_s=0.05))
    status, body = asyncio.run(_call(app, "POST", "/v1/rank", [b'{"posts": ['], hang=True))
    assert status == 408
    assert body["error"] == "RequestTimeout"
    status, body = asyncio.run(_call(app, "POST", "/v1/rank", [b'{"posts": []}'], hang=False))
    assert status == 422  # no now: the body itself was read
    assert body["field"] == "now"


def test_a_decision_log_that_cannot_be_written_gives_503(tmp_path: Path) -> None:
    key, data_key = secrets.token_bytes(32), secrets.token_bytes(32)
    log = DecisionLog(tmp_path / "d.jsonl", key=key, data_key=data_key, fsync="never")
    app = create_app(ServeConfig(preset("chronological"), log=log))
    body = {
        "posts": [{"id": "p", "author_id": "a", "created_at": "2026-03-01T10:00:00Z"}],
        "viewer": {"id": "v"},
        "now": "2026-03-01T12:00:00Z",
    }
    raw = json.dumps(body).encode()
    assert asyncio.run(_call(app, "POST", "/v1/rank", [raw], hang=False))[0] == 200
    with (tmp_path / "d.jsonl").open("ab") as fh:
        fh.write(b'{"torn')  # a torn tail: appending would hide the damage
    status, answer = asyncio.run(_call(app, "POST", "/v1/rank", [raw], hang=False))
    assert status == 503
    assert answer["error"] == "DecisionLogUnavailable"
    log.close()


def test_a_deadline_that_is_met_serves_the_ranker_and_logs_it(tmp_path: Path) -> None:
    key, data_key = secrets.token_bytes(32), secrets.token_bytes(32)
    log = DecisionLog(tmp_path / "d.jsonl", key=key, data_key=data_key, fsync="never")
    pipeline = load_spec(ROOT / "examples" / "feedgen" / "hot_for_you.toml")
    app = create_app(ServeConfig(pipeline, log=log, deadline_ms=600_000))
    body = json.loads((ROOT / "examples" / "serve" / "prc_request.json").read_text())
    status, answer = asyncio.run(_call(app, "POST", "/rank", [json.dumps(body).encode()], False))
    req, ids = parse_prc_request(body, pipeline)
    assert status == 200
    assert answer["ranked_ids"] == pipeline.rank(req.batch, req.ctx, limit=len(ids)).post_ids
    assert len(answer["ranked_ids"]) == 2  # the comment is removed
    records = read_log(tmp_path / "d.jsonl").records
    assert [r.spec.fingerprint for r in records] == [pipeline.fingerprint]
    log.close()


def test_without_a_feed_the_bluesky_methods_are_not_implemented() -> None:
    app = create_app(ServeConfig(preset("chronological")))
    for path in ("/xrpc/app.bsky.feed.describeFeedGenerator", "/.well-known/did.json"):
        status, body = asyncio.run(_call(app, "GET", path, [], hang=False))
        assert status == 501, path
        assert body["error"] == "MethodNotImplemented"


def test_metrics_escape_labels_and_keep_buckets_cumulative() -> None:
    metrics = Metrics()
    for seconds in (0.0005, 0.003, 0.003, 0.2, 30.0):
        metrics.observe('/a"b', 200, seconds)
    metrics.error("/x", "Bad\nName")
    text = metrics.render()
    assert 'route="/a\\"b"' in text
    assert 'error="Bad\\nName"' in text
    counts = [
        int(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("feedrank_request_seconds_bucket")
    ]
    assert counts[0] == 1  # <= 1 ms
    assert counts == sorted(counts)
    assert counts[-1] == 5  # +Inf holds every observation, 30 s included
    assert counts[-2] == 4  # <= 10 s


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--deadline-ms", "-1"], "--deadline-ms"),
        (["--audit-log", "d.jsonl", "--audit-key", secrets.token_hex(32)], "--audit-data-key-file"),
    ],
)
def test_serve_refuses_bad_options_before_it_listens(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    field: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FEEDRANK_AUDIT_DATA_KEY", raising=False)
    assert main(["serve", "--spec", "chronological", *args]) == 2
    assert field in capsys.readouterr().err
