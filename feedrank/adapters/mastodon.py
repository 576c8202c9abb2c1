"""Mastodon REST API statuses and accounts as feedrank posts and authors.

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
(:attr:`MastodonTimeline.network`): pass it to ``Context.build(network=...)``
and boosts count as social proof.

``Account`` → :class:`~feedrank.Author`: ``id``, ``followers_count`` →
``followers``, ``created_at``, and the attributes ``acct``, ``instance`` (the
domain of ``acct``, or ``local``) and ``bot`` (``"true"``/``"false"``).

Bad input raises :class:`~feedrank.errors.InputError` naming the status id,
the field (a dotted path such as ``reblog.account.followers_count``) and what
was expected; in a list, ``source`` says which element (``statuses[3]``).

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

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, TypeAdapter, ValidationError

from feedrank.batch.posts import PostBatch
from feedrank.errors import InputError
from feedrank.models import Author, Interaction, InteractionKind, Post

__all__ = [
    "VISIBILITIES",
    "BoostMode",
    "MastodonTimeline",
    "account_to_author",
    "html_to_text",
    "load_timeline",
    "status_to_post",
    "timeline_from_statuses",
]

BoostMode = Literal["boost", "original"]
"""Which status of a boost is the candidate: the boost (timeline entry) or the boosted status."""

VISIBILITIES: tuple[str, ...] = ("public", "unlisted", "private", "direct")
"""The visibilities Mastodon documents; any value other than ``public`` labels a
post ``not_public`` (forks may send others, such as ``local``)."""

_M = TypeVar("_M", bound=BaseModel)
_COUNT = "an integer >= 0"
_DATETIME: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


# ---------------------------------------------------------------- JSON access
def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


class _Obj:
    """One object of untrusted JSON. Every accessor checks the JSON type and raises
    :class:`InputError` naming ``record`` (the post id), the dotted field path and
    what was expected. Shared by the Mastodon and AT Protocol adapters."""

    __slots__ = ("data", "path", "record", "source")

    def __init__(
        self, data: object, *, path: str = "", record: str | None = None, source: str | None = None
    ) -> None:
        if not isinstance(data, Mapping):
            raise InputError(
                f"got a JSON {_json_type(data)}",
                field=path or None,
                post_id=record,
                source=source,
                expected="a JSON object",
            )
        self.data: Mapping[str, Any] = data
        self.path = path
        self.record = record
        self.source = source

    def name(self, key: str) -> str:
        """The dotted path of ``key`` inside this object."""
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, message: str, expected: str | None) -> InputError:
        """An InputError about ``key`` of this object."""
        return InputError(
            message,
            field=self.name(key),
            post_id=self.record,
            source=self.source,
            expected=expected,
        )

    def _value(self, key: str, expected: str, required: bool) -> object:
        if key not in self.data:
            if required:
                raise self.error(key, "missing", expected)
            return None
        return self.data[key]

    def _wrong(self, key: str, value: object, expected: str) -> InputError:
        return self.error(key, f"got a JSON {_json_type(value)}", expected)

    def req_str(self, key: str, *, nonempty: bool = True) -> str:
        """A required string (non-empty unless ``nonempty`` is false)."""
        expected = "a non-empty string" if nonempty else "a string"
        value = self._value(key, expected, True)
        if not isinstance(value, str):
            raise self._wrong(key, value, expected)
        if nonempty and not value:
            raise self.error(key, "is empty", expected)
        return value

    def opt_str(self, key: str) -> str | None:
        """A string that may be absent or null (then None); "" also gives None."""
        value = self._value(key, "a string or null", False)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._wrong(key, value, "a string or null")
        return value or None

    def count(self, key: str, *, required: bool = True) -> int:
        """A non-negative integer (not a boolean); 0 when absent and not required."""
        value = self._value(key, _COUNT, required)
        if value is None and not required:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, value, _COUNT)
        if value < 0 or value > 2**63 - 1:
            raise self.error(key, f"is {value}", _COUNT)
        return value

    def flag(self, key: str, *, required: bool = True) -> bool:
        """A boolean; False when absent (or null) and not required."""
        value = self._value(key, "true or false", required)
        if value is None and not required:
            return False
        if not isinstance(value, bool):
            raise self._wrong(key, value, "true or false")
        return value

    def time(self, key: str, *, required: bool = True) -> datetime | None:
        """An ISO 8601 datetime with a timezone; None when absent or null and not required."""
        expected = "an ISO 8601 datetime with a timezone, such as 2026-01-01T12:00:00.000Z"
        value = self._value(key, expected, required)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            raise self._wrong(key, value, expected)
        if not _ISO.match(value):  # pydantic would also read "1772407800" as a Unix time
            raise self.error(key, f"cannot read {value[:40]!r} as a datetime", expected)
        try:
            return _DATETIME.validate_python(value)
        except ValidationError:
            raise self.error(key, f"cannot read {value[:40]!r} as a datetime", expected) from None

    def req_time(self, key: str) -> datetime:
        """A required datetime (see :meth:`time`)."""
        moment = self.time(key)
        assert moment is not None
        return moment

    def obj(self, key: str, *, required: bool = True) -> _Obj | None:
        """A nested object; None when absent or null and not required."""
        value = self._value(key, "a JSON object", required)
        if value is None and not required:
            return None
        return _Obj(value, path=self.name(key), record=self.record, source=self.source)

    def req_obj(self, key: str) -> _Obj:
        """A required nested object."""
        inner = self.obj(key)
        assert inner is not None
        return inner

    def array(self, key: str, *, required: bool = False) -> list[Any]:
        """A JSON array; [] when absent or null and not required."""
        value = self._value(key, "a JSON array", required)
        if value is None and not required:
            return []
        if not isinstance(value, (list, tuple)):
            raise self._wrong(key, value, "a JSON array")
        return list(value)

    def item(self, key: str, index: int, value: object) -> _Obj:
        """Element ``index`` of the array ``key`` as an object."""
        return _Obj(
            value, path=f"{self.name(key)}[{index}]", record=self.record, source=self.source
        )


def _model(build: Callable[[], _M], record: str | None, source: str | None, prefix: str = "") -> _M:
    """Construct a pydantic model, turning a ValidationError into an InputError."""
    try:
        return build()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        more = len(exc.errors()) - 1
        message = first["msg"] + (f" (and {more} more problems)" if more else "")
        raise InputError(
            message,
            field=(f"{prefix}.{where}" if prefix and where else prefix or where) or None,
            post_id=record,
            source=source,
        ) from None


# ---------------------------------------------------------------- HTML
_BLOCKS = frozenset(
    {"p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_SPACE = re.compile(r"[ \t\r\n\f]+")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pre = 0

    def _newlines(self, count: int) -> None:
        text = "".join(self.parts[-3:])
        have = len(text) - len(text.rstrip("\n"))
        if self.parts and have < count:
            self.parts.append("\n" * (count - have))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self._newlines(1 if tag == "li" else 2)
        if tag == "pre":
            self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in _BLOCKS:
            self._newlines(1 if tag == "li" else 2)

    def handle_data(self, data: str) -> None:
        if not self.pre:
            data = _SPACE.sub(" ", data)
            if not self.parts or self.parts[-1].endswith(("\n", " ")):
                data = data.lstrip(" ")
        if data:
            self.parts.append(data)


def html_to_text(content: str) -> str:
    """Plain text of a status's HTML ``content`` (standard library ``html.parser``).

    Paragraphs are separated by a blank line, ``<br>`` becomes a line break,
    entities are decoded, runs of whitespace collapse (except inside ``<pre>``),
    tags are dropped and their text kept, so Mastodon's link markup (the
    ``invisible`` spans around a shortened URL) reads back as the whole URL.

    >>> html_to_text('<p>Hi &amp; welcome<br>to <a href="https://x.example/a/b">'
    ...              '<span class="invisible">https://</span><span class="ellipsis">'
    ...              'x.example/a</span><span class="invisible">/b</span></a></p><p>Bye</p>')
    'Hi & welcome\\nto https://x.example/a/b\\n\\nBye'
    """
    parser = _TextParser()
    parser.feed(content)
    parser.close()
    lines = [line.rstrip(" ") for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# ---------------------------------------------------------------- entities
def _author(account: _Obj) -> Author:
    author_id = account.req_str("id")
    acct = account.req_str("acct")
    followers = account.count("followers_count")
    created = account.time("created_at")
    bot = account.flag("bot", required=False)
    _, _, domain = acct.partition("@")
    attributes = {"acct": acct, "instance": domain or "local", "bot": "true" if bot else "false"}
    return _model(
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
    raw = _Obj(account, path="")
    return _author(_Obj(account, record=_id_of(raw), path=""))


def _id_of(obj: _Obj) -> str | None:
    value = obj.data.get("id")
    return value if isinstance(value, str) and value else None


def _labels(status: _Obj, account: _Obj) -> list[str]:
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


def _quoted_id(status: _Obj) -> str | None:
    quote = status.obj("quote", required=False)
    if quote is None or quote.opt_str("state") != "accepted":
        return None
    quoted = quote.obj("quoted_status", required=False)
    if quoted is not None:
        return quoted.req_str("id")
    return quote.opt_str("quoted_status_id")


def _content(status: _Obj) -> dict[str, Any]:
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


def _convert(status: _Obj, mode: BoostMode) -> tuple[Post, list[Author], Interaction | None]:
    """The candidate of one timeline entry, the authors it names and its boost (if any)."""
    status_id = status.req_str("id")
    account = status.req_obj("account")
    authors = [_author(account)]
    created = status.req_time("created_at")
    inner = status.obj("reblog", required=False)
    if inner is None:
        fields = _content(status)
        post = _model(
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
        post = _model(
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
    post = _model(
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
    probe = _Obj(status)
    return _convert(_Obj(status, record=_id_of(probe)), boosts)[0]


@dataclass(frozen=True)
class MastodonTimeline:
    """Candidates read from a list of statuses.

    ``posts``: one per timeline entry (``"boost"`` mode) or per distinct status
    (``"original"`` mode), in timeline order. ``authors``: every account named
    (boosters and boosted authors), first occurrence kept. ``network``: one
    ``repost`` interaction per boost (booster, boosted status, boost time).
    ``timeline_accounts``: the accounts whose statuses or boosts make up the
    timeline; on a home timeline, the accounts the viewer follows (and the viewer).
    """

    posts: tuple[Post, ...]
    authors: tuple[Author, ...]
    network: tuple[Interaction, ...]
    timeline_accounts: frozenset[str]

    def batch(self) -> PostBatch:
        """The posts as a :class:`~feedrank.PostBatch`, follower counts filled in."""
        return PostBatch.from_posts(list(self.posts), self.authors)


def timeline_from_statuses(
    statuses: Iterable[Mapping[str, Any]] | object, *, boosts: BoostMode = "boost"
) -> MastodonTimeline:
    """Convert a list of ``Status`` entities (a timeline page, or several pages
    joined) into candidates.

    A status id that appears twice as a timeline entry raises InputError (pages
    that overlap should be de-duplicated by the caller); in ``"original"`` mode
    the same boosted status reached through several entries is one candidate.
    """
    _check_mode(boosts)
    if isinstance(statuses, (str, bytes, Mapping)) or not isinstance(statuses, Iterable):
        raise InputError(
            f"got a {_json_type(statuses)}",
            field="statuses",
            expected="a JSON array of Status objects",
        )
    posts: dict[str, Post] = {}
    entries: dict[str, int] = {}
    authors: dict[str, Author] = {}
    network: list[Interaction] = []
    accounts: set[str] = set()
    for i, raw in enumerate(statuses):
        where = f"statuses[{i}]"
        probe = _Obj(raw, source=where)
        obj = _Obj(raw, record=_id_of(probe), source=where)
        post, named, boost = _convert(obj, boosts)
        entry_id = obj.req_str("id")
        if entry_id in entries:
            raise InputError(
                f"status id repeats statuses[{entries[entry_id]}]",
                source=where,
                post_id=entry_id,
                field="id",
                expected="each status once (de-duplicate overlapping pages)",
            )
        entries[entry_id] = i
        accounts.add(named[0].id)
        for author in named:
            authors.setdefault(author.id, author)
        if boost is not None:
            network.append(boost)
        if post.id in posts and boosts == "original":
            continue
        posts[post.id] = post
    return MastodonTimeline(
        posts=tuple(posts.values()),
        authors=tuple(authors.values()),
        network=tuple(network),
        timeline_accounts=frozenset(accounts),
    )


def load_timeline(source: str | Path | IO[str], *, boosts: BoostMode = "boost") -> MastodonTimeline:
    """Read a saved timeline (a JSON array of statuses, as the API returned it) from
    a path or text stream and convert it with :func:`timeline_from_statuses`."""
    where = str(source) if isinstance(source, (str, Path)) else getattr(source, "name", "<stream>")
    try:
        if isinstance(source, (str, Path)):
            data = json.loads(Path(source).read_text(encoding="utf-8"))
        else:
            data = json.load(source)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} at column {exc.colno}",
            source=str(where),
            line=exc.lineno,
            expected="a JSON array of Status objects",
        ) from None
    try:
        return timeline_from_statuses(data, boosts=boosts)
    except InputError as err:
        err.source = f"{where}: {err.source}" if err.source else str(where)
        err.args = (err._render(),)
        raise
