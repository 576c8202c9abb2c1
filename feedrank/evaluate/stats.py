"""Significance tests for comparing rankers on the same queries.

Every function takes per-query scores as 1-D arrays aligned by query (row i of
every array is the same query). Randomness comes only through the keyword-only
``rng`` (a :class:`numpy.random.Generator`, used and advanced, or a seed >= 0):
the same inputs and ``rng`` give the same numbers.

- :func:`paired_t_test`: Student's paired t-test on d = a − b,
  t = mean(d) / (sd(d) / √n), df = n − 1 (``scipy.stats.ttest_rel``).
- :func:`randomization_test`: Fisher's sign-flip randomisation test on
  T = Σ d_i: under H0 each d_i is as likely to be −d_i, so the null
  distribution is T* = Σ s_i d_i with s_i = ±1. Exact (all 2^n sign vectors,
  p = #{|T*| ≥ |T|} / 2^n) or Monte Carlo with B random sign vectors,
  p = (1 + #{|T*| ≥ |T|}) / (1 + B), which never reports p = 0.
- :func:`bootstrap_ci`: percentile bootstrap of the mean: resample n values
  with replacement B times; the interval is the (α/2, 1 − α/2) quantiles of the
  B resampled means (``numpy.quantile``, linear interpolation), α = 1 − confidence.
- :func:`holm`: Holm–Bonferroni step-down adjustment of m p-values:
  p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j)), p ascending.
- :func:`compare_to_baseline`: all of the above for several rankers against one
  baseline, Holm-adjusted over the rankers.

>>> import numpy as np
>>> base = np.array([0.20, 0.35, 0.50, 0.10, 0.40, 0.30])
>>> new = base + np.array([0.05, 0.02, 0.04, 0.06, 0.01, 0.03])
>>> randomization_test(new, base, rng=0).p_value  # exact: 2 of 2^6 sign vectors
0.03125
>>> report = compare_to_baseline({"base": base, "new": new}, "base", rng=0)
>>> r = report["new"]
>>> round(r.mean_difference, 3), r.p_randomization, r.p_randomization_holm
(0.035, 0.03125, 0.03125)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Integral
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from feedrank.datasets.arguments import as_generator
from feedrank.errors import InputError

__all__ = [
    "MAX_EXACT",
    "BaselineComparison",
    "BootstrapCI",
    "RandomizationTest",
    "RankerComparison",
    "TTest",
    "bootstrap_ci",
    "compare_to_baseline",
    "holm",
    "paired_t_test",
    "randomization_test",
]

Alternative = Literal["two-sided", "greater", "less"]
_ALTERNATIVES = ("two-sided", "greater", "less")
_CELLS = 1 << 22  # bootstrap / randomisation draws per block (~32 MB of float64)
MAX_EXACT = 24
"""Largest n for which :func:`randomization_test` enumerates all 2^n sign vectors."""


# ---------------------------------------------------------------- shared helpers
def _vector(values: ArrayLike, field: str, *, min_size: int = 1) -> NDArray[np.float64]:
    """1-D finite float64 copy of ``values``, with at least ``min_size`` entries."""
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InputError(f"not numeric: {err}", field=field, expected="numbers") from None
    if x.ndim != 1:
        raise InputError(f"got shape {x.shape}", field=field, expected="a 1-D array")
    if x.shape[0] < min_size:
        raise InputError(
            f"got {x.shape[0]} values", field=field, expected=f"at least {min_size} values"
        )
    bad = ~np.isfinite(x)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"value {x[i]} at row {i}", field=field, expected="finite numbers")
    return x


def _positive_int(value: object, field: str, low: int = 1) -> int:
    if isinstance(value, Integral) and not isinstance(value, bool) and int(value) >= low:
        return int(value)
    raise InputError(f"got {value!r}", field=field, expected=f"an integer >= {low}")


def _confidence(value: object) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 < value < 1.0:
        return float(value)
    raise InputError(f"got {value!r}", field="confidence", expected="a number in (0, 1)")


def _alternative(value: object) -> Alternative:
    if value == "two-sided":
        return "two-sided"
    if value == "greater":
        return "greater"
    if value == "less":
        return "less"
    raise InputError(f"got {value!r}", field="alternative", expected=f"one of {_ALTERNATIVES}")


def _bootstrap(
    columns: NDArray[np.float64],
    statistic: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    *,
    rng: np.random.Generator,
    n_resamples: int,
) -> NDArray[np.float64]:
    """Bootstrap replicates of ``statistic`` over the rows of ``columns`` (n, c).

    Each replicate draws n row indices uniformly with replacement
    (``rng.integers(0, n, size=(b, n), dtype=int32)`` block by block, int64 from
    n = 2^31) and passes the (b, c)
    column means of the resampled rows to ``statistic``, which returns (b,).
    Returns ndarray (n_resamples,), float64.
    """
    n = columns.shape[0]
    index_dtype = np.int32 if n < 2**31 else np.int64
    block = max(1, _CELLS // max(n * columns.shape[1], 1))
    out = np.empty(n_resamples, dtype=np.float64)
    done = 0
    while done < n_resamples:
        b = min(block, n_resamples - done)
        idx = rng.integers(0, n, size=(b, n), dtype=index_dtype)
        means = columns[idx].mean(axis=1)
        out[done : done + b] = statistic(means)
        done += b
    return out


def _percentile_interval(replicates: NDArray[np.float64], confidence: float) -> tuple[float, float]:
    alpha = 1.0 - confidence
    low, high = np.quantile(replicates, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(low), float(high)


# ----------------------------------------------------------------------- t-test
@dataclass(frozen=True)
class TTest:
    """Paired t-test of ``a`` against ``b`` (d = a − b)."""

    statistic: float
    """t = mean(d) / (sd(d) / √n), sd with n − 1 degrees of freedom."""
    p_value: float
    df: int
    """Degrees of freedom n − 1."""
    mean_difference: float
    alternative: Alternative


def paired_t_test(a: ArrayLike, b: ArrayLike, *, alternative: Alternative = "two-sided") -> TTest:
    """Student's paired t-test of per-query scores ``a`` vs ``b`` (scipy's ttest_rel).

    ``a``, ``b``: array-likes of shape (n,), n >= 2, finite. ``alternative``:
    "two-sided", "greater" (mean(a − b) > 0) or "less".

    When every difference is equal (sd(d) = 0, or max|d − mean(d)| < 10 ε |mean(d)|,
    where scipy warns of catastrophic cancellation) the t statistic is 0/0 or ±x/0;
    feedrank reports it explicitly instead of scipy's NaN: all differences 0 →
    t = 0, p = 1; a constant non-zero difference → t = ±inf and p = 0 where the
    sign agrees with ``alternative`` (else p = 1).

    >>> r = paired_t_test([1.0, 2.0, 3.0, 4.0], [0.5, 1.9, 2.0, 3.9])
    >>> round(r.statistic, 4), round(r.p_value, 4), r.df
    (1.9897, 0.1407, 3)
    """
    alt = _alternative(alternative)
    x = _vector(a, "a", min_size=2)
    y = _vector(b, "b", min_size=2)
    _same_length(x, y)
    d = x - y
    n = d.shape[0]
    mean = float(d.mean())
    spread = float(np.abs(d - mean).max())
    if spread == 0.0 or spread < 10.0 * np.finfo(np.float64).eps * abs(mean):
        if mean == 0.0:
            return TTest(0.0, 1.0, n - 1, 0.0, alt)
        t = float(np.copysign(np.inf, mean))
        agrees = alt == "two-sided" or (alt == "greater") == (mean > 0)
        return TTest(t, 0.0 if agrees else 1.0, n - 1, mean, alt)
    from scipy import stats  # imported here: only the t-test needs scipy

    res = stats.ttest_rel(x, y, alternative=alt)
    return TTest(float(res.statistic), float(res.pvalue), n - 1, mean, alt)


def _same_length(x: NDArray[np.float64], y: NDArray[np.float64], fields: str = "a, b") -> None:
    if x.shape != y.shape:
        raise InputError(
            f"lengths {x.shape[0]} and {y.shape[0]} differ",
            field=fields,
            expected="arrays of one length, aligned by query",
        )


# -------------------------------------------------------------- randomisation
@dataclass(frozen=True)
class RandomizationTest:
    """Fisher's sign-flip randomisation test of ``a`` against ``b``."""

    statistic: float
    """T = Σ (a_i − b_i)."""
    mean_difference: float
    p_value: float
    exact: bool
    """True: all 2^n sign vectors were enumerated; False: Monte Carlo."""
    n_resamples: int
    """Sign vectors evaluated (2^n when exact)."""
    alternative: Alternative


def randomization_test(
    a: ArrayLike,
    b: ArrayLike,
    *,
    rng: np.random.Generator | int,
    n_resamples: int = 10_000,
    exact: bool | None = None,
    alternative: Alternative = "two-sided",
) -> RandomizationTest:
    """Fisher's paired randomisation (sign-flip permutation) test of mean(a − b).

    ``a``, ``b``: array-likes (n,), finite, n >= 1. The statistic is T = Σ d_i,
    d = a − b; its null distribution is T* = Σ s_i d_i over sign vectors
    s ∈ {−1, +1}^n. Two-sided p = P(|T*| ≥ |T|), "greater" P(T* ≥ T), "less"
    P(T* ≤ T); ties within 1e-12 · Σ|d_i| count as extreme (float sums of the
    same numbers in another order).

    ``exact``: True enumerates all 2^n sign vectors (n <= :data:`MAX_EXACT`),
    p = count / 2^n; False draws ``n_resamples`` sign vectors from ``rng``,
    p = (1 + count) / (1 + n_resamples); None (default) is exact when
    2^n <= ``n_resamples``. The exact mode does not use ``rng``.

    >>> r = randomization_test([3.0, 2.0, 4.0], [1.0, 1.0, 1.0], rng=0)
    >>> r.exact, r.p_value, r.n_resamples
    (True, 0.25, 8)
    """
    alt = _alternative(alternative)
    x = _vector(a, "a")
    y = _vector(b, "b")
    _same_length(x, y)
    gen = as_generator(rng)
    n_res = _positive_int(n_resamples, "n_resamples")
    d = x - y
    n = d.shape[0]
    if exact is None:
        exact = n <= MAX_EXACT and 2**n <= n_res
    observed = float(d.sum())
    tol = 1e-12 * float(np.abs(d).sum())

    def extreme(t: NDArray[np.float64]) -> int:
        if alt == "two-sided":
            return int(np.count_nonzero(np.abs(t) >= abs(observed) - tol))
        if alt == "greater":
            return int(np.count_nonzero(t >= observed - tol))
        return int(np.count_nonzero(t <= observed + tol))

    count = 0
    if exact:
        if n > MAX_EXACT:
            raise InputError(
                f"exact enumeration of 2^{n} sign vectors",
                field="exact",
                expected=f"n <= {MAX_EXACT} for exact=True (or exact=False for Monte Carlo)",
            )
        total = 2**n
        block = max(1, _CELLS // n)
        bits = np.arange(n, dtype=np.int64)
        for start in range(0, total, block):
            codes = np.arange(start, min(start + block, total), dtype=np.int64)
            signs = 1.0 - 2.0 * ((codes[:, None] >> bits) & 1).astype(np.float64)
            count += extreme(signs @ d)
        p = count / total
        evaluated = total
    else:
        block = max(1, _CELLS // n)
        done = 0
        while done < n_res:
            m = min(block, n_res - done)
            signs = 1.0 - 2.0 * gen.integers(0, 2, size=(m, n)).astype(np.float64)
            count += extreme(signs @ d)
            done += m
        p = (1 + count) / (1 + n_res)
        evaluated = n_res
    return RandomizationTest(observed, float(d.mean()), float(p), bool(exact), evaluated, alt)


# --------------------------------------------------------------------- bootstrap
@dataclass(frozen=True)
class BootstrapCI:
    """Percentile bootstrap confidence interval of a mean."""

    mean: float
    low: float
    high: float
    confidence: float
    n_resamples: int


def bootstrap_ci(
    values: ArrayLike,
    *,
    rng: np.random.Generator | int,
    n_resamples: int = 10_000,
    confidence: float = 0.95,
) -> BootstrapCI:
    """Percentile bootstrap CI of the mean of ``values`` (array-like (n,), finite).

    B = ``n_resamples`` resamples of n values drawn with replacement from ``rng``
    (``rng.integers(0, n, size=(b, n), dtype=np.int32)``, blocks of b rows in order); the bounds
    are the α/2 and 1 − α/2 quantiles (linear interpolation) of the B means,
    α = 1 − ``confidence``. scipy.stats.bootstrap defaults to BCa; this is the
    plain percentile interval.

    >>> ci = bootstrap_ci([1.0, 2.0, 3.0, 4.0, 5.0], rng=0, n_resamples=2000)
    >>> ci.mean, ci.low <= 3.0 <= ci.high
    (3.0, True)
    """
    x = _vector(values, "values")
    gen = as_generator(rng)
    b = _positive_int(n_resamples, "n_resamples")
    conf = _confidence(confidence)
    reps = _bootstrap(x[:, None], lambda m: m[:, 0], rng=gen, n_resamples=b)
    low, high = _percentile_interval(reps, conf)
    return BootstrapCI(float(x.mean()), low, high, conf, b)


# -------------------------------------------------------------------------- Holm
def holm(p_values: ArrayLike) -> NDArray[np.float64]:
    """Holm–Bonferroni adjusted p-values, in the input order.

    ``p_values``: array-like (m,) in [0, 1]. With p ascending,
    p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) · p_(j)); reject H_(i) at level α when
    p̃_(i) <= α (controls the family-wise error rate). Ties keep input order.
    Returns ndarray (m,), float64.

    >>> holm([0.01, 0.04, 0.03]).tolist()
    [0.03, 0.06, 0.06]
    """
    p = _vector(p_values, "p_values", min_size=0)
    if np.any((p < 0.0) | (p > 1.0)):
        i = int(np.argmax((p < 0.0) | (p > 1.0)))
        raise InputError(f"value {p[i]} at row {i}", field="p_values", expected="p in [0, 1]")
    m = p.shape[0]
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out = np.empty(m, dtype=np.float64)
    out[order] = np.maximum.accumulate(scaled)
    return out


# ------------------------------------------------------------ compare to baseline
@dataclass(frozen=True)
class RankerComparison:
    """One ranker against the baseline over the same queries (d = ranker − baseline)."""

    name: str
    mean: float
    mean_difference: float
    ci_low: float
    """Percentile bootstrap CI of mean(d)."""
    ci_high: float
    t_statistic: float
    p_t: float
    """Paired t-test p-value (unadjusted)."""
    p_randomization: float
    """Sign-flip randomisation test p-value (unadjusted)."""
    p_t_holm: float
    """``p_t`` Holm-adjusted over all rankers compared to the baseline."""
    p_randomization_holm: float
    """``p_randomization`` Holm-adjusted over all rankers compared to the baseline."""

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class BaselineComparison:
    """Every ranker against one baseline; index it by ranker name."""

    baseline: str
    baseline_mean: float
    n_queries: int
    confidence: float
    alternative: Alternative
    rankers: tuple[RankerComparison, ...]
    """Sorted by name; the baseline is not listed."""

    def __getitem__(self, name: str) -> RankerComparison:
        for r in self.rankers:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "baseline_mean": self.baseline_mean,
            "n_queries": self.n_queries,
            "confidence": self.confidence,
            "alternative": self.alternative,
            "rankers": [r.to_dict() for r in self.rankers],
        }


def compare_to_baseline(
    per_query_scores: Mapping[str, ArrayLike],
    baseline: str,
    *,
    rng: np.random.Generator | int,
    n_resamples: int = 10_000,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
) -> BaselineComparison:
    """Compare every ranker to ``baseline`` on the same queries.

    ``per_query_scores``: ranker name -> array-like (n,) of one metric per query,
    aligned by query, n >= 2, finite. For each other ranker (in name order),
    d = ranker − baseline gives: mean difference, its percentile bootstrap CI
    (:func:`bootstrap_ci`), the paired t-test (:func:`paired_t_test`) and the
    randomisation test (:func:`randomization_test`, exact when 2^n <=
    ``n_resamples``) p-values, and both Holm-adjusted (:func:`holm`) over the
    m = (number of rankers − 1) comparisons. ``rng`` is shared, used ranker by
    ranker in name order (bootstrap, then randomisation).
    """
    if baseline not in per_query_scores:
        raise InputError(
            f"baseline {baseline!r} is not among the rankers",
            field="baseline",
            expected=f"one of {sorted(per_query_scores)}",
        )
    names = sorted(n for n in per_query_scores if n != baseline)
    if not names:
        raise InputError(
            "no ranker besides the baseline",
            field="per_query_scores",
            expected="at least one ranker other than the baseline",
        )
    gen = as_generator(rng)
    b = _positive_int(n_resamples, "n_resamples")
    conf = _confidence(confidence)
    alt = _alternative(alternative)
    base = _vector(per_query_scores[baseline], f"per_query_scores[{baseline!r}]", min_size=2)
    rows: list[tuple[str, float, float, BootstrapCI, TTest, RandomizationTest]] = []
    for name in names:
        field = f"per_query_scores[{name!r}]"
        x = _vector(per_query_scores[name], field, min_size=2)
        _same_length(x, base, f"{field}, per_query_scores[{baseline!r}]")
        ci = bootstrap_ci(x - base, rng=gen, n_resamples=b, confidence=conf)
        t = paired_t_test(x, base, alternative=alt)
        r = randomization_test(x, base, rng=gen, n_resamples=b, alternative=alt)
        rows.append((name, float(x.mean()), ci.mean, ci, t, r))
    p_t = holm([row[4].p_value for row in rows])
    p_r = holm([row[5].p_value for row in rows])
    out = tuple(
        RankerComparison(
            name=name,
            mean=mean,
            mean_difference=diff,
            ci_low=ci.low,
            ci_high=ci.high,
            t_statistic=t.statistic,
            p_t=t.p_value,
            p_randomization=r.p_value,
            p_t_holm=float(pt),
            p_randomization_holm=float(pr),
        )
        for (name, mean, diff, ci, t, r), pt, pr in zip(rows, p_t, p_r, strict=True)
    )
    return BaselineComparison(baseline, float(base.mean()), base.shape[0], conf, alt, out)
