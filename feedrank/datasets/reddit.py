"""The Reddit top-post CSVs (``reddit_top_2013``), one post per row, with the
subreddits' subscriber counts from the upstream manifest."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

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
from feedrank.io.decoding import decode_json, read_text
from feedrank.models import Author, InteractionKind, Post

__all__ = ["load_reddit"]

_MAX_MANIFEST_BYTES = 64 << 20  # the upstream manifest is 350 KB

_REDDIT_REQUIRED = ("id", "created_utc", "ups", "downs", "num_comments")


def load_reddit(
    paths: PathLike | Iterable[PathLike],
    *,
    manifest: PathLike | None = None,
    errors: Errors = "raise",
) -> PostsData:
    """Read Reddit top-post CSVs (``reddit_top_2013/data/*.csv``, one file per
    subreddit, or an extract with a ``subreddit`` column); ``paths`` is a file, a
    folder (its ``*.csv`` files, sorted by name) or a list of them.

    Required columns: id, created_utc, ups, downs, num_comments; optional:
    subreddit (default: the file name without ``.csv``), score (checked to equal
    ups − downs), title, selftext, url, over_18, is_self. Each row becomes a
    :class:`~feedrank.Post`: ``id`` = id, ``created_at`` = created_utc (exact),
    counts ``upvote`` = ups, ``downvote`` = downs, ``reply`` = num_comments;
    ``author_id`` = the subreddit (a documented placeholder: the dataset has no
    author column), ``topics`` = (subreddit,); labels ``nsfw`` when over_18 is
    True and ``self`` when is_self is True; ``url`` = url; ``text`` = title, then
    selftext after a blank line when there is one. Ids must be unique across
    all files.

    ``manifest``: the upstream ``manifest.json``; when given, ``authors`` holds one
    :class:`~feedrank.Author` per subreddit read, with ``followers`` = its
    subscriber count and ``attributes`` ``{"kind": "subreddit"}``.

    The 2013 corpus has one invalid row (``MachineLearning.csv`` line 323, post
    ``boqf9``, ``num_comments = -1``): loading the whole folder raises on it;
    pass ``errors="collect"`` to load the other 19,995 rows and get that one
    reported (a negative count is never clamped to 0).
    """
    files = data_files(paths, "*.csv")
    rows = Rows(errors)
    subscribers = _manifest(Path(manifest)) if manifest is not None else None
    posts: list[Post] = []
    first = FirstLines()
    subreddits: dict[str, None] = {}
    for file in files:
        where = str(file)
        default_sub = file.name.removesuffix(".gz").removesuffix(".csv")
        with open_text(file, "utf-8") as fh:
            for line, row in csv_rows(fh, where, _REDDIT_REQUIRED, rows):
                get = Field(row, where, line)
                get.record = row.get("id") or None
                try:
                    post = _reddit_post(get, default_sub)
                    first.check(get, post.id, "id", "duplicate id", "ids unique across the files")
                    if subscribers is not None and post.author_id not in subscribers:
                        raise get.error(
                            "subreddit",
                            f"r/{post.author_id} is not in the manifest",
                            "a subreddit listed in manifest.json",
                        )
                except InputError as problem:
                    rows.fail(problem)
                    continue
                first.add(post.id, get)
                subreddits[post.author_id] = None
                posts.append(post)
    authors = (
        []
        if subscribers is None
        else [
            Author(id=name, followers=subscribers[name], attributes={"kind": "subreddit"})
            for name in subreddits
        ]
    )
    return PostsData(posts, authors, rows.problems, tuple(str(f) for f in files))


def _reddit_post(get: Field, default_sub: str) -> Post:
    row = get.row
    post_id = get.text("id")
    ups, downs = get.count("ups"), get.count("downs")
    if "score" in row:
        score = row["score"]
        if not re.fullmatch(r"-?[0-9]+", score) or int(score) != ups - downs:
            raise get.error("score", f"{score!r} is not ups − downs", f"{ups - downs}")
    sub = get.text("subreddit") if "subreddit" in row else default_sub
    labels = []
    if "over_18" in row and get.flag("over_18"):
        labels.append("nsfw")
    if "is_self" in row and get.flag("is_self"):
        labels.append("self")
    title, body = row.get("title", ""), row.get("selftext", "")
    text = f"{title}\n\n{body}" if title and body else (title or body)
    return validated_post(
        get.where,
        get.line,
        post_id,
        author_id=sub,
        created_at=get.epoch("created_utc"),
        counts={
            InteractionKind.UPVOTE: ups,
            InteractionKind.DOWNVOTE: downs,
            InteractionKind.REPLY: get.count("num_comments"),
        },
        topics=(sub,),
        labels=tuple(labels),
        url=row.get("url") or None,
        text=text or None,
    )


def _manifest(path: Path) -> dict[str, int]:
    """Subreddit name -> subscribers from the upstream manifest.json."""
    where = str(path)
    try:
        text = read_text(path, max_bytes=_MAX_MANIFEST_BYTES, what="manifest.json")
    except FileNotFoundError:
        raise InputError(
            f"no such file: {where!r}", field="manifest", expected="manifest.json"
        ) from None
    data = decode_json(text, source=where, expected="a JSON list of subreddits")
    if not isinstance(data, list):
        raise InputError("not a list", source=where, expected="a JSON list of subreddits")
    out: dict[str, int] = {}
    for i, entry in enumerate(data):
        uri = entry.get("uri") if isinstance(entry, dict) else None
        subs = entry.get("subscribers") if isinstance(entry, dict) else None
        found = re.search(r"/r/([^/]+)/?$", uri) if isinstance(uri, str) else None
        if found is None or not isinstance(subs, int) or isinstance(subs, bool) or subs < 0:
            raise InputError(
                f"entry {i} is {entry!r}",
                source=where,
                field=f"[{i}]",
                expected='{"uri": ".../r/<name>/", "subscribers": <integer >= 0>}',
            )
        out[found.group(1)] = subs
    return out
