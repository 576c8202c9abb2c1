"""The auditor's workflow end to end: rank with a decision log, verify, replay, report."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

import feedrank as fr
import feedrank.audit as fa
import feedrank.io as fio
from feedrank.audit.reports import amplification, exposure, log_report
from feedrank.cli.app import main
from feedrank.datasets import simulate_demo
from tests.audit.keys import DATA_KEY, DATA_KEY_HEX, KEY, KEY_HEX


def run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return main(argv, out=out), out.getvalue()


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[fr.Ranking]]:
    tmp = tmp_path_factory.mktemp("audit")
    net = simulate_demo()
    batch = net.batch()
    log_path = tmp / "decisions.jsonl"
    rankings = []
    with fa.DecisionLog(log_path, key=KEY, data_key=DATA_KEY) as log:
        for viewer in net.viewers:
            rankings.append(
                fr.preset("balanced").rank(batch, net.context(viewer.id, batch), audit=log)
            )
    authors = tmp / "authors.jsonl"
    fio.write_jsonl(net.authors, authors)
    return log_path, authors, rankings


def test_cli_rank_writes_a_log_that_verifies_and_replays(tmp_path: Path) -> None:
    net = simulate_demo()
    posts, viewer, log = tmp_path / "p.jsonl", tmp_path / "v.json", tmp_path / "log.jsonl"
    fio.write_jsonl(net.posts, posts)
    viewer.write_text(net.viewers[0].model_dump_json())
    key_file, data_key_file = tmp_path / "audit.key", tmp_path / "audit.data-key"
    key_file.write_text(KEY_HEX + "\n")
    data_key_file.write_text(DATA_KEY_HEX + "\n")
    rank = ["rank", "--spec", "balanced", "--posts", str(posts), "--viewer", str(viewer),
            "--now", net.now.isoformat(), "--limit", "5", "--format", "json",
            "--audit-log", str(log), "--audit-key-file", str(key_file)]  # fmt: skip
    code, _ = run(rank)  # a viewer and no data key: refused, nothing written
    assert code == 2
    assert not log.exists() or log.read_bytes() == b""
    cursor = None
    for _ in range(3):
        args = [*rank, "--audit-data-key-file", str(data_key_file)]
        if cursor:
            args += ["--cursor", cursor]
        code, out = run(args)
        assert code == 0
        cursor = json.loads(out)["next_cursor"]
    code, out = run(["audit", "verify", str(log)])  # no data key needed
    assert code == 0, out
    unlock = ["--data-key-file", str(data_key_file)]
    code, out = run(["audit", "replay", str(log), "--spec", "balanced", *unlock])
    assert code == 0, out
    code, out = run(["audit", "replay", str(log), "--spec", "chronological", *unlock])
    assert code == 1
    code, out = run(["audit", "replay", str(log), "--spec", "balanced"])
    assert code == 1
    assert "sealed: needs the data key" in out
    for line in log.read_text().splitlines():  # the viewer appears only pseudonymised
        clear = json.loads(line)["inputs"]
        assert set(clear) == {"pseudonym_period", "sealed", "viewer"}
        assert clear["viewer"] == {"id": fa.pseudonym(net.viewers[0].id, KEY)}


def test_report_matches_the_reports_computed_directly(logged) -> None:  # type: ignore[no-untyped-def]
    log_path, authors, rankings = logged
    data_key_file = log_path.with_name("audit.data-key")
    data_key_file.write_text(DATA_KEY_HEX)
    unlock = ["--data-key-file", str(data_key_file)]
    with pytest.raises(fa.AuditError, match="record 1 is sealed"):
        log_report(log_path)
    code, out = run(["audit", "report", str(log_path), "--authors", str(authors)])
    assert code == 2  # sealed records and no data key
    code, out = run(
        ["audit", "report", str(log_path), "--authors", str(authors), "--format", "json", *unlock]
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["requests"] == len(rankings)
    groups = {a.id: a.attributes["group"] for a in fio.read_authors(authors)}
    net = simulate_demo()
    batch = net.batch()
    control = [
        fr.preset("chronological").rank(batch, net.context(v.id, batch), limit=len(r))
        for v, r in zip(net.viewers, rankings, strict=True)
    ]
    expected = amplification(rankings, control, groups)
    for group, amp in expected.items():
        assert doc["amplification"][group]["percent"] == pytest.approx(amp.percent)
    share = exposure(rankings, groups).share_by_group
    for group, value in share.items():
        assert doc["exposure"]["share_by_group"][group] == pytest.approx(value)
    code, text = run(["audit", "report", str(log_path), "--authors", str(authors), *unlock])
    assert "amplification" in text
    assert "effective authors" in text


def test_replay_of_a_spec_reading_negative_feedback_times(tmp_path: Path) -> None:
    """Integer context arrays are stored narrowed; replay must widen them back."""
    net = simulate_demo()
    batch = net.batch()
    pipe = fr.preset("x-for-you-2023-estimated")
    path = tmp_path / "log.jsonl"
    with fa.DecisionLog(path, key=KEY, data_key=DATA_KEY) as log:
        for viewer in net.viewers[:3]:
            pipe.rank(batch, net.context(viewer.id, batch), audit=log)
    record = fa.read_log(path).records[0].unseal(DATA_KEY)
    ctx = record.context(record.batch())
    assert ctx.last_negative_at.dtype == np.int64
    assert fa.replay(path, pipe, data_key=DATA_KEY).ok
