"""Filters on the post itself: age, language, labels."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.stages.filters.base import Codes, Filter, id_array, mark, register_filter

__all__ = ["Labels", "Language", "MaxAge"]


@register_filter
class MaxAge(Filter):
    """Remove posts older than ``hours`` and, unless allowed, posts dated after now."""

    type: Literal["max_age"] = "max_age"
    hours: Annotated[float, Field(gt=0)]
    allow_future: bool = False

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        age = batch.age_hours(ctx.now)
        out = mark(age > self.hours, f"older_than:{self.hours:g}h")
        if not self.allow_future:
            out = np.where(batch.created_at > ctx.now, "created_after_now", out)
        return out

    def _codes(self, batch: PostBatch, ctx: Context) -> Codes:
        codes = (batch.age_hours(ctx.now) > self.hours).astype(np.intp)
        if not self.allow_future:
            codes[batch.created_at > ctx.now] = 2
        return codes, (f"older_than:{self.hours:g}h", "created_after_now")

    def _is_rowwise(self) -> bool:
        return True

    def describe(self) -> str:
        return f"Remove posts older than {self.hours:g} h"


@register_filter
class Language(Filter):
    """Keep posts in the given languages (or, if none are given, the viewer's).

    Posts without a language are kept when ``keep_unknown`` is true. A viewer
    without languages and no list given keeps everything.
    """

    type: Literal["language"] = "language"
    languages: tuple[str, ...] = ()
    keep_unknown: bool = True

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        wanted = self.languages or (ctx.viewer.languages if ctx.viewer else ())
        if not wanted:
            return np.full(len(batch), "", dtype="U1")
        unknown = batch.lang == ""
        ok = np.isin(batch.lang, id_array(wanted)) | (unknown & self.keep_unknown)
        return mark(~ok, "language")

    def _is_rowwise(self) -> bool:
        return bool(self.languages)


@register_filter
class Labels(Filter):
    """Remove posts carrying any of ``exclude``; the reason names the first label
    in ``exclude`` order (``label:nsfw``)."""

    type: Literal["labels"] = "labels"
    exclude: Annotated[tuple[str, ...], Field(min_length=1)]

    @field_validator("exclude")
    @classmethod
    def _no_blank(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not label for label in value):
            raise ValueError("exclude holds an empty label")
        return value

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        first = batch.labels.first_of(self.exclude)
        names = np.array([f"label:{x}" for x in self.exclude] + [""], dtype=np.str_)
        return names[np.where(first >= 0, first, len(self.exclude))]

    def _codes(self, batch: PostBatch, ctx: Context) -> Codes:
        first = batch.labels.first_of(self.exclude)
        return (first + 1).astype(np.intp), tuple(f"label:{x}" for x in self.exclude)

    def _is_rowwise(self) -> bool:
        return True

    def describe(self) -> str:
        return "Remove posts labelled " + ", ".join(self.exclude)
