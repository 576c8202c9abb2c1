"""Invariants of a full pipeline (several terms and factors, every filter,
AuthorDiversity and NetworkCaps) over random feeds: the conformance checks and
monotonicity in likes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr
from feedrank.testing import SampleData, check_component
from tests.strategies import NOW, Feed, batch_of, feeds, rich_pipeline

PIPE = rich_pipeline(limit=10_000)
FAST = settings(max_examples=60, deadline=None)


@FAST
@given(requests=st.lists(feeds(max_size=25), min_size=1, max_size=3))
def test_the_rich_pipeline_conforms_on_random_feeds(requests: list[Feed]) -> None:
    """Every pipeline check (order invariance, determinism, idempotent filters,
    total order, the score decomposition, rank_many, ...) on random requests."""
    check_component(PIPE, data=SampleData(tuple((f.batch, f.ctx) for f in requests)))


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
