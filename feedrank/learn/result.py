"""The result of a fit: the learned weights with their uncertainty, and the
pipeline whose spec carries them, each learned term saying how it was learned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from feedrank.learn.covariance import Covariance
from feedrank.learn.design import Design
from feedrank.learn.fitting import Optimum
from feedrank.spec.files import parse_spec
from feedrank.spec.pipeline import Pipeline

__all__ = ["Method", "WeightFit", "weight_fit"]

Method = Literal["logistic", "ranknet"]
"""The estimator of a fit: pointwise logistic regression or pairwise RankNet."""
Floats = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class WeightFit:
    """Learned term weights, their uncertainty and the fit diagnostics.

    - ``pipeline``: the input pipeline with the learned weights and ``why``
      texts (factors, filters, re-rankers and fixed terms unchanged).
    - ``method``: ``"logistic"`` or ``"ranknet"``.
    - ``term_names``: the learned terms (L of them), in scorer order;
      ``weights``, ``standard_errors``: ndarray (L,), float64, per unit of each
      term's signal; ``covariance``: ndarray (L, L).
    - ``intercept``, ``intercept_se``: the logistic intercept (not part of the
      spec: it does not change the order of one request), None for RankNet.
    - ``loss``: mean weighted data loss per example (post or pair) at the
      optimum, without the penalty; ``objective``: the penalised objective J in
      the standardised coordinates the optimiser used.
    - ``iterations``, ``converged``, ``message``, ``gradient_norm``: from L-BFGS
      (``gradient_norm`` = max |∂J/∂θ| / Σ w at the optimum).
    - ``n_requests``, ``n_examples`` (posts or pairs), ``n_positive`` (posts with
      a label > 0, or pairs), ``l2``, ``covariance_kind``, ``inverse_propensity``.
    """

    pipeline: Pipeline
    method: Method
    term_names: tuple[str, ...]
    weights: Floats
    standard_errors: Floats
    covariance: Floats
    intercept: float | None
    intercept_se: float | None
    loss: float
    objective: float
    iterations: int
    converged: bool
    message: str
    gradient_norm: float
    n_requests: int
    n_examples: int
    n_positive: int
    l2: float
    covariance_kind: Covariance
    inverse_propensity: bool

    @property
    def z_scores(self) -> Floats:
        """ndarray (L,), float64: weight / standard error."""
        z: Floats = self.weights / self.standard_errors
        return z

    def spec(self) -> dict[str, Any]:
        """The learned pipeline's spec (plain JSON values)."""
        return self.pipeline.to_spec()

    def summary(self) -> str:
        """A plain-text table: term, weight, standard error, z, then diagnostics."""
        width = max(len("(intercept)"), *(len(n) for n in self.term_names))
        lines = [f"{'term':<{width}}  {'weight':>12}  {'std err':>10}  {'z':>8}"]
        for name, w, se, z in zip(
            self.term_names, self.weights, self.standard_errors, self.z_scores, strict=True
        ):
            lines.append(f"{name:<{width}}  {w:>12.6g}  {se:>10.4g}  {z:>8.2f}")
        if self.intercept is not None:
            lines.append(
                f"{'(intercept)':<{width}}  {self.intercept:>12.6g}  "
                f"{self.intercept_se or 0.0:>10.4g}"
            )
        lines.append(
            f"{self.method}: {self.n_examples} examples ({self.n_positive} positive) in "
            f"{self.n_requests} requests, l2={self.l2:g}, loss={self.loss:.6g}, "
            f"iterations={self.iterations}, converged={self.converged}"
        )
        return "\n".join(lines)


def weight_fit(
    pipeline: Pipeline,
    design: Design,
    method: Method,
    learned: NDArray[np.intp],
    params: Floats,
    cov: Floats,
    optimum: Optimum,
    *,
    intercept: bool,
    data: str,
    n_examples: int,
    n_positive: int,
    l2: float,
    covariance: Covariance,
) -> WeightFit:
    """The :class:`WeightFit` of the terms at scorer positions ``learned``.

    ``params``, ``cov``: the parameters in the signals' units and their
    covariance: one weight per learned term, then the intercept when
    ``intercept``. ``optimum``: the optimiser's diagnostics; ``data``: the
    training data in words, for the terms' ``why``.
    """
    names = tuple(design.term_names[j] for j in learned)
    t = len(names)
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    ipw = design.has_propensities
    return WeightFit(
        pipeline=_learned_pipeline(pipeline, learned, params[:t], se[:t], method, data, l2, ipw),
        method=method,
        term_names=names,
        weights=params[:t].copy(),
        standard_errors=se[:t].copy(),
        covariance=cov[:t, :t].copy(),
        intercept=float(params[t]) if intercept else None,
        intercept_se=float(se[t]) if intercept else None,
        loss=optimum.loss,
        objective=optimum.objective,
        iterations=optimum.iterations,
        converged=optimum.converged,
        message=optimum.message,
        gradient_norm=optimum.gradient_norm,
        n_requests=design.n_requests,
        n_examples=n_examples,
        n_positive=n_positive,
        l2=float(l2),
        covariance_kind=covariance,
        inverse_propensity=ipw,
    )


def _why(method: str, weight: float, se: float, data: str, l2: float, ipw: bool) -> str:
    how = (
        "L2-regularised logistic regression"
        if method == "logistic"
        else "pairwise linear RankNet (logistic loss on score differences)"
    )
    weighting = ", inverse-propensity weighted" if ipw else ""
    return (
        f"Learned from logged interactions: {how} on {data}{weighting}; "
        f"weight {weight:.6g} ± {se:.3g} (standard error), l2 = {l2:g} on standardised "
        "signals. The learned model is the additive part; factors are unchanged."
    )


def _learned_pipeline(
    pipeline: Pipeline,
    learned: NDArray[np.intp],
    weights: Floats,
    errors: Floats,
    method: str,
    data: str,
    l2: float,
    ipw: bool,
) -> Pipeline:
    """``pipeline`` with the learned weights and their ``why`` texts written into
    its spec, at the scorer positions ``learned``."""
    spec = pipeline.to_spec()
    terms = spec["scorer"]["terms"]
    for k, j in enumerate(learned.tolist()):
        terms[j]["weight"] = float(weights[k])
        terms[j]["why"] = _why(method, float(weights[k]), float(errors[k]), data, l2, ipw)
    return parse_spec(spec)
