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
``original_rank``         ``features["original_rank"]`` (NaN when absent)
(its place in ``items``)  ``features["request_position"]``: 0, 1, 2, ... (what
                          :data:`INPUT_ORDER`, the fallback, ranks by)
========================  ==========================================================

Engagements become ``counts`` where feedrank has the kind, and ``features``
(``<platform>_<field>``, NaN where absent) where it does not, so a spec can read
every one:

- facebook: ``like`` → like, ``comment`` → reply, ``share`` → share; ``love``,
  ``care``, ``haha``, ``wow``, ``sad``, ``angry`` → ``features["facebook_love"]`` ...
- reddit: ``upvote`` → upvote, ``downvote`` → downvote (when the deprecated
  fields are absent, a positive ``score`` counts as upvotes and a negative one as
  downvotes), ``comment`` → reply; ``score`` and ``award`` → ``features["reddit_score"]``,
  ``features["reddit_award"]``;
- twitter: ``like`` → like, ``retweet`` → repost, ``comment`` → reply, ``share`` → share.

The viewer is ``session.user_id`` and ``now`` is ``session.current_time``.
``ranked_ids`` are the kept items in the ranker's order; removed items are left
out and their reasons are in the decision log. Ids must be unique (the batch
refuses a repeated id, naming it). Past the service's deadline the answer is
:data:`INPUT_ORDER`'s ranking: the items as given, a spec with its own
fingerprint, logged and replayable like any other.

>>> [t.name for t in INPUT_ORDER.scorer.terms]
['input_order']
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
from pydantic import ValidationError
from ranking_challenge.request import RankingRequest

from feedrank.batch.posts import PostBatch
from feedrank.models import Viewer, input_error
from feedrank.spec.pipeline import Pipeline
from feedrank.spec.request import Request, assemble_request
from feedrank.stages.scoring import Scorer, Term
from feedrank.stages.signals import Feature

__all__ = ["INPUT_ORDER", "parse_prc_request", "prc_batch"]

INPUT_ORDER = Pipeline(
    name="prc-input-order",
    description=(
        "The Prosocial Ranking Challenge's fallback order: the items in the order the "
        "request gave them."
    ),
    scorer=Scorer(
        terms=[
            Term(
                name="input_order",
                signal=Feature(name="request_position"),
                weight=-1.0,
                why="Served when ranking misses the deadline: the first item first.",
            )
        ]
    ),
)
"""The spec of ``/rank``'s deadline fallback: score = −(the item's place in the
request), so the items come in the order given."""

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICRO = timedelta(microseconds=1)

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


def prc_batch(items: Sequence[Any], platform: str) -> PostBatch:
    """Validated challenge ``ContentItem`` objects (of ``platform``) as a post batch
    (mapping in the module docstring), built column by column and validated by
    :meth:`~feedrank.PostBatch.from_columns`."""
    engagements = [vars(item.engagements) for item in items]
    counts: dict[str, list[int]] = {}
    for name, kind in _COUNTS[platform].items():
        counts[kind] = [int(e.get(name) or 0) for e in engagements]
    if platform == "reddit":
        for row, e in enumerate(engagements):
            if e.get("upvote") is None and e.get("downvote") is None:
                score = int(e.get("score") or 0)
                counts["upvote"][row], counts["downvote"][row] = max(score, 0), max(-score, 0)
    nan = float("nan")
    features: dict[str, list[float]] = {
        f"{platform}_{name}": [nan if e.get(name) is None else float(e[name]) for e in engagements]
        for name in _FEATURES[platform]
    }
    urls = [[str(u) for u in item.embedded_urls or ()] for item in items]
    features["embedded_urls"] = [float(len(u)) for u in urls]
    features["request_position"] = [float(i) for i in range(len(items))]
    features["original_rank"] = [
        nan if item.original_rank is None else float(item.original_rank) for item in items
    ]
    return PostBatch.from_columns(
        ids=[item.id for item in items],
        author_ids=[item.author_name_hash for item in items],
        created_at=np.array(
            [(_utc(item.created_at) - EPOCH) // _MICRO for item in items], dtype=np.int64
        ),
        created_at_unit="us",
        counts={k: np.array(v, dtype=np.int64) for k, v in counts.items()},
        features={k: np.array(v, dtype=np.float64) for k, v in features.items()},
        text=[item.text if not item.title else f"{item.title}\n\n{item.text}" for item in items],
        reply_to=[
            (item.parent_id or item.post_id or "") if item.type == "comment" else ""
            for item in items
        ],
        lang=[item.language or "" for item in items],
        url=[u[0] if u else "" for u in urls],
    )


def parse_prc_request(body: object, pipeline: Pipeline) -> tuple[Request, list[str]]:
    """Validate a challenge ``RankingRequest`` (decoded JSON) and build its request for
    ``pipeline``; also returns the item ids in input order (the fallback order).

    Raises :class:`~feedrank.errors.InputError` (the body) or
    :class:`~feedrank.errors.BatchError` (a column) naming the field and the item.
    """
    try:
        parsed = RankingRequest.model_validate(body)
    except ValidationError as exc:
        err = input_error(exc, body)
        loc = exc.errors()[0]["loc"]
        if len(loc) > 1 and loc[0] == "items" and isinstance(loc[1], int):
            item = body["items"][loc[1]]  # type: ignore[index]
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                err.locate(post_id=item["id"])
        raise err from None
    ids = [item.id for item in parsed.items]
    batch = prc_batch(parsed.items, parsed.session.platform)
    viewer = Viewer(id=parsed.session.user_id)
    now = _utc(parsed.session.current_time)
    return assemble_request(pipeline, batch, now=now, viewer=viewer), ids
