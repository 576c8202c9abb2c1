"""Decision logs from an untrusted source: a key given twice, bad bytes, deep
nesting and over-long lines are reported at their line, with bounded memory,
and never let a record mean two things."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedrank.audit import AuditError, DecisionLog, read_log, repair_tail, replay, verify
from feedrank.audit.log import MAX_RECORD_BYTES
from feedrank.io.decoding import MAX_DEPTH
from tests.audit._helpers import KEY, lines, requests, write_log

N = 4


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "decisions.jsonl"
    write_log(path, N)
    return path


def _replace_line(path: Path, index: int, line: bytes) -> None:
    rows = lines(path)
    rows[index] = line
    path.write_bytes(b"".join(rows))


def test_a_record_with_a_key_given_twice_is_not_valid(log: Path) -> None:
    # The hash covers the last value, so a reader that keeps the first would
    # see a request id the hash never covered.
    forged = b'{"request_id":"forged",' + lines(log)[1][1:]
    _replace_line(log, 1, forged)
    report = verify(log)
    bad = report.first_bad
    assert bad is not None
    assert (bad.record, bad.line, bad.kind) == (2, 2, "unreadable")
    assert "duplicate key 'request_id'" in bad.detail
    assert report.path == str(log)
    assert report.valid == 1
    assert [r.seq for r in read_log(log).records] == [1]
    assert not replay(log).verify.ok


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        (b'{"seq": "caf\xe9"}\n', "not valid UTF-8: byte 0xe9"),
        (b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", f"nested more than {MAX_DEPTH}"),
    ],
    ids=["utf8", "nesting"],
)
def test_bad_bytes_and_deep_nesting_are_unreadable_lines(
    log: Path, line: bytes, needle: str
) -> None:
    _replace_line(log, 2, line)
    report = verify(log)
    bad = report.first_bad
    assert bad is not None
    assert (bad.record, bad.line, bad.kind) == (3, 3, "unreadable")
    assert needle in bad.detail
    assert report.valid == 2


def test_a_deep_last_line_is_a_torn_tail_that_appends_refuse(log: Path) -> None:
    with log.open("ab") as fh:
        fh.write(b"[" * 100_000 + b"]" * 100_000 + b"\n")
    report = verify(log)
    assert report.torn_tail is not None
    assert report.torn_tail.line == N + 1
    assert "nested more than" in report.torn_tail.reason
    req = requests(1)[0]
    with DecisionLog(log, key=KEY) as writer, pytest.raises(AuditError, match="nested more"):
        writer.append(req.ranking, req.ctx)


def test_a_line_longer_than_the_maximum_is_skipped_and_reported(log: Path) -> None:
    rows = lines(log)
    longest = max(len(row) - 1 for row in rows)
    assert verify(log, max_record_bytes=longest).ok
    _replace_line(log, 1, b"x" * (longest + 1) + b"\n")
    report = verify(log, max_record_bytes=longest)
    bad = report.first_bad
    assert bad is not None
    assert (bad.record, bad.line, bad.kind) == (2, 2, "unreadable")
    assert f"longer than the maximum record size of {longest} bytes" in bad.detail
    assert report.lines == N  # the lines after it are still read
    assert [p.line for p in report.problems] == [2]
    assert len(read_log(log, max_record_bytes=longest).records) == 1


def test_a_log_without_newlines_is_read_in_bounded_pieces(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    path.write_bytes(b"0" * 300_000)
    report = verify(path, max_record_bytes=1000)
    assert report.torn_tail is not None
    assert (report.torn_tail.line, report.torn_tail.size) == (1, 300_000)
    assert "no final newline" in report.torn_tail.reason


def test_a_long_torn_tail_is_refused_and_moved_aside_whole(log: Path) -> None:
    whole = log.read_bytes()
    tail = b'{"seq": 5, "x": "' + b"y" * 200_000  # torn mid-write, no newline
    with log.open("ab") as fh:
        fh.write(tail)
    req = requests(1)[0]
    with DecisionLog(log, key=KEY, max_record_bytes=100_000) as writer:
        with pytest.raises(AuditError, match="longer than the maximum record size of 100000"):
            writer.append(req.ranking, req.ctx)
        with pytest.raises(AuditError, match="longer than the maximum"):
            writer.head()
    moved = repair_tail(log, max_record_bytes=100_000)
    assert moved is not None
    assert (moved.line, moved.offset, moved.size) == (N + 1, len(whole), len(tail))
    assert log.read_bytes() == whole
    assert Path(f"{log}.torn-{len(whole)}").read_bytes() == tail


def test_the_writer_refuses_a_record_its_readers_would_skip(tmp_path: Path) -> None:
    assert MAX_RECORD_BYTES == 64 << 20
    path = tmp_path / "decisions.jsonl"
    req = requests(1)[0]
    with DecisionLog(path, key=KEY) as writer:
        writer.append(req.ranking, req.ctx)
    size = len(path.read_bytes()) - 1
    path.unlink()
    with DecisionLog(path, key=KEY, max_record_bytes=size - 1) as writer:
        with pytest.raises(AuditError, match=f"more than the maximum record size of {size - 1}"):
            writer.append(req.ranking, req.ctx)
        assert path.read_bytes() == b""
    with DecisionLog(path, key=KEY, max_record_bytes=size) as writer:
        writer.append(req.ranking, req.ctx)
    assert verify(path, max_record_bytes=size).ok
    assert not verify(path, max_record_bytes=size - 1).ok
