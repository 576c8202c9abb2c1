"""Scorer: score = (Σ w·x) × Π f, every part kept; bad values raise naming the post."""

from __future__ import annotations

import math
import warnings
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr
from feedrank.errors import SpecError
from feedrank.stages.scoring import Factor, Scorer, Term, combine
from feedrank.stages.signals import (
    AgeHours,
    ExponentialDecay,
    Feature,
    GravityDecay,
    InNetwork,
    Interactions,
    IsReply,
)

UTC = timezone.utc
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def feature_batch(rows: dict[str, list[float]]) -> tuple[fr.PostBatch, fr.Context]:
    n = len(next(iter(rows.values())))
    batch = fr.PostBatch.from_columns(
        ids=np.array([f"p{i}" for i in range(n)]),
        author_ids=np.array(["a"] * n),
        created_at=np.full(n, 1_700_000_000_000_000),
        features={k: np.array(v, dtype=np.float64) for k, v in rows.items()},
    )
    return batch, fr.Context.build(batch, now=NOW)


def test_contributions_factors_and_scores() -> None:
    batch, ctx = feature_batch(
        {
            "x": [1.0, 2.0, -3.0, 0.0],
            "y": [0.5, 0.0, 4.0, 1.0],
            "f": [1.0, 0.5, 2.0, 0.0],
            "g": [0.75, 1.0, 0.25, 3.0],
        }
    )
    scorer = Scorer(
        terms=[
            Term(name="x", signal=Feature(name="x"), weight=2.0),
            Term(name="y", signal=Feature(name="y"), weight=-1.5),
        ],
        factors=[
            Factor(name="f", signal=Feature(name="f")),
            Factor(name="g", signal=Feature(name="g")),
        ],
    )
    table = scorer.score(batch, ctx)
    assert table.term_names == ("x", "y")
    assert table.factor_names == ("f", "g")
    assert table.inputs.tolist() == [[1.0, 0.5], [2.0, 0.0], [-3.0, 4.0], [0.0, 1.0]]
    assert table.contributions.tolist() == [[2.0, -0.75], [4.0, -0.0], [-6.0, -6.0], [0.0, -1.5]]
    assert table.factors.tolist() == [[1.0, 0.75], [0.5, 1.0], [2.0, 0.25], [0.0, 3.0]]
    assert table.scores.tolist() == [
        (2.0 - 0.75) * 1.0 * 0.75,
        (4.0 + 0.0) * 0.5 * 1.0,
        (-6.0 - 6.0) * 2.0 * 0.25,
        (0.0 - 1.5) * 0.0 * 3.0,
    ]
    for arr in (table.inputs, table.contributions, table.factors, table.scores):
        assert arr.dtype == np.float64


def test_without_factors_the_score_is_the_sum_of_contributions() -> None:
    batch, ctx = feature_batch({"x": [1.0, -2.0, 0.25]})
    scorer = Scorer(terms=[Term(name="x", signal=Feature(name="x"), weight=4.0)])
    table = scorer.score(batch, ctx)
    assert table.factors.shape == (3, 0)
    assert table.factor_names == ()
    assert table.scores.tolist() == [4.0, -8.0, 1.0]


def test_x_heavy_ranker_weights_with_heuristic_factors() -> None:
    weights = {"p_fav": 0.5, "p_retweet": 1.0, "p_reply": 13.5, "p_negative": -74.0}
    features = [
        {"p_fav": 0.2, "p_retweet": 0.05, "p_reply": 0.01, "p_negative": 0.001},
        {"p_fav": 0.6, "p_retweet": 0.1, "p_reply": 0.02, "p_negative": 0.01},
    ]
    posts = [
        fr.Post(id="in", author_id="friend", created_at=NOW, features=features[0]),
        fr.Post(id="out", author_id="stranger", created_at=NOW, features=features[1], reply_to="r"),
    ]
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(batch, now=NOW, viewer=fr.Viewer(id="v", follows={"friend"}))
    scorer = Scorer(
        terms=[Term(name=k, signal=Feature(name=k), weight=w) for k, w in weights.items()],
        factors=[
            Factor(name="out_of_network", signal=InNetwork(false_value=0.75)),
            Factor(name="reply", signal=IsReply(true_value=0.75, false_value=1.0)),
        ],
    )
    scores = scorer.score(batch, ctx).scores
    expected_in = sum(weights[k] * features[0][k] for k in weights)
    expected_out = sum(weights[k] * features[1][k] for k in weights) * 0.75 * 0.75
    assert scores[0] == pytest.approx(expected_in, rel=1e-12)
    assert scores[1] == pytest.approx(expected_out, rel=1e-12)


def test_worked_values_likes_over_gravity() -> None:
    posts = [
        fr.Post(id="bsky", author_id="a", created_at=NOW - timedelta(hours=3), counts={"like": 50}),
        fr.Post(
            id="hn", author_id="a", created_at=NOW - timedelta(hours=1), counts={"upvote": 100}
        ),
    ]
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(batch, now=NOW)
    bluesky = Scorer(
        terms=[Term(name="likes", signal=Interactions(), weight=1.0)],
        factors=[Factor(name="gravity", signal=GravityDecay())],
    )
    assert round(float(bluesky.score(batch, ctx).scores[0]), 6) == 2.759459
    # HN simplified: (points - 1) / (age_h + 2)^1.8, the "- 1" as a constant feature
    hn = Scorer(
        terms=[
            Term(name="points", signal=Interactions(weights={"upvote": 1}), weight=1.0),
            Term(name="minus_one", signal=Feature(name="one", default=1.0), weight=-1.0),
        ],
        factors=[Factor(name="gravity", signal=GravityDecay())],
    )
    assert round(float(hn.score(batch, ctx).scores[1]), 5) == 13.70304


def test_negative_factor_raises_naming_the_post() -> None:
    batch, ctx = feature_batch({"x": [1.0, 1.0, 1.0], "f": [1.0, 0.0, -0.5]})
    scorer = Scorer(
        terms=[Term(name="x", signal=Feature(name="x"), weight=1.0)],
        factors=[Factor(name="f", signal=Feature(name="f"))],
    )
    with pytest.raises(fr.RankingError) as info:
        scorer.score(batch, ctx)
    assert info.value.post_id == "p2"
    assert "'p2'" in str(info.value)
    assert "f" in (info.value.field or "")


def test_zero_factor_is_allowed_and_zeroes_the_score() -> None:
    batch, ctx = feature_batch({"x": [5.0], "f": [0.0]})
    scorer = Scorer(
        terms=[Term(name="x", signal=Feature(name="x"), weight=1.0)],
        factors=[Factor(name="f", signal=Feature(name="f"))],
    )
    assert scorer.score(batch, ctx).scores.tolist() == [0.0]


def aged_batch(hours_ago: list[float]) -> tuple[fr.PostBatch, fr.Context]:
    posts = [
        fr.Post(id=f"p{i}", author_id="a", created_at=NOW - timedelta(hours=h))
        for i, h in enumerate(hours_ago)
    ]
    batch = fr.PostBatch.from_posts(posts)
    return batch, fr.Context.build(batch, now=NOW)


@pytest.mark.parametrize("as_factor", [False, True])
def test_gravity_with_offset_zero_at_age_zero_raises_naming_the_post(as_factor: bool) -> None:
    batch, ctx = aged_batch([1.0, 5.0, 0.0, 0.0])
    decay = GravityDecay(offset_hours=0.0)
    if as_factor:
        scorer = Scorer(
            terms=[Term(name="age", signal=AgeHours(), weight=1.0)],
            factors=[Factor(name="gravity", signal=decay)],
        )
    else:
        scorer = Scorer(terms=[Term(name="gravity", signal=decay, weight=1.0)])
    with pytest.raises(fr.RankingError) as info:
        scorer.score(batch, ctx)
    assert info.value.post_id == "p2"
    assert "'p2'" in str(info.value)


@pytest.mark.parametrize("as_factor", [False, True])
def test_post_dated_after_now_making_gravity_nan_raises_naming_the_post(as_factor: bool) -> None:
    batch, ctx = aged_batch([1.0, -3.0, 2.0])  # p1 is 3 h in the future: (-3 + 2)^-1.8
    if as_factor:
        scorer = Scorer(
            terms=[Term(name="one", signal=Feature(name="one", default=1.0), weight=1.0)],
            factors=[Factor(name="gravity", signal=GravityDecay())],
        )
    else:
        scorer = Scorer(terms=[Term(name="gravity", signal=GravityDecay(), weight=1.0)])
    with pytest.raises(fr.RankingError) as info:
        scorer.score(batch, ctx)
    assert info.value.post_id == "p1"


def test_overflowing_contribution_raises_naming_the_post() -> None:
    # The scorer checks for overflow itself, so it must report it as a RankingError
    # and not leak numpy's RuntimeWarning (an exception under -W error).
    batch, ctx = feature_batch({"x": [1.0, 1e300, 2.0]})
    scorer = Scorer(terms=[Term(name="x", signal=Feature(name="x"), weight=1e10)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(fr.RankingError) as info:
            scorer.score(batch, ctx)
    assert info.value.post_id == "p1"


def test_overflowing_sum_times_factor_raises_naming_the_post() -> None:
    batch, ctx = feature_batch({"x": [1.0, 1e300], "f": [2.0, 1e10]})
    scorer = Scorer(
        terms=[Term(name="x", signal=Feature(name="x"), weight=1.0)],
        factors=[Factor(name="f", signal=Feature(name="f"))],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(fr.RankingError) as info:
            scorer.score(batch, ctx)
    assert info.value.post_id == "p1"


def test_duplicate_term_names_are_rejected() -> None:
    signal = Interactions()
    with pytest.raises(SpecError, match="twice"):
        Scorer(
            terms=[
                Term(name="likes", signal=signal, weight=1.0),
                Term(name="likes", signal=signal, weight=2.0),
            ]
        )


def test_a_factor_named_like_a_term_is_rejected() -> None:
    with pytest.raises(SpecError, match="twice"):
        Scorer(
            terms=[Term(name="x", signal=Interactions(), weight=1.0)],
            factors=[Factor(name="x", signal=ExponentialDecay())],
        )
    with pytest.raises(SpecError, match="twice"):
        Scorer(
            terms=[Term(name="x", signal=Interactions(), weight=1.0)],
            factors=[
                Factor(name="d", signal=ExponentialDecay()),
                Factor(name="d", signal=GravityDecay()),
            ],
        )


def test_at_least_one_term_is_required() -> None:
    with pytest.raises(SpecError):
        Scorer(terms=[])
    with pytest.raises(SpecError):
        Scorer(terms=[], factors=[Factor(name="d", signal=ExponentialDecay())])


@pytest.mark.parametrize("name", ["", "has space", "1starts_with_digit", "x" * 65, "a/b"])
def test_invalid_part_names_are_rejected(name: str) -> None:
    with pytest.raises(SpecError):
        Term(name=name, signal=Interactions(), weight=1.0)


@pytest.mark.parametrize("weight", [float("nan"), float("inf"), "1.0"])
def test_invalid_weights_are_rejected(weight: object) -> None:
    with pytest.raises(SpecError):
        Term(name="t", signal=Interactions(), weight=weight)


def test_scorer_round_trips_through_a_spec_with_why() -> None:
    scorer = Scorer(
        terms=[Term(name="likes", signal=Interactions(), weight=0.5, why="X fav weight")],
        factors=[Factor(name="oon", signal=InNetwork(false_value=0.75), why="X 2023")],
    )
    pipe = fr.Pipeline(name="p", scorer=scorer)
    again = fr.load_spec(fr.dump_spec(pipe, "toml"), format="toml")
    assert again.scorer == scorer
    assert again.scorer.terms[0].why == "X fav weight"


def test_empty_batch_scores_to_empty_tables() -> None:
    batch = fr.PostBatch.empty()
    scorer = Scorer(
        terms=[
            Term(name="likes", signal=Interactions(transform="log1p"), weight=1.0),
            Term(name="f", signal=Feature(name="q"), weight=1.0),
        ],
        factors=[Factor(name="g", signal=GravityDecay(offset_hours=0.0))],
    )
    table = scorer.score(batch, fr.Context.build(batch, now=NOW))
    assert table.inputs.shape == (0, 2)
    assert table.contributions.shape == (0, 2)
    assert table.factors.shape == (0, 1)
    assert table.scores.shape == (0,)


def test_combine_is_row_sum_times_row_product() -> None:
    contributions = np.array([[1.0, 2.0, -0.5], [0.0, 0.0, 0.0], [-1.0, 4.0, 1.0]])
    factors = np.array([[0.5, 2.0], [3.0, 3.0], [0.25, 1.0]])
    assert combine(contributions, factors).tolist() == [2.5, 0.0, 1.0]
    assert combine(contributions, np.zeros((3, 0))).tolist() == [2.5, 0.0, 4.0]


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n=st.integers(0, 25),
    weights=st.lists(st.floats(-100, 100, allow_nan=False), min_size=1, max_size=4),
    n_factors=st.integers(0, 3),
)
def test_scores_decompose_exactly(
    data: st.DataObject, n: int, weights: list[float], n_factors: int
) -> None:
    column = st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=n, max_size=n)
    factor_column = st.lists(st.floats(0, 10, allow_nan=False), min_size=n, max_size=n)
    xs = {f"x{j}": data.draw(column) for j in range(len(weights))}
    fs = {f"f{j}": data.draw(factor_column) for j in range(n_factors)}
    batch = fr.PostBatch.from_columns(
        ids=np.array([f"p{i}" for i in range(n)], dtype=np.str_) if n else np.zeros(0, dtype="U1"),
        author_ids=np.array(["a"] * n, dtype=np.str_) if n else np.zeros(0, dtype="U1"),
        created_at=np.zeros(n, dtype=np.int64),
        features={
            **{k: np.array(v) for k, v in xs.items()},
            **{k: np.array(v) for k, v in fs.items()},
        },
    )
    scorer = Scorer(
        terms=[
            Term(name=k, signal=Feature(name=k), weight=w) for k, w in zip(xs, weights, strict=True)
        ],
        factors=[Factor(name=k, signal=Feature(name=k)) for k in fs],
    )
    table = scorer.score(batch, fr.Context.build(batch, now=NOW))
    for i in range(n):
        contribs = [weights[j] * xs[f"x{j}"][i] for j in range(len(weights))]
        assert table.contributions[i].tolist() == contribs
        prod = math.prod(fs[k][i] for k in fs)
        expected = math.fsum(contribs) * prod
        assert table.scores[i] == pytest.approx(expected, rel=1e-9, abs=1e-9 * (1 + abs(prod)))
    np.testing.assert_array_equal(
        table.scores, table.contributions.sum(axis=1) * table.factors.prod(axis=1)
    )


def test_round_digits_rounds_exactly_like_python() -> None:
    """Reddit's hot is round(x, 7); the scorer must agree with Python on every value."""
    from feedrank.stages.scoring import round_like_python

    rng = np.random.default_rng(3)
    values = np.concatenate(
        [
            rng.normal(0, 1e4, 20_000),
            np.round(rng.normal(0, 100, 20_000), 8) + 5e-8,  # exact half-way cases
            np.array([2.675, 0.125, -0.125, 1e300, -0.0]),
        ]
    )
    expected = np.array([round(float(v), 7) for v in values])
    assert np.array_equal(round_like_python(values, 7), expected)


def test_scorer_round_digits_applies_to_final_scores() -> None:
    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    posts = [
        fr.Post(id=f"p{i}", author_id="a", created_at=t, features={"x": v})
        for i, v in enumerate([1.23456789, 2.5e-8, -0.33333333])
    ]
    batch = fr.PostBatch.from_posts(posts)
    scorer = fr.Scorer(
        terms=[fr.Term(name="x", signal=Feature(name="x"), weight=1.0)], round_digits=7
    )
    table = scorer.score(batch, fr.Context.build(batch, now=t))
    assert table.scores.tolist() == [round(v, 7) for v in (1.23456789, 2.5e-8, -0.33333333)]
