"""Pairwise learning: linear RankNet, a logistic loss on the score differences of
preferred and other posts of one request, optionally propensity weighted."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from feedrank.errors import InputError
from feedrank.learn.covariance import Covariance, covariance_matrix
from feedrank.learn.design import Design
from feedrank.learn.fitting import check_options, check_varies, minimise, prepare, term_weights
from feedrank.learn.logged import LoggedRequest
from feedrank.learn.objectives import RankNetObjective
from feedrank.learn.result import WeightFit, weight_fit
from feedrank.spec.pipeline import Pipeline

__all__ = ["fit_ranknet"]


def fit_ranknet(
    pipeline: Pipeline,
    data: Sequence[LoggedRequest] | Design,
    *,
    l2: float = 1.0,
    learn: Iterable[str] | None = None,
    covariance: Covariance = "hessian",
    max_iterations: int = 1000,
    tolerance: float = 1e-9,
) -> WeightFit:
    """Fit the term weights by linear RankNet: a pairwise logistic loss.

    For every pair ``(i, j)`` of one request where post i is preferred (a
    higher label, or an explicit preference), ``P(i ≻ j) = σ(s_i − s_j)`` with
    ``s = Σ_t β_t x_t``; :class:`RankNetObjective` is minimised by L-BFGS from
    zero. Pair weight: the preferred post's sample weight, divided by its
    propensity when propensities are given (the propensity-weighted pairwise
    loss of Joachims et al., WSDM 2017, which is unbiased for the relevance
    ordering under the position-based click model). Signals are scaled by
    ``s_t``, the root mean square of the pair differences ``x_it − x_jt``, so
    the penalty ``(λ/2) Σ_t (s_t β_t)²`` does not depend on units; weights are
    returned in the original units. No intercept (it cancels).

    ``learn``, ``covariance``: as in :func:`~feedrank.learn.fit_logistic`. Raises
    :class:`~feedrank.InputError` when there are no pairs, when a learned term
    has the same value for both posts of every pair (named), or when the
    Hessian is singular.
    """
    check_options(l2, covariance, max_iterations, tolerance)
    design, learned, fixed = prepare(pipeline, data, learn)
    pairs = design.pairs
    if pairs.shape[0] == 0:
        raise InputError(
            f"no pairs: no request among {design.n_requests} has posts with different labels",
            field="labels",
            expected="requests where some posts have higher labels than others, or preferences",
        )
    names = [design.term_names[j] for j in learned]
    diffs = design.inputs[pairs[:, 0]][:, learned] - design.inputs[pairs[:, 1]][:, learned]
    check_varies(
        np.vstack([diffs, np.zeros((1, len(names)))]),
        names,
        "has the same value for both posts of every compared pair",
    )
    scale = np.sqrt(np.mean(diffs**2, axis=0))
    first = pairs[:, 0]
    weight = design.weights[first] / design.propensities[first]
    fixed_x = design.inputs[:, fixed]
    offset = (fixed_x[pairs[:, 0]] - fixed_x[pairs[:, 1]]) @ term_weights(pipeline, fixed)
    fun = RankNetObjective(diffs / scale, weight, l2, offset)
    total = float(weight.sum())
    if total <= 0:
        raise InputError(
            "every pair has weight 0", field="weights", expected="some positive sample weights"
        )
    optimum = minimise(fun, total, max_iterations, tolerance)
    cov_std = covariance_matrix(fun, optimum.theta, covariance, design.pair_request, names)
    n_pairs = int(pairs.shape[0])
    n_req = int(np.unique(design.pair_request).shape[0])
    data_text = (
        f"{n_pairs:,} preference pairs from {n_req:,} requests "
        f"({design.n_posts:,} logged posts in {design.n_requests:,} requests)"
    )
    return weight_fit(
        pipeline,
        design,
        "ranknet",
        learned,
        optimum.theta / scale,
        cov_std / np.outer(scale, scale),
        optimum,
        intercept=False,
        data=data_text,
        n_examples=n_pairs,
        n_positive=n_pairs,
        l2=l2,
        covariance=covariance,
    )
