"""AT Protocol ``at://`` URIs: recognising post records, naming feed generators."""

from __future__ import annotations

import re

from feedrank.errors import InputError

__all__ = ["AT_URI", "POST_COLLECTION", "POST_URI", "feed_uri", "is_post_uri"]

POST_COLLECTION = "app.bsky.feed.post"
"""The collection (NSID) of post records."""
AT_URI = re.compile(r"^at://([^/\s]+)/([a-zA-Z0-9.-]+)/([A-Za-z0-9._:~-]{1,512})$")
"""An ``at://`` URI of a record: groups authority, collection and record key."""
POST_URI = "an at:// URI of an app.bsky.feed.post record"
"""What a post id must be, as error messages say it."""
_RKEY = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")


def is_post_uri(uri: str | None) -> bool:
    """Whether ``uri`` is the ``at://`` URI of an ``app.bsky.feed.post`` record.

    >>> is_post_uri("at://did:plc:ann/app.bsky.feed.post/3k2a"), is_post_uri("https://bsky.app")
    (True, False)
    """
    match = AT_URI.match(uri or "")
    return match is not None and match.group(2) == POST_COLLECTION


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
