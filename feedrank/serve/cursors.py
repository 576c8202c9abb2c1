"""Feed cursors a client cannot forge: feedrank's keyset cursor under an HMAC.

A feed's cursor carries the ``now`` the first page was ranked at and the spec
fingerprint; unsigned, a client could choose either (and the chosen ``now``
would reach the decision log). :class:`CursorSigner` appends an HMAC-SHA256 tag
over the feed, the viewer and the cursor, so a cursor is accepted only as the
service issued it, for the same feed and viewer.

>>> signer = CursorSigner(b"k" * 32)
>>> text = signer.sign("abc", feed="at://f", viewer="did:plc:x")
>>> signer.open(text, feed="at://f", viewer="did:plc:x")
'abc'
>>> try:
...     signer.open(text, feed="at://f", viewer="did:plc:y")
... except XrpcError as err:
...     print(err.field)
cursor
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from feedrank.errors import XrpcError

__all__ = ["CursorSigner"]

_TAG_BYTES = 16


class CursorSigner:
    """Signs and opens cursors with a secret ``key`` (32 random bytes or more)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the cursor key must be at least 32 bytes")
        self._key = key

    def _tag(self, cursor: str, feed: str, viewer: str | None) -> str:
        message = "\0".join(("feedrank-cursor-1", feed, viewer or "", cursor)).encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:_TAG_BYTES]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sign(self, cursor: str, *, feed: str, viewer: str | None) -> str:
        """``cursor`` with its tag: ``<cursor>.<tag>``."""
        return f"{cursor}.{self._tag(cursor, feed, viewer)}"

    def open(self, text: str, *, feed: str, viewer: str | None) -> str:
        """The cursor inside ``text`` if its tag is right for ``feed`` and ``viewer``;
        XrpcError (400, ``InvalidRequest``, field ``cursor``) otherwise."""
        cursor, _, tag = text.rpartition(".")
        if not cursor or not hmac.compare_digest(tag, self._tag(cursor, feed, viewer)):
            raise XrpcError(
                "the cursor was not issued by this feed for this viewer",
                field="cursor",
                expected="the cursor of the previous page, unchanged",
            )
        return cursor
