"""Community Notes-style bridging: a one-factor matrix factorisation of ratings.

Raters rate items (notes, posts) on a scale from 0 to 1 (Helpful 1.0, Somewhat
0.5, Not helpful 0.0). The model explains every observed rating r_un of rater u
on item n as

    r̂_un = μ + i_u + i_n + f_u · f_n

with a global intercept μ, rater and item intercepts i_u, i_n and one-dimensional
factors f_u, f_n. The factor product absorbs agreement *along a viewpoint*
(raters and items on the same side of the factor axis), so the item intercept
i_n is the helpfulness that raters of differing viewpoints agree on: the
bridging score. Source: twitter/communitynotes,
documentation/under-the-hood/ranking-notes.md (see REFERENCES.md).

Loss
----
``normalization="sum"`` (the default: the formula as documented)::

    L = Σ_(u,n) (r_un − r̂_un)² + λ_i (Σ_u i_u² + Σ_n i_n² + μ²) + λ_f (Σ_u f_u² + Σ_n f_n²)

with λ_i = 0.15 and λ_f = 0.03; the sums run over observed ratings, raters and
items. ``normalization="mean"`` averages every group instead, as the open-source
scorer's training loop does (mean squared error plus λ times the mean square of
each parameter group)::

    L_mean = (1/K) Σ (r − r̂)² + λ_i (mean_u i_u² + mean_n i_n² + μ²)
             + λ_f (mean_u f_u² + mean_n f_n²)

for K ratings, U raters and N items. Its minimiser is that of the sum form with
the penalties rescaled (λ_i K for μ, λ_i K/U for i_u, λ_i K/N for i_n, λ_f K/U
for f_u, λ_f K/N for f_n), which is how it is optimised; ``loss`` reports L_mean.

Gradient
--------
With residuals e_un = r̂_un − r_un and per-parameter penalties λ_θ::

    ∂L/∂μ   = 2 Σ_(u,n) e_un       + 2 λ_μ μ
    ∂L/∂i_u = 2 Σ_n e_un           + 2 λ_iu i_u     (over the items u rated)
    ∂L/∂i_n = 2 Σ_u e_un           + 2 λ_in i_n     (over the raters of n)
    ∂L/∂f_u = 2 Σ_n e_un · f_n     + 2 λ_fu f_u
    ∂L/∂f_n = 2 Σ_u e_un · f_u     + 2 λ_fn f_n

Every Σ over ratings is one ``np.bincount`` on the rater or item index: one
evaluation costs O(K + U + N), with no Python loop over ratings.

Fit
---
:func:`fit_bridging` minimises the exact loss with scipy's L-BFGS-B and this
analytic gradient. Why not the reference's Adam: L-BFGS on a smooth loss of a
few thousand parameters needs no learning rate, uses every rating in every step
(full batch, so the result is a deterministic function of the data and the
initial point) and stops on an objective criterion (projected gradient ≤
``gtol`` or relative decrease ≤ ``ftol``). Why not alternating least squares: it
is monotone too, but zig-zags along the valley where intercepts and factors trade
off, and L-BFGS is checkable against a finite-difference gradient.

Initialisation: μ and every intercept start at 0 (as in the reference scorer);
factors are drawn N(0, ``init_scale``²) from ``rng``, raters then items, each in
sorted-id order. Factors cannot start at 0: f_u = f_n = 0 is a stationary point
of the loss. With ``n_init`` > 1 the fit restarts from fresh draws and keeps the
lowest loss (the first on ties).

Sign convention: the loss is unchanged when every f_u and f_n flips sign. After
fitting, factors are flipped so that at least half of the raters with a non-zero
factor have a *negative* factor (the reference scorer's identification rule);
when exactly half do, so that Σ_u f_u ≤ 0.

Status
------
:class:`StatusRule` (defaults from the documentation): an item with at least
``min_ratings`` (5) ratings is ``"helpful"`` when i_n ≥ 0.40 and |f_n| < 0.5, and
``"not_helpful"`` when i_n < −0.05 − 0.8 |f_n|; every other item (and every item
with fewer ratings) is ``"needs_more_ratings"``.

>>> import numpy as np
>>> raters = np.array(["a1", "a2", "a3", "b1", "b2", "b3"] * 2)
>>> items = np.array(["both"] * 6 + ["one_side"] * 6)
>>> ratings = np.array([1.0] * 6 + [1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
>>> fit = fit_bridging(raters, items, ratings, rng=np.random.default_rng(0))
>>> fit.item_ids.tolist(), bool(fit.item_intercepts[0] > fit.item_intercepts[1])
(['both', 'one_side'], True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from feedrank.batch.posts import PostBatch
from feedrank.errors import InputError
from feedrank.stages.signals.bridging import (
    HELPFUL,
    NEEDS_MORE_RATINGS,
    NOT_HELPFUL,
    StatusRule,
    bridging_feature_names,
)

__all__ = [
    "HELPFUL",
    "HELPFULNESS_VALUES",
    "NEEDS_MORE_RATINGS",
    "NOT_HELPFUL",
    "BridgingFit",
    "StatusRule",
    "bridging_feature_names",
    "fit_bridging",
    "fit_bridging_triples",
]

HELPFULNESS_VALUES: Mapping[str, float] = MappingProxyType(
    {"helpful": 1.0, "somewhat_helpful": 0.5, "not_helpful": 0.0}
)
"""The documented mapping of rating answers to numbers (Yes, Somewhat, No)."""

Normalization = Literal["sum", "mean"]


# ------------------------------------------------------------------ result
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
      |∂L/∂θ| at the solution (in the sum scaling of the module docstring).
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
        r = _lookup(self.rater_ids, _id_column(raters, "raters", None), "raters")
        n = _lookup(self.item_ids, _id_column(items, "items", r.shape[0], "raters"), "items")
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
        ids = self.item_ids if post_ids is None else _id_column(post_ids, "post_ids", None)
        pos = _positions(self.item_ids, ids)
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


# -------------------------------------------------------------- objective
@dataclass(frozen=True, eq=False)
class _Problem:
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
    ) -> _Problem:
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


# --------------------------------------------------------------------- fit
def fit_bridging(
    raters: Any,
    items: Any,
    ratings: Any,
    *,
    rng: np.random.Generator | int,
    lambda_intercept: float = 0.15,
    lambda_factor: float = 0.03,
    normalization: Normalization = "sum",
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
    initialisation, the stopping rule and the sign convention are in the module
    docstring. Bad input raises :class:`~feedrank.InputError` naming the field and
    the offending rating (row, rater and item).

    Options: ``lambda_intercept`` λ_i and ``lambda_factor`` λ_f (documented 0.15 and
    0.03); ``normalization`` "sum" (the documented loss) or "mean"; ``init_scale``
    (standard deviation of the initial factors); ``n_init`` (starts, the lowest
    loss kept); ``max_iter``, ``gtol`` (max projected gradient) and ``ftol``
    (relative decrease) for L-BFGS-B. Returns a :class:`BridgingFit`.
    """
    _check_options(
        lambda_intercept, lambda_factor, normalization, init_scale, n_init, max_iter, gtol, ftol
    )
    k = _length(ratings, "ratings")
    rater_arr = _id_column(raters, "raters", k)
    item_arr = _id_column(items, "items", k)
    values = _rating_column(ratings, rater_arr, item_arr)
    rater_ids, rater_idx = np.unique(rater_arr, return_inverse=True)
    item_ids, item_idx = np.unique(item_arr, return_inverse=True)
    rater_idx = rater_idx.astype(np.intp)
    item_idx = item_idx.astype(np.intp)
    _check_pairs(rater_idx, item_idx, item_ids.shape[0], rater_arr, item_arr)
    u, n = int(rater_ids.shape[0]), int(item_ids.shape[0])
    problem = _Problem.build(
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


# ------------------------------------------------------------- internals
def _recorder(history: list[float], scale: float) -> Callable[[Any], None]:
    """An L-BFGS-B callback appending the loss after each iteration to ``history``."""

    def record(intermediate_result: Any) -> None:  # scipy passes an OptimizeResult
        history.append(float(intermediate_result.fun) * scale)

    return record


def _fix_sign(problem: _Problem, x: NDArray[np.float64]) -> NDArray[np.float64]:
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


def _length(values: Any, field: str) -> int:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InputError(
            f"{field} has shape {arr.shape}", field=field, expected="a one-dimensional array"
        )
    if arr.shape[0] == 0:
        raise InputError("no ratings to fit", field=field, expected="at least one rating")
    return int(arr.shape[0])


def _id_column(
    values: Any, field: str, length: int | None, against: str = "ratings"
) -> NDArray[np.str_]:
    """Ids as a unicode array of shape (length,), validated; ``against`` names the
    column whose length must match."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InputError(
            f"{field} has shape {arr.shape}", field=field, expected="a one-dimensional array"
        )
    if length is not None and arr.shape[0] != length:
        raise InputError(
            f"{field} has {arr.shape[0]} values but {against} has {length}",
            field=field,
            expected=f"{length} values, one per entry of {against}",
        )
    if arr.dtype.kind == "O":
        is_id = np.frompyfunc(lambda v: isinstance(v, (str, int)) and not isinstance(v, bool), 1, 1)
        ok = is_id(arr).astype(bool) if arr.shape[0] else np.zeros(0, dtype=bool)
        if not np.all(ok):
            row = int(np.argmin(ok))
            raise InputError(
                f"{field}[{row}] is {arr[row]!r}",
                field=field,
                expected="string or integer ids",
            )
    elif arr.dtype.kind not in "UiuT" and arr.shape[0]:
        raise InputError(
            f"{field} has dtype {arr.dtype}", field=field, expected="string or integer ids"
        )
    ids = arr.astype(np.str_) if arr.shape[0] else np.zeros(0, dtype="U1")
    empty = np.char.str_len(ids) == 0
    if np.any(empty):
        row = int(np.argmax(empty))
        raise InputError(f"{field}[{row}] is an empty id", field=field, expected="non-empty ids")
    return ids


def _rating_column(
    values: Any, raters: NDArray[np.str_], items: NDArray[np.str_]
) -> NDArray[np.float64]:
    arr = np.asarray(values)
    expected = "a number in [0, 1] (Helpful 1.0, Somewhat 0.5, Not helpful 0.0)"
    if arr.dtype.kind not in "iuf":
        is_number = np.frompyfunc(
            lambda v: (
                isinstance(v, (int, float, np.integer, np.floating))
                and not isinstance(v, (bool, np.bool_))
            ),
            1,
            1,
        )
        ok = is_number(arr.astype(object)).astype(bool)
        row = int(np.argmin(ok)) if not np.all(ok) else 0
        raise InputError(
            f"rating #{row} by rater {str(raters[row])!r} is {arr[row]!r}",
            field="ratings",
            post_id=str(items[row]),
            expected=expected
            + ("; fit_bridging_triples reads answer names" if arr.dtype.kind in "UT" else ""),
        )
    out = arr.astype(np.float64)
    bad = ~(np.isfinite(out) & (out >= 0.0) & (out <= 1.0))
    if np.any(bad):
        row = int(np.argmax(bad))
        raise InputError(
            f"rating #{row} by rater {str(raters[row])!r} is {out[row]!r}",
            field="ratings",
            post_id=str(items[row]),
            expected=expected,
        )
    return out


def _check_pairs(
    rater_idx: NDArray[np.intp],
    item_idx: NDArray[np.intp],
    n_items: int,
    raters: NDArray[np.str_],
    items: NDArray[np.str_],
) -> None:
    """Reject a (rater, item) pair that appears twice, naming both rows."""
    key = rater_idx.astype(np.int64) * n_items + item_idx
    order = np.argsort(key, kind="stable")
    same = key[order][1:] == key[order][:-1]
    if np.any(same):
        first = int(np.argmax(same))
        a, b = sorted((int(order[first]), int(order[first + 1])))
        raise InputError(
            f"rater {str(raters[a])!r} rated this item twice (ratings #{a} and #{b})",
            field="ratings",
            post_id=str(items[a]),
            expected="one rating per (rater, item) pair",
        )


def _positions(sorted_ids: NDArray[np.str_], wanted: NDArray[np.str_]) -> NDArray[np.intp]:
    """Index of each ``wanted`` id in ``sorted_ids`` (sorted, unique), or -1."""
    if sorted_ids.shape[0] == 0 or wanted.shape[0] == 0:
        return np.full(wanted.shape[0], -1, dtype=np.intp)
    pos = np.minimum(np.searchsorted(sorted_ids, wanted), sorted_ids.shape[0] - 1)
    return np.where(sorted_ids[pos] == wanted, pos, -1).astype(np.intp)


def _lookup(sorted_ids: NDArray[np.str_], wanted: NDArray[np.str_], field: str) -> NDArray[np.intp]:
    pos = _positions(sorted_ids, wanted)
    if np.any(pos < 0):
        row = int(np.argmax(pos < 0))
        raise InputError(
            f"{field}[{row}] {str(wanted[row])!r} is not in the fitted model",
            field=field,
            expected="ids that were rated in the fit",
        )
    return pos
