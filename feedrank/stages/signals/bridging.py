"""The bridging signal: Community Notes-style helpfulness across viewpoints.

The signal reads per-post feature columns written by
:meth:`feedrank.bridging.BridgingFit.attach` (or supplied by the platform):
``{prefix}_intercept`` (the item intercept i_n, the bridging score),
``{prefix}_factor`` (the viewpoint factor f_n) and ``{prefix}_ratings`` (the
number of ratings). Ungated, it returns the intercept. Gated, only posts whose
status is Helpful under :class:`StatusRule` keep their intercept; posts that
need more ratings get ``needs_more_ratings_value`` and posts rated Not helpful
get ``not_helpful_value`` (or, when that is None, their own intercept, which the
rule places at or below −0.05).

The status rule, its three statuses and the names of the feature columns live
here, with the signal that reads them; :mod:`feedrank.bridging` fits the model
that writes the columns and re-exports them.

>>> from datetime import datetime, timezone
>>> import numpy as np
>>> from feedrank import Context, Post, PostBatch
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> def post(pid, i, f, n):
...     return Post(id=pid, author_id="a", created_at=t, features={
...         "bridging_intercept": i, "bridging_factor": f, "bridging_ratings": n})
>>> batch = PostBatch.from_posts([post("wide", 0.45, 0.1, 20), post("split", 0.45, 0.7, 20),
...                               post("new", 0.6, 0.0, 3), post("bad", -0.3, 0.1, 9)])
>>> ctx = Context.build(batch, now=t)
>>> Bridging().compute(batch, ctx).tolist()
[0.45, 0.45, 0.6, -0.3]
>>> Bridging(gate=True).compute(batch, ctx).tolist()
[0.45, 0.0, 0.0, -0.3]
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.errors import RankingError
from feedrank.stages.components import SpecModel
from feedrank.stages.signals.base import Signal, register_signal

__all__ = [
    "HELPFUL",
    "NEEDS_MORE_RATINGS",
    "NOT_HELPFUL",
    "Bridging",
    "StatusRule",
    "bridging_feature_names",
]

HELPFUL = "helpful"
"""Status of an item rated helpful across viewpoints."""
NOT_HELPFUL = "not_helpful"
"""Status of an item rated not helpful."""
NEEDS_MORE_RATINGS = "needs_more_ratings"
"""Status of every other item, and of every item with too few ratings."""


def bridging_feature_names(prefix: str = "bridging") -> tuple[str, str, str]:
    """Names of the intercept, factor and rating-count feature columns for ``prefix``.

    >>> bridging_feature_names()
    ('bridging_intercept', 'bridging_factor', 'bridging_ratings')
    """
    return (f"{prefix}_intercept", f"{prefix}_factor", f"{prefix}_ratings")


class StatusRule(SpecModel):
    """Thresholds turning an item's intercept, factor and rating count into a status.

    With at least ``min_ratings`` ratings, an item is ``"helpful"`` when its
    intercept ≥ ``helpful_intercept`` and its |factor| is within
    ``helpful_max_abs_factor``, and ``"not_helpful"`` when its intercept is
    below ``not_helpful_intercept`` − ``not_helpful_factor_slope`` · |factor|;
    every other item is ``"needs_more_ratings"``. Defaults are the Community
    Notes thresholds.

    ``boundaries`` says what happens exactly at a threshold:

    - ``"scorer"`` (the default, as the open-source scorer decides): Helpful
      needs |factor| ≤ ``helpful_max_abs_factor`` (the status is removed only
      when |factor| is larger) and Not helpful includes its boundary
      (intercept ≤ ``not_helpful_intercept`` − slope · |factor|).
    - ``"documented"`` (as the documentation writes the rule): |factor| <
      ``helpful_max_abs_factor`` and intercept < the Not helpful boundary.

    >>> rule = StatusRule()
    >>> rule.classify(np.array([0.4, 0.4, -0.05, -0.05]), np.array([0.0, 0.5, 0.0, 0.0]),
    ...               np.array([5, 5, 5, 4])).tolist()
    ['helpful', 'helpful', 'not_helpful', 'needs_more_ratings']
    >>> StatusRule(boundaries="documented").classify(
    ...     np.array([0.4, -0.05]), np.array([0.5, 0.0]), np.array([5, 5])).tolist()
    ['needs_more_ratings', 'needs_more_ratings']
    """

    helpful_intercept: float = 0.40
    helpful_max_abs_factor: Annotated[float, Field(gt=0)] = 0.5
    not_helpful_intercept: float = -0.05
    not_helpful_factor_slope: Annotated[float, Field(ge=0)] = 0.8
    min_ratings: Annotated[int, Field(ge=0)] = 5
    boundaries: Literal["scorer", "documented"] = "scorer"

    def classify(
        self,
        intercepts: NDArray[np.float64],
        factors: NDArray[np.float64],
        counts: NDArray[Any],
    ) -> NDArray[np.str_]:
        """Status of each item: ndarray of shape (n,), unicode, one of
        ``"helpful"``, ``"not_helpful"``, ``"needs_more_ratings"``.

        ``intercepts``, ``factors`` (float64) and ``counts`` (numbers of ratings)
        are arrays of shape (n,).
        """
        i = np.asarray(intercepts, dtype=np.float64)
        f = np.abs(np.asarray(factors, dtype=np.float64))
        enough = np.asarray(counts) >= self.min_ratings
        edge = self.not_helpful_intercept - self.not_helpful_factor_slope * f
        if self.boundaries == "scorer":
            narrow, low = f <= self.helpful_max_abs_factor, i <= edge
        else:
            narrow, low = f < self.helpful_max_abs_factor, i < edge
        helpful = enough & (i >= self.helpful_intercept) & narrow
        not_helpful = enough & low
        out: NDArray[np.str_] = np.where(
            helpful, HELPFUL, np.where(not_helpful, NOT_HELPFUL, NEEDS_MORE_RATINGS)
        )
        return out

    def describe(self) -> str:
        """The rule in one line of plain language (no "|", so it fits a Markdown table)."""
        bound = f"{self.helpful_max_abs_factor:g}"
        if self.boundaries == "scorer":
            within, below = f"−{bound} ≤ factor ≤ {bound}", "at most"
        else:
            within, below = f"−{bound} < factor < {bound}", "below"
        return (
            f"Helpful: intercept ≥ {self.helpful_intercept:g} and {within}; "
            f"Not helpful: intercept {below} {self.not_helpful_intercept:g} − "
            f"{self.not_helpful_factor_slope:g} × the factor's size; "
            f"both need at least {self.min_ratings} ratings"
        )


@register_signal
class Bridging(Signal):
    """Bridging score: helpfulness that raters of differing viewpoints agree on.

    Reads the intercept column ``{prefix}_intercept`` and, when ``gate`` is true,
    also ``{prefix}_factor`` and ``{prefix}_ratings`` to apply ``rule``:

    - ``gate = false``: every post gets its intercept.
    - ``gate = true``: Helpful posts get their intercept, posts that need more
      ratings get ``needs_more_ratings_value`` (default 0.0, between the Helpful
      and Not helpful thresholds), Not helpful posts get ``not_helpful_value``,
      or their intercept when it is None.

    A post missing a column it reads (NaN) raises :class:`~feedrank.RankingError`
    naming the post and the column, unless ``default`` is set: then it gets
    ``default`` as its value (whatever the gate).
    """

    type: Literal["bridging"] = "bridging"
    prefix: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", max_length=64)] = "bridging"
    gate: bool = False
    rule: StatusRule = Field(default_factory=StatusRule)
    needs_more_ratings_value: float = 0.0
    not_helpful_value: float | None = None
    default: float | None = None
    reads: ClassVar[tuple[str, ...]] = ("features",)

    @model_validator(mode="after")
    def _gate_options_need_the_gate(self) -> Bridging:
        if not self.gate:
            unused = [
                name
                for name in ("rule", "needs_more_ratings_value", "not_helpful_value")
                if getattr(self, name)
                != type(self).model_fields[name].get_default(call_default_factory=True)
            ]
            if unused:
                raise ValueError(
                    f"{', '.join(unused)} only apply when gate = true; set gate = true "
                    "or leave them out"
                )
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        """The feature columns this signal reads (intercept first)."""
        names = bridging_feature_names(self.prefix)
        return names if self.gate else names[:1]

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        n = len(batch)
        columns = [batch.features.get(name, np.full(n, np.nan)) for name in self.columns]
        missing = np.zeros(n, dtype=bool)
        for name, column in zip(self.columns, columns, strict=True):
            absent = np.isnan(column)
            if self.default is None and absent.any():
                raise RankingError(
                    f"feature {name!r} is missing",
                    field=f"features.{name}",
                    post_id=str(batch.ids[int(np.argmax(absent))]),
                    expected=(
                        "a value for every candidate (attach a fitted model with "
                        "BridgingFit.attach), or a 'default' in the spec"
                    ),
                )
            missing |= absent
        intercept = np.where(missing, 0.0, columns[0])
        values = intercept
        if self.gate:
            factor = np.where(missing, 0.0, columns[1])
            count = np.where(missing, 0.0, columns[2])
            status = self.rule.classify(intercept, factor, count)
            low = intercept if self.not_helpful_value is None else self.not_helpful_value
            values = np.where(
                status == HELPFUL,
                intercept,
                np.where(status == NOT_HELPFUL, low, self.needs_more_ratings_value),
            )
        if self.default is not None:
            values = np.where(missing, self.default, values)
        return np.asarray(values, dtype=np.float64)

    def describe(self) -> str:
        text = (
            f"Bridging score from feature {self.columns[0]!r}: helpfulness that raters "
            "of differing viewpoints agree on"
        )
        if self.gate:
            low = "their score" if self.not_helpful_value is None else f"{self.not_helpful_value:g}"
            text += (
                f", kept only for posts rated Helpful ({self.rule.describe()}); "
                f"posts needing more ratings get {self.needs_more_ratings_value:g}, "
                f"posts rated Not helpful {low}"
            )
        if self.default is not None:
            text += f"; posts without ratings data get {self.default:g}"
        return text
