"""Pipeline.rank and the Ranking it returns: filters, removed posts, ties, pages,
to_dict, and errors."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any

import numpy as np
import pytest

import feedrank as fr
from feedrank.errors import SpecError
from feedrank.stages.filters import BlockedAuthors, Labels, MaxAge, MutedWords, Seen
from feedrank.stages.rerank import AuthorDiversity, NetworkCaps
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals import ExponentialDecay, Feature, InNetwork, Interactions
from tests.strategies import ADULT_POLICY, NOW, rich_pipeline, simple_pipeline

HOUR = timedelta(hours=1)


def likes_posts() -> list[fr.Post]:
    return [
        fr.Post(id="p0", author_id="ann", created_at=NOW - 1 * HOUR, counts={"like": 4}),
        fr.Post(id="p1", author_id="bob", created_at=NOW - 2 * HOUR, counts={"like": 9}),
        fr.Post(id="p2", author_id="cy", created_at=NOW - 50 * HOUR, counts={"like": 99}),
        fr.Post(id="p3", author_id="dee", created_at=NOW, counts={"like": 1}, labels=("nsfw",)),
        fr.Post(id="p4", author_id="eve", created_at=NOW - 3 * HOUR, counts={"like": 7}),
        fr.Post(id="p5", author_id="ann", created_at=NOW, text="a Cat!", counts={"like": 50}),
    ]


def filtered_pipeline() -> fr.Pipeline:
    return simple_pipeline(
        filters=(
            Seen(),
            MaxAge(hours=48),
            Labels(exclude=("nsfw",), policy=ADULT_POLICY),
            MutedWords(),
        )
    )


def rank(
    pipe: fr.Pipeline, posts: list[fr.Post], viewer: fr.Viewer | None = None, **kw: Any
) -> fr.Ranking:
    batch = fr.PostBatch.from_posts(posts)
    return pipe.rank(batch, fr.Context.build(batch, now=NOW, viewer=viewer), **kw)


def test_filters_then_score_order_and_removed_reasons() -> None:
    viewer = fr.Viewer(id="v", seen={"p4"}, muted_words=("cat",))
    ranking = rank(filtered_pipeline(), likes_posts(), viewer)
    assert ranking.post_ids == ["p1", "p0"]
    assert ranking.all_post_ids == ["p1", "p0"]
    assert ranking.page_scores.tolist() == [9.0, 4.0]
    assert ranking.removed() == {
        "p2": "older_than:48h",
        "p3": "label:nsfw",
        "p4": "seen",
        "p5": "muted_word",
    }
    assert ranking.ranks.tolist() == [1, 2]
    assert len(ranking) == 2


def test_a_post_removed_by_several_filters_keeps_the_first_reason() -> None:
    posts = [fr.Post(id="x", author_id="ann", created_at=NOW - 100 * HOUR, labels=("nsfw",))]
    viewer = fr.Viewer(id="v", seen={"x"}, blocked={"ann"})
    order_a = simple_pipeline(
        filters=(Labels(exclude=("nsfw",), policy=ADULT_POLICY), Seen(), MaxAge(hours=1))
    )
    order_b = simple_pipeline(filters=(MaxAge(hours=1), BlockedAuthors(), Seen()))
    assert rank(order_a, posts, viewer).removed() == {"x": "label:nsfw"}
    assert rank(order_b, posts, viewer).removed() == {"x": "older_than:1h"}


def test_empty_batch_ranks_to_an_empty_feed() -> None:
    for pipe in (simple_pipeline(), filtered_pipeline(), rich_pipeline()):
        for viewer in (None, fr.Viewer(id="v", follows={"ann"}, embedding=(1.0, 0.0, 0.0))):
            ranking = rank(pipe, [], viewer)
            assert ranking.post_ids == []
            assert ranking.all_post_ids == []
            assert ranking.removed() == {}
            assert ranking.next_cursor is None
            assert ranking.page_scores.shape == (0,)
            data = ranking.to_dict()
            assert data["items"] == []
            assert data["spec"]["fingerprint"] == pipe.fingerprint


def test_batch_where_every_post_is_removed() -> None:
    posts = [fr.Post(id=f"p{i}", author_id="a", created_at=NOW) for i in range(3)]
    ranking = rank(
        simple_pipeline(filters=(Seen(),)), posts, fr.Viewer(id="v", seen={"p0", "p1", "p2"})
    )
    assert ranking.post_ids == []
    assert ranking.removed() == {"p0": "seen", "p1": "seen", "p2": "seen"}
    assert ranking.next_cursor is None
    assert ranking.explain("p1").removed_by == "seen"


def test_ties_break_by_score_then_newest_then_id() -> None:
    t = NOW - 5 * HOUR
    posts = [
        fr.Post(id="b", author_id="x", created_at=t, counts={"like": 3}),
        fr.Post(id="a", author_id="x", created_at=t, counts={"like": 3}),
        fr.Post(id="B", author_id="x", created_at=t, counts={"like": 3}),
        fr.Post(id="c", author_id="x", created_at=t + HOUR, counts={"like": 3}),
        fr.Post(id="z", author_id="x", created_at=t - HOUR, counts={"like": 5}),
        fr.Post(id="aa", author_id="x", created_at=t, counts={"like": 3}),
        fr.Post(id="d", author_id="x", created_at=t - HOUR, counts={"like": 3}),
    ]
    ranking = rank(simple_pipeline(), posts)
    # z has the best score; then among score 3: newest (c), then ids ascending
    # (code point order: "B" < "a" < "aa" < "b"), then the oldest (d)
    assert ranking.post_ids == ["z", "c", "B", "a", "aa", "b", "d"]
    shuffled = rank(simple_pipeline(), [posts[i] for i in (3, 6, 0, 5, 2, 4, 1)])
    assert shuffled.post_ids == ranking.post_ids


def test_limit_from_the_spec_or_the_call() -> None:
    posts = [
        fr.Post(id=f"p{i}", author_id="a", created_at=NOW, counts={"like": i}) for i in range(7)
    ]
    ranking = rank(simple_pipeline(limit=3), posts)
    assert ranking.post_ids == ["p6", "p5", "p4"]
    assert ranking.all_post_ids == [f"p{i}" for i in range(6, -1, -1)]
    assert ranking.next_cursor is not None
    assert rank(simple_pipeline(limit=3), posts, limit=5).post_ids == ["p6", "p5", "p4", "p3", "p2"]
    assert rank(simple_pipeline(limit=3), posts, limit=100).next_cursor is None
    assert rank(simple_pipeline(), posts, limit=7).next_cursor is None
    with pytest.raises(fr.RankingError):
        rank(simple_pipeline(), posts, limit=0)
    with pytest.raises(SpecError):
        simple_pipeline(limit=0)


def test_context_of_another_length_raises() -> None:
    posts = likes_posts()
    batch = fr.PostBatch.from_posts(posts)
    other = fr.PostBatch.from_posts(posts[:3])
    with pytest.raises(fr.RankingError) as info:
        simple_pipeline().rank(batch, fr.Context.build(other, now=NOW))
    assert info.value.field == "ctx"
    with pytest.raises(fr.RankingError):
        simple_pipeline().rank(other, fr.Context.build(batch, now=NOW))


def test_ranking_errors_from_signals_name_the_post() -> None:
    posts = [
        fr.Post(id="ok", author_id="a", created_at=NOW, features={"p": 0.5}),
        fr.Post(id="bare", author_id="a", created_at=NOW),
    ]
    pipe = fr.Pipeline(
        name="feature",
        scorer=Scorer(terms=[Term(name="p", signal=Feature(name="p"), weight=1.0)]),
    )
    with pytest.raises(fr.RankingError) as info:
        rank(pipe, posts)
    assert info.value.post_id == "bare"
    # ... unless a filter removed that post first
    assert rank(
        pipe.model_copy(update={"filters": (Seen(),)}), posts, fr.Viewer(id="v", seen={"bare"})
    ).post_ids == ["ok"]


def x_pipeline() -> fr.Pipeline:
    return fr.Pipeline(
        name="x-like",
        version="7",
        scorer=Scorer(
            terms=(
                Term(name="likes", signal=Interactions(), weight=0.5, why="fav 0.5"),
                Term(name="replies", signal=Interactions(weights={"reply": 1}), weight=13.5),
            ),
            factors=(
                Factor(name="out_of_network", signal=InNetwork(false_value=0.75)),
                Factor(name="fresh", signal=ExponentialDecay(half_life_hours=6)),
            ),
        ),
        rerankers=(AuthorDiversity(), NetworkCaps(max_out_of_network=2)),
        filters=(Seen(),),
        limit=3,
    )


def x_posts() -> list[fr.Post]:
    return [
        fr.Post(id="f1", author_id="friend", created_at=NOW, counts={"like": 10, "reply": 1}),
        fr.Post(id="f2", author_id="friend", created_at=NOW - 6 * HOUR, counts={"like": 40}),
        fr.Post(id="s1", author_id="stranger", created_at=NOW, counts={"like": 20}),
        fr.Post(id="s2", author_id="other", created_at=NOW, counts={"reply": 2}),
        fr.Post(id="s3", author_id="third", created_at=NOW, counts={"like": 2}),
        fr.Post(id="gone", author_id="friend", created_at=NOW, counts={"like": 1000}),
    ]


X_VIEWER = fr.Viewer(id="v", follows={"friend"}, seen={"gone"})


def test_to_dict_has_every_part_of_every_item() -> None:
    pipe = x_pipeline()
    ranking = rank(pipe, x_posts(), X_VIEWER)
    data = ranking.to_dict(removed="all")
    assert json.loads(json.dumps(data)) == data  # plain JSON values
    assert data["spec"] == {"name": "x-like", "version": "7", "fingerprint": pipe.fingerprint}
    assert data["now"] == NOW.isoformat()
    assert data["terms"] == ["likes", "replies"]
    assert data["factors"] == ["out_of_network", "fresh", "author_diversity"]
    assert data["removed"] == [{"post_id": "gone", "reason": "seen"}]
    assert [item["post_id"] for item in data["items"]] == ranking.post_ids
    assert [item["rank"] for item in data["items"]] == [1, 2, 3]
    assert data["next_cursor"] == ranking.next_cursor
    expected = {
        # likes · 0.5 + replies · 13.5, then × out-of-network × freshness × diversity
        "f1": ({"likes": 5.0, "replies": 13.5}, {"out_of_network": 1.0, "fresh": 1.0}),
        "f2": ({"likes": 20.0, "replies": 0.0}, {"out_of_network": 1.0, "fresh": 0.5}),
        "s1": ({"likes": 10.0, "replies": 0.0}, {"out_of_network": 0.75, "fresh": 1.0}),
        "s2": ({"likes": 0.0, "replies": 27.0}, {"out_of_network": 0.75, "fresh": 1.0}),
        "s3": ({"likes": 1.0, "replies": 0.0}, {"out_of_network": 0.75, "fresh": 1.0}),
    }
    for item in data["items"]:
        contributions, factors = expected[item["post_id"]]
        assert item["contributions"] == contributions
        assert {k: item["factors"][k] for k in factors} == factors
        assert set(item["factors"]) == {"out_of_network", "fresh", "author_diversity"}
        product = math.prod(item["factors"].values())
        assert item["score"] == pytest.approx(sum(contributions.values()) * product, rel=1e-12)


def test_x_like_feed_order() -> None:
    ranking = rank(x_pipeline(), x_posts(), X_VIEWER, limit=10)
    # base: f1 18.5, f2 10, s1 7.5, s2 20.25, s3 0.75; diversity: f2 is friend's 2nd -> 6.25
    # out-of-network cap 2: s3 (third other post) is demoted below the rest
    assert ranking.all_post_ids == ["s2", "f1", "s1", "f2", "s3"]
    scores = dict(zip(ranking.post_ids, ranking.page_scores.tolist(), strict=True))
    assert scores == pytest.approx(
        {"s2": 20.25, "f1": 18.5, "s1": 7.5, "f2": 10.0 * 0.625, "s3": 0.75}, rel=1e-12
    )
    assert ranking.position("s3") == 4
    assert ranking.position("gone") == -1
    with pytest.raises(fr.RankingError):
        ranking.position("never-a-candidate")


def test_rank_does_not_modify_its_inputs() -> None:
    posts = x_posts()
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(batch, now=NOW, viewer=X_VIEWER)
    before = (batch.ids.copy(), batch.counts.copy(), ctx.seen.copy(), ctx.in_network.copy())
    x_pipeline().rank(batch, ctx)
    after = (batch.ids, batch.counts, ctx.seen, ctx.in_network)
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


def test_pipeline_fingerprint_changes_with_the_spec() -> None:
    a = x_pipeline()
    assert a.fingerprint == x_pipeline().fingerprint
    assert len(a.fingerprint) == 64
    b = a.model_copy(update={"limit": 4})
    assert fr.load_spec(b.to_spec()).fingerprint != a.fingerprint


def test_pipeline_from_spec_ranks_like_the_built_one() -> None:
    pipe = x_pipeline()
    again = fr.load_spec(fr.dump_spec(pipe, "toml"), format="toml")
    r1 = rank(pipe, x_posts(), X_VIEWER)
    r2 = rank(again, x_posts(), X_VIEWER)
    assert r1.to_dict() == r2.to_dict()


def test_scorer_factor_named_like_a_reranker_factor_keeps_both_parts() -> None:
    # Every factor must stay visible on its own: either the spec is rejected, or
    # the ranking's factor columns have distinct names and still reproduce scores.
    posts = [
        fr.Post(id="a1", author_id="ann", created_at=NOW, counts={"like": 4}),
        fr.Post(id="a2", author_id="ann", created_at=NOW, counts={"like": 3}),
        fr.Post(id="b1", author_id="bob", created_at=NOW, counts={"like": 2}),
    ]
    try:
        pipe = fr.Pipeline(
            name="clash",
            scorer=Scorer(
                terms=(Term(name="likes", signal=Interactions(), weight=1.0),),
                factors=(Factor(name="author_diversity", signal=InNetwork(false_value=0.5)),),
            ),
            rerankers=(AuthorDiversity(),),
        )
    except SpecError:
        return
    ranking = rank(pipe, posts, fr.Viewer(id="v", follows={"bob"}))
    assert len(set(ranking.factor_names)) == len(ranking.factor_names) == 2
    for item in ranking.to_dict()["items"]:
        assert len(item["factors"]) == 2
        total = sum(item["contributions"].values()) * math.prod(item["factors"].values())
        assert item["score"] == pytest.approx(total, rel=1e-12)
    comparison = ranking.compare("a2", "b1")
    parts = sum(comparison.by_term.values()) + sum(comparison.by_factor.values())
    assert parts == pytest.approx(comparison.gap, rel=1e-9)
