"""Step 4 of the simulation: a homophilous, popularity-weighted follow graph."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from feedrank.datasets.sampling import CHUNK_CELLS

__all__ = ["SIMILARITY_STRENGTH", "follow_graph"]

SIMILARITY_STRENGTH = 3.0
"""The 3 of ``exp(3 · cos(θ_u, θ_a))``, how strongly shared interests draw follows."""


def follow_graph(
    gen: np.random.Generator,
    interests: NDArray[np.float64],
    group: NDArray[np.intp],
    popularity: NDArray[np.float64],
    mean: float,
    homophily: float,
) -> NDArray[np.bool_]:
    """(U, A) bool follow matrix of step 4, drawn by Gumbel top-k per user."""
    n_u, n_a = interests.shape[0], popularity.shape[0]
    unit = interests / np.linalg.norm(interests, axis=1, keepdims=True)
    want = np.asarray(gen.poisson(mean, size=n_u), dtype=np.int64)
    out = np.zeros((n_u, n_a), dtype=bool)
    step = max(1, CHUNK_CELLS // n_a)
    for lo in range(0, n_u, step):
        users = np.arange(lo, min(lo + step, n_u))
        base = popularity * np.exp(SIMILARITY_STRENGTH * (unit[users] @ unit[:n_a].T))
        base[users < n_a, users[users < n_a]] = 0.0  # nobody follows themselves
        same = group[users][:, None] == group[:n_a][None, :]
        w_same = np.where(same, base, 0.0).sum(axis=1, keepdims=True)
        w_other = np.where(same, 0.0, base).sum(axis=1, keepdims=True)
        scale = np.where(
            same,
            homophily / np.where(w_same > 0, w_same, 1.0),
            (1 - homophily) / np.where(w_other > 0, w_other, 1.0),
        )
        weight = base * scale
        weight = np.where(weight.sum(axis=1, keepdims=True) > 0, weight, base)
        k = np.clip(want[users], 1, None)
        k = np.minimum(k, (weight > 0).sum(axis=1))
        keys = np.where(
            weight > 0,
            np.log(np.where(weight > 0, weight, 1.0)) + gen.gumbel(size=weight.shape),
            -np.inf,
        )
        rank = np.empty_like(users, shape=keys.shape)
        np.put_along_axis(
            rank, np.argsort(-keys, axis=1, kind="stable"), np.arange(n_a)[None, :], axis=1
        )
        out[users] = rank < k[:, None]
    return out
