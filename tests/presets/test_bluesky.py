"""Bluesky What's Hot against REFERENCES.md and an independent computation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import feedrank as fr
import feedrank.presets.bluesky  # registers the preset(s)
from feedrank.errors import SpecError
from feedrank.stages.filters.community import CreatedWithin, MinInteractions, TopLevel

UTC = timezone.utc
NOW = datetime(2026, 2, 1, 12, tzinfo=UTC)
NAME = "bluesky-whats-hot"
BLOCKED = {"!no-promote", "corpse", "self-harm", "porn", "sexual", "nudity", "underwear"}


def ref_score(likes: int, age_seconds: float) -> float:
    return float(likes / (age_seconds / 3600 + 2) ** 1.8)


def eligible(post: fr.Post) -> bool:
    """whats-hot: top-level, indexed within the last day (open window), more than
    2 likes, none of the blocked labels."""
    age = (NOW - post.created_at).total_seconds()
    return (
        post.reply_to is None
        and 0 <= age < 24 * 3600
        and post.counts.get(fr.InteractionKind.LIKE, 0) > 2
        and not BLOCKED & set(post.labels)
    )


def feed() -> list[fr.Post]:
    """40 posts: ages from the future to 30 h, likes 0..97, some replies and labels."""
    posts = []
    for i in range(40):
        posts.append(
            fr.Post(
                id=f"b{i:02d}",
                author_id=f"did:plc:{i % 7}",
                created_at=NOW - timedelta(minutes=47 * i - 90),
                counts={"like": (i * 37) % 98, "repost": i},
                reply_to="b00" if i % 9 == 4 else None,
                labels=("porn",) if i % 11 == 5 else ("news",) if i % 5 == 0 else (),
            )
        )
    return posts


def rank(posts: list[fr.Post], now: datetime = NOW) -> fr.Ranking:
    batch = fr.PostBatch.from_posts(posts)
    return fr.preset(NAME).rank(batch, fr.Context.build(batch, now=now), limit=10_000)


def test_worked_value() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    post = fr.Post(id="p", author_id="a", created_at=t, counts={"like": 50})
    score = rank([post], t + timedelta(hours=3)).page_scores[0]
    assert round(score, 6) == 2.759459
    assert round(ref_score(50, 3 * 3600), 6) == 2.759459


def test_scores_filters_and_order_match_the_reference() -> None:
    posts = feed()
    ranking = rank(posts)
    want = {
        p.id: ref_score(
            p.counts.get(fr.InteractionKind.LIKE, 0), (NOW - p.created_at).total_seconds()
        )
        for p in posts
        if eligible(p)
    }
    created = {p.id: p.created_at.timestamp() for p in posts}
    got = dict(zip(ranking.post_ids, ranking.page_scores.tolist(), strict=True))
    assert 10 < len(want) < len(posts)
    assert set(got) == set(want)
    for pid, value in want.items():
        assert got[pid] == pytest.approx(value, rel=1e-12, abs=0), pid
    assert ranking.post_ids == sorted(want, key=lambda p: (-want[p], -created[p], p))
    reasons = set(ranking.removed().values())
    assert reasons == {
        "reply",
        "created_after_now",
        "not_newer_than:24h",
        "min_interactions:like>=3",
        "label:porn",
    }


def test_each_filter_and_its_reason() -> None:
    def post(pid: str, **kw: object) -> fr.Post:
        base: dict[str, object] = {
            "id": pid,
            "author_id": "a",
            "created_at": NOW - timedelta(hours=1),
            "counts": {"like": 10},
        }
        base.update(kw)
        return fr.Post.model_validate(base)

    posts = [
        post("ok"),
        post("reply", reply_to="ok"),
        post("edge", created_at=NOW - timedelta(hours=24)),
        post("inside", created_at=NOW - timedelta(hours=24) + timedelta(microseconds=1)),
        post("future", created_at=NOW + timedelta(seconds=1)),
        post("two", counts={"like": 2, "repost": 50}),
        post("three", counts={"like": 3}),
        post("nsfw", labels=("nudity", "art")),
        post("promo", labels=("!no-promote",)),
    ]
    ranking = rank(posts)
    assert ranking.removed() == {
        "reply": "reply",
        "edge": "not_newer_than:24h",
        "future": "created_after_now",
        "two": "min_interactions:like>=3",
        "nsfw": "label:nudity",
        "promo": "label:!no-promote",
    }
    assert ranking.post_ids == ["ok", "three", "inside"]


def test_community_filters_validate_and_describe() -> None:
    with pytest.raises(SpecError):
        CreatedWithin(hours=0.0)
    with pytest.raises(SpecError):
        MinInteractions()  # type: ignore[call-arg]
    with pytest.raises(SpecError, match="weights"):
        MinInteractions(weights={}, at_least=1.0)
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec(
            {
                "name": "x",
                "filters": [{"type": "min_interactions", "at_least": "3"}],
                "scorer": {
                    "terms": [{"name": "t", "weight": 1.0, "signal": {"type": "age_hours"}}]
                },
            }
        )
    assert info.value.field == "filters[0].at_least"
    assert CreatedWithin(hours=24.0).describe() == (
        "Keep posts created within the last 24 h; remove posts dated after now"
    )
    assert CreatedWithin(allow_future=True).describe() == "Keep posts of any age"
    assert MinInteractions(weights={"like": 1.0, "repost": 2.0}, at_least=3).describe() == (
        "Remove posts with like+2*repost below 3"
    )
    assert TopLevel(exclude_reposts=True).describe() == "Remove replies and reposts"
