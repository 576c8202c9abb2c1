"""``POST /rank``: the Prosocial Ranking Challenge API, mapped to feedrank posts.

The request and response are the challenge's own models (PyPI
``ranking-challenge``: ``RankingRequest``, ``RankingResponse``). Each content
item becomes a :class:`~feedrank.Post`:

========================  ==========================================================
item field                post
========================  ==========================================================
``id``                    ``id``
``author_name_hash``      ``author_id``
``created_at``            ``created_at`` (a time without a zone is read as UTC)
``title`` + ``text``      ``text`` (title, blank line, text; reddit posts have titles)
``type: comment``         ``reply_to`` = ``parent_id``, else ``post_id`` (so the
                          ``top_level`` filter removes comments)
``language``              ``lang``
``embedded_urls``         ``url`` = the first one, ``features["embedded_urls"]`` = count
``original_rank``         ``features["original_rank"]``
========================  ==========================================================

Engagements become ``counts`` where feedrank has the kind, and ``features``
(``<platform>_<field>``) where it does not, so a spec can read every one:

- facebook: ``like`` → like, ``comment`` → reply, ``share`` → share; ``love``,
  ``care``, ``haha``, ``wow``, ``sad``, ``angry`` → ``features["facebook_love"]`` ...
- reddit: ``upvote`` → upvote, ``downvote`` → downvote (when the deprecated
  fields are absent, a positive ``score`` counts as upvotes and a negative one as
  downvotes), ``comment`` → reply; ``score`` and ``award`` → ``features["reddit_score"]``,
  ``features["reddit_award"]``;
- twitter: ``like`` → like, ``retweet`` → repost, ``comment`` → reply, ``share`` → share.

The viewer is ``session.user_id`` and ``now`` is ``session.current_time``.
``ranked_ids`` are the kept items in the ranker's order; removed items are left
out and their reasons are in the decision log.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError
from ranking_challenge.request import RankingRequest

from feedrank.errors import InputError
from feedrank.models import Post, Viewer, input_error
from feedrank.spec.pipeline import Pipeline
from feedrank.spec.request import Request, assemble_request

__all__ = ["parse_prc_request", "prc_post"]

_COUNTS = {
    "facebook": {"like": "like", "comment": "reply", "share": "share"},
    "reddit": {"upvote": "upvote", "downvote": "downvote", "comment": "reply"},
    "twitter": {"like": "like", "retweet": "repost", "comment": "reply", "share": "share"},
}
_FEATURES = {
    "facebook": ("love", "care", "haha", "wow", "sad", "angry"),
    "reddit": ("score", "award"),
    "twitter": (),
}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def prc_post(item: Any, platform: str) -> Post:
    """One challenge ``ContentItem`` (of ``platform``) as a post (mapping in the module
    docstring)."""
    engagements = item.engagements.model_dump()
    counts: dict[str, int] = {}
    for name, kind in _COUNTS[platform].items():
        value = engagements.get(name)
        if value is not None:
            counts[kind] = int(value)
    if platform == "reddit" and "upvote" not in counts and "downvote" not in counts:
        score = engagements.get("score") or 0
        counts["upvote" if score > 0 else "downvote"] = abs(int(score))
    features: dict[str, float] = {
        f"{platform}_{name}": float(engagements[name])
        for name in _FEATURES[platform]
        if engagements.get(name) is not None
    }
    urls = [str(u) for u in item.embedded_urls or ()]
    features["embedded_urls"] = float(len(urls))
    if item.original_rank is not None:
        features["original_rank"] = float(item.original_rank)
    text = item.text if not item.title else f"{item.title}\n\n{item.text}"
    reply_to = (item.parent_id or item.post_id) if item.type == "comment" else None
    return Post(
        id=item.id,
        author_id=item.author_name_hash,
        created_at=_utc(item.created_at),
        counts=counts,
        features=features,
        text=text,
        reply_to=reply_to,
        lang=item.language or None,
        url=urls[0] if urls else None,
    )


def parse_prc_request(body: object, pipeline: Pipeline) -> tuple[Request, list[str]]:
    """Validate a challenge ``RankingRequest`` (decoded JSON) and build its request for
    ``pipeline``; also returns the item ids in input order (the fallback order).

    Raises :class:`~feedrank.errors.InputError` naming the field and the item.
    """
    try:
        parsed = RankingRequest.model_validate(body)
    except ValidationError as exc:
        err = input_error(exc, body)
        loc = exc.errors()[0]["loc"]
        if (
            len(loc) > 1
            and loc[0] == "items"
            and isinstance(loc[1], int)
            and isinstance(body, dict)
        ):
            item = body["items"][loc[1]]
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                err.locate(post_id=item["id"])
        raise err from None
    platform = parsed.session.platform
    ids = [item.id for item in parsed.items]
    if len(set(ids)) != len(ids):
        twice = next(i for n, i in enumerate(ids) if i in ids[:n])
        raise InputError(
            "the id is given twice", post_id=twice, field="items.id", expected="unique ids"
        )
    posts = []
    for i, item in enumerate(parsed.items):
        try:
            posts.append(prc_post(item, platform))
        except InputError as err:
            raise err.locate(within=f"items.{i}") from None
    viewer = Viewer(id=parsed.session.user_id)
    now = _utc(parsed.session.current_time)
    return assemble_request(pipeline, posts, now=now, viewer=viewer), ids
