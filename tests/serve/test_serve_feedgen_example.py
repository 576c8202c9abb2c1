"""examples/feedgen as a configuration of ``feedrank serve``: the example's spec and
seed posts, served as a Bluesky feed (the session server of conftest.py runs exactly
the command of examples/feedgen/README.md, with test keys and a DID-document file)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

import feedrank as fr
from feedrank.adapters.atproto import EVENT_PREFIX, parse_feed_context
from tests.serve._helpers import CAROL, FEEDGEN, SERVICE, Keys, Server

FEED = f"at://{SERVICE}/app.bsky.feed.generator/hot-for-you"
SKELETON = "/xrpc/app.bsky.feed.getFeedSkeleton"
SEND = "/xrpc/app.bsky.feed.sendInteractions"


def skeleton(http: httpx.Client, token: str | None = None, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http.get(f"{SKELETON}?{urlencode({'feed': FEED, **params})}", headers=headers)


def page_all(http: httpx.Client, token: str | None = None, limit: int = 7) -> list[str]:
    served: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    for _ in range(100):  # bounded: the seed has 40 posts
        answer = skeleton(http, token, **params)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["feed"]) <= limit
        served += [item["post"] for item in answer.json()["feed"]]
        if "cursor" not in answer.json():
            return served
        params["cursor"] = answer.json()["cursor"]
    raise AssertionError("the feed never ended")


def test_the_example_feed_pages_to_the_end(server: Server) -> None:
    with server.client() as http:
        whole = skeleton(http, limit=100).json()
        everything = [item["post"] for item in whole["feed"]]
        assert "cursor" not in whole
        assert 20 < len(everything) < 40  # replies, labelled and old posts are filtered out
        paged = page_all(http, limit=7)
        assert len(paged) == len(set(paged))
        assert paged == everything
        assert page_all(http, limit=1) == everything
        first = skeleton(http, limit=3).json()
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
    with server.client() as http:
        answer = skeleton(http, **params)
        missing_feed = http.get(f"{SKELETON}?limit=5")
    assert answer.status_code == 400
    assert set(answer.json()) == {"error", "message"}
    assert answer.json()["error"] == error
    assert missing_feed.status_code == 400
    assert missing_feed.json()["error"] == "InvalidRequest"


def test_feedback_moves_posts_for_that_viewer_only(server: Server, keys: Keys) -> None:
    with server.client() as http:
        before = page_all(http, keys.token(CAROL), limit=50)
        assert before == page_all(http, None, limit=50)  # no feedback yet: the global feed
        top, middle = before[0], before[len(before) // 2]
        body = {
            "interactions": [
                {"item": top, "event": EVENT_PREFIX + "requestLess", "feedContext": "fr1:ab:1:x"},
                {"item": middle, "event": EVENT_PREFIX + "requestMore"},
                {"item": middle, "event": EVENT_PREFIX + "interactionSeen"},
                {"item": middle, "event": EVENT_PREFIX + "somethingNew"},
            ]
        }
        auth = {"Authorization": "Bearer " + keys.token(CAROL, "app.bsky.feed.sendInteractions")}
        answer = http.post(SEND, json=body, headers=auth)
        assert (answer.status_code, answer.json()) == (200, {})
        after = page_all(http, keys.token(CAROL), limit=50)
        assert page_all(http, None, limit=50) == before  # other viewers are unaffected
    top_author = top.split("/")[2]
    assert top not in after
    assert not [uri for uri in after if uri.split("/")[2] == top_author]  # see_fewer: 14 days
    assert after.index(middle) < before.index(middle)  # requestMore: affinity


def test_other_methods_get_405_and_501(server: Server) -> None:
    with server.client() as http:
        wrong_verb = http.get(SEND)
        other = http.get("/xrpc/app.bsky.feed.getTimeline")
    assert (wrong_verb.status_code, wrong_verb.json()["error"]) == (405, "InvalidRequest")
    assert (other.status_code, other.json()["error"]) == (501, "MethodNotImplemented")


def test_the_algorithm_card_of_the_example(server: Server) -> None:
    with server.client() as http:
        page = http.get("/card")
        markdown = http.get("/card.md")
    assert page.status_code == 200
    assert fr.load_spec(FEEDGEN / "hot_for_you.toml").fingerprint in page.text
    assert markdown.text.startswith("# How “hot-for-you” ranks your feed")
