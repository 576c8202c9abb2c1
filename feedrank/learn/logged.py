"""One logged request: the shown posts, their context and what the viewer did."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.errors import InputError

__all__ = ["LoggedRequest"]

Floats = NDArray[np.float64]


def _vector(value: Any, n: int, name: str, request: str) -> Floats:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (n,):
        raise InputError(
            f"has shape {arr.shape}",
            field=name,
            post_id=None,
            source=request or None,
            expected=f"shape ({n},), one value per post of the batch",
        )
    if not np.all(np.isfinite(arr)):
        raise InputError(
            f"holds {arr[~np.isfinite(arr)][0]}",
            field=name,
            source=request or None,
            expected="finite numbers",
        )
    return arr


@dataclass(frozen=True, eq=False)
class LoggedRequest:
    """One logged request: the posts that were shown, the context they were
    ranked in and what the viewer did with them.

    - ``batch``, ``ctx``: the shown posts (n rows) and their :class:`~feedrank.Context`.
    - ``labels``: ndarray (n,), float64 >= 0: the outcome per post (1 = clicked
      or liked, 0 = not; graded values for RankNet; values in [0, 1] for the
      logistic fit). None when only ``preferences`` are logged.
    - ``propensities``: ndarray (n,), float64 in (0, 1], the probability that the
      post was examined (position bias), or None (all 1). When given, the fits
      are inverse-propensity weighted (see :func:`~feedrank.learn.fit_logistic`,
      :func:`~feedrank.learn.fit_ranknet`).
    - ``weights``: ndarray (n,), float64 >= 0, sample weights (default 1).
    - ``preferences``: ndarray (k, 2), intp, rows ``(a, b)``: post ``a`` was
      preferred to post ``b`` (row positions in ``batch``). When given, RankNet
      uses these pairs instead of pairs from ``labels``.
    - ``request_id``: a name used in error messages.
    """

    batch: PostBatch
    ctx: Context
    labels: Floats | None = None
    propensities: Floats | None = None
    weights: Floats | None = None
    preferences: NDArray[np.intp] | None = None
    request_id: str = ""

    def __post_init__(self) -> None:
        n, name = len(self.batch), self.request_id
        if len(self.ctx) != n:
            raise InputError(
                f"context has {len(self.ctx)} rows but the batch has {n}",
                field="ctx",
                source=name or None,
                expected="Context.build(batch, ...) for this batch",
            )
        if self.labels is None and self.preferences is None:
            raise InputError(
                "neither labels nor preferences",
                field="labels",
                source=name or None,
                expected="per-post labels or pairwise preferences",
            )
        self._store("labels", lambda v: v < 0, "label {} is negative", "labels >= 0")
        self._store(
            "propensities",
            lambda p: (p <= 0) | (p > 1),
            "propensity {}",
            "probabilities in (0, 1]",
        )
        self._store("weights", lambda w: w < 0, "weight {} is negative", "weights >= 0")
        if self.preferences is not None:
            pref = np.asarray(self.preferences)
            if pref.size == 0:
                pref = np.zeros((0, 2), dtype=np.intp)
            if pref.ndim != 2 or pref.shape[1] != 2 or pref.dtype.kind not in "iu":
                raise InputError(
                    f"has shape {pref.shape} and dtype {pref.dtype}",
                    field="preferences",
                    source=name or None,
                    expected="an integer array of shape (k, 2)",
                )
            if np.any((pref < 0) | (pref >= n)) or np.any(pref[:, 0] == pref[:, 1]):
                raise InputError(
                    "a pair names a row outside the batch or the same row twice",
                    field="preferences",
                    source=name or None,
                    expected=f"pairs of distinct rows in 0..{n - 1}",
                )
            object.__setattr__(self, "preferences", pref.astype(np.intp))

    def _store(
        self,
        field: str,
        bad: Callable[[Floats], NDArray[np.bool_]],
        problem: str,
        expected: str,
    ) -> None:
        """Check the per-post column ``field`` (when given) as one finite number per
        post and store it as float64; ``problem`` (``{}`` for the value) names the
        first post where ``bad`` holds."""
        value = getattr(self, field)
        if value is None:
            return
        arr = _vector(value, len(self.batch), field, self.request_id)
        rows = bad(arr)
        if np.any(rows):
            raise InputError(
                problem.format(arr[rows][0]),
                field=field,
                post_id=str(self.batch.ids[int(np.argmax(rows))]),
                source=self.request_id or None,
                expected=expected,
            )
        object.__setattr__(self, field, arr)
