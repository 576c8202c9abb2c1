"""Keyset pagination: cursors round-trip, belong to one spec and one ``now``, and
paging through a feed yields every post exactly once."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr
import feedrank.io as fio
from feedrank._time import MAX_MICROS, MIN_MICROS
from feedrank.cli.app import main
from tests.strategies import NOW, Feed, feeds, rich_pipeline, simple_pipeline

HOUR = timedelta(hours=1)
FP = "ab" * 32


def encode_raw(payload: object) -> str:
    raw = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def pages(pipe: fr.Pipeline, feed: Feed, limit: int) -> list[fr.Ranking]:
    out = [pipe.rank(feed.batch, feed.ctx, limit=limit)]
    while out[-1].next_cursor is not None:
        assert len(out) <= len(feed.batch) + 1, "paging does not terminate"
        out.append(pipe.rank(feed.batch, feed.ctx, limit=limit, cursor=out[-1].next_cursor))
    return out


@settings(max_examples=60, deadline=None)
@given(
    score=st.floats(allow_nan=False, allow_infinity=False),
    now=st.integers(MIN_MICROS, MAX_MICROS),
    tier=st.integers(-(2**63), 2**63 - 1),
    created=st.integers(MIN_MICROS, MAX_MICROS),
    post_id=st.text(min_size=1, max_size=20),
)
def test_cursor_round_trips_exactly(
    score: float, now: int, tier: int, created: int, post_id: str
) -> None:
    cursor = fr.Cursor(FP, now, tier, score, created, post_id)
    text = cursor.encode()
    assert isinstance(text, str)
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    again = fr.Cursor.decode(text)
    assert again == cursor
    assert again.score.hex() == score.hex()  # bit-exact, -0.0 included


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not a cursor!",
        "%%%%",
        "é",
        encode_raw([]),
        encode_raw({"a": 1}),
        encode_raw([2, FP, 0, 0, "0x1.0p+0", 0, "p"]),  # unknown version
        encode_raw([1, FP, 0, 0, "0x1.0p+0", 0]),  # too short
        encode_raw([1, FP, 0, 0, "0x1.0p+0", 0, "p", "extra"]),
        encode_raw([1, 5, 0, 0, "0x1.0p+0", 0, "p"]),  # fingerprint not a string
        encode_raw([1, FP, "0", 0, "0x1.0p+0", 0, "p"]),  # now not an integer
        encode_raw([1, FP, 0, 0.5, "0x1.0p+0", 0, "p"]),  # tier not an integer
        encode_raw([1, FP, 0, 0, "high", 0, "p"]),  # score not float-hex
        encode_raw([1, FP, 0, 0, 1.5, 0, "p"]),
        encode_raw([1, FP, 0, 0, "0x1.0p+0", 0, 7]),  # post id not a string
        base64.urlsafe_b64encode(b"\xff\xfe\x00garbage").decode(),
    ],
)
def test_malformed_cursors_raise_cursor_error(text: str) -> None:
    with pytest.raises(fr.CursorError) as info:
        fr.Cursor.decode(text)
    assert info.value.field == "cursor"
    assert isinstance(info.value, fr.FeedrankError)


@pytest.mark.parametrize(
    ("now", "tier", "created", "part"),
    [
        pytest.param(10**30, 0, 0, "now", id="now-10**30"),
        pytest.param(2**63, 0, 0, "now", id="now-beyond-int64"),
        pytest.param(2**63 - 1, 0, 0, "now", id="now-int64-but-no-datetime"),
        pytest.param(MIN_MICROS - 1, 0, 0, "now", id="now-before-year-1"),
        pytest.param(0, 2**63, 0, "tier", id="tier-beyond-int64"),
        pytest.param(0, -(2**63) - 1, 0, "tier", id="tier-below-int64"),
        pytest.param(0, 0, -(10**30), "created_at", id="created-at"),
        pytest.param(True, 0, 0, "now", id="now-boolean"),
    ],
)
def test_cursor_holding_integers_out_of_range_is_a_cursor_error(
    now: int, tier: int, created: int, part: str
) -> None:
    """A cursor whose now was 10**30 ended in an OverflowError traceback."""
    text = encode_raw([1, FP, now, tier, "0x1.0p+0", created, "p"])
    with pytest.raises(fr.CursorError) as info:
        fr.Cursor.decode(text).now_datetime  # noqa: B018
    assert info.value.field == "cursor"
    if not isinstance(now, bool):
        assert f"its {part} is" in str(info.value)
        with pytest.raises(fr.CursorError):
            fr.Cursor(FP, now, tier, 1.0, created, "p")


def test_cursor_at_the_ends_of_the_time_range_still_works() -> None:
    for now in (MIN_MICROS, MAX_MICROS):
        cursor = fr.Cursor.decode(fr.Cursor(FP, now, 2**63 - 1, 1.0, now, "p").encode())
        assert cursor.now_datetime.year in (1, 9999)


def test_rank_with_a_cursor_out_of_range_fails_cleanly(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "posts.jsonl"
    fio.write_jsonl([fr.Post(id="p1", author_id="a", created_at=NOW)], path)
    text = encode_raw([1, FP, 10**30, 0, "0x1.0p+0", 0, "p"])
    for extra in ([], ["--now", "2026-01-01T00:00:00Z"]):
        args = ["rank", "--spec", "balanced", "--posts", str(path), "--cursor", text, *extra]
        assert main(args, out=io.StringIO()) == 2
        err = capsys.readouterr().err
        assert err.startswith("feedrank: error: field 'cursor': malformed cursor")
        assert "Traceback" not in err


@pytest.mark.parametrize("score", ["nan", "-nan", "inf", "-inf"])
def test_cursor_with_a_score_no_ranking_can_have_is_malformed(score: str) -> None:
    # Scores are always finite (the scorer rejects anything else), so a cursor
    # holding NaN or inf was not issued by feedrank; it must not silently serve
    # an empty or partial page.
    with pytest.raises(fr.CursorError):
        fr.Cursor.decode(encode_raw([1, FP, 0, 0, score, 0, "p"]))


def test_check_rejects_another_spec_or_now() -> None:
    cursor = fr.Cursor(FP, 5, 0, 1.0, 3, "p")
    cursor.check(FP, 5)
    with pytest.raises(fr.CursorError, match="another ranking spec"):
        cursor.check("cd" * 32, 5)
    with pytest.raises(fr.CursorError, match="another 'now'"):
        cursor.check(FP, 6)


def test_after_follows_the_total_order() -> None:
    import numpy as np

    cursor = fr.Cursor(FP, 0, tier=0, score=2.0, created_at=10, post_id="m")
    tier = np.array([0, 0, 0, 0, 0, 0, 1, 0])
    scores = np.array([3.0, 2.0, 2.0, 2.0, 2.0, 1.0, 9.0, 2.0])
    created = np.array([0, 11, 10, 10, 10, 99, 99, 9])
    ids = np.array(["z", "a", "a", "m", "n", "a", "a", "a"])
    assert cursor.after(tier, scores, created, ids).tolist() == [
        False,  # higher score
        False,  # same score, newer
        False,  # same score and time, smaller id
        False,  # the cursor's own post
        True,  # larger id
        True,  # lower score
        True,  # later tier
        True,  # same score, older
    ]


def feed_of(n: int) -> Feed:
    posts = [
        fr.Post(
            id=f"p{i:02d}",
            author_id=f"a{i % 3}",
            created_at=NOW - (i % 4) * HOUR,
            counts={"like": i % 5},
        )
        for i in range(n)
    ]
    batch = fr.PostBatch.from_posts(posts)
    return Feed(posts, batch, None, fr.Context.build(batch, now=NOW))


def test_pages_cover_the_feed_with_many_ties() -> None:
    feed = feed_of(23)
    pipe = simple_pipeline()
    everything = pipe.rank(feed.batch, feed.ctx, limit=1000).all_post_ids
    for limit in (1, 2, 5, 22, 23, 24):
        got = pages(pipe, feed, limit)
        assert [pid for page in got for pid in page.post_ids] == everything
        assert [len(page) for page in got[:-1]] == [limit] * (len(got) - 1)
        ranks = [int(r) for page in got for r in page.ranks]
        assert ranks == list(range(1, len(everything) + 1))
        assert got[-1].next_cursor is None


def test_cursor_object_or_string_continue_the_same_way() -> None:
    feed = feed_of(10)
    pipe = simple_pipeline()
    first = pipe.rank(feed.batch, feed.ctx, limit=4)
    assert first.next_cursor is not None
    parsed = fr.Cursor.decode(first.next_cursor)
    assert parsed.post_id == first.post_ids[-1]
    assert parsed.now == feed.ctx.now
    assert parsed.fingerprint == pipe.fingerprint
    by_text = pipe.rank(feed.batch, feed.ctx, limit=4, cursor=first.next_cursor)
    by_object = pipe.rank(feed.batch, feed.ctx, limit=4, cursor=parsed)
    assert by_text.post_ids == by_object.post_ids == first.all_post_ids[4:8]


def test_cursor_from_another_spec_raises() -> None:
    feed = feed_of(10)
    first = simple_pipeline().rank(feed.batch, feed.ctx, limit=3)
    assert first.next_cursor is not None
    other = simple_pipeline(name="other")
    with pytest.raises(fr.CursorError, match="another ranking spec"):
        other.rank(feed.batch, feed.ctx, cursor=first.next_cursor)


def test_cursor_from_another_now_raises() -> None:
    feed = feed_of(10)
    pipe = simple_pipeline()
    first = pipe.rank(feed.batch, feed.ctx, limit=3)
    assert first.next_cursor is not None
    later = fr.Context.build(feed.batch, now=NOW + timedelta(microseconds=1))
    with pytest.raises(fr.CursorError, match="another 'now'"):
        pipe.rank(feed.batch, later, cursor=first.next_cursor)


@pytest.mark.parametrize("text", ["", "garbage", encode_raw([1, "x"])])
def test_malformed_cursor_in_rank_raises(text: str) -> None:
    feed = feed_of(5)
    with pytest.raises(fr.CursorError):
        simple_pipeline().rank(feed.batch, feed.ctx, cursor=text)


def test_next_page_after_the_cursor_posts_disappear_has_no_repeats() -> None:
    feed = feed_of(12)
    pipe = simple_pipeline()
    first = pipe.rank(feed.batch, feed.ctx, limit=5)
    assert first.next_cursor is not None
    served = set(first.post_ids)
    # the served posts (cursor's own post included) leave the candidate set
    rest = [p for p in feed.posts if p.id not in served]
    batch = fr.PostBatch.from_posts(rest)
    second = pipe.rank(batch, fr.Context.build(batch, now=NOW), cursor=first.next_cursor, limit=50)
    assert second.post_ids == first.all_post_ids[5:]


def test_cursor_past_the_end_gives_an_empty_page() -> None:
    feed = feed_of(4)
    pipe = simple_pipeline()
    last = pipe.rank(feed.batch, feed.ctx, limit=100).all_post_ids[-1]
    row = feed.batch.index_of([last])[0]
    cursor = fr.Cursor(
        pipe.fingerprint,
        feed.ctx.now,
        0,
        float(feed.batch.count("like")[row]),
        int(feed.batch.created_at[row]),
        last,
    )
    page = pipe.rank(feed.batch, feed.ctx, cursor=cursor)
    assert page.post_ids == []
    assert page.next_cursor is None


@settings(max_examples=80, deadline=None)
@given(feed=feeds(max_size=40), limit=st.integers(1, 12))
def test_paging_yields_exactly_all_post_ids(feed: Feed, limit: int) -> None:
    pipe = rich_pipeline()
    full = pipe.rank(feed.batch, feed.ctx, limit=10_000)
    got = pages(pipe, feed, limit)
    served = [pid for page in got for pid in page.post_ids]
    assert served == full.all_post_ids  # no repeats, no gaps, same order
    assert len(set(served)) == len(served)
    for page in got:
        assert page.all_post_ids == full.all_post_ids
        assert page.removed() == full.removed()
    assert got[-1].next_cursor is None
    assert all(len(page) == limit for page in got[:-1])


def test_a_cursor_for_another_now_names_both_times_in_iso_8601() -> None:
    """The message used to read "now = 1767268800000000 µs since the epoch"."""
    cursor = fr.Cursor(FP, 1_767_268_800_000_000, 0, 1.0, 3, "p")
    with pytest.raises(fr.CursorError) as info:
        cursor.check(FP, 1_767_272_400_000_001)
    text = str(info.value)
    assert "(this feed: 2026-01-01T13:00:00.000001Z)" in text
    assert "(expected now = 2026-01-01T12:00:00Z, as on the first page)" in text
    assert "µs" not in text


@pytest.mark.parametrize(
    "raw",
    [b"[" * 2500, b"[" * 200_000, b'[1, "fp", [[[[0]]]], 0, "0x1p+0", 0, "p"]'],
    ids=["deep", "long", "nested"],
)
def test_a_hostile_cursor_is_a_cursor_error_not_a_traceback(raw: bytes) -> None:
    text = base64.urlsafe_b64encode(raw).decode()
    with pytest.raises(fr.CursorError, match="malformed cursor"):
        fr.Cursor.decode(text)
