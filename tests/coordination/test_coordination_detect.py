"""Detection of coordinated groups: accuracy on planted campaigns, evidence,
determinism, the JSON form and clear errors."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from feedrank import Interaction, InteractionKind
from feedrank.coordination import (
    CoordinationFit,
    coordination_feature_names,
    detect_coordination,
    detect_interactions,
)
from feedrank.datasets import SimulatedNetwork, simulate
from feedrank.datasets.campaigns import Campaigns
from feedrank.errors import InputError

SEEDS = (0, 1, 2, 3)
T = datetime(2026, 1, 1, tzinfo=timezone.utc)


@cache
def planted(seed: int) -> SimulatedNetwork:
    return simulate(rng=seed, campaigns=Campaigns())


@cache
def fitted(seed: int) -> CoordinationFit:
    return detect_interactions(planted(seed).interactions, rng=0)


def columns(net: SimulatedNetwork) -> tuple[list[str], list[str], list[str], np.ndarray]:
    items = net.interactions
    micros = np.array(
        [
            (i.at - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1)
            for i in items
        ]
    )
    return (
        [i.viewer_id for i in items],
        [i.post_id for i in items],
        [i.kind.value for i in items],
        micros,
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_accounts_are_found_with_precision_and_recall_at_least_0_9(seed: int) -> None:
    truth = planted(seed).campaigns
    assert truth is not None
    found = set(fitted(seed).account_ids.tolist())
    true = truth.coordinated_accounts
    hits = len(found & true)
    assert hits / len(found) >= 0.9
    assert hits / len(true) >= 0.9


@pytest.mark.parametrize("seed", SEEDS)
def test_each_campaign_is_one_group_acting_on_its_targets(seed: int) -> None:
    truth = planted(seed).campaigns
    assert truth is not None
    fit = fitted(seed)
    for members, targets in zip(truth.members, truth.targets, strict=True):
        labels = fit.group_of(list(members))
        found = labels[labels >= 0]
        assert found.size >= 0.9 * len(members)
        assert np.unique(found).size == 1  # one campaign, one group
        group = fit.groups[int(found[0])]
        assert len(set(group.posts) & set(targets)) >= len(targets) - 1
        # elsewhere members only met by chance, two at a time
        assert all(w.accounts == 2 for w in group.evidence.windows if w.post not in targets)
    brigade = fit.group_of(list(truth.brigade))
    group = fit.groups[int(brigade[0])]
    reports = [w for w in group.evidence.windows if w.kinds == ("report",)]
    assert {w.post for w in reports} <= set(truth.brigaded_posts)
    assert len(reports) >= 0.9 * len(truth.brigaded_posts)


def test_an_organic_network_has_no_group() -> None:
    for seed in SEEDS:
        fit = detect_interactions(simulate(rng=seed).interactions, rng=0)
        assert fit.groups == ()
        assert fit.summary["edges"] == 0


def test_evidence_states_windows_counts_and_the_null_expectation() -> None:
    fit = fitted(0)
    minutes = fit.parameters["window_minutes"]
    for group in fit.groups:
        ev = group.evidence
        assert ev.edges >= len(group.accounts) - 1 - ev.joined  # a connected group
        assert ev.coactions >= 3 * ev.edges
        assert 0 < ev.expected < ev.coactions / 10  # far more often than chance
        assert ev.max_p_value <= fit.summary["p_threshold"]
        assert {w.post for w in ev.windows} == set(group.posts)
        for w in ev.windows:
            assert 0 <= w.end - w.start <= minutes * 60e6 * w.accounts
            assert 2 <= w.accounts <= len(group.accounts)
    assert fit.summary["null_edges"] == 0.0


def test_the_same_rng_gives_the_same_result_and_row_order_does_not_matter() -> None:
    net = planted(1)
    accounts, posts, kinds, micros = columns(net)
    a = detect_coordination(accounts, posts, kinds, micros, rng=5)
    b = detect_coordination(accounts, posts, kinds, micros, rng=np.random.default_rng(5))
    assert a.to_dict() == b.to_dict()
    order = np.random.default_rng(9).permutation(len(accounts))
    c = detect_coordination(
        [accounts[i] for i in order],
        [posts[i] for i in order],
        [kinds[i] for i in order],
        micros[order],
        rng=5,
    )
    assert c.to_dict() == a.to_dict()


def test_datetime64_times_and_interaction_records_agree() -> None:
    net = planted(2)
    accounts, posts, kinds, micros = columns(net)
    a = detect_coordination(accounts, posts, kinds, micros.astype("datetime64[us]"), rng=0)
    assert a.to_dict() == fitted(2).to_dict()


def test_save_and_load_round_trip_and_attach(tmp_path: Path) -> None:
    fit = fitted(0)
    path = tmp_path / "fit.json"
    fit.save(path)
    back = CoordinationFit.load(path)
    assert back.to_dict() == fit.to_dict()
    batch = planted(0).batch()
    a, b = fit.attach(batch), back.attach(batch)
    for name in coordination_feature_names():
        np.testing.assert_array_equal(a.features[name], b.features[name])
    target = planted(0).campaigns.targets[0][0]  # type: ignore[union-attr]
    row = int(np.flatnonzero(batch.ids == target)[0])
    likes = a.features["coordination_like_actions"][row]
    assert likes >= 2
    assert a.features["coordination_like_groups"][row] == 1
    assert likes <= batch.count(InteractionKind.LIKE)[row]


def test_a_bad_saved_file_names_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "fit.json"
    path.write_text("{not json")
    with pytest.raises(InputError) as err:
        CoordinationFit.load(path)
    assert err.value.source == str(path)
    data = fitted(0).to_dict()
    data["posts"]["actions"] = [[1, 2]]
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as err:
        CoordinationFit.load(path)
    assert err.value.field == "posts.actions"
    path.write_text(json.dumps({"format": "other"}))
    with pytest.raises(InputError) as err:
        CoordinationFit.load(path)
    assert err.value.field == "format"


def test_bad_columns_and_options_are_clear_errors() -> None:
    t = np.array([0, 1], dtype=np.int64)
    with pytest.raises(InputError) as err:
        detect_coordination(["a", "b"], ["p", "p"], ["like", "cheer"], t, rng=0)
    assert err.value.field == "kinds"
    assert "kinds[1]" in str(err.value)
    with pytest.raises(InputError) as err:
        detect_coordination(["a", "b"], ["p"], ["like", "like"], t, rng=0)
    assert err.value.field == "posts"
    with pytest.raises(InputError) as err:
        detect_coordination(["a", "b"], ["p", "p"], ["like", "like"], [0.5, 1.5], rng=0)
    assert err.value.field == "times"
    with pytest.raises(InputError) as err:
        detect_coordination(["a", ""], ["p", "p"], ["like", "like"], t, rng=0)
    assert err.value.field == "accounts"
    for option, value in (("window_minutes", 0.0), ("min_group", 1), ("alpha", 1.0)):
        with pytest.raises(InputError) as err:
            detect_coordination(["a"], ["p"], ["like"], t[:1], rng=0, **{option: value})
        assert err.value.field == option


def test_a_crowd_cannot_make_the_pairs_unbounded() -> None:
    n = 2000
    log = [
        Interaction(viewer_id=f"u{i}", post_id="viral", kind="like", at=T + timedelta(seconds=i))
        for i in range(n)
    ]
    capped = detect_interactions(log, rng=0, max_neighbours=10)
    assert capped.summary["pairs"] <= 10 * n
    with pytest.raises(InputError) as err:
        detect_interactions(log, rng=0, max_pairs=1000)
    assert err.value.field == "window_minutes"


def test_views_and_clicks_are_not_coordination() -> None:
    log = [
        Interaction(
            viewer_id=f"b{b}", post_id=f"p{p}", kind="view", at=T + timedelta(hours=p, seconds=b)
        )
        for p in range(8)
        for b in range(5)
    ]
    assert detect_interactions(log, rng=0).groups == ()
