"""DPP greedy MAP: the incremental Cholesky picks equal a brute-force greedy over
log det on small sets and a straightforward determinant-per-candidate greedy
on 1,000 candidates; the window variant likewise."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import feedrank as fr
from feedrank.stages.rerank import DPP
from feedrank.stages.rerank.dpp import dpp_picks, theta_alpha
from feedrank.stages.rerank.placement import normalized
from feedrank.stages.rerank.similarity import Similarity
from tests.strategies import NOW
from tests.test_rerank_mmr import cosine, embedded_batch, pipeline


def kernel(
    emb: NDArray[np.float64], relevance: NDArray[np.float64], theta: float
) -> NDArray[np.float64]:
    """L = diag(q) S diag(q), S the cosine matrix, q = exp(α r), α = θ / (2(1 − θ))."""
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    q = np.exp(theta / (2 * (1 - theta)) * relevance)
    cos = unit @ unit.T
    np.fill_diagonal(cos, 1.0)  # S has 1 on its diagonal, exactly
    out: NDArray[np.float64] = q[:, None] * cos * q[None, :]
    return out


def greedy_log_det(big_l: NDArray[np.float64], k: int, window: int | None = None) -> list[int]:
    """Each step adds argmax_i log det L[Y + i] (Y: the last window − 1 picks
    when windowed), computing every determinant from scratch."""
    n = big_l.shape[0]
    chosen: list[int] = []
    while len(chosen) < min(k, n):
        base = chosen if window is None else chosen[-(window - 1) :] if window > 1 else []
        best, best_value = -1, -np.inf
        for i in range(n):
            if i in chosen:
                continue
            idx = [*base, i]
            sign, value = np.linalg.slogdet(big_l[np.ix_(idx, idx)])
            if sign > 0 and value > best_value:
                best, best_value = i, value
        if best < 0:
            break
        chosen.append(best)
    return chosen


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 12),
    d=st.integers(2, 12),
    k=st.integers(1, 12),
    theta=st.sampled_from([0.0, 0.3, 0.65, 0.9]),
    seed=st.integers(0, 2**32 - 1),
)
def test_greedy_equals_brute_force_log_det_on_small_sets(
    n: int, d: int, k: int, theta: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    emb = rng.normal(size=(n, d))
    rel = rng.random(n)
    sim = Similarity(emb / np.linalg.norm(emb, axis=1, keepdims=True), None)
    picks = dpp_picks(rel, sim, theta, k).tolist()
    expected = greedy_log_det(kernel(emb, rel, theta), min(k, d))
    # With d < k the kernel has rank d: after d picks every determinant is 0.
    assert picks[: len(expected)] == expected
    assert len(picks) <= min(k, n)


@pytest.mark.parametrize("window", [1, 2, 4])
def test_window_equals_brute_force_over_the_window(window: int) -> None:
    rng = np.random.default_rng(window)
    emb = rng.normal(size=(12, 10))
    rel = rng.random(12)
    sim = Similarity(emb / np.linalg.norm(emb, axis=1, keepdims=True), None)
    picks = dpp_picks(rel, sim, 0.5, 12, window).tolist()
    assert picks == greedy_log_det(kernel(emb, rel, 0.5), 12, window)


def straightforward_greedy(big_l: NDArray[np.float64], k: int) -> list[int]:
    """O(n k³) per step: log det of L[Y + i] for every candidate i, batched."""
    n = big_l.shape[0]
    chosen: list[int] = []
    free = np.ones(n, dtype=bool)
    for _ in range(k):
        cand = np.flatnonzero(free)
        idx = np.array(chosen, dtype=np.intp)
        size = len(chosen) + 1
        blocks = np.empty((cand.shape[0], size, size))
        blocks[:, : size - 1, : size - 1] = big_l[np.ix_(idx, idx)]
        blocks[:, : size - 1, size - 1] = big_l[idx][:, cand].T
        blocks[:, size - 1, : size - 1] = big_l[cand][:, idx]
        blocks[:, size - 1, size - 1] = big_l[cand, cand]
        sign, value = np.linalg.slogdet(blocks)
        value = np.where(sign > 0, value, -np.inf)
        best = int(cand[int(np.argmax(value))])
        chosen.append(best)
        free[best] = False
    return chosen


def test_same_picks_as_a_straightforward_implementation_on_1000_candidates() -> None:
    rng = np.random.default_rng(2018)
    emb = rng.normal(size=(1000, 64))
    rel = rng.random(1000)
    sim = Similarity(emb / np.linalg.norm(emb, axis=1, keepdims=True), None)
    picks = dpp_picks(rel, sim, 0.65, 50).tolist()
    assert picks == straightforward_greedy(kernel(emb, rel, 0.65), 50)


def test_theta_is_chen_et_al_trade_off() -> None:
    assert theta_alpha(0.5) == 0.5
    assert theta_alpha(0.0) == 0.0
    # θ near 1: quality dominates and the order is the relevance order.
    rng = np.random.default_rng(1)
    emb = rng.normal(size=(30, 4))
    rel = rng.random(30)
    sim = Similarity(emb / np.linalg.norm(emb, axis=1, keepdims=True), None)
    picks = dpp_picks(rel, sim, 0.999999, 4).tolist()
    assert picks == np.argsort(-rel)[:4].tolist()


def test_the_pipeline_serves_the_dpp_order_and_explains_every_move() -> None:
    batch, s = embedded_batch(np.random.default_rng(11), 60, d=6, missing=0.05)
    ranking = pipeline(DPP(theta=0.5, k=20)).rank(batch, fr.Context.build(batch, now=NOW), limit=60)
    by_score = np.argsort(-s, kind="stable")
    sim = Similarity.of(batch, by_score.astype(np.intp), "embedding")
    picks = dpp_picks(normalized(s[by_score]), sim, 0.5, 20)
    rest = [i for i in range(60) if i not in set(picks.tolist())]
    assert list(ranking.post_ids) == [f"p{by_score[i]}" for i in [*picks.tolist(), *rest]]
    served = list(ranking.post_ids)
    moved = [m for m in ranking.to_dict(moves="all")["moves"] if m["reason"].startswith("placed")]
    assert moved
    for move in moved:
        found = re.match(r"placed at (\d+) instead of (\d+): (-?\d\.\d\d|at most)", move["reason"])
        assert found, move["reason"]
        assert int(found[1]) == move["after"] + 1
        assert int(found[2]) == move["before"] + 1
        row = int(batch.index_of([move["post_id"]])[0])
        top = max(cosine(batch, row, int(r)) for r in batch.index_of(served[: move["after"]]))
        assert f"{top:.2f}" in move["reason"]


def test_dpp_on_topics_places_disjoint_topics_first() -> None:
    topics = [["a"], ["a"], ["a"], ["b"], ["c"]]
    batch = fr.PostBatch.from_columns(
        ids=[f"p{i}" for i in range(5)],
        author_ids=["x"] * 5,
        created_at=np.full(5, 1_700_000_000_000_000, dtype=np.int64),
        features={"s": np.array([5.0, 4.0, 3.0, 2.0, 1.0])},
        topics=topics,
    )
    ranking = pipeline(DPP(theta=0.3, k=5, similarity="topics")).rank(
        batch, fr.Context.build(batch, now=NOW), limit=5
    )
    # After p0 every other "a" post is spanned (Jaccard 1): det 0, placement stops.
    assert list(ranking.post_ids) == ["p0", "p3", "p4", "p1", "p2"]
