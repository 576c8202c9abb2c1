"""FiveThirtyEight's twitter-ratio CSVs (``twitter_ratio_2017``), one post per
tweet."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from feedrank._time import EPOCH
from feedrank.datasets._rows import (
    Errors,
    Field,
    FirstLines,
    PathLike,
    Rows,
    csv_rows,
    data_files,
    open_text,
    validated_post,
)
from feedrank.datasets.posts_data import PostsData
from feedrank.errors import InputError
from feedrank.models import InteractionKind, Post

__all__ = ["load_twitter"]

_TWITTER_REQUIRED = ("created_at", "text", "url", "replies", "retweets", "favorites", "user")
_TWEET_URL = re.compile(r"https?://(?:www\.)?twitter\.com/([A-Za-z0-9_]+)/status/([0-9]+)")
_TWEET_TIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d\d) (\d{1,2}):(\d\d)")


def load_twitter(
    paths: PathLike | Iterable[PathLike],
    *,
    encoding: str = "mac_roman",
    errors: Errors = "raise",
) -> PostsData:
    """Read FiveThirtyEight's twitter-ratio CSVs (``twitter_ratio_2017/*.csv``);
    ``paths`` is a file, a folder (its ``*.csv`` files) or a list.

    The files are not UTF-8: they are decoded as ``encoding`` (default
    ``mac_roman``, which maps every byte, so decoding never fails). Columns:
    created_at (``M/D/YY H:MM``; the time zone is not stated and is read as
    UTC), text, url, replies, retweets, favorites, user. Each row becomes a
    :class:`~feedrank.Post`: ``id`` = the status number at the end of ``url``
    (checked to belong to ``user``), ``author_id`` = user, counts ``reply`` =
    replies, ``repost`` = retweets, ``like`` = favorites, ``url``, ``text``.
    Ids must be unique across the files. The data has no follower counts, so
    ``authors`` is empty.
    """
    files = data_files(paths, "*.csv")
    rows = Rows(errors)
    posts: list[Post] = []
    first = FirstLines()
    for file in files:
        where = str(file)
        with open_text(file, encoding) as fh:
            for line, row in csv_rows(fh, where, _TWITTER_REQUIRED, rows):
                get = Field(row, where, line)
                try:
                    post = _tweet(get)
                    first.check(get, post.id, "url", "duplicate tweet", "each tweet once")
                except InputError as problem:
                    rows.fail(problem)
                    continue
                first.add(post.id, get)
                posts.append(post)
    return PostsData(posts, [], rows.problems, tuple(str(f) for f in files))


def _tweet(get: Field) -> Post:
    url = get.text("url")
    found = _TWEET_URL.fullmatch(url.strip())
    if found is None:
        raise get.error(
            "url", f"{url!r} is not a tweet URL", "https://twitter.com/<user>/status/<id>"
        )
    get.record = found.group(2)
    user = get.text("user")
    if found.group(1).lower() != user.lower():
        raise get.error("user", f"{user!r} is not the account of the URL", found.group(1))
    stamp = get.row.get("created_at", "")
    when = _TWEET_TIME.fullmatch(stamp)
    if when is None:
        raise get.error("created_at", f"{stamp!r} is not a date and time", "M/D/YY H:MM")
    try:
        created = datetime.strptime(stamp, "%m/%d/%y %H:%M").replace(tzinfo=EPOCH.tzinfo)
    except ValueError:
        raise get.error("created_at", f"{stamp!r} is not a valid date", "M/D/YY H:MM") from None
    return validated_post(
        get.where,
        get.line,
        found.group(2),
        author_id=user,
        created_at=created,
        counts={
            InteractionKind.REPLY: get.count("replies"),
            InteractionKind.REPOST: get.count("retweets"),
            InteractionKind.LIKE: get.count("favorites"),
        },
        url=url,
        text=get.row.get("text") or None,
    )
