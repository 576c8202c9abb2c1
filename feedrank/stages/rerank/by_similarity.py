"""The shared step of the re-rankers that place posts by similarity (MMR, DPP).

Per request: the relevance (the score, min-max scaled within the request when
asked), the declared similarity of its posts, the placement a re-ranker picks
from the two, and a reason for every post it moved, read off the similarity of
the placed posts: moved down, the post above it resembles most; moved up, how
little it resembles those above it.

>>> similarity_reason(3, 1, 0.931, 0)
'placed at 4 instead of 2: 0.93 similar to #1'
>>> similarity_reason(1, 4, 0.12, 0)
'placed at 2 instead of 5: at most 0.12 similar to #1'
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.stages.rerank.base import CodedStep
from feedrank.stages.rerank.placement import normalized, placed_step, position_phrase
from feedrank.stages.rerank.similarity import Similarity, SimilarityKind, closest_above

__all__ = ["Picker", "place_by_similarity", "similarity_reason"]

Picker = Callable[[NDArray[np.float64], Similarity], NDArray[np.intp]]
"""``pick(relevance, similarity)``: positions (in the request's current order)
in their new order, as :func:`~feedrank.stages.rerank.mmr.mmr_picks` and
:func:`~feedrank.stages.rerank.dpp.dpp_picks` return them."""


def similarity_reason(new: int, old: int, closest: float, near: int, first: int = 0) -> str:
    """The reason of a post placed by similarity: moved down, the post above it
    that it resembles most ("" when it resembles none: it only made room for
    posts moved up); moved up, how little it resembles those above it (from
    position ``first``, 0-based, on)."""
    head = position_phrase(new, old)
    if near < 0:
        return head + ": the most relevant post" + (" left" if new else "")
    if new > old:
        if not closest > 0:
            return ""  # nothing above resembles it: it moved because others moved up
        return f"{head}: {closest:.2f} similar to #{near + 1}"
    above = f"#{first + 1}" if new - first == 1 else f"#{first + 1}–#{new}"
    return f"{head}: at most {closest:.2f} similar to {above}"


def place_by_similarity(
    batch: PostBatch,
    requests: Requests,
    order: NDArray[np.intp],
    scores: NDArray[np.float64],
    *,
    kind: SimilarityKind,
    normalize: bool,
    pick: Picker,
    window: int | None = None,
) -> CodedStep:
    """The placed step of ``pick`` over every request; ``window``: each post is
    compared only with the ``window − 1`` posts placed just above it."""
    offsets = requests.offsets
    picks: list[NDArray[np.intp]] = []
    notes: list[tuple[NDArray[np.float64], NDArray[np.intp]]] = []
    for s in range(offsets.shape[0] - 1):
        rows = order[offsets[s] : offsets[s + 1]]
        rel = scores[rows]
        rel = normalized(rel) if normalize else rel
        sim = Similarity.of(batch, rows, kind)
        chosen = pick(rel, sim)
        picks.append(chosen)
        notes.append(closest_above(sim.matrix(chosen), window))

    def why(segment: int, new: int, old: int) -> str:
        closest, near = notes[segment]
        first = 0 if window is None else max(0, new - window + 1)
        return similarity_reason(new, old, float(closest[new]), int(near[new]), first)

    return placed_step(offsets, order, picks, why)
