"""Specs: round trips, canonical form, fingerprints, errors with paths, schema, diff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr
from feedrank.canonical import canonical_json
from feedrank.presets import PRESETS, spec_or_preset
from feedrank.stages.filters import MaxAge, Seen
from feedrank.stages.rerank import AuthorDiversity
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals import GravityDecay, Interactions


def test_fingerprint_is_sha256_of_canonical_json() -> None:
    import hashlib

    pipe = fr.preset("balanced")
    canonical = fr.dump_spec(pipe, "canonical")
    assert pipe.fingerprint == hashlib.sha256(canonical.encode()).hexdigest()
    # canonical form: sorted keys, no whitespace
    assert canonical == json.dumps(
        json.loads(canonical), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def test_writing_a_default_explicitly_keeps_the_fingerprint() -> None:
    bare = fr.load_spec(
        'name = "x"\n[[scorer.terms]]\nname = "t"\nweight = 1.0\nsignal = {type = "timestamp"}\n'
    )
    explicit = fr.load_spec(
        'name = "x"\nlimit = 50\n[[scorer.terms]]\nname = "t"\nweight = 1\n'
        'signal = {type = "timestamp", origin = 0, scale = 3600.0}\n',
        format="toml",
    )
    assert bare.fingerprint == explicit.fingerprint


def test_changing_a_weight_changes_the_fingerprint() -> None:
    data = fr.preset("balanced").to_spec()
    # like_rate: a term no control of balanced points at (a controlled value must
    # equal its control's default)
    data["scorer"]["terms"][1]["weight"] = 4.0000001
    assert fr.load_spec(data).fingerprint != fr.preset("balanced").fingerprint


weights = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    w1=weights,
    w2=weights,
    gravity=st.floats(min_value=0.01, max_value=5),
    hours=st.floats(min_value=0.5, max_value=1e4),
    why=st.text(max_size=30),  # any Unicode, control characters included
    name=st.text(min_size=1, max_size=20),
)
def test_generated_specs_round_trip_exactly(
    w1: float, w2: float, gravity: float, hours: float, why: str, name: str
) -> None:
    pipe = fr.Pipeline(
        name=name,
        filters=[Seen(), MaxAge(hours=hours)],
        scorer=Scorer(
            terms=[
                Term(name="a", signal=Interactions(), weight=w1, why=why),
                Term(
                    name="b",
                    signal=Interactions(weights={"reply": 2.0}, transform="signed_log10"),
                    weight=w2,
                ),
            ],
            factors=[Factor(name="age", signal=GravityDecay(gravity=gravity))],
        ),
        rerankers=[AuthorDiversity()],
    )
    for fmt in ("toml", "json"):
        again = fr.load_spec(fr.dump_spec(pipe, fmt), format=fmt)  # type: ignore[arg-type]
        assert again.fingerprint == pipe.fingerprint
        assert again.scorer.terms[0].weight == w1


@pytest.mark.parametrize(
    ("text", "path", "needle"),
    [
        (
            'name = "x"\nbogus = 1\n[[scorer.terms]]\nname = "t"\nweight = 1.0\n'
            'signal = {type = "timestamp"}\n',
            "bogus",
            "Extra inputs",
        ),
        (
            'name = "x"\n[[scorer.terms]]\nname = "t"\nweight = 1.0\n'
            'signal = {type = "timestmp"}\n',
            "scorer.terms[0].signal",
            "unknown signal type",
        ),
        (
            'name = "x"\n[[filters]]\ntype = "max_age"\nhours = 3\nhourz = 3\n'
            '[[scorer.terms]]\nname = "t"\nweight = 1.0\nsignal = {type = "timestamp"}\n',
            "filters[0].hourz",
            "Extra inputs",
        ),
        (
            'name = "x"\n[[rerankers]]\ntype = "shuffle"\n[[scorer.terms]]\nname = "t"\n'
            'weight = 1.0\nsignal = {type = "timestamp"}\n',
            "rerankers[0]",
            "unknown reranker",
        ),
        (
            'name = "x"\n[[scorer.terms]]\nname = "t"\nweight = "1"\n'
            'signal = {type = "timestamp"}\n',
            "scorer.terms[0].weight",
            "expected a number",
        ),
        ('name = "x"\n[scorer]\nterms = []\n', "scorer.terms", "at least 1"),
        (
            'name = "x"\n[[scorer.terms]]\nname = "t"\nweight = nan\n'
            'signal = {type = "timestamp"}\n',
            "scorer.terms[0].weight",
            "finite",
        ),
    ],
)
def test_bad_specs_name_the_offending_key(text: str, path: str, needle: str) -> None:
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec(text, format="toml")
    assert info.value.field == path
    assert needle in str(info.value)


def test_unknown_type_error_lists_the_known_types() -> None:
    with pytest.raises(fr.SpecError, match="gravity_decay"):
        fr.load_spec(
            {
                "name": "x",
                "scorer": {"terms": [{"name": "t", "weight": 1, "signal": {"type": "?"}}]},
            }
        )


def test_malformed_toml_and_json_are_spec_errors() -> None:
    with pytest.raises(fr.SpecError, match="not valid TOML"):
        fr.load_spec("name = ", format="toml")
    with pytest.raises(fr.SpecError, match="not valid JSON"):
        fr.load_spec("{", format="json")


def test_load_spec_reads_files_mappings_and_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipe = fr.preset("balanced")
    toml_file = tmp_path / "s.toml"
    toml_file.write_text(fr.dump_spec(pipe, "toml"))
    json_file = tmp_path / "s.json"
    json_file.write_text(fr.dump_spec(pipe, "json"))
    assert fr.load_spec(toml_file).fingerprint == pipe.fingerprint
    assert fr.load_spec(str(json_file)).fingerprint == pipe.fingerprint
    assert fr.load_spec(pipe.to_spec()).fingerprint == pipe.fingerprint
    assert fr.load_spec(fr.dump_spec(pipe, "toml")).fingerprint == pipe.fingerprint
    assert fr.load_spec(fr.dump_spec(pipe, "json")).fingerprint == pipe.fingerprint
    bad = tmp_path / "s.yaml"
    bad.write_text("name: x")
    with pytest.raises(fr.SpecError, match=r"toml or \.json"):
        fr.load_spec(bad)
    # A preset's name is not a spec: load_spec never looks presets up, so a file
    # named like a preset can never stand in for it.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "balanced").write_text(fr.dump_spec(fr.preset("chronological"), "toml"))
    with pytest.raises(fr.SpecError, match=r"feedrank\.preset\(name\)"):
        fr.load_spec("balanced")
    with pytest.raises(fr.SpecError, match="no spec file"):
        fr.load_spec("missing.toml")


def test_spec_or_preset_refuses_a_file_that_shadows_a_preset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert spec_or_preset("balanced") == fr.preset("balanced")
    (tmp_path / "balanced").write_text(fr.dump_spec(fr.preset("chronological"), "toml"))
    with pytest.raises(fr.SpecError, match="both a preset and a file"):
        spec_or_preset("balanced")
    (tmp_path / "mine.toml").write_text(fr.dump_spec(fr.preset("chronological"), "toml"))
    assert spec_or_preset("mine.toml") == fr.preset("chronological")
    with pytest.raises(fr.SpecError, match="no spec file or preset"):
        spec_or_preset("no-such-preset")


def test_file_errors_name_the_file(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "broken.toml"  # type: ignore[operator]
    path.write_text('name = "x"\n[[scorer.terms]]\nname = "t"\nweight = 1.0\nsignal = {}\n')
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec(path)
    assert str(path) in str(info.value)
    assert info.value.field == "scorer.terms[0].signal"


def test_schema_lists_every_registered_type_and_validates_presets() -> None:
    schema = fr.spec.spec_schema()
    defs = schema["$defs"]
    from feedrank.stages.filters import FILTERS
    from feedrank.stages.rerank import RERANKERS
    from feedrank.stages.signals import SIGNALS

    for registry in (SIGNALS, FILTERS, RERANKERS):
        refs = {r["$ref"].rsplit("/", 1)[1] for r in defs[registry.base.__name__]["oneOf"]}
        assert refs == {cls.__name__ for _, cls in registry.items()}
    assert json.loads(json.dumps(schema)) == schema
    jsonschema = pytest.importorskip("jsonschema")
    for name in PRESETS:
        jsonschema.validate(fr.preset(name).to_spec(), schema)


def test_diff_names_changed_weights_by_term() -> None:
    old = fr.preset("balanced")
    data = old.to_spec()
    data["scorer"]["terms"][1]["weight"] = 9.0
    data["rerankers"][0]["decay"] = 0.4
    new = fr.load_spec(data)
    changes = {c.path: (c.before, c.after) for c in fr.spec.diff_specs(old, new)}
    assert changes == {
        "scorer.terms[like_rate].weight": (4.0, 9.0),
        "rerankers[0].decay": (0.5, 0.4),
    }
    assert fr.spec.diff_specs(old, old) == []


def test_canonical_json_rejects_nan() -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical_json({"x": float("nan")})


def test_numbers_inside_signal_tables_must_be_numbers() -> None:
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec(
            {
                "name": "x",
                "scorer": {
                    "terms": [
                        {
                            "name": "t",
                            "weight": 1.0,
                            "signal": {"type": "interactions", "weights": {"like": "2"}},
                        }
                    ]
                },
            }
        )
    assert info.value.field == "scorer.terms[0].signal.weights"
    assert "expected a number" in str(info.value)
