"""Filters that apply the viewer's own choices: blocks, mutes, muted words, seen posts."""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.stages.filters.base import Codes, Filter, flag, id_array, mark, register_filter

__all__ = ["BlockedAuthors", "MutedAuthors", "MutedWords", "Seen"]


@register_filter
class BlockedAuthors(Filter):
    """Remove posts by authors the viewer blocked."""

    type: Literal["blocked_authors"] = "blocked_authors"

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        blocked = ctx.viewer.blocked if ctx.viewer else frozenset()
        return mark(np.isin(batch.author_ids, id_array(blocked)), "blocked_author")

    def _codes(self, batch: PostBatch, ctx: Context) -> Codes:
        blocked = ctx.viewer.blocked if ctx.viewer else frozenset()
        return flag(batch._authors_in(blocked), "blocked_author")


@register_filter
class MutedAuthors(Filter):
    """Remove posts by authors the viewer muted."""

    type: Literal["muted_authors"] = "muted_authors"

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        muted = ctx.viewer.muted if ctx.viewer else frozenset()
        return mark(np.isin(batch.author_ids, id_array(muted)), "muted_author")

    def _codes(self, batch: PostBatch, ctx: Context) -> Codes:
        muted = ctx.viewer.muted if ctx.viewer else frozenset()
        return flag(batch._authors_in(muted), "muted_author")


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
        return mark(hit, "muted_word")


@register_filter
class Seen(Filter):
    """Remove posts the viewer has already seen."""

    type: Literal["seen"] = "seen"

    def reasons(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_]:
        return mark(ctx.seen, "seen")

    def _codes(self, batch: PostBatch, ctx: Context) -> Codes:
        return flag(ctx.seen, "seen")

    def _is_rowwise(self) -> bool:
        return True
