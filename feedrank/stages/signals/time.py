"""Signals of time: age decays and timestamps.

>>> from datetime import datetime, timedelta, timezone
>>> from feedrank import Context, Post, PostBatch
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([Post(id="p", author_id="a", created_at=t)])
>>> ctx = Context.build(batch, now=t + timedelta(hours=3))
>>> float(ExponentialDecay(half_life_hours=3).compute(batch, ctx)[0])
0.5
>>> round(float(GravityDecay().compute(batch, ctx)[0]), 6)  # 1 / (3 + 2) ** 1.8
0.055189
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.stages.signals.base import Signal, register_signal
from feedrank.stages.signals.domain import NON_NEGATIVE, Domain

__all__ = ["AgeHours", "ExponentialDecay", "GravityDecay", "Timestamp"]

Positive = Annotated[float, Field(gt=0)]


@register_signal
class ExponentialDecay(Signal):
    """Exponential age decay: 0.5 ** (age_hours / half_life_hours)."""

    type: Literal["exponential_decay"] = "exponential_decay"
    half_life_hours: Positive = 24.0
    reads: ClassVar[tuple[str, ...]] = ("created_at", "now")
    value_domain: ClassVar[Domain] = NON_NEGATIVE

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        return np.exp2(-batch.age_hours(requests.now_rows) / self.half_life_hours)

    def describe(self) -> str:
        return f"Exponential age decay, halving every {self.half_life_hours:g} h"


@register_signal
class GravityDecay(Signal):
    """Power-law age decay: 1 / (age_hours + offset_hours) ** gravity."""

    type: Literal["gravity_decay"] = "gravity_decay"
    gravity: Positive = 1.8
    offset_hours: Annotated[float, Field(ge=0)] = 2.0
    reads: ClassVar[tuple[str, ...]] = ("created_at", "now")

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        base = batch.age_hours(requests.now_rows) + self.offset_hours
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(np.power(base, -self.gravity), dtype=np.float64)

    def describe(self) -> str:
        return f"Age decay 1/(age_h + {self.offset_hours:g})^{self.gravity:g}"


@register_signal
class Timestamp(Signal):
    """Creation time as (epoch_seconds - origin) / scale: larger is newer."""

    type: Literal["timestamp"] = "timestamp"
    origin: float = 0.0
    scale: Positive = 3600.0
    reads: ClassVar[tuple[str, ...]] = ("created_at",)

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        # Integer seconds and the fractional part separately keep full precision.
        seconds = batch.created_at // 1_000_000
        micros = batch.created_at - seconds * 1_000_000
        return ((seconds.astype(np.float64) - self.origin) + micros / 1e6) / self.scale

    def describe(self) -> str:
        return f"Creation time in units of {self.scale:g} s since epoch second {self.origin:g}"


@register_signal
class AgeHours(Signal):
    """Age of the post in hours at ``now``."""

    type: Literal["age_hours"] = "age_hours"
    reads: ClassVar[tuple[str, ...]] = ("created_at", "now")

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        return batch.age_hours(requests.now_rows)
