"""Statements of reasons: one per (post, restriction policy), in the DSA Transparency
Database format, valid against the shipped schema, stable across exports."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedrank.audit import read_log
from feedrank.audit.statements import puid, statement_schema, statements
from feedrank.cli.app import main
from feedrank.presets.basic import SPAM_POLICY
from tests.audit.keys import DATA_KEY, DATA_KEY_HEX
from tests.audit.ledger_log import BORDERLINE, write_planted_log

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("statements")
    log = tmp / "log.jsonl"
    write_planted_log(log)
    key = tmp / "data.key"
    key.write_text(DATA_KEY_HEX)
    out = tmp / "statements.jsonl"
    args = ["audit", "statements", str(log), "--out", str(out), "--data-key-file", str(key)]
    assert main(args, out=io.StringIO()) == 0
    return log, key, out


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _decisions_in_the_log(log: Path) -> set[tuple[str, str]]:
    """(policy, post) of every removal by the spam filter and every kept post
    labelled borderline, read from the records."""
    found: set[tuple[str, str]] = set()
    for record in (r.unseal(DATA_KEY) for r in read_log(log).records):
        batch = record.batch()
        reasons = record.require_outputs().removed.reasons
        for row, reason in zip(record.removed_rows().tolist(), reasons, strict=True):
            if reason == "label:spam":
                found.add(("spam", str(batch.ids[row])))
        for row in record.order().tolist():
            if "borderline" in batch.labels.row(row):
                found.add(("borderline", str(batch.ids[row])))
    return found


def test_every_exported_line_follows_the_shipped_schema(exported) -> None:  # type: ignore[no-untyped-def]
    _, _, out = exported
    schema = statement_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    lines = _lines(out)
    assert lines
    for line in lines:
        validator.validate(line)
    terms = next(s for s in lines if s["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT")
    assert not validator.is_valid({**terms, "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT"})
    assert not validator.is_valid({**terms, "puid": "has space"})
    assert not validator.is_valid({k: v for k, v in terms.items() if k != "territorial_scope"})
    assert not validator.is_valid({**terms, "category": "STATEMENT_CATEGORY_PIRACY"})
    assert not validator.is_valid({**terms, "application_date": "2019-12-31"})
    assert validator.is_valid({**terms, "application_date": "2020-01-01"})


def test_one_statement_per_post_and_restriction_policy(exported) -> None:  # type: ignore[no-untyped-def]
    log, _, out = exported
    lines = _lines(out)
    expected = _decisions_in_the_log(log)
    assert {p for p, _ in expected} == {"spam", "borderline"}
    assert sorted(str(s["puid"]) for s in lines) == sorted(puid(p, q) for p, q in expected)
    assert len({s["puid"] for s in lines}) == len(lines)


def test_statements_carry_the_declared_policy(exported) -> None:  # type: ignore[no-untyped-def]
    _, _, out = exported
    by_ground = {str(s["decision_ground"]): s for s in _lines(out)}
    law = by_ground["DECISION_GROUND_ILLEGAL_CONTENT"]
    assert law["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_DEMOTED"]
    assert law["illegal_content_legal_ground"] == BORDERLINE.reference
    assert law["illegal_content_explanation"] == BORDERLINE.explanation
    assert law["decision_ground_reference_url"] == BORDERLINE.url
    assert law["category"] == BORDERLINE.category
    assert law["automated_detection"] == "No"
    assert law["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"
    assert "'borderline'" in str(law["decision_facts"])
    terms = by_ground["DECISION_GROUND_INCOMPATIBLE_CONTENT"]
    assert terms["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert terms["incompatible_content_ground"] == SPAM_POLICY.reference
    assert terms["incompatible_content_illegal"] == "No"
    assert terms["category"] == SPAM_POLICY.category
    assert terms["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert terms["source_type"] == "SOURCE_VOLUNTARY"
    assert "decision_ground_reference_url" not in terms  # the preset names no URL
    for statement in (law, terms):
        assert statement["application_date"] == "2026-01-02"


def test_exporting_again_never_duplicates_a_statement(exported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log, key, out = exported
    copy = tmp_path / "again.jsonl"
    copy.write_text(out.read_text(encoding="utf-8"), encoding="utf-8")
    buf = io.StringIO()
    args = ["audit", "statements", str(log), "--out", str(copy), "--data-key-file", str(key)]
    assert main(args, out=buf) == 0
    assert (
        f"wrote 0 statement(s) of reasons to {copy} ({len(_lines(out))} already" in buf.getvalue()
    )
    assert copy.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")
    assert statements(log, data_key=DATA_KEY) == _lines(out)


def test_one_policy_at_a_time_and_an_unknown_policy_is_an_error(exported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log, key, out = exported
    only = statements(log, policy="spam", data_key=DATA_KEY)
    assert only
    assert only == [s for s in _lines(out) if s["decision_ground"].endswith("INCOMPATIBLE_CONTENT")]  # type: ignore[union-attr]
    args = ["audit", "statements", str(log), "--policy", "nope", "--out", str(tmp_path / "x")]
    assert main([*args, "--data-key-file", str(key)], out=io.StringIO()) == 2


def test_the_wheel_ships_the_schema(tmp_path: Path) -> None:
    from hatchling.builders.wheel import WheelBuilder

    (wheel,) = WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])
    with zipfile.ZipFile(wheel) as archive:
        shipped = json.loads(archive.read("feedrank/audit/schemas/dsa_statement.schema.json"))
    assert shipped == statement_schema()


@given(st.text(min_size=1, max_size=200), st.text(min_size=1, max_size=600))
def test_a_puid_is_what_the_database_accepts_and_names_its_decision(policy: str, post: str) -> None:
    made = puid(policy, post)
    assert jsonschema.Draft202012Validator(statement_schema()["properties"]["puid"]).is_valid(made)
    assert made == puid(policy, post)
    assert made != puid(policy + "x", post)
    assert made != puid(policy, post + "x")
