"""Ranking with the discount on planted campaigns: campaign targets lose at least
half their exposure, organic posts keep their places, and the brigaded author
gets most of the exposure the brigade took back."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

import feedrank as fr
from feedrank.audit.card import build_card, card_markdown
from feedrank.coordination import detect_interactions
from feedrank.coordination.experiment import CampaignReport, campaign_report, no_coordination
from feedrank.datasets import simulate
from feedrank.datasets.campaigns import Campaigns
from feedrank.errors import RankingError

SEEDS = (0, 1, 2, 3)


@cache
def report(seed: int) -> CampaignReport:
    return campaign_report(simulate(rng=seed, campaigns=Campaigns()), simulate(rng=seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_campaign_targets_lose_at_least_half_their_exposure(seed: int) -> None:
    r = report(seed)
    assert r.target_balanced > 0
    assert r.target_aware <= 0.5 * r.target_balanced


@pytest.mark.parametrize("seed", SEEDS)
def test_organic_posts_keep_their_places(seed: int) -> None:
    assert report(seed).organic_overlap >= 0.9


@pytest.mark.parametrize("seed", SEEDS)
def test_the_brigaded_author_gets_most_of_the_exposure_back(seed: int) -> None:
    r = report(seed)
    assert r.brigaded_raw < 0.5 * r.brigaded_organic  # the brigade works without the discount
    assert r.brigaded_aware >= 0.75 * r.brigaded_organic
    assert r.brigaded_aware >= 2 * r.brigaded_raw


def test_without_campaigns_the_discount_changes_nothing() -> None:
    net = simulate(rng=5, n_users=80, n_posts=300)
    fit = detect_interactions(net.interactions, rng=0)
    assert fit.groups == ()
    batch = fit.attach(net.batch())
    aware = fr.preset("balanced-coordination-aware")
    plain = no_coordination().attach(net.batch())
    for viewer in net.viewers[:10]:
        a = aware.rank(batch, net.context(viewer.id, batch))
        b = aware.rank(plain, net.context(viewer.id, plain))
        assert a.post_ids == b.post_ids
        np.testing.assert_array_equal(a.scores, b.scores)


def test_the_explanation_and_the_card_show_the_discount() -> None:
    net = simulate(rng=1, campaigns=Campaigns())
    truth = net.campaigns
    assert truth is not None
    fit = detect_interactions(net.interactions, rng=0)
    batch = fit.attach(net.batch())
    aware = fr.preset("balanced-coordination-aware")
    target = truth.targets[0][0]
    for viewer in net.viewers:
        ranking = aware.rank(batch, net.context(viewer.id, batch), limit=200)
        if target in ranking.post_ids:
            break
    else:
        pytest.fail("no viewer was shown the target")
    text = str(ranking.explain(target))
    assert "came from 1 coordinated group of" in text
    assert "counted once" in text
    card = card_markdown(build_card(aware, [ranking]))
    assert "counting each coordinated group once" in card
    assert "a coordinated brigade of reports counts as one report" in card


def test_ranking_without_the_detection_attached_is_an_error() -> None:
    net = simulate(rng=5, n_users=40, n_posts=100)
    aware = fr.preset("balanced-coordination-aware")
    u = net.viewers[0].id
    with pytest.raises(RankingError, match=r"CoordinationFit\.attach"):
        aware.rank(net.batch(), net.context(u))
