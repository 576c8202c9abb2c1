"""Sealed records: nothing personal in clear, a seal opens only with its data key and
only in its own record, pseudonyms rotate by period, weak secrets are refused."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import feedrank as fr
from feedrank.audit import (
    AuditError,
    DecisionLog,
    check_secret,
    period_label,
    pseudonym,
    read_log,
    replay,
    verify,
)
from feedrank.audit.record import parse_record
from feedrank.audit.seal import open_seal, seal, seal_aad
from feedrank.audit.secret_check import secret_from_hex
from tests.audit._helpers import (
    DATA_KEY,
    KEY,
    Request,
    lines,
    network,
    parsed,
    rechain,
    records_of,
    requests,
    write_log,
)
from tests.audit.keys import OTHER_DATA_KEY

N = 6


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "decisions.jsonl"
    write_log(path, N)
    return path


def test_a_log_without_a_data_key_refuses_personal_data(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    reqs = requests(6)
    with DecisionLog(path, key=KEY) as dlog:
        with pytest.raises(AuditError) as info:
            dlog.append(reqs[0].ranking, reqs[0].ctx)
        assert info.value.field == "data_key"
        assert "data_key=" in str(info.value)
        assert path.read_bytes() == b""  # nothing written
        anonymous = reqs[5]
        assert anonymous.ctx.viewer is None
        dlog.append(anonymous.ranking, anonymous.ctx)  # an anonymous feed needs no data key
        # A context without a viewer but derived from a person is personal too.
        derived = dataclasses.replace(
            anonymous.ctx, in_network=np.ones(len(anonymous.ctx), dtype=bool)
        )
        with pytest.raises(AuditError, match="derived from a person"):
            dlog.append(anonymous.ranking, derived)
    (record,) = read_log(path).records
    assert not record.is_sealed
    assert replay(path).ok  # in clear: anyone can replay it


def test_a_context_derived_from_a_person_is_sealed_without_a_viewer(tmp_path: Path) -> None:
    anonymous = requests(6)[5]
    derived = dataclasses.replace(anonymous.ctx, affinity=np.linspace(0.0, 1.0, len(anonymous.ctx)))
    path = tmp_path / "log.jsonl"
    with DecisionLog(path, key=KEY, data_key=DATA_KEY) as dlog:
        dlog.append(anonymous.ranking, derived)
    data = parsed(path)[0]
    assert data["inputs"]["viewer"] is None
    assert set(data["inputs"]) == {"sealed", "viewer"}  # no pseudonym, so no period
    record = read_log(path).records[0]
    assert record.is_sealed
    assert record.pseudonym is None
    opened = record.unseal(DATA_KEY)
    np.testing.assert_array_equal(opened.context(opened.batch()).affinity, derived.affinity)


def test_what_stays_in_clear_and_what_is_sealed(log: Path) -> None:
    reqs = requests(N)
    for req, data in zip(reqs, parsed(log), strict=True):
        assert data["v"] == 2
        if req.ctx.viewer is None:
            assert "sealed" not in data["inputs"]
            assert data["outputs"] is not None
            continue
        assert set(data) == {
            "hash",
            "inputs",
            "now",
            "outputs",
            "prev",
            "request_id",
            "seq",
            "spec",
            "v",
        }
        assert data["outputs"] is None
        assert set(data["inputs"]) == {"pseudonym_period", "sealed", "viewer"}
        assert data["inputs"]["viewer"] == {"id": pseudonym(req.ctx.viewer.id, KEY)}
        assert data["inputs"]["pseudonym_period"] == "none"
        stored = data["inputs"]["sealed"]
        assert set(stored) == {"alg", "ct", "nonce"}
        assert stored["alg"] == "A256GCM"
        assert len(base64.b64decode(stored["nonce"])) == 12
    nonces = [d["inputs"]["sealed"]["nonce"] for d in parsed(log) if "sealed" in d["inputs"]]
    assert len(set(nonces)) == len(nonces)  # a fresh nonce per record


def test_verify_needs_no_data_key_and_the_hash_covers_the_seal(log: Path) -> None:
    assert verify(log).ok
    rows = lines(log)
    data = json.loads(rows[1])
    ct = bytearray(base64.b64decode(data["inputs"]["sealed"]["ct"]))
    ct[10] ^= 1
    data["inputs"]["sealed"]["ct"] = base64.b64encode(bytes(ct)).decode()
    rows[1] = (json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n").encode()
    log.write_bytes(b"".join(rows))
    bad = verify(log).first_bad
    assert bad is not None
    assert (bad.record, bad.kind) == (2, "hash")


def test_replay_without_the_data_key_names_every_sealed_record(log: Path) -> None:
    reqs = requests(N)
    report = replay(log)
    assert not report.ok
    assert report.verify.ok
    for req, result in zip(reqs, report.records, strict=True):
        if req.ctx.viewer is None:
            assert result.ok
            assert result.problem is None
        else:
            assert result.error == "sealed: needs the data key"
            problem = result.problem
            assert problem is not None
            assert (problem.record, problem.kind) == (result.record, "sealed")
            assert (
                str(problem)
                == f"record {result.record} (line {result.line}): sealed: needs the data key"
            )
            assert result.diffs == ()
    assert replay(log, data_key=DATA_KEY).ok


def test_a_wrong_data_key_is_a_named_problem(log: Path) -> None:
    report = replay(log, data_key=OTHER_DATA_KEY)
    sealed = [r for r in report.records if r.error is not None]
    assert len(sealed) == N - 1
    for result in sealed:
        assert result.error_kind == "seal"
        assert result.error == "seal does not open (wrong data key or altered)"
    record = read_log(log).records[0]
    with pytest.raises(AuditError, match="seal does not open") as info:
        record.unseal(OTHER_DATA_KEY)
    assert info.value.field == "inputs.sealed"
    with pytest.raises(AuditError, match="sealed: needs the data key"):
        record.batch()
    with pytest.raises(AuditError, match="sealed: needs the data key"):
        record.order()


@pytest.mark.parametrize("field", ["now", "request_id", "spec", "viewer", "period", "moved"])
def test_a_seal_opens_only_in_its_own_record(log: Path, field: str) -> None:
    """A forger who re-hashes the chain still cannot move a seal to another record or
    change what the record says around it: the seal no longer opens."""
    records = parsed(log)
    victim = records[1]
    if field == "now":
        victim["now"] += 1
    elif field == "request_id":
        victim["request_id"] = "forged"
    elif field == "spec":
        victim["spec"] = records[0]["spec"]  # the other preset's spec
    elif field == "viewer":
        victim["inputs"]["viewer"] = records[0]["inputs"]["viewer"]
    elif field == "period":
        victim["inputs"]["pseudonym_period"] = "month"
    else:
        victim["inputs"]["sealed"] = records[2]["inputs"]["sealed"]
    log.write_bytes(b"".join(rechain(records)))
    assert verify(log).ok  # the chain was forged well ...
    report = replay(log, data_key=DATA_KEY)
    bad = [(r.record, r.error_kind) for r in report.mismatched]
    assert bad == [(2, "seal")]  # ... but the seal tells


def test_a_forged_seal_content_is_replayed_and_caught(log: Path) -> None:
    """A holder of the data key can forge a seal; replay still ranks it again."""
    records = parsed(log)
    record = parse_record(records[3])
    plain = json.loads(record.open_seal(DATA_KEY))
    scores = plain["outputs"]["page"]["scores"]
    scores[0] = scores[0] + 1.0
    records[3]["inputs"]["sealed"] = seal(
        json.dumps(plain, sort_keys=True, separators=(",", ":")).encode(),
        DATA_KEY,
        record.associated_data(),
    )
    log.write_bytes(b"".join(rechain(records)))
    report = replay(log, data_key=DATA_KEY)
    assert [r.record for r in report.mismatched] == [4]
    assert report.mismatched[0].error is None
    assert report.mismatched[0].diffs


def test_old_version_1_records_still_verify_and_replay(tmp_path: Path) -> None:
    """A version 1 log (viewer minimised in clear, no seal) reads as before."""
    path = tmp_path / "v1.jsonl"
    reqs = requests(4)
    clear = records_of_v1(tmp_path, reqs)
    path.write_bytes(b"".join(rechain(clear)))
    assert verify(path).ok
    report = replay(path)  # no data key needed: nothing is sealed
    assert report.ok, report.summary()
    records = read_log(path).records
    assert [r.v for r in records] == [1, 1, 1, 1]
    assert not any(r.is_sealed for r in records)
    assert records[0].viewer() is not None
    mixed = [*clear[:2], {**clear[2], "v": 2}]  # a v2 record may not hold a viewer in clear
    path.write_bytes(b"".join(rechain(mixed)))
    bad = verify(path).first_bad
    assert bad is not None
    assert (bad.record, bad.kind) == (3, "malformed")
    assert "inputs.viewer" in bad.detail


def records_of_v1(tmp_path: Path, reqs: list[Request]) -> list[dict[str, Any]]:
    """The records of ``reqs`` as version 1 wrote them: opened seals, ``v`` 1, no period."""
    path = tmp_path / "v2.jsonl"
    with DecisionLog(path, key=KEY, data_key=DATA_KEY) as dlog:
        for req in reqs:
            dlog.append(req.ranking, req.ctx, req.request_id)
    out = []
    for record in records_of(path):
        data = json.loads(record.model_dump_json())
        data["v"] = 1
        data["inputs"].pop("sealed")
        data["inputs"].pop("pseudonym_period")
        out.append(data)
    return out


# ------------------------------------------------------------ pseudonym periods
def _request_at(when: datetime, viewer_id: str = "alice") -> tuple[fr.Ranking, fr.Context]:
    batch = fr.PostBatch.from_posts(
        [fr.Post(id="p1", author_id="a", created_at=when - timedelta(hours=1))]
    )
    ctx = fr.Context.build(batch, now=when, viewer=fr.Viewer(id=viewer_id, follows={"a"}))
    return fr.preset("balanced").rank(batch, ctx), ctx


@pytest.mark.parametrize(
    ("period", "same"), [("none", True), ("year", True), ("month", False), ("day", False)]
)
def test_pseudonyms_rotate_by_period(tmp_path: Path, period: str, same: bool) -> None:
    june = datetime(2026, 6, 30, 23, 59, tzinfo=timezone.utc)
    july = datetime(2026, 7, 1, 0, 1, tzinfo=timezone.utc)
    path = tmp_path / f"{period}.jsonl"
    with DecisionLog(path, key=KEY, data_key=DATA_KEY, pseudonym_period=period) as dlog:  # type: ignore[arg-type]
        for when in (june, july):
            dlog.append(*_request_at(when))
    first, second = read_log(path).records
    assert (first.pseudonym == second.pseudonym) is same
    assert first.inputs.pseudonym_period == period
    for record, when in ((first, june), (second, july)):
        # the key holder recomputes them (an access request)
        assert record.pseudonym == pseudonym("alice", KEY, period=period, now=when)  # type: ignore[arg-type]
        assert record.pseudonym == pseudonym("alice", KEY, period=period, now=record.now)  # type: ignore[arg-type]
        assert record.pseudonym != pseudonym("bob", KEY, period=period, now=when)  # type: ignore[arg-type]
    if period == "none":
        assert first.pseudonym == pseudonym("alice", KEY)  # as in version 1
    assert replay(path, data_key=DATA_KEY).ok


def test_period_labels_are_utc() -> None:
    late = datetime(2026, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5)))  # 04:30 UTC
    assert period_label("day", late) == "2027-01-01"
    assert period_label("month", late) == "2027-01"
    assert period_label("year", late) == "2027"
    assert period_label("none", late) is None
    assert period_label("month", 0) == "1970-01"
    with pytest.raises(AuditError, match="now"):
        pseudonym("alice", KEY, period="month")
    with pytest.raises(AuditError, match="pseudonym_period"):
        period_label("week", late)  # type: ignore[arg-type]
    with pytest.raises(AuditError, match="now"):
        period_label("day", 10**30)


# ------------------------------------------------------------ secrets
@pytest.mark.parametrize(
    "weak",
    [
        b"aaaaaaaaaaaaaaaa",
        b"k" * 32,
        b"0123456789abcdef" * 2,
        bytes(range(20)) * 2,
        bytes(range(15)) + bytes(range(15)) + bytes(range(15)),
        b"\x00" * 64,
        b"platform-secret!" * 2,
        bytes(range(31)),
    ],
)
def test_weak_secrets_are_refused(weak: bytes) -> None:
    with pytest.raises(AuditError) as info:
        check_secret(weak, field="key")
    assert info.value.field == "key"
    with pytest.raises(AuditError, match="audit-key"):
        secret_from_hex(weak.hex(), field="--audit-key")


def test_strong_secrets_pass() -> None:
    assert check_secret(KEY, field="key") == KEY
    assert check_secret(bytearray(DATA_KEY), field="data_key") == DATA_KEY
    assert secret_from_hex(f"  {KEY.hex().upper()}\n", field="--audit-key") == KEY
    for bad in ("xyz", KEY.hex()[:-1] + "g", KEY.hex() + "00"):
        with pytest.raises(AuditError, match="hexadecimal"):
            secret_from_hex(bad, field="--audit-key")
    with pytest.raises(AuditError, match="str"):
        check_secret(KEY.hex(), field="key")


def test_seal_and_open_round_trip_and_refuse_other_data() -> None:
    aad = seal_aad(2, "0" * 64, 5, "r", "p" * 64, "none")
    stored = seal(b"secret", DATA_KEY, aad)
    assert open_seal(stored, DATA_KEY, aad) == b"secret"
    for key, other in (
        (OTHER_DATA_KEY, aad),
        (DATA_KEY, seal_aad(2, "0" * 64, 6, "r", None, None)),
    ):
        with pytest.raises(AuditError, match="seal does not open"):
            open_seal(stored, key, other)
    with pytest.raises(AuditError, match="32 bytes"):
        open_seal(stored, DATA_KEY[:16], aad)


def test_sealed_records_name_no_account_in_clear(log: Path) -> None:
    sealed = [line for line in lines(log) if b'"sealed"' in line]
    assert len(sealed) == N - 1
    for viewer in network().viewers:  # the demo's viewers are its authors too
        assert all(f'"{viewer.id}"'.encode() not in line for line in sealed)
