"""Filters that apply the viewer's own choices: blocks, mutes, muted words, seen posts."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.batch.text import LowerText, word_pattern
from feedrank.models import Viewer
from feedrank.stages.filters.base import Codes, Filter, flag, register_filter
from feedrank.stages.policy import Effect

__all__ = ["BlockedAuthors", "MutedAuthors", "MutedWords", "Seen", "authors_in"]


def authors_in(
    batch: PostBatch, requests: Requests, chosen: Callable[[Viewer], frozenset[str]]
) -> NDArray[np.bool_]:
    """ndarray (n,), bool: is the row's author among ``chosen(viewer)`` of its request.

    Author ids are looked up once per distinct author of the batch, not per post.
    """
    if len(requests) == 1:
        viewer = requests.viewers[0]
        return batch._authors_in(chosen(viewer) if viewer is not None else frozenset())
    out = np.zeros(len(batch), dtype=bool)
    lookup: dict[str, int] | None = None
    for _, a, b, viewer in requests.with_viewer():
        wanted = chosen(viewer)
        if not wanted:
            continue
        if lookup is None:
            lookup = batch._author_lookup
        codes = [code for author in wanted if (code := lookup.get(author)) is not None]
        if codes:
            hit = np.zeros(len(lookup), dtype=bool)
            hit[codes] = True
            out[a:b] = hit[batch._author_codes[a:b]]
    return out


@register_filter
class BlockedAuthors(Filter):
    """Remove posts by authors the viewer blocked (reason ``blocked_author``)."""

    type: Literal["blocked_authors"] = "blocked_authors"
    effect: ClassVar[Effect] = "viewer_choice"

    def codes_many(self, batch: PostBatch, requests: Requests) -> Codes:
        return flag(authors_in(batch, requests, lambda v: v.blocked), "blocked_author")


@register_filter
class MutedAuthors(Filter):
    """Remove posts by authors the viewer muted (reason ``muted_author``)."""

    type: Literal["muted_authors"] = "muted_authors"
    effect: ClassVar[Effect] = "viewer_choice"

    def codes_many(self, batch: PostBatch, requests: Requests) -> Codes:
        return flag(authors_in(batch, requests, lambda v: v.muted), "muted_author")


@register_filter
class MutedWords(Filter):
    """Remove posts whose text holds a word or phrase the viewer muted (reason
    ``muted_word``).

    Matching is case-insensitive and on whole words ("cat" does not match
    "category"); the words of a muted phrase may be separated by any run of
    non-word characters. The candidates' text is lower-cased once (per batch
    for one request) and searched as one string with one compiled pattern per
    word (:mod:`feedrank.batch.text`).
    """

    type: Literal["muted_words"] = "muted_words"
    effect: ClassVar[Effect] = "viewer_choice"

    def codes_many(self, batch: PostBatch, requests: Requests) -> Codes:
        hit = np.zeros(len(batch), dtype=bool)
        muting = [(a, b, v.muted_words) for _, a, b, v in requests.with_viewer() if v.muted_words]
        if not muting:
            return flag(hit, "muted_word")
        for a, b, words in muting:
            # One request: the batch's own lower-cased text (kept on the batch);
            # many: each muting request's text, lower-cased once for its words.
            text = batch.lowered_text if len(requests) == 1 else LowerText.of(batch.text[a:b])
            lo, hi = (a, b) if len(requests) == 1 else (0, b - a)
            for word in words:
                pattern = word_pattern(word)
                if pattern is not None:
                    hit[text.rows_matching(pattern, lo, hi) + (a - lo)] = True
        return flag(hit, "muted_word")


@register_filter
class Seen(Filter):
    """Remove posts the viewer has already seen (reason ``seen``)."""

    type: Literal["seen"] = "seen"
    effect: ClassVar[Effect] = "viewer_choice"

    def codes_many(self, batch: PostBatch, requests: Requests) -> Codes:
        return flag(requests.seen, "seen")
