"""The penalised objectives of the two fits, with exact gradients, Hessians and
per-example gradients: pointwise logistic and pairwise linear RankNet."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["LogisticObjective", "RankNetObjective"]

Floats = NDArray[np.float64]


def _softplus(z: Floats) -> Floats:
    """log(1 + e^z), without overflow."""
    return np.logaddexp(0.0, z)


def _expit(z: Floats) -> Floats:
    """σ(z) = 1 / (1 + e^{−z}), scipy's logistic function."""
    from scipy.special import expit

    out: Floats = expit(z)
    return out


class LogisticObjective:
    """The penalised pointwise logistic objective and its derivatives.

    With inputs ``x`` (N, T), targets ``t`` (N,) >= 0, sample weights ``w`` (N,),
    a fixed offset ``o`` (N,) and parameters ``θ = (β_1..β_T, b)``::

        z_i  = x_i · β + b + o_i
        J(θ) = Σ_i w_i [log(1 + e^{z_i}) − t_i z_i] + (λ/2) Σ_t β_t²
        ∇_β J = xᵀ (w ⊙ (σ(z) − t)) + λ β,      ∂J/∂b = Σ_i w_i (σ(z_i) − t_i)
        ∇²J   = [x 1]ᵀ diag(w ⊙ σ(z)(1 − σ(z))) [x 1] + λ diag(1, …, 1, 0)

    ``σ`` is the logistic function. For targets in {0, 1} the data term is the
    negative log-likelihood of Bernoulli(σ(z)); it is convex in θ for any
    targets >= 0 (it is linear in t), so inverse-propensity targets ``c/π`` > 1
    are fine. The intercept ``b`` is not penalised.
    """

    def __init__(
        self,
        x: Floats,
        targets: Floats,
        weights: Floats,
        l2: float,
        offset: Floats | None = None,
    ) -> None:
        self.x = np.asarray(x, dtype=np.float64)
        self.targets = np.asarray(targets, dtype=np.float64)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.l2 = float(l2)
        self.offset = (
            np.zeros(self.x.shape[0]) if offset is None else np.asarray(offset, np.float64)
        )
        self.size = self.x.shape[1] + 1

    def _z(self, theta: Floats) -> Floats:
        z: Floats = self.x @ theta[:-1] + theta[-1] + self.offset
        return z

    def data_loss(self, theta: Floats) -> float:
        """Σ_i w_i [log(1 + e^{z_i}) − t_i z_i] (the objective without the penalty)."""
        z = self._z(theta)
        return float(self.weights @ (_softplus(z) - self.targets * z))

    def value_and_grad(self, theta: Floats) -> tuple[float, Floats]:
        """J(θ) and ∇J(θ), ndarray (T + 1,)."""
        beta = theta[:-1]
        z = self._z(theta)
        resid = self.weights * (_expit(z) - self.targets)
        value = float(self.weights @ (_softplus(z) - self.targets * z))
        value += 0.5 * self.l2 * float(beta @ beta)
        grad = np.empty(self.size)
        grad[:-1] = self.x.T @ resid + self.l2 * beta
        grad[-1] = resid.sum()
        return value, grad

    def hessian(self, theta: Floats) -> Floats:
        """∇²J(θ), ndarray (T + 1, T + 1)."""
        p = _expit(self._z(theta))
        design = np.column_stack([self.x, np.ones(self.x.shape[0])])
        h: Floats = (design * (self.weights * p * (1.0 - p))[:, None]).T @ design
        h[:-1, :-1] += self.l2 * np.eye(self.size - 1)
        return h

    def row_gradients(self, theta: Floats) -> Floats:
        """ndarray (N, T + 1): each example's gradient of the data term."""
        resid = self.weights * (_expit(self._z(theta)) - self.targets)
        return np.column_stack([self.x * resid[:, None], resid])


class RankNetObjective:
    """The penalised linear RankNet objective and its derivatives.

    With pair differences ``d`` (P, T) (``x_i − x_j`` for a pair where post i is
    preferred to post j), pair weights ``w`` (P,), a fixed offset ``o`` (P,) and
    parameters ``β`` (T,)::

        Δ_p  = d_p · β + o_p
        J(β) = Σ_p w_p log(1 + e^{−Δ_p}) + (λ/2) Σ_t β_t²
        ∇J   = −dᵀ (w ⊙ σ(−Δ)) + λ β
        ∇²J  = dᵀ diag(w ⊙ σ(Δ) σ(−Δ)) d + λ I

    i.e. a logistic model of P(i preferred to j) = σ(s_i − s_j) with linear
    scores ``s = x · β`` (an intercept cancels in the difference).
    """

    def __init__(
        self, diffs: Floats, weights: Floats, l2: float, offset: Floats | None = None
    ) -> None:
        self.d = np.asarray(diffs, dtype=np.float64)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.l2 = float(l2)
        self.offset = (
            np.zeros(self.d.shape[0]) if offset is None else np.asarray(offset, np.float64)
        )
        self.size = self.d.shape[1]

    def _delta(self, beta: Floats) -> Floats:
        delta: Floats = self.d @ beta + self.offset
        return delta

    def data_loss(self, beta: Floats) -> float:
        """Σ_p w_p log(1 + e^{−Δ_p}) (the objective without the penalty)."""
        return float(self.weights @ _softplus(-self._delta(beta)))

    def value_and_grad(self, beta: Floats) -> tuple[float, Floats]:
        """J(β) and ∇J(β), ndarray (T,)."""
        delta = self._delta(beta)
        value = float(self.weights @ _softplus(-delta)) + 0.5 * self.l2 * float(beta @ beta)
        grad: Floats = -(self.d.T @ (self.weights * _expit(-delta))) + self.l2 * beta
        return value, grad

    def hessian(self, beta: Floats) -> Floats:
        """∇²J(β), ndarray (T, T)."""
        delta = self._delta(beta)
        curv = self.weights * _expit(delta) * _expit(-delta)
        h: Floats = (self.d * curv[:, None]).T @ self.d + self.l2 * np.eye(self.size)
        return h

    def row_gradients(self, beta: Floats) -> Floats:
        """ndarray (P, T): each pair's gradient of the data term."""
        resid = -(self.weights * _expit(-self._delta(beta)))
        out: Floats = self.d * resid[:, None]
        return out
