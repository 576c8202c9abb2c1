"""Invariants of a full pipeline (several terms and factors, every filter,
AuthorDiversity and NetworkCaps) over random feeds."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr
from tests.strategies import NOW, Feed, batch_of, feeds, rich_pipeline

PIPE = rich_pipeline(limit=10_000)
FAST = settings(max_examples=60, deadline=None)


def rank(feed: Feed, pipe: fr.Pipeline = PIPE) -> fr.Ranking:
    return pipe.rank(feed.batch, feed.ctx)


def scores_by_id(ranking: fr.Ranking) -> dict[str, float]:
    return dict(zip(ranking.post_ids, ranking.page_scores.tolist(), strict=True))


@FAST
@given(feed=feeds(), data=st.data())
def test_ranking_is_invariant_to_input_order(feed: Feed, data: st.DataObject) -> None:
    permuted = data.draw(st.permutations(feed.posts))
    batch = batch_of(permuted)
    other = PIPE.rank(batch, fr.Context.build(batch, now=NOW, viewer=feed.viewer))
    ranking = rank(feed)
    assert other.all_post_ids == ranking.all_post_ids
    assert scores_by_id(other) == scores_by_id(ranking)
    assert other.removed() == ranking.removed()
    assert other.to_dict()["items"] == ranking.to_dict()["items"]


@FAST
@given(feed=feeds())
def test_ranking_is_deterministic(feed: Feed) -> None:
    first = rank(feed).to_dict()
    assert rank(feed).to_dict() == first
    # a fresh batch and context built from the same inputs give the same bytes too
    batch = batch_of(feed.posts)
    again = PIPE.rank(batch, fr.Context.build(batch, now=NOW, viewer=feed.viewer))
    assert again.to_dict() == first
    assert again.next_cursor == rank(feed).next_cursor


@FAST
@given(feed=feeds())
def test_contributions_and_factors_reproduce_every_score(feed: Feed) -> None:
    ranking = rank(feed)
    rebuilt = ranking.contributions.sum(axis=1) * ranking.factors.prod(axis=1)
    np.testing.assert_allclose(ranking.scores, rebuilt, rtol=1e-9, atol=0)
    assert ranking.contributions.shape == (len(ranking.all_post_ids), len(ranking.term_names))
    assert ranking.factors.shape == (len(ranking.all_post_ids), len(ranking.factor_names))
    weights = np.array([t.weight for t in PIPE.scorer.terms])
    np.testing.assert_array_equal(ranking.contributions, ranking.inputs * weights)
    for item in ranking.to_dict()["items"]:
        total = sum(item["contributions"].values())
        product = float(np.prod(list(item["factors"].values())))
        assert abs(item["score"] - total * product) <= 1e-9 * abs(item["score"])


@FAST
@given(feed=feeds())
def test_every_candidate_is_ranked_or_removed_and_the_order_is_total(feed: Feed) -> None:
    ranking = rank(feed)
    kept = ranking.all_post_ids
    assert set(kept).isdisjoint(ranking.removed())
    assert sorted([*kept, *ranking.removed()]) == sorted(p.id for p in feed.posts)
    assert all(reason for reason in ranking.removed().values())
    created = {p.id: p.created_at for p in feed.posts}
    keys = [
        (int(ranking.tier[row]), -float(ranking.scores[row]), created[pid], pid)
        for pid, row in zip(kept, ranking.order.tolist(), strict=True)
    ]
    for (t1, s1, c1, i1), (t2, s2, c2, i2) in itertools.pairwise(keys):
        assert (t1, s1, -c1.timestamp(), i1) < (t2, s2, -c2.timestamp(), i2)


@FAST
@given(feed=feeds(min_size=1), data=st.data())
def test_more_likes_never_lower_a_post(feed: Feed, data: st.DataObject) -> None:
    weight = data.draw(st.sampled_from([0.25, 1.5, 40.0]), label="likes weight")
    pipe = rich_pipeline(limit=10_000, likes_weight=weight)
    before = pipe.rank(feed.batch, feed.ctx)
    if not before.all_post_ids:
        return
    pid = data.draw(st.sampled_from(before.all_post_ids), label="post")
    extra = data.draw(st.integers(1, 1000), label="extra likes")
    posts = []
    for p in feed.posts:
        if p.id == pid:
            counts = dict(p.counts)
            counts[fr.InteractionKind.LIKE] = counts.get(fr.InteractionKind.LIKE, 0) + extra
            p = p.model_copy(update={"counts": counts})
        posts.append(p)
    batch = batch_of(posts)
    after = pipe.rank(batch, fr.Context.build(batch, now=NOW, viewer=feed.viewer))
    assert after.explain(pid).terms[0].input > before.explain(pid).terms[0].input
    assert after.position(pid) <= before.position(pid)


@FAST
@given(feed=feeds())
def test_filtering_is_idempotent_and_removed_posts_do_not_matter(feed: Feed) -> None:
    ranking = rank(feed)
    kept_posts = [p for p in feed.posts if p.id not in ranking.removed()]
    batch = batch_of(kept_posts)
    again = PIPE.rank(batch, fr.Context.build(batch, now=NOW, viewer=feed.viewer))
    assert again.removed() == {}
    assert again.all_post_ids == ranking.all_post_ids
    assert scores_by_id(again) == scores_by_id(ranking)
    for filt in PIPE.filters:
        assert filt.keep(batch, fr.Context.build(batch, now=NOW, viewer=feed.viewer)).all()
