"""Interactions: weighted counts with linear, log1p and signed_log10 (Reddit) transforms."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr
from feedrank.errors import SpecError
from feedrank.stages.scoring import Scorer, Term
from feedrank.stages.signals import Interactions, Timestamp

UTC = timezone.utc
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def batch_with(counts: list[dict[str, int]]) -> tuple[fr.PostBatch, fr.Context]:
    posts = [
        fr.Post(id=f"p{i}", author_id="a", created_at=NOW, counts=c) for i, c in enumerate(counts)
    ]
    batch = fr.PostBatch.from_posts(posts)
    return batch, fr.Context.build(batch, now=NOW)


COUNTS = [
    {"like": 9, "repost": 5, "reply": 1},
    {},
    {"like": 1},
    {"reply": 4, "view": 1000},
    {"like": 120, "repost": 3, "quote": 7},
]


def test_default_is_the_like_count() -> None:
    batch, ctx = batch_with(COUNTS)
    assert Interactions().compute(batch, ctx).tolist() == [9.0, 0.0, 1.0, 0.0, 120.0]


def test_linear_is_the_weighted_sum_of_counts() -> None:
    weights = {"like": 0.5, "repost": 1.0, "reply": 13.5, "quote": 2.0}
    batch, ctx = batch_with(COUNTS)
    got = Interactions(weights=weights).compute(batch, ctx)
    expected = [sum(w * c.get(k, 0) for k, w in weights.items()) for c in COUNTS]
    assert got.dtype == np.float64
    assert got.tolist() == expected  # small integers times exact binary fractions


def test_log1p_is_natural_log_of_one_plus_the_sum() -> None:
    weights = {"like": 1.0, "repost": 2.0}
    batch, ctx = batch_with(COUNTS)
    got = Interactions(weights=weights, transform="log1p").compute(batch, ctx)
    expected = [math.log(1 + c.get("like", 0) + 2 * c.get("repost", 0)) for c in COUNTS]
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    assert got[1] == 0.0


@pytest.mark.parametrize(
    ("ups", "downs", "expected"),
    [
        (10, 0, 1.0),
        (0, 10, -1.0),
        (5, 5, 0.0),
        (1, 0, 0.0),
        (0, 1, 0.0),
        (0, 0, 0.0),
        (1000, 1, math.log10(999)),
        (3, 50, -math.log10(47)),
        (101, 1, 2.0),
    ],
)
def test_signed_log10_is_reddits_vote_term(ups: int, downs: int, expected: float) -> None:
    batch, ctx = batch_with([{"upvote": ups, "downvote": downs}])
    got = Interactions(weights={"upvote": 1, "downvote": -1}, transform="signed_log10").compute(
        batch, ctx
    )
    assert got[0] == pytest.approx(expected, rel=1e-15, abs=0)


def test_reddit_hot_worked_values_from_two_terms() -> None:
    # hot = sign(s)·log10(max(|s|, 1)) + (created - 1134028003) / 45000
    t0 = datetime.fromtimestamp(1134028003, tz=UTC)
    posts = [
        fr.Post(id="a", author_id="x", created_at=t0, counts={"upvote": 1}),
        fr.Post(
            id="b", author_id="x", created_at=t0 + timedelta(seconds=45000), counts={"upvote": 10}
        ),
        fr.Post(id="c", author_id="x", created_at=t0, counts={"upvote": 2, "downvote": 102}),
    ]
    batch = fr.PostBatch.from_posts(posts)
    scorer = Scorer(
        terms=[
            Term(
                name="votes",
                signal=Interactions(
                    weights={"upvote": 1, "downvote": -1}, transform="signed_log10"
                ),
                weight=1.0,
            ),
            Term(name="time", signal=Timestamp(origin=1134028003, scale=45000), weight=1.0),
        ]
    )
    scores = scorer.score(batch, fr.Context.build(batch, now=NOW)).scores
    assert [round(float(s), 7) for s in scores] == [0.0, 2.0, -2.0]


def test_log1p_of_a_negative_weighted_count_raises_naming_the_post() -> None:
    batch, ctx = batch_with([{"like": 5}, {"like": 1, "hide": 3}, {"hide": 9}])
    signal = Interactions(weights={"like": 1, "hide": -1}, transform="log1p")
    with pytest.raises(fr.RankingError) as info:
        signal.compute(batch, ctx)
    assert info.value.post_id == "p1"
    assert "'p1'" in str(info.value)


def test_signed_log10_accepts_negative_sums() -> None:
    batch, ctx = batch_with([{"hide": 100}])
    signal = Interactions(weights={"hide": -1}, transform="signed_log10")
    assert signal.compute(batch, ctx).tolist() == [-2.0]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"weights": {}},
        {"weights": {"lik": 1.0}},
        {"transform": "sqrt"},
        {"weights": {"like": float("inf")}},
        {"weights": {"like": "1"}},
    ],
)
def test_invalid_parameters_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(SpecError):
        Interactions(**kwargs)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {k: st.integers(0, 10_000) for k in ("like", "repost", "reply", "upvote", "downvote")}
        ),
        min_size=1,
        max_size=15,
    ),
    weights=st.dictionaries(
        st.sampled_from(("like", "repost", "reply", "upvote", "downvote")),
        st.integers(-20, 20).map(lambda k: k / 4),
        min_size=1,
    ),
)
def test_transforms_match_their_formulas(
    rows: list[dict[str, int]], weights: dict[str, float]
) -> None:
    batch, ctx = batch_with(rows)
    x = [sum(w * r[k] for k, w in weights.items()) for r in rows]
    linear = Interactions(weights=weights).compute(batch, ctx)
    np.testing.assert_allclose(linear, x, rtol=1e-12, atol=1e-9)
    signed = Interactions(weights=weights, transform="signed_log10").compute(batch, ctx)
    expected = [math.copysign(math.log10(max(abs(v), 1.0)), v) if v else 0.0 for v in x]
    np.testing.assert_allclose(signed, expected, rtol=1e-12, atol=1e-12)
    if all(v >= 0 for v in x):
        logged = Interactions(weights=weights, transform="log1p").compute(batch, ctx)
        np.testing.assert_allclose(logged, [math.log1p(v) for v in x], rtol=1e-12)
    else:
        with pytest.raises(fr.RankingError):
            Interactions(weights=weights, transform="log1p").compute(batch, ctx)
