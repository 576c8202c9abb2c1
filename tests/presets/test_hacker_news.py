"""Hacker News presets against REFERENCES.md and against an independent
computation on a real front-page snapshot (tests/data/hn_frontpage_daily, MIT)."""

from __future__ import annotations

import csv
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

import feedrank as fr
import feedrank.presets.hacker_news  # registers the preset(s)
from feedrank.errors import SpecError
from feedrank.stages.signals.votes import HackerNewsPenalty, Points

UTC = timezone.utc
DATA = Path(__file__).resolve().parents[1] / "data" / "hn_frontpage_daily" / "rows.csv"
PRESETS = ("hacker-news", "hacker-news-simple")


def when(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


# ----------------------------------------------------- independent reference
def ref_contro(points: int, comments: int) -> float:
    if comments > 20:
        return min(1.0, (points / comments) ** 2)
    return 1.0


def ref_penalty(points: int, comments: int, url: str, *, poll: bool = False) -> float:
    """news.arc's penalty chain: non-story, no URL, lightweight, contro-factor."""
    if poll:
        return 0.5
    if not url.strip():
        return 0.4
    if url.strip().lower().split(".")[-1] in ("png", "jpg", "jpeg"):
        return min(0.3, ref_contro(points, comments))
    return ref_contro(points, comments)


def ref_hn(
    points: int, comments: int, url: str, age_seconds: float, *, poll: bool = False
) -> float:
    base = float(points - 1)
    if base > 0:
        base = float(base**0.8)
    age_minutes = age_seconds / 60
    decay = float(((age_minutes + 120) / 60) ** 1.8)
    return base / decay * ref_penalty(points, comments, url, poll=poll)


def ref_simple(points: int, age_seconds: float) -> float:
    return float((points - 1) / (age_seconds / 3600 + 2) ** 1.8)


# ------------------------------------------------------------------ helpers
def load_rows() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def post_of(row: dict[str, str]) -> fr.Post:
    return fr.Post(
        id=row["item_id"],
        author_id=row["by"],
        created_at=when(row["submission_time_utc"]),
        counts={"upvote": int(row["score"]), "reply": int(row["comments"])},
        url=row["url"] or None,
    )


def rank(name: str, posts: list[fr.Post], now: datetime) -> fr.Ranking:
    batch = fr.PostBatch.from_posts(posts)
    return fr.preset(name).rank(batch, fr.Context.build(batch, now=now), limit=10_000)


def scores_of(ranking: fr.Ranking) -> dict[str, float]:
    return dict(zip(ranking.post_ids, ranking.page_scores.tolist(), strict=True))


def expected_order(scores: dict[str, float], created: dict[str, float]) -> list[str]:
    return sorted(scores, key=lambda pid: (-scores[pid], -created[pid], pid))


# ------------------------------------------------------------ worked values
def test_simple_worked_value() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    post = fr.Post(id="p", author_id="a", created_at=t, counts={"upvote": 100}, url="https://x")
    score = rank("hacker-news-simple", [post], t + timedelta(hours=1)).page_scores[0]
    assert round(score, 5) == 13.70304
    assert round(ref_simple(100, 3600), 5) == 13.70304


# -------------------------------------------------------------- real data
@pytest.mark.parametrize("name", PRESETS)
def test_scores_and_order_match_the_reference_on_a_real_snapshot(name: str) -> None:
    rows = load_rows()
    now = when(rows[0]["snapshot_time_utc"])
    assert {r["snapshot_time_utc"] for r in rows} == {rows[0]["snapshot_time_utc"]}
    ranking = rank(name, [post_of(r) for r in rows], now)
    want: dict[str, float] = {}
    for r in rows:
        age = (now - when(r["submission_time_utc"])).total_seconds()
        assert age / 3600 == pytest.approx(float(r["age_hours_at_snapshot"]), abs=1e-3)
        points, comments = int(r["score"]), int(r["comments"])
        want[r["item_id"]] = (
            ref_hn(points, comments, r["url"], age)
            if name == "hacker-news"
            else ref_simple(points, age)
        )
    got = scores_of(ranking)
    assert set(got) == set(want)
    for pid, value in want.items():
        assert got[pid] == pytest.approx(value, rel=1e-12, abs=0), pid
    created = {r["item_id"]: when(r["submission_time_utc"]).timestamp() for r in rows}
    assert ranking.post_ids == expected_order(want, created)


def test_the_snapshot_exercises_every_story_penalty() -> None:
    rows = {r["item_id"]: r for r in load_rows()}
    now = when(next(iter(rows.values()))["snapshot_time_utc"])
    ranking = rank("hacker-news", [post_of(r) for r in rows.values()], now)
    factors = dict(zip(ranking.factor_names, range(len(ranking.factor_names)), strict=True))
    assert ranking.factor_names == ("age", "non_story", "no_url", "lightweight", "controversy")

    def factor(pid: str, name: str) -> float:
        return float(ranking.factors[ranking.row_of(pid), factors[name]])

    # Ask-HN style story without URL: 0.4 only, even with more than 20 comments
    assert factor("29600228", "no_url") == 0.4
    assert factor("29600228", "controversy") == 1.0
    # an image URL is lightweight: min(0.3, contro = 1)
    assert rows["29602203"]["url"].endswith(".png")
    assert factor("29602203", "lightweight") == 0.3
    # a flame war: 162 points, 394 comments
    assert factor("29592885", "controversy") == pytest.approx((162 / 394) ** 2, rel=1e-15)
    # 20 comments or fewer: no contro-factor
    assert int(rows["29603208"]["comments"]) == 20
    assert factor("29603208", "controversy") == 1.0
    # the four penalty factors multiply to news.arc's single penalty
    all_branches = HackerNewsPenalty(branch="all")
    batch = fr.PostBatch.from_posts([post_of(r) for r in rows.values()])
    whole = all_branches.compute(batch, fr.Context.build(batch, now=now))
    parts = np.prod(ranking.factors[:, 1:], axis=1)
    assert np.array_equal(whole[ranking.kept], parts)


# ------------------------------------------------------ synthetic edge cases
T = datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_polls_low_points_and_lightweight_with_a_flame_war() -> None:
    posts = [
        fr.Post(
            id="poll",
            author_id="a",
            created_at=T - timedelta(hours=1),
            counts={"upvote": 50, "reply": 100},
            labels=("poll",),
        ),
        fr.Post(id="zero", author_id="a", created_at=T - timedelta(hours=2), url="https://z"),
        fr.Post(
            id="one",
            author_id="b",
            created_at=T - timedelta(hours=2),
            counts={"upvote": 1},
            url="https://o",
        ),
        fr.Post(
            id="img",
            author_id="c",
            created_at=T - timedelta(minutes=30),
            counts={"upvote": 30, "reply": 150},
            url="https://x.org/A.JPEG",
        ),
        fr.Post(
            id="rally",
            author_id="d",
            created_at=T - timedelta(minutes=45),
            counts={"upvote": 80, "reply": 10},
            url="https://y.org/",
            labels=("rally",),
        ),
    ]
    ranking = rank("hacker-news", posts, T)
    got = scores_of(ranking)
    assert got["poll"] == pytest.approx(ref_hn(50, 100, "", 3600, poll=True), rel=1e-12)
    assert got["zero"] == pytest.approx(-1 / 4**1.8, rel=1e-12)  # base = points − 1 = −1
    assert got["one"] == 0.0
    assert got["img"] == pytest.approx(ref_hn(30, 150, "https://x.org/A.JPEG", 1800), rel=1e-12)
    assert ranking.explain("img").factors[3].value == pytest.approx((30 / 150) ** 2)
    rally = (79**0.8) / (2.75**1.8) * 0.3
    assert got["rally"] == pytest.approx(rally, rel=1e-12)
    assert ranking.post_ids == ["rally", "poll", "img", "one", "zero"]


@pytest.mark.parametrize("name", PRESETS)
def test_future_posts_are_removed_not_crashing(name: str) -> None:
    posts = [
        fr.Post(id="soon", author_id="a", created_at=T + timedelta(hours=3), counts={"upvote": 9}),
        fr.Post(id="now", author_id="a", created_at=T, counts={"upvote": 9}, url="https://n"),
    ]
    ranking = rank(name, posts, T)
    assert ranking.post_ids == ["now"]
    assert ranking.removed() == {"soon": "created_after_now"}


def test_penalty_and_points_parameters_are_validated_and_described() -> None:
    with pytest.raises(SpecError):
        HackerNewsPenalty.model_validate({"branch": "bury"})
    with pytest.raises(SpecError, match="empty label"):
        HackerNewsPenalty(non_story_labels=("",))
    with pytest.raises(SpecError):
        Points(exponent=0.0)
    with pytest.raises(SpecError, match="weights"):
        Points(weights={})
    assert Points(offset=1.0, exponent=0.8).describe() == (
        "(upvote − 1)^0.8 if positive, else upvote − 1"
    )
    assert HackerNewsPenalty(branch="controversy").describe() == (
        "contro-factor min(1, (upvote/reply)²) when reply > 20 for other stories, else 1"
    )
    assert math.isclose(ref_contro(30, 21), 1.0)
