"""The bridging signal: Community Notes-style helpfulness across viewpoints.

The signal reads per-post feature columns written by
:meth:`feedrank.bridging.BridgingFit.attach` (or supplied by the platform):
``{prefix}_intercept`` (the item intercept i_n, the bridging score),
``{prefix}_factor`` (the viewpoint factor f_n) and ``{prefix}_ratings`` (the
number of ratings). Ungated, it returns the intercept. Gated, only posts whose
status is Helpful under :class:`~feedrank.bridging.StatusRule` keep their
intercept; posts that need more ratings get ``needs_more_ratings_value`` and
posts rated Not helpful get ``not_helpful_value`` (or, when that is None, their
own intercept, which the rule places below −0.05).

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

from typing import Annotated, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.bridging import HELPFUL, NOT_HELPFUL, StatusRule, bridging_feature_names
from feedrank.errors import RankingError
from feedrank.stages.signals.base import Signal, register_signal

__all__ = ["Bridging"]


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
    rule: StatusRule = StatusRule()
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
                if getattr(self, name) != type(self).model_fields[name].default
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

    def _is_rowwise(self) -> bool:
        return True

    def compute(self, batch: PostBatch, ctx: Context) -> NDArray[np.float64]:
        n = len(batch)
        columns = [batch.features.get(name, np.full(n, np.nan)) for name in self.columns]
        missing = np.zeros(n, dtype=bool)
        for name, column in zip(self.columns, columns, strict=True):
            absent = np.isnan(column)
            if self.default is None and np.any(absent):
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
