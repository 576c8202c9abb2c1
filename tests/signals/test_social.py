"""Social signals: in-network and reply flags, author affinity and negative feedback
computed from the viewer's decayed interactions."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

import feedrank as fr
from feedrank.batch.context import AffinityModel
from feedrank.stages.signals import AuthorAffinity, InNetwork, IsReply, NegativeFeedback

UTC = timezone.utc
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def make_batch() -> fr.PostBatch:
    posts = [
        fr.Post(id="a1", author_id="ann", created_at=NOW),
        fr.Post(id="b1", author_id="bob", created_at=NOW, reply_to="a1"),
        fr.Post(id="c1", author_id="cy", created_at=NOW),
        fr.Post(id="a2", author_id="ann", created_at=NOW, reply_to="zz"),
    ]
    return fr.PostBatch.from_posts(posts)


def act(post: str, kind: str, hours_ago: float, viewer: str = "v") -> fr.Interaction:
    return fr.Interaction(
        viewer_id=viewer, post_id=post, kind=kind, at=NOW - timedelta(hours=hours_ago)
    )


def test_in_network_flags_followed_authors() -> None:
    batch = make_batch()
    ctx = fr.Context.build(batch, now=NOW, viewer=fr.Viewer(id="v", follows={"ann", "zed"}))
    assert InNetwork().compute(batch, ctx).tolist() == [1.0, 0.0, 0.0, 1.0]
    # X's out-of-network factor
    assert InNetwork(false_value=0.75).compute(batch, ctx).tolist() == [1.0, 0.75, 0.75, 1.0]
    assert InNetwork(true_value=2.5, false_value=-1).compute(batch, ctx).tolist() == [
        2.5,
        -1.0,
        -1.0,
        2.5,
    ]


def test_anonymous_viewer_is_out_of_network_everywhere() -> None:
    batch = make_batch()
    ctx = fr.Context.build(batch, now=NOW)
    assert InNetwork(false_value=0.75).compute(batch, ctx).tolist() == [0.75] * 4
    assert AuthorAffinity().compute(batch, ctx).tolist() == [0.0] * 4
    assert NegativeFeedback().compute(batch, ctx).tolist() == [0.0] * 4


def test_is_reply_flags_posts_with_reply_to() -> None:
    batch = make_batch()
    ctx = fr.Context.build(batch, now=NOW)
    assert IsReply().compute(batch, ctx).tolist() == [0.0, 1.0, 0.0, 1.0]
    assert IsReply(true_value=0.75, false_value=1.0).compute(batch, ctx).tolist() == [
        1.0,
        0.75,
        1.0,
        0.75,
    ]


def test_author_affinity_is_log1p_of_decayed_weighted_interactions() -> None:
    batch = make_batch()
    interactions = [
        act("a1", "like", 168),  # weight 1, one half-life ago -> 0.5
        act("a2", "reply", 0),  # weight 3, now -> 3
        act("b1", "repost", 336),  # weight 2, two half-lives -> 0.5
        act("b1", "like", 0, viewer="someone-else"),  # not the viewer's
        act("c1", "like", -5),  # after now: has not happened yet
        act("c1", "view", 0),  # weight 0 by default
    ]
    ctx = fr.Context.build(batch, now=NOW, viewer=fr.Viewer(id="v"), interactions=interactions)
    ann, bob = 0.5 + 3.0, 0.5
    got = AuthorAffinity().compute(batch, ctx)
    np.testing.assert_allclose(
        got, [math.log1p(ann), math.log1p(bob), 0.0, math.log1p(ann)], rtol=1e-12
    )
    linear = AuthorAffinity(transform="linear").compute(batch, ctx)
    np.testing.assert_allclose(linear, [ann, bob, 0.0, ann], rtol=1e-12)


def test_author_affinity_with_a_custom_model_and_posts_outside_the_batch() -> None:
    batch = make_batch()
    model = AffinityModel(half_life_hours=10, weights={"like": 4.0, "bookmark": 1.0})
    interactions = [
        act("old-post", "like", 20),  # ann's, resolved through post_authors: 4 * 0.25
        act("b1", "bookmark", 5),  # 1 * 0.5 ** 0.5
        act("b1", "reply", 0),  # weight not in the model -> 0
    ]
    ctx = fr.Context.build(
        batch,
        now=NOW,
        viewer=fr.Viewer(id="v"),
        interactions=interactions,
        post_authors={"old-post": "ann"},
        affinity=model,
    )
    got = AuthorAffinity(transform="linear").compute(batch, ctx)
    np.testing.assert_allclose(got, [1.0, 0.5**0.5, 0.0, 1.0], rtol=1e-12)


def test_interaction_with_an_unknown_post_raises_naming_it() -> None:
    batch = make_batch()
    with pytest.raises(fr.InputError) as info:
        fr.Context.build(
            batch, now=NOW, viewer=fr.Viewer(id="v"), interactions=[act("gone", "like", 1)]
        )
    assert info.value.post_id == "gone"


def test_negative_feedback_counts_only_negative_kinds_decayed() -> None:
    batch = make_batch()
    interactions = [
        act("a1", "hide", 0),  # 1
        act("a2", "mute", 168),  # 0.5 (default half-life 168 h)
        act("a1", "like", 0),  # positive: ignored here
        act("c1", "report", 0),
        act("c1", "downvote", 0),
        act("c1", "block", 336),  # 0.25
    ]
    ctx = fr.Context.build(batch, now=NOW, viewer=fr.Viewer(id="v"), interactions=interactions)
    got = NegativeFeedback().compute(batch, ctx)
    np.testing.assert_allclose(
        got, [math.log1p(1.5), 0.0, math.log1p(2.25), math.log1p(1.5)], rtol=1e-12
    )


def test_social_signals_declare_what_they_read() -> None:
    assert "viewer.follows" in InNetwork.reads
    assert "reply_to" in IsReply.reads
    assert "author_ids" in AuthorAffinity.reads
    assert "author_ids" in NegativeFeedback.reads
