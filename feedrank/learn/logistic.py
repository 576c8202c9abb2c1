"""Pointwise learning: L2-regularised logistic regression of a per-post label on
the term signals, optionally inverse-propensity weighted."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from feedrank.errors import InputError
from feedrank.learn.covariance import Covariance, covariance_matrix
from feedrank.learn.design import Design
from feedrank.learn.fitting import check_options, check_varies, minimise, prepare, term_weights
from feedrank.learn.logged import LoggedRequest
from feedrank.learn.objectives import LogisticObjective
from feedrank.learn.result import WeightFit, weight_fit
from feedrank.spec.pipeline import Pipeline

__all__ = ["fit_logistic"]


def fit_logistic(
    pipeline: Pipeline,
    data: Sequence[LoggedRequest] | Design,
    *,
    l2: float = 1.0,
    learn: Iterable[str] | None = None,
    covariance: Covariance = "hessian",
    max_iterations: int = 1000,
    tolerance: float = 1e-9,
) -> WeightFit:
    """Fit the term weights by pointwise L2-regularised logistic regression.

    Model: ``P(label = 1 | x) = σ(Σ_t β_t x_t + b)`` with the term signals
    ``x`` (N, T) of :func:`~feedrank.learn.design_matrix`. Each post's target is
    its label ``y`` (in [0, 1]); with propensities ``π`` it is ``y / π``, whose
    expectation under the position-based model is the click probability once
    examined, so the fit estimates relevance rather than position. Internally
    the learned signals are standardised, ``x̃_t = (x_t − m_t) / s_t`` (mean and
    standard deviation over the N posts), and :class:`LogisticObjective` is minimised by
    L-BFGS from zero; the penalty ``(λ/2) Σ_t β̃_t² = (λ/2) Σ_t (s_t β_t)²`` thus
    does not depend on the signals' units. Weights are mapped back to the
    original units: ``β_t = β̃_t / s_t``, ``b = b̃ − Σ_t β̃_t m_t / s_t``.

    ``learn``: names of the terms to fit (default all); the other terms keep
    their weights and enter as a fixed offset ``Σ_fixed w_t x_t``.
    ``covariance``: ``"hessian"`` — the inverse of the Hessian of the penalised
    objective at the optimum (observed Fisher information plus λ; the Laplace
    posterior covariance; right when the labels are Bernoulli draws of the
    model); ``"sandwich"`` — ``H⁻¹ (G/(G−1) Σ_r g_r g_rᵀ) H⁻¹`` with ``g_r`` the
    summed data-term gradient of request r and G the number of requests (the
    cluster-robust estimate: use it with inverse-propensity targets, which are
    not Bernoulli, or when the posts of a request are dependent; it needs more
    requests than parameters).

    Raises :class:`~feedrank.InputError` for degenerate data: no positive or no
    negative labels, a learned term whose signal is constant (named), labels
    outside [0, 1], or a singular Hessian (collinear terms, named).
    """
    check_options(l2, covariance, max_iterations, tolerance)
    design, learned, fixed = prepare(pipeline, data, learn)
    rows = np.isfinite(design.labels)
    missing = np.flatnonzero(~rows)
    if missing.shape[0]:
        r = int(np.searchsorted(design.offsets, missing[0], side="right") - 1)
        raise InputError(
            "request has preferences but no labels",
            field="labels",
            source=design.request_ids[r],
            expected="per-post labels for the logistic fit (use fit_ranknet for preferences)",
        )
    y = design.labels
    if np.any(y > 1):
        raise InputError(
            f"label {y[y > 1][0]} is above 1",
            field="labels",
            expected="labels in [0, 1] for the logistic fit (use fit_ranknet for grades)",
        )
    w = design.weights
    if not np.any((y > 0) & (w > 0)):
        raise InputError(
            f"no positive labels among {design.n_posts} posts",
            field="labels",
            expected="at least one post with a label > 0 (a click, a like)",
        )
    if not np.any((y < 1) & (w > 0)):
        raise InputError(
            f"every one of the {design.n_posts} posts has label 1",
            field="labels",
            expected="at least one post with a label < 1",
        )
    names = [design.term_names[j] for j in learned]
    x = design.inputs[:, learned]
    check_varies(x, names, "has the same value for every training post")
    mean, scale = x.mean(axis=0), x.std(axis=0)
    z = (x - mean) / scale
    targets = y / design.propensities
    offset = design.inputs[:, fixed] @ term_weights(pipeline, fixed)
    fun = LogisticObjective(z, targets, w, l2, offset)
    total = float(w.sum())
    optimum = minimise(fun, total, max_iterations, tolerance)
    groups = np.repeat(np.arange(design.n_requests), np.diff(design.offsets))
    cov_std = covariance_matrix(fun, optimum.theta, covariance, groups, [*names, "(intercept)"])
    t = len(names)
    a = np.zeros((t + 1, t + 1))
    a[:t, :t] = np.diag(1.0 / scale)
    a[t, :t] = -mean / scale
    a[t, t] = 1.0
    n_pos = int(np.count_nonzero(y > 0))
    data_text = (
        f"{design.n_posts:,} logged posts ({n_pos:,} with a positive label) "
        f"from {design.n_requests:,} requests"
    )
    return weight_fit(
        pipeline,
        design,
        "logistic",
        learned,
        a @ optimum.theta,
        a @ cov_std @ a.T,
        optimum,
        intercept=True,
        data=data_text,
        n_examples=design.n_posts,
        n_positive=n_pos,
        l2=l2,
        covariance=covariance,
    )
