"""Calibration: the placement equals a direct implementation of Steck's greedy
(1 − λ)·Σ s − λ·KL(p ‖ q̃), with the viewer's declared interests as p."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import feedrank as fr
from feedrank.stages.rerank import Calibrated
from feedrank.stages.rerank.placement import normalized
from tests.strategies import NOW
from tests.test_rerank_mmr import pipeline

TOPICS = ["art", "jazz", "news", "sport", "tech"]


def direct_calibrated(
    rel: list[float],
    topics: list[list[str]],
    interests: dict[str, float],
    lam: float,
    k: int,
    a: float = 0.01,
) -> list[int]:
    """Steck 2018, written out with dicts and loops."""
    total = sum(w for w in interests.values() if w > 0)
    p = {g: w / total for g, w in interests.items() if w > 0}

    def kl(chosen: list[int]) -> float:
        mass: dict[str, float] = {}
        for i in chosen:
            for g in topics[i]:
                mass[g] = mass.get(g, 0.0) + 1.0 / len(topics[i])
        size = sum(mass.values())
        out = 0.0
        for g, pg in p.items():
            qg = mass.get(g, 0.0) / size if size else 0.0
            out += pg * math.log(pg / ((1 - a) * qg + a * pg))
        return out

    chosen: list[int] = []
    while len(chosen) < min(k, len(rel)):
        best, best_value = -1, -math.inf
        for i in range(len(rel)):
            if i in chosen:
                continue
            value = (1 - lam) * sum(rel[j] for j in [*chosen, i]) - lam * kl([*chosen, i])
            if value > best_value + 1e-12:
                best, best_value = i, value
        chosen.append(best)
    return chosen


def topic_batch(rng: np.random.Generator, n: int) -> tuple[fr.PostBatch, np.ndarray, list]:
    topics = [[t for t in TOPICS if rng.random() < 0.3] for _ in range(n)]
    s = rng.random(n)
    batch = fr.PostBatch.from_columns(
        ids=[f"p{i}" for i in range(n)],
        author_ids=[f"a{i}" for i in range(n)],
        created_at=np.full(n, 1_700_000_000_000_000, dtype=np.int64),
        features={"s": s},
        topics=topics,
    )
    return batch, s, topics


@pytest.mark.parametrize("lam", [0.0, 0.2, 0.5, 0.8, 0.99])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_placement_equals_steck_greedy(lam: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    batch, s, topics = topic_batch(rng, 30)
    interests = {"jazz": 3.0, "news": 1.0, "tech": 0.5, "gardening": 0.5, "art": 0.0}
    viewer = fr.Viewer(id="v", interests=interests)
    ranking = pipeline(Calibrated(lam=lam, k=12)).rank(
        batch, fr.Context.build(batch, now=NOW, viewer=viewer), limit=30
    )
    by_score = sorted(range(30), key=lambda i: -s[i])
    rel = normalized(s[by_score]).tolist()
    picks = direct_calibrated(rel, [topics[i] for i in by_score], interests, lam, 12)
    rest = [i for i in range(30) if i not in picks]
    assert list(ranking.post_ids) == [f"p{by_score[i]}" for i in [*picks, *rest]]


def test_without_interests_the_order_is_kept() -> None:
    batch, s, _ = topic_batch(np.random.default_rng(4), 20)
    ranking = pipeline(Calibrated(lam=0.9)).rank(
        batch, fr.Context.build(batch, now=NOW, viewer=fr.Viewer(id="v")), limit=20
    )
    assert list(ranking.post_ids) == [f"p{i}" for i in np.argsort(-s, kind="stable")]
    assert ranking.move_counts() == {}


def test_moves_quote_the_kl_and_topic_shares() -> None:
    batch, _, _ = topic_batch(np.random.default_rng(8), 40)
    viewer = fr.Viewer(id="v", interests={"art": 1.0, "tech": 1.0})
    ranking = pipeline(Calibrated(lam=0.8, k=15)).rank(
        batch, fr.Context.build(batch, now=NOW, viewer=viewer), limit=40
    )
    reasons = [m["reason"] for m in ranking.to_dict(moves="all")["moves"]]
    up = [r for r in reasons if "closer to the viewer's interests" in r]
    assert up
    for reason in up:
        found = re.search(r"\(KL (\d+\.\d\d) → (\d+\.\d\d)\)$", reason)
        assert found, reason
        assert float(found[2]) <= float(found[1])  # "closer" only when KL fell
    for reason in (r for r in reasons if "outweighs" in r):
        found = re.search(r"relevance (\d\.\d\d) outweighs .*\(KL (\S+) → (\S+)\)$", reason)
        assert found, reason
        assert float(found[3]) >= float(found[2])
    assert all(r.startswith("placed at") or r == "shifted_by:calibrated" for r in reasons), reasons
