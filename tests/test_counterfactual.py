"""Ablation and counterfactuals, checked by ranking modified inputs from scratch."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

import feedrank as fr
from feedrank.ranking.ablation import ablation
from feedrank.ranking.counterfactual import Change, input_to_top_k, weight_to_swap
from feedrank.stages.rerank import AuthorDiversity
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals import ExponentialDecay, Feature, InNetwork, Interactions

T0 = datetime(2026, 2, 1, tzinfo=timezone.utc)


def _posts(n: int = 12) -> list[fr.Post]:
    rng = np.random.default_rng(5)
    return [
        fr.Post(
            id=f"p{i:02d}",
            author_id=f"a{i % 4}",
            created_at=T0 - timedelta(hours=float(rng.uniform(0, 10))),
            features={"q": float(rng.uniform(0, 1)), "e": float(rng.uniform(0, 5))},
        )
        for i in range(n)
    ]


def _pipeline(rerank: bool) -> fr.Pipeline:
    return fr.Pipeline(
        name="cf",
        scorer=Scorer(
            terms=[
                Term(name="quality", signal=Feature(name="q"), weight=3.0),
                Term(name="engagement", signal=Feature(name="e"), weight=1.0),
            ],
            factors=[Factor(name="age", signal=ExponentialDecay(half_life_hours=6))],
        ),
        rerankers=[AuthorDiversity()] if rerank else [],
    )


def _rank(pipe: fr.Pipeline, posts: list[fr.Post]) -> fr.Ranking:
    batch = fr.PostBatch.from_posts(posts)
    return pipe.rank(batch, fr.Context.build(batch, now=T0), limit=100)


def _with_feature(posts: list[fr.Post], post_id: str, name: str, value: float) -> list[fr.Post]:
    return [
        p.model_copy(update={"features": {**p.features, name: value}}) if p.id == post_id else p
        for p in posts
    ]


def _with_weight(pipe: fr.Pipeline, term: str, weight: float) -> fr.Pipeline:
    data = pipe.to_spec()
    for t in data["scorer"]["terms"]:
        if t["name"] == term:
            t["weight"] = weight
    return fr.load_spec(data)


def test_ablation_matches_an_independent_recomputation_without_rerankers() -> None:
    ranking = _rank(_pipeline(rerank=False), _posts())
    result = ablation(ranking)
    assert list(result.post_ids) == ranking.all_post_ids
    for j, name in enumerate(result.term_names):
        scores = {}
        for pid in result.post_ids:
            expl = ranking.explain(pid)
            base = sum(t.contribution for t in expl.terms if t.name != name)
            scores[pid] = base * float(np.prod([f.value for f in expl.factors]))
        created = dict(
            zip(
                ranking.candidates.ids.tolist(),
                ranking.candidates.created_at.tolist(),
                strict=False,
            )
        )
        order = sorted(result.post_ids, key=lambda p: (-scores[p], -created[p], p))
        assert result.ranks[:, j].tolist() == [order.index(p) + 1 for p in result.post_ids]
    tau = result.kendall_tau()
    assert set(tau) == {"quality", "engagement"}
    assert all(-1.0 <= v <= 1.0 for v in tau.values())


def test_ablation_with_rerankers_equals_ranking_with_a_zero_weight() -> None:
    posts = _posts()
    ranking = _rank(_pipeline(rerank=True), posts)
    result = ablation(ranking)
    without = _rank(_with_weight(_pipeline(rerank=True), "engagement", 0.0), posts)
    j = result.term_names.index("engagement")
    expected = {pid: i + 1 for i, pid in enumerate(without.all_post_ids)}
    assert result.ranks[:, j].tolist() == [expected[p] for p in result.post_ids]


@pytest.mark.parametrize("rerank", [False, True])
def test_weight_to_swap_is_confirmed_and_minimal(rerank: bool) -> None:
    posts = _posts()
    pipe = _pipeline(rerank)
    ranking = _rank(pipe, posts)
    a, b = ranking.all_post_ids[1], ranking.all_post_ids[3]
    changes = weight_to_swap(ranking, a, b)
    assert {c.term for c in changes} == {"quality", "engagement"}
    feasible = [c for c in changes if c.feasible]
    assert feasible, "some weight change must reorder two posts with different inputs"
    for change in feasible:
        assert change.after is not None
        swapped = _rank(_with_weight(pipe, change.term, change.after), posts).all_post_ids
        assert swapped.index(b) < swapped.index(a)
        short = change.before + 0.999 * (change.after - change.before)
        kept = _rank(_with_weight(pipe, change.term, short), posts).all_post_ids
        assert kept.index(a) < kept.index(b)
    deltas = [abs(c.delta or 0) for c in feasible]
    assert deltas == sorted(deltas)


@pytest.mark.parametrize("rerank", [False, True])
def test_input_to_top_k_is_confirmed_and_minimal(rerank: bool) -> None:
    posts = _posts()
    pipe = _pipeline(rerank)
    ranking = _rank(pipe, posts)
    post = ranking.all_post_ids[-1]
    k = 3
    changes = input_to_top_k(ranking, post, k)
    feature = {"quality": "q", "engagement": "e"}
    assert changes
    assert all(c.feasible for c in changes)
    for change in changes:
        assert change.after is not None
        moved = _rank(pipe, _with_feature(posts, post, feature[change.term], change.after))
        assert moved.all_post_ids.index(post) < k
        short = change.before + 0.999 * (change.after - change.before)
        not_yet = _rank(pipe, _with_feature(posts, post, feature[change.term], short))
        assert not_yet.all_post_ids.index(post) >= k
    assert input_to_top_k(ranking, ranking.all_post_ids[0], 1) == []


def test_counterfactuals_say_when_none_exists() -> None:
    posts = _posts(4)
    pipe = fr.Pipeline(
        name="zero",
        filters=[fr.stages.filters.MaxAge(hours=5)],
        scorer=Scorer(
            terms=[
                Term(name="quality", signal=Feature(name="q"), weight=1.0),
                Term(name="unused", signal=Feature(name="e"), weight=0.0),
            ]
        ),
    )
    ranking = _rank(pipe, posts)
    last = ranking.all_post_ids[-1]
    unused = [c for c in input_to_top_k(ranking, last, 1) if c.term == "unused"]
    assert unused[0].feasible is False
    assert "no effect" in unused[0].note
    if ranking.removed():
        removed = next(iter(ranking.removed()))
        assert all(not c.feasible for c in input_to_top_k(ranking, removed, 1))
    with pytest.raises(fr.RankingError):
        input_to_top_k(ranking, last, 0)


# ------------------------------------------------------------------ domains
def _social_pipeline() -> fr.Pipeline:
    return fr.Pipeline(
        name="social",
        scorer=Scorer(
            terms=[
                Term(
                    name="engagement",
                    signal=Interactions(weights={"like": 1.0}, transform="log1p"),
                    weight=1.0,
                ),
                Term(name="in_network", signal=InNetwork(), weight=1.0),
                Term(name="reports", signal=Interactions(weights={"report": 1.0}), weight=-1.0),
            ]
        ),
    )


def _social_posts() -> list[fr.Post]:
    likes = {"a": 400, "b": 150, "c": 60, "d": 20, "e": 3}
    posts = [
        fr.Post(id=f"p{k}", author_id=k, created_at=T0, counts={"like": n})
        for k, n in likes.items()
    ]
    posts.append(fr.Post(id="low", author_id="z", created_at=T0, counts={"like": 1, "report": 1}))
    posts.append(fr.Post(id="near", author_id="y", created_at=T0, counts={"like": 45, "report": 3}))
    return posts


def _social_rank(posts: list[fr.Post], follows: frozenset[str] = frozenset()) -> fr.Ranking:
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(batch, now=T0, viewer=fr.Viewer(id="v", follows=follows))
    return _social_pipeline().rank(batch, ctx, limit=100)


def _change(ranking: fr.Ranking, post_id: str, k: int, term: str) -> Change:
    (change,) = [c for c in input_to_top_k(ranking, post_id, k) if c.term == term]
    return change


def _unreachable(change: Change, before: float, domain: str) -> None:
    """``change`` keeps ``before`` and says the input cannot get there within ``domain``."""
    assert (change.before, change.after, change.feasible) == (before, None, False)
    assert change.note.startswith("not reachable through this input")
    assert domain in change.note


def test_a_flag_input_is_only_ever_its_other_value() -> None:
    ranking = _social_rank(_social_posts())
    _unreachable(_change(ranking, "low", 1, "in_network"), 0.0, "0 or 1")  # 1 is not enough
    # Following the author is enough for the top 5: the answer is 1, and it holds.
    near = _change(ranking, "near", 5, "in_network")
    assert (near.after, near.feasible) == (1.0, True)
    assert ranking.all_post_ids.index("near") >= 5
    followed = _social_rank(_social_posts(), follows=frozenset({"y"}))
    assert followed.all_post_ids.index("near") < 5


def test_a_count_input_never_goes_below_zero() -> None:
    ranking = _social_rank(_social_posts())
    # It would need about −5.3 reports.
    _unreachable(_change(ranking, "low", 1, "reports"), 1.0, "a number ≥ 0")
    near = _change(ranking, "near", 4, "reports")
    assert near.feasible
    assert near.after is not None
    assert 0.0 <= near.after < 3.0
    fewer = [
        p.model_copy(update={"counts": {"like": 45, "report": int(near.after)}})
        if p.id == "near"
        else p
        for p in _social_posts()
    ]
    assert _social_rank(fewer).all_post_ids.index("near") < 4


def test_an_undeclared_domain_keeps_the_real_line() -> None:
    # Feature declares no domain: a negative value may be proposed when it is needed.
    posts = _posts(6)
    pipe = fr.Pipeline(
        name="costs",
        scorer=Scorer(terms=[Term(name="cost", signal=Feature(name="q"), weight=-1.0)]),
    )
    ranking = _rank(pipe, posts)
    last = ranking.all_post_ids[-1]
    (change,) = input_to_top_k(ranking, last, 1)
    assert Feature(name="q").domain().is_real
    assert change.feasible
    assert change.after is not None
    smallest = min(p.features["q"] for p in posts)
    assert change.after < smallest
