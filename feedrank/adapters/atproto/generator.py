"""Serving a Bluesky feed generator: ``getFeedSkeleton`` parameters, ``describeFeedGenerator``.

Bad request parameters raise :class:`~feedrank.errors.XrpcError`, which carries
the XRPC error name and HTTP status and renders the lexicon's error body
``{"error": "InvalidRequest", "message": ...}`` (HTTP 400).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from feedrank.adapters.atproto.uris import AT_URI
from feedrank.errors import InputError, XrpcError

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "SkeletonParams",
    "describe_feed_generator",
    "parse_skeleton_params",
]

DEFAULT_LIMIT = 50
"""``getFeedSkeleton``'s default page size."""
MAX_LIMIT = 100
"""``getFeedSkeleton``'s largest page size (the smallest is 1)."""


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
    if AT_URI.match(feed) is None:
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
