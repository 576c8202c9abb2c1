"""Fitting the bridging model: L-BFGS-B on the exact loss from random factors,
restarts, the sign convention (all in :mod:`feedrank.bridging`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.bridging.columns import (
    HELPFULNESS_VALUES,
    check_pairs,
    id_column,
    rating_column,
    rating_count,
)
from feedrank.bridging.loss import Normalization, Problem
from feedrank.bridging.result import BridgingFit
from feedrank.errors import InputError

__all__ = ["fit_bridging", "fit_bridging_triples"]


def fit_bridging(
    raters: Any,
    items: Any,
    ratings: Any,
    *,
    rng: np.random.Generator | int,
    lambda_intercept: float = 0.15,
    lambda_factor: float = 0.03,
    normalization: Normalization = "mean",
    init_scale: float = 0.1,
    n_init: int = 1,
    max_iter: int = 5000,
    gtol: float = 1e-6,
    ftol: float = 1e-15,
) -> BridgingFit:
    """Fit r̂ = μ + i_u + i_n + f_u·f_n to ratings by L-BFGS-B on the exact loss.

    ``raters``, ``items``: array-likes of shape (K,) of ids (strings; integer ids
    are read as their decimal strings). ``ratings``: array-like (K,) of numbers in
    [0, 1] (Helpful 1.0, Somewhat 0.5, Not helpful 0.0). Each (rater, item) pair
    may appear once. ``rng`` (a Generator or a seed) draws the initial factors;
    the same data and ``rng`` give identical arrays. The loss, its gradient, the
    initialisation, the stopping rule and the sign convention are in
    :mod:`feedrank.bridging`. Bad input raises :class:`~feedrank.InputError` naming the field and
    the offending rating (row, rater and item).

    Options: ``lambda_intercept`` λ_i and ``lambda_factor`` λ_f (documented 0.15 and
    0.03); ``normalization`` "mean" (the default: every group averaged, the loss
    the open-source scorer trains on) or "sum" (the loss as documented); ``init_scale``
    (standard deviation of the initial factors); ``n_init`` (starts, the lowest
    loss kept); ``max_iter``, ``gtol`` (max projected gradient) and ``ftol``
    (relative decrease) for L-BFGS-B. Returns a :class:`BridgingFit`.
    """
    from scipy.optimize import minimize

    _check_options(
        lambda_intercept, lambda_factor, normalization, init_scale, n_init, max_iter, gtol, ftol
    )
    k = rating_count(ratings, "ratings")
    rater_arr = id_column(raters, "raters", k)
    item_arr = id_column(items, "items", k)
    values = rating_column(ratings, rater_arr, item_arr)
    rater_ids, rater_idx = np.unique(rater_arr, return_inverse=True)
    item_ids, item_idx = np.unique(item_arr, return_inverse=True)
    rater_idx = rater_idx.astype(np.intp)
    item_idx = item_idx.astype(np.intp)
    check_pairs(rater_idx, item_idx, item_ids.shape[0], rater_arr, item_arr)
    u, n = int(rater_ids.shape[0]), int(item_ids.shape[0])
    problem = Problem.build(
        rater_idx,
        item_idx,
        values,
        u,
        n,
        lambda_intercept=lambda_intercept,
        lambda_factor=lambda_factor,
        normalization=normalization,
    )
    generator = np.random.default_rng(rng)

    best: tuple[float, NDArray[np.float64], int, bool, str, list[float]] | None = None
    for _ in range(n_init):
        x0 = np.zeros(problem.size)
        x0[1 + u + n : 1 + 2 * u + n] = generator.normal(0.0, init_scale, u)
        x0[1 + 2 * u + n :] = generator.normal(0.0, init_scale, n)
        history: list[float] = []
        result = minimize(
            problem.loss_grad,
            x0,
            jac=True,
            method="L-BFGS-B",
            callback=_recorder(history, problem.scale),
            options={"maxiter": max_iter, "gtol": gtol, "ftol": ftol, "maxcor": 20},
        )
        x = np.asarray(result.x, dtype=np.float64)
        loss = problem.loss_grad(x)[0]
        if best is None or loss < best[0]:
            best = (loss, x, int(result.nit), bool(result.success), str(result.message), history)
    assert best is not None  # n_init >= 1
    loss, x, iterations, converged, message, history = best

    x = _fix_sign(problem, x)
    _, grad = problem.loss_grad(x)
    e = problem.residuals(x)
    mu, iu, inn, fu, fn = problem.unpack(x)
    return BridgingFit(
        mu=mu,
        item_ids=item_ids.astype(np.str_),
        item_intercepts=inn.copy(),
        item_factors=fn.copy(),
        item_ratings=np.bincount(item_idx, minlength=n).astype(np.int64),
        rater_ids=rater_ids.astype(np.str_),
        rater_intercepts=iu.copy(),
        rater_factors=fu.copy(),
        rater_ratings=np.bincount(rater_idx, minlength=u).astype(np.int64),
        loss=loss * problem.scale,
        mse=float(e @ e) / k,
        gradient_norm=float(np.max(np.abs(grad))),
        iterations=iterations,
        converged=converged,
        message=message,
        loss_history=np.array(history, dtype=np.float64),
        lambda_intercept=float(lambda_intercept),
        lambda_factor=float(lambda_factor),
        normalization=normalization,
    )


def fit_bridging_triples(
    records: Iterable[Sequence[Any]], *, rng: np.random.Generator | int, **options: Any
) -> BridgingFit:
    """:func:`fit_bridging` on ``(rater, item, rating)`` records.

    ``rating`` is a number in [0, 1] or one of the answers in
    :data:`HELPFULNESS_VALUES` (``"helpful"``, ``"somewhat_helpful"``,
    ``"not_helpful"``, any case). ``options`` are those of :func:`fit_bridging`.

    >>> fit = fit_bridging_triples([("u1", "n1", "helpful"), ("u2", "n1", 0.5)], rng=0)
    >>> fit.item_ratings.tolist()
    [2]
    """
    raters: list[Any] = []
    items: list[Any] = []
    values: list[float] = []
    for row, record in enumerate(records):
        if isinstance(record, (str, bytes)) or not isinstance(record, Sequence) or len(record) != 3:
            raise InputError(
                f"record #{row} is {record!r}",
                field="records",
                expected="a (rater, item, rating) triple",
            )
        rater, item, rating = record
        raters.append(rater)
        items.append(item)
        if isinstance(rating, str):
            if rating.lower() not in HELPFULNESS_VALUES:
                raise InputError(
                    f"record #{row} (rater {rater!r}) has rating {rating!r}",
                    field="ratings",
                    post_id=str(item),
                    expected="a number in [0, 1] or one of " + ", ".join(HELPFULNESS_VALUES),
                )
            values.append(HELPFULNESS_VALUES[rating.lower()])
        elif isinstance(rating, (int, float)) and not isinstance(rating, bool):
            values.append(float(rating))
        else:
            raise InputError(
                f"record #{row} (rater {rater!r}) has rating {rating!r}",
                field="ratings",
                post_id=str(item),
                expected="a number in [0, 1] or one of " + ", ".join(HELPFULNESS_VALUES),
            )
    return fit_bridging(
        np.array(raters, dtype=object),
        np.array(items, dtype=object),
        np.array(values, dtype=np.float64),
        rng=rng,
        **options,
    )


def _recorder(history: list[float], scale: float) -> Callable[[Any], None]:
    """An L-BFGS-B callback appending the loss after each iteration to ``history``."""

    def record(intermediate_result: Any) -> None:  # scipy passes an OptimizeResult
        history.append(float(intermediate_result.fun) * scale)

    return record


def _fix_sign(problem: Problem, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Flip every factor so that at least half of the raters with a non-zero factor
    have a negative one (on an exact tie: so that Σ f_u ≤ 0)."""
    _, _, _, fu, _ = problem.unpack(x)
    negative = int(np.count_nonzero(fu < 0))
    positive = int(np.count_nonzero(fu > 0))
    if positive > negative or (positive == negative and float(fu.sum()) > 0):
        x = x.copy()
        x[1 + problem.n_raters + problem.n_items :] *= -1.0
    return x


def _check_options(
    lambda_intercept: float,
    lambda_factor: float,
    normalization: str,
    init_scale: float,
    n_init: int,
    max_iter: int,
    gtol: float,
    ftol: float,
) -> None:
    checks = (
        ("lambda_intercept", lambda_intercept, lambda_intercept >= 0, "a finite number >= 0"),
        ("lambda_factor", lambda_factor, lambda_factor >= 0, "a finite number >= 0"),
        ("init_scale", init_scale, init_scale > 0, "a finite number > 0"),
        ("gtol", gtol, gtol >= 0, "a finite number >= 0"),
        ("ftol", ftol, ftol >= 0, "a finite number >= 0"),
    )
    for name, value, ok, expected in checks:
        if not (np.isfinite(value) and ok):
            raise InputError(f"{name} is {value!r}", field=name, expected=expected)
    if normalization not in ("sum", "mean"):
        raise InputError(
            f"normalization is {normalization!r}", field="normalization", expected="'sum' or 'mean'"
        )
    for name, count in (("n_init", n_init), ("max_iter", max_iter)):
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise InputError(f"{name} is {count!r}", field=name, expected="an integer >= 1")
