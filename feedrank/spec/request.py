"""One ranking request: the algorithm, the candidates and the viewer's context.

``feedrank rank`` (records read from files) and the HTTP service's ``/v1/rank``
(records read from a JSON body) both build their request with
:func:`assemble_request` and answer with :meth:`~feedrank.Ranking.to_dict`, so
the two give the same answer for the same records.

>>> from datetime import datetime, timezone
>>> from feedrank import Post, preset
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> request = assemble_request(preset("chronological"),
...                            [Post(id="p1", author_id="a", created_at=t)], now=t)
>>> request.pipeline.rank(request.batch, request.ctx).post_ids
['p1']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.engine.cursor import Cursor
from feedrank.errors import InputError
from feedrank.models import Author, Interaction, Post, Viewer
from feedrank.spec.choice import Chosen
from feedrank.spec.pipeline import Pipeline

__all__ = ["Request", "assemble_request", "parse_now", "request_now"]


@dataclass(frozen=True, eq=False)
class Request:
    """A request ready to rank: the algorithm, the candidates, the context;
    ``chosen``: the viewer's choice applied to the published spec, when one was
    made (``pipeline`` is then its effective spec)."""

    pipeline: Pipeline
    batch: PostBatch
    ctx: Context
    chosen: Chosen | None = None


def assemble_request(
    pipeline: Pipeline,
    posts: Iterable[Post] | PostBatch,
    *,
    now: datetime,
    authors: Iterable[Author] | None = None,
    viewer: Viewer | None = None,
    interactions: Iterable[Interaction] = (),
    post_authors: Mapping[str, str] | None = None,
    network: Iterable[Interaction] = (),
    follow_graph: Mapping[str, Iterable[str]] | None = None,
    prepare: Callable[[PostBatch], PostBatch] | None = None,
    chosen: Chosen | None = None,
) -> Request:
    """The candidates (records, or a batch already built) as a batch and the
    viewer's context at ``now``.

    ``post_authors`` (post id -> author id) names the authors of interacted
    posts that are not candidates. ``prepare`` transforms the batch before the
    context is derived (the command line attaches a saved coordination
    detection with it). ``chosen`` (:func:`feedrank.spec.choice.choose` of
    ``pipeline``) makes its effective spec the one that ranks.
    """
    if isinstance(posts, PostBatch):
        if authors is not None:
            raise InputError(
                "authors with a built batch", field="authors", expected="posts as records"
            )
        batch = posts
    else:
        batch = PostBatch.from_posts(list(posts), None if authors is None else list(authors))
    if prepare is not None:
        batch = prepare(batch)
    ctx = Context.build(
        batch,
        now=now,
        viewer=viewer,
        interactions=interactions,
        post_authors=post_authors,
        network=network,
        follow_graph=follow_graph,
    )
    if chosen is not None:
        return Request(chosen.effective, batch, ctx, chosen)
    return Request(pipeline, batch, ctx)


def request_now(
    now: str | None, cursor: str | None, *, field: str = "--now", cursor_field: str = "--cursor"
) -> datetime:
    """``now`` as given, else the ``now`` of the cursor; InputError naming ``field``
    when there is neither."""
    if now is not None:
        return parse_now(now, field)
    if cursor is not None:
        return Cursor.decode(cursor).now_datetime
    raise InputError("missing", field=field, expected=f"{field} ISO8601 (or a {cursor_field})")


def parse_now(text: str, field: str = "--now") -> datetime:
    """An ISO 8601 time with a timezone (``Z`` accepted)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"cannot read {text!r} as a date",
            field=field,
            expected="ISO 8601, e.g. 2026-01-01T12:00:00Z",
        ) from None
    if moment.tzinfo is None:
        raise InputError(
            f"{text!r} has no timezone", field=field, expected="a timezone such as Z or +01:00"
        )
    return moment
