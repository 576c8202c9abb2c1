"""A Mastodon timeline (a list of statuses, as the API returns it) as candidates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from feedrank.adapters.json_access import JsonObject, json_array
from feedrank.adapters.mastodon.statuses import BoostMode, _check_mode, _convert, _id_of
from feedrank.batch.posts import PostBatch
from feedrank.errors import InputError
from feedrank.io.decoding import decode_json, read_text, source_name
from feedrank.models import Author, Interaction, Post

__all__ = ["MAX_TIMELINE_BYTES", "MastodonTimeline", "load_timeline", "timeline_from_statuses"]

MAX_TIMELINE_BYTES = 64 << 20
"""The largest saved timeline :func:`load_timeline` reads: 64 MiB (a page of
the API is 40 statuses, some 200 KB); ``max_bytes=`` changes it."""


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
    items = json_array(statuses, "statuses", "a JSON array of Status objects")
    posts: dict[str, Post] = {}
    entries: dict[str, int] = {}
    authors: dict[str, Author] = {}
    network: list[Interaction] = []
    accounts: set[str] = set()
    for i, raw in enumerate(items):
        where = f"statuses[{i}]"
        probe = JsonObject(raw, source=where)
        obj = JsonObject(raw, record=_id_of(probe), source=where)
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


def load_timeline(
    source: str | Path | IO[str],
    *,
    boosts: BoostMode = "boost",
    max_bytes: int = MAX_TIMELINE_BYTES,
) -> MastodonTimeline:
    """Read a saved timeline (a JSON array of statuses, as the API returned it) from
    a path or text stream of at most ``max_bytes`` and convert it with
    :func:`timeline_from_statuses`.

    Invalid UTF-8 or JSON, a key given twice in an object and nesting deeper
    than :data:`~feedrank.io.decoding.MAX_DEPTH` are :class:`InputError` at
    their line.
    """
    where = source_name(source)
    text = read_text(source, max_bytes=max_bytes, what="a saved timeline")
    data = decode_json(text, source=where, expected="a JSON array of Status objects")
    try:
        return timeline_from_statuses(data, boosts=boosts)
    except InputError as err:
        err.source = f"{where}: {err.source}" if err.source else str(where)
        err.args = (err._render(),)
        raise
