"""Signals of moderation: a multiplier for posts that carry a label.

A factor of :class:`HasLabel` demotes the posts a moderator or a classifier
labelled: a visibility restriction, so the factor needs a declared policy in a
pipeline (:mod:`feedrank.stages.policy`).

>>> from datetime import datetime, timezone
>>> from feedrank import Context, Post, PostBatch
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([
...     Post(id="a", author_id="x", created_at=t, labels=["borderline"]),
...     Post(id="b", author_id="x", created_at=t)])
>>> HasLabel(labels=("borderline",), true_value=0.25).compute(batch, Context.build(batch, now=t))
array([0.25, 1.  ])
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.stages.policy import Effect
from feedrank.stages.signals.base import Signal, register_signal
from feedrank.stages.signals.domain import Domain

__all__ = ["HasLabel"]


@register_signal
class HasLabel(Signal):
    """``true_value`` for a post carrying any of ``labels``, else ``false_value``
    (default 0.5 and 1: a factor that halves the score of labelled posts)."""

    type: Literal["has_label"] = "has_label"
    labels: Annotated[tuple[str, ...], Field(min_length=1)]
    true_value: Annotated[float, Field(ge=0)] = 0.5
    false_value: Annotated[float, Field(ge=0)] = 1.0
    reads: ClassVar[tuple[str, ...]] = ("labels",)
    effect: ClassVar[Effect] = "visibility_restriction"

    @field_validator("labels")
    @classmethod
    def _no_blank(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not label for label in value):
            raise ValueError("labels holds an empty label")
        return value

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        hit = batch.labels.contains_any(self.labels)
        return np.where(hit, self.true_value, self.false_value).astype(np.float64)

    def domain(self) -> Domain:
        return Domain.flag(self.false_value, self.true_value)

    def describe(self) -> str:
        return (
            f"{self.true_value:g} for a post labelled {', '.join(self.labels)}, "
            f"else {self.false_value:g}"
        )
