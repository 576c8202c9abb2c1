"""The network simulator: determinism, valid models, consistent counts, the
generative model's visible effects (homophily, position bias, relevance-driven
actions) and its integration with PostBatch, Context and a pipeline."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr
from feedrank.datasets import GRADE_THRESHOLDS, TOPICS, SimulatedNetwork, simulate, simulate_demo


@pytest.fixture(scope="module")
def net() -> SimulatedNetwork:
    return simulate(rng=0)


@pytest.fixture(scope="module")
def demo() -> SimulatedNetwork:
    return simulate(rng=7, n_users=30, n_posts=150, hours=24.0)


def _aggregate(network: SimulatedNetwork) -> dict[str, Counter[fr.InteractionKind]]:
    out: dict[str, Counter[fr.InteractionKind]] = {p.id: Counter() for p in network.posts}
    for item in network.interactions:
        if item.at < network.now:
            out[item.post_id][item.kind] += 1
    return out


# ------------------------------------------------------------------ determinism
def test_same_seed_gives_identical_network(demo: SimulatedNetwork) -> None:
    again = simulate(rng=7, n_users=30, n_posts=150, hours=24.0)
    assert again.posts == demo.posts
    assert again.authors == demo.authors
    assert again.viewers == demo.viewers
    assert again.interactions == demo.interactions
    assert again.now == demo.now
    for name in ("viewer_index", "post_id", "position", "session_at", "propensity", "clicked"):
        np.testing.assert_array_equal(
            getattr(again.impressions, name), getattr(demo.impressions, name)
        )


def test_generator_and_seed_are_equivalent(demo: SimulatedNetwork) -> None:
    from_gen = simulate(rng=np.random.default_rng(7), n_users=30, n_posts=150, hours=24.0)
    assert from_gen.posts == demo.posts
    assert from_gen.interactions == demo.interactions
    assert simulate_demo().posts == demo.posts


def test_different_seed_gives_different_network(demo: SimulatedNetwork) -> None:
    other = simulate(rng=8, n_users=30, n_posts=150, hours=24.0)
    assert other.posts != demo.posts
    assert other.interactions != demo.interactions


# --------------------------------------------------------------- valid models
def test_models_are_valid_and_ids_unique(net: SimulatedNetwork) -> None:
    for model in [*net.posts, *net.authors, *net.viewers, *net.interactions[:500]]:
        assert type(model).model_validate_json(model.model_dump_json()) == model
    post_ids = [p.id for p in net.posts]
    assert len(set(post_ids)) == len(post_ids) == 1000
    assert len({a.id for a in net.authors}) == len(net.authors) == 200
    assert len({v.id for v in net.viewers}) == len(net.viewers) == 200
    assert net.topics == TOPICS[:8]
    assert net.now == datetime(2026, 1, 4, tzinfo=timezone.utc)


def test_posts_follow_the_model(net: SimulatedNetwork) -> None:
    index = {p.id: i for i, p in enumerate(net.posts)}
    authors = {a.id for a in net.authors}
    created = [p.created_at for p in net.posts]
    assert created == sorted(created)
    assert len(set(created)) == len(created)
    assert net.start <= created[0]
    assert created[-1] < net.now
    for i, post in enumerate(net.posts):
        assert post.author_id in authors
        assert 1 <= len(post.topics) <= 2
        assert set(post.topics) <= set(net.topics)
        assert post.lang in {"en", "es", "fr"}
        assert set(post.labels) <= {"spam", "nsfw"}
        assert post.embedding is not None
        assert len(post.embedding) == 8
        assert post.text
        assert f"#{post.topics[0]}" in post.text
        if post.reply_to is not None:
            assert index[post.reply_to] < i  # replies point to earlier posts
            assert set(post.topics) == set(net.posts[index[post.reply_to]].topics)
    langs = Counter(p.lang for p in net.posts)
    assert langs["en"] > langs["es"] + langs["fr"]
    assert 0 < sum(p.reply_to is not None for p in net.posts) < 300
    assert any("spam" in p.labels for p in net.posts)
    spam_q = [net.truth.quality[i] for i, p in enumerate(net.posts) if "spam" in p.labels]
    assert max(spam_q) < 0.2


def test_viewers_carry_the_latent_state(net: SimulatedNetwork) -> None:
    for u, viewer in enumerate(net.viewers):
        assert viewer.id not in viewer.follows
        assert set(viewer.interests) == set(net.topics)
        assert sum(viewer.interests.values()) == pytest.approx(1.0)
        assert viewer.languages
        assert set(viewer.languages) <= {"en", "es", "fr"}
        assert viewer.embedding is not None
        assert len(viewer.embedding) == 8
        assert len(viewer.follows) == int(net.truth.follows[u].sum())
    assert any(v.muted for v in net.viewers)
    assert any(v.muted_words for v in net.viewers)
    # an author is muted only after the viewer hid one of their posts
    author_of = net.post_authors()
    hid = {
        (i.viewer_id, author_of[i.post_id])
        for i in net.interactions
        if i.kind == fr.InteractionKind.HIDE
    }
    assert all((v.id, a) in hid for v in net.viewers for a in v.muted)


def test_counts_are_the_interactions_before_now(net: SimulatedNetwork) -> None:
    assert all(i.at < net.now for i in net.interactions)
    aggregate = _aggregate(net)
    for post in net.posts:
        assert post.counts == dict(aggregate[post.id])
    kinds = Counter(i.kind for i in net.interactions)
    assert kinds[fr.InteractionKind.VIEW] == len(net.impressions)
    assert kinds[fr.InteractionKind.CLICK] == int(net.impressions.clicked.sum())
    assert kinds[fr.InteractionKind.LIKE] == int(net.impressions.liked.sum())
    assert kinds[fr.InteractionKind.HIDE] == int(net.impressions.hidden.sum())
    assert [i.at for i in net.interactions] == sorted(i.at for i in net.interactions)


def test_interactions_follow_their_impression(net: SimulatedNetwork) -> None:
    created = {p.id: p.created_at for p in net.posts}
    imp = net.impressions
    first_shown = {
        (str(v), str(p)): int(t)
        for v, p, t in zip(imp.viewer_id, imp.post_id, imp.session_at, strict=True)
    }
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    for item in net.interactions:
        assert item.at > created[item.post_id]
        shown = epoch + timedelta(microseconds=first_shown[(item.viewer_id, item.post_id)])
        assert shown <= item.at < shown + timedelta(minutes=5)


# ------------------------------------------------------------------ impressions
def test_impressions_are_a_consistent_log(net: SimulatedNetwork) -> None:
    imp = net.impressions
    m = len(imp)
    assert m > 0
    for name in (
        "viewer_index",
        "viewer_id",
        "post_index",
        "post_id",
        "session",
        "session_at",
        "position",
        "propensity",
        "in_network",
        "examined",
        "clicked",
        "liked",
        "hidden",
    ):
        assert getattr(imp, name).shape == (m,), name
    assert imp.propensity.dtype == np.float64
    assert imp.position.dtype == np.int64
    np.testing.assert_allclose(imp.propensity, (imp.position + 1.0) ** -0.8)
    assert not np.any(imp.clicked & ~imp.examined)
    assert not np.any(imp.hidden & imp.liked)
    # each (viewer, post) pair is shown once, positions of a feed are 0..len-1
    pairs = imp.viewer_index.astype(np.int64) * len(net.posts) + imp.post_index
    assert np.unique(pairs).size == m
    for s in np.unique(imp.session)[:50]:
        rows = imp.session == s
        assert imp.position[rows].tolist() == list(range(int(rows.sum())))
        assert np.unique(imp.viewer_index[rows]).size == 1
        # reverse-chronological: newer posts first
        assert np.all(np.diff(imp.post_index[rows]) < 0)
    # posts were created before the session that showed them, never the viewer's own
    created = net.batch().created_at[imp.post_index]
    assert np.all(created < imp.session_at)
    assert not np.any(net.truth.post_author[imp.post_index] == imp.viewer_index)
    # seen = everything shown
    for u, viewer in enumerate(net.viewers[:40]):
        assert viewer.seen == set(imp.post_id[imp.viewer_index == u].tolist())
    follows = net.truth.follows[imp.viewer_index, net.truth.post_author[imp.post_index]]
    np.testing.assert_array_equal(imp.in_network, follows)


def test_position_bias_is_visible(net: SimulatedNetwork) -> None:
    imp = net.impressions
    rate = [float(imp.clicked[imp.position == i].mean()) for i in range(10)]
    assert rate[0] > 2 * rate[5]
    examined = [float(imp.examined[imp.position == i].mean()) for i in (0, 5)]
    assert examined[0] == 1.0
    assert examined[1] == pytest.approx(6**-0.8, abs=0.08)


def test_no_position_bias_when_eta_is_zero() -> None:
    flat = simulate(rng=1, n_users=60, n_posts=300, position_bias=0.0)
    assert flat.impressions.examined.all()
    assert np.all(flat.impressions.propensity == 1.0)


# ------------------------------------------------------------------ follow graph
def test_follows_show_homophily(net: SimulatedNetwork) -> None:
    follows, group = net.truth.follows, net.truth.group
    same = group[:, None] == group[None, :]
    np.fill_diagonal(same, False)
    share = (follows & same).sum() / follows.sum()
    base = same.sum() / (same.size - len(group))
    assert share > base + 0.15
    groups = {a.id: a.attributes["group"] for a in net.authors}
    for viewer in net.viewers[:20]:
        mine = groups[viewer.id]
        assert all(groups[a] in net.groups for a in viewer.follows)
        assert mine in net.groups


def test_homophily_parameter_moves_the_share() -> None:
    def share(h: float) -> float:
        n = simulate(rng=3, n_users=150, n_posts=50, homophily=h, sessions_per_user=0)
        same = n.truth.group[:, None] == n.truth.group[None, :]
        return float((n.truth.follows & same).sum() / n.truth.follows.sum())

    assert share(0.0) == 0.0
    assert share(1.0) == 1.0
    assert share(0.2) < share(0.5) < share(0.9)


def test_followers_are_in_degrees_and_heavy_tailed(net: SimulatedNetwork) -> None:
    in_degree = net.truth.follows.sum(axis=0)
    assert [a.followers for a in net.authors] == in_degree.tolist()
    assert in_degree.max() > 4 * np.median(in_degree)
    assert net.truth.follows.sum(axis=1).mean() == pytest.approx(15, abs=2)
    np.testing.assert_array_equal(net.batch().author_followers, in_degree[net.truth.post_author])


# ------------------------------------------------------------------- relevance
def test_relevance_shape_range_and_formula(net: SimulatedNetwork) -> None:
    viewer = net.viewers[3]
    ids = [p.id for p in net.posts[::7]]
    r = net.relevance(viewer.id, ids)
    assert r.shape == (len(ids),)
    assert r.dtype == np.float64
    assert np.all((r >= 0) & (r <= 1))
    np.testing.assert_array_equal(net.relevance(viewer.id)[::7], r)
    # the documented formula, recomputed from the models
    top = max(viewer.interests.values())
    for post, value in zip(net.posts[::7], r, strict=True):
        match = sum(viewer.interests[t] for t in post.topics) / len(post.topics) / top
        q = float(net.truth.quality[int(post.id[1:])])
        follows = 1.0 if post.author_id in viewer.follows else 0.0
        lang = 1.0 if post.lang in viewer.languages else 0.2
        assert value == pytest.approx(lang * (0.5 * match + 0.3 * q + 0.2 * follows))
    grades = net.relevance_grades(viewer.id, ids)
    assert grades.dtype == np.int64
    np.testing.assert_array_equal(grades, (r[:, None] >= np.array(GRADE_THRESHOLDS)).sum(1))
    everyone = np.concatenate([net.relevance_grades(v.id) for v in net.viewers[:50]])
    assert set(np.unique(everyone).tolist()) == {0, 1, 2, 3}


def test_positive_actions_target_more_relevant_posts_than_hides(net: SimulatedNetwork) -> None:
    positive = {fr.InteractionKind.LIKE, fr.InteractionKind.REPOST, fr.InteractionKind.REPLY}
    pos: list[float] = []
    neg: list[float] = []
    for item in net.interactions:
        if item.kind in positive or item.kind == fr.InteractionKind.HIDE:
            value = float(net.relevance(item.viewer_id, [item.post_id])[0])
            (neg if item.kind == fr.InteractionKind.HIDE else pos).append(value)
    assert len(pos) > 50
    assert len(neg) > 20
    assert np.mean(pos) > np.mean(neg) + 0.2


def test_unknown_ids_raise(demo: SimulatedNetwork) -> None:
    with pytest.raises(ValueError, match="viewer_id"):
        demo.relevance("nobody", ["p000"])
    with pytest.raises(ValueError, match="post_ids"):
        demo.relevance("u00", ["p000", "nope"])
    with pytest.raises(fr.InputError, match="viewer_id"):
        demo.viewer("nobody")


# --------------------------------------------------------------- integration
def test_batch_and_context_work_with_a_pipeline(demo: SimulatedNetwork) -> None:
    batch = demo.batch()
    assert isinstance(batch, fr.PostBatch)
    assert batch is demo.batch()
    assert len(batch) == len(demo.posts)
    assert batch.embeddings is not None
    viewer = demo.viewers[0]
    ctx = demo.context(viewer.id)
    assert isinstance(ctx, fr.Context)
    assert len(ctx) == len(batch)
    assert ctx.viewer == viewer
    assert ctx.now_datetime == demo.now
    np.testing.assert_array_equal(ctx.in_network, np.isin(batch.author_ids, list(viewer.follows)))
    np.testing.assert_array_equal(ctx.seen, np.isin(batch.ids, list(viewer.seen)))
    assert ctx.affinity.max() > 0
    assert demo.interactions_of(viewer.id) == [
        i for i in demo.interactions if i.viewer_id == viewer.id
    ]
    ranking = fr.preset("balanced").rank(batch, ctx, limit=10)
    assert 0 < len(ranking.post_ids) <= 10
    assert not set(ranking.post_ids) & viewer.seen
    # a context over a sub-batch still resolves the authors of interacted posts
    sub = batch.take(np.arange(5))
    assert len(demo.context(viewer.id, sub)) == 5


# ---------------------------------------------------------------- parameters
def test_parameters_change_the_shape_of_the_network() -> None:
    start = datetime(2025, 6, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    n = simulate(
        rng=5,
        n_users=40,
        n_authors=10,
        n_topics=3,
        n_posts=80,
        hours=6.0,
        start=start,
        groups=("left", "centre", "right"),
        group_shares=(1, 2, 1),
        embedding_dim=None,
        sessions_per_user=2,
        feed_size=5,
        out_of_network=5,
        reply_share=0.0,
    )
    assert len(n.viewers) == 40
    assert len(n.authors) == 10
    assert {p.author_id for p in n.posts} <= {a.id for a in n.authors}
    assert n.topics == TOPICS[:3]
    assert n.groups == ("left", "centre", "right")
    assert n.now == start + timedelta(hours=6)
    assert all(p.embedding is None and p.reply_to is None for p in n.posts)
    assert all(v.embedding is None for v in n.viewers)
    assert not n.impressions.in_network.any()  # every slot went out of network
    assert n.impressions.position.max() <= 4
    assert np.bincount(n.impressions.session).max() <= 5
    assert n.parameters["n_authors"] == 10
    assert n.parameters["rng"] == 5


_BAD: list[tuple[dict[str, Any], str]] = [
    ({"n_users": 1}, "n_users"),
    ({"n_users": 2.5}, "n_users"),
    ({"n_users": True}, "n_users"),
    ({"n_authors": 0}, "n_authors"),
    ({"n_authors": 500}, "n_authors"),
    ({"n_topics": 0}, "n_topics"),
    ({"n_topics": len(TOPICS) + 1}, "n_topics"),
    ({"n_posts": 0}, "n_posts"),
    ({"hours": 0.0}, "hours"),
    ({"hours": float("nan")}, "hours"),
    ({"hours": 1e-9}, "hours"),
    ({"start": datetime(2026, 1, 1)}, "start"),
    ({"groups": ()}, "groups"),
    ({"groups": "ab"}, "groups"),
    ({"groups": ("a", "a")}, "groups"),
    ({"groups": ("a", " ")}, "groups"),
    ({"group_shares": (1.0,)}, "group_shares"),
    ({"group_shares": (1.0, -1.0)}, "group_shares"),
    ({"homophily": 1.5}, "homophily"),
    ({"homophily": -0.1}, "homophily"),
    ({"mean_follows": 0}, "mean_follows"),
    ({"interest_concentration": 0.0}, "interest_concentration"),
    ({"sessions_per_user": -1}, "sessions_per_user"),
    ({"feed_size": 0}, "feed_size"),
    ({"out_of_network": 21}, "out_of_network"),
    ({"position_bias": -1.0}, "position_bias"),
    ({"reply_share": 2.0}, "reply_share"),
    ({"embedding_dim": 0}, "embedding_dim"),
    ({"rng": -1}, "rng"),
    ({"rng": "seed"}, "rng"),
]


@pytest.mark.parametrize(("kwargs", "name"), _BAD)
def test_bad_parameters_raise_value_error_naming_them(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=f"'{name}'") as info:
        simulate(**{"n_users": 10, "n_posts": 20, **kwargs})
    assert isinstance(info.value, fr.FeedrankError)
    assert info.value.field == name


def test_parameters_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        simulate(0)  # type: ignore[call-arg]


# ------------------------------------------------------------------- properties
@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    n_users=st.integers(2, 12),
    n_posts=st.integers(1, 40),
    n_topics=st.integers(1, 5),
    homophily=st.floats(0, 1),
    feed_size=st.integers(1, 6),
    sessions=st.integers(0, 3),
)
def test_invariants_hold_for_small_networks(
    seed: int,
    n_users: int,
    n_posts: int,
    n_topics: int,
    homophily: float,
    feed_size: int,
    sessions: int,
) -> None:
    kwargs: dict[str, Any] = {
        "rng": seed,
        "n_users": n_users,
        "n_posts": n_posts,
        "n_topics": n_topics,
        "homophily": homophily,
        "feed_size": feed_size,
        "out_of_network": feed_size // 2,
        "sessions_per_user": sessions,
        "hours": 2.0,
    }
    n = simulate(**kwargs)
    assert n.posts == simulate(**kwargs).posts
    assert len(n.posts) == n_posts
    assert len(n.viewers) == n_users
    aggregate = _aggregate(n)
    assert all(p.counts == dict(aggregate[p.id]) for p in n.posts)
    assert all(i.at < n.now for i in n.interactions)
    assert len(n.impressions) <= n_users * sessions * feed_size
    assert np.all(n.impressions.position < feed_size)
    for viewer in n.viewers:
        r = n.relevance(viewer.id)
        assert r.shape == (n_posts,)
        assert np.all((r >= 0) & (r <= 1))
    fr.PostBatch.from_posts(n.posts, n.authors)
