"""A viewer's choice: the effective spec is the edited spec, refused out of bounds,
carried by the Ranking, the JSON output, the command line and the decision log,
and proved by replay."""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr
from feedrank.audit import DecisionLog, read_log, replay
from feedrank.cli.app import main
from feedrank.datasets import SimulatedNetwork, simulate
from feedrank.errors import InputError
from feedrank.spec import Choice, choice_from_json, choose, viewer_reads
from feedrank.spec.controls import Control, edit, find
from tests.audit.keys import DATA_KEY, KEY


@cache
def network() -> SimulatedNetwork:
    return simulate(rng=3, n_users=12, n_posts=120, hours=48.0)


@cache
def balanced() -> fr.Pipeline:
    return fr.preset("balanced")


def grid(control: Control) -> list[Any]:
    """Every value a control accepts (switches: on and off)."""
    if control.kind == "switch":
        return [True, False]
    assert control.min is not None
    assert control.max is not None
    assert control.step is not None
    n = round((control.max - control.min) / control.step)
    return [round(control.min + k * control.step, 12) for k in range(n + 1)]


def edited_by_hand(pipe: fr.Pipeline, settings: dict[str, Any]) -> fr.Pipeline:
    """What a platform gets by writing the values into the spec and dropping the menu."""
    data = pipe.algorithm_spec()
    controls = {c.name: c for c in pipe.controls}
    pairs = [(find(data, controls[n].target), v) for n, v in settings.items()]
    return fr.load_spec(edit(data, pairs))


@st.composite
def overlays(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for control in balanced().controls:
        if draw(st.booleans()):
            out[control.name] = draw(st.sampled_from(grid(control)))
    return out


def ranked(pipe: fr.Pipeline | Any, i: int, limit: int = 20) -> fr.Ranking:
    net = network()
    batch = net.batch()
    viewer = net.viewers[i % len(net.viewers)]
    return pipe.rank(batch, net.context(viewer.id, batch), limit=limit)


@settings(max_examples=40, deadline=None)
@given(values=overlays(), viewer=st.integers(0, 11))
def test_any_in_bounds_overlay_ranks_exactly_as_the_edited_spec(
    values: dict[str, Any], viewer: int
) -> None:
    chosen = choose(balanced(), Choice(settings=values))
    by_hand = edited_by_hand(balanced(), values)
    assert chosen.effective.fingerprint == by_hand.fingerprint
    a, b = ranked(chosen, viewer), ranked(by_hand, viewer)
    assert a.post_ids == b.post_ids
    assert np.array_equal(a.scores, b.scores)
    assert a.removed() == b.removed()
    assert a.choice is not None
    assert a.choice.effective == a.fingerprint == by_hand.fingerprint
    assert a.choice.published.fingerprint == balanced().fingerprint
    assert dict(a.choice.settings) == {k: values[k] for k in sorted(values)}


def test_the_defaults_are_the_published_algorithm() -> None:
    defaults = {c.name: c.default for c in balanced().controls}
    chosen = choose(balanced(), Choice(settings=defaults))
    assert chosen.effective.fingerprint == fr.load_spec(balanced().algorithm_spec()).fingerprint
    assert ranked(chosen, 1).post_ids == ranked(balanced(), 1).post_ids


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(["interests", "popularity", "max_age"]),
    value=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
)
def test_out_of_bounds_or_off_step_values_are_refused_with_the_controls_path(
    name: str, value: float
) -> None:
    control = next(c for c in balanced().controls if c.name == name)
    assert control.min is not None
    assert control.max is not None
    assert control.step is not None
    k = (value - control.min) / control.step
    on_grid = abs(k - round(k)) <= 1e-9 * max(1.0, abs(k))
    steps = round((control.max - control.min) / control.step)
    inside = 0 <= round(k) <= steps  # a value within 1e-9 steps of a step is that step
    if on_grid and inside:
        chosen = choose(balanced(), Choice(settings={name: value}))
        assert chosen.settings[name] == pytest.approx(control.min + round(k) * control.step)
        return
    with pytest.raises(InputError) as info:
        choose(balanced(), Choice(settings={name: value}))
    assert info.value.field == control.target
    assert info.value.expected == control.bounds_text()


@pytest.mark.parametrize(
    ("choice", "field"),
    [
        (Choice(settings={"in_network": "maybe"}), "scorer.terms[in_network]"),
        (Choice(settings={"in_network": 1}), "scorer.terms[in_network]"),
        (Choice(settings={"interests": True}), "scorer.terms[interests].weight"),
        (Choice(settings={"interests": "a lot"}), "scorer.terms[interests].weight"),
        (Choice(settings={"volume": 3}), "choice.settings.volume"),
        (Choice(alternative="reddit-hot"), "choice.alternative"),
        (Choice("chronological", {"interests": 1.0}), "choice.settings.interests"),
    ],
)
def test_a_choice_that_is_not_on_offer_is_refused(choice: Choice, field: str) -> None:
    with pytest.raises(InputError) as info:
        choose(balanced(), choice)
    assert info.value.field == field


def test_the_effective_spec_is_computed_once_per_choice() -> None:
    one = choose(balanced(), Choice(settings={"interests": 1.0}))
    again = choose(fr.preset("balanced"), Choice(settings={"interests": 1.0}))
    assert again is one


def test_the_choice_json_of_a_request() -> None:
    assert choice_from_json(None) == Choice()
    got = choice_from_json({"alternative": "chronological", "settings": {"x": "on"}})
    assert got == Choice("chronological", {"x": "on"})
    for bad, field in [
        ([], "choice"),
        ({"alternative": 3}, "choice.alternative"),
        ({"settings": [1]}, "choice.settings"),
        ({"settings": {"x": [1]}}, "choice.settings.x"),
        ({"nope": 1}, "choice.nope"),
    ]:
        with pytest.raises(InputError) as info:
            choice_from_json(bad)
        assert info.value.field == field


@st.composite
def viewers(draw: st.DrawFn) -> fr.Viewer:
    net = network()
    authors = sorted({p.author_id for p in net.posts})
    posts = [p.id for p in net.posts]
    return fr.Viewer(
        id="someone",
        follows=set(draw(st.lists(st.sampled_from(authors), max_size=8))),
        blocked=set(draw(st.lists(st.sampled_from(authors), max_size=3))),
        muted_words=tuple(draw(st.lists(st.sampled_from(["music", "news"]), max_size=1))),
        seen=set(draw(st.lists(st.sampled_from(posts), max_size=30))),
        interests={t: draw(st.floats(0, 1)) for t in draw(st.lists(st.sampled_from(["t0", "t1"])))},
    )


@settings(max_examples=25, deadline=None)
@given(viewer=viewers())
def test_the_non_profiling_alternative_never_reads_viewer_data(viewer: fr.Viewer) -> None:
    chosen = choose(balanced(), Choice(alternative="chronological"))
    assert chosen.effective.fingerprint == fr.preset("chronological").fingerprint
    assert viewer_reads(chosen.effective) == ()
    assert viewer_reads(balanced())  # the published spec does read the viewer
    net = network()
    batch = net.batch()
    anonymous = chosen.rank(batch, fr.Context.build(batch, now=net.now))
    personal = chosen.rank(batch, fr.Context.build(batch, now=net.now, viewer=viewer))
    assert personal.post_ids == anonymous.post_ids
    assert np.array_equal(personal.scores, anonymous.scores)


@settings(max_examples=8, deadline=None)
@given(values=st.lists(overlays(), min_size=1, max_size=4), pick=st.integers(0, 3))
def test_overlays_round_trip_in_the_log_and_replay_proves_them(
    tmp_path_factory: pytest.TempPathFactory, values: list[dict[str, Any]], pick: int
) -> None:
    path = tmp_path_factory.mktemp("log") / "log.jsonl"
    choices = [Choice(settings=v) for v in values]
    choices.insert(pick % (len(choices) + 1), Choice(alternative="chronological"))
    with DecisionLog(path, key=KEY, data_key=DATA_KEY) as log:
        for i, choice in enumerate(choices):
            net = network()
            batch = net.batch()
            ctx = net.context(net.viewers[i].id, batch)
            choose(balanced(), choice).rank(batch, ctx, limit=10, audit=log)
    records = read_log(path).records
    for record, choice in zip(records, choices, strict=True):
        assert record.choice is not None
        assert record.choice.published.fingerprint == balanced().fingerprint
        assert record.choice.alternative == choice.alternative
        want = choose(balanced(), choice)
        assert record.choice.settings == want.settings
        assert record.spec.fingerprint == want.effective.fingerprint
    for spec in (None, balanced()):
        report = replay(path, spec, data_key=DATA_KEY)
        assert report.ok, report.summary()
        assert all(r.published_fingerprint == balanced().fingerprint for r in report.records)


def test_replay_says_when_the_served_spec_is_not_the_chosen_one(tmp_path: Path) -> None:
    """A platform that logs the choice but ranks with the published spec is caught."""
    net = network()
    batch = net.batch()
    ctx = net.context(net.viewers[0].id, batch)
    chosen = choose(balanced(), Choice(settings={"in_network": False, "interests": 0.0}))
    ranking = balanced().rank(batch, ctx, limit=10)  # ignores the choice...
    ranking.choice = chosen.stamp  # ...but claims it
    path = tmp_path / "log.jsonl"
    with DecisionLog(path, key=KEY, data_key=DATA_KEY) as log:
        log.append(ranking, ctx)
    report = replay(path, data_key=DATA_KEY)
    assert not report.ok
    (rec,) = report.records
    assert rec.replay_fingerprint == chosen.effective.fingerprint
    assert rec.logged_fingerprint == balanced().fingerprint
    assert "the choice was not honoured" in report.summary()


def run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return main(argv, out=out), out.getvalue()


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    net = network()
    viewer = net.viewers[2]
    posts = tmp_path / "posts.jsonl"
    posts.write_text("".join(p.model_dump_json() + "\n" for p in net.posts))
    (tmp_path / "viewer.json").write_text(viewer.model_dump_json())
    inter = tmp_path / "interactions.jsonl"
    inter.write_text("".join(i.model_dump_json() + "\n" for i in net.interactions_of(viewer.id)))
    return [
        "--spec",
        "balanced",
        "--posts",
        str(posts),
        "--viewer",
        str(tmp_path / "viewer.json"),
        "--interactions",
        str(inter),
        "--now",
        net.now.isoformat(),
    ]


def test_the_command_line_ranks_the_choice_and_names_both_fingerprints(files: list[str]) -> None:
    sets = ["--set", "interests=0.5", "--set", "in_network=off"]
    code, out = run(["rank", *files, *sets, "--format", "json", "--limit", "10"])
    assert code == 0
    doc = json.loads(out)
    chosen = choose(balanced(), Choice(settings={"interests": "0.5", "in_network": "off"}))
    assert doc["spec"]["fingerprint"] == chosen.effective.fingerprint
    assert doc["choice"]["published"]["fingerprint"] == balanced().fingerprint
    assert doc["choice"]["effective"] == chosen.effective.fingerprint
    assert doc["choice"]["settings"] == {"in_network": False, "interests": 0.5}
    assert "in_network" not in doc["terms"]
    net = network()
    batch = fr.PostBatch.from_posts(net.posts)
    viewer = net.viewers[2]
    ctx = fr.Context.build(
        batch, now=net.now, viewer=viewer, interactions=net.interactions_of(viewer.id)
    )
    want = chosen.rank(batch, ctx, limit=10)
    assert [i["post_id"] for i in doc["items"]] == want.post_ids
    code, table = run(["rank", *files, *sets, "--choose", "chronological"])
    assert code == 2  # chronological has no such controls
    code, table = run(["rank", *files, "--choose", "chronological", "--limit", "3"])
    assert code == 0
    assert f"published balanced v1  fingerprint {balanced().fingerprint}" in table
    assert "choice: alternative chronological" in table
    chrono = fr.preset("chronological").fingerprint
    assert f"effective spec chronological v1  fingerprint {chrono}" in table
    assert "choice" not in json.loads(run(["rank", *files, "--format", "json"])[1])


def test_the_command_line_refuses_a_value_out_of_bounds_with_the_path(
    files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(["rank", *files, "--set", "interests=9"])
    assert code == 2
    err = capsys.readouterr().err
    assert "field 'scorer.terms[interests].weight'" in err
    assert "a number from 0 to 4 in steps of 0.5" in err
    code, _ = run(["rank", *files, "--set", "interests"])
    assert code == 2
    assert "CONTROL=VALUE" in capsys.readouterr().err


def test_an_auditor_proves_and_counts_the_choices_made_on_the_command_line(
    files: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from feedrank.audit import choice_counts
    from feedrank.cli.audit import DATA_KEY_ENV, KEY_ENV
    from tests.audit.keys import DATA_KEY_HEX, KEY_HEX

    monkeypatch.setenv(KEY_ENV, KEY_HEX)
    monkeypatch.setenv(DATA_KEY_ENV, DATA_KEY_HEX)
    log = tmp_path / "decisions.jsonl"
    asked = [
        ["--set", "interests=0.5"],
        ["--set", "interests=0.5", "--set", "in_network=off"],
        ["--choose", "chronological"],
        [],
        ["--set", "max_age=24"],
    ]
    for extra in asked:
        code, _ = run(["rank", *files, *extra, "--limit", "5", "--audit-log", str(log)])
        assert code == 0
    code, text = run(["audit", "replay", str(log)])
    assert code == 0, text
    assert "5 identical, 0 differ" in text
    counts = choice_counts(log)
    assert counts.requests == 5
    assert counts.by_alternative == {"(published)": 3, "chronological": 1, "(no choice)": 1}
    assert counts.by_control["interests"] == {"(not set)": 2, "0.5": 2}
    assert counts.by_control["in_network"] == {"(not set)": 3, "off": 1}
    assert counts.by_control["max_age"] == {"(not set)": 3, "24": 1}
    assert len(counts.by_spec) == 5
    code, text = run(["audit", "report", str(log), "--format", "json"])
    assert code == 0, text
    doc = json.loads(text)
    assert doc["choices"] == counts.to_dict()
    assert len(doc["influence_by_spec"]) == 5
    code, text = run(["audit", "report", str(log)])
    assert "viewers' choices:" in text
    assert "chronological" in text


def test_the_readme_example_of_a_choice_runs_as_shown(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Viewers' choice", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out == "{'in_network': False, 'interests': 0.5}\n"
    toml = section.split("```toml\n", 1)[1].split("```", 1)[0]
    controls = fr.spec.files._toml().loads(toml)["controls"]
    shown = fr.load_spec(balanced().algorithm_spec() | {"controls": controls})
    assert shown.controls == balanced().controls[:2]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"settings": {"interests": [1]}}, "choice.settings.interests"),
        ({"settings": {"interests": float("nan")}}, "choice.settings.interests"),
        ({"settings": {"interests": float("inf")}}, "choice.settings.interests"),
        ({"settings": [("interests", 1.0)]}, "choice.settings"),
        ({"alternative": 3}, "choice.alternative"),
    ],
)
def test_a_choice_is_checked_when_made(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as info:
        Choice(**kwargs)
    assert info.value.field == field
