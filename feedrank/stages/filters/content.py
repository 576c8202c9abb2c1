"""Filters on the post itself: age, language, labels."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.stages.filters.base import Codes, Filter, flag, id_array, register_filter
from feedrank.stages.policy import Effect

__all__ = ["Labels", "Language", "MaxAge"]


@register_filter
class MaxAge(Filter):
    """Remove posts older than ``hours`` and, unless allowed, posts dated after now."""

    type: Literal["max_age"] = "max_age"
    hours: Annotated[float, Field(gt=0)]
    allow_future: bool = False

    def codes_many(self, batch: PostBatch, requests: Requests) -> Codes:
        codes = (batch.age_hours(requests.now_rows) > self.hours).astype(np.intp)
        if self.allow_future:
            return Codes(codes, (f"older_than:{self.hours:g}h",))
        codes[batch.created_at > requests.now_rows] = 2
        return Codes(codes, (f"older_than:{self.hours:g}h", "created_after_now"))

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

    @property
    def intrinsic_effect(self) -> Effect:
        """The viewer's own choice when it keeps the viewer's languages; a ranking
        preference when the spec names the languages."""
        return "ranking_preference" if self.languages else "viewer_choice"

    def codes_many(self, batch: PostBatch, requests: Requests) -> Codes:
        if self.languages:
            return flag(self._outside(batch.lang, self.languages), "language")
        out = np.zeros(len(batch), dtype=bool)
        for _, a, b, viewer in requests.with_viewer():
            if viewer.languages:
                out[a:b] = self._outside(batch.lang[a:b], viewer.languages)
        return flag(out, "language")

    def _outside(self, lang: NDArray[np.str_], wanted: Iterable[str]) -> NDArray[np.bool_]:
        ok = np.isin(lang, id_array(wanted)) | ((lang == "") & self.keep_unknown)
        out: NDArray[np.bool_] = ~ok
        return out

    def describe(self) -> str:
        which = ", ".join(self.languages) if self.languages else "the viewer's languages"
        unknown = " (and posts without a language)" if self.keep_unknown else ""
        return f"Keep posts in {which}{unknown}"


@register_filter
class Labels(Filter):
    """Remove posts carrying any of ``exclude``; the reason names the first label
    in ``exclude`` order (``label:nsfw``).

    Removing a post for a label a moderator or a classifier put on it is a
    visibility restriction: a pipeline needs the filter's ``policy``.
    """

    type: Literal["labels"] = "labels"
    effect: ClassVar[Effect] = "visibility_restriction"
    exclude: Annotated[tuple[str, ...], Field(min_length=1)]

    @field_validator("exclude")
    @classmethod
    def _no_blank(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not label for label in value):
            raise ValueError("exclude holds an empty label")
        return value

    def codes_many(self, batch: PostBatch, requests: Requests) -> Codes:
        first = batch.labels.first_of(self.exclude)
        return Codes((first + 1).astype(np.intp), tuple(f"label:{x}" for x in self.exclude))

    def describe(self) -> str:
        return "Remove posts labelled " + ", ".join(self.exclude)
