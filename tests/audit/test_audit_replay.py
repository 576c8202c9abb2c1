"""replay: every logged request ranks again exactly; another spec, or a log
that does not match the algorithm, is reported record by record and post by post."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import feedrank as fr
from feedrank.audit import DecisionLog, read_log, replay
from feedrank.stages.scoring import Scorer
from tests.audit._helpers import (
    DATA_KEY,
    KEY,
    lines,
    network,
    opened,
    parsed,
    rechain,
    records_of,
    requests,
    write_log,
)

N = 8


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "decisions.jsonl"
    write_log(path, N)
    return path


def _reweighted(pipe: fr.Pipeline, term: str, weight: float) -> fr.Pipeline:
    terms = tuple(
        t.model_copy(update={"weight": weight}) if t.name == term else t for t in pipe.scorer.terms
    )
    scorer = Scorer(terms=terms, factors=pipe.scorer.factors, round_digits=pipe.scorer.round_digits)
    return pipe.model_copy(update={"scorer": scorer})


def test_the_logged_specs_replay_exactly(log: Path) -> None:
    report = replay(log, data_key=DATA_KEY)  # each record with the spec embedded in it
    assert report.ok, report.summary()
    assert len(report.records) == N
    assert all(r.spec_matches and not r.diffs for r in report.records)
    assert [r.record for r in report.records] == list(range(1, N + 1))
    assert report.records[1].request_id == "req-1"
    assert "OK: every request" in report.summary()


def test_a_log_of_one_spec_replays_with_that_spec(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    net = network()
    batch = net.batch()
    pipe = fr.preset("balanced")
    with DecisionLog(path, key=KEY, data_key=DATA_KEY) as dlog:
        for viewer in net.viewers[:6]:
            ctx = net.context(viewer.id, batch)
            first = pipe.rank(batch, ctx, limit=7)
            dlog.append(first, ctx)
            assert first.next_cursor is not None
            dlog.append(pipe.rank(batch, ctx, limit=7, cursor=first.next_cursor), ctx)
    assert [r.page_input().after is not None for r in records_of(path)] == [False, True] * 6
    for spec in ("balanced", pipe):
        report = replay(path, spec, data_key=DATA_KEY)
        assert report.ok, report.summary()


def test_another_spec_is_reported_per_record_with_its_differences(log: Path) -> None:
    report = replay(log, "chronological", data_key=DATA_KEY)
    assert not report.ok
    logged = [json.loads(line)["spec"]["fingerprint"] for line in lines(log)]
    for result, fingerprint in zip(report.records, logged, strict=True):
        assert result.logged_fingerprint == fingerprint
        assert result.replay_fingerprint == fr.preset("chronological").fingerprint
        assert result.spec_matches == (fingerprint == result.replay_fingerprint)
    balanced = [r for r in report.records if not r.spec_matches]
    assert [r.record for r in balanced] == [1, 3, 5, 7]
    assert all(r.diffs for r in balanced)  # the recomputation differs too
    moved = [d for d in balanced[0].diffs if d.position[0] != d.position[1]]
    assert moved
    assert all(d.score[0] != d.score[1] for d in balanced[0].diffs if d.position[1] is not None)
    text = report.summary()
    assert "position" in text
    assert "record 1 (line 1" in text
    assert "spec fingerprint" in text


def test_a_changed_weight_shows_in_scores_positions_and_contributions(log: Path) -> None:
    changed = _reweighted(fr.preset("balanced"), "engagement", 1.5)
    report = replay(log, changed, data_key=DATA_KEY)
    first = report.records[0]
    assert not first.spec_matches
    assert first.error is None
    served = [d for d in first.diffs if d.served[0]]
    assert served
    for d in served:
        assert set(d.contributions) <= {"engagement"}
        if "engagement" in d.contributions:
            before, after = d.contributions["engagement"]
            assert before is not None
            assert after is not None
            assert after == pytest.approx(1.5 * before)
    assert any(d.score_diff for d in first.diffs)
    record = records_of(log)[0]
    assert {d.post_id for d in first.diffs} >= {
        d for d in record.require_outputs().page.ids if d in {x.post_id for x in served}
    }
    payload = report.to_dict()
    assert payload["records"][0]["diffs"][0]["post_id"] == first.diffs[0].post_id


def test_a_rechained_score_forgery_is_caught_at_its_post(log: Path) -> None:
    records = opened(log)
    page = records[3]["outputs"]["page"]
    victim = page["ids"][0]
    page["scores"][0] *= 2
    log.write_bytes(b"".join(rechain(records)))
    report = replay(log, data_key=DATA_KEY)
    assert report.verify.ok
    assert [r.record for r in report.mismatched] == [4]
    (diff,) = report.mismatched[0].diffs
    assert diff.post_id == victim
    assert diff.score_diff is not None
    assert diff.score_diff == pytest.approx(-diff.score[1])  # type: ignore[operator]
    assert diff.position == (0, 0)


def test_tampered_inputs_are_caught_by_replay(log: Path) -> None:
    records = opened(log)
    rows = records[0]["outputs"]["removed"]["rows"]
    records[0]["outputs"]["removed"]["reasons"] = ["x"] * len(
        rows if isinstance(rows, list) else records[0]["outputs"]["removed"]["reasons"]
    )
    log.write_bytes(b"".join(rechain(records)))
    report = replay(log, data_key=DATA_KEY)
    assert [r.record for r in report.mismatched] == [1]
    assert all(d.removed[0] == "x" for d in report.mismatched[0].diffs)


def test_without_embedded_specs_a_spec_is_needed(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    write_log(path, 4, embed_spec=False)
    assert "canonical" not in parsed(path)[0]["spec"]
    bare = replay(path, data_key=DATA_KEY)
    assert not bare.ok
    assert all(r.error and "does not embed its spec" in r.error for r in bare.records)
    assert replay(path, "balanced", data_key=DATA_KEY).records[0].ok
    assert replay(path, "chronological", data_key=DATA_KEY).records[1].ok


def test_replay_goes_on_after_an_integrity_fault(log: Path) -> None:
    rows = lines(log)
    del rows[2]
    log.write_bytes(b"".join(rows))
    report = replay(log, data_key=DATA_KEY)
    assert not report.ok
    assert report.verify.first_bad is not None
    assert report.verify.first_bad.record == 3
    assert [r.record for r in report.records] == [1, 2, 4, 5, 6, 7, 8]
    assert not report.mismatched
    assert "integrity" in report.summary()


def test_an_empty_feed_and_an_anonymous_feed_replay(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    net = network()
    empty = fr.PostBatch.empty()
    pipe = fr.preset("balanced")
    with DecisionLog(path, key=KEY, data_key=DATA_KEY) as dlog:
        ctx = fr.Context.build(empty, now=net.now, viewer=net.viewers[0])
        dlog.append(pipe.rank(empty, ctx), ctx)
        req = requests(6)[5]  # the anonymous one
        assert req.ctx.viewer is None
        dlog.append(req.ranking, req.ctx)
    records = records_of(path)
    assert records[0].require_outputs().page.ids == []
    assert records[1].inputs.viewer is None
    assert [r.is_sealed for r in read_log(path).records] == [True, False]
    assert replay(path, data_key=DATA_KEY).ok


def test_a_record_that_cannot_be_rebuilt_is_an_error_not_a_crash(log: Path) -> None:
    records = opened(log)
    records[1]["inputs"]["batch"]["ids"] = records[1]["inputs"]["batch"]["ids"][:-1]
    log.write_bytes(b"".join(rechain(records)))
    report = replay(log, data_key=DATA_KEY)
    assert [r.record for r in report.mismatched] == [2]
    assert report.mismatched[0].error is not None
    assert "cannot replay" in report.summary()
