"""The steps both fits share: checking options, choosing the terms to learn,
checking that they vary, and minimising by L-BFGS from zero."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError
from feedrank.learn.design import Design, design_matrix
from feedrank.learn.logged import LoggedRequest
from feedrank.learn.objectives import LogisticObjective, RankNetObjective
from feedrank.spec.pipeline import Pipeline

__all__ = ["Optimum", "check_options", "check_varies", "minimise", "prepare", "term_weights"]

Floats = NDArray[np.float64]


def check_options(l2: float, covariance: str, max_iterations: int, tolerance: float) -> None:
    """Reject a bad ``l2``, ``covariance``, ``max_iterations`` or ``tolerance``."""
    if not (isinstance(l2, (int, float)) and np.isfinite(l2) and l2 >= 0):
        raise InputError(f"l2={l2!r}", field="l2", expected="a finite number >= 0")
    if covariance not in ("hessian", "sandwich"):
        raise InputError(
            f"covariance={covariance!r}", field="covariance", expected="'hessian' or 'sandwich'"
        )
    if not (isinstance(max_iterations, int) and max_iterations >= 1):
        raise InputError(
            f"max_iterations={max_iterations!r}", field="max_iterations", expected="an integer >= 1"
        )
    if not (isinstance(tolerance, (int, float)) and tolerance > 0):
        raise InputError(f"tolerance={tolerance!r}", field="tolerance", expected="a number > 0")


def prepare(
    pipeline: Pipeline, data: Sequence[LoggedRequest] | Design, learn: Iterable[str] | None
) -> tuple[Design, NDArray[np.intp], NDArray[np.intp]]:
    """The design of ``data`` (built with ``pipeline`` from logged requests) and
    the scorer positions of the terms to learn (``learn``, default all) and of
    the fixed ones."""
    design = data if isinstance(data, Design) else design_matrix(pipeline, data)
    names = pipeline.scorer.term_names
    if design.term_names != names:
        raise InputError(
            f"the design has terms {list(design.term_names)}",
            field="data",
            expected=f"a design built for this pipeline's terms {list(names)}",
        )
    wanted = list(names) if learn is None else list(learn)
    unknown = [n for n in wanted if n not in names]
    if unknown or not wanted:
        raise InputError(
            f"unknown term {unknown[0]!r}" if unknown else "no terms to learn",
            field="learn",
            expected="names among " + ", ".join(names),
        )
    learned = np.array([j for j, n in enumerate(names) if n in wanted], dtype=np.intp)
    fixed = np.array([j for j, n in enumerate(names) if n not in wanted], dtype=np.intp)
    return design, learned, fixed


def term_weights(pipeline: Pipeline, index: NDArray[np.intp]) -> Floats:
    """The weights of the scorer's terms at positions ``index``."""
    return np.array([pipeline.scorer.terms[j].weight for j in index], dtype=np.float64)


def check_varies(values: Floats, names: Sequence[str], how: str) -> None:
    """Reject a learned term whose column of ``values`` is constant; ``how`` says
    what is constant about it."""
    flat = np.ptp(values, axis=0) == 0 if values.shape[0] else np.ones(values.shape[1], bool)
    if np.any(flat):
        name = names[int(np.argmax(flat))]
        raise InputError(
            f"term {name!r} {how}, so its weight cannot be learned",
            field=f"scorer.terms.{name}",
            expected="a signal that varies in the training data, or leave the term out of 'learn'",
        )


@dataclass(frozen=True, eq=False)
class Optimum:
    """Where L-BFGS stopped on a penalised objective whose data term sums example
    weights totalling ``total``.

    - ``theta``: ndarray, float64, the parameters; ``objective``: J(θ);
      ``loss``: the data term / total; ``gradient_norm``: max |∂J/∂θ| / total.
    - ``iterations``, ``converged``, ``message``: from L-BFGS-B.
    """

    theta: Floats
    objective: float
    loss: float
    gradient_norm: float
    iterations: int
    converged: bool
    message: str


def minimise(
    fun: LogisticObjective | RankNetObjective,
    total: float,
    max_iterations: int,
    tolerance: float,
) -> Optimum:
    """Minimise ``fun`` by L-BFGS-B from zero, deterministically; the optimiser sees
    the objective divided by ``total`` so that ``tolerance`` does not depend on the
    amount of data."""
    from scipy.optimize import minimize

    def scaled(theta: Floats) -> tuple[float, Floats]:
        value, grad = fun.value_and_grad(theta)
        return value / total, grad / total

    result = minimize(
        scaled,
        np.zeros(fun.size),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iterations, "maxcor": 20, "ftol": 1e-15, "gtol": tolerance},
    )
    theta = np.asarray(result.x, dtype=np.float64)
    value, grad = fun.value_and_grad(theta)
    return Optimum(
        theta=theta,
        objective=value,
        loss=fun.data_loss(theta) / total,
        gradient_norm=float(np.max(np.abs(grad)) / total),
        iterations=int(result.nit),
        converged=bool(result.success),
        message=str(result.message),
    )
