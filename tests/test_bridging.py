"""Community Notes-style bridging: the fit, its gradient, the status rule, the signal."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import feedrank as fr
from feedrank.bridging import (
    HELPFUL,
    NEEDS_MORE_RATINGS,
    NOT_HELPFUL,
    BridgingFit,
    StatusRule,
    fit_bridging,
    fit_bridging_triples,
)
from feedrank.bridging.loss import Problem
from feedrank.stages.signals.bridging import Bridging

NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)

# ----------------------------------------------------------------- simulation
N_RATERS, N_ITEMS, PER_RATER, MAJORITY = 200, 60, 20, 120


@dataclasses.dataclass(frozen=True)
class Planted:
    raters: NDArray[np.str_]
    items: NDArray[np.str_]
    ratings: NDArray[np.float64]
    camp: NDArray[np.float64]  # planted rater factor, +1 (majority) or -1, by rater index
    item_intercepts: NDArray[np.float64]  # by item index
    item_factors: NDArray[np.float64]


def rater_name(i: Any) -> Any:
    return np.char.add("u", np.char.zfill(np.asarray(i).astype(str), 3))


def item_name(i: Any) -> Any:
    return np.char.add("n", np.char.zfill(np.asarray(i).astype(str), 3))


def simulate(seed: int = 1, noise: float = 0.1) -> Planted:
    """Two camps of raters (factors +1 for the 120-rater majority, −1 for the other
    80), items with planted intercepts and factors, each rater rating 20 items:
    r = clip(μ + i_u + i_n + f_u·f_n + noise, 0, 1)."""
    rng = np.random.default_rng(seed)
    camp = np.where(np.arange(N_RATERS) < MAJORITY, 1.0, -1.0)
    rater_intercepts = rng.normal(0.0, 0.05, N_RATERS)
    item_intercepts = rng.uniform(-0.25, 0.25, N_ITEMS)
    item_factors = rng.uniform(-0.3, 0.3, N_ITEMS)
    r = np.repeat(np.arange(N_RATERS), PER_RATER)
    n = np.concatenate([rng.choice(N_ITEMS, PER_RATER, replace=False) for _ in range(N_RATERS)])
    y = 0.5 + rater_intercepts[r] + item_intercepts[n] + camp[r] * item_factors[n]
    y = np.clip(y + rng.normal(0.0, noise, r.shape[0]), 0.0, 1.0)
    return Planted(rater_name(r), item_name(n), y, camp, item_intercepts, item_factors)


@pytest.fixture(scope="module")
def planted() -> Planted:
    return simulate()


@pytest.fixture(scope="module")
def fit(planted: Planted) -> BridgingFit:
    return fit_bridging(
        planted.raters, planted.items, planted.ratings, rng=np.random.default_rng(0)
    )


def corr(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    return float(np.corrcoef(a, b)[0, 1])


# ------------------------------------------------------------------ recovery
@pytest.mark.parametrize("normalization", ["sum", "mean"])
def test_fit_recovers_planted_intercepts_and_two_camp_polarity(
    planted: Planted, normalization: str
) -> None:
    fit = fit_bridging(
        planted.raters,
        planted.items,
        planted.ratings,
        rng=np.random.default_rng(0),
        normalization=normalization,  # type: ignore[arg-type]
    )
    assert fit.converged, fit.message
    assert fit.item_ids.tolist() == item_name(np.arange(N_ITEMS)).tolist()
    assert fit.rater_ids.tolist() == rater_name(np.arange(N_RATERS)).tolist()
    assert corr(fit.item_intercepts, planted.item_intercepts) > 0.95
    assert abs(corr(fit.item_factors, planted.item_factors)) > 0.95
    assert abs(corr(fit.rater_factors, planted.camp)) > 0.95
    assert fit.item_ratings.sum() == fit.rater_ratings.sum() == N_RATERS * PER_RATER
    assert fit.rater_ratings.tolist() == [PER_RATER] * N_RATERS


def test_sign_convention_gives_the_majority_of_raters_negative_factors(
    fit: BridgingFit, planted: Planted
) -> None:
    # The planted majority camp has f = +1; the convention flips it negative, so
    # fitted factors are anti-correlated with the planted ones.
    assert np.count_nonzero(fit.rater_factors < 0) >= N_RATERS / 2
    assert (
        float(fit.rater_factors[:MAJORITY].mean()) < 0 < float(fit.rater_factors[MAJORITY:].mean())
    )
    assert corr(fit.item_factors, planted.item_factors) < -0.95


def test_fit_converges_with_a_decreasing_loss_quickly(fit: BridgingFit, planted: Planted) -> None:
    assert fit.converged
    assert 0 < fit.iterations < 1000
    history = fit.loss_history
    assert history.shape == (fit.iterations,)
    assert np.all(np.diff(history) <= 1e-9 * np.abs(history[:-1]))
    assert history[-1] == pytest.approx(fit.loss, rel=1e-12)
    assert fit.gradient_norm < 1e-3


def test_default_loss_is_the_scorers_mean_normalised_loss(
    fit: BridgingFit, planted: Planted
) -> None:
    assert fit.normalization == "mean"
    residual = planted.ratings - fit.predict(planted.raters, planted.items)
    trained = (
        np.mean(residual**2)
        + 0.15 * (np.mean(fit.rater_intercepts**2) + np.mean(fit.item_intercepts**2) + fit.mu**2)
        + 0.03 * (np.mean(fit.rater_factors**2) + np.mean(fit.item_factors**2))
    )
    assert fit.loss == pytest.approx(trained, rel=1e-12)
    assert fit.mse == pytest.approx(np.mean(residual**2), rel=1e-12)
    explicit = fit_bridging(
        planted.raters,
        planted.items,
        planted.ratings,
        rng=np.random.default_rng(0),
        normalization="mean",
    )
    assert np.array_equal(explicit.item_intercepts, fit.item_intercepts)
    # The documented sum form penalises far less (λ once, not K/N times per
    # item), so it gives other intercepts: the default is not the sum form.
    summed = fit_bridging(
        planted.raters,
        planted.items,
        planted.ratings,
        rng=np.random.default_rng(0),
        normalization="sum",
    )
    assert np.max(np.abs(summed.item_intercepts - fit.item_intercepts)) > 1e-2


def test_sum_loss_is_the_documented_formula_at_the_fitted_parameters(planted: Planted) -> None:
    fit = fit_bridging(
        planted.raters,
        planted.items,
        planted.ratings,
        rng=np.random.default_rng(0),
        normalization="sum",
    )
    assert fit.normalization == "sum"
    residual = planted.ratings - fit.predict(planted.raters, planted.items)
    documented = (
        np.sum(residual**2)
        + 0.15 * (np.sum(fit.rater_intercepts**2) + np.sum(fit.item_intercepts**2) + fit.mu**2)
        + 0.03 * (np.sum(fit.rater_factors**2) + np.sum(fit.item_factors**2))
    )
    assert fit.loss == pytest.approx(documented, rel=1e-12)
    assert fit.mse == pytest.approx(np.mean(residual**2), rel=1e-12)


def test_fit_is_deterministic_for_a_given_rng(planted: Planted) -> None:
    a = fit_bridging(planted.raters, planted.items, planted.ratings, rng=np.random.default_rng(7))
    b = fit_bridging(planted.raters, planted.items, planted.ratings, rng=np.random.default_rng(7))
    for field in dataclasses.fields(BridgingFit):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert np.array_equal(x, y), field.name
        else:
            assert x == y, field.name
    c = fit_bridging(planted.raters, planted.items, planted.ratings, rng=7)
    assert np.array_equal(a.item_intercepts, c.item_intercepts)


def test_other_seeds_and_row_orders_reach_the_same_optimum(
    fit: BridgingFit, planted: Planted
) -> None:
    other = fit_bridging(planted.raters, planted.items, planted.ratings, rng=12345, n_init=2)
    np.testing.assert_allclose(other.item_intercepts, fit.item_intercepts, atol=1e-4)
    np.testing.assert_allclose(other.item_factors, fit.item_factors, atol=1e-4)
    perm = np.random.default_rng(5).permutation(planted.ratings.shape[0])
    shuffled = fit_bridging(
        planted.raters[perm],
        planted.items[perm],
        planted.ratings[perm],
        rng=np.random.default_rng(0),
    )
    np.testing.assert_allclose(shuffled.item_intercepts, fit.item_intercepts, atol=1e-5)
    np.testing.assert_allclose(shuffled.rater_factors, fit.rater_factors, atol=1e-5)


# ------------------------------------------------------------------ gradient
def tiny_problem(normalization: str) -> tuple[Problem, NDArray[np.float64]]:
    rng = np.random.default_rng(11)
    rater_idx = np.array([0, 0, 1, 1, 2, 3, 3, 3], dtype=np.intp)
    item_idx = np.array([0, 1, 1, 2, 0, 0, 1, 2], dtype=np.intp)
    ratings = np.array([1.0, 0.5, 0.0, 1.0, 0.5, 1.0, 0.0, 0.5])
    problem = Problem.build(
        rater_idx,
        item_idx,
        ratings,
        4,
        3,
        lambda_intercept=0.15,
        lambda_factor=0.03,
        normalization=normalization,  # type: ignore[arg-type]
    )
    return problem, rng.normal(0.0, 0.7, problem.size)


@pytest.mark.parametrize("normalization", ["sum", "mean"])
def test_gradient_matches_finite_differences(normalization: str) -> None:
    problem, x = tiny_problem(normalization)
    _, grad = problem.loss_grad(x)
    h = 1e-6
    numeric = np.empty_like(x)
    for j in range(x.shape[0]):
        step = np.zeros_like(x)
        step[j] = h
        numeric[j] = (problem.loss_grad(x + step)[0] - problem.loss_grad(x - step)[0]) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("normalization", ["sum", "mean"])
def test_objective_is_the_written_loss(normalization: str) -> None:
    problem, x = tiny_problem(normalization)
    mu, iu, inn, fu, fn = problem.unpack(x)
    squared = 0.0
    for r, n, y in zip(problem.rater_idx, problem.item_idx, problem.ratings, strict=True):
        squared += (y - (mu + iu[r] + inn[n] + fu[r] * fn[n])) ** 2
    if normalization == "sum":
        expected = (
            squared
            + 0.15 * (np.sum(iu**2) + np.sum(inn**2) + mu**2)
            + 0.03 * (np.sum(fu**2) + np.sum(fn**2))
        )
    else:
        expected = (
            squared / 8
            + 0.15 * (np.mean(iu**2) + np.mean(inn**2) + mu**2)
            + 0.03 * (np.mean(fu**2) + np.mean(fn**2))
        )
    assert problem.loss_grad(x)[0] * problem.scale == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------------------- bridging
def test_a_note_helpful_to_one_camp_scores_below_a_note_helpful_to_both(
    planted: Planted,
) -> None:
    majority = rater_name(np.arange(0, 16))
    minority = rater_name(np.arange(MAJORITY, MAJORITY + 4))
    both = rater_name(np.r_[np.arange(20, 30), np.arange(MAJORITY + 10, MAJORITY + 20)])
    extra_raters = np.concatenate([majority, minority, both, both])
    extra_items = np.array(["partisan"] * 20 + ["bridge"] * 20 + ["consensus"] * 20)
    # partisan: the majority camp says Helpful, the other camp Not helpful (mean 0.8);
    # bridge: both camps say Helpful or Somewhat, alternating (mean 0.75, lower);
    # consensus: both camps say Helpful.
    extra = np.r_[np.ones(16), np.zeros(4), np.tile([1.0, 0.5], 10), np.ones(20)]
    fit = fit_bridging(
        np.r_[planted.raters, extra_raters],
        np.r_[planted.items, extra_items],
        np.r_[planted.ratings, extra],
        rng=np.random.default_rng(0),
    )
    score = dict(zip(fit.item_ids.tolist(), fit.item_intercepts.tolist(), strict=True))
    factor = dict(zip(fit.item_ids.tolist(), fit.item_factors.tolist(), strict=True))
    assert extra[:20].mean() > extra[20:40].mean()  # a majority vote prefers the partisan note
    assert score["partisan"] < score["bridge"] < score["consensus"]
    assert abs(factor["partisan"]) > 3 * abs(factor["bridge"])
    status = dict(zip(fit.item_ids.tolist(), fit.statuses().tolist(), strict=True))
    assert status["consensus"] == HELPFUL
    assert status["partisan"] != HELPFUL


# --------------------------------------------------------------- status rule
def test_status_rule_at_its_boundaries() -> None:
    edge = -0.05 - 0.8 * 0.25
    cases = [  # (intercept, factor, ratings, expected), the scorer's boundaries
        (0.40, 0.0, 5, HELPFUL),  # exactly 0.40, factor 0
        (np.nextafter(0.40, 0.0), 0.0, 5, NEEDS_MORE_RATINGS),  # just below 0.40
        (0.40, 0.5, 5, HELPFUL),  # |factor| exactly 0.5 keeps Helpful
        (0.40, -0.5, 5, HELPFUL),
        (0.40, np.nextafter(0.5, 1.0), 5, NEEDS_MORE_RATINGS),  # |factor| just over 0.5
        (0.40, np.nextafter(-0.5, -1.0), 5, NEEDS_MORE_RATINGS),
        (0.9, 0.0, 4, NEEDS_MORE_RATINGS),  # 4 ratings are too few, however high
        (-0.05, 0.0, 5, NOT_HELPFUL),  # exactly −0.05 is Not helpful
        (np.nextafter(-0.05, 1.0), 0.0, 5, NEEDS_MORE_RATINGS),  # just above −0.05
        (edge, 0.25, 5, NOT_HELPFUL),  # exactly −0.05 − 0.8·0.25
        (edge, -0.25, 5, NOT_HELPFUL),  # the rule uses |factor|
        (np.nextafter(edge, 1.0), 0.25, 5, NEEDS_MORE_RATINGS),  # just above it
        (-0.9, 0.0, 4, NEEDS_MORE_RATINGS),  # 4 ratings are too few, however low
        (0.0, 0.0, 100, NEEDS_MORE_RATINGS),  # between the thresholds
    ]
    intercepts = np.array([c[0] for c in cases], dtype=np.float64)
    factors = np.array([c[1] for c in cases], dtype=np.float64)
    counts = np.array([c[2] for c in cases], dtype=np.int64)
    expected = [c[3] for c in cases]
    assert StatusRule().classify(intercepts, factors, counts).tolist() == expected
    # the same rule through a fit's statuses()
    n = intercepts.shape[0]
    hand_made = BridgingFit(
        mu=0.0,
        item_ids=np.array([f"n{i:02d}" for i in range(n)]),
        item_intercepts=intercepts,
        item_factors=factors,
        item_ratings=counts,
        rater_ids=np.array(["u"]),
        rater_intercepts=np.zeros(1),
        rater_factors=np.zeros(1),
        rater_ratings=np.array([int(counts.sum())]),
        loss=0.0,
        mse=0.0,
        gradient_norm=0.0,
        iterations=0,
        converged=True,
        message="hand-made",
        loss_history=np.zeros(0),
        lambda_intercept=0.15,
        lambda_factor=0.03,
        normalization="sum",
    )
    assert hand_made.statuses().tolist() == expected
    lenient = StatusRule(min_ratings=4, helpful_intercept=0.3)
    assert hand_made.statuses(lenient).tolist()[1] == HELPFUL
    assert hand_made.statuses(lenient).tolist()[6] == HELPFUL
    assert "0.4" in StatusRule().describe()
    assert "5 ratings" in StatusRule().describe()
    assert "factor ≤ 0.5" in StatusRule().describe()


def test_documented_boundaries_are_an_option() -> None:
    edge = -0.05 - 0.8 * 0.25
    rule = StatusRule(boundaries="documented")
    intercepts = np.array([0.40, 0.40, -0.05, np.nextafter(-0.05, -1.0), edge])
    factors = np.array([0.5, np.nextafter(0.5, 0.0), 0.0, 0.0, 0.25])
    assert rule.classify(intercepts, factors, np.full(5, 5)).tolist() == [
        NEEDS_MORE_RATINGS,  # |factor| exactly 0.5 is not < 0.5
        HELPFUL,
        NEEDS_MORE_RATINGS,  # exactly −0.05 is not < −0.05
        NOT_HELPFUL,
        NEEDS_MORE_RATINGS,  # exactly on the sloped boundary
    ]
    assert "factor < 0.5" in rule.describe()


def test_status_rule_validates_its_thresholds() -> None:
    with pytest.raises(ValueError, match="min_ratings"):
        StatusRule(min_ratings=-1)
    with pytest.raises(ValueError, match="helpful_max_abs_factor"):
        StatusRule(helpful_max_abs_factor=0.0)


# ---------------------------------------------------------------- bad inputs
def bad(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "raters": np.array(["u1", "u2", "u3"]),
        "items": np.array(["n1", "n1", "n2"]),
        "ratings": np.array([1.0, 0.5, 0.0]),
    }
    base.update(changes)
    return base


@pytest.mark.parametrize(
    ("inputs", "field", "post_id", "fragments"),
    [
        (bad(ratings=np.array([1.0, 1.5, 0.0])), "ratings", "n1", ["rating #1", "'u2'", "1.5"]),
        (bad(ratings=np.array([1.0, 0.5, -0.1])), "ratings", "n2", ["rating #2", "'u3'"]),
        (bad(ratings=np.array([1.0, np.nan, 0.0])), "ratings", "n1", ["rating #1", "nan"]),
        (bad(ratings=np.array([np.inf, 0.5, 0.0])), "ratings", "n1", ["rating #0", "inf"]),
        (bad(ratings=[1.0, None, 0.0]), "ratings", "n1", ["rating #1", "None"]),
        (bad(ratings=["1", "0", "1"]), "ratings", "n1", ["rating #0", "answer names"]),
        (bad(ratings=np.array([True, False, True])), "ratings", "n1", ["rating #0"]),
        (
            bad(items=np.array(["n1", "n2"])),
            "items",
            None,
            ["2 values", "ratings has 3", "one per entry of ratings"],
        ),
        (bad(raters=np.array(["u1"] * 4)), "raters", None, ["4 values"]),
        (bad(raters=[], items=[], ratings=[]), "ratings", None, ["no ratings"]),
        (bad(ratings=np.ones((3, 1))), "ratings", None, ["shape (3, 1)"]),
        (bad(raters=np.array(["u1", "", "u3"])), "raters", None, ["raters[1]", "empty"]),
        (bad(items=np.array([1.5, 2.5, 3.5])), "items", None, ["dtype float64"]),
        (bad(items=["n1", None, "n2"]), "items", None, ["items[1]", "None"]),
        (
            bad(raters=np.array(["u1", "u2", "u1"]), items=np.array(["n1", "n2", "n1"])),
            "ratings",
            "n1",
            ["'u1'", "twice", "#0", "#2"],
        ),
    ],
)
def test_bad_inputs_raise_naming_the_field_and_the_record(
    inputs: dict[str, Any], field: str, post_id: str | None, fragments: list[str]
) -> None:
    with pytest.raises(fr.InputError) as info:
        fit_bridging(inputs["raters"], inputs["items"], inputs["ratings"], rng=0)
    err = info.value
    assert isinstance(err, fr.FeedrankError)
    assert err.field == field
    assert err.post_id == post_id
    assert err.expected
    for fragment in fragments:
        assert fragment in str(err)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("lambda_intercept", -0.1),
        ("lambda_factor", float("nan")),
        ("init_scale", 0.0),
        ("normalization", "median"),
        ("n_init", 0),
        ("max_iter", 0),
        ("gtol", -1.0),
    ],
)
def test_bad_options_raise(option: str, value: Any) -> None:
    with pytest.raises(fr.InputError) as info:
        fit_bridging(*bad().values(), rng=0, **{option: value})
    assert info.value.field == option


def test_triples_read_answers_and_match_the_column_form() -> None:
    triples = [
        ("u1", "n1", "helpful"),
        ("u2", "n1", "SOMEWHAT_HELPFUL"),
        ("u3", "n2", 0.0),
        ("u1", "n2", 1),
        ("u2", "n2", "not_helpful"),
    ]
    a = fit_bridging_triples(triples, rng=np.random.default_rng(4))
    b = fit_bridging(
        ["u1", "u2", "u3", "u1", "u2"],
        ["n1", "n1", "n2", "n2", "n2"],
        [1.0, 0.5, 0.0, 1.0, 0.0],
        rng=np.random.default_rng(4),
    )
    assert np.array_equal(a.item_intercepts, b.item_intercepts)
    assert a.item_ratings.tolist() == [2, 3]
    with pytest.raises(fr.InputError, match="record #1") as info:
        fit_bridging_triples([("u1", "n1", 1.0), ("u2", "n1", "great")], rng=0)
    assert info.value.post_id == "n1"
    with pytest.raises(fr.InputError, match="triple"):
        fit_bridging_triples([("u1", "n1")], rng=0)
    with pytest.raises(fr.InputError, match="record #0"):
        fit_bridging_triples([("u1", "n1", None)], rng=0)


def test_integer_ids_are_read_as_decimal_strings() -> None:
    fit = fit_bridging(np.array([1, 2, 3]), np.array([10, 10, 20]), [1.0, 1.0, 0.0], rng=0)
    assert fit.item_ids.tolist() == ["10", "20"]
    assert fit.rater_ids.tolist() == ["1", "2", "3"]
    assert fit.predict([1], [10]).shape == (1,)
    with pytest.raises(fr.InputError, match="not in the fitted model"):
        fit.predict(["1"], ["30"])
    with pytest.raises(fr.InputError, match="items has 1 values but raters has 2"):
        fit.predict(["1", "2"], ["10"])


# ------------------------------------------------------- features and signal
def batch_with(
    ids: list[str], features: dict[str, list[float]] | None = None, hours: list[float] | None = None
) -> fr.PostBatch:
    ages = hours if hours is not None else [float(i) for i in range(len(ids))]
    created = np.array(
        [np.datetime64((NOW - timedelta(hours=h)).replace(tzinfo=None), "us") for h in ages]
    )
    return fr.PostBatch.from_columns(
        ids=np.array(ids),
        author_ids=np.array(["a"] * len(ids)),
        created_at=created,
        features={k: np.array(v, dtype=np.float64) for k, v in (features or {}).items()},
    )


def test_features_and_attach_align_with_posts(fit: BridgingFit) -> None:
    ids = ["n005", "unrated", "n000"]
    columns = fit.features(ids)
    assert set(columns) == {"bridging_intercept", "bridging_factor", "bridging_ratings"}
    assert columns["bridging_intercept"][0] == fit.item_intercepts[5]
    assert columns["bridging_factor"][2] == fit.item_factors[0]
    assert columns["bridging_ratings"][2] == float(fit.item_ratings[0])
    assert np.isnan(columns["bridging_intercept"][1])
    assert all(c.dtype == np.float64 and c.shape == (3,) for c in columns.values())
    batch = fit.attach(batch_with(ids, {"other": [1.0, 2.0, 3.0]}), prefix="cn")
    assert sorted(batch.features) == ["cn_factor", "cn_intercept", "cn_ratings", "other"]
    assert np.array_equal(
        batch.features["cn_intercept"], columns["bridging_intercept"], equal_nan=True
    )
    assert fit.features()["bridging_intercept"].tolist() == fit.item_intercepts.tolist()


def test_signal_reads_the_intercept_and_names_a_post_without_it(fit: BridgingFit) -> None:
    batch = fit.attach(batch_with(["n003", "unrated", "n001"]))
    ctx = fr.Context.build(batch, now=NOW)
    with pytest.raises(fr.RankingError) as info:
        Bridging().compute(batch, ctx)
    assert info.value.post_id == "unrated"
    assert info.value.field == "features.bridging_intercept"
    assert "default" in str(info.value)
    values = Bridging(default=-1.0).compute(batch, ctx)
    assert values.tolist() == [fit.item_intercepts[3], -1.0, fit.item_intercepts[1]]
    assert values.dtype == np.float64
    assert Bridging.reads == ("features",)


def test_gated_signal_keeps_only_helpful_intercepts() -> None:
    features = {
        "bridging_intercept": [0.45, 0.45, 0.60, -0.30, 0.10, -0.30],
        "bridging_factor": [0.1, 0.7, 0.0, 0.1, 0.0, 0.1],
        "bridging_ratings": [20.0, 20.0, 3.0, 9.0, 50.0, 4.0],
    }
    batch = batch_with(["wide", "split", "new", "bad", "middling", "bad_few"], features)
    ctx = fr.Context.build(batch, now=NOW)
    assert Bridging().compute(batch, ctx).tolist() == features["bridging_intercept"]
    gated = Bridging(gate=True).compute(batch, ctx)
    assert gated.tolist() == [0.45, 0.0, 0.0, -0.30, 0.0, 0.0]
    custom = Bridging(gate=True, needs_more_ratings_value=-0.5, not_helpful_value=-9.0)
    assert custom.compute(batch, ctx).tolist() == [0.45, -0.5, -0.5, -9.0, -0.5, -0.5]
    strict = Bridging(gate=True, rule=StatusRule(helpful_intercept=0.5))
    assert strict.compute(batch, ctx).tolist()[0] == 0.0
    # gating reads all three columns: a missing factor is named
    partial = batch_with(["p"], {"bridging_intercept": [0.5], "bridging_ratings": [9.0]})
    with pytest.raises(fr.RankingError, match="bridging_factor") as info:
        Bridging(gate=True).compute(partial, fr.Context.build(partial, now=NOW))
    assert info.value.post_id == "p"
    assert Bridging(gate=True, default=0.25).compute(
        partial, fr.Context.build(partial, now=NOW)
    ).tolist() == [0.25]


def test_signal_describes_itself_and_round_trips_as_a_spec_component() -> None:
    plain = Bridging()
    assert "bridging_intercept" in plain.describe()
    assert "viewpoints" in plain.describe()
    gated = Bridging(gate=True, prefix="cn", default=0.0)
    text = gated.describe()
    assert "|" not in text  # it sits in Markdown tables (the algorithm card)
    for fragment in ("'cn_intercept'", "Helpful", "0.4", "get 0"):
        assert fragment in text
    assert gated.columns == ("cn_intercept", "cn_factor", "cn_ratings")
    assert fr.stages.signals.SIGNALS["bridging"] is Bridging
    again = fr.stages.signals.SIGNALS.parse(gated.model_dump(mode="json"))
    assert again == gated
    with pytest.raises(ValueError, match="prefix"):
        Bridging(prefix="has space")
    with pytest.raises(ValueError, match="not_helpful_value only apply when gate"):
        Bridging(not_helpful_value=-1.0)
    with pytest.raises(ValueError, match="rule only apply when gate"):
        Bridging(rule=StatusRule(min_ratings=3))
    with pytest.raises(fr.SpecError, match="treshold"):
        Bridging.model_validate({"type": "bridging", "treshold": 0.4})
