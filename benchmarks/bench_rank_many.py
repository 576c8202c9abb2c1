"""Many requests at once: ``Pipeline.rank_many`` versus looping ``Pipeline.rank``
and versus a hand-written fused numpy computation (the floor).

The workload: S requests (default 10,000) of C candidates each (default 500),
drawn from a pool of 2**18 posts (so posts repeat across requests, never
within one), ranked by the algorithm of ``bench_single_request.py`` (2 filters,
10 terms, 2 factors, author diversity, page of 50). Every request has its own
viewer (interests for the topic term) and its own context arrays (in-network,
seen, affinity, negative feedback).

Three implementations compute the same pages:

- ``rank_many``: one call over the stacked batch, every part of every score
  kept (inputs, contributions, factors, removal reasons, moves);
- ``loop rank``: ``pipeline.rank`` once per request on that request's batch and
  context (sliced before timing);
- ``fused numpy``: the same filters, the 12 signals, the score, a segmented
  sort, the author diversity multiplier and the segmented top-k written by hand
  as one pass of numpy over all rows: no contributions matrix, no reasons, no
  moves, no error checks: the floor for this computation in numpy.

Before timing, the script checks that ``rank_many`` gives exactly what
``rank`` gives for a sample of requests (every array, bit for bit) and that the
floor's pages have the same post ids and scores (to 1e-9 relative). Reported:
candidates per second of each, and the ratios rank_many / loop and
rank_many time / floor time.

    python benchmarks/bench_rank_many.py [--requests 10000] [--candidates 500]
        [--repeats 3] [--loop-requests N] [--json out.json] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import reference_python as ref
from bench_single_request import NOW_US, TOPICS, build_pipeline, machine
from numpy.typing import NDArray

from feedrank import Context, PostBatch, Viewer
from feedrank.batch.segments import group_codes
from feedrank.batch.tags import Tags
from feedrank.models import NEGATIVE_KINDS
from feedrank.ranking.ranking import RankingBatch
from feedrank.spec.pipeline import Pipeline

HOUR_US = 3_600_000_000
POOL_BITS = 18
TARGET_RATE = 1_000_000.0
TARGET_VS_LOOP = 10.0
TARGET_VS_FLOOR = 2.0


@dataclass(frozen=True)
class ManyWorkload:
    batch: PostBatch
    offsets: NDArray[np.intp]
    contexts: list[Context]
    batches: list[PostBatch]


def make_workload(requests: int, candidates: int, seed: int) -> ManyWorkload:
    """Stacked candidates, offsets and one context per request (deterministic)."""
    rng = np.random.default_rng(seed)
    pool = 1 << POOL_BITS
    n_authors = pool // 10
    authors = np.char.add("u", rng.integers(0, n_authors, pool).astype(str))
    ids = np.char.add("p", np.arange(pool).astype(str))
    age = rng.integers(0, 96 * HOUR_US, pool)
    reach = rng.lognormal(5.0, 1.5, pool)
    view = rng.poisson(reach)
    like = rng.binomial(view, rng.beta(2.0, 30.0, pool))
    counts = {
        "view": view,
        "like": like,
        "repost": rng.binomial(like, 0.1),
        "reply": rng.binomial(like, 0.05),
        "bookmark": rng.binomial(like, 0.03),
        "upvote": rng.poisson(reach * 0.05),
        "downvote": rng.poisson(reach * 0.01),
    }
    p_like = rng.beta(2.0, 20.0, pool)
    p_like[rng.random(pool) < 0.05] = np.nan
    n_topics = rng.integers(0, 4, pool)
    topic_codes = rng.integers(0, len(TOPICS), int(n_topics.sum()))
    indptr = np.zeros(pool + 1, dtype=np.int64)
    np.cumsum(n_topics, out=indptr[1:])
    topic_lists = [
        tuple(TOPICS[c] for c in topic_codes[indptr[i] : indptr[i + 1]].tolist())
        for i in range(pool)
    ]
    reply_to = np.where(
        rng.random(pool) < 0.2, np.char.add("p", rng.integers(0, pool, pool).astype(str)), ""
    )

    # Request s takes pool rows base_s + k·step_s (odd step): distinct within it.
    base = rng.integers(0, pool, requests)
    step = rng.integers(0, pool // 2, requests) * 2 + 1
    rows = ((base[:, None] + np.arange(candidates)[None, :] * step[:, None]) % pool).reshape(-1)
    offsets = np.arange(requests + 1, dtype=np.intp) * candidates
    pool_tags = Tags.from_lists(topic_lists)
    batch = PostBatch.from_columns(
        ids=ids[rows],
        author_ids=authors[rows],
        created_at=NOW_US - age[rows],
        counts={k: v[rows] for k, v in counts.items()},
        features={"p_like": p_like[rows]},
        topics=pool_tags.take(rows),
        reply_to=reply_to[rows],
        offsets=offsets,
    )
    n = requests * candidates
    width = len(NEGATIVE_KINDS)
    in_network = rng.random(n) < 0.2
    seen = rng.random(n) < 0.1
    affinity = np.where(rng.random(n) < 0.3, rng.lognormal(0.0, 1.0, n), 0.0)
    negative = np.where(rng.random(n) < 0.02, rng.lognormal(1.5, 0.5, n), 0.0)
    contexts: list[Context] = []
    batches: list[PostBatch] = []
    for s in range(requests):
        a, b = s * candidates, (s + 1) * candidates
        chosen = rng.choice(len(TOPICS), 10, replace=False).tolist()
        weights = rng.uniform(-0.5, 2.0, 10).tolist()
        viewer = Viewer(
            id=f"viewer-{s}",
            interests={TOPICS[j]: w for j, w in zip(chosen, weights, strict=True)},
        )
        contexts.append(
            Context(
                NOW_US,
                viewer,
                in_network[a:b],
                seen[a:b],
                affinity[a:b],
                negative[a:b],
                np.full((b - a, width), -1, dtype=np.int64),
                np.zeros(b - a, dtype=np.int64),
            )
        )
        batches.append(batch._slice(a, b))
    return ManyWorkload(batch, offsets, contexts, batches)


# ------------------------------------------------------------- the floor
CHUNK_ROWS = 1 << 16


def fused_numpy(
    w: ManyWorkload, p: ref.Params, interest_table: NDArray[np.float64], limit: int
) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.intp]]:
    """Page rows (candidate rows), scores and page offsets, in hand-written numpy.

    ``interest_table`` (S, len(TOPICS)) holds each viewer's interest weights
    (built once from the viewers, outside the timed region, as a platform with
    columnar viewer data would have it). Requests are processed in chunks of
    about 65,536 rows, as rank_many does, so that the floor gets the same
    cache-friendly blocking.
    """
    codes = group_codes(w.batch.author_ids)[0]  # exact author codes, hashed
    per = max(1, CHUNK_ROWS // max(int(np.diff(w.offsets).max(initial=1)), 1))
    rows_parts, score_parts, len_parts = [], [], []
    for s0 in range(0, len(w.contexts), per):
        s1 = min(s0 + per, len(w.contexts))
        a, b = int(w.offsets[s0]), int(w.offsets[s1])
        sub = ManyWorkload(w.batch._slice(a, b), w.offsets[s0 : s1 + 1] - a, w.contexts[s0:s1], [])
        rows, scores, page_offsets = _fused_chunk(sub, p, interest_table[s0:s1], codes[a:b], limit)
        rows_parts.append(rows + a)
        score_parts.append(scores)
        len_parts.append(np.diff(page_offsets))
    lengths = np.concatenate(len_parts)
    return (
        np.concatenate(rows_parts),
        np.concatenate(score_parts),
        np.concatenate([[0], np.cumsum(lengths)]),
    )


def _fused_chunk(
    w: ManyWorkload,
    p: ref.Params,
    interest_table: NDArray[np.float64],
    author_codes: NDArray[np.intp],
    limit: int,
) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.intp]]:
    b = w.batch
    offsets = w.offsets
    lengths = np.diff(offsets)
    seg = np.repeat(np.arange(lengths.shape[0]), lengths)
    ctx_seen = np.concatenate([c.seen for c in w.contexts])
    in_net = np.concatenate([c.in_network for c in w.contexts])
    aff = np.concatenate([c.affinity for c in w.contexts])
    neg = np.concatenate([c.negative for c in w.contexts])
    age_h = (NOW_US - b.created_at) / 3_600_000_000.0
    keep = ~ctx_seen & (age_h <= p.max_age_hours) & (b.created_at <= NOW_US)
    rows = np.flatnonzero(keep)
    seg = seg[rows]
    age_h = age_h[rows]

    def cnt(kind: str) -> NDArray[np.float64]:
        return b.count(kind)[rows].astype(np.float64)

    like, repost, reply = cnt("like"), cnt("repost"), cnt("reply")
    view, up, down = cnt("view"), cnt("upvote"), cnt("downvote")
    z = p.wilson_z
    z2 = z * z
    tot = up + down
    nn = np.where(tot > 0, tot, 1.0)
    ph = up / nn
    wilson = np.where(
        tot > 0,
        (ph + z2 / (2 * nn) - z * np.sqrt(ph * (1 - ph) / nn + z2 / (4 * nn * nn))) / (1 + z2 / nn),
        0.0,
    )
    engagement = np.log1p(like + 2.0 * repost + 3.0 * reply + 2.0 * cnt("bookmark"))
    rate = (like + repost + p.rate_prior_rate * p.rate_prior_strength) / (
        view + p.rate_prior_strength
    )
    topics = b.topics.take(rows)
    tw = interest_table[np.repeat(seg, np.diff(topics.indptr)), topics.codes]
    interests = np.bincount(topics.row_ids, weights=tw, minlength=rows.shape[0]) / np.maximum(
        topics.counts(), 1
    )
    feature = b.features["p_like"][rows]
    feature = np.where(np.isnan(feature), p.feature_default, feature)
    votes = up - down
    votes = np.sign(votes) * np.log10(np.maximum(np.abs(votes), 1.0))
    total = (
        p.engagement_weight * engagement
        + p.rate_weight * rate
        + p.wilson_weight * wilson
        + p.in_network_weight * in_net[rows]
        + p.affinity_weight * np.log1p(np.maximum(aff[rows], 0.0))
        + p.interests_weight * interests
        + p.feature_weight * feature
        + p.freshness_weight * np.exp2(-age_h / p.freshness_half_life_hours)
        + p.negative_weight * np.log1p(neg[rows])
        + p.votes_weight * votes
    )
    factor = np.power(age_h + p.gravity_offset_hours, -p.gravity) * np.where(
        np.char.str_len(b.reply_to[rows]) > 0, p.reply_factor, 1.0
    )
    score = total * factor
    kept_len = np.bincount(seg, minlength=lengths.shape[0])
    width = int(kept_len.max())
    local = np.arange(rows.shape[0]) - np.repeat(np.cumsum(kept_len) - kept_len, kept_len)
    starts = np.cumsum(kept_len) - kept_len
    grid = np.full((lengths.shape[0], width), np.inf)
    grid[seg, local] = -score
    first = np.argsort(grid, axis=1)
    valid = np.arange(width) < kept_len[:, None]
    order = (first + starts[:, None])[valid]
    # author diversity: k-th post of an author in the first order
    author = author_codes[rows][order]
    agrid = np.full((lengths.shape[0], width), -1, dtype=np.int64)
    agrid[seg[order], local] = author
    by = np.argsort(agrid, axis=1, kind="stable")
    sa = np.take_along_axis(agrid, by, axis=1)
    newg = np.ones_like(sa, dtype=bool)
    newg[:, 1:] = sa[:, 1:] != sa[:, :-1]
    idx = np.broadcast_to(np.arange(width), sa.shape)
    rank = idx - np.maximum.accumulate(np.where(newg, idx, 0), axis=1)
    kgrid = np.empty_like(rank)
    np.put_along_axis(kgrid, by, rank, axis=1)
    k = np.empty(rows.shape[0], dtype=np.int64)
    k[order] = kgrid[seg[order], local]
    m = (1.0 - p.diversity_floor) * np.power(p.diversity_decay, k.astype(np.float64)) + (
        p.diversity_floor
    )
    final = score * np.where(score >= 0, m, 1.0 / m)
    grid[seg, local] = -final
    part = np.argsort(grid, axis=1)[:, :limit]
    page_len = np.minimum(kept_len, limit)
    take = np.arange(part.shape[1]) < page_len[:, None]
    page = (part + starts[:, None])[take]
    page_offsets = np.concatenate([[0], np.cumsum(page_len)])
    return rows[page], final[page], page_offsets


def interest_matrix(w: ManyWorkload) -> NDArray[np.float64]:
    table = np.zeros((len(w.contexts), len(TOPICS)))
    col = {t: j for j, t in enumerate(TOPICS)}
    for s, c in enumerate(w.contexts):
        assert c.viewer is not None
        for name, weight in c.viewer.interests.items():
            table[s, col[name]] = weight
    return table


# ------------------------------------------------------------------ checks
def verify(pipe: Pipeline, w: ManyWorkload, result: RankingBatch, floor: Any, sample: int) -> None:
    """rank_many == rank for a sample of requests (bit for bit); floor pages agree."""
    from compare_rankings import assert_same

    picks = np.unique(np.linspace(0, len(w.contexts) - 1, sample).astype(int)).tolist()
    for i in picks:
        assert_same(result[i], pipe.rank(w.batches[i], w.contexts[i]))
    rows, scores, page_offsets = floor
    assert np.array_equal(page_offsets, result.page_offsets), "different page sizes"
    ids = w.batch.ids[rows]
    assert np.array_equal(ids, result.page_post_ids), "floor: different pages"
    assert np.allclose(scores, result.page_scores, rtol=1e-9, atol=1e-12), "floor: scores"


# ------------------------------------------------------------------ timing
def _time(fn: Callable[[], object]) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def run(args: argparse.Namespace) -> dict[str, Any]:
    params = ref.Params()
    pipe = build_pipeline(params)
    t0 = time.perf_counter()
    w = make_workload(args.requests, args.candidates, args.seed)
    build_s = time.perf_counter() - t0
    table = interest_matrix(w)
    n = len(w.batch)
    limit = pipe.limit

    result = pipe.rank_many(w.batch, w.contexts, w.offsets)
    floor = fused_numpy(w, params, table, limit)
    verify(pipe, w, result, floor, args.verify)
    del result

    loop_n = min(args.loop_requests or args.requests, args.requests)

    def loop() -> None:
        for i in range(loop_n):
            pipe.rank(w.batches[i], w.contexts[i])

    many_t: list[float] = []
    floor_t: list[float] = []
    loop_t: list[float] = []
    for _ in range(args.repeats):
        # A fresh batch object each time: nothing derived from an earlier call
        # (author codes, id index) is reused; building them is part of the time.
        cold = replace(w.batch)
        many_t.append(_time(lambda b=cold: pipe.rank_many(b, w.contexts, w.offsets)))
        floor_t.append(_time(lambda: fused_numpy(w, params, table, limit)))
    for _ in range(max(1, args.loop_repeats)):
        loop_t.append(_time(loop) * (args.requests / loop_n))
    many_s = float(np.median(many_t))
    floor_s = float(np.median(floor_t))
    loop_s = float(np.median(loop_t))
    out = {
        "benchmark": "rank_many",
        "requests": args.requests,
        "candidates_per_request": args.candidates,
        "candidates": n,
        "seed": args.seed,
        "workload_build_s": build_s,
        "loop_requests_timed": loop_n,
        "rank_many_s": many_s,
        "rank_many_samples_s": many_t,
        "fused_numpy_s": floor_s,
        "fused_numpy_samples_s": floor_t,
        "loop_rank_s": loop_s,
        "loop_rank_samples_s": loop_t,
        "rank_many_candidates_per_s": n / many_s,
        "loop_rank_candidates_per_s": n / loop_s,
        "fused_numpy_candidates_per_s": n / floor_s,
        "speedup_vs_loop": loop_s / many_s,
        "time_vs_floor": many_s / floor_s,
        "targets": {
            "candidates_per_s_at_least": TARGET_RATE,
            "rate_met": n / many_s >= TARGET_RATE,
            "speedup_vs_loop_at_least": TARGET_VS_LOOP,
            "speedup_met": loop_s / many_s >= TARGET_VS_LOOP,
            "time_vs_floor_at_most": TARGET_VS_FLOOR,
            "floor_met": many_s / floor_s <= TARGET_VS_FLOOR,
        },
    }
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        pipe.rank_many(w.batch, w.contexts, w.offsets)
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(40)
        out["profile"] = buf.getvalue()
    return out


def report(r: dict[str, Any]) -> None:
    n = r["candidates"]
    print(
        f"rank_many: {r['requests']:,} requests x {r['candidates_per_request']} candidates "
        f"= {n:,} rows; 2 filters, 10 terms, 2 factors, author diversity, page 50"
    )
    print("verified: rank_many[i] == rank(request i) bit for bit on a sample; floor pages equal")
    print(f"{'implementation':<14} {'seconds':>9} {'candidates/s':>14}")
    for name, key in (
        ("rank_many", "rank_many"),
        ("loop rank", "loop_rank"),
        ("fused numpy", "fused_numpy"),
    ):
        print(f"{name:<14} {r[key + '_s']:>9.3f} {r[key + '_candidates_per_s']:>14,.0f}")
    if r["loop_requests_timed"] != r["requests"]:
        print(f"(loop rank timed on {r['loop_requests_timed']:,} requests, scaled)")
    t = r["targets"]
    print(
        f"target: >= {TARGET_RATE:,.0f} candidates/s: {'met' if t['rate_met'] else 'NOT met'} "
        f"({r['rank_many_candidates_per_s']:,.0f})"
    )
    print(
        f"target: >= {TARGET_VS_LOOP:g}x looping rank: {'met' if t['speedup_met'] else 'NOT met'} "
        f"({r['speedup_vs_loop']:.1f}x)"
    )
    print(
        f"target: within {TARGET_VS_FLOOR:g}x of fused numpy: "
        f"{'met' if t['floor_met'] else 'NOT met'} ({r['time_vs_floor']:.2f}x the floor's time)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--loop-repeats", type=int, default=1)
    parser.add_argument("--loop-requests", type=int, default=0, help="time the loop on N requests")
    parser.add_argument("--verify", type=int, default=50, help="requests checked bit for bit")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    r = run(args)
    r["machine"] = machine()
    report(r)
    if args.profile:
        print(r["profile"])
    if args.json is not None:
        args.json.write_text(json.dumps(r, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
