"""Mastodon trending posts against REFERENCES.md and an independent computation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

import feedrank as fr
import feedrank.presets.mastodon  # registers the preset(s)
from feedrank.errors import SpecError
from feedrank.stages.rerank.per_author import OnePerAuthor
from feedrank.stages.signals.votes import Surprise

UTC = timezone.utc
NOW = datetime(2026, 3, 1, 18, tzinfo=UTC)
NAME = "mastodon-trends"
K = fr.InteractionKind


def ref_score(reblogs: int, favourites: int, age_seconds: float) -> float:
    expected = 1.0
    observed = float(reblogs + favourites)
    score = 0.0 if expected > observed or observed < 5 else (observed - expected) ** 2 / expected
    return float(score * 0.5 ** (age_seconds / 3600.0))


def eligible(post: fr.Post) -> bool:
    bad = {"sensitive", "spoiler", "not_public"}
    top_level = post.reply_to is None and post.repost_of is None
    return top_level and post.created_at <= NOW and not bad & set(post.labels)


def ref_ranking(posts: list[fr.Post]) -> tuple[list[str], dict[str, float], list[str]]:
    """The served order, the scores of the eligible posts and the posts left out:
    each account's best post by (score desc, created desc, id asc) is served in
    that order; every other post of the account is not shown."""
    scores = {
        p.id: ref_score(
            p.counts.get(K.REPOST, 0),
            p.counts.get(K.LIKE, 0),
            (NOW - p.created_at).total_seconds(),
        )
        for p in posts
        if eligible(p)
    }
    by_id = {p.id: p for p in posts}
    seen: set[str] = set()
    first: list[str] = []
    rest: list[str] = []
    for pid in by_score(scores, by_id):
        author = by_id[pid].author_id
        (rest if author in seen else first).append(pid)
        seen.add(author)
    return first, scores, rest


def by_score(scores: dict[str, float], by_id: dict[str, fr.Post]) -> list[str]:
    """Post ids by the documented total order: score desc, created desc, id asc."""
    return sorted(scores, key=lambda pid: (-scores[pid], -by_id[pid].created_at.timestamp(), pid))


def feed() -> list[fr.Post]:
    posts = []
    for i in range(36):
        posts.append(
            fr.Post(
                id=f"m{i:02d}",
                author_id=f"@user{i % 6}@example.social",
                created_at=NOW - timedelta(minutes=13 * i + 1),
                counts={"repost": (i * 7) % 23, "like": (i * 11) % 41, "reply": i},
                reply_to="m00" if i % 10 == 3 else None,
                repost_of="m01" if i % 13 == 7 else None,
                labels=("sensitive",) if i % 8 == 6 else ("spoiler",) if i == 17 else (),
            )
        )
    posts.append(fr.Post(id="few", author_id="@lone@x", created_at=NOW, counts={"like": 4}))
    return posts


def rank(posts: list[fr.Post], now: datetime = NOW) -> fr.Ranking:
    batch = fr.PostBatch.from_posts(posts)
    return fr.preset(NAME).rank(batch, fr.Context.build(batch, now=now), limit=10_000)


def test_worked_value() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    post = fr.Post(id="p", author_id="a", created_at=t, counts={"repost": 3, "like": 7})
    assert rank([post], t + timedelta(hours=1)).page_scores.tolist() == [40.5]
    assert ref_score(3, 7, 3600) == 40.5


def test_thresholds() -> None:
    t = NOW
    posts = [
        fr.Post(id="four", author_id="a", created_at=t, counts={"like": 4}),
        fr.Post(id="five", author_id="b", created_at=t, counts={"like": 2, "repost": 3}),
        fr.Post(id="none", author_id="c", created_at=t),
    ]
    ranking = rank(posts)
    assert ranking.post_ids == ["five", "four", "none"]  # ties: newer, then id
    assert ranking.page_scores.tolist() == [16.0, 0.0, 0.0]


def test_scores_filters_and_order_match_the_reference() -> None:
    posts = feed()
    ranking = rank(posts)
    order, want, _ = ref_ranking(posts)
    got = dict(zip(ranking.post_ids, ranking.page_scores.tolist(), strict=True))
    assert set(got) == set(order)
    for pid in order:
        assert got[pid] == pytest.approx(want[pid], rel=1e-12, abs=0), pid
    assert ranking.post_ids == order
    assert ranking.all_post_ids == order  # the others are not served on any page
    reasons = set(ranking.removed().values())
    assert reasons == {"reply", "repost", "label:sensitive", "label:spoiler", "one_per_author"}


def test_only_one_status_of_each_account_is_served() -> None:
    posts = feed()
    ranking = rank(posts)
    _, _, rest = ref_ranking(posts)
    authors = {p.id: p.author_id for p in posts}
    served = [authors[pid] for pid in ranking.all_post_ids]
    assert len(served) == len(set(served)) == 7  # six accounts and @lone
    assert len(rest) > 10
    removed = ranking.removed()
    assert {pid for pid, why in removed.items() if why == "one_per_author"} == set(rest)
    assert ranking.removal_counts()["one_per_author"] == len(rest)
    assert ranking.to_dict()["removed_counts"]["one_per_author"] == len(rest)
    explanation = ranking.explain(rest[0])
    assert (explanation.removed_by, explanation.removed_at) == ("one_per_author", "one_per_author")
    assert (
        explanation.to_text() == f"{rest[0]}: removed by re-ranker one_per_author (one_per_author)"
    )
    # scores are untouched: no multiplier column
    assert ranking.factor_names == ("decay",)


def test_posts_that_move_up_because_others_were_removed_say_so() -> None:
    posts = feed()
    ranking = rank(posts)
    order, scores, _ = ref_ranking(posts)
    before = by_score(scores, {p.id: p for p in posts})
    moves = ranking.to_dict(moves="all")["moves"]
    want = [
        (pid, before.index(pid), order.index(pid))
        for pid in order
        if before.index(pid) != order.index(pid)
    ]
    assert want
    got = [(m["post_id"], m["before"], m["after"]) for m in moves]
    assert sorted(got) == sorted(want)
    assert {m["reason"] for m in moves} == {"shifted_by:one_per_author"}
    assert ranking.move_counts() == {"one_per_author": {"shifted_by:one_per_author": len(want)}}


def test_future_posts_are_removed() -> None:
    posts = [
        fr.Post(id="later", author_id="a", created_at=NOW + timedelta(hours=2), counts={"like": 9}),
        fr.Post(id="far", author_id="b", created_at=NOW + timedelta(days=400), counts={"like": 9}),
        fr.Post(id="now", author_id="c", created_at=NOW, counts={"like": 9}),
    ]
    ranking = rank(posts)
    assert ranking.post_ids == ["now"]
    assert ranking.page_scores.tolist() == [64.0]
    assert ranking.removed() == {"later": "created_after_now", "far": "created_after_now"}


def test_one_per_author_alone() -> None:
    posts = [
        fr.Post(id=f"p{i}", author_id=a, created_at=NOW, counts={"like": c})
        for i, (a, c) in enumerate([("x", 9), ("x", 8), ("y", 7), ("x", 6), ("z", 1)])
    ]
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(batch, now=NOW)
    step = OnePerAuthor().adjust(batch, ctx, np.arange(5), np.array([9.0, 8.0, 7.0, 6.0, 1.0]))
    assert step.multiplier is None
    assert step.tier is not None
    assert step.tier.tolist() == [0, 1, 0, 1, 0]
    assert step.reasons.tolist() == ["", "one_per_author", "", "one_per_author", ""]
    assert step.removed is None
    assert OnePerAuthor().describe().startswith("One post per author")
    removing = OnePerAuthor(others="remove")
    step = removing.adjust(batch, ctx, np.arange(5), np.array([9.0, 8.0, 7.0, 6.0, 1.0]))
    assert (step.multiplier, step.tier) == (None, None)
    assert step.removed is not None
    assert step.removed.tolist() == [False, True, False, True, False]
    assert step.reasons.tolist() == ["", "one_per_author", "", "one_per_author", ""]
    assert "the others removed" in removing.describe()


def test_the_preset_publishes_that_it_removes_the_others() -> None:
    spec = fr.preset(NAME).to_spec()
    assert spec["rerankers"] == [{"type": "one_per_author", "others": "remove"}]


def test_surprise_validates_and_describes() -> None:
    with pytest.raises(SpecError):
        Surprise(expected=0.0)
    with pytest.raises(SpecError):
        Surprise(threshold=-1.0)
    assert Surprise().describe() == "(observed − 1)² / 1 with observed = repost + like; 0 below 5"
