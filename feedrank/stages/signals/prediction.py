"""Predicted engagement: a platform model's probability, or an estimate from counts.

X's heavy ranker scores a post by Σ wᵢ · P(engagementᵢ), where each P comes from
a model the platform runs. :class:`PredictedEngagement` reads that prediction
from a post feature (``p_fav``, ``p_reply``, ...). A platform without such a
model can let a documented smoothed rate stand in:

    P̂ = (Σ counts[estimate_from] + prior_strength · prior_rate) / (counts[per] + prior_strength)

e.g. p_fav ≈ (likes + α·π) / (views + α). With ``estimate_from`` empty no count
observes the engagement and the estimate is ``prior_rate``.

``source`` chooses per spec: ``"auto"`` uses the feature where the post has it
and the estimate otherwise, ``"feature"`` requires the feature (a post without it
is an error unless ``default`` is set) and ``"estimate"`` always uses the
estimate. :meth:`PredictedEngagement.estimated` and :meth:`~PredictedEngagement.sources`
(and, for a ranking, :func:`feedrank.ranking.provenance.provenance`) tell, per
post, which one a term used.

>>> from datetime import datetime, timezone
>>> from feedrank import Context, Post, PostBatch
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([
...     Post(id="model", author_id="a", created_at=t, features={"p_fav": 0.25}),
...     Post(id="counts", author_id="a", created_at=t, counts={"like": 30, "view": 90})])
>>> fav = PredictedEngagement(feature="p_fav", estimate_from=("like",), prior_rate=0.1,
...                           prior_strength=10.0)
>>> fav.compute(batch, Context.build(batch, now=t)).tolist()  # (30 + 10·0.1) / (90 + 10)
[0.25, 0.31]
>>> fav.estimated(batch).tolist()
[False, True]
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.errors import RankingError
from feedrank.models import InteractionKind
from feedrank.stages.signals.base import Signal, register_signal
from feedrank.stages.signals.domain import NON_NEGATIVE, Domain
from feedrank.stages.signals.engagement import weighted_counts

__all__ = ["PredictedEngagement"]

Source = Literal["auto", "feature", "estimate"]


@register_signal
class PredictedEngagement(Signal):
    """P(engagement): the platform's prediction feature, or a smoothed rate from counts.

    ``feature`` names the prediction (a probability in [0, 1], NaN = absent);
    ``estimate_from`` the count kinds whose sum estimates the same engagement,
    ``per`` the count it is a rate of (views by default), ``prior_rate`` π and
    ``prior_strength`` α the smoothing. ``source`` picks the feature, the
    estimate, or (``auto``) the feature where present and the estimate elsewhere.
    A feature outside [0, 1] is an error naming the post and the feature.
    """

    type: Literal["predicted_engagement"] = "predicted_engagement"
    feature: Annotated[str, Field(min_length=1)]
    estimate_from: tuple[InteractionKind, ...] = ()
    per: InteractionKind = InteractionKind.VIEW
    prior_rate: Annotated[float, Field(ge=0, le=1)] = 0.0
    prior_strength: Annotated[float, Field(gt=0)] = 100.0
    source: Source = "auto"
    default: Annotated[float, Field(ge=0, le=1)] | None = None
    label: str = ""
    """Plain-language name of the engagement for explanations (e.g. "favorite")."""
    reads: ClassVar[tuple[str, ...]] = ("features", "counts")
    value_domain: ClassVar[Domain] = NON_NEGATIVE

    # ------------------------------------------------------------ parts
    def estimate(self, batch: PostBatch) -> NDArray[np.float64]:
        """ndarray (n,), float64: the smoothed-rate estimate for every post."""
        n = len(batch)
        if not self.estimate_from:
            return np.full(n, self.prior_rate, dtype=np.float64)
        hits = weighted_counts(batch, dict.fromkeys(self.estimate_from, 1.0))
        base = batch.count(self.per).astype(np.float64)
        alpha = self.prior_strength
        return np.asarray((hits + alpha * self.prior_rate) / (base + alpha), dtype=np.float64)

    def _feature_column(self, batch: PostBatch) -> NDArray[np.float64]:
        column = batch.features.get(self.feature)
        if column is None:
            return np.full(len(batch), np.nan)
        bad = ~np.isnan(column) & ((column < 0) | (column > 1))
        if bad.any():
            row = int(np.argmax(bad))
            raise RankingError(
                f"prediction {column[row]} is not a probability",
                field=f"features.{self.feature}",
                post_id=str(batch.ids[row]),
                expected="a probability in [0, 1]",
            )
        return column

    def estimated(self, batch: PostBatch) -> NDArray[np.bool_]:
        """ndarray (n,), bool: posts whose value is the estimate from counts (True)
        rather than the platform's prediction or ``default`` (False)."""
        if self.source == "estimate":
            return np.ones(len(batch), dtype=bool)
        if self.source == "feature":
            return np.zeros(len(batch), dtype=bool)
        absent: NDArray[np.bool_] = np.isnan(self._feature_column(batch))
        return absent

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        if self.source == "estimate":
            return self.estimate(batch)
        column = self._feature_column(batch)
        absent = np.isnan(column)
        if not absent.any():
            return np.array(column, dtype=np.float64)
        if self.source == "auto":
            return np.asarray(np.where(absent, self.estimate(batch), column), dtype=np.float64)
        if self.default is None:
            raise RankingError(
                f"prediction {self.feature!r} is missing",
                field=f"features.{self.feature}",
                post_id=str(batch.ids[int(np.argmax(absent))]),
                expected="a value for every candidate, a 'default', or source 'auto'",
            )
        return np.asarray(np.where(absent, self.default, column), dtype=np.float64)

    def sources(self, batch: PostBatch) -> NDArray[np.str_]:
        """ndarray (n,), str: where each post's value comes from: ``"feature"``
        (the platform's prediction), ``"estimate"`` (the smoothed rate from
        counts) or ``"default"`` (the spec's default for a missing feature)."""
        out = np.where(self.estimated(batch), "estimate", "feature")
        if self.source == "feature":
            out = np.where(np.isnan(self._feature_column(batch)), "default", out)
        return out.astype(np.str_)

    # ------------------------------------------------------- explanation
    def rule(self) -> str:
        """The estimator written out, e.g. ``(like + 100·0) / (view + 100)``."""
        if not self.estimate_from:
            return f"{self.prior_rate:g} (no count observes it: the prior rate)"
        hits = " + ".join(k.value for k in self.estimate_from)
        a = f"{self.prior_strength:g}"
        return f"({hits} + {a}·{self.prior_rate:g}) / ({self.per.value} + {a})"

    def describe(self) -> str:
        what = f"P({self.label or self.feature})"
        if self.source == "estimate":
            return f"{what} estimated from counts as {self.rule()}; no platform prediction used"
        if self.source == "feature":
            fallback = "" if self.default is None else f", {self.default:g} where absent"
            return f"{what} from the platform's prediction {self.feature!r}{fallback}"
        return (
            f"{what}: the platform's prediction {self.feature!r} where present, "
            f"else estimated from counts as {self.rule()}"
        )
