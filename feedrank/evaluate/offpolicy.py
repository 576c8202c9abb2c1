"""Off-policy estimators: the value of a target ranker from feeds logged by another.

A logging (behaviour) policy π_b chose what was shown and recorded the
probability of its choice; the estimators reweight the observed rewards by
w = π_e / π_b to estimate what a target (evaluation) policy π_e would earn, as
in Open Bandit Pipeline (OBP).

Single action per round (n rounds, arrays of shape (n,), float64)
------------------------------------------------------------------
- ``reward`` r_i: the observed reward of the logged action a_i (finite).
- ``behavior`` π_b(a_i | x_i) in (0, 1]; ``target`` π_e(a_i | x_i) in [0, 1].
- For :func:`doubly_robust`: ``q_logged`` q̂(x_i, a_i), the reward model at the
  logged action, and ``q_target`` q̂(x_i, π_e) = Σ_a π_e(a | x_i) q̂(x_i, a), its
  expectation under the target (e.g. ``(pi_e * q_hat).sum(axis=1)`` for (n, A)
  matrices).

Estimators, with w_i = π_e(a_i | x_i) / π_b(a_i | x_i):

- IPS    V̂ = (1/n) Σ w_i r_i                                  (unbiased)
- SNIPS  V̂ = Σ w_i r_i / Σ w_i                                (consistent, lower variance)
- DR     V̂ = (1/n) Σ [q̂(x_i, π_e) + w_i (r_i − q̂(x_i, a_i))] (unbiased if w or q̂ is right)

Slates (S slates, m rows, one row per (slate, position); arrays of shape (m,))
------------------------------------------------------------------------------
- ``slate``: the slate (feed) id of each row, any 1-D dtype; ``position``: integer
  slot of the row within its slate (0-based or 1-based, only the order matters;
  rows may come in any order, each (slate, position) at most once).
- ``reward`` r_{s,k}: the reward observed at that slot (e.g. a click).
- ``behavior`` / ``target``: per-row propensities whose meaning depends on the
  estimator:

  * :func:`slate_ips` and :func:`slate_rips` take the **conditional factors**
    π(a_k | x, a_1..a_{k−1}), whose product over a slate's positions in order is
    the slate's probability (for a Plackett–Luce ranker: the softmax of the item
    among the items not yet placed). With w_{s,k} the ratio of the factors:

    - standard slate IPS: V̂ = (1/S) Σ_s W_s Σ_k r_{s,k}, W_s = Π_k w_{s,k}
      (unbiased for any reward; variance grows with the slate length).
    - RIPS (reward-interaction IPS, McInerney et al. 2020):
      V̂ = (1/S) Σ_s Σ_k r_{s,k} Π_{j ≤ k} w_{s,j}
      (unbiased when r_k depends only on the items at positions ≤ k: cascade).

  * :func:`slate_iips` takes the **marginal** probability that the item was put at
    that position, π(a at k | x) (Li et al. 2018):

    - IIPS: V̂ = (1/S) Σ_s Σ_k r_{s,k} w_{s,k}
      (unbiased when r_k depends only on the item at k: item-position model).

  When a policy chooses each position independently, the conditional factor and
  the marginal coincide and one pair of arrays serves all three estimators. OBP
  takes the joint slate probability (SIPS) and the prefix probability (RIPS) per
  row instead: the factors are prefix_k / prefix_{k−1} of its ``pscore_cascade``.

Confidence intervals and effective sample size
----------------------------------------------
The CI is a percentile bootstrap over rounds (slates for slate estimators): B =
``n_resamples`` resamples with replacement drawn from the keyword-only ``rng``,
the estimator recomputed on each (SNIPS as a ratio of resampled means; OBP
bootstraps the already normalised round rewards instead), bounds at the α/2 and
1 − α/2 quantiles, α = 1 − ``confidence``. ``n_resamples=0`` skips it (NaN
bounds). ``ess`` is Kish's effective sample size (Σ w)² / Σ w² of the weights
applied to the rewards (for slates, the minimum over positions of the ESS of the
weights at that position); ``mean_weight`` should be close to 1 when π_e is
covered by π_b. The bootstrap draws B · n indices (about 5 ms per replicate per
million rounds): lower ``n_resamples`` for very large logs.

The simulator's :attr:`feedrank.datasets.Impressions.propensity` is the
probability that a slot was *examined* (position-based model), not the
probability that the logging ranker chose the item: dividing clicks by it
debiases relevance labels, but it is not the π_b these estimators need.

>>> import numpy as np
>>> reward = np.array([1.0, 0.0, 1.0, 1.0])
>>> behavior = np.array([0.5, 0.5, 0.25, 0.5])
>>> target = np.array([1.0, 0.0, 0.5, 0.5])
>>> est = ips(reward, behavior, target, rng=0, n_resamples=200)
>>> est.value, round(snips(reward, behavior, target, rng=0).value, 4), est.ess
(1.25, 1.0, 2.7777777777777777)
>>> rows = slate_rips([0, 0, 1, 1], [0, 1, 0, 1], [1.0, 1.0, 0.0, 1.0],
...                   [0.5, 0.5, 0.5, 0.5], [1.0, 0.5, 0.5, 1.0], rng=0)
>>> rows.value, rows.by_position.tolist()
(3.0, [1.0, 2.0])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from feedrank.datasets.arguments import as_generator
from feedrank.errors import InputError
from feedrank.evaluate.stats import (
    _bootstrap,
    _confidence,
    _percentile_interval,
    _positive_int,
)

__all__ = [
    "OffPolicyEstimate",
    "SlateEstimate",
    "doubly_robust",
    "ips",
    "slate_iips",
    "slate_ips",
    "slate_rips",
    "snips",
]


# ---------------------------------------------------------------------- results
@dataclass(frozen=True)
class OffPolicyEstimate:
    """An estimated policy value with its bootstrap CI and weight diagnostics."""

    estimator: str
    """"ips", "snips", "dr", "slate_ips", "iips" or "rips"."""
    value: float
    ci_low: float
    """Percentile bootstrap bounds (NaN when ``n_resamples`` is 0)."""
    ci_high: float
    confidence: float
    n: int
    """Rounds (slates for slate estimators)."""
    ess: float
    """Kish effective sample size (Σ w)² / Σ w² (slates: minimum over positions)."""
    mean_weight: float
    """Mean importance weight applied to a reward (≈ 1 when π_e is covered)."""
    n_resamples: int
    """Bootstrap replicates behind the CI."""

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in vars(self).items()}


@dataclass(frozen=True, eq=False)
class SlateEstimate(OffPolicyEstimate):
    """A slate estimate with its per-position parts (K distinct positions)."""

    positions: NDArray[np.int64]
    """ndarray (K,), int64: the distinct positions, ascending."""
    by_position: NDArray[np.float64]
    """ndarray (K,), float64: (1/S) Σ_s r_{s,k} W_{s,k}; sums to ``value``."""
    ess_by_position: NDArray[np.float64]
    """ndarray (K,), float64: Kish ESS of the weights at each position."""


# -------------------------------------------------------------------- validation


def _scalar(value: object) -> object:
    """A numpy scalar as the Python value (for readable error messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _column(values: ArrayLike, field: str, n: int | None = None) -> NDArray[np.float64]:
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InputError(f"not numeric: {err}", field=field, expected="numbers") from None
    if x.ndim != 1:
        raise InputError(f"got shape {x.shape}", field=field, expected="a 1-D array")
    if n is not None and x.shape[0] != n:
        raise InputError(
            f"length {x.shape[0]} differs from reward's {n}",
            field=field,
            expected=f"{n} values, one per row",
        )
    bad = ~np.isfinite(x)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"value {x[i]} at row {i}", field=field, expected="finite numbers")
    return x


def _propensity(values: ArrayLike, field: str, n: int, *, allow_zero: bool) -> NDArray[np.float64]:
    x = _column(values, field, n)
    bad = ((x < 0.0) if allow_zero else (x <= 0.0)) | (x > 1.0)
    if bad.any():
        i = int(np.argmax(bad))
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        raise InputError(
            f"value {x[i]} at row {i}", field=field, expected=f"a probability in {interval}"
        )
    return x


def _rewards(reward: ArrayLike) -> NDArray[np.float64]:
    r = _column(reward, "reward")
    if r.shape[0] == 0:
        raise InputError("no rows", field="reward", expected="at least one logged row")
    return r


def _kish(w: NDArray[np.float64]) -> float:
    sq = float((w * w).sum())
    return float(w.sum()) ** 2 / sq if sq > 0 else 0.0


def _options(rng: object, n_resamples: object, confidence: object) -> tuple[Any, int, float]:
    return as_generator(rng), _positive_int(n_resamples, "n_resamples", 0), _confidence(confidence)


def _interval(
    columns: NDArray[np.float64],
    statistic: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    gen: np.random.Generator,
    n_resamples: int,
    confidence: float,
) -> tuple[float, float, int]:
    if n_resamples == 0:
        return float("nan"), float("nan"), 0
    reps = _bootstrap(columns, statistic, rng=gen, n_resamples=n_resamples)
    reps = reps[np.isfinite(reps)]
    if reps.shape[0] == 0:
        return float("nan"), float("nan"), 0
    low, high = _percentile_interval(reps, confidence)
    return low, high, int(reps.shape[0])


# ------------------------------------------------------------- single action
def _single(
    reward: ArrayLike,
    behavior: ArrayLike,
    target: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r = _rewards(reward)
    n = r.shape[0]
    b = _propensity(behavior, "behavior", n, allow_zero=False)
    e = _propensity(target, "target", n, allow_zero=True)
    return r, e / b


def ips(
    reward: ArrayLike,
    behavior: ArrayLike,
    target: ArrayLike,
    *,
    rng: np.random.Generator | int,
    n_resamples: int = 2000,
    confidence: float = 0.95,
) -> OffPolicyEstimate:
    """Inverse propensity scoring, V̂ = (1/n) Σ w_i r_i, w_i = π_e(a_i|x_i) / π_b(a_i|x_i).

    ``reward``, ``behavior`` (in (0, 1]), ``target`` (in [0, 1]): array-likes (n,)
    (see the module for the layout). Bad input raises
    :class:`~feedrank.InputError` naming the field and the row.
    """
    gen, b, conf = _options(rng, n_resamples, confidence)
    r, w = _single(reward, behavior, target)
    wr = w * r
    low, high, kept = _interval(wr[:, None], lambda m: m[:, 0], gen, b, conf)
    return OffPolicyEstimate(
        "ips", float(wr.mean()), low, high, conf, r.shape[0], _kish(w), float(w.mean()), kept
    )


def snips(
    reward: ArrayLike,
    behavior: ArrayLike,
    target: ArrayLike,
    *,
    rng: np.random.Generator | int,
    n_resamples: int = 2000,
    confidence: float = 0.95,
) -> OffPolicyEstimate:
    """Self-normalised IPS, V̂ = Σ w_i r_i / Σ w_i (inputs as :func:`ips`).

    Raises :class:`~feedrank.InputError` when Σ w = 0 (π_e gives probability 0 to
    every logged action); bootstrap replicates with Σ w = 0 are left out and
    ``n_resamples`` of the result counts the replicates kept.
    """
    gen, b, conf = _options(rng, n_resamples, confidence)
    r, w = _single(reward, behavior, target)
    total = float(w.sum())
    if total == 0.0:
        raise InputError(
            "every importance weight is 0",
            field="target",
            expected="a target policy that gives positive probability to some logged action",
        )

    def ratio(m: NDArray[np.float64]) -> NDArray[np.float64]:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(m[:, 0] / m[:, 1], dtype=np.float64)

    low, high, kept = _interval(np.column_stack([w * r, w]), ratio, gen, b, conf)
    return OffPolicyEstimate(
        "snips",
        float((w * r).sum() / total),
        low,
        high,
        conf,
        r.shape[0],
        _kish(w),
        float(w.mean()),
        kept,
    )


def doubly_robust(
    reward: ArrayLike,
    behavior: ArrayLike,
    target: ArrayLike,
    q_logged: ArrayLike,
    q_target: ArrayLike,
    *,
    rng: np.random.Generator | int,
    n_resamples: int = 2000,
    confidence: float = 0.95,
) -> OffPolicyEstimate:
    """Doubly robust, V̂ = (1/n) Σ [q̂(x_i, π_e) + w_i (r_i − q̂(x_i, a_i))].

    ``q_logged`` q̂(x_i, a_i) and ``q_target`` q̂(x_i, π_e) = Σ_a π_e(a|x_i) q̂(x_i, a):
    array-likes (n,), finite; the rest as :func:`ips`. Unbiased when the weights
    are right, whatever q̂; with q̂ ≡ 0 it is IPS.
    """
    gen, b, conf = _options(rng, n_resamples, confidence)
    r, w = _single(reward, behavior, target)
    n = r.shape[0]
    ql = _column(q_logged, "q_logged", n)
    qt = _column(q_target, "q_target", n)
    v = qt + w * (r - ql)
    low, high, kept = _interval(v[:, None], lambda m: m[:, 0], gen, b, conf)
    return OffPolicyEstimate(
        "dr", float(v.mean()), low, high, conf, n, _kish(w), float(w.mean()), kept
    )


# ----------------------------------------------------------------------- slates
@dataclass(frozen=True, eq=False)
class _Slates:
    """Rows sorted by (slate, position) with segment codes."""

    reward: NDArray[np.float64]
    ratio: NDArray[np.float64]
    code: NDArray[np.intp]
    """(m,) slate index 0..S−1 of each sorted row."""
    within: NDArray[np.intp]
    """(m,) 0-based rank of the row's position within its slate."""
    pos_code: NDArray[np.intp]
    positions: NDArray[np.int64]
    n_slates: int


def _slates(
    slate: ArrayLike,
    position: ArrayLike,
    reward: ArrayLike,
    behavior: ArrayLike,
    target: ArrayLike,
) -> _Slates:
    r = _rewards(reward)
    m = r.shape[0]
    b = _propensity(behavior, "behavior", m, allow_zero=False)
    e = _propensity(target, "target", m, allow_zero=True)
    ids = np.asarray(slate)
    if ids.ndim != 1 or ids.shape[0] != m:
        raise InputError(
            f"got shape {ids.shape}", field="slate", expected=f"a 1-D array of {m} slate ids"
        )
    pos = np.asarray(position)
    if pos.ndim != 1 or pos.shape[0] != m or not np.issubdtype(pos.dtype, np.integer):
        raise InputError(
            f"got shape {pos.shape}, dtype {pos.dtype}",
            field="position",
            expected=f"a 1-D integer array of {m} positions",
        )
    pos = pos.astype(np.int64)
    _, code = np.unique(ids, return_inverse=True)
    code = code.astype(np.intp).reshape(-1)
    order = np.lexsort((pos, code))
    code, pos = code[order], pos[order]
    dup = (code[1:] == code[:-1]) & (pos[1:] == pos[:-1])
    if dup.any():
        j = int(np.argmax(dup)) + 1
        i = int(order[j])
        raise InputError(
            f"slate {_scalar(ids[i])!r} has position {int(pos[j])} twice (row {i})",
            field="position",
            expected="each (slate, position) at most once",
        )
    n_slates = int(code[-1]) + 1
    starts = np.searchsorted(code, np.arange(n_slates))
    within = (np.arange(m) - starts[code]).astype(np.intp)
    positions, pos_code = np.unique(pos, return_inverse=True)
    return _Slates(
        r[order],
        (e / b)[order],
        code,
        within,
        pos_code.astype(np.intp).reshape(-1),
        positions.astype(np.int64),
        n_slates,
    )


def _slate_estimate(
    name: str,
    s: _Slates,
    weights: NDArray[np.float64],
    gen: np.random.Generator,
    n_resamples: int,
    confidence: float,
) -> SlateEstimate:
    """Sum r·W per slate and per position; ``weights`` (m,) aligned with ``s`` rows."""
    contrib = s.reward * weights
    per_slate = np.asarray(
        np.bincount(s.code, weights=contrib, minlength=s.n_slates), dtype=np.float64
    )
    k = s.positions.shape[0]
    by_position = np.bincount(s.pos_code, weights=contrib, minlength=k) / s.n_slates
    w_sum = np.bincount(s.pos_code, weights=weights, minlength=k)
    w_sq = np.bincount(s.pos_code, weights=weights * weights, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        ess_k = np.where(w_sq > 0, w_sum**2 / np.where(w_sq > 0, w_sq, 1.0), 0.0)
    low, high, kept = _interval(per_slate[:, None], lambda m: m[:, 0], gen, n_resamples, confidence)
    return SlateEstimate(
        estimator=name,
        value=float(per_slate.mean()),
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        n=s.n_slates,
        ess=float(ess_k.min()),
        mean_weight=float(weights.mean()),
        n_resamples=kept,
        positions=s.positions,
        by_position=by_position.astype(np.float64),
        ess_by_position=ess_k.astype(np.float64),
    )


def _prefix_products(s: _Slates) -> NDArray[np.float64]:
    """(S, L) float64: Π_{j ≤ k} w_{s,j} at [s, k] via a cumulative product over the
    slates padded with weight 1 to the longest length L (so [:, -1] is W_s)."""
    length = int(s.within.max()) + 1
    grid = np.ones((s.n_slates, length), dtype=np.float64)
    grid[s.code, s.within] = s.ratio
    return np.asarray(np.cumprod(grid, axis=1), dtype=np.float64)


def slate_ips(
    slate: ArrayLike,
    position: ArrayLike,
    reward: ArrayLike,
    behavior: ArrayLike,
    target: ArrayLike,
    *,
    rng: np.random.Generator | int,
    n_resamples: int = 2000,
    confidence: float = 0.95,
) -> SlateEstimate:
    """Standard slate IPS: V̂ = (1/S) Σ_s W_s Σ_k r_{s,k}, W_s = Π_k π_e(a_k|x, a_<k) /
    π_b(a_k|x, a_<k) (the whole-slate weight).

    ``behavior``/``target`` are the conditional factors of each row (module docstring);
    arrays of shape (m,). Returns a :class:`SlateEstimate`.
    """
    gen, b, conf = _options(rng, n_resamples, confidence)
    s = _slates(slate, position, reward, behavior, target)
    whole = _prefix_products(s)[:, -1]
    return _slate_estimate("slate_ips", s, whole[s.code], gen, b, conf)


def slate_iips(
    slate: ArrayLike,
    position: ArrayLike,
    reward: ArrayLike,
    behavior: ArrayLike,
    target: ArrayLike,
    *,
    rng: np.random.Generator | int,
    n_resamples: int = 2000,
    confidence: float = 0.95,
) -> SlateEstimate:
    """Independent IPS: V̂ = (1/S) Σ_s Σ_k r_{s,k} π_e(a_k at k | x) / π_b(a_k at k | x).

    ``behavior``/``target`` are the marginal item-position probabilities of each row
    (module docstring); arrays of shape (m,). Returns a :class:`SlateEstimate`.
    """
    gen, b, conf = _options(rng, n_resamples, confidence)
    s = _slates(slate, position, reward, behavior, target)
    return _slate_estimate("iips", s, s.ratio, gen, b, conf)


def slate_rips(
    slate: ArrayLike,
    position: ArrayLike,
    reward: ArrayLike,
    behavior: ArrayLike,
    target: ArrayLike,
    *,
    rng: np.random.Generator | int,
    n_resamples: int = 2000,
    confidence: float = 0.95,
) -> SlateEstimate:
    """Reward-interaction IPS: V̂ = (1/S) Σ_s Σ_k r_{s,k} Π_{j ≤ k} w_{s,j}, the weight
    of the prefix up to each position (positions in ascending order).

    ``behavior``/``target`` are the conditional factors of each row (module
    docstring); arrays of shape (m,). Returns a :class:`SlateEstimate`.
    """
    gen, b, conf = _options(rng, n_resamples, confidence)
    s = _slates(slate, position, reward, behavior, target)
    prefix = _prefix_products(s)[s.code, s.within]
    return _slate_estimate("rips", s, prefix, gen, b, conf)
