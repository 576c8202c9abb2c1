"""MMR: the placement equals a direct implementation of Carbonell & Goldstein's
formula, and every move says why with the numbers behind it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

import numpy as np
import pytest
from numpy.typing import NDArray

import feedrank as fr
from feedrank.stages.rerank import DPP, MMR, AuthorDiversity
from feedrank.stages.rerank.placement import normalized
from feedrank.stages.scoring import Scorer, Term
from feedrank.stages.signals import Feature
from tests.strategies import NOW


def embedded_batch(
    rng: np.random.Generator, n: int, d: int = 8, missing: float = 0.0
) -> tuple[fr.PostBatch, NDArray[np.float64]]:
    """n posts with random embeddings (a share ``missing`` without), feature ``s``."""
    emb = rng.normal(size=(n, d))
    emb[rng.random(n) < missing] = np.nan
    s = rng.random(n)
    batch = fr.PostBatch.from_columns(
        ids=[f"p{i}" for i in range(n)],
        author_ids=[f"a{i % 5}" for i in range(n)],
        created_at=np.full(n, 1_700_000_000_000_000, dtype=np.int64),
        features={"s": s},
        embeddings=emb,
        topics=[[f"t{j}" for j in range(6) if rng.random() < 0.35] for _ in range(n)],
    )
    return batch, s


def cosine(batch: fr.PostBatch, i: int, j: int) -> float:
    """Cosine of rows i and j; 0 when either post has no embedding."""
    assert batch.embeddings is not None
    if not (batch.has_embedding[i] and batch.has_embedding[j]):
        return 0.0
    a, b = batch.embeddings[i], batch.embeddings[j]
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def direct_mmr(rel: list[float], sim: list[list[float]], lam: float, k: int) -> list[int]:
    """argmax λ·rel(d) − (1 − λ)·max_{s∈S} sim(d, s), ties to the lower index,
    written out with Python loops."""
    chosen: list[int] = []
    while len(chosen) < min(k, len(rel)):
        best, best_value = -1, -float("inf")
        for d in range(len(rel)):
            if d in chosen:
                continue
            penalty = max((sim[d][s] for s in chosen), default=0.0)
            value = lam * rel[d] - (1 - lam) * penalty
            if value > best_value:
                best, best_value = d, value
        chosen.append(best)
    return chosen


def pipeline(*rerankers: fr.stages.rerank.Reranker) -> fr.Pipeline:
    return fr.Pipeline(
        name="by-feature",
        scorer=Scorer(terms=[Term(name="s", signal=Feature(name="s"), weight=1.0)]),
        rerankers=list(rerankers),
    )


@pytest.mark.parametrize("similarity", ["embedding", "topics"])
@pytest.mark.parametrize("lam", [0.0, 0.3, 0.7, 1.0])
def test_mmr_placement_equals_the_formula(similarity: str, lam: float) -> None:
    rng = np.random.default_rng(int(lam * 10) + len(similarity))
    batch, s = embedded_batch(rng, 40, missing=0.1)
    ranking = pipeline(MMR(lam=lam, k=15, similarity=similarity)).rank(  # type: ignore[arg-type]
        batch, fr.Context.build(batch, now=NOW), limit=40
    )
    by_score = sorted(range(40), key=lambda i: -s[i])  # distinct random scores
    rel = normalized(s[by_score]).tolist()
    topics = batch.topics.to_lists()
    sim = [
        [
            cosine(batch, by_score[a], by_score[b])
            if similarity == "embedding"
            else jaccard(set(topics[by_score[a]]), set(topics[by_score[b]]))
            for b in range(40)
        ]
        for a in range(40)
    ]
    picks = direct_mmr(rel, sim, lam, 15)
    rest = [i for i in range(40) if i not in picks]
    expected = [f"p{by_score[i]}" for i in picks + rest]
    assert list(ranking.post_ids) == expected


def test_lambda_one_keeps_the_score_order_and_records_no_move() -> None:
    batch, s = embedded_batch(np.random.default_rng(3), 30)
    ranking = pipeline(MMR(lam=1.0, k=30)).rank(batch, fr.Context.build(batch, now=NOW), limit=30)
    assert list(ranking.post_ids) == [f"p{i}" for i in np.argsort(-s, kind="stable")]
    assert ranking.move_counts() == {}


def test_every_move_names_positions_and_the_similarity_it_measured() -> None:
    batch, _ = embedded_batch(np.random.default_rng(5), 25)
    ranking = pipeline(MMR(lam=0.4, k=10)).rank(batch, fr.Context.build(batch, now=NOW), limit=25)
    served = list(ranking.post_ids)
    moves = ranking.to_dict(moves="all")["moves"]
    assert moves
    checked = 0
    for move in moves:
        reason = move["reason"]
        if reason == "shifted_by:mmr":
            assert move["after"] >= 10 or move["after"] > move["before"]
            continue
        found = re.match(r"placed at (\d+) instead of (\d+): (.*)", reason)
        assert found, reason
        assert int(found[1]) == move["after"] + 1
        assert int(found[2]) == move["before"] + 1
        row = batch.index_of([move["post_id"]])[0]
        above = batch.index_of(served[: move["after"]])
        sims = [cosine(batch, int(row), int(r)) for r in above]
        down = re.fullmatch(r"(-?\d\.\d\d) similar to #(\d+)", found[3])
        up = re.fullmatch(r"at most (-?\d\.\d\d) similar to #1(–#\d+)?", found[3])
        if down:
            assert float(down[1]) == pytest.approx(max(sims), abs=0.005)
            assert sims[int(down[2]) - 1] == max(sims)
        else:
            assert up, found[3]
            assert float(up[1]) == pytest.approx(max(sims), abs=0.005)
        checked += 1
    assert checked
    first = next(m for m in moves if m["reason"].startswith("placed"))
    text = ranking.explain(first["post_id"]).to_text()
    assert first["reason"] in text


def test_posts_beyond_k_keep_their_order() -> None:
    batch, s = embedded_batch(np.random.default_rng(9), 30)
    ranking = pipeline(MMR(lam=0.2, k=5)).rank(batch, fr.Context.build(batch, now=NOW), limit=30)
    tail = [int(p[1:]) for p in ranking.post_ids[5:]]
    assert tail == sorted(tail, key=lambda i: -s[i])


def test_a_batch_without_embeddings_keeps_its_order() -> None:
    """No post has an embedding: each is similar to nothing (the identity kernel),
    so neither MMR nor DPP moves a post, as for single posts without one."""
    posts = [
        fr.Post(id=f"p{i}", author_id="a", created_at=NOW - timedelta(hours=i), features={"s": i})
        for i in range(5)
    ]
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(batch, now=NOW)
    plain = pipeline().rank(batch, ctx)
    for stage in (MMR(), DPP()):
        ranking = pipeline(stage).rank(batch, ctx)
        assert ranking.post_ids == plain.post_ids == ["p4", "p3", "p2", "p1", "p0"]
        assert all(not ranking.explain(pid).moves for pid in ranking.post_ids)


def test_bad_parameters_are_spec_errors() -> None:
    with pytest.raises(fr.errors.SpecError):
        MMR(lam=1.5)
    with pytest.raises(fr.errors.SpecError):
        MMR(similarity="authors")  # type: ignore[arg-type]


def test_a_third_party_reranker_can_place_posts_one_request_at_a_time() -> None:
    from feedrank.stages.rerank import Reranker, RerankStep, register_reranker

    @register_reranker
    class Reverse(Reranker):
        """Serves the current order backwards (a placing re-ranker written per request)."""

        type: Literal["test_reverse_placement"] = "test_reverse_placement"

        def adjust(self, batch, ctx, order, scores):  # type: ignore[no-untyped-def]
            tier = np.empty(len(batch), dtype=np.int64)
            tier[order] = np.arange(len(batch))[::-1]
            return RerankStep(None, tier, np.full(len(batch), "reversed"), placed=True)

    batch, _ = embedded_batch(np.random.default_rng(2), 12)
    ranking = pipeline(AuthorDiversity(), Reverse()).rank(
        batch, fr.Context.build(batch, now=NOW), limit=12
    )
    before = pipeline(AuthorDiversity()).rank(batch, fr.Context.build(batch, now=NOW), limit=12)
    assert list(ranking.post_ids) == list(before.post_ids)[::-1]
