"""The decision log as a transparency log: keys, signed checkpoints, receipts and
consistency proofs, tried as an attacker with write access to the log would."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from feedrank.audit.keys import keygen, load_public_key, load_signing_key
from feedrank.audit.logtree import (
    checkpoint_log,
    checkpoint_problems,
    consistency,
    leaf_hashes,
)
from feedrank.audit.merkle import leaf_hash
from feedrank.audit.receipts import prove, verify_receipt
from feedrank.audit.verify import verify
from feedrank.cli.app import main
from feedrank.errors import AuditError
from tests.audit._helpers import lines, parsed, rechain, write_log

ORIGIN = "example.org/feeds/home"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("keys") / "k"
    keygen(out, name=ORIGIN)
    return out


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def signed(log: Path, keys: Path) -> str:
    return checkpoint_log(log, load_signing_key(keys / "signing.key"), origin=ORIGIN)


def problems(log: Path, checkpoint: str, keys: Path) -> list[tuple[str, int, str]]:
    return checkpoint_problems(leaf_hashes(log), checkpoint, load_public_key(keys / "signing.pub"))


def test_leaves_are_the_exact_record_lines(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    write_log(log, 3)
    assert leaf_hashes(log) == [leaf_hash(line[:-1]) for line in lines(log)]


def test_checkpoint_names_the_log_its_size_and_every_spec(tmp_path: Path, keys: Path) -> None:
    log = tmp_path / "log.jsonl"
    reqs = write_log(log, 4)
    note = signed(log, keys)
    body = note.split("\n\n", 1)[0].split("\n")
    assert body[:2] == [ORIGIN, "4"]
    fingerprints = sorted({r.pipeline.fingerprint for r in reqs})
    assert body[3:] == [f"feedrank-spec {fp}" for fp in fingerprints]
    assert problems(log, note, keys) == []


def test_a_rewritten_and_rechained_log_passes_the_chain_but_not_the_checkpoint(
    tmp_path: Path, keys: Path
) -> None:
    log = tmp_path / "log.jsonl"
    write_log(log, 6)
    note = signed(log, keys)
    records = parsed(log)
    records[2]["now"] -= 3_600_000_000  # the decision moved an hour back
    log.write_bytes(b"".join(rechain(records)))
    assert verify(log).ok  # the attacker's own hashes check
    [(kind, _, detail)] = problems(log, note, keys)
    assert kind == "checkpoint"
    assert "records 1 to 6 do not hash" in detail


@pytest.mark.parametrize("attack", ["truncate", "reorder", "insert", "remove"])
def test_every_structural_attack_is_caught(tmp_path: Path, keys: Path, attack: str) -> None:
    log = tmp_path / "log.jsonl"
    write_log(log, 6)
    note = signed(log, keys)
    records = parsed(log)
    if attack == "truncate":  # at a record boundary: the chain stays valid
        log.write_bytes(b"".join(lines(log)[:4]))
        assert verify(log).ok
        assert problems(log, note, keys) == [
            (
                "truncated",
                5,
                "the log holds 4 record(s) but the checkpoint covers 6: record(s) 5 to 6 "
                "were removed",
            )
        ]
        return
    if attack == "reorder":
        records[1], records[2] = records[2], records[1]
    elif attack == "insert":
        records.insert(3, dict(records[3]))
    else:
        del records[2]
        records.append(dict(records[0]))  # keep the length the checkpoint covers
    log.write_bytes(b"".join(rechain(records)))
    assert verify(log).ok
    assert [p[0] for p in problems(log, note, keys)] == ["checkpoint"]


def test_a_forged_or_foreign_checkpoint_is_refused(tmp_path: Path, keys: Path) -> None:
    log = tmp_path / "log.jsonl"
    write_log(log, 3)
    note = signed(log, keys)
    body, signature = note.rsplit(" ", 1)
    flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
    assert [p[0] for p in problems(log, f"{body} {flipped}", keys)] == ["signature"]
    other = tmp_path / "other"
    keygen(other, name=ORIGIN)
    assert [p[0] for p in problems(log, signed(log, other), keys)] == ["signature"]
    lie = note.replace(f"{ORIGIN}\n3\n", f"{ORIGIN}\n2\n", 1)
    assert [p[0] for p in problems(log, lie, keys)] == ["signature"]


def test_checkpoint_refuses_a_log_that_does_not_verify(tmp_path: Path, keys: Path) -> None:
    log = tmp_path / "log.jsonl"
    write_log(log, 3)
    data = lines(log)
    data[1] = data[1].replace(b'"seq":2', b'"seq":7')
    log.write_bytes(b"".join(data))
    with pytest.raises(AuditError, match="does not verify: record 2"):
        signed(log, keys)


def test_receipt_proves_a_served_page_offline_and_any_changed_byte_fails(
    tmp_path: Path, keys: Path
) -> None:
    log = tmp_path / "log.jsonl"
    reqs = write_log(log, 7)
    note = signed(log, keys)
    receipt = prove(log, 6, note).to_json()  # the anonymous feed: its page is in clear
    sealed = prove(log, 3, note).to_json()  # a viewer's feed: its page is sealed
    log.unlink()  # offline: only the receipt and the public key
    public = load_public_key(keys / "signing.pub")
    checked = verify_receipt(receipt, public)
    assert (checked.seq, checked.size, checked.origin) == (6, 7, ORIGIN)
    assert list(checked.post_ids) == reqs[5].ranking.post_ids
    assert not checked.sealed
    hidden = verify_receipt(sealed, public)
    assert hidden.sealed
    assert hidden.post_ids == ()
    data = receipt.encode()
    step = max(1, len(data) // 1500)
    for i in [*range(0, len(data), step), len(data) - 2]:
        for mask in (0x01, 0x20):
            changed = data[:i] + bytes([data[i] ^ mask]) + data[i + 1 :]
            with pytest.raises(AuditError):
                verify_receipt(changed, public)


def test_prove_refuses_records_and_logs_the_checkpoint_does_not_cover(
    tmp_path: Path, keys: Path
) -> None:
    log = tmp_path / "log.jsonl"
    write_log(log, 4)
    note = signed(log, keys)
    for seq in (0, 5):
        with pytest.raises(AuditError, match="seq"):
            prove(log, seq, note)
    records = parsed(log)
    records[0]["request_id"] = "forged"
    log.write_bytes(b"".join(rechain(records)))
    with pytest.raises(AuditError, match="does not hold the records the checkpoint covers"):
        prove(log, 2, note)


def test_consistency_holds_for_appends_and_fails_for_rewrites(tmp_path: Path, keys: Path) -> None:
    log = tmp_path / "log.jsonl"
    write_log(log, 8)
    full = lines(log)
    log.write_bytes(b"".join(full[:3]))
    old = signed(log, keys)
    log.write_bytes(b"".join(full))  # five more records appended
    new = signed(log, keys)
    public = load_public_key(keys / "signing.pub")
    good = consistency(old, new, log, public_key=public)
    assert good.ok, good.detail
    assert good.proof
    records = parsed(log)
    records[1]["request_id"] = "rewritten"
    log.write_bytes(b"".join(rechain(records)))
    rewritten = signed(log, keys)  # the platform re-signs its rewritten history
    bad = consistency(old, rewritten, log, public_key=public)
    assert not bad.ok
    assert "not a prefix" in bad.detail
    stale = consistency(old, new, log, public_key=public)
    assert not stale.ok
    assert "do not hash to the new checkpoint" in stale.detail


def test_the_commands_walk_from_keygen_to_a_verified_receipt(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    code, out = run("audit", "keygen", "--out", str(keys), "--origin", ORIGIN)
    assert code == 0
    assert "signing.pub" in out
    assert run("audit", "keygen", "--out", str(keys), "--origin", ORIGIN)[0] == 2  # no overwrite
    log = tmp_path / "log.jsonl"
    write_log(log, 4)
    cp = tmp_path / "cp.txt"
    code, _ = run(
        "audit",
        "checkpoint",
        str(log),
        "--signing-key",
        str(keys / "signing.key"),
        "--output",
        str(cp),
    )
    assert code == 0
    assert cp.read_text().startswith(f"{ORIGIN}\n4\n")
    receipt = tmp_path / "receipt.json"
    code, _ = run(
        "audit", "prove", str(log), "--seq", "2", "--checkpoint", str(cp), "--output", str(receipt)
    )
    assert code == 0
    pub = str(keys / "signing.pub")
    code, out = run(
        "audit", "verify-receipt", str(receipt), "--public-key", pub, "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["seq"] == 2
    receipt.write_text(receipt.read_text().replace('"seq":2', '"seq":1'))
    code, out = run("audit", "verify-receipt", str(receipt), "--public-key", pub)
    assert code == 1
    assert out.startswith("FAILED")
    code, out = run("audit", "consistency", str(cp), str(cp), str(log), "--public-key", pub)
    assert code == 0, out


def test_audit_verify_with_a_checkpoint_fails_on_a_rechained_or_truncated_log(
    tmp_path: Path, keys: Path
) -> None:
    log = tmp_path / "log.jsonl"
    write_log(log, 5, signing_key=load_signing_key(keys / "signing.key"))
    cp = tmp_path / "cp.txt"
    cp.write_text(signed(log, keys), encoding="utf-8")
    pub = str(keys / "signing.pub")
    args = ("audit", "verify", str(log), "--checkpoint", str(cp), "--public-key", pub)
    code, out = run(*args)
    assert code == 0, out
    assert "OK: the log holds the checkpoint's records" in out
    records = parsed(log)
    records[3]["request_id"] = "another-request"
    log.write_bytes(b"".join(rechain(records)))
    assert run("audit", "verify", str(log))[0] == 0  # the chain alone is fooled
    code, out = run(*args, "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert [p["kind"] for p in report["checkpoint_problems"]] == ["checkpoint"]
    # The records' own signatures name the first record the forger re-wrote.
    assert report["first_bad"]["record"] == 4
    assert report["first_bad"]["kind"] == "signature"
    log.write_bytes(b"".join(lines(log)[:3]))
    code, out = run(*args)
    assert code == 1
    assert "PROBLEM record 4: truncated" in out
    assert run("audit", "verify", str(log), "--checkpoint", str(cp))[0] == 2


def test_rank_with_a_log_returns_the_record_a_receipt_proves(tmp_path: Path, keys: Path) -> None:
    from feedrank.audit import DecisionLog
    from tests.audit._helpers import requests
    from tests.audit.keys import DATA_KEY, KEY

    log = tmp_path / "log.jsonl"
    served = []
    with DecisionLog(log, key=KEY, data_key=DATA_KEY) as sink:
        for req in requests(3):
            ranking = req.pipeline.rank(req.batch, req.ctx, limit=5, audit=sink)
            served.append(ranking)
    assert [r.logged.seq for r in served] == [1, 2, 3]
    assert [r.logged.leaf_hash for r in served] == leaf_hashes(log)
    note = signed(log, keys)
    receipt = prove(log, served[1].logged.seq, note)
    assert receipt.leaf_hash == served[1].logged.leaf_hash
    assert verify_receipt(receipt.to_json(), load_public_key(keys / "signing.pub")).seq == 2


def _readme_commands() -> list[list[str]]:
    import re
    import shlex

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Verifiable decision logs", 1)[1]
    block = re.findall(r"```sh\n(.+?)\n```", section, flags=re.S)[0]
    joined = block.replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            commands.append(shlex.split(line))
    return commands


def test_the_readme_walk_through_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_readme import _example

    monkeypatch.chdir(tmp_path)
    Path("posts.jsonl").write_text(_example("Posts are JSON Lines"), encoding="utf-8")
    Path("viewer.json").write_text(_example("(`viewer.json`)"), encoding="utf-8")
    Path("authors.jsonl").write_text(_example("(`authors.jsonl`, `--authors`)"), encoding="utf-8")
    commands = _readme_commands()
    assert commands[0][:3] == ["feedrank", "audit", "keygen"]
    for argv in commands:
        assert argv[0] == "feedrank"
        if argv[1:3] == ["audit", "consistency"]:
            # cp-2.txt: the platform ranked again and signed a newer checkpoint.
            rank = next(c for c in commands if c[1] == "rank")
            later = [a.replace("2026-01-01T12:00:00Z", "2026-01-01T13:00:00Z") for a in rank]
            assert run(*later[1:])[0] == 0
            sign = next(c for c in commands if c[1:3] == ["audit", "checkpoint"])
            assert run(*[a.replace("cp-1", "cp-2") for a in sign[1:]])[0] == 0
        code, out = run(*argv[1:])
        assert code == 0, (argv, out)
    assert Path("cp-2.txt").read_text().split("\n")[1] == "2"
    assert json.loads(Path("receipt.json").read_text())["seq"] == 1


@pytest.mark.parametrize("attack", ["edit", "insert", "reorder", "remove"])
def test_signed_records_name_the_record_an_attacker_changed(
    tmp_path: Path, keys: Path, attack: str
) -> None:
    log = tmp_path / "log.jsonl"
    write_log(log, 6, signing_key=load_signing_key(keys / "signing.key"))
    public = load_public_key(keys / "signing.pub")
    assert verify(log, public_key=public).ok
    records = parsed(log)
    if attack == "edit":
        records[2]["now"] += 1
    elif attack == "insert":
        records.insert(2, dict(records[4]))
    elif attack == "reorder":
        records[2], records[3] = records[3], records[2]
    else:
        del records[2]
    log.write_bytes(b"".join(rechain(records)))  # rechain keeps each stolen signature
    assert verify(log).ok  # without the key, the chain is fooled
    report = verify(log, public_key=public)
    assert report.first_bad is not None
    assert (report.first_bad.record, report.first_bad.kind) == (3, "signature")
    assert "without the signing key" in report.first_bad.detail


def test_an_unsigned_log_is_named_when_the_key_is_given(tmp_path: Path, keys: Path) -> None:
    log = tmp_path / "log.jsonl"
    write_log(log, 2)
    report = verify(log, public_key=load_public_key(keys / "signing.pub"))
    assert [(p.record, p.kind) for p in report.problems] == [(1, "signature"), (2, "signature")]
    assert "not signed" in report.problems[0].detail


def test_a_torn_tail_is_no_record_and_the_checkpoint_still_verifies(
    tmp_path: Path, keys: Path
) -> None:
    from feedrank.audit import repair_tail

    log = tmp_path / "log.jsonl"
    write_log(log, 4)
    note = signed(log, keys)
    with log.open("ab") as out:  # a writer killed mid-append
        out.write(lines(log)[-1][:200])
    assert len(leaf_hashes(log)) == 4
    assert problems(log, note, keys) == []  # nothing acknowledged is lost
    with pytest.raises(AuditError, match="torn record"):
        signed(log, keys)
    assert repair_tail(log) is not None
    assert problems(log, signed(log, keys), keys) == []
