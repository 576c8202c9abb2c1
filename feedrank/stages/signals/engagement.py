"""Signals of engagement counts.

>>> from datetime import datetime, timezone
>>> from feedrank import Context, Post, PostBatch
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([
...     Post(id="p", author_id="a", created_at=t, counts={"like": 9, "repost": 5})])
>>> ctx = Context.build(batch, now=t)
>>> float(Interactions(weights={"like": 1, "repost": 2}).compute(batch, ctx)[0])
19.0
>>> round(float(Interactions(weights={"like": 1}, transform="log1p").compute(batch, ctx)[0]), 6)
2.302585
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator

from feedrank.batch.posts import KINDS, PostBatch, kind_index
from feedrank.batch.requests import Requests
from feedrank.errors import RankingError
from feedrank.models import InteractionKind
from feedrank.stages.signals.base import Signal, register_signal
from feedrank.stages.signals.domain import NON_NEGATIVE, Domain

__all__ = ["Interactions", "weighted_counts"]


def weighted_counts(batch: PostBatch, weights: dict[InteractionKind, float]) -> NDArray[np.float64]:
    """ndarray of shape (n,), float64: Σ_k weights[k] · counts[:, k].

    Only the columns with a non-zero weight are read and converted, and the sum
    runs over them in column order, one row at a time (element-wise), so a
    row's value never depends on the other rows of the batch.
    """
    vec = np.zeros(len(KINDS), dtype=np.float64)
    for kind, w in weights.items():
        vec[kind_index(kind)] = w
    out: NDArray[np.float64] | None = None
    for k in np.flatnonzero(vec).tolist():
        column, w = batch.count(KINDS[k]), float(vec[k])
        if out is None and w == 1.0:
            out = column.astype(np.float64)  # 0.0 + x is x: start from the column
            continue
        if out is None:
            out = np.zeros(len(batch), dtype=np.float64)
        if w == 1.0:
            out += column
        elif w == -1.0:
            out -= column  # x + (-1.0 · c) is x - c, bit for bit
        else:
            out += column * w
    return np.zeros(len(batch), dtype=np.float64) if out is None else out


def _nonempty(value: dict[InteractionKind, float]) -> dict[InteractionKind, float]:
    if not value:
        raise ValueError("weights is empty; expected at least one interaction kind")
    return value


@register_signal
class Interactions(Signal):
    """Weighted interaction counts x = Σ w_k · count_k, then a transform.

    ``transform``: ``linear`` (x), ``log1p`` (ln(1 + x), needs x >= 0) or
    ``signed_log10`` (sign(x) · log10(max(|x|, 1)), the Reddit vote term).
    """

    type: Literal["interactions"] = "interactions"
    weights: dict[InteractionKind, float] = Field(
        default_factory=lambda: {InteractionKind.LIKE: 1.0}
    )
    transform: Literal["linear", "log1p", "signed_log10"] = "linear"
    reads: ClassVar[tuple[str, ...]] = ("counts",)

    _check_weights = field_validator("weights")(_nonempty)

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        x = weighted_counts(batch, self.weights)
        if self.transform == "linear":
            return x
        if self.transform == "log1p":
            if (x < 0).any():
                row = int(np.argmax(x < 0))
                raise RankingError(
                    f"weighted count {x[row]} is negative; log1p needs x >= 0",
                    field="interactions.transform",
                    post_id=str(batch.ids[row]),
                    expected="non-negative weights with log1p, or transform 'signed_log10'",
                )
            return np.log1p(x)
        return np.sign(x) * np.log10(np.maximum(np.abs(x), 1.0))

    def domain(self) -> Domain:
        """≥ 0 with log1p, or when no weight is negative; any number otherwise."""
        if self.transform == "log1p" or min(self.weights.values()) >= 0:
            return NON_NEGATIVE
        return Domain.real()

    def describe(self) -> str:
        parts = " + ".join(f"{w:g}·{k.value}" for k, w in self.weights.items())
        return f"{self.transform}({parts})"
