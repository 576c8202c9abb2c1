"""JSON Lines readers and writers: exact round trips and errors that point at the line."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import feedrank as fr
import feedrank.io as fio
from feedrank.io.decoding import MAX_DEPTH
from feedrank.io.jsonl import MAX_LINE_BYTES, MAX_VIEWER_BYTES, LoadReport

T0 = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
PLUS2 = timezone(timedelta(hours=2))


def post_line(post_id: str, **fields: object) -> str:
    record = {"id": post_id, "author_id": "alice", "created_at": "2026-01-01T00:00:00Z"}
    record.update(fields)
    return json.dumps(record)


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


POSTS = [
    fr.Post(id="p1", author_id="alice", created_at=T0),
    fr.Post(
        id="p2",
        author_id="bob",
        created_at=datetime(2026, 1, 1, 9, 30, 0, 123456, tzinfo=PLUS2),
        counts={"like": 3, "reply": 0, "downvote": 7},
        features={"p_like": 0.1, "tiny": 1e-300, "neg": -2.5},
        topics=("sport", "news"),
        labels=("nsfw",),
        lang="de",
        reply_to="p1",
        url="https://example.org/ü",
        text="line one\nline two \u2028 «quoted» 😀",
        embedding=(0.1, 0.2, -0.30000000000000004),
    ),
    fr.Post(id="p3", author_id="carol", created_at=T0, quote_of="p2", repost_of="p1"),
]
AUTHORS = [
    fr.Author(id="alice"),
    fr.Author(
        id="bob", followers=12, created_at=datetime(2020, 5, 1, tzinfo=PLUS2), attributes={"g": "x"}
    ),
]
INTERACTIONS = [
    fr.Interaction(viewer_id="v", post_id="p1", kind="like", at=T0),
    fr.Interaction(viewer_id="v", post_id="p2", kind="view", at=T0, value=1234.5),
    fr.Interaction(viewer_id="w", post_id="p2", kind="block", at=T0 - timedelta(days=3)),
]


# ------------------------------------------------------------------ round trip
@pytest.mark.parametrize(
    ("records", "reader"),
    [(POSTS, fio.read_posts), (AUTHORS, fio.read_authors), (INTERACTIONS, fio.read_interactions)],
    ids=["posts", "authors", "interactions"],
)
def test_round_trip_through_a_file(tmp_path: Path, records: list, reader: object) -> None:
    path = tmp_path / "records.jsonl"
    assert fio.write_jsonl(records, path) == len(records)
    assert path.read_text(encoding="utf-8").count("\n") == len(records)  # one line each
    back = reader(path)  # type: ignore[operator]
    assert back == records
    assert reader(str(path)) == records  # type: ignore[operator]


def test_round_trip_keeps_timestamp_offsets_and_microseconds(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    fio.write_jsonl(POSTS, path)
    back = fio.read_posts(path)[1]
    assert back.created_at == POSTS[1].created_at
    assert back.created_at.microsecond == 123456
    assert back.created_at.utcoffset() == timedelta(hours=2)


def test_written_lines_are_deterministic_objects(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    fio.write_jsonl(POSTS, first)
    fio.write_jsonl(iter(POSTS), second)
    assert first.read_bytes() == second.read_bytes()
    lines = first.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""
    assert len(lines) == len(POSTS) + 1
    for line in lines[:-1]:
        obj = json.loads(line)
        assert isinstance(obj, dict)
        assert list(obj) == sorted(obj)


def test_write_to_stream_and_read_back() -> None:
    buffer = io.StringIO()
    assert fio.write_jsonl(INTERACTIONS, buffer) == 3
    buffer.seek(0)
    assert fio.read_interactions(buffer) == INTERACTIONS


finite = st.floats(allow_nan=False, allow_infinity=False)
# Ids and tags never hold NUL: the models reject it (it cannot survive columnar storage).
names = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=6)
posts = st.builds(
    fr.Post,
    id=names,
    author_id=names,
    created_at=st.datetimes(
        min_value=datetime(1900, 1, 1), timezones=st.sampled_from([timezone.utc, PLUS2])
    ),
    counts=st.dictionaries(st.sampled_from(fr.batch.KINDS), st.integers(0, 2**62)),
    features=st.dictionaries(names, finite, max_size=3),
    topics=st.lists(names, max_size=3).map(tuple),
    text=st.none() | st.text(max_size=20),
    embedding=st.none() | st.lists(finite, min_size=1, max_size=4).map(tuple),
)


@settings(max_examples=50, deadline=None)
@given(st.lists(posts, max_size=5))
def test_round_trip_any_posts(records: list[fr.Post]) -> None:
    buffer = io.StringIO()
    fio.write_jsonl(records, buffer)
    buffer.seek(0)
    assert fio.read_posts(buffer) == records


# ---------------------------------------------------------------------- errors
def test_bad_line_names_file_line_post_and_field(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "posts.jsonl",
        [post_line("p1"), "", post_line("p2"), post_line("p3", counts={"like": -4})],
    )
    with pytest.raises(fr.InputError) as info:
        fio.read_posts(path)
    err = info.value
    assert (err.source, err.line, err.post_id, err.field) == (str(path), 4, "p3", "counts.like")
    message = str(err)
    assert f"{path}:4" in message
    assert "'p3'" in message
    assert "counts.like" in message
    assert err.expected is not None
    assert err.expected in message
    assert isinstance(err, fr.FeedrankError)
    assert isinstance(err, ValueError)


def test_naive_timestamp_reports_field_and_expectation(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "p.jsonl", [post_line("px", created_at="2026-01-01T00:00:00")])
    with pytest.raises(fr.InputError) as info:
        fio.read_posts(path)
    assert (info.value.line, info.value.post_id, info.value.field) == (1, "px", "created_at")
    assert "timezone" in str(info.value)


def test_interaction_error_names_the_post(tmp_path: Path) -> None:
    good = {"viewer_id": "v", "post_id": "p1", "kind": "like", "at": "2026-01-01T00:00:00Z"}
    path = write_lines(
        tmp_path / "i.jsonl", [json.dumps(good), json.dumps({**good, "post_id": "p9", "kind": "x"})]
    )
    with pytest.raises(fr.InputError) as info:
        fio.read_interactions(path)
    assert (info.value.line, info.value.post_id, info.value.field) == (2, "p9", "kind")


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "p.jsonl", [post_line("p1", likes=3)])
    with pytest.raises(fr.InputError) as info:
        fio.read_posts(path)
    assert (info.value.line, info.value.field) == (1, "likes")


def test_invalid_json_reports_its_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "p.jsonl", [post_line("p1"), post_line("p2"), '{"id": "p3",'])
    with pytest.raises(fr.InputError) as info:
        fio.read_posts(path)
    assert info.value.line == 3
    assert info.value.source == str(path)
    assert f"{path}:3" in str(info.value)
    assert "JSON" in str(info.value)


@pytest.mark.parametrize("line", ["[1, 2]", '"p1"', "42", "null"])
def test_non_object_line_rejected(tmp_path: Path, line: str) -> None:
    path = write_lines(tmp_path / "p.jsonl", [post_line("p1"), line])
    with pytest.raises(fr.InputError) as info:
        fio.read_posts(path)
    assert info.value.line == 2
    assert "object" in str(info.value)


def test_stream_errors_name_the_stream() -> None:
    with pytest.raises(fr.InputError) as info:
        fio.read_posts(io.StringIO(post_line("p1") + "\n" + post_line("p2", counts=3) + "\n"))
    assert (info.value.source, info.value.line, info.value.post_id) == ("<stream>", 2, "p2")


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(
        "\n" + post_line("p1") + "\n   \n\t\n" + post_line("p2") + "\n\n" + post_line("p3", x=1),
        encoding="utf-8",
    )
    report = fio.read_jsonl(path, fr.Post, errors="collect")
    assert [p.id for p in report.records] == ["p1", "p2"]
    assert [e.line for e in report.errors] == [7]
    assert fio.read_posts(io.StringIO("\n\n")) == []


def test_collect_keeps_every_good_record_and_one_error_per_bad_line(tmp_path: Path) -> None:
    lines = [
        post_line("p1"),
        "not json",
        post_line("p2", counts={"like": 1}),
        post_line("p3", counts={"like": -1}, features={"x": "a"}),  # two problems, one line
        "",
        "[1, 2]",
        post_line("p4"),
        post_line("p5", created_at="2026-01-01T00:00:00"),
    ]
    path = write_lines(tmp_path / "p.jsonl", lines)
    report = fio.read_jsonl(path, fr.Post, errors="collect")
    assert isinstance(report, LoadReport)
    expected_good = [fr.Post.model_validate_json(lines[i]) for i in (0, 2, 6)]
    assert report.records == expected_good
    assert [e.line for e in report.errors] == [2, 4, 6, 8]
    assert all(isinstance(e, fr.InputError) and e.source == str(path) for e in report.errors)
    assert [e.post_id for e in report.errors] == [None, "p3", None, "p5"]
    assert "1 more problem" in str(report.errors[1])


def test_collect_on_clean_input_has_no_errors() -> None:
    report = fio.read_jsonl(io.StringIO(post_line("p1") + "\n"), fr.Post, errors="collect")
    assert [p.id for p in report.records] == ["p1"]
    assert report.errors == []


# ---------------------------------------------------------------------- viewer
def test_read_viewer_from_a_json_file(tmp_path: Path) -> None:
    viewer = fr.Viewer(
        id="v", follows={"b", "a"}, seen={"p1"}, interests={"sport": 0.5}, embedding=(1.0, 0.0)
    )
    path = tmp_path / "viewer.json"
    path.write_text(json.dumps(viewer.model_dump(mode="json"), indent=2), encoding="utf-8")
    assert fio.read_viewer(path) == viewer
    assert fio.read_viewer(str(path)) == viewer
    assert fio.read_viewer(io.StringIO(viewer.model_dump_json())) == viewer


def test_read_viewer_error_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "viewer.json"
    path.write_text('{"id": "v", "friends": ["a"]}', encoding="utf-8")
    with pytest.raises(fr.InputError) as info:
        fio.read_viewer(path)
    assert (info.value.source, info.value.field) == (str(path), "friends")
    assert str(path) in str(info.value)


def test_read_viewer_rejects_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "viewer.json"
    path.write_text('{"id": ', encoding="utf-8")
    with pytest.raises(fr.InputError):
        fio.read_viewer(path)


# ------------------------------------------------------------- hostile input
READERS = [fio.read_posts, fio.read_authors, fio.read_interactions]
GOOD_LINES = {
    fio.read_posts: post_line("p1"),
    fio.read_authors: json.dumps({"id": "alice"}),
    fio.read_interactions: json.dumps(
        {"viewer_id": "v", "post_id": "p1", "kind": "like", "at": "2026-01-01T00:00:00Z"}
    ),
}
READER_IDS = ["posts", "authors", "interactions"]


@pytest.mark.parametrize("reader", READERS, ids=READER_IDS)
def test_a_key_given_twice_is_rejected_by_every_reader(tmp_path: Path, reader: object) -> None:
    good = GOOD_LINES[reader]  # type: ignore[index]
    twice = good[:-1] + ', "' + good[2:].split('"', 1)[0] + '": "other"}'
    path = write_lines(tmp_path / "records.jsonl", [good, twice])
    with pytest.raises(fr.InputError) as info:
        reader(path)  # type: ignore[operator]
    err = info.value
    key = good[2:].split('"', 1)[0]
    assert (err.source, err.line, err.field) == (str(path), 2, key)
    assert f"duplicate key {key!r}" in str(err)
    assert f"{path}:2" in str(err)


def test_a_nested_key_given_twice_is_named_by_its_path(tmp_path: Path) -> None:
    line = post_line("p1")[:-1] + ', "counts": {"like": 1, "reply": 2, "like": 900}}'
    path = write_lines(tmp_path / "p.jsonl", [line])
    with pytest.raises(fr.InputError) as info:
        fio.read_posts(path)
    assert info.value.field == "counts.like"
    assert "duplicate key 'like'" in str(info.value)


def test_collect_reports_a_repeated_key_and_goes_on(tmp_path: Path) -> None:
    twice = '{"id": "p2", "id": "p3", "author_id": "a", "created_at": "2026-01-01T00:00:00Z"}'
    path = write_lines(tmp_path / "p.jsonl", [post_line("p1"), twice, post_line("p4")])
    report = fio.read_jsonl(path, fr.Post, errors="collect")
    assert [p.id for p in report.records] == ["p1", "p4"]
    assert [(e.line, e.field) for e in report.errors] == [(2, "id")]


@pytest.mark.parametrize("reader", READERS, ids=READER_IDS)
def test_invalid_utf8_is_a_located_error(tmp_path: Path, reader: object) -> None:
    good = GOOD_LINES[reader].encode()  # type: ignore[index]
    path = tmp_path / "records.jsonl"
    path.write_bytes(good + b"\n" + good[:-1] + b', "x": "caf\xe9"}\n')
    with pytest.raises(fr.InputError) as info:
        reader(path)  # type: ignore[operator]
    assert (info.value.source, info.value.line) == (str(path), 2)
    assert "not valid UTF-8: byte 0xe9" in str(info.value)


@pytest.mark.parametrize("reader", READERS, ids=READER_IDS)
def test_nesting_100000_deep_is_a_located_error(tmp_path: Path, reader: object) -> None:
    good = GOOD_LINES[reader]  # type: ignore[index]
    deep = good[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path = write_lines(tmp_path / "records.jsonl", [good, deep])
    with pytest.raises(fr.InputError) as info:
        reader(path)  # type: ignore[operator]
    assert (info.value.source, info.value.line) == (str(path), 2)
    assert f"nested more than {MAX_DEPTH} deep" in str(info.value)


def test_nesting_up_to_the_maximum_is_read() -> None:
    deep = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    line = post_line("p1")[:-1] + ', "text": "' + "[{" * 100 + '"}'
    assert fio.read_posts(io.StringIO(line)) == [fr.Post.model_validate_json(line)]
    too_deep = post_line("p1")[:-1] + f', "x": {deep}}}'  # MAX_DEPTH with the outer object
    with pytest.raises(fr.InputError, match="Extra inputs"):  # parsed, then validated
        fio.read_posts(io.StringIO(too_deep))


def test_a_line_longer_than_the_maximum_is_refused(tmp_path: Path) -> None:
    long = post_line("p2", text="x" * 200)
    path = write_lines(tmp_path / "p.jsonl", [post_line("p1"), long])
    assert [p.id for p in fio.read_posts(path, max_line_bytes=len(long))] == ["p1", "p2"]
    with pytest.raises(fr.InputError) as info:
        fio.read_posts(path, max_line_bytes=len(long) - 1)
    assert (info.value.source, info.value.line) == (str(path), 2)
    assert f"longer than the maximum of {len(long) - 1} bytes" in str(info.value)
    with pytest.raises(fr.InputError, match="longer than the maximum"):
        fio.read_jsonl(path, fr.Post, errors="collect", max_line_bytes=100)


class EndlessText(io.TextIOBase):
    """A text stream of ``0`` without a newline, counting what is read from it."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> str:
        if size is None or size <= 0:
            raise AssertionError("an unbounded read of an endless stream")
        self.served += size
        return "0" * size

    def read(self, size: int | None = -1) -> str:
        return self.readline(size)


def test_an_endless_line_fails_fast_with_bounded_reads() -> None:
    stream = EndlessText()
    with pytest.raises(fr.InputError) as info:
        fio.read_posts(stream, max_line_bytes=4096)
    assert info.value.line == 1
    assert stream.served <= 4097


def test_dev_zero_as_the_posts_file_fails_at_line_one() -> None:
    with pytest.raises(fr.InputError) as info:
        fio.read_posts("/dev/zero", max_line_bytes=4096)
    assert (info.value.source, info.value.line) == ("/dev/zero", 1)


def test_the_default_line_maximum_is_one_mebibyte() -> None:
    assert MAX_LINE_BYTES == 1 << 20
    line = post_line("p1", text="x" * (MAX_LINE_BYTES - len(post_line("p1", text=""))))
    assert len(line) == MAX_LINE_BYTES
    assert [p.id for p in fio.read_posts(io.StringIO(line + "\n"))] == ["p1"]
    with pytest.raises(fr.InputError, match="longer than the maximum"):
        fio.read_posts(io.StringIO(line + "x\n"))


def test_viewer_with_a_key_twice_names_the_key_and_its_line(tmp_path: Path) -> None:
    path = tmp_path / "viewer.json"
    path.write_text('{\n  "id": "v",\n  "follows": ["a"],\n  "follows": []\n}\n', encoding="utf-8")
    with pytest.raises(fr.InputError) as info:
        fio.read_viewer(path)
    assert (info.value.source, info.value.line, info.value.field) == (str(path), 4, "follows")
    assert "duplicate key 'follows'" in str(info.value)


def test_viewer_with_bad_utf8_or_deep_nesting_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "viewer.json"
    path.write_bytes(b'{"id": "v",\n "follows": ["\xff"]}')
    with pytest.raises(fr.InputError) as info:
        fio.read_viewer(path)
    assert (info.value.source, info.value.line) == (str(path), 2)
    assert "UTF-8" in str(info.value)
    path.write_text('{"id": "v", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    with pytest.raises(fr.InputError, match="nested more than"):
        fio.read_viewer(path)


def test_viewer_larger_than_its_maximum_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "viewer.json"
    text = json.dumps({"id": "v", "follows": [f"a{i}" for i in range(100)]})
    path.write_text(text, encoding="utf-8")
    assert len(fio.read_viewer(path, max_bytes=len(text)).follows) == 100
    with pytest.raises(fr.InputError) as info:
        fio.read_viewer(path, max_bytes=len(text) - 1)
    assert info.value.source == str(path)
    assert f"larger than the maximum of {len(text) - 1} bytes" in str(info.value)
    assert MAX_VIEWER_BYTES == 16 << 20
    stream = EndlessText()
    with pytest.raises(fr.InputError, match="larger than the maximum"):
        fio.read_viewer(stream, max_bytes=4096)
    assert stream.served <= 4097


@pytest.mark.parametrize("limit", [0, -1])
def test_a_maximum_below_one_byte_is_refused_rather_than_reading_nothing(limit: int) -> None:
    with pytest.raises(fr.InputError, match="max_bytes"):
        fio.read_posts(io.StringIO(post_line("p1") + "\n"), max_line_bytes=limit)
    with pytest.raises(fr.InputError, match="max_bytes"):
        fio.read_viewer(io.StringIO('{"id": "v"}'), max_bytes=limit)


def test_any_pydantic_model_gets_the_same_located_errors(tmp_path: Path) -> None:
    class Rating(BaseModel):
        id: str
        stars: int

    path = write_lines(tmp_path / "r.jsonl", ['{"id": "r1", "stars": 4}', '{"id": "r2"}'])
    with pytest.raises(fr.InputError) as info:
        fio.read_jsonl(path, Rating)
    err = info.value
    assert (err.source, err.line, err.post_id, err.field) == (str(path), 2, "r2", "stars")
    assert err.expected == "this field to be present"
