"""The service over real HTTP: /v1/rank, /rank (Prosocial Ranking Challenge), /spec,
/card, /healthz, /metrics, bounded bodies and the error shapes."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from ranking_challenge.fake import fake_request
from ranking_challenge.response import RankingResponse

import feedrank as fr
import feedrank.audit as fa
from feedrank.adapters.atproto import post_view_to_post
from feedrank.cli import main
from feedrank.serve import parse_prc_request
from tests.serve._helpers import FEEDGEN, NOW, Server

SPEC = FEEDGEN / "hot_for_you.toml"


def _records(tmp: Path) -> dict[str, Any]:
    """A request from the example's post views, a viewer and two interactions."""
    lines = (FEEDGEN / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    posts = [post_view_to_post(json.loads(line)) for line in lines if line.strip()]
    first, second = posts[0], posts[3]
    body: dict[str, Any] = {
        "posts": [p.model_dump(mode="json", exclude_defaults=True) for p in posts],
        "viewer": {"id": "did:plc:viewer", "follows": [second.author_id]},
        "interactions": [
            {"viewer_id": "did:plc:viewer", "post_id": first.id, "kind": "like", "at": NOW},
            {"viewer_id": "did:plc:viewer", "post_id": second.id, "kind": "hide", "at": NOW},
        ],
        "now": NOW,
        "limit": 7,
    }
    for name in ("posts", "interactions"):
        (tmp / f"{name}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in body[name]), encoding="utf-8"
        )
    (tmp / "viewer.json").write_text(json.dumps(body["viewer"]), encoding="utf-8")
    return body


def _cli_json(tmp: Path, *extra: str) -> Any:
    out = io.StringIO()
    argv = [
        "rank", "--spec", str(SPEC), "--posts", str(tmp / "posts.jsonl"),
        "--viewer", str(tmp / "viewer.json"), "--interactions", str(tmp / "interactions.jsonl"),
        "--now", NOW, "--limit", "7", "--format", "json", *extra,
    ]  # fmt: skip
    assert main(argv, out=out) == 0
    return json.loads(out.getvalue())


def test_v1_rank_answers_what_the_rank_command_prints(server: Server, tmp_path: Path) -> None:
    body = _records(tmp_path)
    with server.client() as http:
        answer = http.post("/v1/rank", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.json() == _cli_json(tmp_path)
        assert answer.json()["removed_counts"]  # the 24-hour window removes old posts
        every = http.post("/v1/rank", json={**body, "removed": "all", "moves": "all"})
        assert every.json() == _cli_json(tmp_path, "--removed", "all", "--moves", "all")
        cursor = answer.json()["next_cursor"]
        assert cursor is not None
        nxt = http.post("/v1/rank", json={**body, "cursor": cursor})
        served = [i["post_id"] for i in answer.json()["items"] + nxt.json()["items"]]
        assert len(served) == len(set(served)) == 7 + len(nxt.json()["items"])


def test_v1_rank_honours_the_viewers_choice_and_logs_it(server: Server, tmp_path: Path) -> None:
    body = {**_records(tmp_path), "choice": {"alternative": "chronological"}}
    with server.client() as http:
        answer = http.post("/v1/rank", json=body)
        assert answer.status_code == 200, answer.text
        unknown = http.post("/v1/rank", json={**body, "choice": {"settings": {"loud": 1}}})
    assert answer.json() == _cli_json(tmp_path, "--choose", "chronological")
    choice = answer.json()["choice"]
    assert choice["published"]["fingerprint"] == fr.load_spec(SPEC).fingerprint
    assert choice["effective"] == fr.preset("chronological").fingerprint
    assert choice["alternative"] == "chronological"
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "choice.settings.loud"
    # the record of the request names the overlay, and the log replays with it
    data_key = bytes.fromhex((server.tmp / "audit.data-key").read_text().strip())
    records = fa.read_log(server.tmp / "decisions.jsonl").records
    chosen = [r for r in records if r.choice is not None]
    assert chosen
    assert chosen[-1].choice.alternative == "chronological"
    assert chosen[-1].spec.fingerprint == fr.preset("chronological").fingerprint
    report = fa.replay(server.tmp / "decisions.jsonl", data_key=data_key)
    assert report.ok, report.summary()


@pytest.mark.parametrize(
    ("change", "status", "field", "post_id"),
    [
        ({"posts": [{"id": "p1", "author_id": "a", "created_at": "2026-03-01T10:00:00"}]},
         422, "posts[0].created_at", "p1"),
        ({"posts": [{"id": "p1", "author_id": "a", "created_at": NOW, "counts": {"like": -1}}]},
         422, "posts[0].counts.like", "p1"),
        ({"posts": {"id": "p1"}}, 422, "posts", None),
        ({"now": None}, 422, "now", None),
        ({"now": "yesterday"}, 422, "now", None),
        ({"limit": "5"}, 422, "limit", None),
        ({"choice": "calm"}, 422, "choice", None),
        ({"viewer": {"id": "v", "follows": 3}}, 422, "viewer.follows", "v"),
        ({"interactions": [{"viewer_id": "v", "post_id": "p", "kind": "glare", "at": NOW}]},
         422, "interactions[0].kind", "p"),
        ({"cursor": "not-a-cursor"}, 422, "cursor", None),
    ],
)  # fmt: skip
def test_v1_rank_errors_name_the_field_and_the_record(
    server: Server, tmp_path: Path, change: dict[str, Any], status: int, field: str, post_id: str
) -> None:
    body = {**_records(tmp_path), **change}
    body = {k: v for k, v in body.items() if v is not None}
    with server.client() as http:
        answer = http.post("/v1/rank", json=body)
    assert answer.status_code == status, answer.text
    problem = answer.json()
    assert problem["field"] == field
    assert problem["post_id"] == post_id
    assert field in problem["message"]


def test_bodies_that_are_not_json_or_too_large_are_refused(server: Server) -> None:
    with server.client() as http:
        for raw in (b"{", b'{"posts": [], "posts": []}', b"\xff\xfe"):
            answer = http.post("/v1/rank", content=raw)
            assert answer.status_code == 400, raw
            assert answer.json()["error"] == "InvalidRequest"
        huge = b'{"posts": [' + b" " * 4_000_000 + b"]}"
        for path in ("/v1/rank", "/rank", "/xrpc/app.bsky.feed.sendInteractions"):
            answer = http.post(path, content=huge)
            assert answer.status_code == 413, path
            assert answer.json()["error"] == "PayloadTooLarge"

        def chunks() -> Any:  # no Content-Length: the limit holds while reading
            yield b'{"posts": ['
            for _ in range(500):
                yield b" " * 10_000
            yield b"]}"

        assert http.post("/v1/rank", content=chunks()).status_code == 413
        assert http.get("/healthz").status_code == 200  # the service is still there


@pytest.mark.parametrize("platform", ["facebook", "reddit", "twitter"])
def test_prc_rank_answers_the_challenge_response_in_the_rankers_order(
    server: Server, platform: str
) -> None:
    request = fake_request(n_posts=20, n_comments=2, platform=platform)
    body = json.loads(request.model_dump_json())
    with server.client() as http:
        answer = http.post("/rank", json=body)
    assert answer.status_code == 200, answer.text
    response = RankingResponse.model_validate(answer.json())
    # the ranker's own order, computed here from the same request
    pipeline = fr.load_spec(SPEC)
    req, ids = parse_prc_request(body, pipeline)
    expected = pipeline.rank(req.batch, req.ctx, limit=len(ids))
    assert response.ranked_ids == expected.post_ids
    # hot-for-you keeps top-level posts: every comment is removed, with its reason
    posts = [i.id for i in request.items if i.type == "post"]
    assert sorted(response.ranked_ids) == sorted(posts)
    assert expected.removal_counts() == {"reply": len(request.items) - len(posts)}


def test_prc_removals_keep_their_reasons_in_the_decision_log(server: Server) -> None:
    request = fake_request(n_posts=3, n_comments=1, platform="twitter")
    with server.client() as http:
        assert http.post("/rank", content=request.model_dump_json()).status_code == 200
    data_key = bytes.fromhex((server.tmp / "audit.data-key").read_text().strip())
    records = fa.read_log(server.tmp / "decisions.jsonl").records
    comments = {i.id for i in request.items if i.type == "comment"}
    opened = [r.unseal(data_key) for r in records]
    mine = [r for r in opened if set(r.batch().ids.tolist()) == {i.id for i in request.items}]
    assert len(mine) == 1
    assert mine[0].outputs is not None
    assert mine[0].outputs.removed.reasons == ["reply"] * len(comments)


def test_prc_bad_requests_name_the_field_and_the_item(server: Server) -> None:
    body = json.loads(fake_request(n_posts=3, platform="reddit").model_dump_json())
    bad_id = body["items"][1]["id"]
    del body["items"][1]["engagements"]["comment"]
    other = json.loads(fake_request(n_posts=2, platform="twitter").model_dump_json())
    other["session"]["platform"] = "myspace"
    twice = json.loads(fake_request(n_posts=2, platform="twitter").model_dump_json())
    twice["items"][1]["id"] = twice["items"][0]["id"]
    with server.client() as http:
        answer = http.post("/rank", json=body)
        assert answer.status_code == 422
        assert answer.json()["post_id"] == bad_id
        assert answer.json()["field"].startswith("items.1.engagements")
        answer = http.post("/rank", json=other)
        assert answer.status_code == 422
        assert answer.json()["field"] == "session.platform"
        answer = http.post("/rank", json=twice)
        assert answer.status_code == 422
        assert answer.json()["post_id"] == twice["items"][0]["id"]


def test_spec_is_the_canonical_json_whose_sha256_is_the_fingerprint(server: Server) -> None:
    with server.client() as http:
        spec = http.get("/spec")
        health = http.get("/healthz").json()
    fingerprint = fr.load_spec(SPEC).fingerprint
    assert hashlib.sha256(spec.content).hexdigest() == fingerprint
    assert spec.headers["etag"] == f'"{fingerprint}"'
    assert health == {"status": "ok", "spec": "hot-for-you", "fingerprint": fingerprint}
    assert fr.Pipeline.model_validate(spec.json()).fingerprint == fingerprint


def test_card_in_html_and_markdown(server: Server, tmp_path: Path) -> None:
    with server.client() as http:
        http.post("/v1/rank", json=_records(tmp_path))
        html = http.get("/card")
        markdown = http.get("/card.md")
    assert html.headers["content-type"].startswith("text/html")
    assert "hot-for-you" in html.text
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "hot-for-you" in markdown.text


def _metrics(server: Server) -> dict[str, float]:
    with server.client() as http:
        text = http.get("/metrics").text
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_metrics_count_requests_latency_and_errors(server: Server, tmp_path: Path) -> None:
    before = _metrics(server)
    with server.client() as http:
        http.post("/v1/rank", json=_records(tmp_path))
        http.post("/v1/rank", json={"posts": 1})
        http.post("/v1/rank", json={"posts": 1})
    after = _metrics(server)

    def delta(name: str) -> float:
        return after.get(name, 0) - before.get(name, 0)

    assert delta('feedrank_requests_total{route="/v1/rank",status="200"}') == 1
    assert delta('feedrank_requests_total{route="/v1/rank",status="422"}') == 2
    assert delta('feedrank_errors_total{route="/v1/rank",error="InvalidRequest"}') == 2
    assert delta('feedrank_request_seconds_count{route="/v1/rank"}') == 3
    assert delta('feedrank_request_seconds_bucket{route="/v1/rank",le="+Inf"}') == 3
    prefix = 'feedrank_request_seconds_bucket{route="/v1/rank"'
    buckets = [v for k, v in after.items() if k.startswith(prefix)]
    assert buckets == sorted(buckets)  # cumulative
    assert after['feedrank_request_seconds_sum{route="/v1/rank"}'] > 0
