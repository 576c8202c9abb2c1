"""The X "For You" presets (2023 and 2026) against independent computations.

Every expected value here is computed in plain Python from the published facts
(REFERENCES.md), not with feedrank's code: the weighted sums Σ w·p, the
heuristic factors, the smoothed-rate estimator, the author-diversity discount
and the tie order (score desc, created_at desc, id asc).
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import feedrank as fr
import feedrank.io as fio
import feedrank.presets.x

# The X presets and their components register when their modules are imported.
import feedrank.stages.filters.feedback
import feedrank.stages.signals.feedback
import feedrank.stages.signals.prediction
from feedrank.cli.app import main
from feedrank.errors import SpecError
from feedrank.presets import PRESETS as REGISTERED
from feedrank.ranking.provenance import provenance
from feedrank.stages.filters.feedback import SeeFewer, SocialProof
from feedrank.stages.rerank import DPP, AuthorDiversity, NetworkCaps
from feedrank.stages.scoring import Scorer, Term
from feedrank.stages.signals.feedback import FeedbackFatigue, fatigue_multiplier
from feedrank.stages.signals.prediction import PredictedEngagement

UTC = timezone.utc
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
DATA = Path(__file__).resolve().parents[1] / "data" / "twitter_ratio_2017"
PRESETS = [
    "x-for-you-2023",
    "x-for-you-2023-estimated",
    "x-for-you-2026",
    "x-for-you-2026-estimated",
]

# The published weights, written out again (REFERENCES.md), keyed by prediction feature.
W2023 = {
    "p_fav": 0.5,
    "p_retweet": 1.0,
    "p_reply": 13.5,
    "p_good_profile_click": 12.0,
    "p_video_playback50": 0.005,
    "p_reply_engaged_by_author": 75.0,
    "p_good_click": 11.0,
    "p_good_click_v2": 10.0,
    "p_negative_feedback_v2": -74.0,
    "p_report": -369.0,
}
W2026 = {
    "p_favorite": 0.5,
    "p_reply": 5.0,
    "p_retweet": 1.0,
    "p_quote": 5.0,
    "p_share": 2.0,
    "p_share_via_dm": 5.0,
    "p_share_via_copy_link": 20.0,
    "p_follow_author": 4.0,
    "p_click": 0.4,
    "p_open_link": 0.2,
    "p_not_interested": -43.2,
    "p_block_author": -31.2,
    "p_mute_author": -58.8,
    "p_report": -234.0,
}
# The counts that estimate each prediction where a post has none (the presets' docstrings).
EST2023 = {
    "p_fav": ["like"],
    "p_retweet": ["repost"],
    "p_reply": ["reply"],
    "p_negative_feedback_v2": ["hide", "mute", "block"],
    "p_report": ["report"],
}
EST2026 = {
    "p_favorite": ["like"],
    "p_reply": ["reply"],
    "p_retweet": ["repost"],
    "p_quote": ["quote"],
    "p_share": ["share"],
    "p_follow_author": ["follow"],
    "p_click": ["click"],
    "p_not_interested": ["hide"],
    "p_block_author": ["block"],
    "p_mute_author": ["mute"],
    "p_report": ["report"],
}
ALPHA, PRIOR = 100.0, 0.0


# ------------------------------------------------------------ the reference
def estimate(counts: Mapping[str, int], kinds: list[str], alpha: float, prior: float) -> float:
    """(Σ counts[kinds] + α·π) / (views + α); π alone where no count observes it."""
    if not kinds:
        return prior
    return (sum(counts.get(k, 0) for k in kinds) + alpha * prior) / (counts.get("view", 0) + alpha)


def weighted_sum(
    post: fr.Post,
    weights: dict[str, float],
    est: dict[str, list[str]],
    *,
    use_features: bool = True,
) -> float:
    counts = {k.value: v for k, v in post.counts.items()}
    total = []
    for feature, w in weights.items():
        if use_features and feature in post.features:
            p = post.features[feature]
        else:
            p = estimate(counts, est.get(feature, []), ALPHA, PRIOR)
        total.append(w * p)
    return math.fsum(total)


def fatigue(days: float | None) -> float:
    if days is None:
        return 1.0
    return 0.2 + 0.8 * min(max((days - 14.0) / 140.0, 0.0), 1.0)


@dataclass
class Ref:
    post_id: str
    score: float
    base: float
    factor: float
    diversity: float


def reference_feed(
    posts: list[fr.Post],
    weights: dict[str, float],
    est: dict[str, list[str]],
    follows: set[str],
    *,
    reply_factor: float = 1.0,
    fatigue_days: Mapping[str, float] | None = None,
    caps: tuple[int, int] | None = None,
    use_features: bool = True,
) -> list[Ref]:
    """The X heuristics in plain Python: Σ w·p × factors, author diversity in score
    order, then the in/out-of-network caps; ties by created_at desc, then id."""
    rows = []
    for p in posts:
        base = weighted_sum(p, weights, est, use_features=use_features)
        factor = 1.0 if p.author_id in follows else 0.75
        if p.reply_to is not None:
            factor *= reply_factor
        factor *= fatigue((fatigue_days or {}).get(p.author_id))
        rows.append((p, base, factor, base * factor))

    def key(score: float, p: fr.Post) -> tuple[float, float, str]:
        return (-score, -p.created_at.timestamp(), p.id)

    rows.sort(key=lambda r: key(r[3], r[0]))
    seen: Counter[str] = Counter()
    out = []
    for p, base, factor, score in rows:
        k = seen[p.author_id]
        seen[p.author_id] += 1
        m = 0.75 * 0.5**k + 0.25
        final = score * m if score >= 0 else score / m
        out.append((p, Ref(p.id, final, base, factor, m)))
    out.sort(key=lambda r: key(r[1].score, r[0]))
    if caps is not None:
        taken: Counter[bool] = Counter()
        tiered = []
        for p, ref in out:
            inn = p.author_id in follows
            cap = caps[0] if inn else caps[1]
            tiered.append((int(taken[inn] >= cap), p, ref))
            taken[inn] += 1
        tiered.sort(key=lambda r: (r[0], *key(r[2].score, r[1])))
        return [ref for _, _, ref in tiered]
    return [ref for _, ref in out]


def scores_of(ranking: fr.Ranking) -> dict[str, float]:
    rows = ranking.order
    ids = ranking.candidates.ids[ranking.kept][rows]
    return dict(zip(ids.tolist(), ranking.scores[rows].tolist(), strict=True))


def assert_matches(ranking: fr.Ranking, expected: list[Ref], rel: float = 1e-9) -> float:
    assert ranking.all_post_ids == [r.post_id for r in expected]
    got = scores_of(ranking)
    worst = 0.0
    for ref in expected:
        diff = abs(got[ref.post_id] - ref.score)
        worst = max(worst, diff / max(abs(ref.score), 1e-300))
        assert got[ref.post_id] == pytest.approx(ref.score, rel=rel, abs=1e-12)
    return worst


# ------------------------------------------------------------- synthetic feeds
def predicted_posts(
    heads: dict[str, float], n: int, authors: list[str], seed: int, *, replies: bool = True
) -> list[fr.Post]:
    rnd = random.Random(seed)
    posts = []
    for i in range(n):
        features = {name: rnd.random() * (0.05 if w < 0 else 1.0) for name, w in heads.items()}
        posts.append(
            fr.Post(
                id=f"p{i:02d}",
                author_id=authors[i % len(authors)],
                created_at=NOW - timedelta(minutes=17 * i),
                features=features,
                counts={"like": rnd.randrange(50), "view": 100 + rnd.randrange(900)},
                reply_to="root" if replies and i % 5 == 3 else None,
            )
        )
    return posts


def hide(author_post: str, days_ago: float) -> fr.Interaction:
    return fr.Interaction(
        viewer_id="v", post_id=author_post, kind="hide", at=NOW - timedelta(days=days_ago)
    )


def like(account: str, post_id: str, at: datetime = NOW) -> fr.Interaction:
    return fr.Interaction(viewer_id=account, post_id=post_id, kind="like", at=at)


# ====================================================================== tests
def test_presets_are_registered_with_the_published_parameters() -> None:
    assert set(PRESETS) <= set(REGISTERED)
    for name, weights, est in [
        ("x-for-you-2023", W2023, EST2023),
        ("x-for-you-2023-estimated", W2023, EST2023),
        ("x-for-you-2026", W2026, EST2026),
        ("x-for-you-2026-estimated", W2026, EST2026),
    ]:
        pipe = fr.preset(name)
        assert pipe.name == name
        read: dict[str, float] = {}
        for term in pipe.scorer.terms:
            assert isinstance(term.signal, PredictedEngagement)
            assert term.signal.source == ("estimate" if "estimated" in name else "auto")
            assert term.signal.prior_strength == ALPHA
            assert term.signal.prior_rate == PRIOR
            assert list(term.signal.estimate_from) == est.get(term.signal.feature, [])
            read[term.signal.feature] = term.weight
        assert read == weights
        doc = REGISTERED[name.removesuffix("-estimated")].__doc__ or ""
        for feature in weights:
            assert feature in doc, f"{name}: docstring does not list {feature}"
        oon = pipe.scorer.factors[0]
        assert oon.name == "out_of_network"
        assert (oon.signal.true_value, oon.signal.false_value) == (1.0, 0.75)  # type: ignore[attr-defined]
        assert pipe.rerankers[0] == AuthorDiversity(decay=0.5, floor=0.25)
    old = fr.preset("x-for-you-2023")
    assert old.limit == 120
    assert old.rerankers[1] == NetworkCaps(max_in_network=60, max_out_of_network=60)
    assert [f.name for f in old.scorer.factors] == ["out_of_network", "replies", "feedback_fatigue"]
    assert old.scorer.factors[1].signal.true_value == 0.75  # type: ignore[attr-defined]
    assert old.scorer.factors[2].signal == FeedbackFatigue(
        kinds=("hide",), filter_days=14, recovery_days=154, floor=0.2
    )
    assert SeeFewer(days=14) in old.filters
    assert SocialProof() in old.filters
    new = fr.preset("x-for-you-2026")
    assert list(new.rerankers[1:]) == [DPP(theta=0.65, k=150)]  # VMRankerDppTheta, MaxSelectedRank


def test_auto_and_estimated_variants_publish_different_fingerprints() -> None:
    prints = {fr.preset(name).fingerprint for name in PRESETS}
    assert len(prints) == len(PRESETS)


# ---------------------------------------------------------- heavy ranker 2023
def scenario_2023() -> tuple[list[fr.Post], fr.Viewer, list[fr.Interaction], dict[str, Any]]:
    authors = ["ann", "bob", "cat", "dan", "eve", "fay"]
    posts = predicted_posts(W2023, 30, authors, seed=2023)
    viewer = fr.Viewer(id="v", follows={"ann", "bob", "eve", "fred"}, seen={"p00"})
    interactions = [hide("gone-eve", 84.0), hide("gone-fay", 3.0)]
    # fred (followed) liked every out-of-network post except p02 and p08 (cat's)
    network = [like("fred", p.id) for p in posts if p.author_id in {"cat", "dan"}]
    network = [i for i in network if i.post_id not in {"p02", "p08"}]
    context = {
        "interactions": interactions,
        "post_authors": {"gone-eve": "eve", "gone-fay": "fay"},
        "network": network,
    }
    return posts, viewer, interactions, context


def test_2023_heavy_ranker_is_the_weighted_sum_times_the_factors() -> None:
    posts, viewer, _, context = scenario_2023()
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(batch, now=NOW, viewer=viewer, **context)
    ranking = fr.preset("x-for-you-2023").rank(batch, ctx)

    expected_removed = {"p00": "seen", "p02": "no_social_proof", "p08": "no_social_proof"}
    expected_removed |= {p.id: "see_fewer:14d" for p in posts if p.author_id == "fay"}
    assert ranking.removed() == expected_removed
    kept = [p for p in posts if p.id not in expected_removed]
    expected = reference_feed(
        kept,
        W2023,
        EST2023,
        set(viewer.follows),
        reply_factor=0.75,
        fatigue_days={"eve": 84.0},
        caps=(60, 60),
    )
    assert_matches(ranking, expected)
    # every part is kept and reproduces the score
    for ref in expected[:6]:
        exp = ranking.explain(ref.post_id)
        assert exp.base_score == pytest.approx(ref.base, rel=1e-12)
        factors = {f.name: f.value for f in exp.factors}
        assert math.prod(factors.values()) * exp.base_score == pytest.approx(ref.score, rel=1e-12)
        assert factors["author_diversity"] == ref.diversity
        assert factors["out_of_network"] * factors["replies"] * factors[
            "feedback_fatigue"
        ] == pytest.approx(ref.factor, rel=1e-15)


def test_2023_fatigue_applies_to_every_post_of_the_author() -> None:
    posts, viewer, _, context = scenario_2023()
    batch = fr.PostBatch.from_posts(posts)
    ranking = fr.preset("x-for-you-2023").rank(
        batch, fr.Context.build(batch, now=NOW, viewer=viewer, **context)
    )
    for p in posts:
        if p.author_id in {"eve", "ann"} and p.id != "p00":
            factors = {f.name: f.value for f in ranking.explain(p.id).factors}
            want = 0.6 if p.author_id == "eve" else 1.0
            assert factors["feedback_fatigue"] == pytest.approx(want, rel=1e-12)


# ---------------------------------------------------------- heavy ranker 2026
def test_2026_heavy_ranker_is_the_weighted_sum_times_the_factors() -> None:
    posts = predicted_posts(W2026, 24, ["ann", "bob", "cat", "dan"], seed=2026, replies=False)
    viewer = fr.Viewer(id="v", follows={"ann", "cat"})
    batch = fr.PostBatch.from_posts(posts)
    ranking = fr.preset("x-for-you-2026").rank(
        batch, fr.Context.build(batch, now=NOW, viewer=viewer)
    )
    assert ranking.removed() == {}
    expected = reference_feed(posts, W2026, EST2026, set(viewer.follows))
    assert_matches(ranking, expected[:50])
    assert ranking.post_ids == [r.post_id for r in expected][:50]


def test_negative_weighted_sums_are_multiplied_as_they_are() -> None:
    """A reported post: Σ w·p < 0, and the 0.75 factor scales it as published."""
    feats = dict.fromkeys(W2026, 0.0) | {"p_report": 0.5, "p_favorite": 0.2}
    post = fr.Post(id="bad", author_id="zed", created_at=NOW, features=feats)
    batch = fr.PostBatch.from_posts([post])
    ranking = fr.preset("x-for-you-2026").rank(
        batch, fr.Context.build(batch, now=NOW, viewer=fr.Viewer(id="v"))
    )
    assert ranking.page_scores.tolist() == [pytest.approx((0.5 * 0.2 - 234.0 * 0.5) * 0.75)]


# ----------------------------------------------------------- heuristic values
def test_author_diversity_discount_is_1_0625_04375_034375() -> None:
    posts = [
        fr.Post(
            id=f"a{i}",
            author_id="ann",
            created_at=NOW,
            features=dict.fromkeys(W2026, 0.0) | {"p_favorite": 1.0 - 0.1 * i},
        )
        for i in range(5)
    ]
    batch = fr.PostBatch.from_posts(posts)
    ranking = fr.preset("x-for-you-2026").rank(
        batch, fr.Context.build(batch, now=NOW, viewer=fr.Viewer(id="v", follows={"ann"}))
    )
    got = [
        next(f.value for f in ranking.explain(pid).factors if f.name == "author_diversity")
        for pid in ranking.post_ids
    ]
    assert ranking.post_ids == ["a0", "a1", "a2", "a3", "a4"]
    assert got == [1.0, 0.625, 0.4375, 0.34375, 0.296875]


@pytest.mark.parametrize(
    ("days", "factor"), [(14.0, 0.2), (84.0, 0.6), (154.0, 1.0), (155.0, 1.0), (1000.0, 1.0)]
)
def test_feedback_fatigue_multiplier(days: float, factor: float) -> None:
    posts = [fr.Post(id="p", author_id="ann", created_at=NOW, features={"p_fav": 0.5})]
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(
        batch,
        now=NOW,
        viewer=fr.Viewer(id="v", follows={"ann"}),
        interactions=[hide("old", days)],
        post_authors={"old": "ann"},
    )
    ranking = fr.preset("x-for-you-2023").rank(batch, ctx)
    assert ranking.removed() == {}
    factors = {f.name: f.value for f in ranking.explain("p").factors}
    assert factors["feedback_fatigue"] == pytest.approx(factor, abs=1e-12)
    assert ranking.page_scores[0] == pytest.approx(0.5 * 0.5 * factor, rel=1e-12)
    signal = FeedbackFatigue()
    assert signal.compute(batch, ctx)[0] == pytest.approx(factor, abs=1e-12)


@pytest.mark.parametrize("days", [0.0, 1.0, 13.0, 13.999])
def test_see_fewer_filters_for_14_days(days: float) -> None:
    posts = [
        fr.Post(id="p", author_id="ann", created_at=NOW, features={"p_fav": 0.5}),
        fr.Post(id="q", author_id="bob", created_at=NOW, features={"p_fav": 0.1}),
    ]
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(
        batch,
        now=NOW,
        viewer=fr.Viewer(id="v", follows={"ann", "bob"}),
        interactions=[hide("p", days)],
    )
    ranking = fr.preset("x-for-you-2023").rank(batch, ctx)
    assert ranking.removed() == {"p": "see_fewer:14d"}
    assert ranking.post_ids == ["q"]
    assert ranking.explain("p").removed_by == "see_fewer:14d"


def test_fatigue_helpers_and_validation() -> None:
    days = np.array([-1.0, 0.0, 14.0, 49.0, 84.0, 119.0, 154.0, np.inf])
    expected = [0.2, 0.2, 0.2, 0.4, 0.6, 0.8, 1.0, 1.0]
    np.testing.assert_allclose(fatigue_multiplier(days), expected, rtol=0, atol=1e-15)
    assert [fatigue(d) for d in [0, 14, 49, 84, 119, 154]] == pytest.approx(expected[1:7])
    with pytest.raises(SpecError, match="not a negative kind"):
        FeedbackFatigue(kinds=("like",))
    with pytest.raises(SpecError, match="recovery_days"):
        FeedbackFatigue(filter_days=20, recovery_days=10)
    with pytest.raises(SpecError, match="empty"):
        SeeFewer(kinds=())
    # mute, block, ... can be chosen to mean "see fewer" in a spec
    posts = [fr.Post(id="p", author_id="ann", created_at=NOW)]
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(
        batch,
        now=NOW,
        viewer=fr.Viewer(id="v"),
        interactions=[
            fr.Interaction(viewer_id="v", post_id="p", kind="mute", at=NOW - timedelta(days=84))
        ],
    )
    assert SeeFewer().reasons(batch, ctx).tolist() == [""]
    assert FeedbackFatigue(kinds=("mute", "hide")).compute(batch, ctx).tolist() == [
        pytest.approx(0.6)
    ]
    assert SeeFewer(kinds=("mute",), days=100).reasons(batch, ctx).tolist() == ["see_fewer:100d"]
    assert "0.2 at day 14" in FeedbackFatigue().describe()


# --------------------------------------------------------------- social proof
def test_social_proof_filter_with_reasons() -> None:
    posts = [
        fr.Post(id=f"p{i}", author_id=a, created_at=NOW, features={"p_fav": 0.1 * (i + 1)})
        for i, a in enumerate(["ann", "xavier", "yolanda", "zed", "zed", "walt"])
    ]
    batch = fr.PostBatch.from_posts(posts)
    viewer = fr.Viewer(id="v", follows={"ann", "fred", "gina"})
    network = [
        like("fred", "p1"),  # followed account liked it
        like("stranger", "p2"),  # not followed: no proof
        like("gina", "p5", at=NOW + timedelta(hours=1)),  # after now: no proof yet
    ]
    ctx = fr.Context.build(
        batch, now=NOW, viewer=viewer, network=network, follow_graph={"gina": ["zed"]}
    )
    ranking = fr.preset("x-for-you-2023").rank(batch, ctx)
    assert ranking.removed() == {"p2": "no_social_proof", "p5": "no_social_proof"}
    assert set(ranking.all_post_ids) == {"p0", "p1", "p3", "p4"}
    assert SocialProof(min_accounts=2).reasons(batch, ctx).tolist() == [
        "",
        "no_social_proof",
        "no_social_proof",
        "no_social_proof",
        "no_social_proof",
        "no_social_proof",
    ]
    # without any network data every out-of-network post is removed, with its reason
    bare = fr.preset("x-for-you-2023").rank(batch, fr.Context.build(batch, now=NOW, viewer=viewer))
    assert bare.all_post_ids == ["p0"]
    assert set(bare.removed().values()) == {"no_social_proof"}
    assert "follows" in SocialProof().describe()


def test_network_balance_caps_60_and_60_of_120() -> None:
    inn = [
        fr.Post(
            id=f"in{i:03d}",
            author_id=f"friend{i}",
            created_at=NOW,
            features={"p_fav": 0.9 - i * 0.001},
        )
        for i in range(130)
    ]
    out = [
        fr.Post(id=f"out{i}", author_id=f"other{i}", created_at=NOW, features={"p_fav": 0.01})
        for i in range(5)
    ]
    posts = inn + out
    follows = {p.author_id for p in inn} | {"fred"}
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(
        batch,
        now=NOW,
        viewer=fr.Viewer(id="v", follows=follows),
        network=[like("fred", p.id) for p in out],
    )
    ranking = fr.preset("x-for-you-2023").rank(batch, ctx)
    assert len(ranking.post_ids) == 120
    assert ranking.post_ids[:60] == [p.id for p in inn[:60]]
    assert ranking.post_ids[60:65] == [p.id for p in out]
    assert ranking.post_ids[65:] == [p.id for p in inn[60:115]]
    expected = reference_feed(posts, W2023, EST2023, follows, caps=(60, 60))
    assert_matches(ranking, expected)


# ----------------------------------------------------------------- estimator
def test_estimator_is_the_documented_smoothed_rate() -> None:
    counts = [
        {"like": 0, "view": 0},
        {"like": 3, "view": 10},
        {"like": 40, "view": 1000},
        {"like": 7},
    ]
    posts = [
        fr.Post(id=f"p{i}", author_id="a", created_at=NOW, counts=c) for i, c in enumerate(counts)
    ]
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(batch, now=NOW)
    signal = PredictedEngagement(
        feature="p_fav", estimate_from=("like",), prior_rate=0.02, prior_strength=50.0
    )
    got = signal.compute(batch, ctx).tolist()
    want = [(c.get("like", 0) + 50.0 * 0.02) / (c.get("view", 0) + 50.0) for c in counts]
    assert got == pytest.approx(want, rel=1e-15)
    assert signal.estimated(batch).tolist() == [True] * 4
    nothing = PredictedEngagement(feature="p_good_click_v2", prior_rate=0.03)
    assert nothing.compute(batch, ctx).tolist() == [0.03] * 4
    several = PredictedEngagement(feature="p_neg", estimate_from=("hide", "mute"), per="click")
    post = fr.Post(
        id="n", author_id="a", created_at=NOW, counts={"hide": 2, "mute": 1, "click": 20}
    )
    one = fr.PostBatch.from_posts([post])
    assert several.compute(one, fr.Context.build(one, now=NOW)).tolist() == [3 / 120]
    assert "(hide + mute + 100·0) / (click + 100)" in several.describe()


def test_auto_uses_the_feature_where_present_and_says_which() -> None:
    posts = [
        fr.Post(id="model", author_id="a", created_at=NOW, features={"p_fav": 0.3}),
        fr.Post(id="counts", author_id="b", created_at=NOW, counts={"like": 5, "view": 95}),
        fr.Post(
            id="both",
            author_id="c",
            created_at=NOW,
            features={"p_fav": 0.01},
            counts={"like": 90, "view": 10},
        ),
    ]
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(batch, now=NOW, viewer=fr.Viewer(id="v", follows={"a", "b", "c"}))
    auto = fr.preset("x-for-you-2023").rank(batch, ctx)
    ids = ["model", "counts", "both"]
    got = dict(zip(auto.post_ids, auto.page_scores.tolist(), strict=True))
    want = {p.id: weighted_sum(p, W2023, EST2023) for p in posts}
    assert want["counts"] == pytest.approx(0.5 * 5 / 195)
    for pid in ids:
        assert got[pid] == pytest.approx(want[pid], rel=1e-12)
    assert provenance(auto, "model")["fav"] == "feature"
    assert provenance(auto, "counts") == dict.fromkeys(
        [
            "fav",
            "retweet",
            "reply",
            "good_profile_click",
            "video_playback50",
            "reply_engaged_by_author",
            "good_click",
            "good_click_v2",
            "negative_feedback_v2",
            "report",
        ],
        "estimate",
    )
    assert provenance(auto, "both")["fav"] == "feature"
    assert provenance(auto, "both")["reply"] == "estimate"  # no p_reply on that post
    term = next(t for t in auto.explain("counts").terms if t.name == "fav")
    assert "'p_fav' where present, else estimated from counts" in term.description
    assert term.input == pytest.approx(5 / 195)
    with pytest.raises(fr.RankingError, match="not among the candidates"):
        provenance(auto, "nope")

    estimated = fr.preset("x-for-you-2023-estimated").rank(batch, ctx)
    got = dict(zip(estimated.post_ids, estimated.page_scores.tolist(), strict=True))
    for p in posts:
        assert got[p.id] == pytest.approx(
            weighted_sum(p, W2023, EST2023, use_features=False), rel=1e-12
        )
    assert set(provenance(estimated, "model").values()) == {"estimate"}
    for t in estimated.explain("model").terms:
        assert "estimated from counts" in t.description
        assert "no platform prediction" in t.description
    assert "estimated from counts" in estimated.explain("model").to_markdown()


def test_feature_only_source_and_bad_predictions_are_errors_naming_post_and_field() -> None:
    posts = [
        fr.Post(id="ok", author_id="a", created_at=NOW, features={"p_fav": 0.2}),
        fr.Post(id="missing", author_id="a", created_at=NOW),
    ]
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(batch, now=NOW)
    strict = PredictedEngagement(feature="p_fav", source="feature")
    with pytest.raises(fr.RankingError) as info:
        strict.compute(batch, ctx)
    assert info.value.post_id == "missing"
    assert info.value.field == "features.p_fav"
    lenient = PredictedEngagement(feature="p_fav", source="feature", default=0.05)
    assert lenient.compute(batch, ctx).tolist() == [0.2, 0.05]
    assert lenient.estimated(batch).tolist() == [False, False]
    pipe = fr.Pipeline(
        name="strict", scorer=Scorer(terms=[Term(name="fav", signal=lenient, weight=1.0)])
    )
    assert provenance(pipe.rank(batch, ctx), "missing") == {"fav": "default"}
    assert provenance(pipe.rank(batch, ctx), "ok") == {"fav": "feature"}

    bad = fr.PostBatch.from_posts(
        [fr.Post(id="over", author_id="a", created_at=NOW, features={"p_reply": 1.5})]
    )
    with pytest.raises(fr.RankingError) as info:
        fr.preset("x-for-you-2026").rank(bad, fr.Context.build(bad, now=NOW))
    assert info.value.post_id == "over"
    assert info.value.field == "features.p_reply"
    assert "probability" in str(info.value)
    with pytest.raises(SpecError):
        PredictedEngagement(feature="")
    with pytest.raises(SpecError):
        PredictedEngagement(feature="p", prior_rate=1.5)
    with pytest.raises(fr.SpecError) as spec_err:
        fr.load_spec(
            {
                "name": "x",
                "scorer": {
                    "terms": [
                        {
                            "name": "t",
                            "weight": 1.0,
                            "signal": {"type": "predicted_engagement", "feature": "p", "per": "x"},
                        }
                    ]
                },
            }
        )
    assert spec_err.value.field == "scorer.terms[0].signal.per"


# -------------------------------------------------- real rows: twitter_ratio_2017
def load_tweets() -> list[fr.Post]:
    posts = []
    for name in ("BarackObama.csv", "realDonaldTrump.csv"):
        with (DATA / name).open(encoding="mac_roman", newline="") as fh:
            for row in csv.DictReader(fh):
                posts.append(
                    fr.Post(
                        id=row["url"].rsplit("/", 1)[1],
                        author_id=row["user"],
                        created_at=datetime.strptime(row["created_at"], "%m/%d/%y %H:%M").replace(
                            tzinfo=UTC
                        ),
                        counts={
                            "reply": int(row["replies"]),
                            "repost": int(row["retweets"]),
                            "like": int(row["favorites"]),
                        },
                        text=row["text"],
                    )
                )
    return posts


TWEETS = load_tweets()
T2017 = datetime(2017, 10, 18, tzinfo=UTC)


def test_the_extract_is_what_the_attribution_says() -> None:
    assert Counter(p.author_id for p in TWEETS) == {"BarackObama": 20, "realDonaldTrump": 34}
    assert (DATA / "LICENSE").read_text(encoding="utf-8").startswith("Attribution 4.0")
    first = next(p for p in TWEETS if p.id == "920061541986250758")
    assert first.counts[fr.InteractionKind.LIKE] == 641842
    assert first.counts[fr.InteractionKind.REPLY] == 17064


@pytest.mark.parametrize(
    ("name", "weights", "est"),
    [
        ("x-for-you-2023", W2023, EST2023),
        ("x-for-you-2023-estimated", W2023, EST2023),
        ("x-for-you-2026", W2026, EST2026),
        ("x-for-you-2026-estimated", W2026, EST2026),
    ],
)
def test_golden_weighted_sums_on_real_tweets(
    name: str, weights: dict[str, float], est: dict[str, list[str]]
) -> None:
    batch = fr.PostBatch.from_posts(TWEETS)
    table = fr.preset(name).scorer.score(batch, fr.Context.build(batch, now=T2017))
    worst = 0.0
    for i, post in enumerate(TWEETS):
        counts = {k.value: v for k, v in post.counts.items()}
        # written out: the heads with an estimate read (count + 100·0) / (0 views + 100)
        expected = math.fsum(
            w * (sum(counts.get(k, 0) for k in est.get(f, [])) + ALPHA * PRIOR) / (0 + ALPHA)
            for f, w in weights.items()
        )
        base = float(table.contributions[i].sum())
        worst = max(worst, abs(base - expected) / abs(expected))
    assert worst <= 1e-12
    obama = TWEETS[0]
    likes, rts, replies = 641842, 89916, 17064
    if "2023" in name:
        assert float(table.contributions[0].sum()) == pytest.approx(
            (0.5 * likes + 1.0 * rts + 13.5 * replies) / 100, rel=1e-12
        )
    else:
        assert float(table.contributions[0].sum()) == pytest.approx(
            (0.5 * likes + 5.0 * replies + 1.0 * rts) / 100, rel=1e-12
        )
    assert obama.id == "920061541986250758"


def test_golden_2026_ranking_on_real_tweets() -> None:
    batch = fr.PostBatch.from_posts(TWEETS)
    viewer = fr.Viewer(id="v", follows={"BarackObama"})
    ranking = fr.preset("x-for-you-2026").rank(
        batch, fr.Context.build(batch, now=T2017, viewer=viewer)
    )
    window = [p for p in TWEETS if T2017 - timedelta(hours=48) <= p.created_at <= T2017]
    old = {p.id for p in TWEETS if p.created_at < T2017 - timedelta(hours=48)}
    assert ranking.removed() == dict.fromkeys(old, "older_than:48h")
    assert len(window) == 19
    expected = reference_feed(window, W2026, EST2026, {"BarackObama"})
    worst = assert_matches(ranking, expected, rel=1e-9)
    assert worst < 1e-12
    assert ranking.all_post_ids[0] == "920061541986250758"  # Obama's, in network
    assert len(ranking.post_ids) == 19


def test_golden_2023_ranking_on_real_tweets() -> None:
    batch = fr.PostBatch.from_posts(TWEETS)
    trump = [p for p in TWEETS if p.author_id == "realDonaldTrump"]
    obama = [p for p in TWEETS if p.author_id == "BarackObama"]
    vouched = {p.id for p in trump[::3]}
    viewer = fr.Viewer(id="v", follows={"BarackObama", "fred"}, seen={obama[1].id})
    ctx = fr.Context.build(
        batch,
        now=T2017,
        viewer=viewer,
        interactions=[
            fr.Interaction(
                viewer_id="v", post_id="older", kind="hide", at=T2017 - timedelta(days=84)
            )
        ],
        post_authors={"older": "BarackObama"},
        network=[like("fred", pid, at=T2017 - timedelta(hours=1)) for pid in sorted(vouched)],
    )
    ranking = fr.preset("x-for-you-2023").rank(batch, ctx)
    removed = {obama[1].id: "seen"} | {
        p.id: "no_social_proof" for p in trump if p.id not in vouched
    }
    assert ranking.removed() == removed
    kept = [p for p in TWEETS if p.id not in removed]
    expected = reference_feed(
        kept,
        W2023,
        EST2023,
        {"BarackObama", "fred"},
        reply_factor=0.75,
        fatigue_days={"BarackObama": 84.0},
        caps=(60, 60),
    )
    worst = assert_matches(ranking, expected, rel=1e-9)
    assert worst < 1e-12
    # the three tweets of 8/13/17 0:06 share created_at: their order is by score
    tied = {"896523357272911872", "896523304873238528", "896523232098078720"}
    assert [pid for pid in ranking.all_post_ids if pid in tied] == [
        r.post_id for r in expected if r.post_id in tied
    ]


def test_equal_scores_break_ties_by_created_at_then_id() -> None:
    row = TWEETS[0]
    clones = [
        row.model_copy(update={"id": pid, "author_id": author, "created_at": when})
        for pid, author, when in [
            ("b", "u1", T2017),
            ("a", "u2", T2017),
            ("c", "u3", T2017 + timedelta(minutes=1)),
        ]
    ]
    batch = fr.PostBatch.from_posts(clones)
    ranking = fr.preset("x-for-you-2026").rank(
        batch, fr.Context.build(batch, now=T2017 + timedelta(hours=1), viewer=fr.Viewer(id="v"))
    )
    assert ranking.post_ids == ["c", "a", "b"]
    assert len(set(ranking.page_scores.tolist())) == 1


# ------------------------------------------------------------------------ CLI
def test_cli_ranks_real_tweets_with_x_for_you_2026(tmp_path: Path) -> None:
    posts_path = tmp_path / "posts.jsonl"
    viewer_path = tmp_path / "viewer.json"
    interactions_path = tmp_path / "interactions.jsonl"
    fio.write_jsonl(TWEETS, posts_path)
    viewer = fr.Viewer(id="v", follows={"BarackObama"}, seen={"920425695507042305"})
    viewer_path.write_text(viewer.model_dump_json(), encoding="utf-8")
    interactions = [
        fr.Interaction(
            viewer_id="v",
            post_id="920061541986250758",
            kind="like",
            at=T2017 - timedelta(hours=2),
        )
    ]
    fio.write_jsonl(interactions, interactions_path)
    out = io.StringIO()
    code = main(
        [
            "rank",
            "--spec",
            "x-for-you-2026",
            "--posts",
            str(posts_path),
            "--viewer",
            str(viewer_path),
            "--interactions",
            str(interactions_path),
            "--now",
            "2017-10-18T00:00:00Z",
            "--format",
            "json",
            "--removed",
            "all",
        ],
        out=out,
    )
    assert code == 0
    doc = json.loads(out.getvalue())
    assert doc["spec"]["name"] == "x-for-you-2026"
    assert doc["spec"]["fingerprint"] == fr.preset("x-for-you-2026").fingerprint
    window = [
        p
        for p in TWEETS
        if T2017 - timedelta(hours=48) <= p.created_at <= T2017 and p.id != "920425695507042305"
    ]
    expected = reference_feed(window, W2026, EST2026, {"BarackObama"})
    assert [item["post_id"] for item in doc["items"]] == [r.post_id for r in expected]
    by_id = {r.post_id: r for r in expected}
    for item in doc["items"]:
        ref = by_id[item["post_id"]]
        assert item["score"] == pytest.approx(ref.score, rel=1e-12)
        assert item["factors"]["author_diversity"] == ref.diversity
        assert item["factors"]["out_of_network"] == ref.factor
        assert sum(item["contributions"].values()) == pytest.approx(ref.base, rel=1e-12)
    reasons = Counter(r["reason"] for r in doc["removed"])
    assert reasons == {"older_than:48h": 35, "seen": 1}


def test_2026_dpp_stage_separates_near_duplicates_and_says_why() -> None:
    """The VMRanker stage (θ 0.65, depth 150): a post 0.95 similar to the one
    above it goes below two less relevant but different posts; without
    embeddings the same posts keep the published score order."""
    emb = {
        "a": (1.0, 0.0, 0.0, 0.0),
        "b": (0.95, 0.0, 0.0, 0.31),
        "c": (0.0, 1.0, 0.0, 0.0),
        "d": (0.0, 0.0, 1.0, 0.0),
    }
    likes = dict(zip("abcd", (0.9, 0.85, 0.5, 0.45), strict=True))

    def rank(with_embeddings: bool) -> fr.Ranking:
        posts = [
            fr.Post(
                id=k,
                author_id=f"u{k}",
                created_at=NOW,
                embedding=emb[k] if with_embeddings else None,
                features=dict.fromkeys(W2026, 0.0) | {"p_favorite": likes[k]},
            )
            for k in "abcd"
        ]
        batch = fr.PostBatch.from_posts(posts)
        return fr.preset("x-for-you-2026").rank(
            batch, fr.Context.build(batch, now=NOW, viewer=fr.Viewer(id="v"))
        )

    diverse = rank(True)
    assert diverse.post_ids == ["a", "c", "d", "b"]
    (move,) = diverse.explain("b").moves
    assert (move.stage, move.before, move.after) == ("dpp", 1, 3)
    assert move.reason == "placed at 4 instead of 2: 0.95 similar to #1"
    plain = rank(False)
    assert plain.post_ids == ["a", "b", "c", "d"]
    assert all(not plain.explain(pid).moves for pid in plain.post_ids)
