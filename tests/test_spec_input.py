"""Spec files and text from an untrusted source: keys given twice, bad bytes,
deep nesting and oversized specs are refused with errors that say where and why."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import feedrank as fr
from feedrank.presets import PRESETS
from feedrank.spec import limits

TERM = {"name": "t", "weight": 1.0, "signal": {"type": "timestamp"}}
SPEC = {"name": "x", "scorer": {"terms": [TERM]}}
TOML = 'name = "x"\n\n[[scorer.terms]]\nname = "t"\nweight = 1.0\nsignal = { type = "timestamp" }\n'


def test_json_spec_with_a_key_twice_names_key_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    text = json.dumps(SPEC, indent=2).replace('"weight": 1.0', '"weight": 1.0,\n"weight": 9.0')
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index('"weight": 9.0,') + 1
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec(path)
    err = info.value
    assert (err.source, err.line, err.field) == (str(path), line, "scorer.terms[0].weight")
    assert "duplicate key 'weight'" in str(err)
    assert f"{path}:{line}" in str(err)


def test_json_spec_text_with_a_key_twice_is_refused() -> None:
    with pytest.raises(fr.SpecError, match="duplicate key 'name'"):
        fr.load_spec('{"name": "a", "name": "b", ' + json.dumps(SPEC)[1:])


def test_toml_spec_with_a_key_twice_names_key_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "spec.toml"
    path.write_text(TOML.replace("weight = 1.0\n", "weight = 1.0\nweight = 9.0\n"), "utf-8")
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec(path)
    assert (info.value.source, info.value.line) == (str(path), 6)
    assert "duplicate key 'weight'" in str(info.value)
    assert f"{path}:6" in str(info.value)


@pytest.mark.parametrize(
    "text",
    ['name = "x"\nname = "y"', 'name = "x"\nname = "y"\n', 'name = "x"\n  name = "y"  # again\n'],
    ids=["last-line", "newline", "indented"],
)
def test_toml_duplicate_key_is_named_wherever_it_is(text: str) -> None:
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec(text, format="toml")
    assert info.value.line == 2
    assert "duplicate key 'name'" in str(info.value)


def test_toml_spec_with_a_table_twice_names_it_and_its_line() -> None:
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec(TOML + "\n[scorer]\nround_digits = 2\n[scorer]\nround_digits = 3\n")
    assert info.value.line == 10
    assert "('scorer',) twice" in str(info.value)


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_spec_file_with_invalid_utf8_is_a_located_error(tmp_path: Path, suffix: str) -> None:
    text = json.dumps(SPEC, indent=2) if suffix == ".json" else TOML
    path = tmp_path / f"spec{suffix}"
    path.write_bytes(text.replace('"x"', '"caf\udce9"').encode("utf-8", "surrogateescape"))
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec(path)
    assert (info.value.source, info.value.line) == (str(path), 2 if suffix == ".json" else 1)
    assert "not valid UTF-8: byte 0xe9" in str(info.value)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{"name": "x",\n "x": ' + "[" * 100_000 + "]" * 100_000 + "}", 2),
        ('name = "x"\nx = ' + "[" * 100_000 + "]" * 100_000 + "\n", 2),
        ('name = "x"\nx = ' + "{a = " * 100_000 + "1" + "}" * 100_000 + "\n", 2),
        ('name = "x"\n' + ".".join(["a"] * 2_000) + " = 1\n", 2),
        ('name = "x"\n[' + ".".join(['"a"'] * 2_000) + "]\n", 2),
    ],
    ids=["json-arrays", "toml-arrays", "toml-inline-tables", "toml-dotted-key", "toml-table"],
)
def test_deep_nesting_is_a_located_spec_error(text: str, line: int) -> None:
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec(text)
    assert info.value.line == line
    assert f"nested more than {limits.MAX_SPEC_DEPTH} deep" in str(info.value)


def test_nesting_inside_strings_and_comments_does_not_count() -> None:
    brackets = "[{" * 100 + "." * 100
    text = TOML.replace('name = "t"', f'name = "t"  # {brackets}\nwhy = "{brackets}"')
    assert fr.load_spec(text).scorer.terms[0].why == brackets


def test_a_spec_file_larger_than_the_maximum_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert limits.MAX_SPEC_BYTES == 1 << 20
    path = tmp_path / "spec.json"
    text = json.dumps(SPEC)
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(limits, "MAX_SPEC_BYTES", len(text))
    assert fr.load_spec(path).name == "x"
    monkeypatch.setattr(limits, "MAX_SPEC_BYTES", len(text) - 1)
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec(path)
    assert info.value.source == str(path)
    assert "MAX_SPEC_BYTES" in str(info.value)


def test_spec_text_larger_than_the_maximum_is_refused_in_utf8_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = TOML.replace('name = "t"', 'name = "t"\nwhy = "ééé"')
    monkeypatch.setattr(limits, "MAX_SPEC_BYTES", len(text.encode()))
    assert fr.load_spec(text).scorer.terms[0].why == "ééé"
    monkeypatch.setattr(limits, "MAX_SPEC_BYTES", len(text.encode()) - 1)
    with pytest.raises(fr.SpecError, match=r"is \d+ bytes, more than MAX_SPEC_BYTES"):
        fr.load_spec(text)


@pytest.mark.parametrize(
    ("where", "build"),
    [
        ("filters", lambda n: {**SPEC, "filters": [{"type": "seen"}] * n}),
        ("scorer.terms", lambda n: {**SPEC, "scorer": {"terms": [TERM] * n}}),
        (
            "scorer.factors",
            lambda n: {**SPEC, "scorer": {"terms": [TERM], "factors": [TERM] * n}},
        ),
        ("rerankers", lambda n: {**SPEC, "rerankers": [{"type": "author_diversity"}] * n}),
    ],
)
def test_too_many_parts_are_refused_before_validation(where: str, build: object) -> None:
    assert limits.MAX_SPEC_PARTS == 1000
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec(build(1001))  # type: ignore[operator]
    assert info.value.field == where
    assert "1001 entries, more than MAX_SPEC_PARTS = 1000" in str(info.value)


def test_as_many_parts_as_the_maximum_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_SPEC_PARTS", 3)
    terms = [{**TERM, "name": f"t{i}"} for i in range(4)]
    assert len(fr.load_spec({**SPEC, "scorer": {"terms": terms[:3]}}).scorer.terms) == 3
    with pytest.raises(fr.SpecError, match="MAX_SPEC_PARTS = 3"):
        fr.load_spec({**SPEC, "scorer": {"terms": terms}})


def test_a_string_longer_than_the_maximum_is_refused() -> None:
    why = "w" * (limits.MAX_SPEC_STRING + 1)
    text = TOML.replace('name = "t"', f'name = "t"\nwhy = "{why}"')
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec(text)
    assert info.value.field == "scorer.terms[0].why"
    assert f"MAX_SPEC_STRING = {limits.MAX_SPEC_STRING}" in str(info.value)
    ok = TOML.replace('name = "t"', f'name = "t"\nwhy = "{why[1:]}"')
    assert len(fr.load_spec(ok).scorer.terms[0].why) == limits.MAX_SPEC_STRING


def test_a_key_longer_than_the_maximum_is_refused() -> None:
    with pytest.raises(fr.SpecError, match="a key of 10001 characters"):
        fr.load_spec({**SPEC, "k" * 10_001: 1})


def test_a_spec_with_too_many_values_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_SPEC_VALUES", 50)
    signal = {"type": "interactions", "weights": {f"k{i}": 1.0 for i in range(60)}}
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec({**SPEC, "scorer": {"terms": [{**TERM, "signal": signal}]}})
    assert info.value.field == "scorer.terms[0].signal.weights"
    assert "more than MAX_SPEC_VALUES = 50 values" in str(info.value)


def test_every_preset_loads_within_the_limits_as_toml_and_json() -> None:
    for name in PRESETS:
        pipe = fr.preset(name)
        for fmt in ("toml", "json"):
            assert fr.load_spec(fr.dump_spec(pipe, fmt), format=fmt).fingerprint == pipe.fingerprint


def test_the_readme_states_the_limits_the_code_enforces() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Specs", 1)[1].split("\n## ", 1)[0]
    stated = {
        "MAX_SPEC_BYTES": "1 MiB",
        "MAX_SPEC_PARTS": f"{limits.MAX_SPEC_PARTS:,}",
        "MAX_SPEC_CONTROLS": f"{limits.MAX_SPEC_CONTROLS}",
        "MAX_SPEC_STRING": f"{limits.MAX_SPEC_STRING:,}",
        "MAX_SPEC_VALUES": f"{limits.MAX_SPEC_VALUES:,}",
        "MAX_SPEC_DEPTH": f"{limits.MAX_SPEC_DEPTH}",
    }
    assert limits.MAX_SPEC_BYTES == 1 << 20
    for name, value in stated.items():
        assert re.search(rf"{value}\b[^()]*\(`{name}`\)", section), (name, value)
