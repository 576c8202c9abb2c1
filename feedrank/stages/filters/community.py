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
from numpy.typing import NDArray
from pydantic import Field, field_validator

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.models import InteractionKind
from feedrank.stages.filters.base import Codes, Filter, flag, mark, register_filter
from feedrank.stages.signals.engagement import _nonempty, weighted_counts

__all__ = ["CreatedWithin", "MinInteractions", "TopLevel"]


@register_filter
class TopLevel(Filter):
    """Keep top-level posts only: remove replies (reason ``reply``) and, when
    ``exclude_reposts`` is set, reposts/boosts (reason ``repost``)."""

    type: Literal["top_level"] = "top_level"
    exclude_reposts: bool = False

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        out = mark(np.char.str_len(batch.reply_to) > 0, "reply")
        if self.exclude_reposts:
            out = np.where((out == "") & (np.char.str_len(batch.repost_of) > 0), "repost", out)
        return out

    def _codes(self, batch: PostBatch, ctx: Context) -> Codes:
        codes = (np.char.str_len(batch.reply_to) > 0).astype(np.intp)
        if self.exclude_reposts:
            codes[(codes == 0) & (np.char.str_len(batch.repost_of) > 0)] = 2
        return codes, ("reply", "repost")

    def _is_rowwise(self) -> bool:
        return True

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

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        x = weighted_counts(batch, self.weights)
        return mark(x < self.at_least, f"min_interactions:{self._what()}>={self.at_least:g}")

    def _codes(self, batch: PostBatch, ctx: Context) -> Codes:
        x = weighted_counts(batch, self.weights)
        return flag(x < self.at_least, f"min_interactions:{self._what()}>={self.at_least:g}")

    def _is_rowwise(self) -> bool:
        return True

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

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        out = np.full(len(batch), "", dtype="U1")
        if self.hours is not None:
            age = batch.age_hours(ctx.now)
            if self.inclusive:
                out = mark(age > self.hours, f"older_than:{self.hours:g}h")
            else:
                out = mark(age >= self.hours, f"not_newer_than:{self.hours:g}h")
        if not self.allow_future:
            out = np.where(batch.created_at > ctx.now, "created_after_now", out)
        return out

    def _codes(self, batch: PostBatch, ctx: Context) -> Codes:
        codes = np.zeros(len(batch), dtype=np.intp)
        table = ["", ""]
        if self.hours is not None:
            age = batch.age_hours(ctx.now)
            if self.inclusive:
                codes = (age > self.hours).astype(np.intp)
                table[0] = f"older_than:{self.hours:g}h"
            else:
                codes = (age >= self.hours).astype(np.intp)
                table[0] = f"not_newer_than:{self.hours:g}h"
        if not self.allow_future:
            codes[batch.created_at > ctx.now] = 2
            table[1] = "created_after_now"
        return codes, tuple(table)

    def _is_rowwise(self) -> bool:
        return True

    def describe(self) -> str:
        future = "" if self.allow_future else "; remove posts dated after now"
        if self.hours is None:
            return "Keep posts of any age" + future
        return f"Keep posts created within the last {self.hours:g} h" + future
