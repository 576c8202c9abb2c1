"""Filters: which candidates are removed, each with a machine-readable reason.

A filter returns one reason per post: "" keeps the post, anything else removes
it and is recorded (``blocked_author``, ``seen``, ``older_than:48h``, ...).
Filters are idempotent: applied to their own output they remove nothing more.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BeforeValidator, Field, SerializeAsAny, field_validator

from .batch import PostBatch
from .components import Component, Registry
from .context import Context

__all__ = [
    "FILTERS",
    "BlockedAuthors",
    "Filter",
    "FilterSpec",
    "Labels",
    "Language",
    "MaxAge",
    "MutedAuthors",
    "MutedWords",
    "Seen",
    "register_filter",
]


class Filter(Component):
    """Base class: ``reasons(batch, ctx)`` -> ndarray (n,) of str, "" = keep."""

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        """Reason each post is removed, or "" for posts kept."""
        raise NotImplementedError(f"{type(self).__name__} must implement reasons()")

    def keep(self, batch: PostBatch, ctx: Context) -> NDArray[np.bool_]:
        """ndarray of shape (n,), bool: posts the filter keeps."""
        keep: NDArray[np.bool_] = self.reasons(batch, ctx) == ""
        return keep


FILTERS: Registry[Filter] = Registry("filter", Filter)
F = TypeVar("F", bound=type[Filter])


def register_filter(cls: F) -> F:
    """Class decorator registering a :class:`Filter` subclass under its ``type`` tag."""
    FILTERS.register(cls)
    return cls


FilterSpec = Annotated[SerializeAsAny[Filter], BeforeValidator(FILTERS.parse)]


def _mark(mask: NDArray[np.bool_], reason: str) -> NDArray[np.str_]:
    return np.where(mask, reason, "")


def _ids(values: Any) -> NDArray[np.str_]:
    items = sorted(values)
    return np.array(items, dtype=np.str_) if items else np.zeros(0, dtype="U1")


@register_filter
class BlockedAuthors(Filter):
    """Remove posts by authors the viewer blocked."""

    type: Literal["blocked_authors"] = "blocked_authors"

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        blocked = ctx.viewer.blocked if ctx.viewer else frozenset()
        return _mark(np.isin(batch.author_ids, _ids(blocked)), "blocked_author")


@register_filter
class MutedAuthors(Filter):
    """Remove posts by authors the viewer muted."""

    type: Literal["muted_authors"] = "muted_authors"

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        muted = ctx.viewer.muted if ctx.viewer else frozenset()
        return _mark(np.isin(batch.author_ids, _ids(muted)), "muted_author")


@register_filter
class MutedWords(Filter):
    """Remove posts whose text holds a word or phrase the viewer muted.

    Matching is case-insensitive and on whole words ("cat" does not match
    "category"); the words of a muted phrase may be separated by any run of
    non-word characters. A vectorised substring test finds the few candidate
    posts; only those are checked against the whole-word pattern.
    """

    type: Literal["muted_words"] = "muted_words"

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        words = ctx.viewer.muted_words if ctx.viewer else ()
        hit = np.zeros(len(batch), dtype=bool)
        if words and len(batch):
            text = np.strings.lower(batch.text)
            for word in words:
                parts = [p for p in re.split(r"\W+", word.lower()) if p]
                if not parts:
                    continue
                pattern = re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, parts)) + r"(?!\w)")
                rows = np.flatnonzero(~hit & (np.strings.find(text, parts[0]) >= 0))
                hit[rows] = [pattern.search(t) is not None for t in text[rows].tolist()]
        return _mark(hit, "muted_word")


@register_filter
class Seen(Filter):
    """Remove posts the viewer has already seen."""

    type: Literal["seen"] = "seen"

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        return _mark(ctx.seen, "seen")


@register_filter
class MaxAge(Filter):
    """Remove posts older than ``hours`` and, unless allowed, posts dated after now."""

    type: Literal["max_age"] = "max_age"
    hours: Annotated[float, Field(gt=0)]
    allow_future: bool = False

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        age = batch.age_hours(ctx.now)
        out = _mark(age > self.hours, f"older_than:{self.hours:g}h")
        if not self.allow_future:
            out = np.where(batch.created_at > ctx.now, "created_after_now", out)
        return out

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
        ok = np.isin(batch.lang, _ids(wanted)) | (unknown & self.keep_unknown)
        return _mark(~ok, "language")


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

    def describe(self) -> str:
        return "Remove posts labelled " + ", ".join(self.exclude)
