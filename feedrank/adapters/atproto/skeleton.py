"""A ranking's served page as a Bluesky feed skeleton, and the ``feedContext`` of its items.

:func:`skeleton` renders a :class:`~feedrank.Ranking` page as the output of
``app.bsky.feed.getFeedSkeleton``: ``{"feed": [{"post", "reason"?,
"feedContext"}], "cursor"?, "reqId"?}``. The ``cursor`` is the
ranking's own keyset cursor (it carries the spec fingerprint and the ``now``
the feed was ranked at, so the next page is ranked at the same moment). Each
item's ``feedContext`` is ``fr1:<first 16 hex digits of the spec
fingerprint>:<rank>:<name of the term that added most to its score>``; clients
pass it back with their interactions and :func:`parse_feed_context` reads it,
so feedback can be attributed to the algorithm version and position that
produced the item. A candidate whose ``repost_of`` is set (its id is the
repost record's URI) is served as the reposted post with a
``#skeletonReasonRepost`` reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.adapters.atproto.uris import POST_URI, is_post_uri
from feedrank.errors import InputError, RankingError
from feedrank.ranking.ranking import Ranking

__all__ = ["FeedContext", "feed_context", "parse_feed_context", "skeleton"]

_CONTEXT_VERSION = "fr1"
_MAX_CONTEXT = 2000


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
            "was removed from the feed", post_id=post_id, expected="a post of the feed"
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


def _check_post_uri(uri: str, field: str, post_id: str) -> None:
    """InputError unless ``uri``, the candidate's ``field`` (``id`` or ``repost_of``),
    is the URI of a post record."""
    if not is_post_uri(uri):
        name = "" if field == "id" else f"{field} "
        raise InputError(
            f"{name}{uri[:80]!r} is not a post URI", field=field, post_id=post_id, expected=POST_URI
        )


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
            _check_post_uri(repost_of, "repost_of", post_id)
            item = {
                "post": repost_of,
                "reason": {"$type": "app.bsky.feed.defs#skeletonReasonRepost", "repost": post_id},
            }
        else:
            _check_post_uri(post_id, "id", post_id)
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
