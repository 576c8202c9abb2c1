"""Re-rankers: X's author diversity discount and network caps, with every move recorded."""

from __future__ import annotations

import random
from typing import Literal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import feedrank as fr
from feedrank.errors import SpecError
from feedrank.ranking.ranking import final_order
from feedrank.stages.rerank import (
    AuthorDiversity,
    NetworkCaps,
    OnePerAuthor,
    Reranker,
    RerankStep,
    rank_within_groups,
    register_reranker,
)
from feedrank.stages.scoring import Scorer, Term
from feedrank.stages.signals import Feature, Interactions
from tests.strategies import NOW, Feed, feeds


def scored(rows: list[tuple[str, str, float]]) -> tuple[fr.PostBatch, np.ndarray]:
    """(id, author, score) rows -> batch (same created_at) and the score array."""
    batch = fr.PostBatch.from_posts(
        [fr.Post(id=pid, author_id=a, created_at=NOW) for pid, a, _ in rows]
    )
    return batch, np.array([s for _, _, s in rows], dtype=np.float64)


def x_discount(k: int, decay: float = 0.5, floor: float = 0.25) -> float:
    """REFERENCES.md: (1 - floor) · decay^k + floor for the k-th (0-based) post."""
    return (1 - floor) * decay**k + floor


def test_x_discount_reference_values() -> None:
    assert [x_discount(k) for k in range(4)] == [1.0, 0.625, 0.4375, 0.34375]


def test_author_diversity_multipliers_follow_score_order_per_author() -> None:
    rows = [
        ("a3", "ann", 3.0),
        ("b1", "bob", 9.0),
        ("a1", "ann", 10.0),
        ("a4", "ann", 1.0),
        ("a2", "ann", 5.0),
        ("b2", "bob", 2.0),
        ("c1", "cy", 0.5),
        ("a5", "ann", 0.25),
    ]
    batch, scores = scored(rows)
    ctx = fr.Context.build(batch, now=NOW)
    order = final_order(np.zeros(len(rows), np.int64), scores, batch.created_at, batch.ids)
    step = AuthorDiversity().adjust(batch, ctx, order, scores)
    assert step.tier is None
    assert step.multiplier is not None
    expected = {
        "a1": 1.0,
        "a2": 0.625,
        "a3": 0.4375,
        "a4": 0.34375,
        "a5": x_discount(4),
        "b1": 1.0,
        "b2": 0.625,
        "c1": 1.0,
    }
    assert dict(zip(batch.ids.tolist(), step.multiplier.tolist(), strict=True)) == expected
    assert dict(zip(batch.ids.tolist(), step.reasons.tolist(), strict=True)) == {
        pid: ("" if m == 1.0 else "author_diversity") for pid, m in expected.items()
    }


def test_author_diversity_follows_the_given_order_not_the_row_order() -> None:
    batch, scores = scored([("x", "ann", 1.0), ("y", "ann", 1.0), ("z", "ann", 1.0)])
    ctx = fr.Context.build(batch, now=NOW)
    step = AuthorDiversity().adjust(batch, ctx, np.array([2, 0, 1], dtype=np.intp), scores)
    assert step.multiplier is not None
    assert step.multiplier.tolist() == [0.625, 0.4375, 1.0]


def test_author_diversity_divides_negative_scores() -> None:
    batch, scores = scored([("a1", "ann", 2.0), ("a2", "ann", -4.0), ("a3", "ann", -8.0)])
    ctx = fr.Context.build(batch, now=NOW)
    order = final_order(np.zeros(3, np.int64), scores, batch.created_at, batch.ids)
    step = AuthorDiversity().adjust(batch, ctx, order, scores)
    assert step.multiplier is not None
    assert step.multiplier.tolist() == [1.0, 1 / 0.625, 1 / 0.4375]
    final = scores * step.multiplier
    assert final.tolist() == pytest.approx([2.0, -6.4, -8 / 0.4375], rel=1e-15)
    assert np.all(final <= scores)  # the discount never helps a repeated author


def test_author_diversity_custom_decay_and_floor() -> None:
    rows = [(f"a{k}", "ann", 10.0 - k) for k in range(5)]
    batch, scores = scored(rows)
    ctx = fr.Context.build(batch, now=NOW)
    order = final_order(np.zeros(5, np.int64), scores, batch.created_at, batch.ids)
    step = AuthorDiversity(decay=0.8, floor=0.1).adjust(batch, ctx, order, scores)
    assert step.multiplier is not None
    np.testing.assert_allclose(
        step.multiplier, [x_discount(k, 0.8, 0.1) for k in range(5)], rtol=1e-15
    )
    flat = AuthorDiversity(decay=1.0, floor=0.0).adjust(batch, ctx, order, scores)
    assert flat.multiplier is not None
    assert flat.multiplier.tolist() == [1.0] * 5


@pytest.mark.parametrize("kwargs", [{"decay": 0}, {"decay": 1.5}, {"floor": -0.1}, {"floor": 2}])
def test_author_diversity_rejects_invalid_parameters(kwargs: dict[str, float]) -> None:
    with pytest.raises(SpecError):
        AuthorDiversity(**kwargs)


def test_rank_within_groups_example() -> None:
    groups = np.array([0, 1, 0, 0, 1], dtype=np.intp)
    order = np.array([4, 3, 1, 0, 2], dtype=np.intp)
    assert rank_within_groups(groups, order).tolist() == [1, 1, 2, 0, 0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3), max_size=30), st.randoms(use_true_random=False))
def test_rank_within_groups_matches_a_loop(groups: list[int], rnd: random.Random) -> None:
    order = list(range(len(groups)))
    rnd.shuffle(order)
    seen: dict[int, int] = {}
    expected = [0] * len(groups)
    for row in order:
        expected[row] = seen.get(groups[row], 0)
        seen[groups[row]] = expected[row] + 1
    got = rank_within_groups(np.array(groups, dtype=np.intp), np.array(order, dtype=np.intp))
    assert got.tolist() == expected


def feature_pipeline(*rerankers: fr.Reranker) -> fr.Pipeline:
    return fr.Pipeline(
        name="by-feature",
        scorer=Scorer(terms=[Term(name="s", signal=Feature(name="s"), weight=1.0)]),
        rerankers=rerankers,
    )


def feature_feed(
    rows: list[tuple[str, str, float]], follows: set[str] = frozenset()
) -> tuple[fr.PostBatch, fr.Context]:
    posts = [fr.Post(id=pid, author_id=a, created_at=NOW, features={"s": s}) for pid, a, s in rows]
    batch = fr.PostBatch.from_posts(posts)
    return batch, fr.Context.build(batch, now=NOW, viewer=fr.Viewer(id="v", follows=follows))


def test_author_diversity_in_a_pipeline_records_factors_and_moves() -> None:
    batch, ctx = feature_feed(
        [("a1", "ann", 10.0), ("a2", "ann", 9.0), ("b1", "bob", 8.0), ("b2", "bob", 3.0)]
    )
    ranking = feature_pipeline(AuthorDiversity()).rank(batch, ctx)
    assert ranking.post_ids == ["a1", "b1", "a2", "b2"]
    assert ranking.page_scores.tolist() == [10.0, 8.0, 9.0 * 0.625, 3.0 * 0.625]
    assert ranking.factor_names == ("author_diversity",)
    assert ranking.to_dict()["items"][2]["factors"] == {"author_diversity": 0.625}
    assert ranking.moves_of("a2") == [fr.Move("a2", "author_diversity", 1, 2, "author_diversity")]
    assert ranking.moves_of("b1") == [
        fr.Move("b1", "author_diversity", 2, 1, "shifted_by:author_diversity")
    ]
    assert ranking.moves_of("a1") == []
    assert ranking.moves_of("b2") == []  # discounted but not moved


def test_network_caps_demote_posts_beyond_the_cap_below_the_rest() -> None:
    rows = [
        ("i1", "friend", 10.0),
        ("i2", "friend", 9.0),
        ("i3", "pal", 8.0),
        ("o1", "stranger", 7.0),
        ("o2", "other", 6.0),
        ("o3", "other", 5.0),
    ]
    batch, ctx = feature_feed(rows, follows={"friend", "pal"})
    ranking = feature_pipeline(NetworkCaps(max_in_network=1)).rank(batch, ctx)
    assert ranking.post_ids == ["i1", "o1", "o2", "o3", "i2", "i3"]
    assert ranking.page_scores.tolist() == [10.0, 7.0, 6.0, 5.0, 9.0, 8.0]  # scores untouched
    assert ranking.factor_names == ()
    assert ranking.moves_of("i2") == [fr.Move("i2", "network_caps", 1, 4, "in_network_cap:1")]
    assert ranking.moves_of("i3") == [fr.Move("i3", "network_caps", 2, 5, "in_network_cap:1")]
    assert ranking.moves_of("o1") == [
        fr.Move("o1", "network_caps", 3, 1, "shifted_by:network_caps")
    ]
    assert ranking.moves_of("i1") == []

    ranking = feature_pipeline(NetworkCaps(max_in_network=2, max_out_of_network=1)).rank(batch, ctx)
    # i3 is the third followed post, o2 and o3 the second and third others: all demoted
    assert ranking.post_ids == ["i1", "i2", "o1", "i3", "o2", "o3"]
    assert ranking.moves_of("i3") == [fr.Move("i3", "network_caps", 2, 3, "in_network_cap:2")]
    assert ranking.moves_of("o1") == [
        fr.Move("o1", "network_caps", 3, 2, "shifted_by:network_caps")
    ]
    assert ranking.moves_of("o2") == []  # demoted, but already below every kept-ahead post


def test_network_caps_of_zero_and_an_anonymous_viewer() -> None:
    rows = [("o1", "x", 3.0), ("o2", "y", 2.0), ("o3", "z", 1.0)]
    batch = fr.PostBatch.from_posts(
        [fr.Post(id=p, author_id=a, created_at=NOW, features={"s": s}) for p, a, s in rows]
    )
    ctx = fr.Context.build(batch, now=NOW)  # anonymous: nobody is in network
    ranking = feature_pipeline(NetworkCaps(max_out_of_network=0)).rank(batch, ctx)
    assert ranking.post_ids == ["o1", "o2", "o3"]  # all demoted together: order kept
    assert ranking.moves_of("o1") == []
    step = NetworkCaps(max_out_of_network=0).adjust(
        batch, ctx, np.arange(3, dtype=np.intp), np.array([3.0, 2.0, 1.0])
    )
    assert step.multiplier is None
    assert step.tier is not None
    assert step.tier.tolist() == [1, 1, 1]
    assert step.reasons.tolist() == ["out_of_network_cap:0"] * 3


def test_network_caps_need_a_cap() -> None:
    with pytest.raises(SpecError):
        NetworkCaps()
    with pytest.raises(SpecError):
        NetworkCaps(max_in_network=-1)


def test_author_diversity_then_network_caps_moves_in_stage_order() -> None:
    rows = [("a1", "ann", 10.0), ("a2", "ann", 9.0), ("b1", "bob", 8.0), ("b2", "bob", 3.0)]
    batch, ctx = feature_feed(rows, follows={"ann"})
    pipe = feature_pipeline(AuthorDiversity(), NetworkCaps(max_in_network=1))
    ranking = pipe.rank(batch, ctx)
    # diversity: a1 10, b1 8, a2 5.625, b2 1.875; then a2 (2nd followed post) demoted
    assert ranking.post_ids == ["a1", "b1", "b2", "a2"]
    assert ranking.moves_of("a2") == [
        fr.Move("a2", "author_diversity", 1, 2, "author_diversity"),
        fr.Move("a2", "network_caps", 2, 3, "in_network_cap:1"),
    ]
    assert ranking.moves_of("b2") == [
        fr.Move("b2", "network_caps", 3, 2, "shifted_by:network_caps")
    ]
    moves = ranking.to_dict(moves="all")["moves"]
    a2_capped = {
        "post_id": "a2",
        "stage": "network_caps",
        "before": 2,
        "after": 3,
        "reason": "in_network_cap:1",
    }
    assert a2_capped in moves
    assert len(moves) == 4


def test_posts_a_reranker_removes_leave_the_feed_before_the_next_stage() -> None:
    rows = [
        ("a1", "ann", 10.0),
        ("a2", "ann", 9.0),
        ("b1", "bob", 8.0),
        ("c1", "cy", 7.0),
        ("b2", "bob", 3.0),
    ]
    batch, ctx = feature_feed(rows, follows={"ann", "cy"})
    pipe = feature_pipeline(
        OnePerAuthor(others="remove"), NetworkCaps(max_in_network=2), AuthorDiversity()
    )
    ranking = pipe.rank(batch, ctx)
    # One per author removes a2 and b2. The cap then counts a1 and c1 only: had it
    # seen a2, c1 would be the third followed post and be demoted.
    assert ranking.all_post_ids == ["a1", "b1", "c1"]
    assert ranking.removed() == {"a2": "one_per_author", "b2": "one_per_author"}
    assert ranking.removal_counts() == {"one_per_author": 2}
    assert ranking.tier.tolist() == [0, 0, 0]
    assert ranking.page_scores.tolist() == [10.0, 8.0, 7.0]
    assert ranking.factor_names == ("author_diversity",)
    assert ranking.factors[:, 0].tolist() == [1.0, 1.0, 1.0]
    assert ranking.moves_of("b1") == [
        fr.Move("b1", "one_per_author", 2, 1, "shifted_by:one_per_author")
    ]
    assert ranking.moves_of("c1") == [
        fr.Move("c1", "one_per_author", 3, 2, "shifted_by:one_per_author")
    ]
    assert ranking.moves_of("a1") == []
    assert ranking.explain("a2").to_text() == (
        "a2: removed by re-ranker one_per_author (one_per_author)"
    )
    (change, *_) = ranking.input_to_top_k("a2", 1)
    assert change.note == "removed by the re-ranker one_per_author (one_per_author)"
    demoting = feature_pipeline(OnePerAuthor(), NetworkCaps(max_in_network=2)).rank(batch, ctx)
    assert demoting.all_post_ids == ["a1", "b1", "c1", "b2", "a2"]  # the default serves all


def test_a_reranker_removal_needs_a_reason() -> None:
    batch, ctx = feature_feed([("a1", "ann", 10.0), ("b1", "bob", 8.0)])
    pipe = feature_pipeline(_Silent())
    with pytest.raises(fr.RankingError, match="without a reason") as info:
        pipe.rank(batch, ctx)
    assert info.value.post_id == "a1"


@register_reranker
class _Silent(Reranker):
    """Removes the first post without saying why."""

    type: Literal["test_rerank_silent_removal"] = "test_rerank_silent_removal"

    def adjust(
        self,
        batch: fr.PostBatch,
        ctx: fr.Context,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> RerankStep:
        gone = np.zeros(len(batch), dtype=bool)
        gone[order[:1]] = True
        return RerankStep(None, None, np.full(len(batch), ""), gone)


def test_removals_over_many_requests_and_chunks_equal_each_request_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import feedrank.engine.run

    pipe = feature_pipeline(
        AuthorDiversity(), OnePerAuthor(others="remove"), NetworkCaps(max_in_network=1)
    )
    feeds_ = [
        feature_feed(
            [(f"r{r}p{i}", f"u{(i * (r + 1)) % 4}", float((7 * i + r) % 11)) for i in range(9)],
            follows={"u0", "u1"},
        )
        for r in range(4)
    ]
    alone = [pipe.rank(b, c) for b, c in feeds_]
    assert all(r.removal_counts()["one_per_author"] > 0 for r in alone)
    batch, offsets = fr.PostBatch.stack([b for b, _ in feeds_])
    for rows in (1 << 16, 10, 3):
        monkeypatch.setattr(feedrank.engine.run, "CHUNK_ROWS", rows)
        many = pipe.rank_many(batch, [c for _, c in feeds_], offsets)
        for i, single in enumerate(alone):
            got = many[i]
            assert got.all_post_ids == single.all_post_ids
            assert got.removed() == single.removed()
            assert got.scores.tobytes() == single.scores.tobytes()
            assert got.factors.tobytes() == single.factors.tobytes()
            assert got.to_dict(moves="all") == single.to_dict(moves="all")


def likes_pipeline(*rerankers: fr.Reranker) -> fr.Pipeline:
    return fr.Pipeline(
        name="likes",
        scorer=Scorer(terms=[Term(name="likes", signal=Interactions(), weight=1.0)]),
        rerankers=rerankers,
        limit=1000,
    )


def reference_order(
    posts: list[fr.Post], score: dict[str, float], tier: dict[str, int] | None = None
) -> list[str]:
    """Ids by tier asc, score desc, created_at desc, id asc (the documented order)."""
    tier = tier or {}
    return [
        p.id
        for p in sorted(
            posts,
            key=lambda p: (tier.get(p.id, 0), -score[p.id], -p.created_at.timestamp(), p.id),
        )
    ]


def group_ranks(order: list[str], group: dict[str, object]) -> dict[str, int]:
    counts: dict[object, int] = {}
    out = {}
    for pid in order:
        out[pid] = counts.get(group[pid], 0)
        counts[group[pid]] = out[pid] + 1
    return out


@settings(max_examples=60, deadline=None)
@given(feed=feeds(min_size=1, max_size=30, anonymous=False))
def test_author_diversity_matches_a_reference_implementation(feed: Feed) -> None:
    base = {p.id: float(p.counts.get(fr.InteractionKind.LIKE, 0)) for p in feed.posts}
    k = group_ranks(reference_order(feed.posts, base), {p.id: p.author_id for p in feed.posts})
    final = {pid: base[pid] * x_discount(k[pid]) for pid in base}
    ranking = likes_pipeline(AuthorDiversity()).rank(feed.batch, feed.ctx)
    assert ranking.all_post_ids == reference_order(feed.posts, final)
    got = dict(zip(ranking.post_ids, ranking.page_scores.tolist(), strict=True))
    assert got == pytest.approx(final, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    feed=feeds(min_size=1, max_size=30, anonymous=False),
    cap_in=st.one_of(st.none(), st.integers(0, 6)),
    cap_out=st.integers(0, 6),
)
def test_network_caps_match_a_reference_implementation(
    feed: Feed, cap_in: int | None, cap_out: int
) -> None:
    assert feed.viewer is not None
    follows = feed.viewer.follows
    score = {p.id: float(p.counts.get(fr.InteractionKind.LIKE, 0)) for p in feed.posts}
    inn = {p.id: p.author_id in follows for p in feed.posts}
    k = group_ranks(reference_order(feed.posts, score), inn)
    caps = {True: cap_in if cap_in is not None else len(feed.posts), False: cap_out}
    tier = {pid: int(k[pid] >= caps[inn[pid]]) for pid in score}
    ranking = likes_pipeline(NetworkCaps(max_in_network=cap_in, max_out_of_network=cap_out)).rank(
        feed.batch, feed.ctx
    )
    assert ranking.all_post_ids == reference_order(feed.posts, score, tier)
    head = [pid for pid in ranking.all_post_ids if tier[pid] == 0]
    assert sum(inn[p] for p in head) <= caps[True]
    assert sum(not inn[p] for p in head) <= cap_out
    for pid in score:
        reasons = {m.reason for m in ranking.moves_of(pid)}
        if tier[pid]:
            assert reasons <= {
                f"in_network_cap:{cap_in}" if inn[pid] else f"out_of_network_cap:{cap_out}"
            }
        else:
            assert reasons <= {"shifted_by:network_caps"}
    for m in (m for pid in score for m in ranking.moves_of(pid)):
        assert m.before != m.after
        assert ranking.all_post_ids[m.after] == m.post_id


@pytest.mark.parametrize(
    ("caps", "number"),
    [
        ({"max_in_network": 5}, "5"),
        ({"max_out_of_network": 7}, "7"),
        ({"max_in_network": 60, "max_out_of_network": 60}, "60"),
    ],
)
def test_network_caps_describe_only_the_caps_that_are_set(
    caps: dict[str, int], number: str
) -> None:
    # The description is published plain language (the algorithm card): an unset
    # cap must not read as "None other posts".
    text = NetworkCaps(**caps).describe()
    assert number in text
    assert "None" not in text


def test_author_diversity_describes_the_x_formula() -> None:
    text = AuthorDiversity().describe()
    assert "0.75" in text
    assert "0.5" in text
    assert "0.25" in text
