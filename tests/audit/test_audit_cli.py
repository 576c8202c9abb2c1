"""The ``feedrank audit`` commands and the ``rank --audit-log`` options, through a
parser built the way ``feedrank.cli.app`` builds its own; and ``Pipeline.rank(audit=)``."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

import feedrank as fr
from feedrank.audit import DecisionLog, read_log, verify
from feedrank.cli.audit import (
    DATA_KEY_ENV,
    KEY_ENV,
    add_audit_commands,
    add_rank_audit_options,
    open_rank_audit_log,
)
from feedrank.errors import AuditError, InputError
from tests.audit._helpers import DATA_KEY, KEY, lines, network, write_log
from tests.audit.keys import DATA_KEY_HEX, KEY_HEX


def run(argv: list[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="feedrank")
    sub = parser.add_subparsers(dest="command", required=True)
    add_audit_commands(sub)
    args = parser.parse_args(argv)
    out = io.StringIO()
    code = int(args.run(args, out))
    return code, out.getvalue()


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "decisions.jsonl"
    write_log(path, 6)
    return path


@pytest.fixture
def data_key_file(tmp_path: Path) -> str:
    path = tmp_path / "data.key"
    path.write_text(DATA_KEY_HEX + "\n")
    return str(path)


def test_verify_a_clean_log(log: Path) -> None:
    code, text = run(["audit", "verify", str(log)])
    assert code == 0
    assert "6 record(s), 6 valid" in text
    assert "OK" in text
    code, text = run(["audit", "verify", str(log), "--format", "json"])
    assert code == 0
    assert json.loads(text)["ok"] is True


def test_verify_names_the_first_bad_record(log: Path) -> None:
    rows = lines(log)
    del rows[3]
    log.write_bytes(b"".join(rows))
    code, text = run(["audit", "verify", str(log)])
    assert code == 1
    assert "record 4 (line 4): sequence" in text
    code, text = run(["audit", "verify", str(log), "--format", "json"])
    data = json.loads(text)
    assert code == 1
    assert (data["first_bad"]["record"], data["first_bad"]["line"], data["valid"]) == (4, 4, 3)


def test_verify_with_an_anchor(log: Path) -> None:
    head = verify(log).head
    log.write_bytes(b"".join(lines(log)[:-1]))
    code, text = run(["audit", "verify", str(log), "--anchor", head])
    assert code == 1
    assert "anchor" in text


def test_replay_with_the_logged_and_with_another_spec(log: Path, data_key_file: str) -> None:
    key = ["--data-key-file", data_key_file]
    code, text = run(["audit", "replay", str(log), *key])
    assert code == 0, text
    assert "6 identical, 0 differ" in text
    code, text = run(
        ["audit", "replay", str(log), "--spec", "chronological", "--format", "json", *key]
    )
    data = json.loads(text)
    assert code == 1
    assert [r["record"] for r in data["records"] if not r["spec_matches"]] == [1, 3, 5]
    assert all(r["diffs"] for r in data["records"] if not r["spec_matches"])
    code, text = run(["audit", "replay", str(log), "--spec", "balanced", "--max-diffs", "2", *key])
    assert code == 1
    assert "record 2 (line 2, request req-1)" in text


def test_replay_without_the_data_key_names_each_sealed_record(
    log: Path, data_key_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATA_KEY_ENV, raising=False)
    code, text = run(["audit", "replay", str(log), "--format", "json"])
    assert code == 1
    data = json.loads(text)
    kinds = [(r["record"], r["error_kind"]) for r in data["records"]]
    # the anonymous feed (record 6) is in clear
    assert kinds == [
        (1, "sealed"),
        (2, "sealed"),
        (3, "sealed"),
        (4, "sealed"),
        (5, "sealed"),
        (6, None),
    ]
    assert data["records"][0]["error"] == "sealed: needs the data key"
    code, text = run(["audit", "replay", str(log)])
    assert "record 1 (line 1, request" in text
    assert "cannot replay (sealed): sealed: needs the data key" in text
    monkeypatch.setenv(DATA_KEY_ENV, DATA_KEY_HEX)
    code, text = run(["audit", "replay", str(log)])
    assert code == 0, text
    monkeypatch.setenv(DATA_KEY_ENV, KEY_HEX)  # a key, but not this log's data key
    code, text = run(["audit", "replay", str(log)])
    assert code == 1
    assert "cannot replay (seal): seal does not open (wrong data key or altered)" in text
    weak = Path(data_key_file).with_name("weak.key")
    weak.write_text(bytes(range(16)).hex() * 2)
    with pytest.raises(AuditError, match="repeats a pattern"):
        run(["audit", "replay", str(log), "--data-key-file", str(weak)])


def test_replay_with_a_spec_file(log: Path, tmp_path: Path, data_key_file: str) -> None:
    spec = tmp_path / "balanced.toml"
    spec.write_text(fr.dump_spec(fr.preset("balanced")))
    code, text = run(
        ["audit", "replay", str(log), "--spec", str(spec), "--data-key-file", data_key_file]
    )
    assert code == 1  # the chronological records differ
    assert "3 identical, 3 differ" in text


def test_rank_audit_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parser = argparse.ArgumentParser()
    add_rank_audit_options(parser)
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(DATA_KEY_ENV, raising=False)
    assert open_rank_audit_log(parser.parse_args([])) is None
    path = tmp_path / "log.jsonl"
    with pytest.raises(InputError, match="audit-key"):
        open_rank_audit_log(parser.parse_args(["--audit-log", str(path)]))
    for weak in ("a-secret-of-at-least-16-bytes", "6b" * 32, KEY_HEX[:-2]):
        with pytest.raises(AuditError, match="audit-key"):
            open_rank_audit_log(parser.parse_args(["--audit-log", str(path), "--audit-key", weak]))
    args = parser.parse_args(["--audit-log", str(path), "--audit-key", KEY_HEX])
    with open_rank_audit_log(args) as log:  # type: ignore[union-attr]
        assert isinstance(log, DecisionLog)
        assert not log.seals  # no data key: it takes anonymous feeds only
    key_file, data_file = tmp_path / "audit.key", tmp_path / "audit.data-key"
    key_file.write_text(KEY_HEX + "\n")
    data_file.write_text(DATA_KEY_HEX)
    args = parser.parse_args(
        ["--audit-log", str(path), "--audit-key-file", str(key_file),
         "--audit-data-key-file", str(data_file), "--audit-pseudonym-period", "month"]
    )  # fmt: skip
    with open_rank_audit_log(args) as log:  # type: ignore[union-attr]
        assert log.seals
        assert log.pseudonym_period == "month"
    same = tmp_path / "same.key"
    same.write_text(KEY_HEX)
    with pytest.raises(AuditError, match="separate"):
        open_rank_audit_log(
            parser.parse_args(
                [
                    "--audit-log",
                    str(path),
                    "--audit-key",
                    KEY_HEX,
                    "--audit-data-key-file",
                    str(same),
                ]
            )
        )
    monkeypatch.setenv(KEY_ENV, KEY_HEX)
    monkeypatch.setenv(DATA_KEY_ENV, DATA_KEY_HEX)
    log2 = open_rank_audit_log(parser.parse_args(["--audit-log", str(path)]))
    assert log2 is not None
    assert log2.seals
    log2.close()


def test_pipeline_rank_appends_one_record_per_request(tmp_path: Path) -> None:
    net = network()
    batch = net.batch()
    path = tmp_path / "log.jsonl"
    pipe = fr.preset("balanced")
    with DecisionLog(path, key=KEY, data_key=DATA_KEY) as log:
        for i, viewer in enumerate(net.viewers[:3]):
            ctx = net.context(viewer.id, batch)
            pipe.rank(batch, ctx, limit=5, audit=log, request_id=f"r{i}")
    records = read_log(path).records
    assert [r.request_id for r in records] == ["r0", "r1", "r2"]
    assert verify(path).ok
