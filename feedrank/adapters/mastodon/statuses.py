"""Mastodon ``Status`` and ``Account`` entities as feedrank posts and authors.

Reads the JSON of the ``Status`` and ``Account`` entities exactly as
``/api/v1/timelines/*``, ``/api/v1/accounts/:id/statuses`` and
``/api/v1/accounts/*`` return them, boosts and replies included.

Field mapping (``Status`` → :class:`~feedrank.Post`):

- ``id`` → ``id``; ``account.id`` → ``author_id``; ``created_at`` → ``created_at``.
- ``favourites_count`` → ``counts["like"]``, ``reblogs_count`` → ``counts["repost"]``,
  ``replies_count`` → ``counts["reply"]``, ``quotes_count`` (Mastodon 4.5+, when
  present) → ``counts["quote"]``.
- ``in_reply_to_id`` → ``reply_to``; an accepted ``quote`` (4.5+) → ``quote_of``.
- ``content`` (HTML) → ``text`` as plain text (:func:`html_to_text`), preceded by
  the content warning (``spoiler_text``) on its own line when there is one, so
  muted words match the warning too.
- ``tags[].name`` → ``topics``, lower-cased (hashtags are case-insensitive).
- ``language`` → ``lang``; ``url`` (else ``uri``) → ``url``.
- Labels: ``sensitive`` when the status is marked sensitive; ``spoiler`` when it
  carries a content warning; ``not_public`` and ``visibility:<value>`` when its
  visibility is not ``public``; ``bot`` when its account is a bot; ``poll`` when
  it has a poll. (The ``mastodon-trends`` preset excludes ``sensitive``,
  ``spoiler`` and ``not_public``.)
- ``features["media_count"]``: the number of ``media_attachments``.

Boosts (a status whose ``reblog`` holds the boosted status). Mastodon gives the
boost its own ``id``, ``account`` (who boosted), ``created_at`` (when) and
visibility, and leaves its content empty and its counts at zero: the content
and the counts live on the boosted status. Two readings are offered
(:data:`BoostMode`):

- ``"boost"`` (default): the candidate is the timeline entry itself, so a feed
  ranks exactly the entries of the timeline, one per entry. Its ``id``,
  ``author_id`` and ``created_at`` are the boost's (the booster is the account
  the viewer follows, the time is when it reached the timeline), ``repost_of``
  is the boosted status's id, and content, counts, topics, language and labels
  are the boosted status's (a non-public boost adds ``not_public`` too).
  Filters such as ``top_level(exclude_reposts=true)`` see it as a repost.
- ``"original"``: the candidate is the boosted status itself (its own id,
  author, time and counts; ``repost_of`` empty). A status that appears more
  than once (boosted by several accounts, or also posted to the timeline
  directly) becomes one candidate, the first occurrence.

In both modes every boost is also returned as a ``repost``
:class:`~feedrank.Interaction` by the booster on the boosted status
(:attr:`~feedrank.adapters.mastodon.MastodonTimeline.network`): pass it to
``Context.build(network=...)`` and boosts count as social proof.

``Account`` → :class:`~feedrank.Author`: ``id``, ``followers_count`` →
``followers``, ``created_at``, and the attributes ``acct``, ``instance`` (the
domain of ``acct``, or ``local``) and ``bot`` (``"true"``/``"false"``).

Bad input raises :class:`~feedrank.errors.InputError` naming the status id,
the field (a dotted path such as ``reblog.account.followers_count``) and what
was expected; in a list, ``source`` says which element (``statuses[3]``).

>>> from feedrank.errors import InputError
>>> from feedrank.models import InteractionKind
>>> status = {
...     "id": "109", "created_at": "2026-01-01T12:00:00.000Z",
...     "account": {"id": "7", "acct": "ann@social.example", "followers_count": 40,
...                 "created_at": "2022-11-05T00:00:00.000Z", "bot": False},
...     "content": "<p>Hello <a href=\\"https://m.example/tags/Jazz\\">#<span>Jazz</span></a></p>",
...     "visibility": "public", "sensitive": False, "spoiler_text": "",
...     "in_reply_to_id": None, "language": "en", "reblog": None,
...     "replies_count": 1, "reblogs_count": 2, "favourites_count": 5,
...     "tags": [{"name": "Jazz", "url": "https://m.example/tags/jazz"}],
... }
>>> post = status_to_post(status)
>>> post.text, post.topics, post.counts[InteractionKind.LIKE], post.lang
('Hello #Jazz', ('jazz',), 5, 'en')
>>> try:
...     status_to_post({**status, "favourites_count": "5"})
... except InputError as err:
...     print(err)
post '109', field 'favourites_count': got a JSON string (expected an integer >= 0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from feedrank.adapters.json_access import JsonObject, build_model
from feedrank.adapters.mastodon.html_text import html_to_text
from feedrank.errors import InputError
from feedrank.models import Author, Interaction, InteractionKind, Post

__all__ = ["VISIBILITIES", "BoostMode", "account_to_author", "status_to_post"]

BoostMode = Literal["boost", "original"]
"""Which status of a boost is the candidate: the boost (timeline entry) or the boosted status."""

VISIBILITIES: tuple[str, ...] = ("public", "unlisted", "private", "direct")
"""The visibilities Mastodon documents; any value other than ``public`` labels a
post ``not_public`` (forks may send others, such as ``local``)."""


def _author(account: JsonObject) -> Author:
    author_id = account.req_str("id")
    acct = account.req_str("acct")
    followers = account.count("followers_count")
    created = account.time("created_at")
    bot = account.flag("bot", required=False)
    _, _, domain = acct.partition("@")
    attributes = {"acct": acct, "instance": domain or "local", "bot": "true" if bot else "false"}
    return build_model(
        lambda: Author(
            id=author_id, followers=followers, created_at=created, attributes=attributes
        ),
        account.record,
        account.source,
        account.path,
    )


def account_to_author(account: Mapping[str, Any]) -> Author:
    """An ``Account`` entity (``/api/v1/accounts/:id``, or a status's ``account``)
    as an :class:`~feedrank.Author`.

    >>> account_to_author({"id": "7", "acct": "ann@social.example", "followers_count": 3,
    ...                    "created_at": "2022-11-05T00:00:00.000Z"}).attributes
    {'acct': 'ann@social.example', 'instance': 'social.example', 'bot': 'false'}
    """
    raw = JsonObject(account, path="")
    return _author(JsonObject(account, record=_id_of(raw), path=""))


def _id_of(obj: JsonObject) -> str | None:
    value = obj.data.get("id")
    return value if isinstance(value, str) and value else None


def _labels(status: JsonObject, account: JsonObject) -> list[str]:
    labels: list[str] = []
    if status.flag("sensitive"):
        labels.append("sensitive")
    if status.req_str("spoiler_text", nonempty=False).strip():
        labels.append("spoiler")
    visibility = status.req_str("visibility")
    if visibility != "public":
        labels += ["not_public", f"visibility:{visibility}"]
    if account.flag("bot", required=False):
        labels.append("bot")
    if status.obj("poll", required=False) is not None:
        labels.append("poll")
    return labels


def _quoted_id(status: JsonObject) -> str | None:
    quote = status.obj("quote", required=False)
    if quote is None or quote.opt_str("state") != "accepted":
        return None
    quoted = quote.obj("quoted_status", required=False)
    if quoted is not None:
        return quoted.req_str("id")
    return quote.opt_str("quoted_status_id")


def _content(status: JsonObject) -> dict[str, Any]:
    """The Post fields that come from a status's content (not who or when)."""
    account = status.req_obj("account")
    counts = {
        InteractionKind.LIKE: status.count("favourites_count"),
        InteractionKind.REPOST: status.count("reblogs_count"),
        InteractionKind.REPLY: status.count("replies_count"),
    }
    if "quotes_count" in status.data:
        counts[InteractionKind.QUOTE] = status.count("quotes_count")
    topics = sorted(
        {
            status.item("tags", i, tag).req_str("name").casefold()
            for i, tag in enumerate(status.array("tags"))
        }
    )
    text = html_to_text(status.req_str("content", nonempty=False))
    warning = status.req_str("spoiler_text", nonempty=False).strip()
    if warning:
        text = f"{warning}\n{text}" if text else warning
    return {
        "counts": {k: v for k, v in counts.items() if v},
        "features": {"media_count": float(len(status.array("media_attachments")))},
        "topics": tuple(topics),
        "labels": tuple(_labels(status, account)),
        "lang": status.opt_str("language"),
        "reply_to": status.opt_str("in_reply_to_id"),
        "quote_of": _quoted_id(status),
        "url": status.opt_str("url") or status.opt_str("uri"),
        "text": text or None,
    }


def _convert(status: JsonObject, mode: BoostMode) -> tuple[Post, list[Author], Interaction | None]:
    """The candidate of one timeline entry, the authors it names and its boost (if any)."""
    status_id = status.req_str("id")
    account = status.req_obj("account")
    authors = [_author(account)]
    created = status.req_time("created_at")
    inner = status.obj("reblog", required=False)
    if inner is None:
        fields = _content(status)
        post = build_model(
            lambda: Post(id=status_id, author_id=authors[0].id, created_at=created, **fields),
            status.record,
            status.source,
        )
        return post, authors, None
    if inner.obj("reblog", required=False) is not None:
        raise inner.error("reblog", "a boost of a boost", "null: a boost points at the original")
    original_id = inner.req_str("id")
    inner_account = inner.req_obj("account")
    authors.append(_author(inner_account))
    boost = Interaction(
        viewer_id=authors[0].id, post_id=original_id, kind=InteractionKind.REPOST, at=created
    )
    fields = _content(inner)
    if mode == "original":
        inner_created = inner.req_time("created_at")
        post = build_model(
            lambda: Post(
                id=original_id, author_id=authors[1].id, created_at=inner_created, **fields
            ),
            status.record,
            status.source,
            "reblog",
        )
        return post, authors, boost
    if status.req_str("visibility") != "public" and "not_public" not in fields["labels"]:
        fields["labels"] += ("not_public", f"visibility:{status.req_str('visibility')}")
    post = build_model(
        lambda: Post(
            id=status_id,
            author_id=authors[0].id,
            created_at=created,
            repost_of=original_id,
            **fields,
        ),
        status.record,
        status.source,
    )
    return post, authors, boost


def _check_mode(boosts: str) -> None:
    if boosts not in ("boost", "original"):
        raise InputError(f"boosts={boosts!r}", field="boosts", expected="'boost' or 'original'")


def status_to_post(status: Mapping[str, Any], *, boosts: BoostMode = "boost") -> Post:
    """One ``Status`` entity as a :class:`~feedrank.Post` (see the module docstring
    for the mapping and for ``boosts``)."""
    _check_mode(boosts)
    probe = JsonObject(status)
    return _convert(JsonObject(status, record=_id_of(probe)), boosts)[0]
