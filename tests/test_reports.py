"""Audit reports: influence, exposure and concentration, amplification."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr
from feedrank.audit.reports import amplification, exposure, gini, influence, position_weights
from feedrank.datasets import simulate_demo
from feedrank.stages.scoring import Scorer, Term
from feedrank.stages.signals import Interactions
from tests.strategies import NOW


@pytest.fixture(scope="module")
def feeds() -> tuple[list[fr.Ranking], list[fr.Ranking], dict[str, str]]:
    net = simulate_demo()
    batch = net.batch()
    groups = {a.id: a.attributes["group"] for a in net.authors}
    treat, control = [], []
    for viewer in net.viewers:
        ctx = net.context(viewer.id, batch)
        treat.append(fr.preset("balanced").rank(batch, ctx, limit=10))
        control.append(fr.preset("chronological").rank(batch, ctx, limit=10))
    return treat, control, groups


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=30))
def test_gini_matches_the_recbole_formula(values: list[float]) -> None:
    x = sorted(values)
    n, total = len(x), sum(x)
    expected = (
        0.0 if total == 0 else sum((2 * (i + 1) - n - 1) * v for i, v in enumerate(x)) / (n * total)
    )
    assert gini(np.array(values)) == pytest.approx(expected, abs=1e-12)


def test_position_weights() -> None:
    assert position_weights(np.arange(1, 5)).tolist() == [1 / math.log2(1 + r) for r in range(1, 5)]


def test_exposure_by_author_and_group_is_the_position_weighted_count(feeds) -> None:  # type: ignore[no-untyped-def]
    treat, _, groups = feeds
    report = exposure(treat, groups)
    expected: dict[str, float] = {}
    for ranking in treat:
        for rank, pid in zip(ranking.ranks.tolist(), ranking.post_ids, strict=True):
            author = str(ranking.candidates.author_ids[ranking.candidates.index_of([pid])[0]])
            expected[author] = expected.get(author, 0.0) + 1 / math.log2(1 + rank)
    for author, value in report.by_author.items():
        assert value == pytest.approx(expected.get(author, 0.0), rel=1e-12)
    total = sum(expected.values())
    assert sum(report.by_group.values()) == pytest.approx(total)
    assert sum(report.share_by_group.values()) == pytest.approx(1.0)
    shares = [v / total for v in report.by_author.values()]
    assert report.hhi == pytest.approx(sum(s * s for s in shares))
    assert report.effective_authors == pytest.approx(1 / report.hhi)
    assert 0.0 <= report.gini <= 1.0
    assert any(v == 0.0 for v in report.by_author.values()), "unseen authors count with zero"


def test_amplification_follows_huszar(feeds) -> None:  # type: ignore[no-untyped-def]
    treat, control, groups = feeds
    result = amplification(treat, control, groups)

    def reached(rankings: list[fr.Ranking], group: str) -> int:
        count = 0
        for ranking in rankings:
            rows = ranking.candidates.index_of(ranking.post_ids)
            authors = ranking.candidates.author_ids[rows].tolist()
            count += any(groups.get(a) == group for a in authors)
        return count

    for group in set(groups.values()):
        t, c = reached(treat, group), reached(control, group)
        assert result[group].reached_treatment == t
        assert result[group].reached_control == c
        assert result[group].percent == pytest.approx(((t + 1) / (c + 1) - 1) * 100)


def test_amplification_of_identical_feeds_is_zero(feeds) -> None:  # type: ignore[no-untyped-def]
    _, control, groups = feeds
    assert all(a.percent == 0.0 for a in amplification(control, control, groups).values())


def test_influence_shares_sum_to_one_and_zero_weight_terms_do_nothing(feeds) -> None:  # type: ignore[no-untyped-def]
    treat, _, _ = feeds
    result = influence(treat[:5])
    assert sum(r.share for r in result) == pytest.approx(1.0)
    data = fr.preset("balanced").algorithm_spec()  # the algorithm without its menu
    data["scorer"]["terms"][0]["weight"] = 0.0
    zeroed = fr.load_spec(data)
    net = simulate_demo()
    batch = net.batch()
    rankings = [zeroed.rank(batch, net.context(v.id, batch)) for v in net.viewers[:3]]
    first = influence(rankings)[0]
    assert first.share == 0.0
    assert first.kendall_tau == pytest.approx(1.0)
    with pytest.raises(fr.InputError):
        influence([])
    with pytest.raises(fr.InputError, match="different specs"):
        influence([treat[0], rankings[0]])


def test_position_weighted_amplification_is_the_ratio_of_mean_exposure(feeds) -> None:  # type: ignore[no-untyped-def]
    treat, control, groups = feeds
    result = amplification(treat, control, groups, paired=True)

    def mean_exposure(rankings: list[fr.Ranking], group: str) -> float:
        total = 0.0
        for ranking in rankings:
            rows = ranking.candidates.index_of(ranking.post_ids)
            authors = ranking.candidates.author_ids[rows].tolist()
            total += sum(
                1 / math.log2(1 + rank)
                for rank, a in enumerate(authors, 1)
                if groups.get(a, "unknown") == group
            )
        return total / len(rankings)

    moved = False
    for group, amp in result.items():
        t, c = mean_exposure(treat, group), mean_exposure(control, group)
        assert amp.exposure_treatment == pytest.approx(t)
        assert amp.exposure_control == pytest.approx(c)
        assert amp.position_weighted == pytest.approx((t / c - 1) * 100)
        lo, hi = amp.position_weighted_interval
        assert lo <= amp.position_weighted <= hi
        lo, hi = amp.reach_interval
        assert lo <= amp.percent <= hi
        moved |= abs(amp.position_weighted) > 1.0
    assert moved, "the demo feeds move exposure between groups"
    again = amplification(treat, control, groups, paired=True)
    assert again == result  # the bootstrap is seeded


def test_reach_alone_misses_what_position_weighting_sees() -> None:
    """Both groups are on every page, so reach reads 0 %; the treatment serves group
    a on top and the control serves it last, and position weighting says so."""
    t0 = fr.Post(id="x", author_id="a1", created_at=NOW - timedelta(hours=1), counts={"like": 9})
    posts = [
        t0,
        *(
            fr.Post(id=f"y{i}", author_id="b1", created_at=NOW - timedelta(minutes=i))
            for i in range(3)
        ),
    ]
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(batch, now=NOW)
    likes = fr.Pipeline(
        name="likes",
        scorer=Scorer(terms=[Term(name="likes", signal=Interactions(), weight=1.0)]),
    )
    treat = [likes.rank(batch, ctx)] * 4
    control = [fr.preset("chronological").rank(batch, ctx)] * 4
    result = amplification(treat, control, {"a1": "a", "b1": "b"}, paired=True)
    assert result["a"].percent == 0.0
    assert result["b"].percent == 0.0
    assert result["a"].position_weighted > 50.0
    assert result["b"].position_weighted < 0.0
