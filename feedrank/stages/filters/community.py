"""Filters of community rankings: top-level posts only, a minimum interaction
count, posts created within a time window.

Each returns, per post, "" to keep it or a machine-readable reason
(``reply``, ``min_interactions:like>=3``, ``older_than:24h``, ``created_after_now``).

>>> from datetime import datetime, timedelta, timezone
>>> from feedrank import Context, Post, PostBatch
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([
...     Post(id="a", author_id="x", created_at=t - timedelta(hours=30), counts={"like": 9}),
...     Post(id="b", author_id="x", created_at=t, counts={"like": 1}),
...     Post(id="c", author_id="x", created_at=t, reply_to="a", counts={"like": 5})])
>>> ctx = Context.build(batch, now=t)
>>> TopLevel().reasons(batch, ctx).tolist()
['', '', 'reply']
>>> MinInteractions(at_least=3).reasons(batch, ctx).tolist()
['', 'min_interactions:like>=3', '']
>>> CreatedWithin(hours=24).reasons(batch, ctx).tolist()
['older_than:24h', '', '']
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.models import InteractionKind
from feedrank.stages.filters.base import Codes, Filter, flag, register_filter
from feedrank.stages.signals.engagement import _nonempty, weighted_counts

__all__ = ["CreatedWithin", "MinInteractions", "TopLevel"]


@register_filter
class TopLevel(Filter):
    """Keep top-level posts only: remove replies (reason ``reply``) and, when
    ``exclude_reposts`` is set, reposts/boosts (reason ``repost``)."""

    type: Literal["top_level"] = "top_level"
    exclude_reposts: bool = False

    def codes_many(self, batch: PostBatch, requests: Requests) -> Codes:
        codes = (np.char.str_len(batch.reply_to) > 0).astype(np.intp)
        if not self.exclude_reposts:
            return Codes(codes, ("reply",))
        codes[(codes == 0) & (np.char.str_len(batch.repost_of) > 0)] = 2
        return Codes(codes, ("reply", "repost"))

    def describe(self) -> str:
        return "Remove replies" + (" and reposts" if self.exclude_reposts else "")


@register_filter
class MinInteractions(Filter):
    """Keep posts with Σ_k weights[k] · count_k >= ``at_least``; the reason of a
    removed post reads ``min_interactions:like>=3``.

    A platform's "more than N" is ``at_least = N + 1`` for integer counts.
    """

    type: Literal["min_interactions"] = "min_interactions"
    weights: dict[InteractionKind, float] = Field(
        default_factory=lambda: {InteractionKind.LIKE: 1.0}
    )
    at_least: float

    _check_weights = field_validator("weights")(_nonempty)

    def _what(self) -> str:
        return "+".join(k.value if w == 1 else f"{w:g}*{k.value}" for k, w in self.weights.items())

    def codes_many(self, batch: PostBatch, requests: Requests) -> Codes:
        x = weighted_counts(batch, self.weights)
        return flag(x < self.at_least, f"min_interactions:{self._what()}>={self.at_least:g}")

    def describe(self) -> str:
        return f"Remove posts with {self._what()} below {self.at_least:g}"


@register_filter
class CreatedWithin(Filter):
    """Keep posts created within the last ``hours`` before now.

    ``inclusive`` keeps a post exactly ``hours`` old (removed ones: ``older_than:24h``);
    otherwise the window is open and such a post is removed as
    ``not_newer_than:24h``. ``hours`` None means no lower bound (all time).
    Posts dated after now are removed as ``created_after_now`` unless
    ``allow_future``: they did not exist at the moment being ranked.
    """

    type: Literal["created_within"] = "created_within"
    hours: Annotated[float, Field(gt=0)] | None = None
    inclusive: bool = True
    allow_future: bool = False

    def codes_many(self, batch: PostBatch, requests: Requests) -> Codes:
        codes = np.zeros(len(batch), dtype=np.intp)
        table: list[str] = []
        if self.hours is not None:
            age = batch.age_hours(requests.now_rows)
            old = age > self.hours if self.inclusive else age >= self.hours
            codes[old] = 1
            how = "older_than" if self.inclusive else "not_newer_than"
            table.append(f"{how}:{self.hours:g}h")
        if not self.allow_future:
            table.append("created_after_now")
            codes[batch.created_at > requests.now_rows] = len(table)
        return Codes(codes, tuple(table))

    def describe(self) -> str:
        future = "" if self.allow_future else "; remove posts dated after now"
        if self.hours is None:
            return "Keep posts of any age" + future
        return f"Keep posts created within the last {self.hours:g} h" + future
