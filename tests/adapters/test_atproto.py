"""The AT Protocol adapter on post views written from the app.bsky.feed lexicons
(fixtures/bluesky_post_views.json, examples/feedgen/posts.jsonl)."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import feedrank as fr
from feedrank.adapters.atproto import (
    DEFAULT_LIMIT,
    EVENT_KINDS,
    EVENT_PREFIX,
    FeedContext,
    XrpcError,
    describe_feed_generator,
    event_kind,
    feed_context,
    feed_from_views,
    feed_uri,
    parse_feed_context,
    parse_interactions,
    parse_skeleton_params,
    post_view_to_post,
    profile_to_author,
    record_to_post,
    skeleton,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIXTURES = HERE / "fixtures"
SEEDS = ROOT / "examples" / "feedgen" / "posts.jsonl"
SPEC = ROOT / "examples" / "feedgen" / "hot_for_you.toml"
K = fr.InteractionKind
UTC = timezone.utc
FEED = "at://did:web:feeds.example/app.bsky.feed.generator/hot"


def views() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((FIXTURES / "bluesky_post_views.json").read_text())
    return data


def view_with(text: str) -> dict[str, Any]:
    for item in views():
        view = item.get("post", item)
        if text in view["record"]["text"]:
            return view  # type: ignore[no-any-return]
    raise AssertionError(text)


def seed_views() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SEEDS.read_text(encoding="utf-8").splitlines()]


# ------------------------------------------------------------------ posts
def test_post_view_maps_counts_text_topics_and_time() -> None:
    view = view_with("Knitting pattern")
    post = post_view_to_post(view)
    did = view["author"]["did"]
    assert post.id == view["uri"]
    assert post.author_id == did
    assert post.counts == {K.LIKE: 320, K.REPOST: 55, K.REPLY: 21, K.BOOKMARK: 17}
    assert post.text == view["record"]["text"]
    assert post.lang == "en"
    assert post.topics == ("knitting", "yarn")  # facet tag + record tags, '#' and case folded
    assert post.url == f"https://bsky.app/profile/{did}/post/{view['uri'].rsplit('/', 1)[1]}"
    assert post.labels == ("author:!no-unauthenticated",)
    indexed = datetime.fromisoformat(view["indexedAt"].replace("Z", "+00:00"))
    created = datetime.fromisoformat(view["record"]["createdAt"].replace("Z", "+00:00"))
    assert indexed > created
    assert post.created_at == indexed
    assert post_view_to_post(view, time="createdAt").created_at == created


def test_replies_quotes_and_labels() -> None:
    reply = view_with("Sizes XS")
    assert post_view_to_post(reply).reply_to == reply["record"]["reply"]["parent"]["uri"]
    quote = view_with("Quoting myself")
    assert post_view_to_post(quote).quote_of == quote["record"]["embed"]["record"]["uri"]
    with_media = view_with("Transit map follow-up")
    assert (
        post_view_to_post(with_media).quote_of
        == with_media["record"]["embed"]["record"]["record"]["uri"]
    )
    labelled = post_view_to_post(view_with("spoiler-heavy"))
    assert labelled.labels == ("porn",)  # graphic-media was negated by its labeler
    self_labelled = post_view_to_post(view_with("Yarn haul"))
    assert self_labelled.labels == ("nudity",)


def test_whats_hot_removes_replies_and_labelled_posts() -> None:
    posts = [post_view_to_post(v) for v in seed_views()]
    batch = fr.PostBatch.from_posts(posts)
    now = max(p.created_at for p in posts) + timedelta(minutes=5)
    ranking = fr.preset("bluesky-whats-hot").rank(batch, fr.Context.build(batch, now=now))
    reasons = set(ranking.removed().values())
    assert {"reply", "label:porn", "label:nudity", "label:!no-promote"} <= reasons
    assert any(r.startswith("not_newer_than") for r in reasons)
    assert len(ranking.all_post_ids) > 20


def test_record_to_post_reads_a_firehose_record() -> None:
    view = view_with("Sizes XS")
    at = datetime(2026, 3, 1, 9, tzinfo=UTC)
    post = record_to_post(view["uri"], view["record"], indexed_at=at, counts={"like": 3},
                          labels=["spam"])  # fmt: skip
    assert post.author_id == view["author"]["did"]
    assert post.created_at == at
    assert post.counts == {K.LIKE: 3}
    assert post.labels == ("spam",)
    assert post.reply_to == view["record"]["reply"]["parent"]["uri"]
    assert record_to_post(view["uri"], view["record"]).created_at.isoformat().startswith("2026")
    with pytest.raises(fr.InputError, match="not a post URI"):
        record_to_post("at://did:plc:x/app.bsky.feed.like/3k", view["record"])


def test_feed_from_views_reads_feed_view_posts_and_reposts() -> None:
    feed = feed_from_views(views())
    assert len(feed.posts) == len(views())
    repost = next(v for v in views() if "reason" in v)
    assert feed.network == (
        fr.Interaction(
            viewer_id=repost["reason"]["by"]["did"],
            post_id=repost["post"]["uri"],
            kind=K.REPOST,
            at=datetime(2026, 3, 1, 5, tzinfo=UTC),
        ),
    )
    assert [a.id for a in feed.authors] == [view_with("Transit map follow-up")["author"]["did"]]
    assert feed.authors[0].followers == 812
    again = feed_from_views([*views(), views()[0]])
    assert len(again.posts) == len(feed.posts)  # each URI once
    batch = feed.batch()
    assert len(batch) == len(feed.posts)


def test_profile_to_author_needs_a_follower_count() -> None:
    profile = {"did": "did:plc:abc", "handle": "abc.bsky.social", "followersCount": 5,
               "createdAt": "2024-01-01T00:00:00.000Z"}  # fmt: skip
    author = profile_to_author(profile)
    assert (author.id, author.followers, author.attributes) == (
        "did:plc:abc",
        5,
        {"handle": "abc.bsky.social"},
    )
    with pytest.raises(fr.InputError, match="followersCount"):
        profile_to_author({"did": "did:plc:abc", "handle": "abc.bsky.social"})


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda v: v.pop("uri"), "uri", "missing"),
        (lambda v: v.update(uri="https://bsky.app/x"), "uri", "not a post URI"),
        (lambda v: v.update(likeCount="320"), "likeCount", "got a JSON string"),
        (lambda v: v.update(repostCount=-2), "repostCount", "is -2"),
        (lambda v: v.pop("indexedAt"), "indexedAt", "missing"),
        (lambda v: v["record"].pop("createdAt"), "record.createdAt", "missing"),
        (lambda v: v["record"].update(createdAt="2026-03-01 10:00"), "record.createdAt", "cannot"),
        (lambda v: v["record"].update(text=None), "record.text", "got a JSON null"),
        (lambda v: v["record"].update(langs="en"), "record.langs", "got a JSON string"),
        (lambda v: v["record"].update(tags=[1]), "record.tags[0]", "got a JSON integer"),
        (lambda v: v["author"].update(did="ann"), "author.did", "not a DID"),
        (lambda v: v.update(labels=[{"src": "x"}]), "labels[0].val", "missing"),
        (lambda v: v.update(record=[]), "record", "got a JSON array"),
    ],
)
def test_bad_views_name_the_uri_and_field(change: Any, field: str, message: str) -> None:
    view = copy.deepcopy(view_with("Knitting pattern"))
    change(view)
    with pytest.raises(fr.InputError) as info:
        post_view_to_post(view)
    assert info.value.field == field
    assert message in info.value.message
    if field != "uri":
        assert info.value.post_id == view["uri"]


def test_bad_items_in_a_list_say_which() -> None:
    items = views()
    items[6]["post"]["likeCount"] = 1.5
    with pytest.raises(fr.InputError) as info:
        feed_from_views(items)
    assert info.value.source == "items[6]"
    assert info.value.field == "post.likeCount"
    with pytest.raises(fr.InputError, match="a JSON array of postView"):
        feed_from_views("at://x")
    with pytest.raises(fr.InputError, match="'indexedAt' or 'createdAt'"):
        post_view_to_post(views()[0], time="now")  # type: ignore[arg-type]


# ------------------------------------------------------------------ skeletons
def ranked(limit: int = 7, cursor: str | None = None) -> fr.Ranking:
    posts = [post_view_to_post(v) for v in seed_views()]
    batch = fr.PostBatch.from_posts(posts)
    now = max(p.created_at for p in posts) + timedelta(minutes=5)
    ctx = fr.Context.build(batch, now=now, viewer=fr.Viewer(id="did:plc:viewer"))
    return fr.load_spec(SPEC).rank(batch, ctx, limit=limit, cursor=cursor)


def test_skeleton_has_posts_feed_context_and_the_ranking_cursor() -> None:
    ranking = ranked()
    out = skeleton(ranking, req_id="r1")
    assert set(out) == {"feed", "cursor", "reqId"}
    assert out["cursor"] == ranking.next_cursor
    assert out["reqId"] == "r1"
    assert [item["post"] for item in out["feed"]] == ranking.post_ids
    for rank, item in enumerate(out["feed"], start=1):
        assert set(item) == {"post", "feedContext"}
        assert len(item["feedContext"]) <= 2000
        context = parse_feed_context(item["feedContext"])
        assert context == FeedContext(ranking.fingerprint[:16], rank, "likes")
        assert item["feedContext"] == feed_context(ranking, item["post"])
    assert set(skeleton(ranking, context=False)["feed"][0]) == {"post"}


def test_skeleton_cursors_page_through_the_feed_without_repeats_or_gaps() -> None:
    whole = ranked(limit=100).post_ids
    served: list[str] = []
    cursor: str | None = None
    for _ in range(50):
        out = skeleton(ranked(limit=4, cursor=cursor))
        served += [item["post"] for item in out["feed"]]
        cursor = out.get("cursor")
        if cursor is None:
            break
    assert served == whole
    assert "cursor" not in skeleton(ranked(limit=100))


def test_feed_context_names_a_removed_post_and_rejects_foreign_text() -> None:
    ranking = ranked(limit=100)
    removed = next(iter(ranking.removed()))
    with pytest.raises(fr.RankingError):
        feed_context(ranking, removed)
    for text in (None, "", "fr1:xyz:1:likes", "fr2:ab:1:x", "fr1:ab:one:x", "fr1:ab:1:"):
        assert parse_feed_context(text) is None
    assert parse_feed_context("fr1:ab:2:a:b") == FeedContext("ab", 2, "a:b")


def test_repost_candidates_are_served_with_a_repost_reason() -> None:
    t = datetime(2026, 3, 1, tzinfo=UTC)
    original = "at://did:plc:ann/app.bsky.feed.post/3kaaa"
    repost = fr.Post(
        id="at://did:plc:bob/app.bsky.feed.repost/3kbbb",
        author_id="did:plc:bob",
        created_at=t,
        repost_of=original,
    )
    batch = fr.PostBatch.from_posts([repost])
    ranking = fr.preset("chronological").rank(batch, fr.Context.build(batch, now=t))
    item = skeleton(ranking)["feed"][0]
    assert item["post"] == original
    assert item["reason"] == {
        "$type": "app.bsky.feed.defs#skeletonReasonRepost",
        "repost": repost.id,
    }
    plain = fr.PostBatch.from_posts([fr.Post(id="p1", author_id="a", created_at=t)])
    bad = fr.preset("chronological").rank(plain, fr.Context.build(plain, now=t))
    with pytest.raises(fr.InputError, match="not a post URI"):
        skeleton(bad)
    with pytest.raises(fr.InputError, match="reqId"):
        skeleton(ranking, req_id="x" * 101)


# ------------------------------------------------------------------ parameters
def test_skeleton_params_defaults_and_accepted_forms() -> None:
    params = parse_skeleton_params({"feed": [FEED]})
    assert (params.feed, params.limit, params.cursor) == (FEED, DEFAULT_LIMIT, None)
    params = parse_skeleton_params(f"feed={FEED}&limit=100&cursor=abc&extra=1")
    assert (params.limit, params.cursor) == (100, "abc")
    assert parse_skeleton_params({"feed": FEED, "limit": "1"}).limit == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"feed={FEED}&limit=0", "limit"),
        (f"feed={FEED}&limit=101", "limit"),
        (f"feed={FEED}&limit=x", "limit"),
        (f"feed={FEED}&limit=-1", "limit"),
        (f"feed={FEED}&limit=1.5", "limit"),
        (f"feed={FEED}&limit=", "limit"),
        (f"feed={FEED}&limit=99999999999", "limit"),
        (f"feed={FEED}&limit=5&limit=6", "limit"),
        (f"feed={FEED}&cursor=", "cursor"),
        ("limit=5", "feed"),
        ("feed=hot", "feed"),
    ],
)
def test_bad_params_are_invalid_requests(query: str, field: str) -> None:
    with pytest.raises(XrpcError) as info:
        parse_skeleton_params(query)
    err = info.value
    assert (err.status, err.error, err.field) == (400, "InvalidRequest", field)
    body = err.body()
    assert set(body) == {"error", "message"}
    assert body["error"] == "InvalidRequest"
    assert field in body["message"]


def test_describe_and_feed_uri() -> None:
    uri = feed_uri("did:web:feeds.example", "hot")
    assert uri == FEED
    out = describe_feed_generator(
        "did:web:feeds.example", [uri], links={"privacyPolicy": "https://x.example/p"}
    )
    assert out == {
        "did": "did:web:feeds.example",
        "feeds": [{"uri": FEED}],
        "links": {"privacyPolicy": "https://x.example/p"},
    }
    with pytest.raises(fr.InputError):
        describe_feed_generator("did:web:x", [], links={"faq": "x"})
    for did, name in (("web:x", "hot"), ("did:web:x", "a/b"), ("did:web:x", ""), ("did:x", "..")):
        with pytest.raises(fr.InputError):
            feed_uri(did, name)


# ------------------------------------------------------------------ feedback
def test_every_lexicon_event_token_maps_to_a_kind() -> None:
    lexicon = {
        "requestLess",
        "requestMore",
        "clickthroughItem",
        "clickthroughAuthor",
        "clickthroughReposter",
        "clickthroughEmbed",
        "interactionSeen",
        "interactionLike",
        "interactionRepost",
        "interactionReply",
        "interactionQuote",
        "interactionShare",
    }
    assert set(EVENT_KINDS) == lexicon
    assert EVENT_KINDS["requestLess"] is K.HIDE
    assert EVENT_KINDS["requestMore"] is K.UPVOTE
    assert EVENT_KINDS["interactionSeen"] is K.VIEW
    for token, kind in EVENT_KINDS.items():
        assert event_kind(EVENT_PREFIX + token) is kind
        assert event_kind(token) is kind
    assert event_kind("app.bsky.feed.defs#somethingNew") is None
    assert event_kind(None) is None


def test_send_interactions_body_is_parsed_and_mapped() -> None:
    body = json.loads((FIXTURES / "bluesky_send_interactions.json").read_text())
    events = parse_interactions(body)
    assert [e.kind for e in events] == [K.VIEW, K.LIKE, K.HIDE, K.UPVOTE, K.CLICK, None, None]
    assert events[0].feed_context == "fr1:e79f796a2fd1fd0e:1:likes"
    assert events[0].req_id == "807e16f97c7e47cd931b4dc14e030018"
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    found = [e.interaction("did:plc:v", at) for e in events]
    assert found[2] == fr.Interaction(
        viewer_id="did:plc:v", post_id=body["interactions"][2]["item"], kind=K.HIDE, at=at
    )
    assert found[5] is None  # unknown token: kept, not guessed
    assert found[6] is None  # no item
    assert parse_interactions({"interactions": []}) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], None),
        ({}, "interactions"),
        ({"interactions": {}}, "interactions"),
        ({"interactions": ["x"]}, "interactions[0]"),
        ({"interactions": [{"item": 5}]}, "interactions[0].item"),
        ({"interactions": [{"item": "https://x"}]}, "interactions[0].item"),
        ({"interactions": [{"event": ["a"]}]}, "interactions[0].event"),
        ({"interactions": [{"feedContext": "x" * 2001}]}, "interactions[0].feedContext"),
        ({"interactions": [{"reqId": "x" * 101}]}, "interactions[0].reqId"),
        ({"interactions": [{}] * 1001}, "interactions"),
    ],
)
def test_bad_interaction_bodies_are_invalid_requests(body: object, field: str | None) -> None:
    with pytest.raises(XrpcError) as info:
        parse_interactions(body)
    assert info.value.field == field
    assert info.value.body()["error"] == "InvalidRequest"


def test_request_less_hides_the_author_and_request_more_raises_them() -> None:
    posts = [post_view_to_post(v) for v in seed_views()]
    batch = fr.PostBatch.from_posts(posts)
    now = max(p.created_at for p in posts) + timedelta(minutes=5)
    pipe = fr.load_spec(SPEC)
    viewer = fr.Viewer(id="did:plc:viewer")
    before = pipe.rank(batch, fr.Context.build(batch, now=now, viewer=viewer), limit=100)
    top, middle = before.post_ids[0], before.post_ids[len(before.post_ids) // 2]
    authors = {p.id: p.author_id for p in posts}
    body = {
        "interactions": [
            {"item": top, "event": EVENT_PREFIX + "requestLess"},
            {"item": middle, "event": EVENT_PREFIX + "requestMore"},
        ]
    }
    found = [e.interaction(viewer.id, now) for e in parse_interactions(body)]
    ctx = fr.Context.build(batch, now=now, viewer=viewer, interactions=[i for i in found if i])
    after = pipe.rank(batch, ctx, limit=100)
    hidden = [pid for pid, author in authors.items() if author == authors[top]]
    assert not set(hidden) & set(after.post_ids)
    assert after.removed()[top] == "see_fewer:14d"
    assert after.position(middle) < before.position(middle)
    assert after.explain(middle).terms[1].name == "affinity"
    assert after.explain(middle).terms[1].contribution > 0
