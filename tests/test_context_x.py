"""Context arrays for the X presets: the viewer's latest negative feedback per author
(``last_negative_at``) and social proof from followed accounts."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr
from feedrank.batch.context import SEE_FEWER_KINDS, SOCIAL_PROOF_KINDS
from feedrank.models import NEGATIVE_KINDS

UTC = timezone.utc
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COLUMNS = ["downvote", "report", "hide", "mute", "block"]  # NEGATIVE_KINDS, in order


def us(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def post(post_id: str, author: str) -> fr.Post:
    return fr.Post(id=post_id, author_id=author, created_at=NOW - timedelta(hours=1))


def act(post_id: str, kind: str, hours_ago: float, viewer: str = "v") -> fr.Interaction:
    return fr.Interaction(
        viewer_id=viewer, post_id=post_id, kind=kind, at=NOW - timedelta(hours=hours_ago)
    )


POSTS = [post("p1", "ann"), post("p2", "bob"), post("p3", "ann"), post("p4", "cat")]
BATCH = fr.PostBatch.from_posts(POSTS)


def test_the_documented_kinds() -> None:
    assert [k.value for k in NEGATIVE_KINDS] == COLUMNS
    assert SEE_FEWER_KINDS == (fr.InteractionKind.HIDE,)
    assert SOCIAL_PROOF_KINDS == (fr.InteractionKind.LIKE, fr.InteractionKind.REPOST)


# ------------------------------------------------------------ last_negative_at
def test_last_negative_at_holds_the_latest_time_per_author_and_kind() -> None:
    interactions = [
        act("p1", "hide", 48.0),
        act("p3", "hide", 24.0),  # later hide on ann (another of her posts): wins
        act("p1", "block", 100.0),
        act("p2", "mute", 5.0),
        act("old", "hide", 2.0),  # resolved through post_authors: cat
        act("p4", "hide", -1.0),  # after now: ignored
        act("p2", "hide", 1.0, viewer="w"),  # another viewer: ignored
        act("p2", "like", 1.0),  # not negative
    ]
    ctx = fr.Context.build(
        BATCH,
        now=NOW,
        viewer=fr.Viewer(id="v"),
        interactions=interactions,
        post_authors={"old": "cat"},
    )
    assert ctx.last_negative_at.dtype == np.int64
    assert ctx.last_negative_at.shape == (4, len(NEGATIVE_KINDS))
    hide, block, mute = COLUMNS.index("hide"), COLUMNS.index("block"), COLUMNS.index("mute")
    expected = np.full((4, 5), -1, dtype=np.int64)
    for row in (0, 2):  # ann
        expected[row, hide] = us(NOW - timedelta(hours=24))
        expected[row, block] = us(NOW - timedelta(hours=100))
    expected[1, mute] = us(NOW - timedelta(hours=5))
    expected[3, hide] = us(NOW - timedelta(hours=2))
    np.testing.assert_array_equal(ctx.last_negative_at, expected)
    np.testing.assert_array_equal(ctx.latest_negative(), expected[:, hide])
    np.testing.assert_array_equal(
        ctx.latest_negative(["hide", "block", "mute"]), expected.max(axis=1)
    )


def test_an_interaction_exactly_at_now_counts() -> None:
    ctx = fr.Context.build(
        BATCH, now=NOW, viewer=fr.Viewer(id="v"), interactions=[act("p2", "hide", 0.0)]
    )
    assert ctx.latest_negative().tolist() == [-1, us(NOW), -1, -1]


def test_latest_negative_rejects_kinds_that_are_not_negative() -> None:
    ctx = fr.Context.build(BATCH, now=NOW, viewer=fr.Viewer(id="v"))
    with pytest.raises(fr.InputError) as info:
        ctx.latest_negative(["like"])
    assert info.value.field == "kinds"
    assert "'like'" in str(info.value)
    assert "hide" in str(info.value)
    with pytest.raises(fr.InputError, match="no kinds"):
        ctx.latest_negative([])
    with pytest.raises(fr.InputError, match="'poke'"):
        ctx.latest_negative(["poke"])


def test_anonymous_and_historyless_viewers_have_no_negative_feedback() -> None:
    for ctx in (
        fr.Context.build(BATCH, now=NOW, interactions=[act("p1", "hide", 1.0)]),
        fr.Context.build(BATCH, now=NOW, viewer=fr.Viewer(id="v")),
    ):
        assert ctx.last_negative_at.tolist() == [[-1] * 5] * 4
        assert ctx.social_proof_count.tolist() == [0] * 4
        assert ctx.social_proof.tolist() == [False] * 4


def test_direct_construction_keeps_working_and_checks_shapes() -> None:
    n = 3
    ctx = fr.Context(0, None, np.zeros(n, bool), np.zeros(n, bool), np.zeros(n), np.zeros(n))
    assert ctx.last_negative_at.shape == (n, 5)
    assert (ctx.last_negative_at == -1).all()
    assert ctx.social_proof_count.tolist() == [0, 0, 0]
    empty = fr.Context(0, None, np.zeros(0, bool), np.zeros(0, bool), np.zeros(0), np.zeros(0))
    assert empty.last_negative_at.shape == (0, 5)
    with pytest.raises(fr.InputError) as info:
        fr.Context(
            0,
            None,
            np.zeros(n, bool),
            np.zeros(n, bool),
            np.zeros(n),
            np.zeros(n),
            np.full((2, 5), -1, dtype=np.int64),
        )
    assert info.value.field == "last_negative_at"
    with pytest.raises(fr.InputError) as info:
        fr.Context(
            0,
            None,
            np.zeros(n, bool),
            np.zeros(n, bool),
            np.zeros(n),
            np.zeros(n),
            social_proof_count=np.zeros(4, dtype=np.int64),
        )
    assert info.value.field == "social_proof_count"


# ----------------------------------------------------------------- social proof
def test_social_proof_counts_distinct_followed_accounts() -> None:
    viewer = fr.Viewer(id="v", follows={"fred", "gina", "bob"})
    network = [
        act("p1", "like", 3.0, viewer="fred"),
        act("p1", "repost", 2.0, viewer="fred"),  # same account twice: counts once
        act("p1", "like", 1.0, viewer="gina"),
        act("p2", "like", 1.0, viewer="stranger"),  # not followed: ignored
        act("p3", "reply", 1.0, viewer="fred"),  # not a vouching kind by default
        act("p4", "like", -2.0, viewer="gina"),  # after now: ignored
        act("elsewhere", "like", 1.0, viewer="gina"),  # not a candidate: ignored
    ]
    ctx = fr.Context.build(BATCH, now=NOW, viewer=viewer, network=network)
    assert ctx.social_proof_count.dtype == np.int64
    assert ctx.social_proof_count.tolist() == [2, 0, 0, 0]
    assert ctx.social_proof.tolist() == [True, False, False, False]
    replies = fr.Context.build(
        BATCH, now=NOW, viewer=viewer, network=network, social_proof_kinds=["reply"]
    )
    assert replies.social_proof_count.tolist() == [0, 0, 1, 0]


def test_social_proof_from_the_follow_graph() -> None:
    viewer = fr.Viewer(id="v", follows={"fred", "gina"})
    graph = {
        "fred": ["ann", "cat"],
        "gina": ("ann",),
        "stranger": ["bob"],  # the viewer does not follow stranger
    }
    network = [act("p1", "like", 1.0, viewer="fred")]  # fred also follows ann: one account
    ctx = fr.Context.build(BATCH, now=NOW, viewer=viewer, network=network, follow_graph=graph)
    assert ctx.social_proof_count.tolist() == [2, 0, 2, 1]


def test_follow_graph_ids_are_not_truncated_or_prefix_matched() -> None:
    batch = fr.PostBatch.from_posts([post("p1", "ann"), post("p2", "annabel")])
    viewer = fr.Viewer(id="v", follows={"fred"})
    ctx = fr.Context.build(batch, now=NOW, viewer=viewer, follow_graph={"fred": ["annabel"]})
    assert ctx.social_proof_count.tolist() == [0, 1]
    ctx = fr.Context.build(batch, now=NOW, viewer=viewer, follow_graph={"fred": ["an"]})
    assert ctx.social_proof_count.tolist() == [0, 0]


def test_bad_social_inputs_are_clear_errors() -> None:
    viewer = fr.Viewer(id="v", follows={"fred"})
    with pytest.raises(fr.InputError) as info:
        fr.Context.build(BATCH, now=NOW, viewer=viewer, follow_graph={"fred": "ann"})
    assert info.value.field == "follow_graph"
    assert "'fred'" in str(info.value)
    with pytest.raises(fr.InputError) as info:
        fr.Context.build(BATCH, now=NOW, viewer=viewer, social_proof_kinds=["poke"])
    assert info.value.field == "social_proof_kinds"


def test_social_inputs_leave_the_other_arrays_alone() -> None:
    viewer = fr.Viewer(id="v", follows={"fred", "ann"}, seen={"p2"})
    interactions = [act("p1", "like", 5.0), act("p2", "hide", 30.0)]
    plain = fr.Context.build(BATCH, now=NOW, viewer=viewer, interactions=interactions)
    social = fr.Context.build(
        BATCH,
        now=NOW,
        viewer=viewer,
        interactions=interactions,
        network=[act("p4", "like", 1.0, viewer="fred")],
        follow_graph={"fred": ["bob"]},
    )
    for name in ("in_network", "seen", "affinity", "negative", "last_negative_at"):
        np.testing.assert_array_equal(getattr(plain, name), getattr(social, name))
    assert social.social_proof_count.tolist() == [0, 1, 0, 1]


def test_empty_batch_with_social_inputs() -> None:
    ctx = fr.Context.build(
        fr.PostBatch.empty(),
        now=NOW,
        viewer=fr.Viewer(id="v", follows={"fred"}),
        network=[act("p1", "like", 1.0, viewer="fred")],
        follow_graph={"fred": ["ann"]},
    )
    assert ctx.social_proof_count.shape == (0,)
    assert ctx.last_negative_at.shape == (0, 5)


def test_take_carries_the_new_arrays() -> None:
    viewer = fr.Viewer(id="v", follows={"fred"})
    ctx = fr.Context.build(
        BATCH,
        now=NOW,
        viewer=viewer,
        interactions=[act("p2", "hide", 10.0), act("p1", "mute", 3.0)],
        network=[act("p3", "like", 1.0, viewer="fred")],
        follow_graph={"fred": ["bob"]},
    )
    index = np.array([3, 1, 1, 2], dtype=np.intp)
    sub = ctx.take(index)
    np.testing.assert_array_equal(sub.last_negative_at, ctx.last_negative_at[index])
    np.testing.assert_array_equal(sub.social_proof_count, ctx.social_proof_count[index])
    assert sub.social_proof_count.tolist() == [0, 1, 1, 1]
    assert len(sub) == 4


# -------------------------------------------------------------- property check
AUTHORS = ["ann", "bob", "cat", "dan", "annabel"]
ACCOUNTS = ["fred", "gina", "hal", "ivy"]
KIND_NAMES = [k.value for k in fr.InteractionKind]
Scenario = tuple[
    list[fr.Post],
    list[fr.Interaction],
    list[fr.Interaction],
    dict[str, list[str]],
    frozenset[str],
    list[str],
]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    n = draw(st.integers(0, 6))
    posts = [post(f"p{i}", draw(st.sampled_from(AUTHORS))) for i in range(n)]
    ids = [p.id for p in posts] + ["gone"]
    mine = [
        fr.Interaction(
            viewer_id="v",
            post_id=draw(st.sampled_from(ids)),
            kind=draw(st.sampled_from(KIND_NAMES)),
            at=NOW - timedelta(minutes=draw(st.integers(-600, 10**6))),
        )
        for _ in range(draw(st.integers(0, 10)))
    ]
    network = [
        fr.Interaction(
            viewer_id=draw(st.sampled_from(ACCOUNTS)),
            post_id=draw(st.sampled_from(ids)),
            kind=draw(st.sampled_from(KIND_NAMES)),
            at=NOW - timedelta(minutes=draw(st.integers(-600, 10**4))),
        )
        for _ in range(draw(st.integers(0, 12)))
    ]
    graph = {
        a: draw(st.lists(st.sampled_from(AUTHORS), max_size=3))
        for a in draw(st.lists(st.sampled_from(ACCOUNTS), max_size=4, unique=True))
    }
    follows = draw(st.frozensets(st.sampled_from(ACCOUNTS + AUTHORS)))
    kinds = draw(st.lists(st.sampled_from(KIND_NAMES), min_size=1, max_size=3))
    return posts, mine, network, graph, follows, kinds


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_matches_plain_python(scenario: Scenario) -> None:
    posts, mine, network, graph, follows, kinds = scenario
    batch = fr.PostBatch.from_posts(posts)
    old = {"gone": "dan"}
    ctx = fr.Context.build(
        batch,
        now=NOW,
        viewer=fr.Viewer(id="v", follows=follows),
        interactions=mine,
        post_authors=old,
        network=network,
        follow_graph=graph,
        social_proof_kinds=kinds,
    )
    # last negative per (author, kind), written out
    author_of = {**old, **{p.id: p.author_id for p in posts}}
    latest: dict[tuple[str, str], int] = {}
    for i in mine:
        if i.kind.value in COLUMNS and i.at <= NOW:
            key = (author_of[i.post_id], i.kind.value)
            latest[key] = max(latest.get(key, -1), us(i.at))
    expected = [[latest.get((p.author_id, k), -1) for k in COLUMNS] for p in posts]
    assert ctx.last_negative_at.tolist() == (expected or [])
    # social proof: distinct followed accounts that vouched or follow the author
    vouchers: dict[str, set[str]] = defaultdict(set)
    for i in network:
        if i.viewer_id in follows and i.kind.value in kinds and i.at <= NOW:
            vouchers[i.post_id].add(i.viewer_id)
    for account, targets in graph.items():
        if account in follows:
            for p in posts:
                if p.author_id in targets:
                    vouchers[p.id].add(account)
    assert ctx.social_proof_count.tolist() == [len(vouchers[p.id]) for p in posts]
