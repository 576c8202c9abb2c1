"""The bootstrap the audit reports use: resample requests (or people) with
replacement, recompute the statistic, take the percentile interval.

Randomness comes only from the ``rng`` argument (a seed or a
``numpy.random.Generator``); the reports default to the seed 0, so the same log
gives the same interval on every run.

>>> import numpy as np
>>> d = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
>>> lo, hi = sum_interval(d, rng=0)
>>> bool(lo <= d.sum() <= hi)
True
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["DEFAULT_RESAMPLES", "DEFAULT_SEED", "percentile", "resamples", "sum_interval"]

DEFAULT_RESAMPLES = 2000
"""Bootstrap resamples unless told otherwise."""
DEFAULT_SEED = 0
"""The seed of the reports' bootstrap unless told otherwise."""


def resamples(
    n: int, rng: np.random.Generator | int | None, n_boot: int = DEFAULT_RESAMPLES
) -> NDArray[np.intp]:
    """ndarray (n_boot, n), intp: row indices drawn with replacement, one resample
    per row (``rng`` None means :data:`DEFAULT_SEED`)."""
    gen = (
        rng
        if isinstance(rng, np.random.Generator)
        else np.random.default_rng(DEFAULT_SEED if rng is None else rng)
    )
    return gen.integers(0, max(n, 1), size=(n_boot, n)).astype(np.intp)


def percentile(stats: NDArray[np.float64], level: float = 0.95) -> tuple[float, float]:
    """The central ``level`` percentile interval of bootstrap statistics."""
    finite = stats[np.isfinite(stats)]
    if not finite.shape[0]:
        return (float("nan"), float("nan"))
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(finite, [tail, 100.0 - tail])
    return (float(lo), float(hi))


def sum_interval(
    values: NDArray[np.float64],
    *,
    rng: np.random.Generator | int | None = None,
    n_boot: int = DEFAULT_RESAMPLES,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``values.sum()`` (values: one per request)."""
    x = np.asarray(values, dtype=np.float64)
    if not x.shape[0]:
        return (0.0, 0.0)
    idx = resamples(x.shape[0], rng, n_boot)
    return percentile(x[idx].sum(axis=1), level)
