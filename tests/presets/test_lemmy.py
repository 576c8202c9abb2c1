"""Lemmy hot against REFERENCES.md and an independent computation."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

import feedrank as fr
import feedrank.presets.lemmy  # registers the preset(s)
from feedrank.errors import SpecError
from feedrank.stages.signals.votes import LogVotes, WindowedGravityDecay

UTC = timezone.utc
NOW = datetime(2026, 4, 1, 9, tzinfo=UTC)
NAME = "lemmy-hot"


def ref_hot(upvotes: int, downvotes: int, age_seconds: float) -> float:
    hours = age_seconds / 3600
    if 0 < hours < 168:
        return float(math.log10(max(2, upvotes - downvotes + 2)) / (hours + 2) ** 1.8)
    return 0.0


def feed() -> list[fr.Post]:
    """Ages from 5 h in the future to 9 days, net scores from −20 to +60; exact
    edges: now, 168 h, just under 168 h, and 2 h in the future (the pole of
    (age + 2)^−1.8)."""
    ages = [-5.0, -2.0, -0.5, 0.0, 1e-6, 0.25, 1, 3, 7.5, 12, 24, 48, 100, 167.99, 168, 200, 216]
    posts = []
    for i, age in enumerate(ages):
        posts.append(
            fr.Post(
                id=f"l{i:02d}",
                author_id=f"u{i % 4}",
                created_at=NOW - timedelta(hours=age),
                counts={"upvote": (i * 13) % 61, "downvote": (i * 7) % 23},
            )
        )
    posts.append(
        fr.Post(
            id="neg", author_id="u9", created_at=NOW - timedelta(hours=5), counts={"downvote": 9}
        )
    )
    return posts


def rank(posts: list[fr.Post], now: datetime = NOW) -> fr.Ranking:
    batch = fr.PostBatch.from_posts(posts)
    return fr.preset(NAME).rank(batch, fr.Context.build(batch, now=now), limit=10_000)


def test_scores_and_order_match_the_reference_including_future_posts() -> None:
    posts = feed()
    ranking = rank(posts)  # must not raise on future-dated posts
    want = {
        p.id: ref_hot(
            p.counts.get(fr.InteractionKind.UPVOTE, 0),
            p.counts.get(fr.InteractionKind.DOWNVOTE, 0),
            (NOW - p.created_at).total_seconds(),
        )
        for p in posts
    }
    created = {p.id: p.created_at.timestamp() for p in posts}
    got = dict(zip(ranking.post_ids, ranking.page_scores.tolist(), strict=True))
    assert set(got) == set(want)
    assert not ranking.removed()
    for pid, value in want.items():
        assert got[pid] == pytest.approx(value, rel=1e-12, abs=0), pid
    assert ranking.post_ids == sorted(want, key=lambda p: (-want[p], -created[p], p))
    zero = {pid for pid, v in got.items() if v == 0.0}
    assert zero == {"l00", "l01", "l02", "l03", "l14", "l15", "l16"}
    assert got["neg"] == pytest.approx(math.log10(2) / 7**1.8, rel=1e-12)


def test_worked_value_one_week_edge() -> None:
    post = fr.Post(id="p", author_id="a", created_at=NOW, counts={"upvote": 8})
    fresh = rank([post], NOW + timedelta(hours=2)).page_scores[0]
    assert fresh == pytest.approx(1 / 4**1.8, rel=1e-12)  # log10(10) = 1
    assert rank([post], NOW + timedelta(hours=168)).page_scores.tolist() == [0.0]


def test_signals_validate_and_describe() -> None:
    with pytest.raises(SpecError, match="larger than min_hours"):
        WindowedGravityDecay(min_hours=10.0, max_hours=5.0)
    with pytest.raises(SpecError):
        WindowedGravityDecay(min_hours=-1.0)
    with pytest.raises(SpecError):
        LogVotes(floor=-2.0)
    assert WindowedGravityDecay().describe() == "1/(age_h + 2)^1.8 for 0 < age_h < 168, else 0"
    assert LogVotes(shift=2.0, floor=2.0).describe() == "log10(max(2, upvote − downvote + 2))"
    explanation = rank(feed()).explain("l05")
    assert explanation.factors[0].name == "age"
