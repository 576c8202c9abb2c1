"""Learn the weights of a scorer's terms from logged interactions, keeping the
ranker explainable.

The features are the pipeline's own term signals: for every logged request,
``pipeline.scorer.score(batch, ctx).inputs`` gives the (n, T) matrix ``X`` of
signal values, so a learned weight multiplies exactly the quantity the
published spec names. Two estimators:

- :func:`fit_logistic` — pointwise L2-regularised logistic regression of a
  per-post label (clicked, liked) on the signals;
- :func:`fit_ranknet` — linear RankNet: a logistic loss on score differences of
  the pairs of posts of one request whose labels differ (or on explicit
  pairwise preferences).

Both return a :class:`WeightFit`: a new :class:`~feedrank.Pipeline` whose term
weights are the learned ones (factors, filters and re-rankers unchanged — the
learned model is the additive part ``Σ_t w_t · x_t``), each learned term's
``why`` saying how and from how much data it was learned, the standard errors
of the weights (inverse Hessian of the penalised objective at the optimum) and
the optimiser's diagnostics. Fitting is deterministic (L-BFGS from zero, no
randomness) and vectorised (one numpy pass per objective evaluation).

>>> import numpy as np
>>> from datetime import datetime, timezone
>>> from feedrank import Context, Pipeline, Post, PostBatch, Scorer, Term
>>> from feedrank.stages.signals import Feature
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> gen = np.random.default_rng(0)
>>> x = gen.normal(size=400)
>>> posts = [Post(id=f"p{i}", author_id="a", created_at=t, features={"x": float(v)})
...          for i, v in enumerate(x)]
>>> batch = PostBatch.from_posts(posts)
>>> clicked = (gen.random(400) < 1 / (1 + np.exp(-2 * x))).astype(float)
>>> pipe = Pipeline(name="demo", scorer=Scorer(
...     terms=[Term(name="x", signal=Feature(name="x"), weight=1.0)]))
>>> fit = fit_logistic(pipe, [LoggedRequest(batch, Context.build(batch, now=t), clicked)])
>>> fit.converged, bool(abs(fit.weights[0] - 2.0) < 3 * fit.standard_errors[0])
(True, True)
>>> fit.pipeline.scorer.terms[0].why.startswith("Learned")
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import expit

from feedrank._time import from_micros, to_micros
from feedrank.batch._columns import _KIND_INDEX, KINDS
from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.errors import InputError
from feedrank.spec.files import parse_spec
from feedrank.spec.pipeline import Pipeline

if TYPE_CHECKING:
    from feedrank.datasets.network import SimulatedNetwork

__all__ = [
    "Design",
    "LoggedRequest",
    "LogisticObjective",
    "RankNetObjective",
    "WeightFit",
    "design_matrix",
    "fit_logistic",
    "fit_ranknet",
    "training_data_from_simulation",
]

Covariance = Literal["hessian", "sandwich"]
Floats = NDArray[np.float64]


# ------------------------------------------------------------------ data
def _vector(value: Any, n: int, name: str, request: str) -> Floats:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (n,):
        raise InputError(
            f"has shape {arr.shape}",
            field=name,
            post_id=None,
            source=request or None,
            expected=f"shape ({n},), one value per post of the batch",
        )
    if not np.all(np.isfinite(arr)):
        raise InputError(
            f"holds {arr[~np.isfinite(arr)][0]}",
            field=name,
            source=request or None,
            expected="finite numbers",
        )
    return arr


@dataclass(frozen=True, eq=False)
class LoggedRequest:
    """One logged request: the posts that were shown, the context they were
    ranked in and what the viewer did with them.

    - ``batch``, ``ctx``: the shown posts (n rows) and their :class:`~feedrank.Context`.
    - ``labels``: ndarray (n,), float64 >= 0: the outcome per post (1 = clicked
      or liked, 0 = not; graded values for RankNet; values in [0, 1] for the
      logistic fit). None when only ``preferences`` are logged.
    - ``propensities``: ndarray (n,), float64 in (0, 1], the probability that the
      post was examined (position bias), or None (all 1). When given, the fits
      are inverse-propensity weighted (see :func:`fit_logistic`, :func:`fit_ranknet`).
    - ``weights``: ndarray (n,), float64 >= 0, sample weights (default 1).
    - ``preferences``: ndarray (k, 2), intp, rows ``(a, b)``: post ``a`` was
      preferred to post ``b`` (row positions in ``batch``). When given, RankNet
      uses these pairs instead of pairs from ``labels``.
    - ``request_id``: a name used in error messages.
    """

    batch: PostBatch
    ctx: Context
    labels: Floats | None = None
    propensities: Floats | None = None
    weights: Floats | None = None
    preferences: NDArray[np.intp] | None = None
    request_id: str = ""

    def __post_init__(self) -> None:
        n, name = len(self.batch), self.request_id
        if len(self.ctx) != n:
            raise InputError(
                f"context has {len(self.ctx)} rows but the batch has {n}",
                field="ctx",
                source=name or None,
                expected="Context.build(batch, ...) for this batch",
            )
        if self.labels is None and self.preferences is None:
            raise InputError(
                "neither labels nor preferences",
                field="labels",
                source=name or None,
                expected="per-post labels or pairwise preferences",
            )
        if self.labels is not None:
            labels = _vector(self.labels, n, "labels", name)
            if np.any(labels < 0):
                raise InputError(
                    f"label {labels[labels < 0][0]} is negative",
                    field="labels",
                    post_id=str(self.batch.ids[int(np.argmax(labels < 0))]),
                    source=name or None,
                    expected="labels >= 0",
                )
            object.__setattr__(self, "labels", labels)
        if self.propensities is not None:
            prop = _vector(self.propensities, n, "propensities", name)
            bad = (prop <= 0) | (prop > 1)
            if np.any(bad):
                raise InputError(
                    f"propensity {prop[bad][0]}",
                    field="propensities",
                    post_id=str(self.batch.ids[int(np.argmax(bad))]),
                    source=name or None,
                    expected="probabilities in (0, 1]",
                )
            object.__setattr__(self, "propensities", prop)
        if self.weights is not None:
            w = _vector(self.weights, n, "weights", name)
            if np.any(w < 0):
                raise InputError(
                    f"weight {w[w < 0][0]} is negative",
                    field="weights",
                    post_id=str(self.batch.ids[int(np.argmax(w < 0))]),
                    source=name or None,
                    expected="weights >= 0",
                )
            object.__setattr__(self, "weights", w)
        if self.preferences is not None:
            pref = np.asarray(self.preferences)
            if pref.size == 0:
                pref = np.zeros((0, 2), dtype=np.intp)
            if pref.ndim != 2 or pref.shape[1] != 2 or pref.dtype.kind not in "iu":
                raise InputError(
                    f"has shape {pref.shape} and dtype {pref.dtype}",
                    field="preferences",
                    source=name or None,
                    expected="an integer array of shape (k, 2)",
                )
            if np.any((pref < 0) | (pref >= n)) or np.any(pref[:, 0] == pref[:, 1]):
                raise InputError(
                    "a pair names a row outside the batch or the same row twice",
                    field="preferences",
                    source=name or None,
                    expected=f"pairs of distinct rows in 0..{n - 1}",
                )
            object.__setattr__(self, "preferences", pref.astype(np.intp))


@dataclass(frozen=True, eq=False)
class Design:
    """The training data as columns (N posts of R requests, T terms, P pairs).

    - ``term_names``: the scorer's term names, in order (T).
    - ``inputs``: ndarray (N, T), float64, the term signals ``x`` of every post.
    - ``labels``: ndarray (N,), float64; NaN for posts of requests without labels.
    - ``propensities``: ndarray (N,), float64 in (0, 1] (1 where none given);
      ``has_propensities``: whether any request gave them.
    - ``weights``: ndarray (N,), float64 >= 0.
    - ``offsets``: ndarray (R + 1,), intp: request r holds rows ``offsets[r]:offsets[r+1]``.
    - ``pairs``: ndarray (P, 2), intp, global rows ``(preferred, other)``, sorted by
      request, then preferred row, then other row; ``pair_request``: (P,), intp.
    - ``request_ids``: the requests' names (R).
    """

    term_names: tuple[str, ...]
    inputs: Floats
    labels: Floats
    propensities: Floats
    has_propensities: bool
    weights: Floats
    offsets: NDArray[np.intp]
    pairs: NDArray[np.intp]
    pair_request: NDArray[np.intp]
    request_ids: tuple[str, ...]

    @property
    def n_requests(self) -> int:
        return len(self.request_ids)

    @property
    def n_posts(self) -> int:
        return int(self.inputs.shape[0])


def design_matrix(pipeline: Pipeline, requests: Sequence[LoggedRequest]) -> Design:
    """Compute the term signals of every logged post with ``pipeline.scorer`` and
    stack the requests into a :class:`Design`.

    Filters and re-rankers are not run: the logged posts are the ones that were
    shown, and all of them are training examples. Pairs are built here: for a
    request with ``preferences``, those; otherwise every ``(i, j)`` of the
    request with ``labels[i] > labels[j]``.
    """
    if not requests:
        raise InputError("no logged requests", field="requests", expected="at least one request")
    inputs: list[Floats] = []
    labels: list[Floats] = []
    props: list[Floats] = []
    weights: list[Floats] = []
    explicit: list[NDArray[np.intp]] = []
    sizes = np.zeros(len(requests), dtype=np.intp)
    names: list[str] = []
    for r, req in enumerate(requests):
        if not isinstance(req, LoggedRequest):
            raise InputError(
                f"request {r} is a {type(req).__name__}",
                field="requests",
                expected="LoggedRequest objects",
            )
        n = len(req.batch)
        sizes[r] = n
        names.append(req.request_id or f"request {r}")
        inputs.append(pipeline.scorer.score(req.batch, req.ctx).inputs)
        labels.append(req.labels if req.labels is not None else np.full(n, np.nan))
        props.append(req.propensities if req.propensities is not None else np.ones(n))
        weights.append(req.weights if req.weights is not None else np.ones(n))
        if req.preferences is not None:
            explicit.append(np.column_stack([req.preferences, np.full(len(req.preferences), r)]))
    offsets = np.zeros(len(requests) + 1, dtype=np.intp)
    np.cumsum(sizes, out=offsets[1:])
    label = np.concatenate(labels)
    has_pref = np.array([req.preferences is not None for req in requests], dtype=bool)
    pairs, pair_request = _pairs(label, offsets, has_pref, explicit)
    return Design(
        term_names=pipeline.scorer.term_names,
        inputs=np.concatenate(inputs).reshape(-1, len(pipeline.scorer.terms)),
        labels=label,
        propensities=np.concatenate(props),
        has_propensities=any(req.propensities is not None for req in requests),
        weights=np.concatenate(weights),
        offsets=offsets,
        pairs=pairs,
        pair_request=pair_request,
        request_ids=tuple(names),
    )


def _pairs(
    labels: Floats,
    offsets: NDArray[np.intp],
    has_pref: NDArray[np.bool_],
    explicit: list[NDArray[np.intp]],
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """All (i, j) of one request with labels[i] > labels[j] (vectorised), plus
    explicit preferences; sorted by (request, i, j)."""
    sizes = np.diff(offsets)
    seg = np.repeat(np.arange(sizes.shape[0], dtype=np.intp), sizes)
    use = ~has_pref[seg] & np.isfinite(labels)
    lows = np.full(sizes.shape[0], np.inf)
    np.minimum.at(lows, seg[use], labels[use])
    cand = np.flatnonzero(use & (labels > lows[seg])).astype(np.intp)
    reps = sizes[seg[cand]]
    first = np.repeat(cand, reps)
    starts = np.repeat(np.cumsum(reps) - reps, reps)
    other = offsets[seg[first]] + (np.arange(first.shape[0], dtype=np.intp) - starts)
    keep = labels[first] > labels[other]
    rows_i, rows_j = first[keep], other[keep].astype(np.intp)
    req = seg[rows_i]
    if explicit:
        more = np.concatenate(explicit)
        rows_i = np.concatenate([rows_i, offsets[more[:, 2]] + more[:, 0]])
        rows_j = np.concatenate([rows_j, offsets[more[:, 2]] + more[:, 1]])
        req = np.concatenate([req, more[:, 2]])
    order = np.lexsort((rows_j, rows_i, req))
    pairs = np.column_stack([rows_i[order], rows_j[order]]).astype(np.intp).reshape(-1, 2)
    return pairs, req[order].astype(np.intp)


# ------------------------------------------------------------- objectives
def _softplus(z: Floats) -> Floats:
    """log(1 + e^z), without overflow."""
    return np.logaddexp(0.0, z)


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
        resid = self.weights * (expit(z) - self.targets)
        value = float(self.weights @ (_softplus(z) - self.targets * z))
        value += 0.5 * self.l2 * float(beta @ beta)
        grad = np.empty(self.size)
        grad[:-1] = self.x.T @ resid + self.l2 * beta
        grad[-1] = resid.sum()
        return value, grad

    def hessian(self, theta: Floats) -> Floats:
        """∇²J(θ), ndarray (T + 1, T + 1)."""
        p = expit(self._z(theta))
        design = np.column_stack([self.x, np.ones(self.x.shape[0])])
        h: Floats = (design * (self.weights * p * (1.0 - p))[:, None]).T @ design
        h[:-1, :-1] += self.l2 * np.eye(self.size - 1)
        return h

    def row_gradients(self, theta: Floats) -> Floats:
        """ndarray (N, T + 1): each example's gradient of the data term."""
        resid = self.weights * (expit(self._z(theta)) - self.targets)
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
        grad: Floats = -(self.d.T @ (self.weights * expit(-delta))) + self.l2 * beta
        return value, grad

    def hessian(self, beta: Floats) -> Floats:
        """∇²J(β), ndarray (T, T)."""
        delta = self._delta(beta)
        curv = self.weights * expit(delta) * expit(-delta)
        h: Floats = (self.d * curv[:, None]).T @ self.d + self.l2 * np.eye(self.size)
        return h

    def row_gradients(self, beta: Floats) -> Floats:
        """ndarray (P, T): each pair's gradient of the data term."""
        resid = -(self.weights * expit(-self._delta(beta)))
        out: Floats = self.d * resid[:, None]
        return out


# ------------------------------------------------------------------- result
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
    method: Literal["logistic", "ranknet"]
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


# -------------------------------------------------------------------- fitting
def _check_options(l2: float, covariance: str, max_iterations: int, tolerance: float) -> None:
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


def _prepare(
    pipeline: Pipeline, data: Sequence[LoggedRequest] | Design, learn: Iterable[str] | None
) -> tuple[Design, NDArray[np.intp], NDArray[np.intp]]:
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


def _minimise(
    fun: LogisticObjective | RankNetObjective,
    scale: float,
    max_iterations: int,
    tolerance: float,
) -> tuple[Floats, Any]:
    def scaled(theta: Floats) -> tuple[float, Floats]:
        value, grad = fun.value_and_grad(theta)
        return value / scale, grad / scale

    result = minimize(
        scaled,
        np.zeros(fun.size),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iterations, "maxcor": 20, "ftol": 1e-15, "gtol": tolerance},
    )
    return np.asarray(result.x, dtype=np.float64), result


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


def _covariance(
    fun: LogisticObjective | RankNetObjective,
    theta: Floats,
    kind: Covariance,
    groups: NDArray[np.intp],
    names: Sequence[str],
) -> Floats:
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
    spec = pipeline.to_spec()
    terms = spec["scorer"]["terms"]
    for k, j in enumerate(learned.tolist()):
        terms[j]["weight"] = float(weights[k])
        terms[j]["why"] = _why(method, float(weights[k]), float(errors[k]), data, l2, ipw)
    return parse_spec(spec)


def _check_varies(values: Floats, names: Sequence[str], how: str) -> None:
    flat = np.ptp(values, axis=0) == 0 if values.shape[0] else np.ones(values.shape[1], bool)
    if np.any(flat):
        name = names[int(np.argmax(flat))]
        raise InputError(
            f"term {name!r} {how}, so its weight cannot be learned",
            field=f"scorer.terms.{name}",
            expected="a signal that varies in the training data, or leave the term out of 'learn'",
        )


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
    ``x`` (N, T) of :func:`design_matrix`. Each post's target is its label
    ``y`` (in [0, 1]); with propensities ``π`` it is ``y / π``, whose expectation
    under the position-based model is the click probability once examined, so
    the fit estimates relevance rather than position. Internally the learned
    signals are standardised, ``x̃_t = (x_t − m_t) / s_t`` (mean and standard
    deviation over the N posts), and :class:`LogisticObjective` is minimised by
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
    _check_options(l2, covariance, max_iterations, tolerance)
    design, learned, fixed = _prepare(pipeline, data, learn)
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
    _check_varies(x, names, "has the same value for every training post")
    mean, scale = x.mean(axis=0), x.std(axis=0)
    z = (x - mean) / scale
    targets = y / design.propensities
    offset = design.inputs[:, fixed] @ _weights(pipeline, fixed)
    fun = LogisticObjective(z, targets, w, l2, offset)
    total = float(w.sum())
    theta, result = _minimise(fun, total, max_iterations, tolerance)
    groups = np.repeat(np.arange(design.n_requests), np.diff(design.offsets))
    cov_std = _covariance(fun, theta, covariance, groups, [*names, "(intercept)"])
    t = len(names)
    a = np.zeros((t + 1, t + 1))
    a[:t, :t] = np.diag(1.0 / scale)
    a[t, :t] = -mean / scale
    a[t, t] = 1.0
    params = a @ theta
    cov = a @ cov_std @ a.T
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    value, grad = fun.value_and_grad(theta)
    n_pos = int(np.count_nonzero(y > 0))
    ipw = design.has_propensities
    data_text = (
        f"{design.n_posts:,} logged posts ({n_pos:,} with a positive label) "
        f"from {design.n_requests:,} requests"
    )
    return WeightFit(
        pipeline=_learned_pipeline(
            pipeline, learned, params[:t], se[:t], "logistic", data_text, l2, ipw
        ),
        method="logistic",
        term_names=tuple(names),
        weights=params[:t].copy(),
        standard_errors=se[:t].copy(),
        covariance=cov[:t, :t].copy(),
        intercept=float(params[t]),
        intercept_se=float(se[t]),
        loss=fun.data_loss(theta) / total,
        objective=value,
        iterations=int(result.nit),
        converged=bool(result.success),
        message=str(result.message),
        gradient_norm=float(np.max(np.abs(grad)) / total),
        n_requests=design.n_requests,
        n_examples=design.n_posts,
        n_positive=n_pos,
        l2=float(l2),
        covariance_kind=covariance,
        inverse_propensity=ipw,
    )


def _weights(pipeline: Pipeline, index: NDArray[np.intp]) -> Floats:
    return np.array([pipeline.scorer.terms[j].weight for j in index], dtype=np.float64)


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

    ``learn``, ``covariance``: as in :func:`fit_logistic`. Raises
    :class:`~feedrank.InputError` when there are no pairs, when a learned term
    has the same value for both posts of every pair (named), or when the
    Hessian is singular.
    """
    _check_options(l2, covariance, max_iterations, tolerance)
    design, learned, fixed = _prepare(pipeline, data, learn)
    pairs = design.pairs
    if pairs.shape[0] == 0:
        raise InputError(
            f"no pairs: no request among {design.n_requests} has posts with different labels",
            field="labels",
            expected="requests where some posts have higher labels than others, or preferences",
        )
    names = [design.term_names[j] for j in learned]
    diffs = design.inputs[pairs[:, 0]][:, learned] - design.inputs[pairs[:, 1]][:, learned]
    _check_varies(
        np.vstack([diffs, np.zeros((1, len(names)))]),
        names,
        "has the same value for both posts of every compared pair",
    )
    scale = np.sqrt(np.mean(diffs**2, axis=0))
    first = pairs[:, 0]
    weight = design.weights[first] / design.propensities[first]
    fixed_x = design.inputs[:, fixed]
    offset = (fixed_x[pairs[:, 0]] - fixed_x[pairs[:, 1]]) @ _weights(pipeline, fixed)
    fun = RankNetObjective(diffs / scale, weight, l2, offset)
    total = float(weight.sum())
    if total <= 0:
        raise InputError(
            "every pair has weight 0", field="weights", expected="some positive sample weights"
        )
    beta, result = _minimise(fun, total, max_iterations, tolerance)
    cov_std = _covariance(fun, beta, covariance, design.pair_request, names)
    params = beta / scale
    cov = cov_std / np.outer(scale, scale)
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    value, grad = fun.value_and_grad(beta)
    ipw = design.has_propensities
    n_pairs = int(pairs.shape[0])
    n_req = int(np.unique(design.pair_request).shape[0])
    data_text = (
        f"{n_pairs:,} preference pairs from {n_req:,} requests "
        f"({design.n_posts:,} logged posts in {design.n_requests:,} requests)"
    )
    return WeightFit(
        pipeline=_learned_pipeline(pipeline, learned, params, se, "ranknet", data_text, l2, ipw),
        method="ranknet",
        term_names=tuple(names),
        weights=params,
        standard_errors=se,
        covariance=cov,
        intercept=None,
        intercept_se=None,
        loss=fun.data_loss(beta) / total,
        objective=value,
        iterations=int(result.nit),
        converged=bool(result.success),
        message=str(result.message),
        gradient_norm=float(np.max(np.abs(grad)) / total),
        n_requests=design.n_requests,
        n_examples=n_pairs,
        n_positive=n_pairs,
        l2=float(l2),
        covariance_kind=covariance,
        inverse_propensity=ipw,
    )


# -------------------------------------------------------- simulator helper
Label = Literal["click", "like", "click_or_like"]


def training_data_from_simulation(
    net: SimulatedNetwork,
    *,
    label: Label = "click",
    inverse_propensity: bool = False,
    propensity_floor: float = 0.0,
    as_of: Literal["session", "now"] = "session",
    viewers: Iterable[str] | None = None,
) -> list[LoggedRequest]:
    """Turn a simulated network's impression log into one :class:`LoggedRequest`
    per logged feed (session).

    Each request holds the posts shown in the session (in feed order), labels
    from the outcome ``label`` (``click``, ``like``, or ``click_or_like``: 1 if
    either) and, with ``inverse_propensity``, the examination propensities
    ``max((position + 1)^(−η), propensity_floor)``.

    ``as_of="session"`` (default) reconstructs what the ranker could see when
    the feed was served: the context's ``now`` is the session start, the
    batch's interaction counts are those logged before it (so a post's own
    click in this session does not leak into its features), and the viewer's
    ``seen`` set holds the posts shown in their earlier sessions (follows and
    interests are static in the simulator). ``as_of="now"`` uses the network as
    of ``net.now`` for every request (faster, but counts include the outcomes
    being predicted). ``viewers``: only the sessions of these viewer ids.

    Deterministic: the same network gives the same requests.
    """
    if label not in ("click", "like", "click_or_like"):
        raise InputError(
            f"label={label!r}", field="label", expected="'click', 'like' or 'click_or_like'"
        )
    if as_of not in ("session", "now"):
        raise InputError(f"as_of={as_of!r}", field="as_of", expected="'session' or 'now'")
    if not (0.0 <= propensity_floor <= 1.0):
        raise InputError(
            f"propensity_floor={propensity_floor!r}",
            field="propensity_floor",
            expected="a number in [0, 1]",
        )
    imp = net.impressions
    outcome = {
        "click": imp.clicked,
        "like": imp.liked,
        "click_or_like": imp.clicked | imp.liked,
    }[label].astype(np.float64)
    keep = np.ones(len(imp), dtype=bool)
    if viewers is not None:
        wanted = sorted(set(viewers))
        for vid in wanted:
            net.viewer_index(vid)  # InputError for an unknown viewer
        keep = np.isin(imp.viewer_id, np.array(wanted, dtype=np.str_))
    if not np.any(keep):
        return []
    base = net.batch()
    counts = _counts_at_sessions(net) if as_of == "session" else base.counts[imp.post_index]
    propensity = np.maximum(imp.propensity, propensity_floor)
    starts = np.flatnonzero(np.r_[True, np.diff(imp.session) != 0])
    stops = np.r_[starts[1:], len(imp)]
    authors = net.post_authors()
    shown: dict[str, set[str]] = {}
    interactions: dict[str, list[Any]] = {}
    now_ctx: dict[str, Context] = {}
    out: list[LoggedRequest] = []
    for lo, hi in zip(starts.tolist(), stops.tolist(), strict=True):
        vid = str(imp.viewer_id[lo])
        earlier = shown.setdefault(vid, set())
        post_ids = imp.post_id[lo:hi]
        if keep[lo]:
            rows = imp.post_index[lo:hi]
            batch = dataclasses.replace(base.take(rows), counts=counts[lo:hi].copy())
            if as_of == "session":
                viewer = net.viewer(vid).model_copy(update={"seen": frozenset(earlier)})
                if vid not in interactions:
                    interactions[vid] = net.interactions_of(vid)
                ctx = Context.build(
                    batch,
                    now=from_micros(int(imp.session_at[lo])),
                    viewer=viewer,
                    interactions=interactions[vid],
                    post_authors=authors,
                )
            else:
                if vid not in now_ctx:
                    now_ctx[vid] = net.context(vid)
                ctx = now_ctx[vid].take(rows)
            out.append(
                LoggedRequest(
                    batch=batch,
                    ctx=ctx,
                    labels=outcome[lo:hi].copy(),
                    propensities=propensity[lo:hi].copy() if inverse_propensity else None,
                    request_id=f"{vid}/session{int(imp.session[lo])}",
                )
            )
        earlier.update(post_ids.tolist())
    return out


def _counts_at_sessions(net: SimulatedNetwork) -> NDArray[np.int64]:
    """ndarray (m, len(KINDS)), int64: for every impression row, the post's
    interaction counts per kind logged strictly before the session started."""
    imp = net.impressions
    items = net.interactions
    m, k = len(imp), len(KINDS)
    if not items:
        return np.zeros((m, k), dtype=np.int64)
    post = net.post_index(np.array([i.post_id for i in items], dtype=np.str_))
    kind = np.array([_KIND_INDEX[i.kind] for i in items], dtype=np.int64)
    at = np.array([to_micros(i.at, field="interactions.at") for i in items], dtype=np.int64)
    # Rank-compress the times so the combined key stays far below 2**63.
    times, ranks = np.unique(np.concatenate([at, imp.session_at]), return_inverse=True)
    at_rank, session_rank = ranks[: at.shape[0]], ranks[at.shape[0] :]
    span = np.int64(times.shape[0] + 1)
    keys = np.sort((post.astype(np.int64) * k + kind) * span + at_rank)
    cell = (imp.post_index.astype(np.int64)[:, None] * k + np.arange(k)[None, :]) * span
    lo = np.searchsorted(keys, cell, side="left")
    hi = np.searchsorted(keys, cell + session_rank[:, None], side="left")
    return np.asarray(hi - lo, dtype=np.int64)
