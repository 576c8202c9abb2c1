"""Quality signals: the Wilson lower bound (Reddit "best") and smoothed engagement rates."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr
from feedrank.errors import SpecError
from feedrank.stages.signals import EngagementRate, WilsonLowerBound

UTC = timezone.utc
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
Z = 1.281551565545


def batch_with(
    counts: list[dict[str, int]], authors: list[str] | None = None, known: list[fr.Author] = ()
) -> tuple[fr.PostBatch, fr.Context]:
    authors = authors or ["a"] * len(counts)
    posts = [
        fr.Post(id=f"p{i}", author_id=authors[i], created_at=NOW, counts=c)
        for i, c in enumerate(counts)
    ]
    batch = fr.PostBatch.from_posts(posts, list(known))
    return batch, fr.Context.build(batch, now=NOW)


def wilson(ups: float, downs: float, z: float = Z) -> float:
    """Reddit's confidence(), straight from REFERENCES.md."""
    n = ups + downs
    if n == 0:
        return 0.0
    p = ups / n
    return (p + z * z / (2 * n) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (
        1 + z * z / n
    )


def test_wilson_worked_values_from_the_references() -> None:
    batch, ctx = batch_with([{"upvote": 1}, {"upvote": 10}, {}])
    got = WilsonLowerBound().compute(batch, ctx)
    assert round(float(got[0]), 6) == 0.378448
    assert round(float(got[1]), 6) == 0.858931
    assert got[2] == 0.0


@pytest.mark.parametrize(
    ("ups", "downs"), [(1, 1), (0, 5), (7, 3), (100, 1), (3, 300), (1, 0), (50, 50), (0, 1)]
)
def test_wilson_matches_the_formula(ups: int, downs: int) -> None:
    batch, ctx = batch_with([{"upvote": ups, "downvote": downs}])
    got = float(WilsonLowerBound().compute(batch, ctx)[0])
    assert got == pytest.approx(wilson(ups, downs), rel=1e-12, abs=1e-15)


def test_wilson_with_other_kinds_and_z() -> None:
    counts = [{"like": 8, "repost": 2, "hide": 1, "report": 1}, {"like": 3}, {"hide": 4}]
    batch, ctx = batch_with(counts)
    signal = WilsonLowerBound(positive=("like", "repost"), negative=("hide", "report"), z=1.96)
    got = signal.compute(batch, ctx)
    np.testing.assert_allclose(
        got, [wilson(10, 2, 1.96), wilson(3, 0, 1.96), wilson(0, 4, 1.96)], rtol=1e-12, atol=1e-15
    )


def test_wilson_rejects_a_non_positive_z() -> None:
    with pytest.raises(SpecError):
        WilsonLowerBound(z=0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 5000)), min_size=1, max_size=20))
def test_wilson_is_the_formula_and_a_lower_bound_of_the_share(
    votes: list[tuple[int, int]],
) -> None:
    batch, ctx = batch_with([{"upvote": u, "downvote": d} for u, d in votes])
    got = WilsonLowerBound().compute(batch, ctx)
    np.testing.assert_allclose(got, [wilson(u, d) for u, d in votes], rtol=1e-9, atol=1e-12)
    for value, (u, d) in zip(got.tolist(), votes, strict=True):
        assert value >= -1e-12
        assert value <= (u / (u + d) if u + d else 0.0) + 1e-12


def test_engagement_rate_default_is_likes_per_view_with_a_prior_of_ten_views() -> None:
    counts = [{"like": 5, "view": 90}, {"view": 10}, {"like": 1, "view": 1}]
    batch, ctx = batch_with(counts)
    got = EngagementRate().compute(batch, ctx)
    expected = [c.get("like", 0) / (c["view"] + 10) for c in counts]
    np.testing.assert_allclose(got, expected, rtol=1e-15)


def test_engagement_rate_without_a_view_count_is_the_prior_rate_whatever_the_likes() -> None:
    counts = [{"like": 3}, {"like": 1_000_000, "repost": 50_000}, {}, {"like": 9, "view": 80}]
    batch, ctx = batch_with(counts)
    signal = EngagementRate(
        weights={"like": 1.0, "repost": 1.0}, prior_rate=0.05, prior_strength=20
    )
    got = signal.compute(batch, ctx)
    assert got.tolist() == [0.05, 0.05, 0.05, pytest.approx((9 + 1) / 100, rel=1e-15)]
    notes = signal.notes(batch, ctx)
    assert notes is not None
    assert notes.tolist() == ["no view count: the prior rate 0.05"] * 3 + [""]
    assert "0.05 without a view count" in signal.describe()


def test_engagement_rate_can_require_its_base() -> None:
    batch, ctx = batch_with([{"like": 2, "view": 30}, {"like": 4}])
    with pytest.raises(fr.RankingError) as info:
        EngagementRate(missing_base="error").compute(batch, ctx)
    assert info.value.post_id == "p1"
    assert info.value.field == "counts"
    assert "no view count" in str(info.value)
    assert "every post needs a view count" in EngagementRate(missing_base="error").describe()


def test_engagement_rate_with_weights_and_a_prior_rate() -> None:
    counts = [{"like": 5, "repost": 2, "view": 80}, {"view": 3}, {"click": 4, "view": 4}]
    batch, ctx = batch_with(counts)
    signal = EngagementRate(
        weights={"like": 1.0, "repost": 2.0}, prior_rate=0.05, prior_strength=20
    )
    got = signal.compute(batch, ctx)
    expected = [
        (c.get("like", 0) + 2 * c.get("repost", 0) + 0.05 * 20) / (c["view"] + 20) for c in counts
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-15)


def test_engagement_rate_per_click_base() -> None:
    counts = [{"reply": 3, "click": 7}, {"reply": 1}]
    batch, ctx = batch_with(counts)
    signal = EngagementRate(weights={"reply": 1.0}, base="click", prior_strength=1)
    np.testing.assert_allclose(signal.compute(batch, ctx), [3 / 8, 0.0], rtol=1e-15)
    notes = signal.notes(batch, ctx)
    assert notes is not None
    assert notes.tolist() == ["", "no click count: the prior rate 0"]


def test_engagement_rate_per_follower() -> None:
    known = [fr.Author(id="ann", followers=990), fr.Author(id="bob", followers=0)]
    batch, ctx = batch_with([{"like": 40}, {"like": 2}], ["ann", "bob"], known)
    got = EngagementRate(base="followers").compute(batch, ctx)
    np.testing.assert_allclose(got, [40 / 1000, 2 / 10], rtol=1e-15)


def test_engagement_rate_per_follower_of_an_unknown_author() -> None:
    known = [fr.Author(id="ann", followers=990)]
    batch, ctx = batch_with([{"like": 1}, {"like": 2}, {}], ["ann", "zed", "zed"], known)
    signal = EngagementRate(base="followers", prior_rate=0.01)
    np.testing.assert_allclose(signal.compute(batch, ctx), [1.1 / 1000, 0.01, 0.01])
    notes = signal.notes(batch, ctx)
    assert notes is not None
    assert notes.tolist() == ["", *["no known follower count: the prior rate 0.01"] * 2]
    with pytest.raises(fr.RankingError) as info:
        EngagementRate(base="followers", missing_base="error").compute(batch, ctx)
    assert info.value.post_id == "p1"
    assert info.value.field == "author_followers"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"prior_strength": 0},
        {"prior_strength": -1},
        {"prior_rate": -0.1},
        {"weights": {}},
        {"base": "likes"},
        {"missing_base": "zero"},
    ],
)
def test_engagement_rate_rejects_invalid_parameters(kwargs: dict[str, object]) -> None:
    with pytest.raises(SpecError):
        EngagementRate(**kwargs)
