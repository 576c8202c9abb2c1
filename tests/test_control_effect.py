"""Does the control work: the share of targeted exposure a control removes, measured."""

from __future__ import annotations

from functools import cache

import pytest

import feedrank as fr
from feedrank.audit.card import build_card, card_markdown
from feedrank.datasets import SimulatedNetwork, simulate
from feedrank.errors import InputError
from feedrank.evaluate.controls import control_effect, control_effects


@cache
def network(seed: int = 2) -> SimulatedNetwork:
    return simulate(rng=seed, n_users=40, n_posts=300, hours=72.0)


def balanced() -> fr.Pipeline:
    return fr.preset("balanced")


def test_a_filter_threshold_removes_all_of_its_target() -> None:
    effect = control_effect(balanced(), network(), "max_age", viewers=15, requests=3)
    assert effect.share == 1.0
    assert effect.after == 0.0
    assert effect.before > 0
    assert (effect.low, effect.high) == (1.0, 1.0)


def test_see_fewer_removes_the_hidden_author_only_with_its_filter() -> None:
    on = control_effect(balanced(), network(), "see_fewer", viewers=15, requests=3)
    off = control_effect(
        balanced(), network(), "see_fewer", under={"see_fewer": False}, viewers=15, requests=3
    )
    assert on.share == 1.0
    assert off.share < 1.0  # the negative term alone lowers the author, does not remove
    assert off.low <= off.share <= off.high
    assert "with see_fewer=off" in off.setting


def test_a_control_that_changes_nothing_removes_nothing() -> None:
    data = fr.preset("chronological").to_spec()
    data["scorer"]["terms"].append(
        {"name": "interests", "weight": 0.0, "signal": {"type": "topic_match"}}
    )
    data["controls"] = [
        {
            "name": "interests",
            "label": "Your topics",
            "target": "scorer.terms[interests].weight",
            "default": 0.0,
            "min": 0.0,
            "max": 1.0,
        }
    ]
    effect = control_effect(fr.load_spec(data), network(), "interests", viewers=10, requests=2)
    assert effect.share == 0.0
    assert effect.before == effect.after


def test_every_control_of_balanced_is_measured_pooled_over_networks_and_deterministic() -> None:
    nets = [network(2), network(3)]
    effects = control_effects(balanced(), nets, viewers=8, requests=2)
    assert [e.control for e in effects] == [c.name for c in balanced().controls]
    for effect in effects:
        assert effect.low <= effect.share <= effect.high
        assert effect.share <= 1.0
    assert effects[0].viewers > 8  # people of both networks
    again = control_effects(balanced(), nets, viewers=8, requests=2)
    assert [e.to_dict() for e in again] == [e.to_dict() for e in effects]
    md = card_markdown(build_card(balanced(), control_effects=effects))
    for effect in effects:
        assert f"| {effect.control} | {effect.setting} | {effect.share:.1%} |" in md


def test_unknown_controls_and_controls_without_a_target_are_refused() -> None:
    with pytest.raises(InputError) as info:
        control_effect(balanced(), network(), "volume")
    assert info.value.field == "control"
    data = fr.preset("chronological").to_spec()
    data["controls"] = [
        {
            "name": "recency",
            "label": "Recency",
            "target": "scorer.terms[recency].weight",
            "default": 1.0,
            "min": 0.5,
            "max": 2.0,
        }
    ]
    with pytest.raises(InputError) as info:
        control_effect(fr.load_spec(data), network(), "recency")
    assert "no targeted exposure" in info.value.message
