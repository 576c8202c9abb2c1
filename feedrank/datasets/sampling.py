"""Vectorised draws and selections the simulator builds on, one per row of a
matrix, and the block size that keeps its matrices small."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["CHUNK_CELLS", "categorical", "dirichlet", "top_k"]

CHUNK_CELLS = 1 << 22
"""Rows per block × columns is kept under this (~4M cells)."""


def dirichlet(gen: np.random.Generator, alpha: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rows ~ Dirichlet(alpha row), via normalised gammas (no zero entries)."""
    x = np.maximum(gen.standard_gamma(alpha), 1e-12)
    return np.asarray(x / x.sum(axis=1, keepdims=True), dtype=np.float64)


def categorical(gen: np.random.Generator, weights: NDArray[np.float64]) -> NDArray[np.intp]:
    """One draw per row ∝ ``weights`` (rows need not sum to 1), by inverse CDF."""
    cum = np.cumsum(weights, axis=1)
    u = np.asarray(gen.random(weights.shape[0]))[:, None] * cum[:, -1:]
    return np.asarray(np.minimum((cum <= u).sum(axis=1), weights.shape[1] - 1), dtype=np.intp)


def top_k(score: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """(rows, min(k, n)) intp: columns of the k largest scores per row (any order)."""
    n = score.shape[1]
    if k <= 0:
        return np.zeros((score.shape[0], 0), dtype=np.intp)
    if k >= n:
        return np.asarray(np.broadcast_to(np.arange(n, dtype=np.intp), score.shape).copy())
    return np.argpartition(-score, k - 1, axis=1)[:, :k].astype(np.intp)
