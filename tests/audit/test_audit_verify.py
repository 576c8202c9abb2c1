"""verify and read_log: every fault is found, named by record and line, and
nothing valid before it is lost."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import feedrank as fr
from feedrank.audit import (
    AuditError,
    DecisionLog,
    VerifyReport,
    read_log,
    repair_tail,
    replay,
    verify,
)
from feedrank.audit.encode import encode_request, spec_json
from feedrank.audit.log import MAX_RECORD_BYTES
from feedrank.io.decoding import MAX_DEPTH
from tests.audit._helpers import (
    DATA_KEY,
    KEY,
    lines,
    opened,
    parsed,
    rechain,
    requests,
    unsealed,
    write_log,
)

N = 8


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "decisions.jsonl"
    write_log(path, N)
    return path


def _assert_prefix(path: Path, report: VerifyReport, valid: int) -> None:
    """``valid`` records lead the log and read_log returns exactly them."""
    assert report.valid == valid
    contents = read_log(path)
    assert [r.seq for r in contents.records] == list(range(1, valid + 1))
    assert contents.report == report


def test_a_clean_log_verifies(log: Path) -> None:
    report = verify(log)
    assert report.ok
    assert (report.lines, report.valid, report.problems, report.torn_tail) == (N, N, (), None)
    assert report.first_bad is None
    assert report.head == parsed(log)[-1]["hash"]
    assert "OK" in report.summary()
    assert report.to_dict()["ok"] is True
    _assert_prefix(log, report, N)


def test_an_empty_log_verifies(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    DecisionLog(path, key=KEY, data_key=DATA_KEY).close()
    report = verify(path)
    assert report.ok
    assert (report.lines, report.valid, report.head) == (0, 0, "0" * 64)


@pytest.mark.parametrize("k", [1, 4, N])
def test_a_changed_digit_is_found_at_its_record(log: Path, k: int) -> None:
    rows = lines(log)
    data = json.loads(rows[k - 1])
    data["now"] += 1  # still valid JSON, still a valid record: only the hash betrays it
    rows[k - 1] = (json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n").encode()
    log.write_bytes(b"".join(rows))
    report = verify(log)
    assert not report.ok
    bad = report.first_bad
    assert bad is not None
    assert (bad.record, bad.line, bad.kind, bad.seq) == (k, k, "hash", k)
    assert len(report.problems) == 1  # the next record still links to the stored hash
    assert f"record {k} (line {k})" in report.summary()
    _assert_prefix(log, report, k - 1)


@pytest.mark.parametrize("seed", range(6))
def test_a_flipped_byte_anywhere_is_found_at_its_record(log: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = lines(log)
    k = int(rng.integers(1, N))  # not the last line: that would be a torn tail
    row = bytearray(rows[k - 1])
    pos = int(rng.integers(0, len(row) - 1))  # keep the newline
    row[pos] ^= 1 << int(rng.integers(0, 7))
    rows[k - 1] = bytes(row)
    log.write_bytes(b"".join(rows))
    report = verify(log)
    bad = report.first_bad
    assert bad is not None
    assert (bad.record, bad.line) == (k, k)
    assert bad.kind in ("hash", "unreadable", "malformed", "sequence", "chain")
    assert report.torn_tail is None
    _assert_prefix(log, report, k - 1)


@pytest.mark.parametrize("k", [1, 3, N - 1])
def test_a_deleted_record_is_found(log: Path, k: int) -> None:
    rows = lines(log)
    del rows[k - 1]
    log.write_bytes(b"".join(rows))
    report = verify(log)
    bad = report.first_bad
    assert bad is not None
    assert (bad.record, bad.line, bad.kind, bad.seq) == (k, k, "sequence", k + 1)
    assert "missing" in bad.detail
    assert "chain" in bad.detail
    assert len(report.problems) == 1
    _assert_prefix(log, report, k - 1)


def test_two_swapped_records_are_found(log: Path) -> None:
    rows = lines(log)
    rows[2], rows[3] = rows[3], rows[2]
    log.write_bytes(b"".join(rows))
    report = verify(log)
    bad = report.first_bad
    assert bad is not None
    assert (bad.record, bad.line, bad.kind, bad.seq) == (3, 3, "sequence", 4)
    assert [p.line for p in report.problems] == [3, 4, 5]
    _assert_prefix(log, report, 2)


def test_a_truncated_file_reports_a_torn_tail(log: Path) -> None:
    data = log.read_bytes()
    last = lines(log)[-1]
    log.write_bytes(data[: len(data) - len(last) // 2])
    report = verify(log)
    assert report.problems == ()
    assert not report.ok
    tail = report.torn_tail
    assert tail is not None
    assert (tail.record, tail.line, tail.offset) == (N, N, len(data) - len(last))
    assert tail.size == len(last) - len(last) // 2
    assert "newline" in tail.reason
    assert "TORN TAIL at line 8" in report.summary()
    _assert_prefix(log, report, N - 1)


def test_an_unparsable_last_line_is_a_torn_tail(log: Path) -> None:
    with log.open("ab") as fh:
        fh.write(b"\x00\x00\x00\n")
    report = verify(log)
    assert report.problems == ()
    assert report.torn_tail is not None
    assert report.torn_tail.line == N + 1
    assert "not a JSON object" in report.torn_tail.reason
    _assert_prefix(log, report, N)


def test_an_unparsable_line_inside_the_log_is_a_problem(log: Path) -> None:
    rows = lines(log)
    rows.insert(2, b"garbage\n")
    log.write_bytes(b"".join(rows))
    report = verify(log)
    bad = report.first_bad
    assert bad is not None
    assert (bad.record, bad.line, bad.kind) == (3, 3, "unreadable")
    _assert_prefix(log, report, 2)


def test_a_rehashed_forgery_breaks_the_chain(log: Path) -> None:
    records = parsed(log)
    forged = rechain(records[:4])  # hashes recomputed up to the forged record
    assert forged == lines(log)[:4]  # untouched records, sealed or not, re-hash the same
    records[3] = unsealed(records[3])
    records[3]["outputs"]["page"]["scores"][0] += 1.0
    forged[3] = rechain(records[:4])[3]
    log.write_bytes(b"".join(forged + lines(log)[4:]))
    report = verify(log)
    bad = report.first_bad
    assert bad is not None
    assert (bad.record, bad.line, bad.kind) == (5, 5, "chain")
    _assert_prefix(log, report, 4)


def test_a_fully_rechained_forgery_passes_verify_but_not_replay(log: Path) -> None:
    records = opened(log)
    records[2]["inputs"]["page"]["limit"] += 0  # untouched inputs
    ids = records[2]["outputs"]["page"]["ids"]
    ids[0], ids[1] = ids[1], ids[0]
    scores = records[2]["outputs"]["page"]["scores"]
    scores[0], scores[1] = scores[1], scores[0]
    log.write_bytes(b"".join(rechain(records)))
    assert verify(log).ok  # the chain alone cannot tell ...
    report = replay(log, data_key=DATA_KEY)  # ... but ranking again can
    assert not report.ok
    bad = report.mismatched
    assert [r.record for r in bad] == [3]


def test_a_cut_end_is_found_with_an_anchor(log: Path) -> None:
    head = parsed(log)[-1]["hash"]
    log.write_bytes(b"".join(lines(log)[:-2]))
    assert verify(log).ok
    report = verify(log, anchor=head)
    bad = report.first_bad
    assert bad is not None
    assert (bad.kind, bad.record) == ("anchor", N - 1)
    assert verify(log, anchor=parsed(log)[-1]["hash"]).ok


def test_a_spec_that_does_not_match_its_fingerprint(tmp_path: Path) -> None:
    req = requests(1)[0]
    other = fr.preset("chronological")
    forged = spec_json(other).replace(other.fingerprint, req.pipeline.fingerprint)
    encoded = encode_request(req.ranking, req.ctx, key=KEY, data_key=DATA_KEY, spec=forged)
    path = tmp_path / "log.jsonl"
    path.write_bytes(encoded.line(1, "0" * 64)[0])
    bad = verify(path).first_bad
    assert bad is not None
    assert (bad.kind, bad.record) == ("spec", 1)


def test_appending_after_a_torn_tail_is_refused_then_repaired(log: Path) -> None:
    whole = log.read_bytes()
    torn = b'{"hash":"abc'
    log.write_bytes(whole + torn)
    req = requests(1)[0]
    with (
        DecisionLog(log, key=KEY, data_key=DATA_KEY) as dlog,
        pytest.raises(AuditError, match="incomplete record"),
    ):
        dlog.append(req.ranking, req.ctx)
    assert log.read_bytes() == whole + torn  # nothing appended, nothing dropped
    moved = repair_tail(log)
    assert moved is not None
    assert (moved.offset, moved.size, moved.line) == (len(whole), len(torn), N + 1)
    side = log.with_name(f"{log.name}.torn-{len(whole)}")
    assert side.read_bytes() == torn
    assert log.read_bytes() == whole
    assert repair_tail(log) is None
    with DecisionLog(log, key=KEY, data_key=DATA_KEY) as dlog:
        done = dlog.append(req.ranking, req.ctx)
    assert done.seq == N + 1
    report = verify(log)
    assert report.ok
    assert report.valid == N + 1


def test_head_names_the_last_record(log: Path) -> None:
    with DecisionLog(log, key=KEY, data_key=DATA_KEY) as dlog:
        assert dlog.head() == (N, parsed(log)[-1]["hash"])
        req = requests(1)[0]
        done = dlog.append(req.ranking, req.ctx)
        assert dlog.head() == (N + 1, done.hash)
    assert verify(log, anchor=done.hash).ok


# ------------------------------------------------ hostile lines, bounded reading
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
    assert not replay(log, data_key=DATA_KEY).verify.ok


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
    with (
        DecisionLog(log, key=KEY, data_key=DATA_KEY) as writer,
        pytest.raises(AuditError, match="nested more"),
    ):
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
    with DecisionLog(log, key=KEY, data_key=DATA_KEY, max_record_bytes=100_000) as writer:
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
    with DecisionLog(path, key=KEY, data_key=DATA_KEY) as writer:
        writer.append(req.ranking, req.ctx)
    size = len(path.read_bytes()) - 1
    path.unlink()
    with DecisionLog(path, key=KEY, data_key=DATA_KEY, max_record_bytes=size - 1) as writer:
        with pytest.raises(AuditError, match=f"more than the maximum record size of {size - 1}"):
            writer.append(req.ranking, req.ctx)
        assert path.read_bytes() == b""
    with DecisionLog(path, key=KEY, data_key=DATA_KEY, max_record_bytes=size) as writer:
        writer.append(req.ranking, req.ctx)
    assert verify(path, max_record_bytes=size).ok
    assert not verify(path, max_record_bytes=size - 1).ok
