"""Context: per-post arrays of one request (in-network, seen, author affinity)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr
from feedrank.errors import SpecError

UTC = timezone.utc
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
NEGATIVE = {"downvote", "report", "hide", "mute", "block"}  # as documented in models.py


def post(post_id: str, author: str) -> fr.Post:
    return fr.Post(id=post_id, author_id=author, created_at=NOW - timedelta(hours=1))


def act(post_id: str, kind: str, hours_ago: float, viewer: str = "v") -> fr.Interaction:
    return fr.Interaction(
        viewer_id=viewer, post_id=post_id, kind=kind, at=NOW - timedelta(hours=hours_ago)
    )


def hand_affinity(
    posts: list[fr.Post],
    interactions: list[fr.Interaction],
    viewer_id: str,
    now: datetime,
    weights: dict[str, float],
    half_life: float,
    post_authors: dict[str, str] | None = None,
) -> tuple[list[float], list[float]]:
    """Σ weight · 0.5^(age_h / half_life) per author, written out in plain Python."""
    author_of = {**(post_authors or {}), **{p.id: p.author_id for p in posts}}
    pos: dict[str, float] = defaultdict(float)
    neg: dict[str, float] = defaultdict(float)
    for i in interactions:
        if i.viewer_id != viewer_id or i.at > now:
            continue
        age_h = (now - i.at) / timedelta(hours=1)
        decay = 0.5 ** (age_h / half_life)
        author = author_of[i.post_id]
        pos[author] += weights.get(i.kind.value, 0.0) * decay
        if i.kind.value in NEGATIVE:
            neg[author] += decay
    return [pos[p.author_id] for p in posts], [neg[p.author_id] for p in posts]


POSTS = [post("p1", "ann"), post("p2", "bob"), post("p3", "ann"), post("p4", "cat")]
BATCH = fr.PostBatch.from_posts(POSTS)


# ----------------------------------------------------------------------- masks
def test_in_network_and_seen_masks() -> None:
    viewer = fr.Viewer(id="v", follows={"ann", "zed"}, seen={"p2", "p3", "gone"})
    ctx = fr.Context.build(BATCH, now=NOW, viewer=viewer)
    assert len(ctx) == len(POSTS)
    assert ctx.in_network.dtype == np.bool_
    assert ctx.seen.dtype == np.bool_
    assert ctx.in_network.tolist() == [p.author_id in viewer.follows for p in POSTS]
    assert ctx.seen.tolist() == [p.id in viewer.seen for p in POSTS]
    assert ctx.viewer == viewer
    assert ctx.affinity.tolist() == [0.0] * 4
    assert ctx.negative.tolist() == [0.0] * 4


def test_anonymous_viewer_gets_nothing_personal() -> None:
    ctx = fr.Context.build(BATCH, now=NOW, interactions=[act("p1", "like", 1.0)])
    assert ctx.viewer is None
    assert ctx.in_network.tolist() == [False] * 4
    assert ctx.seen.tolist() == [False] * 4
    assert ctx.affinity.dtype == np.float64
    assert ctx.affinity.tolist() == [0.0] * 4
    assert ctx.negative.tolist() == [0.0] * 4


def test_now_is_exact_microseconds() -> None:
    now = datetime(2026, 3, 1, 14, 0, 0, 7, tzinfo=timezone(timedelta(hours=2)))
    ctx = fr.Context.build(BATCH, now=now)
    expected = (now - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert ctx.now == expected
    assert ctx.now_datetime == now


def test_naive_now_raises_input_error() -> None:
    with pytest.raises(fr.InputError) as info:
        fr.Context.build(BATCH, now=datetime(2026, 3, 1, 12), viewer=fr.Viewer(id="v"))
    assert info.value.field == "now"
    assert "timezone" in str(info.value)
    with pytest.raises(fr.InputError):
        fr.Context.build(BATCH, now=datetime(2026, 3, 1, 12))


# -------------------------------------------------------------------- affinity
def test_affinity_equals_hand_computation_with_default_model() -> None:
    interactions = [
        act("p1", "like", 0.0),
        act("p1", "reply", 168.0),  # one half-life
        act("p3", "repost", 24.0),
        act("p2", "hide", 12.0),
        act("p2", "like", 336.0),  # two half-lives
        act("p4", "view", 1.0),  # no default weight
        act("p4", "like", -1.0),  # after now: ignored
        act("p1", "like", 0.0, viewer="w"),  # another viewer: ignored
    ]
    ctx = fr.Context.build(BATCH, now=NOW, viewer=fr.Viewer(id="v"), interactions=interactions)
    ann = 1.0 + 3.0 * 0.5 + 2.0 * 0.5 ** (24 / 168)
    bob = 1.0 * 0.25
    np.testing.assert_allclose(ctx.affinity, [ann, bob, ann, 0.0], rtol=1e-12)
    np.testing.assert_allclose(ctx.negative, [0.0, 0.5 ** (12 / 168), 0.0, 0.0], rtol=1e-12)


@pytest.mark.parametrize("kind", sorted(NEGATIVE))
def test_each_negative_kind_feeds_negative(kind: str) -> None:
    ctx = fr.Context.build(
        BATCH, now=NOW, viewer=fr.Viewer(id="v"), interactions=[act("p4", kind, 0.0)]
    )
    assert ctx.negative.tolist() == [0.0, 0.0, 0.0, 1.0]
    assert ctx.affinity.tolist() == [0.0] * 4


def test_custom_affinity_model() -> None:
    model = fr.AffinityModel(half_life_hours=2.0, weights={"view": 4.0, "downvote": -1.0})
    interactions = [act("p1", "view", 2.0), act("p1", "like", 0.0), act("p2", "downvote", 4.0)]
    ctx = fr.Context.build(
        BATCH, now=NOW, viewer=fr.Viewer(id="v"), interactions=interactions, affinity=model
    )
    np.testing.assert_allclose(ctx.affinity, [2.0, -0.25, 2.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(ctx.negative, [0.0, 0.25, 0.0, 0.0], rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [{"half_life_hours": 0.0}, {"half_life_hours": float("inf")}, {"weights": {"poke": 1.0}}],
)
def test_affinity_model_validation(kwargs: dict) -> None:
    with pytest.raises(SpecError):
        fr.AffinityModel(**kwargs)


def test_post_authors_resolves_posts_outside_the_batch() -> None:
    interactions = [act("old1", "like", 0.0), act("old2", "reply", 0.0), act("p2", "like", 0.0)]
    ctx = fr.Context.build(
        BATCH,
        now=NOW,
        viewer=fr.Viewer(id="v"),
        interactions=interactions,
        post_authors={"old1": "cat", "old2": "zoe", "p2": "ann"},  # the batch wins for p2
    )
    np.testing.assert_allclose(ctx.affinity, [0.0, 1.0, 0.0, 1.0])


@pytest.mark.parametrize("sorted_path", [False, True])
def test_interactions_may_name_the_author_of_a_post_no_longer_a_candidate(
    sorted_path: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import feedrank.batch.context as context

    if sorted_path:  # the path of very large batches, taken here for four posts
        monkeypatch.setattr(context, "_DICT_ROWS_CONTEXT", 0)
    named = [act("old1", "like", 0.0), act("old2", "reply", 0.0), act("p2", "like", 0.0)]
    named[0] = named[0].model_copy(update={"author_id": "cat"})
    named[1] = named[1].model_copy(update={"author_id": "zoe"})
    by_field = fr.Context.build(BATCH, now=NOW, viewer=fr.Viewer(id="v"), interactions=named)
    by_map = fr.Context.build(
        BATCH,
        now=NOW,
        viewer=fr.Viewer(id="v"),
        interactions=[act("old1", "like", 0.0), act("old2", "reply", 0.0), act("p2", "like", 0.0)],
        post_authors={"old1": "cat", "old2": "zoe"},
    )
    assert by_field.affinity.tolist() == by_map.affinity.tolist() == [0.0, 1.0, 0.0, 1.0]
    wrong = act("p2", "like", 0.0).model_copy(update={"author_id": "zoe"})
    with pytest.raises(fr.InputError, match="names author 'zoe' but the candidate's author is"):
        fr.Context.build(BATCH, now=NOW, viewer=fr.Viewer(id="v"), interactions=[wrong])


def test_unknown_interacted_post_raises_naming_it() -> None:
    with pytest.raises(fr.InputError) as info:
        fr.Context.build(
            BATCH,
            now=NOW,
            viewer=fr.Viewer(id="v"),
            interactions=[act("p1", "like", 1.0), act("vanished", "like", 1.0)],
            post_authors={"other": "ann"},
        )
    assert info.value.post_id == "vanished"
    assert info.value.field == "interactions.post_id"
    assert "'vanished'" in str(info.value)


def test_other_viewers_unknown_posts_are_not_an_error() -> None:
    ctx = fr.Context.build(
        BATCH, now=NOW, viewer=fr.Viewer(id="v"), interactions=[act("nowhere", "like", 1, "w")]
    )
    assert ctx.affinity.tolist() == [0.0] * 4


def test_post_authors_ids_longer_than_batch_authors_are_not_truncated() -> None:
    """An old post by 'annabel' must not count as affinity for 'ann'."""
    batch = fr.PostBatch.from_posts([post("p1", "ann"), post("p2", "bob")])
    ctx = fr.Context.build(
        batch,
        now=NOW,
        viewer=fr.Viewer(id="v"),
        interactions=[act("old", "like", 0.0), act("p2", "like", 0.0)],
        post_authors={"old": "annabel"},
    )
    assert ctx.affinity.tolist() == [0.0, 1.0]


def test_empty_batch_with_interactions() -> None:
    """No candidates left is a normal case; history with known authors is still valid."""
    ctx = fr.Context.build(
        fr.PostBatch.empty(),
        now=NOW,
        viewer=fr.Viewer(id="v", follows={"ann"}),
        interactions=[act("old", "like", 1.0)],
        post_authors={"old": "ann"},
    )
    assert len(ctx) == 0
    assert ctx.affinity.shape == (0,)
    assert ctx.negative.shape == (0,)


def test_empty_batch_without_interactions() -> None:
    ctx = fr.Context.build(fr.PostBatch.empty(), now=NOW, viewer=fr.Viewer(id="v"))
    assert len(ctx) == 0
    assert ctx.seen.shape == (0,)


# -------------------------------------------------------------- property check
# Equal-length author ids and a non-empty batch: truncation and the empty batch have
# their own tests above, so a failure here points at the arithmetic.
AUTHORS = ["ann", "bob", "cat", "dan"]
KIND_NAMES = [k.value for k in fr.InteractionKind]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple:
    n = draw(st.integers(1, 6))
    posts = [post(f"p{i}", draw(st.sampled_from(AUTHORS))) for i in range(n)]
    old = {f"old{j}": draw(st.sampled_from(AUTHORS)) for j in range(draw(st.integers(0, 3)))}
    known = [p.id for p in posts] + list(old)
    interactions = []
    if known:
        for _ in range(draw(st.integers(0, 12))):
            interactions.append(
                fr.Interaction(
                    viewer_id=draw(st.sampled_from(["v", "v", "w"])),
                    post_id=draw(st.sampled_from(known)),
                    kind=draw(st.sampled_from(KIND_NAMES)),
                    at=NOW - timedelta(microseconds=draw(st.integers(-(10**10), 10**13))),
                )
            )
    weights = draw(st.dictionaries(st.sampled_from(KIND_NAMES), st.floats(-5, 5), max_size=6))
    half_life = draw(st.floats(0.5, 1000.0))
    return posts, old, interactions, weights, half_life


@settings(max_examples=50, deadline=None)
@given(scenarios())
def test_affinity_matches_plain_python(scenario: tuple) -> None:
    posts, old, interactions, weights, half_life = scenario
    batch = fr.PostBatch.from_posts(posts)
    viewer = fr.Viewer(id="v", follows={"ann"})
    model = fr.AffinityModel(half_life_hours=half_life, weights=weights)
    ctx = fr.Context.build(
        batch, now=NOW, viewer=viewer, interactions=interactions, post_authors=old, affinity=model
    )
    pos, neg = hand_affinity(posts, interactions, "v", NOW, weights, half_life, old)
    np.testing.assert_allclose(ctx.affinity, pos, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ctx.negative, neg, rtol=1e-9, atol=1e-12)
    assert ctx.in_network.tolist() == [p.author_id == "ann" for p in posts]


# ------------------------------------------------------------------------ take
def test_take_aligns_every_array() -> None:
    viewer = fr.Viewer(id="v", follows={"bob"}, seen={"p1", "p4"})
    interactions = [act("p1", "like", 0.0), act("p2", "hide", 0.0), act("p4", "reply", 0.0)]
    ctx = fr.Context.build(BATCH, now=NOW, viewer=viewer, interactions=interactions)
    index = np.array([3, 1, 1, 0], dtype=np.intp)
    sub = ctx.take(index)
    sub_batch = BATCH.take(index)
    rebuilt = fr.Context.build(sub_batch, now=NOW, viewer=viewer, interactions=interactions)
    assert (sub.now, sub.viewer) == (ctx.now, ctx.viewer)
    for name in ("in_network", "seen", "affinity", "negative"):
        np.testing.assert_array_equal(getattr(sub, name), getattr(ctx, name)[index])
        np.testing.assert_array_equal(getattr(sub, name), getattr(rebuilt, name))
    assert sub.seen.tolist() == [True, False, False, True]
    assert len(sub) == 4
