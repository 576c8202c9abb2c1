"""Bluesky post views, records and profiles as feedrank posts and authors.

:func:`post_view_to_post` reads an ``app.bsky.feed.defs#postView``
(as ``getPosts``, ``getTimeline``, ``getFeed`` and ``searchPosts`` return it);
:func:`record_to_post` reads a bare ``app.bsky.feed.post`` record (what a feed
generator sees on the firehose). Mapping:

- ``uri`` (an ``at://`` URI) → ``id``; ``author.did`` (or the URI's authority)
  → ``author_id``.
- ``created_at``: the view's ``indexedAt`` by default (``time="indexedAt"``), the
  time the AppView saw the post and what Bluesky's What's Hot ages posts by;
  ``time="createdAt"`` uses the record's client-declared ``createdAt`` instead
  (clients can back- or future-date it).
- ``likeCount`` → ``like``, ``repostCount`` → ``repost``, ``replyCount`` →
  ``reply``, ``quoteCount`` → ``quote``, ``bookmarkCount`` → ``bookmark``
  (absent counts are 0, as the lexicon makes them optional).
- ``labels``: the values (``val``) of the view's labels, minus those a later
  label of the same source negates (``neg``), plus the record's self-labels
  (``com.atproto.label.defs#selfLabels``); the author's labels are added as
  ``author:<val>``.
- ``record.reply.parent.uri`` → ``reply_to``; an embedded post
  (``app.bsky.embed.record`` or ``recordWithMedia``) → ``quote_of``.
- ``record.text`` → ``text``; ``record.langs[0]`` → ``lang``; ``record.tags``
  and the hashtag facets (``app.bsky.richtext.facet#tag``) → ``topics``,
  lower-cased; ``url``: the post's ``https://bsky.app/profile/<did>/post/<rkey>``.

:func:`feed_from_views` reads a list of post views or ``feedViewPost`` items
(``{"post": ..., "reason": ...}``): each post once, and every repost reason
(``#reasonRepost``) as a ``repost`` :class:`~feedrank.Interaction` by the
reposter (:attr:`BlueskyFeed.network`, for social proof).

>>> from feedrank.models import InteractionKind
>>> view = {
...     "uri": "at://did:plc:ann/app.bsky.feed.post/3k2a", "cid": "bafyrei",
...     "author": {"did": "did:plc:ann", "handle": "ann.bsky.social"},
...     "record": {"$type": "app.bsky.feed.post", "text": "Hello #Jazz",
...                "createdAt": "2026-01-01T12:00:00.000Z", "langs": ["en"],
...                "facets": [{"index": {"byteStart": 6, "byteEnd": 11},
...                            "features": [{"$type": "app.bsky.richtext.facet#tag",
...                                          "tag": "Jazz"}]}]},
...     "likeCount": 12, "repostCount": 2, "replyCount": 1, "quoteCount": 0,
...     "indexedAt": "2026-01-01T12:00:01.000Z", "labels": [],
... }
>>> post = post_view_to_post(view)
>>> post.author_id, post.topics, post.counts[InteractionKind.LIKE], post.created_at.second
('did:plc:ann', ('jazz',), 12, 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from feedrank.adapters.atproto.uris import AT_URI, POST_COLLECTION, POST_URI, is_post_uri
from feedrank.adapters.json_access import JsonObject, build_model, json_array, json_type
from feedrank.batch.posts import PostBatch
from feedrank.errors import InputError
from feedrank.models import Author, Interaction, InteractionKind, Post

__all__ = [
    "BlueskyFeed",
    "TimeField",
    "feed_from_views",
    "post_view_to_post",
    "profile_to_author",
    "record_to_post",
]

TimeField = Literal["indexedAt", "createdAt"]
"""Which timestamp of a post view becomes ``Post.created_at``."""

_COUNTS = (
    ("likeCount", InteractionKind.LIKE),
    ("repostCount", InteractionKind.REPOST),
    ("replyCount", InteractionKind.REPLY),
    ("quoteCount", InteractionKind.QUOTE),
    ("bookmarkCount", InteractionKind.BOOKMARK),
)


def _post_uri(obj: JsonObject, key: str) -> tuple[str, str, str]:
    """(uri, authority DID, record key) of an at:// URI of a post record."""
    expected = POST_URI
    uri = obj.req_str(key)
    match = AT_URI.match(uri)
    if match is None or match.group(2) != POST_COLLECTION:
        raise obj.error(key, f"{uri[:80]!r} is not a post URI", expected)
    return uri, match.group(1), match.group(3)


def _label_values(obj: JsonObject, key: str, prefix: str = "") -> list[str]:
    """Values of an array of ``com.atproto.label.defs#label``, negations applied."""
    active: dict[tuple[str, str], bool] = {}
    for i, raw in enumerate(obj.array(key)):
        label = obj.item(key, i, raw)
        val = label.req_str("val")
        src = label.opt_str("src") or ""
        active[(src, val)] = not label.flag("neg", required=False)
    return sorted({prefix + val for (_, val), on in active.items() if on})


def _record_fields(record: JsonObject) -> dict[str, Any]:
    """The Post fields that come from an ``app.bsky.feed.post`` record."""
    text = record.req_str("text", nonempty=False)
    topics: set[str] = set()
    for i, tag in enumerate(record.array("tags")):
        if not isinstance(tag, str):
            raise record.error(f"tags[{i}]", f"got a JSON {json_type(tag)}", "a string")
        topics.add(tag)
    for i, raw in enumerate(record.array("facets")):
        facet = record.item("facets", i, raw)
        for j, rawf in enumerate(facet.array("features")):
            feature = facet.item("features", j, rawf)
            if feature.data.get("$type") == "app.bsky.richtext.facet#tag":
                topics.add(feature.req_str("tag"))
    langs = record.array("langs")
    for i, lang in enumerate(langs):
        if not isinstance(lang, str) or not lang:
            raise record.error(f"langs[{i}]", f"got a JSON {json_type(lang)}", "a language tag")
    labels: list[str] = []
    self_labels = record.obj("labels", required=False)
    if self_labels is not None:
        for i, raw in enumerate(self_labels.array("values")):
            labels.append(self_labels.item("values", i, raw).req_str("val"))
    reply_to = None
    reply = record.obj("reply", required=False)
    if reply is not None:
        reply_to, _, _ = _post_uri(reply.req_obj("parent"), "uri")
    return {
        "text": text or None,
        "lang": langs[0] if langs else None,
        "topics": tuple(sorted({t.lstrip("#").casefold() for t in topics} - {""})),
        "labels": labels,
        "reply_to": reply_to,
        "quote_of": _quoted(record),
    }


def _quoted(record: JsonObject) -> str | None:
    embed = record.obj("embed", required=False)
    if embed is None:
        return None
    kind = embed.data.get("$type")
    ref: JsonObject | None = None
    if kind == "app.bsky.embed.record":
        ref = embed.req_obj("record")
    elif kind == "app.bsky.embed.recordWithMedia":
        ref = embed.req_obj("record").req_obj("record")
    if ref is None:
        return None
    uri = ref.req_str("uri")
    return uri if is_post_uri(uri) else None


def _counts(view: JsonObject) -> dict[InteractionKind, int]:
    counts = {kind: view.count(key, required=False) for key, kind in _COUNTS}
    return {k: v for k, v in counts.items() if v}


def _web_url(did: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def _check_time(time: str) -> None:
    if time not in ("indexedAt", "createdAt"):
        raise InputError(f"time={time!r}", field="time", expected="'indexedAt' or 'createdAt'")


def _view_post(view: JsonObject, time: TimeField) -> Post:
    uri, _, rkey = _post_uri(view, "uri")
    author = view.req_obj("author")
    did = author.req_str("did")
    if not did.startswith("did:"):
        raise author.error("did", f"{did[:80]!r} is not a DID", "a DID such as did:plc:...")
    record = view.req_obj("record")
    fields = _record_fields(record)
    created_at = record.req_time("createdAt")
    indexed_at = view.req_time("indexedAt")
    labels = set(fields.pop("labels")) | set(_label_values(view, "labels"))
    labels |= set(_label_values(author, "labels", prefix="author:"))
    moment = indexed_at if time == "indexedAt" else created_at
    return build_model(
        lambda: Post(
            id=uri,
            author_id=did,
            created_at=moment,
            counts=_counts(view),
            labels=tuple(sorted(labels)),
            url=_web_url(did, rkey),
            **fields,
        ),
        view.record,
        view.source,
    )


def _uri_of(data: object) -> str | None:
    if isinstance(data, Mapping):
        uri = data.get("uri")
        if isinstance(uri, str) and uri:
            return uri
    return None


def post_view_to_post(view: Mapping[str, Any], *, time: TimeField = "indexedAt") -> Post:
    """An ``app.bsky.feed.defs#postView`` as a :class:`~feedrank.Post` (mapping in
    the module docstring). Bad input raises InputError naming the URI and field."""
    _check_time(time)
    return _view_post(JsonObject(view, record=_uri_of(view)), time)


def record_to_post(
    uri: str,
    record: Mapping[str, Any],
    *,
    indexed_at: datetime | None = None,
    counts: Mapping[InteractionKind | str, int] | None = None,
    labels: Iterable[str] = (),
) -> Post:
    """A bare ``app.bsky.feed.post`` record (from the firehose or ``getRecord``) as a
    :class:`~feedrank.Post`. The author is the URI's DID; ``created_at`` is
    ``indexed_at`` when given (when your service saw the record), else the
    record's ``createdAt``. Records carry no counts: pass the ones you keep.

    >>> post = record_to_post("at://did:plc:bob/app.bsky.feed.post/3k9",
    ...     {"text": "hi", "createdAt": "2026-01-01T00:00:00Z",
    ...      "reply": {"root": {"uri": "at://did:plc:ann/app.bsky.feed.post/1", "cid": "b"},
    ...                "parent": {"uri": "at://did:plc:ann/app.bsky.feed.post/2", "cid": "c"}}},
    ...     counts={"like": 2})
    >>> post.author_id, post.reply_to
    ('did:plc:bob', 'at://did:plc:ann/app.bsky.feed.post/2')
    """
    holder = JsonObject({"uri": uri}, record=uri if isinstance(uri, str) else None)
    uri, did, rkey = _post_uri(holder, "uri")
    rec = JsonObject(record, path="record", record=uri)
    fields = _record_fields(rec)
    moment = indexed_at if indexed_at is not None else rec.req_time("createdAt")
    all_labels = tuple(sorted(set(fields.pop("labels")) | set(labels)))
    return build_model(
        lambda: Post(
            id=uri,
            author_id=did,
            created_at=moment,
            counts=dict(counts or {}),
            labels=all_labels,
            url=_web_url(did, rkey),
            **fields,
        ),
        uri,
        None,
    )


def profile_to_author(profile: Mapping[str, Any]) -> Author:
    """An ``app.bsky.actor.defs#profileView`` (or ``profileViewDetailed``) as an
    :class:`~feedrank.Author`: ``did`` → ``id``, ``followersCount`` → ``followers``
    (required: ``profileViewBasic`` has no follower count), ``createdAt``, and the
    attribute ``handle``."""
    obj = JsonObject(profile, record=None)
    did = obj.req_str("did")
    handle = obj.opt_str("handle") or ""
    followers = obj.count("followersCount")
    created = obj.time("createdAt", required=False)
    attributes = {"handle": handle} if handle else {}
    return build_model(
        lambda: Author(id=did, followers=followers, created_at=created, attributes=attributes),
        None,
        None,
    )


@dataclass(frozen=True)
class BlueskyFeed:
    """Candidates read from post views: ``posts`` (each URI once, first occurrence),
    ``authors`` (those whose view carried ``followersCount``) and ``network`` (one
    ``repost`` interaction per ``#reasonRepost``: reposter, post, reason time)."""

    posts: tuple[Post, ...]
    authors: tuple[Author, ...]
    network: tuple[Interaction, ...]

    def batch(self) -> PostBatch:
        """The posts as a :class:`~feedrank.PostBatch`."""
        return PostBatch.from_posts(list(self.posts), self.authors)


def feed_from_views(
    items: Iterable[Mapping[str, Any]] | object, *, time: TimeField = "indexedAt"
) -> BlueskyFeed:
    """Candidates from a list of ``postView`` or ``feedViewPost`` objects (the
    ``feed`` array of ``getTimeline``/``getFeed``, or ``posts`` of ``getPosts``)."""
    _check_time(time)
    views = json_array(items, "items", "a JSON array of postView or feedViewPost objects")
    posts: dict[str, Post] = {}
    authors: dict[str, Author] = {}
    network: list[Interaction] = []
    for i, raw in enumerate(views):
        where = f"items[{i}]"
        wrapper = JsonObject(raw, source=where)
        if isinstance(wrapper.data.get("post"), Mapping):
            view = JsonObject(
                wrapper.data["post"], path="post", record=_uri_of(wrapper.data["post"])
            )
            view.source = where
            reason = JsonObject(raw, record=view.record, source=where).obj("reason", required=False)
        else:
            view = JsonObject(raw, record=_uri_of(raw), source=where)
            reason = None
        post = _view_post(view, time)
        posts.setdefault(post.id, post)
        author = view.req_obj("author")
        if "followersCount" in author.data:
            authors.setdefault(post.author_id, profile_to_author(author.data))
        if reason is not None and reason.data.get("$type") == "app.bsky.feed.defs#reasonRepost":
            by = reason.req_obj("by").req_str("did")
            at = reason.req_time("indexedAt")
            network.append(
                Interaction(viewer_id=by, post_id=post.id, kind=InteractionKind.REPOST, at=at)
            )
    return BlueskyFeed(tuple(posts.values()), tuple(authors.values()), tuple(network))
