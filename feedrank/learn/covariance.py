"""The covariance of learned weights: the inverse Hessian of the penalised
objective at the optimum, or the cluster-robust sandwich over requests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError
from feedrank.learn.objectives import LogisticObjective, RankNetObjective

__all__ = ["Covariance", "covariance_matrix"]

Covariance = Literal["hessian", "sandwich"]
"""How standard errors are estimated: ``"hessian"`` or ``"sandwich"`` (see
:func:`~feedrank.learn.fit_logistic`)."""
Floats = NDArray[np.float64]


def _inverse(h: Floats, names: Sequence[str]) -> Floats:
    """H⁻¹ via Cholesky; a clear error naming the terms when H is singular."""
    try:
        chol = np.linalg.cholesky(h)
    except np.linalg.LinAlgError:
        chol = None
    if chol is not None:
        cond = float(np.max(np.abs(np.diag(chol))) / np.min(np.abs(np.diag(chol)))) ** 2
        if cond < 1e14:
            inv = np.asarray(np.linalg.inv(h), dtype=np.float64)
            return np.asarray(0.5 * (inv + inv.T), dtype=np.float64)
    _, vectors = np.linalg.eigh(h)
    direction = vectors[:, 0]
    involved = [names[int(j)] for j in np.flatnonzero(np.abs(direction) > 0.1)]
    raise InputError(
        "the Hessian is singular, so the weights are not identified: terms "
        + ", ".join(repr(n) for n in involved)
        + " are (nearly) collinear or one of them separates the labels",
        field="learn",
        expected="terms that vary independently, or l2 > 0",
    )


def covariance_matrix(
    fun: LogisticObjective | RankNetObjective,
    theta: Floats,
    kind: Covariance,
    groups: NDArray[np.intp],
    names: Sequence[str],
) -> Floats:
    """Covariance of the parameters at the optimum ``theta`` of ``fun``: ``H⁻¹``
    (``kind="hessian"``) or the sandwich ``H⁻¹ (G/(G−1) Σ_r g_r g_rᵀ) H⁻¹`` over the
    G groups of consecutive equal ``groups`` (``kind="sandwich"``, one group per
    request). ``names``: the parameters, for the error on a singular Hessian.
    """
    inv = _inverse(fun.hessian(theta), names)
    if kind == "hessian":
        return inv
    starts = np.flatnonzero(np.r_[True, np.diff(groups) != 0]) if groups.shape[0] else groups
    g = int(starts.shape[0])
    if g <= fun.size:
        raise InputError(
            f"the sandwich covariance needs more requests than parameters; got {g} "
            f"requests for {fun.size} parameters",
            field="covariance",
            expected="covariance='hessian', or more logged requests",
        )
    per_group = np.add.reduceat(fun.row_gradients(theta), starts, axis=0)
    meat = per_group.T @ per_group * (g / (g - 1.0))
    sandwich = inv @ meat @ inv
    return np.asarray(0.5 * (sandwich + sandwich.T), dtype=np.float64)
