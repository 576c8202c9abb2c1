"""Explanations and comparisons: views of exactly what the ranker computed."""

from __future__ import annotations

import itertools
import json
import math
from datetime import timedelta

import pytest
from hypothesis import given, settings

import feedrank as fr
from feedrank.stages.filters import Seen
from feedrank.stages.rerank import AuthorDiversity, NetworkCaps
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals import ExponentialDecay, InNetwork, Interactions, WilsonLowerBound
from tests.strategies import NOW, Feed, feeds, rich_pipeline

HOUR = timedelta(hours=1)


def pipeline(*rerankers: fr.Reranker) -> fr.Pipeline:
    return fr.Pipeline(
        name="explained",
        filters=(Seen(),),
        scorer=Scorer(
            terms=(
                Term(name="likes", signal=Interactions(), weight=0.5, why="a like is cheap"),
                Term(
                    name="replies",
                    signal=Interactions(weights={"reply": 1}),
                    weight=13.5,
                    why="X 2023 reply weight",
                ),
                Term(name="hides", signal=Interactions(weights={"hide": 1}), weight=-2.0),
                Term(name="best", signal=WilsonLowerBound(), weight=0.0),
            ),
            factors=(
                Factor(
                    name="out_of_network",
                    signal=InNetwork(false_value=0.75),
                    why="prefer followed authors",
                ),
                Factor(name="fresh", signal=ExponentialDecay(half_life_hours=6)),
            ),
        ),
        rerankers=rerankers or (AuthorDiversity(),),
    )


POSTS = [
    fr.Post(id="f1", author_id="friend", created_at=NOW, counts={"like": 10, "reply": 1}),
    fr.Post(
        id="f2",
        author_id="friend",
        created_at=NOW - 6 * HOUR,
        counts={"like": 40, "hide": 2},
    ),
    fr.Post(id="s1", author_id="stranger", created_at=NOW, counts={"like": 20}),
    fr.Post(id="s2", author_id="other", created_at=NOW - 12 * HOUR, counts={"reply": 2}),
    fr.Post(id="gone", author_id="friend", created_at=NOW, counts={"like": 1000}),
]
VIEWER = fr.Viewer(id="v", follows={"friend"}, seen={"gone"})


def ranked(pipe: fr.Pipeline | None = None) -> fr.Ranking:
    batch = fr.PostBatch.from_posts(POSTS)
    return (pipe or pipeline()).rank(batch, fr.Context.build(batch, now=NOW, viewer=VIEWER))


def test_explanation_of_a_ranked_post() -> None:
    ranking = ranked()
    # base: f1 5 + 13.5 = 18.5; f2 (20 - 4) · 0.5 = 8 then × 0.625 = 5;
    # s1 10 · 0.75 = 7.5; s2 27 · 0.75 · 0.25 = 5.0625
    assert ranking.all_post_ids == ["f1", "s1", "s2", "f2"]
    e = ranking.explain("f2")
    assert e.post_id == "f2"
    assert e.rank == 4
    assert e.removed_by is None
    assert e.spec_fingerprint == ranking.fingerprint == pipeline().fingerprint
    assert e.score == pytest.approx(16.0 * 0.5 * 0.625, rel=1e-12)
    assert [t.name for t in e.terms] == ["likes", "replies", "hides", "best"]
    assert [t.signal for t in e.terms] == ["interactions"] * 3 + ["wilson"]
    assert [t.input for t in e.terms] == [40.0, 0.0, 2.0, 0.0]
    assert [t.weight for t in e.terms] == [0.5, 13.5, -2.0, 0.0]
    assert [t.contribution for t in e.terms] == [20.0, 0.0, -4.0, 0.0]
    assert [t.share for t in e.terms] == pytest.approx([20 / 24, 0.0, 4 / 24, 0.0])
    assert [t.why for t in e.terms][:2] == ["a like is cheap", "X 2023 reply weight"]
    assert e.terms[0].reads == ("counts",)
    assert e.base_score == 16.0
    assert [(f.name, f.value) for f in e.factors] == [
        ("out_of_network", 1.0),
        ("fresh", pytest.approx(0.5, rel=1e-12)),
        ("author_diversity", 0.625),
    ]
    assert e.factors[0].why == "prefer followed authors"
    assert e.score == pytest.approx(e.base_score * math.prod(f.value for f in e.factors))
    assert e.moves == (fr.Move("f2", "author_diversity", 1, 3, "author_diversity"),)


def test_explanation_shares_sum_to_one_or_are_all_zero() -> None:
    ranking = ranked()
    for pid in ranking.all_post_ids:
        shares = [t.share for t in ranking.explain(pid).terms]
        assert sum(shares) == pytest.approx(1.0, rel=1e-12)
    zero = fr.Post(id="z", author_id="nobody", created_at=NOW)
    batch = fr.PostBatch.from_posts([zero])
    r = pipeline().rank(batch, fr.Context.build(batch, now=NOW))
    assert [t.share for t in r.explain("z").terms] == [0.0] * 4


def test_explanation_of_a_removed_post() -> None:
    e = ranked().explain("gone")
    assert e.rank is None
    assert e.score is None
    assert e.removed_by == "seen"
    assert e.terms == ()
    assert e.factors == ()
    assert e.moves == ()
    assert "gone" in e.to_text()
    assert "seen" in e.to_text()
    assert "seen" in e.to_markdown()


def test_explanation_of_an_unknown_post_raises() -> None:
    with pytest.raises(fr.RankingError) as info:
        ranked().explain("never")
    assert info.value.post_id == "never"


def test_explanation_renders() -> None:
    e = ranked().explain("f1")
    data = e.to_dict()
    assert json.loads(e.to_json()) == json.loads(json.dumps(data))
    assert data["post_id"] == "f1"
    assert data["rank"] == 1
    assert [t["name"] for t in data["terms"]] == ["likes", "replies", "hides", "best"]
    text = e.to_text()
    assert text.startswith("#1 f1")
    assert "replies" in text
    md = e.to_markdown()
    assert "`f1`" in md
    assert "| replies |" in md


def test_factor_descriptions_belong_to_their_own_factor() -> None:
    # NetworkCaps adds no factor column, AuthorDiversity does: the description of
    # the author_diversity column must be AuthorDiversity's, not NetworkCaps'.
    ranking = ranked(pipeline(NetworkCaps(max_in_network=5), AuthorDiversity()))
    assert ranking.factor_names == ("out_of_network", "fresh", "author_diversity")
    factors = {f.name: f for f in ranking.explain("f2").factors}
    assert "follows" in factors["out_of_network"].description
    assert "6 h" in factors["fresh"].description
    assert factors["author_diversity"].description.startswith("Author diversity")
    assert "followed" not in factors["author_diversity"].description


def test_moves_in_explanations_match_positions() -> None:
    ranking = ranked(pipeline(AuthorDiversity(), NetworkCaps(max_out_of_network=1)))
    # scored: f1 18.5, f2 8, s1 7.5, s2 5.0625; after diversity f2 has 5 and drops
    # below s1 and s2; then s2, the 2nd post from an unfollowed author, is capped
    assert ranking.all_post_ids == ["f1", "s1", "f2", "s2"]
    assert ranking.explain("s2").moves == (
        fr.Move("s2", "author_diversity", 3, 2, "shifted_by:author_diversity"),
        fr.Move("s2", "network_caps", 2, 3, "out_of_network_cap:1"),
    )
    assert ranking.explain("f2").moves == (
        fr.Move("f2", "author_diversity", 1, 3, "author_diversity"),
        fr.Move("f2", "network_caps", 3, 2, "shifted_by:network_caps"),
    )
    for pid in ranking.all_post_ids:
        moves = ranking.explain(pid).moves
        if moves:
            assert moves[-1].after == ranking.position(pid)


def test_comparison_decomposes_the_gap_exactly() -> None:
    ranking = ranked()
    c = ranking.compare("f1", "s2")
    assert c.a == "f1"
    assert c.b == "s2"
    assert c.score_a == pytest.approx(18.5, rel=1e-12)
    assert c.score_b == pytest.approx(27 * 0.75 * 0.25, rel=1e-12)
    assert c.gap == c.score_a - c.score_b
    fb = 0.75 * 0.25 * 1.0  # s2's factors
    assert c.by_term == pytest.approx(
        {"likes": 5.0 * fb, "replies": (13.5 - 27) * fb, "hides": 0.0, "best": 0.0}, rel=1e-12
    )
    # telescoping: factor j counts S_a · Π_{i<j} f_a,i · (f_a,j − f_b,j) · Π_{i>j} f_b,i
    s_a = 18.5
    assert c.by_factor == pytest.approx(
        {
            "out_of_network": s_a * (1.0 - 0.75) * 0.25 * 1.0,
            "fresh": s_a * 1.0 * (1.0 - 0.25) * 1.0,
            "author_diversity": 0.0,
        },
        rel=1e-12,
        abs=1e-15,
    )
    total = sum(c.by_term.values()) + sum(c.by_factor.values())
    assert total == pytest.approx(c.gap, rel=1e-9)
    data = c.to_dict()
    assert data["gap"] == c.gap
    assert "gap" in c.to_text()


def test_comparison_with_itself_is_all_zero() -> None:
    c = ranked().compare("s1", "s1")
    assert c.gap == 0.0
    assert set(c.by_term.values()) | set(c.by_factor.values()) <= {0.0}


def test_comparison_needs_two_ranked_posts() -> None:
    ranking = ranked()
    with pytest.raises(fr.RankingError) as info:
        ranking.compare("f1", "gone")
    assert info.value.post_id == "gone"
    with pytest.raises(fr.RankingError):
        ranking.compare("never", "f1")


@settings(max_examples=50, deadline=None)
@given(feed=feeds(min_size=2, max_size=25))
def test_every_comparison_sums_to_the_gap_and_explanations_reproduce_scores(feed: Feed) -> None:
    ranking = rich_pipeline().rank(feed.batch, feed.ctx, limit=10_000)
    ids = ranking.all_post_ids
    for pid in ids:
        e = ranking.explain(pid)
        assert e.rank == ids.index(pid) + 1
        product = math.prod(f.value for f in e.factors)
        assert e.score == pytest.approx(e.base_score * product, rel=1e-9, abs=1e-300)
        assert [t.contribution for t in e.terms] == pytest.approx(
            [t.weight * t.input for t in e.terms], rel=1e-12
        )
    for pid, reason in ranking.removed().items():
        assert ranking.explain(pid).removed_by == reason
    for a, b in itertools.islice(itertools.permutations(ids, 2), 30):
        c = ranking.compare(a, b)
        total = math.fsum([*c.by_term.values(), *c.by_factor.values()])
        scale = max(abs(c.score_a), abs(c.score_b), 1e-300)
        assert abs(total - c.gap) <= 1e-9 * scale
