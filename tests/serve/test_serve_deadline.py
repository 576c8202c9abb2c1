"""Past ``--deadline-ms`` the service serves the declared fallback order and records it.

The server here has a deadline of 0 ms, so every ranking misses it: the fallback
is served deterministically (the input order for /rank, chronological for
/v1/rank and feeds), counted in /metrics and logged as the ranking of its spec.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from ranking_challenge.fake import fake_request
from ranking_challenge.response import RankingResponse

import feedrank as fr
import feedrank.audit as fa
from feedrank.adapters.atproto import post_view_to_post
from feedrank.serve.prc import INPUT_ORDER
from tests.serve._helpers import FEEDGEN, NOW, SERVICE, Keys, Server, feed_server

FEED = f"at://{SERVICE}/app.bsky.feed.generator/hot-for-you"
CHRONOLOGICAL = fr.preset("chronological").fingerprint


@pytest.fixture(scope="module")
def late(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[Server]:
    running = feed_server(tmp_path_factory.mktemp("late"), keys, "--deadline-ms", "0")
    yield running
    running.stop()


def _fallbacks(server: Server, route: str) -> float:
    with server.client() as http:
        for line in http.get("/metrics").text.splitlines():
            if line.startswith(f'feedrank_fallbacks_total{{route="{route}"}}'):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_prc_rank_falls_back_to_the_input_order(late: Server) -> None:
    request = fake_request(n_posts=10, n_comments=1, platform="facebook")
    before = _fallbacks(late, "/rank")
    with late.client() as http:
        answer = http.post("/rank", content=request.model_dump_json())
    assert answer.status_code == 200
    assert answer.headers["feedrank-fallback"] == "deadline"
    response = RankingResponse.model_validate(answer.json())
    assert response.ranked_ids == [item.id for item in request.items]
    assert _fallbacks(late, "/rank") == before + 1
    record = fa.read_log(late.tmp / "decisions.jsonl").records[-1]
    assert record.spec.fingerprint == INPUT_ORDER.fingerprint != fr.preset("balanced").fingerprint


def test_v1_rank_falls_back_to_chronological_and_logs_it(late: Server) -> None:
    lines = (FEEDGEN / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    posts = [post_view_to_post(json.loads(line)) for line in lines if line.strip()]
    body = {"posts": [p.model_dump(mode="json") for p in posts], "now": NOW, "limit": 5}
    with late.client() as http:
        answer = http.post("/v1/rank", json=body)
    assert answer.status_code == 200
    assert answer.headers["feedrank-fallback"] == "deadline"
    out = answer.json()
    assert out["spec"]["fingerprint"] == CHRONOLOGICAL
    newest = sorted(posts, key=lambda p: (-p.created_at.timestamp(), p.id))[:5]
    assert [i["post_id"] for i in out["items"]] == [p.id for p in newest]
    records = fa.read_log(late.tmp / "decisions.jsonl").records
    assert records[-1].spec.fingerprint == CHRONOLOGICAL


def test_feeds_fall_back_to_chronological_and_page_through_it(late: Server) -> None:
    before = _fallbacks(late, "/xrpc/app.bsky.feed.getFeedSkeleton")
    served: list[str] = []
    pages = 0
    params = {"feed": FEED, "limit": "9"}
    with late.client() as http:
        for _ in range(20):  # bounded: the seed has 40 posts
            answer = http.get(f"/xrpc/app.bsky.feed.getFeedSkeleton?{urlencode(params)}")
            assert answer.status_code == 200, answer.text
            pages += 1
            served += [item["post"] for item in answer.json()["feed"]]
            if "cursor" not in answer.json():
                break
            params["cursor"] = answer.json()["cursor"]
    assert len(served) == len(set(served))
    lines = (FEEDGEN / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    views = [post_view_to_post(json.loads(line)) for line in lines if line.strip()]
    times = {p.id: p.created_at for p in views}
    assert sorted(served) == sorted(times)  # every post in the window (48 h), once
    assert [times[p] for p in served] == sorted((times[p] for p in served), reverse=True)
    # the first page missed the deadline; later pages continue the fallback feed
    assert _fallbacks(late, "/xrpc/app.bsky.feed.getFeedSkeleton") == before + 1
    records = fa.read_log(late.tmp / "decisions.jsonl").records
    assert pages > 1
    assert {r.spec.fingerprint for r in records[-pages:]} == {CHRONOLOGICAL}


def test_the_log_of_fallbacks_replays(late: Server) -> None:
    data_key = bytes.fromhex(Path(late.tmp / "audit.data-key").read_text().strip())
    report = fa.replay(late.tmp / "decisions.jsonl", data_key=data_key)
    assert report.ok, report.summary()


def test_shutdown_is_clean(late: Server) -> None:
    # Runs last in this module (file order): stops its server.
    status, output = late.stop()
    assert status == 0, output
    assert "on http://127.0.0.1:" in output
    assert output.rstrip().endswith("feedrank serve: stopped")
