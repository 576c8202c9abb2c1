"""Statistics: paired t-test, randomisation test, bootstrap CI, Holm, baseline comparison."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from feedrank.errors import FeedrankError, InputError
from feedrank.evaluate.stats import (
    bootstrap_ci,
    compare_to_baseline,
    holm,
    paired_t_test,
    randomization_test,
)

score = st.floats(min_value=-10, max_value=10, allow_nan=False).map(lambda x: round(x, 3))


@st.composite
def pairs(draw: st.DrawFn, min_size: int = 2, max_size: int = 12) -> tuple[list[float], ...]:
    n = draw(st.integers(min_size, max_size))
    a = draw(st.lists(score, min_size=n, max_size=n))
    b = draw(st.lists(score, min_size=n, max_size=n))
    return a, b


# ------------------------------------------------------------------------ t-test
def test_t_test_by_hand() -> None:
    a, b = [1.0, 2.0, 3.0, 4.0], [0.5, 1.9, 2.0, 3.9]
    d = [x - y for x, y in zip(a, b, strict=True)]
    mean = sum(d) / 4
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / 3)
    r = paired_t_test(a, b)
    assert r.statistic == pytest.approx(mean / (sd / 2), rel=1e-12)
    assert r.df == 3
    assert r.mean_difference == pytest.approx(mean)
    assert r.alternative == "two-sided"


@settings(max_examples=80, deadline=None)
@given(pairs(), st.sampled_from(["two-sided", "greater", "less"]))
def test_t_test_agrees_with_scipy_ttest_rel(data: tuple[list[float], ...], alt: str) -> None:
    a, b = (np.array(x) for x in data)
    d = a - b
    assume(np.abs(d - d.mean()).max() > 1e-6 * max(1.0, abs(d.mean())))
    ref = sps.ttest_rel(a, b, alternative=alt)
    r = paired_t_test(a, b, alternative=alt)  # type: ignore[arg-type]
    assert r.statistic == pytest.approx(float(ref.statistic), rel=1e-12, abs=1e-12)
    assert r.p_value == pytest.approx(float(ref.pvalue), rel=1e-12, abs=1e-15)
    assert r.df == len(a) - 1


def test_t_test_constant_differences_are_explicit() -> None:
    same = paired_t_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert (same.statistic, same.p_value) == (0.0, 1.0)
    base = np.array([0.2, 0.35, 0.5, 0.1])
    up = paired_t_test(base + 0.1, base)  # differences equal up to rounding
    assert up.statistic == math.inf
    assert up.p_value == 0.0
    assert paired_t_test(base + 0.1, base, alternative="less").p_value == 1.0


# ------------------------------------------------------------ randomisation test
def brute_force_p(a: list[float], b: list[float], alt: str) -> float:
    d = [x - y for x, y in zip(a, b, strict=True)]
    t = sum(d)
    tol = 1e-12 * sum(abs(x) for x in d)
    hits = 0
    for signs in itertools.product((1, -1), repeat=len(d)):
        s = sum(si * di for si, di in zip(signs, d, strict=True))
        if alt == "two-sided":
            hits += abs(s) >= abs(t) - tol
        elif alt == "greater":
            hits += s >= t - tol
        else:
            hits += s <= t + tol
    return float(hits / 2 ** len(d))


@settings(max_examples=60, deadline=None)
@given(pairs(min_size=1, max_size=9), st.sampled_from(["two-sided", "greater", "less"]))
def test_exact_randomization_matches_brute_force(data: tuple[list[float], ...], alt: str) -> None:
    a, b = data
    r = randomization_test(a, b, rng=0, exact=True, alternative=alt)  # type: ignore[arg-type]
    assert r.exact
    assert r.n_resamples == 2 ** len(a)
    assert r.p_value == pytest.approx(brute_force_p(a, b, alt), abs=1e-12)
    assert r.statistic == pytest.approx(sum(a) - sum(b), abs=1e-9)


def test_randomization_hand_example() -> None:
    # d = (2, 1, 3): |Σ s d| >= 6 only for all + and all − → 2 / 8
    r = randomization_test([3.0, 2.0, 4.0], [1.0, 1.0, 1.0], rng=0)
    assert (r.exact, r.p_value) == (True, 0.25)
    assert (
        randomization_test([3.0, 2.0, 4.0], [1.0, 1.0, 1.0], rng=0, alternative="greater").p_value
        == 0.125
    )


def test_monte_carlo_randomization_is_close_to_exact_and_deterministic() -> None:
    gen = np.random.default_rng(3)
    a = gen.normal(0.3, 1.0, 14)
    b = gen.normal(0.0, 1.0, 14)
    exact = randomization_test(a, b, rng=0, exact=True).p_value
    mc = randomization_test(a, b, rng=5, exact=False, n_resamples=20_000)
    assert not mc.exact
    assert mc.n_resamples == 20_000
    assert mc.p_value == pytest.approx(exact, abs=0.01)
    assert randomization_test(a, b, rng=5, exact=False, n_resamples=20_000) == mc
    # Monte Carlo p never reaches 0
    far = randomization_test(a + 100, b, rng=1, exact=False, n_resamples=99)
    assert far.p_value == pytest.approx(1 / 100)


def test_randomization_auto_mode_and_limits() -> None:
    a, b = np.arange(10.0), np.zeros(10)
    assert randomization_test(a, b, rng=0, n_resamples=1024).exact
    assert not randomization_test(a, b, rng=0, n_resamples=1023).exact
    with pytest.raises(InputError, match="exact"):
        randomization_test(np.ones(30), np.zeros(30), rng=0, exact=True)


# --------------------------------------------------------------------- bootstrap
def plain_quantile(sorted_values: list[float], q: float) -> float:
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (pos - lo) * (sorted_values[hi] - sorted_values[lo])


@settings(max_examples=40, deadline=None)
@given(st.lists(score, min_size=1, max_size=20), st.integers(0, 2**32 - 1))
def test_bootstrap_ci_is_the_percentile_interval(values: list[float], seed: int) -> None:
    ci = bootstrap_ci(values, rng=seed, n_resamples=200, confidence=0.9)
    idx = np.random.default_rng(seed).integers(
        0, len(values), size=(200, len(values)), dtype=np.int32
    )
    means = sorted(sum(values[i] for i in row) / len(values) for row in idx.tolist())
    assert ci.mean == pytest.approx(sum(values) / len(values))
    assert ci.low == pytest.approx(plain_quantile(means, 0.05), abs=1e-12)
    assert ci.high == pytest.approx(plain_quantile(means, 0.95), abs=1e-12)
    assert ci.low <= ci.high


def test_bootstrap_ci_agrees_with_scipy_percentile() -> None:
    x = np.random.default_rng(0).exponential(1.0, 60)
    ours = bootstrap_ci(x, rng=1, n_resamples=20_000)
    ref = sps.bootstrap(
        (x,), np.mean, n_resamples=20_000, method="percentile", rng=np.random.default_rng(2)
    ).confidence_interval
    assert ours.low == pytest.approx(ref.low, abs=0.02)
    assert ours.high == pytest.approx(ref.high, abs=0.02)


def test_bootstrap_ci_determinism() -> None:
    x = np.linspace(0, 1, 30)
    assert bootstrap_ci(x, rng=7) == bootstrap_ci(x, rng=7)
    gen = np.random.default_rng(7)
    first, second = bootstrap_ci(x, rng=gen), bootstrap_ci(x, rng=gen)
    assert first != second  # the Generator is used and advanced
    assert bootstrap_ci(x, rng=np.random.default_rng(7)) == bootstrap_ci(x, rng=7)


# -------------------------------------------------------------------------- Holm
def test_holm_by_hand() -> None:
    # sorted: .005×4 = .02, .01×3 = .03, .03×2 = .06, .04×1 = .04 → running max .06
    assert holm([0.01, 0.04, 0.03, 0.005]).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]).tolist() == [1.0, 1.0]  # step-down keeps the order monotone
    assert holm([0.2, 0.01]).tolist() == [0.2, 0.02]
    assert holm([]).tolist() == []


def plain_holm(p: list[float]) -> list[float]:
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    running = 0.0
    for j, i in enumerate(order):
        running = max(running, min(1.0, (m - j) * p[i]))
        out[i] = running
    return out


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1), max_size=15))
def test_holm_matches_plain_python(p: list[float]) -> None:
    adj = holm(p)
    assert adj.tolist() == pytest.approx(plain_holm(p), abs=1e-15)
    assert np.all(adj >= np.array(p, dtype=float))
    assert np.all(adj <= 1.0)


def test_holm_rejects_bad_p() -> None:
    with pytest.raises(InputError, match="p_values"):
        holm([0.1, 1.5])
    with pytest.raises(InputError, match="finite"):
        holm([0.1, float("nan")])


# ------------------------------------------------------------- compare to baseline
def test_compare_to_baseline_combines_the_tests() -> None:
    gen = np.random.default_rng(11)
    base = gen.uniform(0, 1, 40)
    scores = {
        "zeta": base + gen.normal(0.0, 0.05, 40),
        "base": base,
        "alpha": base + 0.05 + gen.normal(0.0, 0.05, 40),
    }
    report = compare_to_baseline(scores, "base", rng=0, n_resamples=2000)
    assert [r.name for r in report.rankers] == ["alpha", "zeta"]
    assert report.n_queries == 40
    assert report.baseline_mean == pytest.approx(base.mean())
    # the same numbers as the individual functions, rng used ranker by ranker in name order
    rng = np.random.default_rng(0)
    raw_t, raw_r = [], []
    for r in report.rankers:
        d = scores[r.name] - base
        ci = bootstrap_ci(d, rng=rng, n_resamples=2000)
        rt = randomization_test(scores[r.name], base, rng=rng, n_resamples=2000)
        t = paired_t_test(scores[r.name], base)
        assert (r.ci_low, r.ci_high) == (ci.low, ci.high)
        assert r.mean_difference == pytest.approx(d.mean())
        assert r.p_t == t.p_value
        assert r.t_statistic == t.statistic
        assert r.p_randomization == rt.p_value
        raw_t.append(t.p_value)
        raw_r.append(rt.p_value)
    assert [r.p_t_holm for r in report.rankers] == plain_holm(raw_t)
    assert [r.p_randomization_holm for r in report.rankers] == plain_holm(raw_r)
    assert report["alpha"].p_t_holm < 0.01
    assert report["alpha"].ci_low > 0
    assert report["zeta"].ci_low < 0 < report["zeta"].ci_high
    assert compare_to_baseline(scores, "base", rng=0, n_resamples=2000) == report
    assert report.to_dict()["rankers"][0]["name"] == "alpha"
    with pytest.raises(KeyError):
        report["base"]


def test_compare_to_baseline_errors() -> None:
    with pytest.raises(InputError, match="baseline"):
        compare_to_baseline({"a": [1.0, 2.0]}, "b", rng=0)
    with pytest.raises(InputError, match="besides"):
        compare_to_baseline({"a": [1.0, 2.0]}, "a", rng=0)
    with pytest.raises(InputError, match="lengths 3 and 2"):
        compare_to_baseline({"a": [1.0, 2.0], "b": [1.0, 2.0, 3.0]}, "a", rng=0)
    with pytest.raises(InputError, match="finite"):
        compare_to_baseline({"a": [1.0, 2.0], "b": [1.0, float("nan")]}, "a", rng=0)


def test_bad_arguments_raise_feedrank_errors() -> None:
    with pytest.raises(InputError, match="rng"):
        bootstrap_ci([1.0, 2.0], rng=-1)
    with pytest.raises(InputError, match="confidence"):
        bootstrap_ci([1.0, 2.0], rng=0, confidence=1.0)
    with pytest.raises(InputError, match="n_resamples"):
        randomization_test([1.0], [0.0], rng=0, n_resamples=0)
    with pytest.raises(InputError, match="at least 2"):
        paired_t_test([1.0], [0.0])
    with pytest.raises(FeedrankError, match="alternative"):
        paired_t_test([1.0, 2.0], [0.0, 1.0], alternative="both")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="1-D"):
        bootstrap_ci([[1.0, 2.0]], rng=0)
