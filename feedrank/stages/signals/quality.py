"""Signals of quality estimated from counts: smoothed rates and the Wilson bound.

>>> from datetime import datetime, timezone
>>> from feedrank import Context, Post, PostBatch
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([
...     Post(id="p", author_id="a", created_at=t, counts={"upvote": 10})])
>>> ctx = Context.build(batch, now=t)
>>> round(float(WilsonLowerBound().compute(batch, ctx)[0]), 6)
0.858931
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.errors import RankingError
from feedrank.models import InteractionKind
from feedrank.stages.signals.base import Signal, register_signal
from feedrank.stages.signals.domain import NON_NEGATIVE, Domain
from feedrank.stages.signals.engagement import _nonempty, weighted_counts

__all__ = ["EngagementRate", "WilsonLowerBound", "wilson_lower_bound"]


def wilson_lower_bound(
    positive: NDArray[np.float64], total: NDArray[np.float64], z: float
) -> NDArray[np.float64]:
    """Lower bound of the Wilson score interval; 0 where ``total`` is 0."""
    n = np.where(total > 0, total, 1.0)
    p = positive / n
    z2 = z * z
    bound = (p + z2 / (2 * n) - z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n)
    return np.where(total > 0, bound, 0.0)


@register_signal
class WilsonLowerBound(Signal):
    """Wilson lower bound of the share of positive votes (Reddit "best")."""

    type: Literal["wilson"] = "wilson"
    positive: tuple[InteractionKind, ...] = (InteractionKind.UPVOTE,)
    negative: tuple[InteractionKind, ...] = (InteractionKind.DOWNVOTE,)
    z: Annotated[float, Field(gt=0)] = 1.281551565545
    reads: ClassVar[tuple[str, ...]] = ("counts",)

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        pos = weighted_counts(batch, dict.fromkeys(self.positive, 1.0))
        neg = weighted_counts(batch, dict.fromkeys(self.negative, 1.0))
        return wilson_lower_bound(pos, pos + neg, self.z)

    def describe(self) -> str:
        return f"Wilson lower bound (z={self.z:g}) of the positive share"


@register_signal
class EngagementRate(Signal):
    """Smoothed rate (Σ w_k · count_k + prior_rate · prior_strength) / (base + prior_strength).

    ``base`` is a count column (e.g. ``view``) or ``followers`` (the author's
    follower count). A rate needs its base: a post without one — no count of
    the ``base`` kind (the batch records an absent count as 0, so a base count
    of 0 means none was reported) or an author whose follower count is unknown
    — has no rate to compute. ``missing_base`` says what it gets instead:

    - ``"prior"`` (the default): ``prior_rate``, the rate assumed before any
      data, whatever its other counts; its explanation notes the missing base.
    - ``"error"``: ranking raises :class:`~feedrank.RankingError` naming the post.

    >>> from datetime import datetime, timezone
    >>> from feedrank import Context, Post, PostBatch
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> batch = PostBatch.from_posts([
    ...     Post(id="seen", author_id="a", created_at=t, counts={"like": 9, "view": 80}),
    ...     Post(id="unseen", author_id="a", created_at=t, counts={"like": 900})])
    >>> ctx = Context.build(batch, now=t)
    >>> rate = EngagementRate(prior_rate=0.05, prior_strength=20.0)
    >>> rate.compute(batch, ctx).tolist()
    [0.1, 0.05]
    >>> rate.notes(batch, ctx).tolist()
    ['', 'no view count: the prior rate 0.05']
    """

    type: Literal["engagement_rate"] = "engagement_rate"
    weights: dict[InteractionKind, float] = Field(
        default_factory=lambda: {InteractionKind.LIKE: 1.0}
    )
    base: InteractionKind | Literal["followers"] = InteractionKind.VIEW
    prior_rate: Annotated[float, Field(ge=0)] = 0.0
    prior_strength: Annotated[float, Field(gt=0)] = 10.0
    missing_base: Literal["prior", "error"] = "prior"
    reads: ClassVar[tuple[str, ...]] = ("counts", "author_followers")

    _check_weights = field_validator("weights")(_nonempty)

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        den, missing = self._base(batch)
        num = weighted_counts(batch, self.weights)
        rate = (num + self.prior_rate * self.prior_strength) / (den + self.prior_strength)
        if missing.any():
            if self.missing_base == "error":
                row = int(np.argmax(missing))
                raise RankingError(
                    f"the post has no {self._base_name} to compute a rate from",
                    field="author_followers" if self.base == "followers" else "counts",
                    post_id=str(batch.ids[row]),
                    expected=(
                        "an Author record with followers for every post's author"
                        if self.base == "followers"
                        else f"a {self._base_name} for every post"
                    )
                    + ", or missing_base = 'prior'",
                )
            rate = np.where(missing, self.prior_rate, rate)
        return rate

    def domain(self) -> Domain:
        """≥ 0 when no weight is negative; any number otherwise."""
        return NON_NEGATIVE if min(self.weights.values()) >= 0 else Domain.real()

    def notes(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_] | None:
        _, missing = self._base(batch)
        note = f"no {self._base_name}: the prior rate {self.prior_rate:g}"
        return np.where(missing, note, "")

    @property
    def _base_name(self) -> str:
        if self.base == "followers":
            return "known follower count"
        return f"{self.base.value} count"

    def _base(self, batch: PostBatch) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """The base of every post, ndarray (n,) float64, and where it is missing (n,) bool."""
        if self.base == "followers":
            den = batch.author_followers
            return den, np.isnan(den)
        den = batch.count(self.base).astype(np.float64)
        return den, den == 0

    def describe(self) -> str:
        base = self.base.value if isinstance(self.base, InteractionKind) else self.base
        kinds = " + ".join(k.value for k in self.weights)
        text = f"({kinds}) per {base}, smoothed towards {self.prior_rate:g}"
        if self.missing_base == "prior":
            return f"{text}; {self.prior_rate:g} without a {self._base_name}"
        return f"{text}; every post needs a {self._base_name}"
