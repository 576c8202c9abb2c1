"""Bluesky (AT Protocol): post views and records in, feed skeletons out, feedback in.

**Posts.** :func:`post_view_to_post` reads an ``app.bsky.feed.defs#postView``
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

**Skeletons.** :func:`skeleton` renders a :class:`~feedrank.Ranking` page as
the output of ``app.bsky.feed.getFeedSkeleton``: ``{"feed": [{"post",
"reason"?, "feedContext"}], "cursor"?, "reqId"?}``. The ``cursor`` is the
ranking's own keyset cursor (it carries the spec fingerprint and the ``now``
the feed was ranked at, so the next page is ranked at the same moment). Each
item's ``feedContext`` is ``fr1:<first 16 hex digits of the spec
fingerprint>:<rank>:<name of the term that added most to its score>``; clients
pass it back with their interactions and :func:`parse_feed_context` reads it,
so feedback can be attributed to the algorithm version and position that
produced the item. A candidate whose ``repost_of`` is set (its id is the
repost record's URI) is served as the reposted post with a
``#skeletonReasonRepost`` reason.

**Feedback.** :func:`parse_interactions` reads the input of
``app.bsky.feed.sendInteractions`` and :data:`EVENT_KINDS` maps each event
token to an :class:`~feedrank.InteractionKind`:

- ``requestLess`` ("show less like this") → ``hide``: what the ``see_fewer``
  filter, the ``feedback_fatigue`` factor and ``negative_feedback`` read;
- ``requestMore`` ("show more like this") → ``upvote``: an explicit, private
  vote for the item, counted in author affinity and kept apart from public likes;
- ``clickthroughItem``, ``clickthroughAuthor``, ``clickthroughReposter``,
  ``clickthroughEmbed`` → ``click``;
- ``interactionSeen`` → ``view``;
- ``interactionLike`` → ``like``, ``interactionRepost`` → ``repost``,
  ``interactionReply`` → ``reply``, ``interactionQuote`` → ``quote``,
  ``interactionShare`` → ``share``.

Tokens may come fully qualified or bare. An unknown token, or an event without
an ``item``, maps to nothing: it is returned with ``kind`` None, never guessed.

**Errors.** Bad request parameters raise :class:`~feedrank.errors.XrpcError`, which carries
the XRPC error name and HTTP status and renders the lexicon's error body
``{"error": "InvalidRequest", "message": ...}`` (HTTP 400).

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
>>> [e.kind.value for e in parse_interactions({"interactions": [
...     {"item": view["uri"], "event": "app.bsky.feed.defs#requestLess"}]})]
['hide']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import parse_qs

import numpy as np
from numpy.typing import NDArray

from feedrank.adapters.json_access import JsonObject, build_model, json_array, json_type
from feedrank.batch.posts import PostBatch
from feedrank.errors import InputError, RankingError, XrpcError
from feedrank.models import Author, Interaction, InteractionKind, Post
from feedrank.ranking.ranking import Ranking

__all__ = [
    "DEFAULT_LIMIT",
    "EVENT_KINDS",
    "EVENT_PREFIX",
    "MAX_LIMIT",
    "BlueskyFeed",
    "FeedContext",
    "FeedEvent",
    "SkeletonParams",
    "TimeField",
    "XrpcError",
    "describe_feed_generator",
    "event_kind",
    "feed_context",
    "feed_from_views",
    "feed_uri",
    "parse_feed_context",
    "parse_interactions",
    "parse_skeleton_params",
    "post_view_to_post",
    "profile_to_author",
    "record_to_post",
    "skeleton",
]

TimeField = Literal["indexedAt", "createdAt"]
"""Which timestamp of a post view becomes ``Post.created_at``."""

DEFAULT_LIMIT = 50
"""``getFeedSkeleton``'s default page size."""
MAX_LIMIT = 100
"""``getFeedSkeleton``'s largest page size (the smallest is 1)."""

EVENT_PREFIX = "app.bsky.feed.defs#"
"""The lexicon that defines the interaction event tokens."""

EVENT_KINDS: Mapping[str, InteractionKind] = MappingProxyType(
    {
        "requestLess": InteractionKind.HIDE,
        "requestMore": InteractionKind.UPVOTE,
        "clickthroughItem": InteractionKind.CLICK,
        "clickthroughAuthor": InteractionKind.CLICK,
        "clickthroughReposter": InteractionKind.CLICK,
        "clickthroughEmbed": InteractionKind.CLICK,
        "interactionSeen": InteractionKind.VIEW,
        "interactionLike": InteractionKind.LIKE,
        "interactionRepost": InteractionKind.REPOST,
        "interactionReply": InteractionKind.REPLY,
        "interactionQuote": InteractionKind.QUOTE,
        "interactionShare": InteractionKind.SHARE,
    }
)
"""``sendInteractions`` event token (without :data:`EVENT_PREFIX`) → interaction kind."""

_POST_COLLECTION = "app.bsky.feed.post"
_AT_URI = re.compile(r"^at://([^/\s]+)/([a-zA-Z0-9.-]+)/([A-Za-z0-9._:~-]{1,512})$")
_RKEY = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")
_COUNTS = (
    ("likeCount", InteractionKind.LIKE),
    ("repostCount", InteractionKind.REPOST),
    ("replyCount", InteractionKind.REPLY),
    ("quoteCount", InteractionKind.QUOTE),
    ("bookmarkCount", InteractionKind.BOOKMARK),
)
_CONTEXT_VERSION = "fr1"
_MAX_CONTEXT = 2000


# ---------------------------------------------------------------- posts
def _post_uri(obj: JsonObject, key: str) -> tuple[str, str, str]:
    """(uri, authority DID, record key) of an at:// URI of a post record."""
    expected = "an at:// URI of an app.bsky.feed.post record"
    uri = obj.req_str(key)
    match = _AT_URI.match(uri)
    if match is None or match.group(2) != _POST_COLLECTION:
        raise obj.error(key, f"{uri[:80]!r} is not a post URI", expected)
    return uri, match.group(1), match.group(3)


def _is_post_uri(uri: str | None) -> bool:
    match = _AT_URI.match(uri or "")
    return match is not None and match.group(2) == _POST_COLLECTION


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
    return uri if _is_post_uri(uri) else None


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


# ---------------------------------------------------------------- skeleton
@dataclass(frozen=True)
class FeedContext:
    """What :func:`feed_context` packs into an item's ``feedContext``."""

    fingerprint_prefix: str
    rank: int
    top_term: str


def _top_terms(ranking: Ranking, rows: NDArray[np.intp]) -> list[str]:
    names = ranking.term_names
    if not names or rows.shape[0] == 0:
        return ["-"] * int(rows.shape[0])
    part = ranking.contributions[rows]
    best = np.argmax(part, axis=1)
    positive = part[np.arange(rows.shape[0]), best] > 0
    return [names[int(b)] if ok else "-" for b, ok in zip(best, positive, strict=True)]


def _context_text(fingerprint: str, rank: int, term: str) -> str:
    return f"{_CONTEXT_VERSION}:{fingerprint[:16]}:{rank}:{term}"[:_MAX_CONTEXT]


def feed_context(ranking: Ranking, post_id: str) -> str:
    """The ``feedContext`` of ``post_id`` in ``ranking``:
    ``fr1:<fingerprint[:16]>:<1-based rank>:<term that added most>`` (``-`` when no
    term added anything). Raises RankingError for a post that was not ranked."""
    position = ranking.position(post_id)
    if position < 0:
        raise RankingError(
            "was removed by a filter", post_id=post_id, expected="a post of the feed"
        )
    row = np.array([ranking.order[position]], dtype=np.intp)
    return _context_text(ranking.fingerprint, position + 1, _top_terms(ranking, row)[0])


def parse_feed_context(text: str | None) -> FeedContext | None:
    """Read back a ``feedContext`` written by :func:`skeleton`; None for any other text.

    >>> parse_feed_context("fr1:0123456789abcdef:3:likes")
    FeedContext(fingerprint_prefix='0123456789abcdef', rank=3, top_term='likes')
    >>> parse_feed_context("something else") is None
    True
    """
    if not isinstance(text, str):
        return None
    parts = text.split(":", 3)
    if len(parts) != 4 or parts[0] != _CONTEXT_VERSION:
        return None
    _, prefix, rank, term = parts
    if not re.fullmatch(r"[0-9a-f]{1,64}", prefix) or not rank.isdigit() or not term:
        return None
    return FeedContext(prefix, int(rank), term)


def skeleton(
    ranking: Ranking, *, context: bool = True, req_id: str | None = None
) -> dict[str, Any]:
    """The served page of ``ranking`` as a ``getFeedSkeleton`` output.

    ``{"feed": [{"post": uri, "feedContext": ...}, ...], "cursor": next_cursor}``;
    ``cursor`` is left out on the last page, ``feedContext`` when ``context`` is
    false; ``reqId`` (at most 100 characters) is added when given. Candidates with
    ``repost_of`` are served as the reposted post with a repost reason. Post ids
    must be ``at://`` URIs of post records (InputError otherwise).
    """
    rows = ranking.page
    cand = ranking.kept[rows]
    ids = ranking.candidates.ids[cand].tolist()
    reposts = ranking.candidates.repost_of[cand].tolist()
    terms = _top_terms(ranking, rows) if context else []
    feed: list[dict[str, Any]] = []
    for i, (post_id, repost_of) in enumerate(zip(ids, reposts, strict=True)):
        item: dict[str, Any]
        if repost_of:
            if not _is_post_uri(repost_of):
                raise InputError(
                    f"repost_of {repost_of[:80]!r} is not a post URI",
                    field="repost_of",
                    post_id=post_id,
                    expected="an at:// URI of an app.bsky.feed.post record",
                )
            item = {
                "post": repost_of,
                "reason": {"$type": "app.bsky.feed.defs#skeletonReasonRepost", "repost": post_id},
            }
        else:
            if not _is_post_uri(post_id):
                raise InputError(
                    f"{post_id[:80]!r} is not a post URI",
                    field="id",
                    post_id=post_id,
                    expected="an at:// URI of an app.bsky.feed.post record",
                )
            item = {"post": post_id}
        if context:
            rank = ranking.page_start + i + 1
            item["feedContext"] = _context_text(ranking.fingerprint, rank, terms[i])
        feed.append(item)
    out: dict[str, Any] = {"feed": feed}
    if ranking.next_cursor is not None:
        out["cursor"] = ranking.next_cursor
    if req_id is not None:
        if not req_id or len(req_id) > 100:
            raise InputError(
                f"reqId has {len(req_id)} characters", field="reqId", expected="1 to 100"
            )
        out["reqId"] = req_id
    return out


@dataclass(frozen=True)
class SkeletonParams:
    """Validated ``getFeedSkeleton`` parameters."""

    feed: str
    limit: int
    cursor: str | None


def parse_skeleton_params(query: str | Mapping[str, Sequence[str] | str]) -> SkeletonParams:
    """Validate ``getFeedSkeleton`` query parameters (a raw query string, or a
    mapping such as :func:`urllib.parse.parse_qs` returns).

    ``feed`` is required and must be an ``at://`` URI; ``limit`` an integer from 1
    to 100 (default 50); ``cursor`` any non-empty string (its content is checked
    when it is decoded). A repeated parameter is refused. Raises
    :class:`XrpcError` (``InvalidRequest``, HTTP 400).

    >>> parse_skeleton_params("feed=at://did:web:x/app.bsky.feed.generator/hot&limit=5")
    SkeletonParams(feed='at://did:web:x/app.bsky.feed.generator/hot', limit=5, cursor=None)
    >>> try:
    ...     parse_skeleton_params("feed=at://did:web:x/app.bsky.feed.generator/hot&limit=101")
    ... except XrpcError as err:
    ...     print(err.body()["error"], err.field)
    InvalidRequest limit
    """
    if isinstance(query, str):
        query = parse_qs(query, keep_blank_values=True)
    values: dict[str, str] = {}
    for key, raw in query.items():
        items = [raw] if isinstance(raw, str) else list(raw)
        if len(items) != 1:
            raise XrpcError(
                f"parameter {key!r} is given {len(items)} times", field=key, expected="once"
            )
        values[key] = items[0]
    feed = values.get("feed")
    if feed is None:
        raise XrpcError("missing required parameter 'feed'", field="feed", expected="an at:// URI")
    if _AT_URI.match(feed) is None:
        raise XrpcError(
            f"feed {feed[:80]!r} is not an at:// URI",
            field="feed",
            expected="the at:// URI of a feed generator record",
        )
    limit = DEFAULT_LIMIT
    expected = f"an integer from 1 to {MAX_LIMIT}"
    if "limit" in values:
        text = values["limit"]
        if not re.fullmatch(r"[0-9]{1,6}", text):
            raise XrpcError(
                f"limit {text[:20]!r} is not an integer", field="limit", expected=expected
            )
        limit = int(text)
        if not 1 <= limit <= MAX_LIMIT:
            raise XrpcError(f"limit is {limit}", field="limit", expected=expected)
    cursor = values.get("cursor")
    if cursor is not None and not cursor:
        raise XrpcError("cursor is empty", field="cursor", expected="a cursor from a previous page")
    return SkeletonParams(feed, limit, cursor)


def feed_uri(publisher_did: str, name: str) -> str:
    """``at://<publisher_did>/app.bsky.feed.generator/<name>``: the URI of a feed
    generator record (``name`` is its record key).

    >>> feed_uri("did:web:feeds.example", "hot")
    'at://did:web:feeds.example/app.bsky.feed.generator/hot'
    """
    if not publisher_did.startswith("did:") or "/" in publisher_did:
        raise InputError(
            f"{publisher_did[:80]!r} is not a DID",
            field="did",
            expected="a DID such as did:web:...",
        )
    if not _RKEY.match(name) or name in (".", ".."):
        raise InputError(
            f"{name[:80]!r} is not a record key",
            field="name",
            expected="1 to 512 characters of A-Z a-z 0-9 . _ : ~ -",
        )
    return f"at://{publisher_did}/app.bsky.feed.generator/{name}"


def describe_feed_generator(
    did: str, feeds: Iterable[str], *, links: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The output of ``app.bsky.feed.describeFeedGenerator``: the service ``did``,
    the ``feeds`` it serves (``[{"uri": ...}]``) and optional ``links``
    (``privacyPolicy``, ``termsOfService``).

    >>> describe_feed_generator("did:web:feeds.example",
    ...                         ["at://did:web:feeds.example/app.bsky.feed.generator/hot"])
    {'did': 'did:web:feeds.example', 'feeds': [{'uri': 'at://did:web:feeds.example/app.bsky.feed.generator/hot'}]}
    """
    out: dict[str, Any] = {"did": did, "feeds": [{"uri": uri} for uri in feeds]}
    if links:
        unknown = set(links) - {"privacyPolicy", "termsOfService"}
        if unknown:
            raise InputError(
                f"unknown link {sorted(unknown)[0]!r}",
                field="links",
                expected="privacyPolicy and/or termsOfService",
            )
        out["links"] = dict(links)
    return out


# ---------------------------------------------------------------- feedback
@dataclass(frozen=True)
class FeedEvent:
    """One element of ``sendInteractions``: ``item`` (post URI), ``event`` (the
    token as sent), ``feed_context`` and ``req_id`` as the client passed them
    back, and ``kind``, the mapped interaction kind (None: unknown token or no item).
    """

    item: str | None
    event: str | None
    feed_context: str | None
    req_id: str | None
    kind: InteractionKind | None

    def interaction(self, viewer_id: str, at: datetime) -> Interaction | None:
        """This event as an :class:`~feedrank.Interaction` of ``viewer_id`` at ``at``
        (the time the service received it: events carry no time), or None if it
        maps to no kind."""
        if self.kind is None or self.item is None:
            return None
        return Interaction(viewer_id=viewer_id, post_id=self.item, kind=self.kind, at=at)


def event_kind(event: str | None) -> InteractionKind | None:
    """The interaction kind of an event token (fully qualified or bare), or None."""
    if not event:
        return None
    name = event.removeprefix(EVENT_PREFIX)
    return EVENT_KINDS.get(name)


def parse_interactions(body: object, *, max_items: int = 1000) -> list[FeedEvent]:
    """Validate the input of ``app.bsky.feed.sendInteractions``:
    ``{"interactions": [{"item"?, "event"?, "feedContext"?, "reqId"?}, ...]}``.

    Wrong JSON types, a missing ``interactions`` array or more than ``max_items``
    elements raise :class:`XrpcError` naming the element and field. ``item`` must
    be an ``at://`` URI; ``feedContext`` at most 2000 characters and ``reqId``
    at most 100, as the lexicon says.
    """
    if not isinstance(body, Mapping):
        raise XrpcError(f"body is a JSON {json_type(body)}", expected="a JSON object")
    raw = body.get("interactions")
    if not isinstance(raw, list):
        raise XrpcError(
            "missing required property 'interactions'"
            if raw is None
            else f"interactions is a JSON {json_type(raw)}",
            field="interactions",
            expected="a JSON array",
        )
    if len(raw) > max_items:
        raise XrpcError(
            f"{len(raw)} interactions", field="interactions", expected=f"at most {max_items}"
        )
    events: list[FeedEvent] = []
    for i, element in enumerate(raw):
        where = f"interactions[{i}]"
        if not isinstance(element, Mapping):
            raise XrpcError(
                f"got a JSON {json_type(element)}", field=where, expected="a JSON object"
            )
        got: dict[str, str | None] = {}
        for key, limit in (("item", 8192), ("event", 512), ("feedContext", 2000), ("reqId", 100)):
            value = element.get(key)
            if value is not None and not isinstance(value, str):
                raise XrpcError(
                    f"got a JSON {json_type(value)}", field=f"{where}.{key}", expected="a string"
                )
            if value is not None and len(value) > limit:
                raise XrpcError(
                    f"has {len(value)} characters",
                    field=f"{where}.{key}",
                    expected=f"at most {limit}",
                )
            got[key] = value
        item = got["item"]
        if item is not None and _AT_URI.match(item) is None:
            raise XrpcError(
                f"{item[:80]!r} is not an at:// URI", field=f"{where}.item", expected="an at:// URI"
            )
        kind = event_kind(got["event"]) if item is not None else None
        events.append(FeedEvent(item, got["event"], got["feedContext"], got["reqId"], kind))
    return events
