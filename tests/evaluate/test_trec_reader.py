"""The TREC readers: bulk parsing of numbers (:mod:`feedrank.evaluate._decimal`),
fields found a chunk at a time (:mod:`feedrank.evaluate._fields`), and
:func:`read_trec_run` / :func:`read_trec_qrels` checked against a plain per-line
reader written from the format's rules, on generated files cut into chunks of
every size."""

from __future__ import annotations

import math
import struct
import tracemalloc
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feedrank.errors import InputError
from feedrank.evaluate import _decimal, _fields
from feedrank.evaluate._decimal import FRONT, parse_floats, parse_ints
from feedrank.evaluate.run import Run
from feedrank.evaluate.trec import (
    MAX_TREC_LINE_BYTES,
    read_trec_qrels,
    read_trec_run,
    write_trec_run,
)

# ---------------------------------------------------------------------------
# numbers


def _parse(fields: list[str], integer: bool = False) -> tuple[list[Any], list[bool]]:
    """Parse ``fields`` laid out in a buffer as a reader lays them out."""
    buf = bytearray(b"\n" * FRONT)
    ends, lengths = [], []
    for text in fields:
        raw = text.encode()
        buf += raw
        ends.append(len(buf))
        lengths.append(len(raw))
        buf += b" 9.9.9 "  # junk between fields, as the other columns of a line
    buf += b"\n" * 32
    arr = np.frombuffer(bytes(buf), dtype=np.uint8).copy()
    parse = parse_ints if integer else parse_floats
    values, ok = parse(arr, np.asarray(ends, dtype=np.intp), np.asarray(lengths, dtype=np.intp))
    return values.tolist(), ok.tolist()


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


NUMBER_TEXT = st.text(alphabet="0123456789.-+eE_x", min_size=1, max_size=26)


@settings(max_examples=300, deadline=None)
@given(st.lists(NUMBER_TEXT, min_size=1, max_size=40))
@example(["9007199254740993", "9007199254740993.000", "9007199254740993.01", "-0", "+.5"])
@example(["0.30000000000000004", "1e5", "inf", "1_0", ".", "-", "12345678901234567890"])
def test_parsed_floats_are_float_bit_for_bit(fields: list[str]) -> None:
    values, ok = _parse(fields)
    for text, value, parsed in zip(fields, values, ok, strict=True):
        if parsed:
            assert _bits(value) == _bits(float(text)), text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789-+. x", min_size=1, max_size=26), min_size=1))
@example(["9223372036854775807", "9223372036854775808", "-0", "+7", "007", "1.0"])
def test_parsed_ints_are_int(fields: list[str]) -> None:
    values, ok = _parse(fields, integer=True)
    for text, value, parsed in zip(fields, values, ok, strict=True):
        if parsed:
            assert value == int(text), text


def test_plain_decimals_take_the_fast_path() -> None:
    """Decimals of up to 15 digits are parsed in bulk, none left to float()."""
    rng = np.random.default_rng(3)
    places = rng.integers(0, 9, 3000)
    fields = [f"{x:.{p}f}" for x, p in zip(rng.normal(0, 50, 3000), places, strict=True)]
    fields += ["-0.0", "+3", "5.", ".25", "000123.4500", "999999999999999"]
    values, ok = _parse(fields)
    assert all(ok)
    assert [_bits(v) for v in values] == [_bits(float(f)) for f in fields]


@pytest.mark.skipif(not _decimal._X87, reason="longdouble is not x87 extended precision here")
def test_seventeen_digit_decimals_are_parsed_in_extended_precision() -> None:
    """repr() of doubles (up to 17 significant digits): all but the rare exact
    midpoints of extended precision are parsed in bulk, to float()'s value."""
    rng = np.random.default_rng(4)
    doubles = np.concatenate([rng.random(3000), rng.normal(0, 30, 3000)])
    fields = [repr(float(x)) for x in doubles]
    fields += [repr(float(np.float32(x))) for x in rng.normal(0, 30, 3000)]
    values, ok = _parse(fields)
    assert sum(ok) >= 0.99 * len(fields)
    for text, value, parsed in zip(fields, values, ok, strict=True):
        assert not parsed or _bits(value) == _bits(float(text)), text


def test_an_exact_midpoint_is_left_to_float() -> None:
    """2^53 + 1 lies midway between two doubles: float() rounds it to even."""
    fields = ["9007199254740993", "9007199254740993.000", "9007199254740993.01"]
    values, ok = _parse(fields)
    if _decimal._X87:
        assert ok == [False, False, True]
    assert values[2] == float(fields[2]) == 2.0**53 + 2


def test_other_syntaxes_are_left_to_float() -> None:
    fields = ["1e5", "inf", "-Infinity", "nan", "1_000", "0x10", "1.2.3", "--1", "", "٣"]
    fields = [f for f in fields if f]
    _, ok = _parse(fields)
    assert not any(ok)


# ---------------------------------------------------------------------------
# the readers against a plain per-line reader


def _reference(
    data: bytes, *, run: bool, max_line_bytes: int
) -> tuple[list[str], list[str], list[Any]] | int:
    """(query ids, doc ids, values) as the format's rules read ``data``, or the
    line number of the first error."""
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = text.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    q: list[str] = []
    d: list[str] = []
    v: list[Any] = []
    at: list[int] = []
    for number, line in enumerate(lines, start=1):
        if len(line) > max_line_bytes:
            return number
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return number
        if any(b < 32 and b not in b"\t\x0b\x0c" for b in line):
            return number
        fields = line.split()
        if not fields or fields[0].startswith(b"#"):
            continue
        if (len(fields) < 6) if run else (len(fields) != 4):
            return number
        raw = fields[4 if run else 3].decode()
        try:
            value: Any = float(raw) if run else int(raw)
        except ValueError:
            return number
        if not run and not -(2**63) <= value < 2**63:
            return number
        q.append(fields[0].decode())
        d.append(fields[2].decode())
        v.append(value)
        at.append(number)
    if run:
        for value, number in zip(v, at, strict=True):
            if math.isnan(value):
                return number
    seen: set[tuple[str, str]] = set()
    for pair, number in zip(zip(q, d, strict=True), at, strict=True):
        if pair in seen:
            return number
        seen.add(pair)
    return q, d, v


SEPARATORS = st.sampled_from([" ", " ", " ", "\t", "  ", " \t ", "\x0b", "\x0c"])
ENDS = st.sampled_from(["\n", "\n", "\n", "\r\n", "\r"])
IDS = st.sampled_from(["q1", "q2", "10", "é", "q\xa0x", "日本"])
SCORES = st.one_of(
    st.floats(allow_nan=False, width=32).map(repr),
    st.floats(-1e6, 1e6).map(repr),
    st.sampled_from(["1", "-0", "+2.5", ".5", "7.", "1e-05", "inf", "nan", "1_0", "x", "1.2.3"]),
)
GRADES = st.one_of(
    st.integers(-2, 4).map(str), st.sampled_from(["+1", "007", "0.5", "x", "9" * 20, "1_0"])
)


@st.composite
def trec_files(draw: st.DrawFn, run: bool) -> bytes:
    clean = draw(st.booleans())  # the layout of most files: single spaces, LF, exact width
    out: list[str] = []
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(["line"] * 8 + ["blank", "comment", "odd"]))
        if clean:
            kind = "line"
        if kind == "blank":
            out.append(draw(st.sampled_from(["", "  ", "\t"])))
        elif kind == "comment":
            out.append(draw(st.sampled_from(["# comment", "#", "  # q Q0 d 1 2.0 t", "#x 0 d 1"])))
        else:
            doc = f"d{draw(st.integers(0, 40))}"
            value = draw(SCORES) if run else draw(GRADES)
            fields = [draw(IDS), "Q0" if run else "0", doc]
            fields += [str(draw(st.integers(1, 9))), value, "tag"] if run else [value]
            if kind == "odd":
                fields = draw(st.sampled_from([fields[:-1], [*fields, "extra"], fields[:2]]))
            if clean:
                out.append(" ".join(fields))
            else:
                lead = draw(st.sampled_from(["", "", " ", "\t"]))
                body = "".join(f + draw(SEPARATORS) for f in fields[:-1]) + fields[-1]
                out.append(lead + body + draw(st.sampled_from(["", "", " ", "\t"])))
    ends = [("\n" if clean else draw(ENDS)) for _ in out]
    text = "".join(line + end for line, end in zip(out, ends, strict=True))
    if out and draw(st.booleans()):
        text = text.rstrip("\r\n")  # no line end after the last line
    data = text.encode()
    if data and draw(st.integers(0, 9)) == 0:  # a defect somewhere
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\x00", b"\x1f", b"\xc3"])) + data[at:]
    return data


def _check(
    path: Path, data: bytes, run: bool, chunk: int, max_line_bytes: int, x87: bool = True
) -> None:
    path.write_bytes(data)
    expected = _reference(data, run=run, max_line_bytes=max_line_bytes)
    reader = read_trec_run if run else read_trec_qrels
    with (
        mock.patch.object(_fields, "CHUNK_BYTES", chunk),
        mock.patch.object(_decimal, "_X87", _decimal._X87 and x87),
    ):
        if isinstance(expected, int):
            with pytest.raises(InputError) as info:
                reader(path, max_line_bytes=max_line_bytes)
            assert info.value.line == expected
            assert str(info.value).startswith(f"{path}:{expected}")
            return
        got = reader(path, max_line_bytes=max_line_bytes)
    q, d, values = expected
    assert got.query_ids.tolist() == q
    assert got.doc_ids.tolist() == d
    if run:
        assert isinstance(got, Run)
        assert [_bits(x) for x in got.scores.tolist()] == [_bits(x) for x in values]
    else:
        assert got.relevance.tolist() == values


CHUNKS = st.sampled_from([1, 7, 64, 300, 1 << 18])


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(trec_files(run=True), CHUNKS, st.sampled_from([40, MAX_TREC_LINE_BYTES]), st.booleans())
def test_run_reader_follows_the_format(
    tmp_path: Path, data: bytes, chunk: int, max_line_bytes: int, x87: bool
) -> None:
    _check(tmp_path / "run.txt", data, True, chunk, max_line_bytes, x87)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(trec_files(run=False), CHUNKS, st.sampled_from([20, MAX_TREC_LINE_BYTES]))
def test_qrels_reader_follows_the_format(
    tmp_path: Path, data: bytes, chunk: int, max_line_bytes: int
) -> None:
    _check(tmp_path / "qrels.txt", data, False, chunk, max_line_bytes)


# ---------------------------------------------------------------------------
# the rules, one at a time


def test_tabs_crlf_cr_and_a_last_line_without_line_end(tmp_path: Path) -> None:
    path = tmp_path / "run.txt"
    path.write_bytes(
        b"q1\tQ0\td1\t1\t2.5\tt\r\nq1 Q0 d2 2 1.5 t\rq2  Q0 d1 1 -1 t  \n\nq2 Q0 d3 2 0 t"
    )
    run = read_trec_run(path)
    assert run.to_dict() == {"q1": {"d1": 2.5, "d2": 1.5}, "q2": {"d1": -1.0, "d3": 0.0}}


def test_a_comment_line_with_the_fields_of_a_judgement_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "qrels.txt"
    path.write_bytes(b"q 0 a 1\n#x 0 b 1\nq 0 c 2\n")  # every line 4 fields, single spaces
    assert read_trec_qrels(path).to_dict() == {"q": {"a": 1, "c": 2}}


def test_error_lines_count_every_kind_of_line_end(tmp_path: Path) -> None:
    path = tmp_path / "run.txt"
    path.write_bytes(b"q Q0 a 1 1 t\r\n\r\n# c\rq Q0 b 2 high t\n")
    with pytest.raises(InputError, match="score 'high'") as info:
        read_trec_run(path)
    assert info.value.line == 4


def test_a_huge_line_without_line_end_fails_at_once_with_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "run.txt"
    with path.open("wb") as fh:
        fh.write(b"q Q0 a 1 1 t\n")
        for _ in range(64):
            fh.write(b"x" * (1 << 20))
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        with pytest.raises(InputError, match="longer than the maximum of 4096 bytes") as info:
            read_trec_run(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.line == 2
    assert peak < 8 * _fields.CHUNK_BYTES  # the file is 64 MiB


def test_a_long_line_inside_a_piece_and_the_maximum(tmp_path: Path) -> None:
    path = tmp_path / "qrels.txt"
    line = b"q 0 " + b"d" * 92 + b" 1\n"  # 98 bytes before its line end
    path.write_bytes(b"q 0 a1 1\nq 0 a2 1\nq 0 a3 1\n" + line + b"q 0 b x\n")
    with pytest.raises(InputError, match="longer than the maximum of 97 bytes") as info:
        read_trec_qrels(path, max_line_bytes=97)
    assert info.value.line == 4
    with pytest.raises(InputError, match="relevance 'x'") as info:
        read_trec_qrels(path, max_line_bytes=98)
    assert info.value.line == 5


def test_bad_utf8_is_an_error_at_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "run.txt"
    lines = [f"q Q0 d{i} 1 1.0 t\n".encode() for i in range(40_000)]  # past the first piece
    lines[30_000] = b"q Q0 caf\xe9 1 1.0 t\n"
    path.write_bytes(b"".join(lines))
    with pytest.raises(InputError, match="not valid UTF-8: byte 0xe9 at column 9") as info:
        read_trec_run(path)
    assert info.value.line == 30_001


def test_control_characters_are_errors_at_their_column(tmp_path: Path) -> None:
    path = tmp_path / "qrels.txt"
    path.write_bytes(b"q 0 a 1\nq 0 b\x00 1\n")
    with pytest.raises(InputError, match="control character 0x00 at column 6") as info:
        read_trec_qrels(path)
    assert info.value.line == 2


def test_non_ascii_ids_and_white_space_outside_ascii(tmp_path: Path) -> None:
    """Only ASCII white space separates fields (as in trec_eval): a no-break
    space belongs to the id."""
    path = tmp_path / "run.txt"
    path.write_text("日本 Q0 café 1 2 t\nq\u00a0x Q0 d 1 1 t\n", encoding="utf-8")
    run = read_trec_run(path)
    assert run.query_ids.tolist() == ["日本", "q\u00a0x"]
    assert run.doc_ids.tolist() == ["café", "d"]


def test_a_grade_beyond_64_bits_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "qrels.txt"
    path.write_text("q 0 a 1\nq 0 b 99999999999999999999\n")
    with pytest.raises(InputError, match="out of range") as info:
        read_trec_qrels(path)
    assert info.value.line == 2


def test_one_very_long_id_among_many_rows_is_refused(tmp_path: Path) -> None:
    """Ids are stored as wide as the longest: one 4,000-character id over 200,000
    rows would take 3.2 GB, and is refused at its line."""
    path = tmp_path / "run.txt"
    with path.open("w") as fh:
        fh.write(f"q Q0 {'d' * 4000} 1 1 t\n")
        for i in range(200_000):
            fh.write(f"q Q0 d{i} 1 1 t\n")
    with pytest.raises(InputError, match="4000 characters") as info:
        read_trec_run(path)
    assert info.value.line == 1


def test_scores_written_and_read_back_are_the_same_floats(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    scores = np.concatenate([rng.normal(0, 1e3, 500), rng.random(500) * 1e-7, [0.0, -0.0, 1e300]])
    ids = [f"d{i}" for i in range(scores.shape[0])]
    write_trec_run(Run(["q"] * len(ids), ids, scores), tmp_path / "run.txt")
    back = read_trec_run(tmp_path / "run.txt").to_dict()["q"]
    assert all(_bits(back[i]) == _bits(s) for i, s in zip(ids, scores.tolist(), strict=True))


def test_the_empty_file(tmp_path: Path) -> None:
    (tmp_path / "run.txt").write_bytes(b"")
    assert len(read_trec_run(tmp_path / "run.txt")) == 0
    (tmp_path / "qrels.txt").write_bytes(b"\n# nothing\n")
    assert len(read_trec_qrels(tmp_path / "qrels.txt")) == 0
