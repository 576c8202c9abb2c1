"""Diversity re-rankers: DPP and MMR placing 50 of 1,000 candidates.

Workload: ``--candidates`` posts with ``--dim``-dimensional random embeddings
(normal, seed 0) and uniform scores in one request, in score order; both
re-rankers place ``--k`` posts by cosine similarity (DPP with θ = 0.65, MMR
with λ = 0.7).

Timed (CPU time of the thread, ``time.thread_time_ns``, interleaved rounds,
medians), side by side:

- ``dpp stage`` / ``mmr stage``: the whole re-ranker step as the engine calls it,
  ``DPP(...).adjust_many`` / ``MMR(...).adjust_many`` — similarity built from
  the batch's embeddings, the placement, the tiers and every move's reason;
- ``dpp picks`` / ``mmr picks``: the placement alone (``dpp_picks`` /
  ``mmr_picks`` with the similarity built beforehand);
- ``dpp floor`` / ``mmr floor``: a hand-written straightforward numpy loop of the
  same algorithm on pre-normalised embeddings (Chen et al.'s incremental
  Cholesky; MMR's running maximum) — the least work any implementation does.

The floors' picks are checked equal to feedrank's before timing.

    python benchmarks/bench_rerank.py [--candidates 1000] [--k 50] [--dim 64]
                                      [--repeats 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from harness import Task, interleave, machine, ratio
from numpy.typing import NDArray

import feedrank as fr
from feedrank.batch.requests import Requests
from feedrank.stages.rerank import DPP, MMR
from feedrank.stages.rerank.dpp import dpp_picks
from feedrank.stages.rerank.mmr import mmr_picks
from feedrank.stages.rerank.placement import normalized
from feedrank.stages.rerank.similarity import Similarity

THETA, LAM = 0.65, 0.7


def floor_dpp(unit: NDArray[np.float64], rel: NDArray[np.float64], k: int) -> list[int]:
    """Greedy MAP by incremental Cholesky, written straight: log q² + log d²."""
    n = unit.shape[0]
    quality = 2.0 * THETA / (2.0 * (1.0 - THETA)) * rel
    c = np.zeros((k, n))
    d2 = np.ones(n)
    picked: list[int] = []
    j = int(np.argmax(quality))
    for t in range(k):
        picked.append(j)
        if t == k - 1:
            break
        s = unit @ unit[j]
        s[j] = 1.0
        e = (s - c[:t, j] @ c[:t]) / np.sqrt(d2[j])
        c[t] = e
        d2 = d2 - e * e
        d2[picked] = 0.0
        gain = np.where(d2 > 1e-10, quality + np.log(np.maximum(d2, 1e-300)), -np.inf)
        j = int(np.argmax(gain))
    return picked


def floor_mmr(unit: NDArray[np.float64], rel: NDArray[np.float64], k: int) -> list[int]:
    """MMR with a running maximum of similarity, written straight."""
    gain = LAM * rel
    best = np.full(unit.shape[0], -np.inf)
    taken = np.zeros(unit.shape[0], dtype=bool)
    picked: list[int] = []
    j = int(np.argmax(gain))
    for t in range(k):
        picked.append(j)
        taken[j] = True
        if t == k - 1:
            break
        best = np.maximum(best, unit @ unit[j])
        value = gain - (1.0 - LAM) * best
        value[taken] = -np.inf
        j = int(np.argmax(value))
    return picked


def workload(n: int, dim: int) -> tuple[fr.PostBatch, fr.Context, NDArray[np.float64]]:
    gen = np.random.default_rng(0)
    emb = gen.normal(size=(n, dim))
    scores = np.sort(gen.random(n))[::-1].copy()
    batch = fr.PostBatch.from_columns(
        ids=[f"p{i}" for i in range(n)],
        author_ids=[f"a{i % 97}" for i in range(n)],
        created_at=np.full(n, 1_767_225_600_000_000, dtype=np.int64),
        embeddings=emb,
    )
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return batch, fr.Context.build(batch, now=now), scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    n, k = args.candidates, args.k
    batch, ctx, scores = workload(n, args.dim)
    requests = Requests.one(ctx)
    order = np.arange(n, dtype=np.intp)
    rows = order
    rel = normalized(scores)
    sim = Similarity.of(batch, rows, "embedding")
    unit = sim.vectors.copy()
    dpp, mmr = DPP(theta=THETA, k=k), MMR(lam=LAM, k=k)
    picks_dpp = dpp_picks(rel, sim, THETA, k).tolist()
    picks_mmr = mmr_picks(rel, sim, LAM, k).tolist()
    assert floor_dpp(unit, rel, k) == picks_dpp, "the DPP floor disagrees"
    assert floor_mmr(unit, rel, k) == picks_mmr, "the MMR floor disagrees"
    tasks = [
        Task("dpp stage", lambda: lambda: dpp.adjust_many(batch, requests, order, scores)),
        Task("dpp picks", lambda: lambda: dpp_picks(rel, sim, THETA, k)),
        Task("dpp floor", lambda: lambda: floor_dpp(unit, rel, k)),
        Task("mmr stage", lambda: lambda: mmr.adjust_many(batch, requests, order, scores)),
        Task("mmr picks", lambda: lambda: mmr_picks(rel, sim, LAM, k)),
        Task("mmr floor", lambda: lambda: floor_mmr(unit, rel, k)),
    ]
    series = interleave(tasks, args.repeats, warmup=3)
    ms = {name: s.median_ns / 1e6 for name, s in series.items()}
    result: dict[str, Any] = {
        "benchmark": "rerank",
        "machine": machine(),
        "workload": {"candidates": n, "k": k, "dim": args.dim, "theta": THETA, "lam": LAM},
        "median_ms": ms,
        "stage_vs_floor": {
            "dpp": ratio(series["dpp stage"], series["dpp floor"]),
            "mmr": ratio(series["mmr stage"], series["mmr floor"]),
        },
        "picks_vs_floor": {
            "dpp": ratio(series["dpp picks"], series["dpp floor"]),
            "mmr": ratio(series["mmr picks"], series["mmr floor"]),
        },
        "targets": {
            "dpp_at_most_ms": 5.0,
            "mmr_at_most_ms": 2.0,
            "dpp_met": ms["dpp stage"] <= 5.0,
            "mmr_met": ms["mmr stage"] <= 2.0,
        },
        "series": {name: s.to_dict() for name, s in series.items()},
    }
    for name in ("dpp", "mmr"):
        print(
            f"{name} {n} choose {k}: stage {ms[f'{name} stage']:.3f} ms, picks "
            f"{ms[f'{name} picks']:.3f} ms, numpy floor {ms[f'{name} floor']:.3f} ms "
            f"(stage {result['stage_vs_floor'][name]:.2f}x the floor)"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
