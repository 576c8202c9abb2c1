"""Learned term weights: exact derivatives, recovery of planted weights, standard
errors, RankNet direction, spec round-trip, determinism, degenerate data, and the
simulator helper (including the nDCG gain against the simulator's ground truth)."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import feedrank as fr
from feedrank.datasets import SimulatedNetwork, simulate
from feedrank.learn import (
    Design,
    LoggedRequest,
    LogisticObjective,
    RankNetObjective,
    WeightFit,
    design_matrix,
    fit_logistic,
    fit_ranknet,
    training_data_from_simulation,
)
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals import (
    ExponentialDecay,
    Feature,
    InNetwork,
    Interactions,
    TopicMatch,
)

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
Floats = NDArray[np.float64]


# ------------------------------------------------------------------ helpers
def feature_pipeline(names: list[str], *, factor: bool = False) -> fr.Pipeline:
    """A pipeline whose term i is the platform feature ``names[i]`` (weight 1)."""
    factors = [Factor(name="net", signal=InNetwork(false_value=0.5))] if factor else []
    return fr.Pipeline(
        name="features",
        scorer=Scorer(
            terms=[Term(name=n, signal=Feature(name=n), weight=1.0, why="hand-set") for n in names],
            factors=factors,
        ),
    )


def requests_from(
    x: Floats, labels: Floats, size: int, *, propensities: Floats | None = None
) -> list[LoggedRequest]:
    """Split rows of ``x`` (N, T) into requests of ``size`` posts with features f0.."""
    out = []
    for r, lo in enumerate(range(0, x.shape[0], size)):
        hi = min(lo + size, x.shape[0])
        posts = [
            fr.Post(
                id=f"r{r}p{i}",
                author_id=f"a{i % 7}",
                created_at=T0 - timedelta(minutes=i),
                features={f"f{j}": float(v) for j, v in enumerate(x[i])},
            )
            for i in range(lo, hi)
        ]
        batch = fr.PostBatch.from_posts(posts)
        out.append(
            LoggedRequest(
                batch,
                fr.Context.build(batch, now=T0, viewer=fr.Viewer(id="v", follows={"a1"})),
                labels[lo:hi],
                propensities=None if propensities is None else propensities[lo:hi],
                request_id=f"req{r}",
            )
        )
    return out


def planted_logistic(seed: int, n: int, beta: Floats, intercept: float) -> tuple[Floats, Floats]:
    gen = np.random.default_rng(seed)
    x = gen.normal(size=(n, beta.shape[0])) * np.array([1.0, 2.0, 0.5])[: beta.shape[0]]
    p = 1.0 / (1.0 + np.exp(-(x @ beta + intercept)))
    return x, (gen.random(n) < p).astype(np.float64)


def single_design(
    x: Floats, labels: Floats, names: tuple[str, ...], *, per_post: bool = False
) -> Design:
    """All posts in one request, or (``per_post``) each post its own request."""
    n = x.shape[0]
    offsets = np.arange(n + 1) if per_post else np.array([0, n])
    return Design(
        term_names=names,
        inputs=x,
        labels=labels,
        propensities=np.ones(n),
        has_propensities=False,
        weights=np.ones(n),
        offsets=offsets.astype(np.intp),
        pairs=np.zeros((0, 2), dtype=np.intp),
        pair_request=np.zeros(0, dtype=np.intp),
        request_ids=tuple(f"r{i}" for i in range(offsets.shape[0] - 1)),
    )


def numeric_gradient(f: object, theta: Floats, h: float = 1e-6) -> Floats:
    out = np.zeros_like(theta)
    for k in range(theta.shape[0]):
        step = np.zeros_like(theta)
        step[k] = h
        out[k] = (f.value_and_grad(theta + step)[0] - f.value_and_grad(theta - step)[0]) / (2 * h)  # type: ignore[attr-defined]
    return out


# ------------------------------------------------------------- derivatives
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), t=st.integers(1, 4))
def test_logistic_gradient_and_hessian_match_finite_differences(seed: int, n: int, t: int) -> None:
    gen = np.random.default_rng(seed)
    x = gen.normal(size=(n, t))
    targets = gen.uniform(0, 3, size=n)  # inverse-propensity targets may exceed 1
    fun = LogisticObjective(x, targets, gen.uniform(0.1, 2, n), l2=0.7, offset=gen.normal(size=n))
    theta = gen.normal(size=t + 1)
    _, grad = fun.value_and_grad(theta)
    np.testing.assert_allclose(grad, numeric_gradient(fun, theta), rtol=1e-5, atol=1e-6)
    fd_hess = np.column_stack(
        [
            (fun.value_and_grad(theta + e * 1e-6)[1] - fun.value_and_grad(theta - e * 1e-6)[1])
            / 2e-6
            for e in np.eye(t + 1)
        ]
    )
    np.testing.assert_allclose(fun.hessian(theta), fd_hess, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        fun.row_gradients(theta).sum(axis=0), grad - np.r_[0.7 * theta[:-1], 0]
    )


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), p=st.integers(1, 40), t=st.integers(1, 4))
def test_ranknet_gradient_and_hessian_match_finite_differences(seed: int, p: int, t: int) -> None:
    gen = np.random.default_rng(seed)
    fun = RankNetObjective(gen.normal(size=(p, t)), gen.uniform(0.1, 2, p), 0.3, gen.normal(size=p))
    beta = gen.normal(size=t) * 2
    _, grad = fun.value_and_grad(beta)
    np.testing.assert_allclose(grad, numeric_gradient(fun, beta), rtol=1e-5, atol=1e-6)
    fd_hess = np.column_stack(
        [
            (fun.value_and_grad(beta + e * 1e-6)[1] - fun.value_and_grad(beta - e * 1e-6)[1]) / 2e-6
            for e in np.eye(t)
        ]
    )
    np.testing.assert_allclose(fun.hessian(beta), fd_hess, rtol=1e-5, atol=1e-6)


def test_objectives_do_not_overflow() -> None:
    fun = LogisticObjective(np.array([[1.0], [-1.0]]), np.array([1.0, 0.0]), np.ones(2), 0.0)
    value, grad = fun.value_and_grad(np.array([800.0, 0.0]))
    assert np.isfinite(value)
    assert np.all(np.isfinite(grad))


# ------------------------------------------------------------- logistic fit
BETA = np.array([1.5, -0.75, 2.0])
INTERCEPT = -1.0


@pytest.fixture(scope="module")
def planted() -> tuple[fr.Pipeline, list[LoggedRequest], WeightFit]:
    x, y = planted_logistic(0, 6000, BETA, INTERCEPT)
    pipe = feature_pipeline(["f0", "f1", "f2"], factor=True)
    reqs = requests_from(x, y, 100)
    return pipe, reqs, fit_logistic(pipe, reqs, l2=1e-3)


def test_logistic_recovers_planted_weights(
    planted: tuple[fr.Pipeline, list[LoggedRequest], WeightFit],
) -> None:
    _, _, fit = planted
    assert fit.converged
    assert fit.method == "logistic"
    assert fit.term_names == ("f0", "f1", "f2")
    assert fit.n_examples == 6000
    assert fit.n_requests == 60
    z = (fit.weights - BETA) / fit.standard_errors
    assert np.all(np.abs(z) < 4), z
    assert abs(fit.intercept - INTERCEPT) < 4 * fit.intercept_se  # type: ignore[operator]
    assert np.all(fit.standard_errors < 0.15)
    assert np.max(np.abs(fit.weights - BETA) / BETA.__abs__()) < 0.1
    assert fit.gradient_norm < 1e-6


def test_logistic_standard_errors_equal_inverse_finite_difference_hessian() -> None:
    x, y = planted_logistic(1, 300, BETA[:2], INTERCEPT)
    names = ("f0", "f1")
    pipe = feature_pipeline(list(names))
    l2 = 2.0
    fit = fit_logistic(pipe, single_design(x, y, names), l2=l2, tolerance=1e-12)
    scale = x.std(axis=0)

    def objective(theta: Floats) -> float:
        # the documented objective in the original units: penalty on s_t · β_t
        z = x @ theta[:2] + theta[2]
        data = np.sum(np.logaddexp(0, z) - y * z)
        return float(data + 0.5 * l2 * np.sum((scale * theta[:2]) ** 2))

    theta = np.r_[fit.weights, fit.intercept]
    h = 1e-4
    hess = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            ei, ej = np.eye(3)[i] * h, np.eye(3)[j] * h
            hess[i, j] = (
                objective(theta + ei + ej)
                - objective(theta + ei - ej)
                - objective(theta - ei + ej)
                + objective(theta - ei - ej)
            ) / (4 * h * h)
    cov = np.linalg.inv(hess)
    np.testing.assert_allclose(fit.covariance, cov[:2, :2], rtol=1e-4)
    np.testing.assert_allclose(fit.standard_errors, np.sqrt(np.diag(cov))[:2], rtol=1e-4)
    assert fit.intercept_se == pytest.approx(np.sqrt(cov[2, 2]), rel=1e-4)
    # ... and the optimum is a stationary point of that objective
    grad = [(objective(theta + e * h) - objective(theta - e * h)) / (2 * h) for e in np.eye(3)]
    assert np.max(np.abs(grad)) < 1e-4


def test_logistic_standard_errors_agree_with_bootstrap() -> None:
    x, y = planted_logistic(2, 1500, BETA[:2], INTERCEPT)
    names = ("f0", "f1")
    pipe = feature_pipeline(list(names))
    fit = fit_logistic(pipe, single_design(x, y, names), l2=1e-3)
    gen = np.random.default_rng(5)
    draws = []
    for _ in range(150):
        idx = gen.integers(0, 1500, 1500)
        draws.append(fit_logistic(pipe, single_design(x[idx], y[idx], names), l2=1e-3).weights)
    boot = np.std(np.array(draws), axis=0, ddof=1)
    np.testing.assert_allclose(fit.standard_errors, boot, rtol=0.25)
    sandwich = fit_logistic(
        pipe, single_design(x, y, names, per_post=True), l2=1e-3, covariance="sandwich"
    )
    np.testing.assert_allclose(sandwich.standard_errors, boot, rtol=0.25)
    np.testing.assert_array_equal(sandwich.weights, fit.weights)


def test_learned_spec_round_trips_and_ranks_by_learned_weights(
    planted: tuple[fr.Pipeline, list[LoggedRequest], WeightFit],
) -> None:
    pipe, reqs, fit = planted
    learned = fit.pipeline
    for fmt in ("toml", "json"):
        again = fr.load_spec(fr.dump_spec(learned, fmt), format=fmt)
        assert again.fingerprint == learned.fingerprint
        assert again.to_spec() == fit.spec()
    assert learned.fingerprint != pipe.fingerprint
    assert [t.weight for t in learned.scorer.terms] == fit.weights.tolist()
    assert learned.scorer.factors == pipe.scorer.factors  # factors unchanged
    for term, se in zip(learned.scorer.terms, fit.standard_errors, strict=True):
        assert term.why.startswith("Learned from logged interactions")
        assert "6,000 logged posts" in term.why
        assert "from 60 requests" in term.why
        assert f"± {se:.3g}" in term.why
    req = reqs[3]
    ranking = learned.rank(req.batch, req.ctx, limit=1000)
    x = design_matrix(pipe, [req]).inputs
    additive = x @ fit.weights
    factor = np.where(req.ctx.in_network, 1.0, 0.5)
    np.testing.assert_allclose(ranking.scores, additive * factor, rtol=1e-12)
    order = sorted(range(len(additive)), key=lambda i: -additive[i] * factor[i])
    assert ranking.post_ids == [str(req.batch.ids[i]) for i in order]
    assert "f1" in fit.summary()
    assert "(intercept)" in fit.summary()


def test_fixed_terms_keep_their_weight_and_offset_the_fit() -> None:
    x, y = planted_logistic(3, 4000, BETA, INTERCEPT)
    pipe = fr.Pipeline(
        name="partly",
        scorer=Scorer(
            terms=[
                Term(name="f0", signal=Feature(name="f0"), weight=1.5, why="published"),
                Term(name="f1", signal=Feature(name="f1"), weight=1.0),
                Term(name="f2", signal=Feature(name="f2"), weight=1.0),
            ]
        ),
    )
    fit = fit_logistic(pipe, requests_from(x, y, 200), l2=1e-3, learn=["f1", "f2"])
    assert fit.term_names == ("f1", "f2")
    assert fit.pipeline.scorer.terms[0] == pipe.scorer.terms[0]
    assert np.all(np.abs(fit.weights - BETA[1:]) < 4 * fit.standard_errors)


def test_fit_is_deterministic(
    planted: tuple[fr.Pipeline, list[LoggedRequest], WeightFit],
) -> None:
    pipe, reqs, fit = planted
    again = fit_logistic(pipe, reqs, l2=1e-3)
    assert again.weights.tobytes() == fit.weights.tobytes()
    assert again.standard_errors.tobytes() == fit.standard_errors.tobytes()
    assert again.pipeline.fingerprint == fit.pipeline.fingerprint
    assert again.iterations == fit.iterations


# ------------------------------------------------------------------ RankNet
def test_ranknet_recovers_planted_direction_from_labels() -> None:
    gen = np.random.default_rng(11)
    beta = np.array([1.0, -2.0, 0.5])
    n_req, size = 150, 20
    x = gen.normal(size=(n_req * size, 3))
    utility = (x @ beta + gen.gumbel(size=n_req * size)).reshape(n_req, size)
    rank = np.argsort(np.argsort(-utility, axis=1), axis=1)
    labels = np.select([rank < 2, rank < 5], [2.0, 1.0], 0.0).reshape(-1)  # graded: top 2, next 3
    pipe = feature_pipeline(["f0", "f1", "f2"])
    fit = fit_ranknet(pipe, requests_from(x, labels, size), l2=1e-3)
    assert fit.converged
    assert fit.intercept is None
    assert fit.n_examples == n_req * (2 * 18 + 3 * 15)
    assert np.corrcoef(fit.weights, beta)[0, 1] > 0.95
    assert fit.weights @ beta > 0
    assert "preference pairs" in fit.pipeline.scorer.terms[0].why


def test_ranknet_with_explicit_preferences_recovers_weights_within_errors() -> None:
    gen = np.random.default_rng(12)
    beta = np.array([0.8, -1.2])
    pipe = feature_pipeline(["f0", "f1"])
    reqs = []
    for r in range(40):
        x = gen.normal(size=(30, 2))
        batch = fr.PostBatch.from_columns(
            ids=np.array([f"r{r}p{i}" for i in range(30)]),
            author_ids=np.full(30, "a"),
            created_at=np.full(30, 0, dtype=np.int64),
            features={"f0": x[:, 0], "f1": x[:, 1]},
        )
        a, b = gen.integers(0, 30, 200), gen.integers(0, 30, 200)
        ok = a != b
        a, b = a[ok], b[ok]
        first = gen.random(a.shape[0]) < 1 / (1 + np.exp(-(x[a] - x[b]) @ beta))
        prefs = np.column_stack([np.where(first, a, b), np.where(first, b, a)])
        reqs.append(LoggedRequest(batch, fr.Context.build(batch, now=T0), preferences=prefs))
    fit = fit_ranknet(pipe, reqs, l2=1e-6)
    assert fit.n_examples == sum(0 if q.preferences is None else len(q.preferences) for q in reqs)
    assert np.all(np.abs(fit.weights - beta) < 4 * fit.standard_errors)
    with pytest.raises(fr.InputError, match="preferences but no labels"):
        fit_logistic(pipe, reqs)


def test_design_pairs_follow_labels_within_each_request() -> None:
    x = np.arange(10, dtype=np.float64)[:, None] * np.array([[1.0, -1.0, 0.5]])
    labels = np.array([0, 1, 0, 2, 1, 0, 0, 0, 0, 0], dtype=np.float64)
    design = design_matrix(feature_pipeline(["f0", "f1", "f2"]), requests_from(x, labels, 5))
    pairs = [tuple(p) for p in design.pairs.tolist()]
    expected = [(i, j) for lo in (0, 5) for i in range(lo, lo + 5) for j in range(lo, lo + 5)]
    assert pairs == [(i, j) for i, j in expected if labels[i] > labels[j]]
    assert design.pair_request.tolist() == [0] * len(pairs)
    assert len(pairs) == 8
    assert design.offsets.tolist() == [0, 5, 10]


# ------------------------------------------------------------- degenerate data
def test_degenerate_data_gets_clear_errors() -> None:
    x, y = planted_logistic(4, 200, BETA, INTERCEPT)
    pipe = feature_pipeline(["f0", "f1", "f2"])
    with pytest.raises(fr.InputError, match="no positive labels among 200 posts"):
        fit_logistic(pipe, requests_from(x, np.zeros(200), 50))
    with pytest.raises(fr.InputError, match="every one of the 200 posts has label 1"):
        fit_logistic(pipe, requests_from(x, np.ones(200), 50))
    with pytest.raises(fr.InputError, match="above 1"):
        fit_logistic(pipe, requests_from(x, y * 2, 50))
    flat = x.copy()
    flat[:, 1] = 3.0
    with pytest.raises(fr.InputError) as info:
        fit_logistic(pipe, requests_from(flat, y, 50))
    assert info.value.field == "scorer.terms.f1"
    assert "term 'f1' has the same value for every training post" in info.value.message
    with pytest.raises(fr.InputError, match="no pairs"):
        fit_ranknet(pipe, requests_from(x, np.zeros(200), 50))
    per_request = x.copy()
    per_request[:, 2] = np.repeat(np.arange(4.0), 50)  # varies only between requests
    with pytest.raises(fr.InputError, match="'f2' has the same value for both posts of every"):
        fit_ranknet(pipe, requests_from(per_request, y, 50))
    twin = x.copy()
    twin[:, 2] = 2 * twin[:, 0]
    with pytest.raises(fr.InputError, match=r"singular.*'f0'.*'f2'"):
        fit_logistic(pipe, requests_from(twin, y, 50), l2=0.0)
    assert fit_logistic(pipe, requests_from(twin, y, 50), l2=1.0).converged
    with pytest.raises(fr.InputError, match="unknown term 'nope'"):
        fit_logistic(pipe, requests_from(x, y, 50), learn=["nope"])
    with pytest.raises(fr.InputError, match="l2="):
        fit_logistic(pipe, requests_from(x, y, 50), l2=-1.0)
    with pytest.raises(fr.InputError, match="no logged requests"):
        fit_logistic(pipe, [])
    other = feature_pipeline(["f0", "f1"])
    with pytest.raises(fr.InputError, match="design built for this pipeline"):
        fit_logistic(other, design_matrix(pipe, requests_from(x, y, 50)))


def test_logged_request_validates_its_arrays() -> None:
    batch = fr.PostBatch.from_posts(
        [fr.Post(id=f"p{i}", author_id="a", created_at=T0) for i in range(3)]
    )
    ctx = fr.Context.build(batch, now=T0)
    with pytest.raises(fr.InputError, match="shape"):
        LoggedRequest(batch, ctx, np.ones(2), request_id="r1")
    with pytest.raises(fr.InputError) as info:
        LoggedRequest(batch, ctx, np.ones(3), propensities=np.array([1.0, 0.0, 0.5]))
    assert (info.value.field, info.value.post_id) == ("propensities", "p1")
    with pytest.raises(fr.InputError, match="negative"):
        LoggedRequest(batch, ctx, np.array([0.0, -1.0, 1.0]))
    with pytest.raises(fr.InputError, match="neither labels nor preferences"):
        LoggedRequest(batch, ctx)
    with pytest.raises(fr.InputError, match="pairs of distinct rows"):
        LoggedRequest(batch, ctx, preferences=np.array([[0, 3]]))
    with pytest.raises(fr.InputError, match="context has 1 rows"):
        LoggedRequest(batch, ctx.take(np.array([0])), np.ones(3))


def test_inverse_propensity_targets_correct_position_bias() -> None:
    """Clicks = examined (prob π by position) × relevant (σ(β·x)); the IPS fit
    recovers β while the naive fit is pulled towards the position proxy."""
    gen = np.random.default_rng(21)
    n_req, size = 300, 20
    n = n_req * size
    relevance = gen.normal(size=n)
    position = np.tile(np.arange(size), n_req)
    prop = np.asarray((position + 1.0) ** -1.0, dtype=np.float64)
    recency = -position + gen.normal(size=n)  # the logging policy shows new posts first
    p_rel = 1 / (1 + np.exp(-(1.5 * relevance - 0.5)))
    clicks = ((gen.random(n) < prop) & (gen.random(n) < p_rel)).astype(np.float64)
    x = np.column_stack([relevance, recency])
    pipe = feature_pipeline(["f0", "f1"])
    naive = fit_logistic(pipe, requests_from(x, clicks, size), l2=1e-3)
    assert naive.weights[1] > 10 * naive.standard_errors[1]  # spurious recency
    # targets c/π are not Bernoulli, so the Hessian understates the variance: use the
    # sandwich, clustered by request
    ips = fit_logistic(
        pipe, requests_from(x, clicks, size, propensities=prop), l2=1e-3, covariance="sandwich"
    )
    assert abs(ips.weights[1]) < 4 * ips.standard_errors[1]
    assert abs(ips.weights[0] - 1.5) < 4 * ips.standard_errors[0]
    assert abs(naive.weights[0] - 1.5) > 4 * naive.standard_errors[0]
    assert ips.inverse_propensity
    assert "inverse-propensity weighted" in ips.pipeline.scorer.terms[0].why


# ------------------------------------------------------------------ simulator
def sim_pipeline() -> fr.Pipeline:
    return fr.Pipeline(
        name="uniform",
        scorer=Scorer(
            terms=[
                Term(
                    name="likes",
                    signal=Interactions(weights={"like": 1}, transform="log1p"),
                    weight=1.0,
                ),
                Term(name="in_network", signal=InNetwork(), weight=1.0),
                Term(name="topic_match", signal=TopicMatch(normalize="mean"), weight=1.0),
                Term(name="quality", signal=Feature(name="quality_estimate"), weight=1.0),
                Term(name="recency", signal=ExponentialDecay(half_life_hours=24), weight=1.0),
            ]
        ),
    )


@pytest.fixture(scope="module")
def net() -> SimulatedNetwork:
    return simulate(rng=0, n_users=200, n_posts=500, hours=48.0, sessions_per_user=4)


def ndcg_at(grades: NDArray[np.int64], ideal: NDArray[np.int64], k: int) -> float:
    """nDCG@k with gains 2^g − 1 and discounts 1 / log2(rank + 1)."""

    def dcg(values: list[int]) -> float:
        return sum((2.0**g - 1.0) / math.log2(i + 2) for i, g in enumerate(values[:k]))

    best = dcg(sorted(ideal.tolist(), reverse=True))
    return dcg(grades.tolist()) / best if best > 0 else 0.0


def mean_ndcg(net: SimulatedNetwork, pipe: fr.Pipeline, viewers: list[str], k: int = 10) -> float:
    batch = net.batch()
    scores = []
    for vid in viewers:
        ranking = pipe.rank(batch, net.context(vid), limit=k)
        grades = net.relevance_grades(vid, ranking.post_ids)
        scores.append(ndcg_at(grades, net.relevance_grades(vid), k))
    return float(np.mean(scores))


def test_training_data_matches_the_impression_log(net: SimulatedNetwork) -> None:
    reqs = training_data_from_simulation(net, label="like", inverse_propensity=True)
    imp = net.impressions
    assert len(reqs) == int(imp.session.max()) + 1
    assert sum(len(r.batch) for r in reqs) == len(imp)
    ids = np.concatenate([r.batch.ids for r in reqs])
    np.testing.assert_array_equal(ids, imp.post_id)
    np.testing.assert_array_equal(np.concatenate([r.labels for r in reqs]), imp.liked)
    np.testing.assert_array_equal(
        np.concatenate([r.propensities for r in reqs]),
        imp.propensity,
    )
    first = reqs[0]
    assert first.request_id == f"{imp.viewer_id[0]}/session0"
    assert first.ctx.now == imp.session_at[0]
    plain = training_data_from_simulation(net, label="click_or_like")
    assert plain[5].propensities is None
    both = np.concatenate([r.labels for r in plain])
    np.testing.assert_array_equal(both, imp.clicked | imp.liked)


def test_training_counts_are_those_logged_before_each_session(net: SimulatedNetwork) -> None:
    reqs = training_data_from_simulation(net, viewers=["u007", "u100"])
    assert {r.request_id.split("/")[0] for r in reqs} == {"u007", "u100"}
    for req in reqs[:6]:
        before = Counter(
            (i.post_id, i.kind.value) for i in net.interactions if i.at < req.ctx.now_datetime
        )
        for i, pid in enumerate(req.batch.ids.tolist()):
            for kind in ("like", "click", "view", "hide"):
                assert req.batch.count(kind)[i] == before[(pid, kind)]
    # the viewer has seen exactly the posts shown in earlier sessions
    shown: set[str] = set()
    for req in [r for r in reqs if r.request_id.startswith("u007")]:
        assert req.ctx.viewer is not None
        assert req.ctx.viewer.seen == frozenset(shown)
        shown |= set(req.batch.ids.tolist())
    now = training_data_from_simulation(net, as_of="now", viewers=["u007"])
    assert now[0].ctx.now_datetime == net.now
    full = net.batch()
    rows = full.index_of(now[0].batch.ids)
    np.testing.assert_array_equal(now[0].batch.counts, full.counts[rows])
    with pytest.raises(fr.InputError, match="unknown viewer"):
        training_data_from_simulation(net, viewers=["nobody"])
    with pytest.raises(fr.InputError, match="label="):
        training_data_from_simulation(net, label="share")  # type: ignore[arg-type]


def test_learning_on_the_simulator_improves_ndcg_over_uniform_weights(
    net: SimulatedNetwork,
) -> None:
    viewers = [v.id for v in net.viewers]
    train, test = viewers[:150], viewers[150:]
    pipe = sim_pipeline()
    reqs = training_data_from_simulation(net, label="click", inverse_propensity=True, viewers=train)
    design = design_matrix(pipe, reqs)
    logistic = fit_logistic(pipe, design)
    ranknet = fit_ranknet(pipe, design)
    uniform = mean_ndcg(net, pipe, test)
    learned = mean_ndcg(net, logistic.pipeline, test)
    pairwise = mean_ndcg(net, ranknet.pipeline, test)
    assert learned > uniform + 0.1, (uniform, learned)
    assert pairwise > uniform + 0.1, (uniform, pairwise)
    # the learned model puts most weight on interest match, as the ground truth does
    weights = dict(zip(logistic.term_names, logistic.weights.tolist(), strict=True))
    assert max(weights, key=weights.__getitem__) == "topic_match"
    again = fit_logistic(
        pipe,
        training_data_from_simulation(net, label="click", inverse_propensity=True, viewers=train),
    )
    assert again.pipeline.fingerprint == logistic.pipeline.fingerprint


def test_design_reuse_matches_requests(net: SimulatedNetwork) -> None:
    pipe = sim_pipeline()
    reqs = training_data_from_simulation(net, viewers=["u001", "u002", "u003"])
    a = fit_logistic(pipe, reqs)
    b = fit_logistic(pipe, design_matrix(pipe, reqs))
    assert a.weights.tobytes() == b.weights.tobytes()
    shuffled = [
        dataclasses.replace(r, request_id=r.request_id + "x") for r in reqs
    ]  # names do not change the fit
    assert fit_logistic(pipe, shuffled).weights.tobytes() == a.weights.tobytes()
