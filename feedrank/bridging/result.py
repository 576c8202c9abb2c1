"""A fitted bridging model: statuses, predictions and the per-post feature
columns it attaches to a batch."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.posts import PostBatch
from feedrank.bridging.columns import id_column, lookup, positions
from feedrank.bridging.loss import Normalization
from feedrank.stages.signals.bridging import StatusRule, bridging_feature_names

__all__ = ["BridgingFit"]


@dataclass(frozen=True, eq=False)
class BridgingFit:
    """A fitted bridging model (U raters, N items, K ratings).

    - ``mu``: float, the global intercept μ.
    - ``item_ids``: ndarray (N,), unicode, sorted; ``item_intercepts`` (the bridging
      scores i_n) and ``item_factors`` f_n: ndarray (N,), float64;
      ``item_ratings``: ndarray (N,), int64, ratings per item.
    - ``rater_ids``: ndarray (U,), unicode, sorted; ``rater_intercepts``,
      ``rater_factors``: ndarray (U,), float64; ``rater_ratings``: (U,), int64.
    - ``loss``: the final value of the loss in its ``normalization``;
      ``mse``: mean squared residual over the K ratings; ``gradient_norm``: max
      |∂L/∂θ| at the solution (in the sum scaling of :mod:`feedrank.bridging`).
    - ``iterations``: L-BFGS iterations of the kept start; ``converged``: whether
      L-BFGS-B met its tolerance before ``max_iter``; ``message``: its reason;
      ``loss_history``: ndarray (iterations,), float64, loss after each iteration.
    """

    mu: float
    item_ids: NDArray[np.str_]
    item_intercepts: NDArray[np.float64]
    item_factors: NDArray[np.float64]
    item_ratings: NDArray[np.int64]
    rater_ids: NDArray[np.str_]
    rater_intercepts: NDArray[np.float64]
    rater_factors: NDArray[np.float64]
    rater_ratings: NDArray[np.int64]
    loss: float
    mse: float
    gradient_norm: float
    iterations: int
    converged: bool
    message: str
    loss_history: NDArray[np.float64]
    lambda_intercept: float
    lambda_factor: float
    normalization: Normalization

    def __repr__(self) -> str:
        return (
            f"BridgingFit(raters={self.rater_ids.shape[0]}, items={self.item_ids.shape[0]}, "
            f"mu={self.mu:.4f}, loss={self.loss:.6g}, iterations={self.iterations}, "
            f"converged={self.converged})"
        )

    def statuses(self, rule: StatusRule | None = None) -> NDArray[np.str_]:
        """Status of each item (aligned with ``item_ids``) under ``rule`` (default:
        the documented thresholds): ndarray (N,), unicode."""
        return (rule if rule is not None else StatusRule()).classify(
            self.item_intercepts, self.item_factors, self.item_ratings
        )

    def predict(self, raters: Any, items: Any) -> NDArray[np.float64]:
        """r̂ = μ + i_u + i_n + f_u·f_n for each (rater, item) pair: ndarray (m,), float64.

        Raters or items the model has not seen raise :class:`InputError`.
        """
        r = lookup(self.rater_ids, id_column(raters, "raters", None), "raters")
        n = lookup(self.item_ids, id_column(items, "items", r.shape[0], "raters"), "items")
        out: NDArray[np.float64] = (
            self.mu
            + self.rater_intercepts[r]
            + self.item_intercepts[n]
            + self.rater_factors[r] * self.item_factors[n]
        )
        return out

    def features(
        self, post_ids: Any = None, *, prefix: str = "bridging"
    ) -> dict[str, NDArray[np.float64]]:
        """Per-post feature columns: ``{prefix}_intercept``, ``{prefix}_factor``,
        ``{prefix}_ratings`` (number of ratings), each ndarray (m,), float64.

        Aligned with ``post_ids`` (default: ``item_ids``); a post the model has not
        seen gets NaN, the batch's mark of a missing feature.
        """
        ids = self.item_ids if post_ids is None else id_column(post_ids, "post_ids", None)
        pos = positions(self.item_ids, ids)
        found = pos >= 0
        safe = np.where(found, pos, 0)
        names = bridging_feature_names(prefix)
        columns = (self.item_intercepts, self.item_factors, self.item_ratings.astype(np.float64))
        return {
            name: np.where(found, col[safe], np.nan).astype(np.float64)
            for name, col in zip(names, columns, strict=True)
        }

    def attach(self, batch: PostBatch, *, prefix: str = "bridging") -> PostBatch:
        """A copy of ``batch`` with the :meth:`features` columns of its posts added
        (replacing columns of the same names); posts not rated get NaN."""
        new = self.features(batch.ids, prefix=prefix)
        return dataclasses.replace(batch, features={**batch.features, **new})
