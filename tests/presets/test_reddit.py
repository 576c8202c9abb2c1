"""Reddit presets against REFERENCES.md and against an independent computation
on real reddit_top_2013 rows (tests/data/reddit_top_2013, PDDL 1.0)."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import feedrank as fr
import feedrank.presets.reddit  # registers the preset(s)
from feedrank.errors import SpecError
from feedrank.stages.signals.votes import Controversy, LogVotes, SignedTimestamp

UTC = timezone.utc
DATA = Path(__file__).resolve().parents[1] / "data" / "reddit_top_2013" / "rows.csv"
NOW = datetime(2013, 8, 15, 22, tzinfo=UTC)  # after the newest row (20:59:46)
T0 = 1134028003
PRESETS = (
    "reddit-hot",
    "reddit-hot-2013",
    "reddit-best",
    "reddit-controversial",
    "reddit-top",
    "reddit-top-hour",
    "reddit-top-week",
    "reddit-top-month",
    "reddit-top-year",
    "reddit-top-all",
)


# ----------------------------------------------------- independent reference
def ref_hot(ups: int, downs: int, epoch: float) -> float:
    s = ups - downs
    order = math.log10(max(abs(s), 1))
    sign = 1 if s > 0 else -1 if s < 0 else 0
    return round(sign * order + (epoch - T0) / 45000, 7)


def ref_hot_2013(ups: int, downs: int, epoch: float) -> float:
    s = ups - downs
    order = math.log10(max(abs(s), 1))
    sign = 1 if s > 0 else -1 if s < 0 else 0
    return round(order + sign * (epoch - T0) / 45000, 7)


def ref_confidence(ups: int, downs: int) -> float:
    n = ups + downs
    if n == 0:
        return 0.0
    z = 1.281551565545
    p = ups / n
    left = p + z * z / (2 * n)
    right = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (left - right) / (1 + z * z / n)


def ref_controversy(ups: int, downs: int) -> float:
    if ups <= 0 or downs <= 0:
        return 0.0
    balance = downs / ups if ups > downs else ups / downs
    return float((ups + downs) ** balance)


WINDOW_HOURS = {
    "reddit-top": 24,
    "reddit-top-hour": 1,
    "reddit-top-week": 24 * 7,
    "reddit-top-month": 24 * 30,
    "reddit-top-year": 24 * 365,
    "reddit-top-all": None,
}


# ------------------------------------------------------------------ helpers
def load_rows() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def post_of(row: dict[str, str]) -> fr.Post:
    return fr.Post(
        id=row["id"],
        author_id=row["subreddit"],
        created_at=datetime.fromtimestamp(float(row["created_utc"]), tz=UTC),
        counts={"upvote": int(row["ups"]), "downvote": int(row["downs"])},
    )


def reference(name: str, row: dict[str, str]) -> float | None:
    """Score of ``row`` under preset ``name``, None if its window excludes it."""
    ups, downs, epoch = int(row["ups"]), int(row["downs"]), float(row["created_utc"])
    if name == "reddit-hot":
        return ref_hot(ups, downs, epoch)
    if name == "reddit-hot-2013":
        return ref_hot_2013(ups, downs, epoch)
    if name == "reddit-best":
        return ref_confidence(ups, downs)
    if name == "reddit-controversial":
        return ref_controversy(ups, downs)
    hours = WINDOW_HOURS[name]
    age_h = (NOW.timestamp() - epoch) / 3600
    if hours is not None and age_h > hours:
        return None
    return float(ups - downs)


def expected_order(scores: dict[str, float], created: dict[str, float]) -> list[str]:
    """The library's documented tie order: score desc, created desc, id asc."""
    return sorted(scores, key=lambda pid: (-scores[pid], -created[pid], pid))


def rank(name: str, posts: list[fr.Post], now: datetime = NOW) -> fr.Ranking:
    batch = fr.PostBatch.from_posts(posts)
    return fr.preset(name).rank(batch, fr.Context.build(batch, now=now), limit=10_000)


def scores_of(ranking: fr.Ranking) -> dict[str, float]:
    return dict(zip(ranking.post_ids, ranking.page_scores.tolist(), strict=True))


# ------------------------------------------------------------ worked values
def one(ups: int, downs: int, epoch: float) -> list[fr.Post]:
    at = datetime.fromtimestamp(epoch, tz=UTC)
    return [
        fr.Post(id="p", author_id="a", created_at=at, counts={"upvote": ups, "downvote": downs})
    ]


@pytest.mark.parametrize("name", ["reddit-hot", "reddit-hot-2013"])
def test_hot_worked_values(name: str) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert rank(name, one(1, 0, T0), now).page_scores.tolist() == [0.0]
    assert rank(name, one(10, 0, T0 + 45000), now).page_scores.tolist() == [2.0]
    assert ref_hot(1, 0, T0) == 0.0
    assert ref_hot(10, 0, T0 + 45000) == 2.0


def test_best_and_controversial_worked_values() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert round(rank("reddit-best", one(1, 0, T0), now).page_scores[0], 6) == 0.378448
    assert round(rank("reddit-best", one(10, 0, T0), now).page_scores[0], 6) == 0.858931
    assert round(rank("reddit-controversial", one(10, 5, T0), now).page_scores[0], 6) == 3.872983
    assert round(ref_confidence(1, 0), 6) == 0.378448
    assert round(ref_confidence(10, 0), 6) == 0.858931
    assert round(ref_controversy(10, 5), 6) == 3.872983


def test_the_two_hot_readings_differ_only_when_net_votes_are_not_positive() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    epoch = 1_376_000_000.0
    cases = [(5, 40), (7, 7), (0, 0), (3, 1)]
    posts = [
        fr.Post(
            id=f"p{i}",
            author_id="a",
            created_at=datetime.fromtimestamp(epoch + 60 * i, tz=UTC),
            counts={"upvote": u, "downvote": d},
        )
        for i, (u, d) in enumerate(cases)
    ]
    final = scores_of(rank("reddit-hot", posts, now))
    old = scores_of(rank("reddit-hot-2013", posts, now))
    for i, (u, d) in enumerate(cases):
        at = epoch + 60 * i
        assert final[f"p{i}"] == pytest.approx(ref_hot(u, d, at), abs=1e-9)
        assert old[f"p{i}"] == pytest.approx(ref_hot_2013(u, d, at), abs=1e-9)
    assert final["p3"] == old["p3"]  # s > 0: identical
    assert old["p1"] == old["p2"] == 0.0  # s = 0: no time bonus in 2013
    assert old["p0"] < 0 < final["p0"]  # s < 0: the sign flips the time term
    assert final["p0"] == pytest.approx(-math.log10(35) + (epoch - T0) / 45000, abs=1e-7)


# -------------------------------------------------------------- real data
@pytest.mark.parametrize("name", PRESETS)
def test_scores_and_order_match_the_reference_on_real_rows(name: str) -> None:
    rows = load_rows()
    ranking = rank(name, [post_of(r) for r in rows])
    want = {r["id"]: s for r in rows if (s := reference(name, r)) is not None}
    created = {r["id"]: float(r["created_utc"]) for r in rows}
    got = scores_of(ranking)
    assert set(got) == set(want)
    for pid, value in want.items():
        assert got[pid] == pytest.approx(value, rel=1e-12, abs=1e-9), pid
    assert ranking.post_ids == expected_order(want, created)
    if name.startswith("reddit-hot"):
        # rounded to 7 decimals exactly as Python's round(): bit-identical here
        assert got == want


def test_top_windows_remove_older_posts_with_a_reason() -> None:
    rows = load_rows()
    ranking = rank("reddit-top", [post_of(r) for r in rows])
    old = {r["id"] for r in rows if NOW.timestamp() - float(r["created_utc"]) > 24 * 3600}
    assert old
    assert set(ranking.removed()) == old
    assert set(ranking.removed().values()) == {"older_than:24h"}
    assert rank("reddit-top-hour", [post_of(r) for r in rows]).post_ids == []
    at_nine = datetime(2013, 8, 15, 21, tzinfo=UTC)
    hour = rank("reddit-top-hour", [post_of(r) for r in rows], at_nine)
    assert hour.post_ids == ["1kfzpz"]  # created 20:59:46, the only one of that hour
    everything = rank("reddit-top-all", [post_of(r) for r in rows])
    assert not everything.removed()
    assert len(everything.post_ids) == len(rows)


def test_top_window_edges_and_future_posts() -> None:
    posts = [
        fr.Post(
            id="edge", author_id="a", created_at=NOW - timedelta(hours=24), counts={"upvote": 1}
        ),
        fr.Post(id="past", author_id="a", created_at=NOW - timedelta(hours=24, seconds=1)),
        fr.Post(id="future", author_id="a", created_at=NOW + timedelta(seconds=1)),
    ]
    ranking = rank("reddit-top", posts)
    assert ranking.post_ids == ["edge"]
    assert ranking.removed() == {"past": "older_than:24h", "future": "created_after_now"}


def test_ties_follow_the_documented_order() -> None:
    posts = [
        fr.Post(id=pid, author_id="a", created_at=NOW - timedelta(hours=h), counts={"upvote": 5})
        for pid, h in (("b", 1), ("a", 1), ("c", 2), ("d", 0.5))
    ]
    assert rank("reddit-top", posts).post_ids == ["d", "a", "b", "c"]


def test_hot_keeps_unrounded_contributions_and_explains() -> None:
    rows = load_rows()[:5]
    ranking = rank("reddit-hot", [post_of(r) for r in rows])
    assert ranking.pipeline.scorer.round_digits == 7
    total = ranking.contributions.sum(axis=1)
    assert all(abs(a - b) <= 5e-8 for a, b in zip(total, ranking.scores, strict=True))
    explanation = ranking.explain(rows[0]["id"])
    assert [t.name for t in explanation.terms] == ["votes", "time"]


def test_vote_signals_validate_their_parameters() -> None:
    with pytest.raises(SpecError, match="weights"):
        LogVotes(weights={})
    with pytest.raises(SpecError):
        LogVotes(floor=0.0)
    with pytest.raises(SpecError):
        SignedTimestamp(scale=0.0)
    with pytest.raises(SpecError):
        Controversy(positive=())
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec(
            {
                "name": "x",
                "scorer": {
                    "terms": [
                        {"name": "t", "weight": 1.0, "signal": {"type": "log_votes", "floor": "1"}}
                    ]
                },
            }
        )
    assert info.value.field == "scorer.terms[0].signal.floor"


def test_signals_describe_themselves_in_plain_language() -> None:
    makers: list[Callable[[], fr.Signal]] = [
        lambda: LogVotes(absolute=True),
        lambda: SignedTimestamp(origin=T0, scale=45000.0),
        Controversy,
    ]
    texts = [make().describe() for make in makers]
    assert texts == [
        "log10(max(1, |upvote − downvote|))",
        "sign(upvote − downvote) · (created − 1134028003 s) / 45000 s",
        "(up + down) ^ (smaller / larger); up = upvote, down = downvote",
    ]
