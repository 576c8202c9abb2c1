"""The community-notes-bridging preset: ranks by bridging score, round-trips as a spec."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

import feedrank as fr
from feedrank.bridging import HELPFUL, NEEDS_MORE_RATINGS, NOT_HELPFUL, fit_bridging
from feedrank.presets import PRESETS, spec_or_preset
from feedrank.presets.bridging import community_notes_bridging
from feedrank.stages.signals.bridging import Bridging

NAME = "community-notes-bridging"
NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def post(pid: str, hours: float, features: dict[str, float] | None = None) -> fr.Post:
    return fr.Post(
        id=pid,
        author_id=f"author_{pid}",
        created_at=NOW - timedelta(hours=hours),
        features=features or {},
    )


def scored(pid: str, hours: float, intercept: float, factor: float, ratings: int) -> fr.Post:
    return post(
        pid,
        hours,
        {
            "bridging_intercept": intercept,
            "bridging_factor": factor,
            "bridging_ratings": float(ratings),
        },
    )


def rank(posts: list[fr.Post]) -> fr.Ranking:
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(batch, now=NOW, viewer=fr.Viewer(id="v"))
    return fr.preset(NAME).rank(batch, ctx)


def test_preset_is_registered_and_documented() -> None:
    pipe = fr.preset(NAME)
    assert NAME in PRESETS
    assert pipe.name == NAME
    assert pipe.description
    assert spec_or_preset(NAME) == pipe
    assert all(term.why for term in pipe.scorer.terms)
    signal = pipe.scorer.terms[0].signal
    assert isinstance(signal, Bridging)
    assert signal.gate
    assert signal.default == 0.0
    doc = community_notes_bridging.__doc__ or ""
    assert "twitter/communitynotes" in doc
    assert "Readings chosen" in doc


def test_preset_ranks_helpful_by_intercept_then_newest_then_not_helpful() -> None:
    posts = [
        scored("helpful_mid", 9.0, 0.55, 0.10, 30),
        scored("helpful_top", 20.0, 0.80, -0.20, 12),
        scored("helpful_low", 1.0, 0.40, 0.00, 5),
        scored("split", 0.5, 0.90, 0.60, 40),  # high, but one-sided: needs more ratings
        scored("too_few", 2.0, 0.95, 0.00, 4),  # needs more ratings
        scored("middling", 5.0, 0.20, 0.10, 50),  # needs more ratings
        scored("unhelpful", 3.0, -0.20, 0.05, 20),
        scored("worst", 4.0, -0.60, 0.30, 20),
        post("unrated", 1.5),  # no ratings data: needs more ratings (default 0.0)
    ]
    ranking = rank(posts)
    assert ranking.post_ids == [
        "helpful_top",
        "helpful_mid",
        "helpful_low",
        "split",  # 0.5 h old
        "unrated",  # 1.5 h
        "too_few",  # 2 h
        "middling",  # 5 h
        "unhelpful",
        "worst",
    ]
    assert ranking.page_scores.tolist() == [0.80, 0.55, 0.40, 0, 0, 0, 0, -0.20, -0.60]
    explanation = ranking.explain("helpful_top")
    assert explanation.terms[0].name == "bridging"
    assert explanation.terms[0].reads == ("features",)
    assert explanation.terms[0].contribution == 0.80
    assert "Helpful" in explanation.terms[0].description


def test_preset_ranks_a_fitted_model_end_to_end() -> None:
    rng = np.random.default_rng(2)
    camp = np.r_[np.ones(30), -np.ones(20)]  # 50 raters in two camps
    raters = np.char.add("u", np.arange(50).astype(str))
    kinds = {"consensus": (0.95, 0.95), "partisan": (1.0, 0.0), "rejected": (0.05, 0.05)}
    items, who, values = [], [], []
    for kind, (left, right) in kinds.items():
        for k in range(4):
            mean = np.where(camp > 0, left, right)
            noisy = np.clip(mean + rng.normal(0.0, 0.05, 50), 0.0, 1.0)
            items += [f"{kind}{k}"] * 50
            who.append(raters)
            values.append(noisy)
    fit = fit_bridging(np.concatenate(who), np.array(items), np.concatenate(values), rng=rng)
    assert fit.converged
    status = dict(zip(fit.item_ids.tolist(), fit.statuses().tolist(), strict=True))
    assert {status[f"consensus{k}"] for k in range(4)} == {HELPFUL}
    assert {status[f"partisan{k}"] for k in range(4)} == {NEEDS_MORE_RATINGS}
    assert {status[f"rejected{k}"] for k in range(4)} == {NOT_HELPFUL}

    posts = [post(pid, hours=float(i)) for i, pid in enumerate(fit.item_ids.tolist())]
    batch = fit.attach(fr.PostBatch.from_posts(posts))
    ranking = fr.preset(NAME).rank(batch, fr.Context.build(batch, now=NOW))
    order = ranking.post_ids
    score = dict(zip(fit.item_ids.tolist(), fit.item_intercepts.tolist(), strict=True))
    assert [p[:-1] for p in order] == ["consensus"] * 4 + ["partisan"] * 4 + ["rejected"] * 4
    assert order[:4] == sorted(order[:4], key=lambda p: -score[p])
    assert order[4:8] == ["partisan0", "partisan1", "partisan2", "partisan3"]  # newest first
    assert order[8:] == sorted(order[8:], key=lambda p: -score[p])


def test_preset_publishes_the_scorers_status_rule() -> None:
    pipe = fr.preset(NAME)
    assert pipe.fingerprint == community_notes_bridging().fingerprint
    spec = pipe.to_spec()
    signal = spec["scorer"]["terms"][0]["signal"]
    assert signal["type"] == "bridging"
    assert signal["rule"] == {
        "helpful_intercept": 0.4,
        "helpful_max_abs_factor": 0.5,
        "not_helpful_intercept": -0.05,
        "not_helpful_factor_slope": 0.8,
        "min_ratings": 5,
        "boundaries": "scorer",
    }


def test_changing_a_threshold_changes_the_fingerprint_and_is_validated() -> None:
    spec = fr.preset(NAME).to_spec()
    spec["scorer"]["terms"][0]["signal"]["rule"]["helpful_intercept"] = 0.5
    changed = fr.load_spec(spec)
    assert changed.fingerprint != fr.preset(NAME).fingerprint
    changes = [str(c) for c in fr.spec.diff_specs(fr.preset(NAME), changed)]
    assert changes == ["~ scorer.terms[bridging].signal.rule.helpful_intercept: 0.4 -> 0.5"]
    spec["scorer"]["terms"][0]["signal"]["rule"]["min_ratings"] = "5"
    with pytest.raises(fr.SpecError, match="min_ratings"):
        fr.load_spec(spec)
