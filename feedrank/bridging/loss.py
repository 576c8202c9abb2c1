"""The bridging loss and its analytic gradient over the packed parameters
(formulas in :mod:`feedrank.bridging`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["Normalization", "Problem"]

Normalization = Literal["sum", "mean"]
"""How the loss adds up: "mean" (every group averaged, as the open-source scorer
trains) or "sum" (the loss as documented)."""


@dataclass(frozen=True, eq=False)
class Problem:
    """The loss as a function of the packed parameter vector
    x = [μ, i_u (U), i_n (N), f_u (U), f_n (N)], in the sum scaling."""

    rater_idx: NDArray[np.intp]
    item_idx: NDArray[np.intp]
    ratings: NDArray[np.float64]
    n_raters: int
    n_items: int
    penalty: NDArray[np.float64]
    """λ per parameter, shape (1 + 2U + 2N,)."""
    scale: float
    """Reported loss = scale × internal loss (1 for "sum", 1/K for "mean")."""

    @classmethod
    def build(
        cls,
        rater_idx: NDArray[np.intp],
        item_idx: NDArray[np.intp],
        ratings: NDArray[np.float64],
        n_raters: int,
        n_items: int,
        *,
        lambda_intercept: float,
        lambda_factor: float,
        normalization: Normalization,
    ) -> Problem:
        k = float(ratings.shape[0])
        if normalization == "mean":
            per = (k, k / n_raters, k / n_items, k / n_raters, k / n_items)
            scale = 1.0 / k
        else:
            per = (1.0, 1.0, 1.0, 1.0, 1.0)
            scale = 1.0
        lam = (lambda_intercept, lambda_intercept, lambda_intercept, lambda_factor, lambda_factor)
        sizes = (1, n_raters, n_items, n_raters, n_items)
        penalty = np.repeat(np.array(lam) * np.array(per), sizes)
        return cls(rater_idx, item_idx, ratings, n_raters, n_items, penalty, scale)

    @property
    def size(self) -> int:
        return 1 + 2 * self.n_raters + 2 * self.n_items

    def unpack(
        self, x: NDArray[np.float64]
    ) -> tuple[
        float, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]
    ]:
        """(μ, i_u, i_n, f_u, f_n) views of ``x``."""
        u, n = self.n_raters, self.n_items
        return (
            float(x[0]),
            x[1 : 1 + u],
            x[1 + u : 1 + u + n],
            x[1 + u + n : 1 + 2 * u + n],
            x[1 + 2 * u + n :],
        )

    def residuals(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """e = r̂ − r for every rating: ndarray (K,), float64."""
        mu, iu, inn, fu, fn = self.unpack(x)
        r, n = self.rater_idx, self.item_idx
        e: NDArray[np.float64] = mu + iu[r] + inn[n] + fu[r] * fn[n] - self.ratings
        return e

    def loss_grad(self, x: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        """Internal loss (sum scaling) and its gradient, ndarray (1 + 2U + 2N,)."""
        _, _, _, fu, fn = self.unpack(x)
        r, n = self.rater_idx, self.item_idx
        u_count, n_count = self.n_raters, self.n_items
        e = self.residuals(x)
        loss = float(e @ e + self.penalty @ (x * x))
        grad = 2.0 * self.penalty * x
        grad[0] += 2.0 * e.sum()
        grad[1 : 1 + u_count] += 2.0 * np.bincount(r, e, minlength=u_count)
        grad[1 + u_count : 1 + u_count + n_count] += 2.0 * np.bincount(n, e, minlength=n_count)
        grad[1 + u_count + n_count : 1 + 2 * u_count + n_count] += 2.0 * np.bincount(
            r, e * fn[n], minlength=u_count
        )
        grad[1 + 2 * u_count + n_count :] += 2.0 * np.bincount(n, e * fu[r], minlength=n_count)
        return loss, grad
