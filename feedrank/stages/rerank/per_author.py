"""Per-author re-ranking: one post per account ahead of the rest (Mastodon trends).

>>> from datetime import datetime, timezone
>>> import numpy as np
>>> from feedrank import Context, Post, PostBatch
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([Post(id=i, author_id=a, created_at=t)
...                               for i, a in (("p1", "ann"), ("p2", "ann"), ("p3", "bob"))])
>>> step = OnePerAuthor().adjust(batch, Context.build(batch, now=t),
...                              np.array([0, 1, 2]), np.array([3.0, 2.0, 1.0]))
>>> step.tier.tolist(), step.reasons.tolist()
([0, 1, 0], ['', 'one_per_author', ''])
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.batch.segments import segmented_group_rank
from feedrank.stages.rerank.base import (
    CodedStep,
    Reranker,
    register_reranker,
)

__all__ = ["OnePerAuthor"]


@register_reranker
class OnePerAuthor(Reranker):
    """Each author's best post (first in the current order) keeps its place; every
    other post of that author moves below all of them, with reason
    ``one_per_author``. Scores are unchanged (a demotion tier, no multiplier),
    and the demoted posts keep their order among themselves.
    """

    type: Literal["one_per_author"] = "one_per_author"

    def adjust_many(
        self,
        batch: PostBatch,
        requests: Requests,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> CodedStep:
        repeat = segmented_group_rank(requests.offsets, batch._author_codes, order) > 0
        return CodedStep(None, repeat.astype(np.int64), repeat.astype(np.intp), ("one_per_author",))

    def describe(self) -> str:
        return "One post per author: every author's other posts move below the rest"
