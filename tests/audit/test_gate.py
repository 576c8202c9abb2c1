"""The release gate: trips on a spec that demotes one group, stays quiet on a
neutral change, and its numbers are the paired tests computed by hand."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import feedrank as fr
import feedrank.io as fio
from feedrank.audit import read_log
from feedrank.audit.gate import release_gate
from feedrank.cli.app import main
from feedrank.evaluate.stats import holm
from tests.audit.keys import DATA_KEY, DATA_KEY_HEX
from tests.audit.ledger_log import FLAGGED, Planted, with_factor, write_planted_log


@pytest.fixture(scope="module")
def gate_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, Planted]:
    tmp = tmp_path_factory.mktemp("gate")
    log = tmp / "log.jsonl"
    planted = write_planted_log(log)
    authors = tmp / "authors.jsonl"
    fio.write_jsonl(planted.net.authors, authors)
    key = tmp / "data.key"
    key.write_text(DATA_KEY_HEX)
    return log, authors, key, planted


def _biased(p: Planted) -> fr.Pipeline:
    return with_factor(p.pipeline, "flagged", ["flagged"], 0.3, FLAGGED)


def _neutral(p: Planted) -> fr.Pipeline:
    data = p.pipeline.to_spec()
    data["version"] = "2"
    data["description"] = "The same ranking, described again."
    return fr.load_spec(data)


def _reweighted(p: Planted) -> fr.Pipeline:
    data = p.pipeline.to_spec()
    # like_rate: a change for everyone alike (engagement's weight is a published
    # control, whose default must then move with it)
    term = next(t for t in data["scorer"]["terms"] if t["name"] == "like_rate")
    term["weight"] *= 1.1
    return fr.load_spec(data)


def test_holm_matches_its_definition() -> None:
    p = np.array([0.04, 0.001, 0.03, 0.2])
    m = len(p)
    order = np.argsort(p)
    expected = np.empty(m)
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        expected[j] = running
    assert holm(p).tolist() == pytest.approx(expected.tolist())


def test_the_gate_trips_on_a_spec_that_demotes_one_group(gate_log) -> None:  # type: ignore[no-untyped-def]
    log, _, _, planted = gate_log
    report = release_gate(
        log, planted.pipeline, _biased(planted), planted.groups, data_key=DATA_KEY
    )
    assert report.tripped
    hit = {g.group: g for g in report.groups}[planted.flagged_group]
    assert hit.exceeds
    assert hit.relative < -0.1
    assert -1.0 <= hit.interval[0] <= hit.relative <= hit.interval[1] < 0
    assert hit.p_holm <= 0.05


def test_the_gate_stays_quiet_on_a_neutral_change(gate_log) -> None:  # type: ignore[no-untyped-def]
    log, _, _, planted = gate_log
    report = release_gate(
        log, planted.pipeline, _neutral(planted), planted.groups, data_key=DATA_KEY
    )
    assert not report.tripped
    assert all(g.change == 0.0 and g.p == 1.0 for g in report.groups)
    assert "OK: no group's exposure changes" in report.summary()
    moved = release_gate(
        log, planted.pipeline, _reweighted(planted), planted.groups, data_key=DATA_KEY
    )
    assert not moved.tripped
    assert any(g.change != 0.0 for g in moved.groups)
    for g in moved.groups:
        assert abs(g.relative) < 0.1
        assert g.interval[0] <= g.relative <= g.interval[1]


def test_the_numbers_are_the_paired_tests_by_hand(gate_log) -> None:  # type: ignore[no-untyped-def]
    log, _, _, planted = gate_log
    old, new = planted.pipeline, _biased(planted)
    report = release_gate(log, old, new, planted.groups, data_key=DATA_KEY)
    names = sorted({*planted.groups.values(), "unknown"})
    before, after = [], []
    for record in (r.unseal(DATA_KEY) for r in read_log(log).records):
        batch = record.batch()
        ctx = record.context(batch)
        for spec, into in ((old, before), (new, after)):
            ranking = spec.rank(batch, ctx, limit=record.page_input().limit)
            rows = ranking.candidates.index_of(ranking.post_ids)
            authors = ranking.candidates.author_ids[rows].tolist()
            into.append(
                [
                    sum(
                        1 / math.log2(1 + rank)
                        for rank, a in enumerate(authors, 1)
                        if planted.groups.get(a, "unknown") == g
                    )
                    for g in names
                ]
            )
    b, a = np.array(before), np.array(after)
    shown = [j for j in range(len(names)) if b[:, j].any() or a[:, j].any()]
    assert [g.group for g in report.groups] == [names[j] for j in shown]
    ps = []
    for g, j in zip(report.groups, shown, strict=True):
        assert g.exposure_old == pytest.approx(b[:, j].mean())
        assert g.exposure_new == pytest.approx(a[:, j].mean())
        assert g.relative == pytest.approx((a[:, j] - b[:, j]).mean() / b[:, j].mean())
        p = stats.ttest_rel(a[:, j], b[:, j]).pvalue
        assert g.p == pytest.approx(p)
        ps.append(p)
    assert [g.p_holm for g in report.groups] == pytest.approx(holm(np.array(ps)).tolist())


def test_feedrank_diff_with_a_log_is_the_gate(gate_log, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log, authors, key, planted = gate_log
    old, biased, neutral = tmp_path / "old.json", tmp_path / "new.json", tmp_path / "same.json"
    old.write_text(fr.dump_spec(planted.pipeline, "json"))
    biased.write_text(fr.dump_spec(_biased(planted), "json"))
    neutral.write_text(fr.dump_spec(_neutral(planted), "json"))
    base = ["--log", str(log), "--authors", str(authors), "--group-by", "group"]
    base += ["--data-key-file", str(key), "--max-change", "0.1"]
    buf = io.StringIO()
    assert main(["diff", str(old), str(biased), *base], out=buf) == 1
    assert "EXCEEDS" in buf.getvalue()
    assert "+ scorer.factors[flagged]" in buf.getvalue()
    buf = io.StringIO()
    assert main(["diff", str(old), str(neutral), *base, "--format", "json"], out=buf) == 0
    data = json.loads(buf.getvalue())
    assert data["tripped"] is False
    assert data["groups"]
    loose = ["diff", str(old), str(biased), *base[:-1], "10"]
    assert main(loose, out=io.StringIO()) == 0  # a bound of 1000 % is not exceeded
    assert main(["diff", str(old), str(biased), "--max-change", "0.1"], out=io.StringIO()) == 2
    no_authors = ["diff", str(old), str(biased), "--log", str(log), "--data-key-file", str(key)]
    assert main(no_authors, out=io.StringIO()) == 2
