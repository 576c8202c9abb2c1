"""Per-author re-ranking: one post per account (Mastodon trends), the others
demoted below every account's best or removed.

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
>>> OnePerAuthor(others="remove").adjust(batch, Context.build(batch, now=t),
...     np.array([0, 1, 2]), np.array([3.0, 2.0, 1.0])).removed.tolist()
[False, True, False]
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
    other post of that author, with reason ``one_per_author``:

    - ``others = "demote"`` (the default) moves below all of the authors' best
      posts (a demotion tier), keeping its order among the other demoted posts;
    - ``others = "remove"`` is removed from the feed (counted among the
      removals, with that reason).

    Scores are unchanged (no multiplier).
    """

    type: Literal["one_per_author"] = "one_per_author"
    others: Literal["demote", "remove"] = "demote"

    def adjust_many(
        self,
        batch: PostBatch,
        requests: Requests,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> CodedStep:
        repeat = segmented_group_rank(requests.offsets, batch._author_codes, order) > 0
        codes = repeat.astype(np.intp)
        if self.others == "remove":
            return CodedStep(None, None, codes, ("one_per_author",), repeat)
        return CodedStep(None, repeat.astype(np.int64), codes, ("one_per_author",))

    def describe(self) -> str:
        if self.others == "remove":
            return "One post per author: each author's best post is kept, the others removed"
        return "One post per author: every author's other posts move below the rest"
