"""The README's "Serving over HTTP" runs as written: its start command (on a free port)
and every curl command, from a directory holding the repository's examples."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Iterator

import pytest
from ranking_challenge.response import RankingResponse

import feedrank as fr
from feedrank.serve import parse_prc_request, parse_v1_request
from tests.serve._helpers import ROOT, Server, start_server

EXAMPLES = ROOT / "examples" / "serve"
SECTION = (ROOT / "README.md").read_text(encoding="utf-8").split("## Serving over HTTP", 1)[1]
SECTION = SECTION.split("\n## ", 1)[0]
BLOCKS = re.findall(r"```sh\n(.+?)\n```", SECTION, flags=re.S)
START, CURLS = BLOCKS[0].strip(), BLOCKS[1].strip().splitlines()


@pytest.fixture(scope="module")
def readme_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("readme")
    (tmp / "examples").symlink_to(ROOT / "examples")
    argv = shlex.split(START)
    assert argv[:2] == ["feedrank", "serve"]
    running = start_server(tmp, *argv[2:])  # start_server adds --port 0 --ready-file
    yield running
    running.stop()


def _run(server: Server, command: str) -> str:
    line = command.replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
    assert line != command
    done = subprocess.run(
        ["bash", "-c", line], cwd=server.tmp, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, (line, done.stderr)
    return done.stdout


def test_the_readme_has_one_start_command_and_one_curl_per_api() -> None:
    paths = [re.search(r"8000(/[^ ?']*)", c).group(1) for c in CURLS]  # type: ignore[union-attr]
    assert paths == [
        "/v1/rank",
        "/rank",
        "/xrpc/app.bsky.feed.getFeedSkeleton",
        "/xrpc/app.bsky.feed.describeFeedGenerator",
        "/xrpc/app.bsky.feed.sendInteractions",
        "/.well-known/did.json",
        "/spec",
        "/card",
        "/healthz",
        "/metrics",
    ]


def test_every_curl_of_the_readme_answers(readme_server: Server) -> None:
    out = {re.search(r"8000(/[^ ?']*)", c).group(1): _run(readme_server, c) for c in CURLS}  # type: ignore[union-attr]
    spec = fr.load_spec(ROOT / "examples" / "feedgen" / "hot_for_you.toml")
    v1 = parse_v1_request(json.loads((EXAMPLES / "v1_request.json").read_text()), spec)
    mine = spec.rank(v1.request.batch, v1.request.ctx, limit=v1.limit)
    answer = json.loads(out["/v1/rank"])
    assert answer == json.loads(json.dumps(mine.to_dict(removed="all"), default=str))
    assert {r["post_id"] for r in answer["removed"]} == {"p3", "p4"}  # a reply, an old post
    body = json.loads((EXAMPLES / "prc_request.json").read_text())
    req, ids = parse_prc_request(body, spec)
    expected = spec.rank(req.batch, req.ctx, limit=len(ids)).post_ids
    assert RankingResponse.model_validate_json(out["/rank"]).ranked_ids == expected
    assert len(json.loads(out["/xrpc/app.bsky.feed.getFeedSkeleton"])["feed"]) == 3
    assert json.loads(out["/xrpc/app.bsky.feed.describeFeedGenerator"])["did"] == (
        "did:web:localhost"
    )
    assert json.loads(out["/xrpc/app.bsky.feed.sendInteractions"])["error"] == (
        "AuthenticationRequired"
    )
    assert json.loads(out["/.well-known/did.json"])["id"] == "did:web:localhost"
    assert out["/spec"].split()[0] == spec.fingerprint
    assert "hot-for-you" in (readme_server.tmp / "card.html").read_text(encoding="utf-8")
    assert json.loads(out["/healthz"])["fingerprint"] == spec.fingerprint
    assert 'feedrank_requests_total{route="/rank",status="200"} 1' in out["/metrics"]
