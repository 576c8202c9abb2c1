"""Published controls and alternatives: validation with the path, round trip, the card."""

from __future__ import annotations

from typing import Any

import pytest

import feedrank as fr
from feedrank.audit.card import build_card, card_markdown
from feedrank.errors import SpecError
from feedrank.spec.choice import viewer_reads
from feedrank.spec.files import dump_spec


def with_controls(*controls: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data = fr.preset("balanced").algorithm_spec()
    data["controls"] = list(controls)
    data.update(extra)
    return data


def interests(**change: Any) -> dict[str, Any]:
    control = {
        "name": "interests",
        "label": "Your topics",
        "target": "scorer.terms[interests].weight",
        "default": 2.0,
        "min": 0.0,
        "max": 4.0,
        "step": 0.5,
    }
    control.update(change)
    return control


def refusal(data: dict[str, Any]) -> SpecError:
    with pytest.raises(SpecError) as info:
        fr.load_spec(data)
    return info.value


def test_balanced_publishes_controls_and_round_trips_with_its_fingerprint() -> None:
    pipe = fr.preset("balanced")
    assert [c.name for c in pipe.controls] == [
        "interests",
        "in_network",
        "popularity",
        "see_fewer",
        "max_age",
    ]
    assert [a.name for a in pipe.menu] == ["chronological"]
    for format in ("toml", "json"):
        again = fr.load_spec(dump_spec(pipe, format), format=format)  # type: ignore[arg-type]
        assert again.fingerprint == pipe.fingerprint
        assert again.controls == pipe.controls


def test_a_spec_without_controls_is_written_without_the_keys() -> None:
    data = fr.preset("chronological").to_spec()
    assert "controls" not in data
    assert "alternatives" not in data
    assert fr.preset("balanced").algorithm_spec().keys() == data.keys()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"target": "scorer.terms[nothing].weight"}, "controls[0].target", "no scorer.terms"),
        ({"target": "scorer.terms[interests].wieght"}, "controls[0].target", "no 'wieght'"),
        ({"target": "scorer.terms[interests].signal"}, "controls[0].target", "not a number"),
        ({"target": "weights.interests"}, "controls[0].target", "not a path"),
        ({"target": "filters[9].hours"}, "controls[0].target", "has 7 entries"),
        ({"default": 5.0, "max": 4.0}, "controls[0].default", "out of bounds"),
        ({"default": 2.25}, "controls[0].default", "not on the control's steps"),
        ({"default": 1.5}, "controls[0].default", "not the spec's value 2.0"),
        ({"default": True, "min": None, "max": None, "step": None}, "controls[0].default", ""),
        ({"min": None}, "controls[0]", "needs min and max"),
        ({"min": 5.0}, "controls[0]", "above max"),
    ],
)
def test_a_control_that_points_at_nothing_or_is_out_of_bounds_names_its_path(
    change: dict[str, Any], field: str, words: str
) -> None:
    err = refusal(with_controls(interests(**change)))
    assert err.field == field
    assert words in err.message


def test_a_bound_the_spec_refuses_is_an_error_at_the_control() -> None:
    age = {
        "name": "age",
        "label": "Oldest post",
        "target": "filters[max_age].hours",
        "default": 72.0,
        "min": 0.0,
        "max": 96.0,
    }
    err = refusal(with_controls(age))
    assert err.field == "controls[0]"
    assert "invalid at 0.0" in err.message


def test_a_switch_is_on_in_the_published_spec_and_names_a_whole_part() -> None:
    switch = {"name": "net", "label": "Followed", "target": "scorer.terms[in_network]"}
    assert fr.load_spec(with_controls({**switch, "default": True})).controls[0].kind == "switch"
    assert refusal(with_controls({**switch, "default": False})).field == "controls[0].default"
    number = {**switch, "default": 1.0, "min": 0.0, "max": 2.0}
    assert refusal(with_controls(number)).field == "controls[0].default"
    alone = fr.preset("chronological").to_spec()
    alone["controls"] = [
        {"name": "r", "label": "Recency", "target": "scorer.terms[recency]", "default": True}
    ]
    err = refusal(alone)  # turning the only term off leaves no scorer
    assert err.field == "controls[0]"


def test_names_are_unique_and_alternatives_name_a_spec() -> None:
    err = refusal(with_controls(interests(), interests()))
    assert err.field == "controls[1].name"
    err = refusal(with_controls(alternatives=[{"name": "x", "label": "X"}]))
    assert err.field is not None
    assert err.field.startswith("alternatives[0]")
    err = refusal(
        with_controls(
            alternatives=[{"name": "x", "label": "X", "preset": "hacker-news", "file": "a.toml"}]
        )
    )
    assert "not both" in err.message
    menu = fr.load_spec(
        with_controls(
            alternatives=[{"name": "hn", "label": "Hacker News", "preset": "hacker-news"}]
        )
    ).menu
    assert [a.name for a in menu] == ["hn", "chronological"]


def test_the_card_lists_the_controls_and_the_menu() -> None:
    pipe = fr.preset("balanced")
    md = card_markdown(build_card(pipe))
    for control in pipe.controls:
        assert f"| {control.name} | {control.label} |" in md
        assert f"`{control.target}`" in md
    chrono = fr.preset("chronological")
    assert f"**chronological**: {pipe.menu[0].label}" in md
    assert chrono.fingerprint in md
    assert "uses no personal data." in md
    assert viewer_reads(chrono) == ()


def test_too_many_controls_are_refused_before_validation() -> None:
    from feedrank.spec import limits

    many = [interests(name=f"c{i}") for i in range(limits.MAX_SPEC_CONTROLS + 1)]
    err = refusal(with_controls(*many))
    assert err.field == "controls"
    assert f"more than MAX_SPEC_CONTROLS = {limits.MAX_SPEC_CONTROLS}" in err.message
