"""Feedback fatigue: after a viewer asks to see fewer posts from an author, that
author's posts come back slowly.

X's heuristic (2023): posts by the author are filtered for ``filter_days`` (14)
after the viewer's latest "see fewer", then multiplied by a factor that rises
linearly from ``floor`` (0.2) at day 14 to 1.0 at ``recovery_days`` (154):

    f(d) = floor + (1 − floor) · clip((d − 14) / (154 − 14), 0, 1)

Which interactions mean "see fewer" is part of the spec (``kinds``, default
``hide``); the time of the latest one per author comes from
:meth:`Context.latest_negative`. The filter half is
:class:`feedrank.stages.filters.feedback.SeeFewer`.

>>> import numpy as np
>>> fatigue_multiplier(np.array([0.0, 14.0, 84.0, 154.0, 400.0, np.inf])).tolist()
[0.2, 0.2, 0.6000000000000001, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator, model_validator

from feedrank.batch.context import SEE_FEWER_KINDS
from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.models import NEGATIVE_KINDS, InteractionKind
from feedrank.stages.signals.base import Signal, register_signal

__all__ = ["FeedbackFatigue", "days_since_see_fewer", "fatigue_multiplier"]

MICROS_PER_DAY = 86_400_000_000


def days_since_see_fewer(
    requests: Requests, kinds: tuple[InteractionKind, ...] = SEE_FEWER_KINDS
) -> NDArray[np.float64]:
    """ndarray (n,), float64: days from the viewer's latest ``kinds`` interaction with
    each post's author to its request's ``now``; inf where there is none."""
    latest = requests.latest_negative(kinds)
    days = (requests.now_rows - latest).astype(np.float64) / MICROS_PER_DAY
    return np.asarray(np.where(latest >= 0, days, np.inf), dtype=np.float64)


def fatigue_multiplier(
    days: NDArray[np.float64],
    *,
    filter_days: float = 14.0,
    recovery_days: float = 154.0,
    floor: float = 0.2,
) -> NDArray[np.float64]:
    """ndarray like ``days``, float64: floor + (1 − floor) · clip((days − filter_days) /
    (recovery_days − filter_days), 0, 1). Inside the filter window it is ``floor``."""
    ramp = np.clip((days - filter_days) / (recovery_days - filter_days), 0.0, 1.0)
    return np.asarray(floor + (1.0 - floor) * ramp, dtype=np.float64)


def _see_fewer_kinds(value: tuple[InteractionKind, ...]) -> tuple[InteractionKind, ...]:
    if not value:
        raise ValueError("kinds is empty; expected at least one 'see fewer' interaction kind")
    for kind in value:
        if kind not in NEGATIVE_KINDS:
            raise ValueError(
                f"{kind.value!r} is not a negative kind; expected some of "
                + ", ".join(k.value for k in NEGATIVE_KINDS)
            )
    return value


@register_signal
class FeedbackFatigue(Signal):
    """Multiplier for posts by an author the viewer asked to see fewer of: ``floor`` up
    to ``filter_days``, rising linearly to 1 at ``recovery_days``; 1 with no such
    feedback. Use it as a factor, with the ``see_fewer`` filter for the first days."""

    type: Literal["feedback_fatigue"] = "feedback_fatigue"
    kinds: tuple[InteractionKind, ...] = SEE_FEWER_KINDS
    filter_days: Annotated[float, Field(ge=0)] = 14.0
    recovery_days: Annotated[float, Field(gt=0)] = 154.0
    floor: Annotated[float, Field(ge=0, le=1)] = 0.2
    reads: ClassVar[tuple[str, ...]] = ("author_ids", "viewer.interactions", "now")

    _check_kinds = field_validator("kinds")(_see_fewer_kinds)

    @model_validator(mode="after")
    def _ordered(self) -> FeedbackFatigue:
        if self.recovery_days <= self.filter_days:
            raise ValueError(
                f"recovery_days ({self.recovery_days:g}) must exceed filter_days "
                f"({self.filter_days:g})"
            )
        return self

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        return fatigue_multiplier(
            days_since_see_fewer(requests, self.kinds),
            filter_days=self.filter_days,
            recovery_days=self.recovery_days,
            floor=self.floor,
        )

    def describe(self) -> str:
        kinds = "/".join(k.value for k in self.kinds)
        return (
            f"Feedback fatigue: after the viewer's latest {kinds} on the author, "
            f"{self.floor:g} at day {self.filter_days:g} rising linearly to 1 at day "
            f"{self.recovery_days:g}"
        )
