"""One ranking request: feedrank's ``Pipeline.rank`` versus a pure-Python ranker.

The request: 1,000 candidate posts, 2 filters (seen, max_age), a scorer of 10
additive terms and 2 multiplicative factors, the author diversity re-ranker,
every contribution kept. The pure-Python baseline (``reference_python.py``)
computes exactly the same feed; this script asserts that both give the same
order and the same scores, contributions and factors (to 1e-9 relative), the
same removal reasons and the same moves, before timing anything.

The input is built once, deterministically, from ``numpy.random.default_rng``
(no clock, no files, no network); the batch and the dict posts are built
outside the timed region. A request is ``Context.build`` + ``Pipeline.rank``
(feedrank) or ``build_context`` + ``rank`` (baseline); "rank only" times the
ranking with a context built beforehand. Runs of all four measurements are
interleaved in rounds so that noise on a shared machine hits them alike.

    python benchmarks/bench_single_request.py [--candidates 1000] [--repeats 200]
        [--baseline-repeats 20] [--seed 7] [--json out.json] [--profile 500]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import platform
import pstats
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pydantic
import reference_python as ref
from numpy.typing import NDArray

import feedrank
from feedrank import AffinityModel, Context, Interaction, InteractionKind, PostBatch, Viewer
from feedrank.ranking.ranking import Ranking
from feedrank.spec.pipeline import Pipeline
from feedrank.stages.filters import MaxAge, Seen
from feedrank.stages.rerank import AuthorDiversity
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals import (
    AuthorAffinity,
    EngagementRate,
    ExponentialDecay,
    Feature,
    GravityDecay,
    InNetwork,
    Interactions,
    IsReply,
    NegativeFeedback,
    TopicMatch,
    WilsonLowerBound,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
NOW_US = (NOW - EPOCH) // timedelta(microseconds=1)
HOUR_US = ref.MICROS_PER_HOUR
VIEWER_ID = "viewer-1"
TOPICS = tuple(f"topic{j:02d}" for j in range(24))
RTOL = 1e-9
ATOL = 1e-12  # only matters for a score that cancels to ~0
TARGET_MEDIAN_MS = 0.5
TARGET_SPEEDUP = 30.0


# --------------------------------------------------------------------- spec
def _kinds(weights: dict[str, float]) -> dict[InteractionKind, float]:
    return {InteractionKind(k): w for k, w in weights.items()}


def build_pipeline(p: ref.Params) -> Pipeline:
    """The feedrank spec of the benchmark algorithm, from the same parameters."""
    return Pipeline(
        name="bench_single_request",
        filters=[Seen(), MaxAge(hours=p.max_age_hours)],
        scorer=Scorer(
            terms=[
                Term(
                    name="engagement",
                    signal=Interactions(weights=_kinds(p.engagement_weights), transform="log1p"),
                    weight=p.engagement_weight,
                ),
                Term(
                    name="like_rate",
                    signal=EngagementRate(
                        weights=_kinds(p.rate_weights),
                        base=InteractionKind(p.rate_base),
                        prior_rate=p.rate_prior_rate,
                        prior_strength=p.rate_prior_strength,
                    ),
                    weight=p.rate_weight,
                ),
                Term(name="quality", signal=WilsonLowerBound(z=p.wilson_z), weight=p.wilson_weight),
                Term(name="in_network", signal=InNetwork(), weight=p.in_network_weight),
                Term(name="affinity", signal=AuthorAffinity(), weight=p.affinity_weight),
                Term(
                    name="interests",
                    signal=TopicMatch(normalize="mean"),
                    weight=p.interests_weight,
                ),
                Term(
                    name="p_like",
                    signal=Feature(name=p.feature_name, default=p.feature_default),
                    weight=p.feature_weight,
                ),
                Term(
                    name="freshness",
                    signal=ExponentialDecay(half_life_hours=p.freshness_half_life_hours),
                    weight=p.freshness_weight,
                ),
                Term(name="negative", signal=NegativeFeedback(), weight=p.negative_weight),
                Term(
                    name="votes",
                    signal=Interactions(weights=_kinds(p.votes_weights), transform="signed_log10"),
                    weight=p.votes_weight,
                ),
            ],
            factors=[
                Factor(
                    name="age",
                    signal=GravityDecay(gravity=p.gravity, offset_hours=p.gravity_offset_hours),
                ),
                Factor(
                    name="replies",
                    signal=IsReply(true_value=p.reply_factor, false_value=1.0),
                ),
            ],
        ),
        rerankers=[AuthorDiversity(decay=p.diversity_decay, floor=p.diversity_floor)],
    )


# --------------------------------------------------------------------- data
@dataclass(frozen=True)
class Workload:
    """The same request in both representations."""

    batch: PostBatch
    viewer: Viewer
    interactions: list[Interaction]
    post_authors: dict[str, str]
    affinity: AffinityModel
    ref_posts: list[ref.RefPost]
    ref_viewer: ref.RefViewer
    ref_interactions: list[ref.RefInteraction]


def _binomial(rng: np.random.Generator, n: NDArray[np.int64], p: Any) -> NDArray[np.int64]:
    return rng.binomial(n, p).astype(np.int64)


def make_workload(n: int, seed: int, params: ref.Params) -> Workload:
    """Candidates, viewer and interaction log, deterministic in ``seed``.

    About 200 authors per 1,000 posts (so author diversity acts), ages up to
    96 h (so max_age removes about a quarter), 10% seen, 20% replies, 5%
    missing ``p_like``, 20% of authors followed; an interaction log of n/4
    entries on candidates, n/20 on posts no longer candidates and 6 recent
    negative ones on each of n/100 authors (so some scores are negative), 10%
    of all entries by another viewer (Context.build must skip them); and n/50
    pairs of posts identical in every scored input, so that exact score ties
    are broken by created_at and id.
    """
    rng = np.random.default_rng(seed)
    n_authors = max(n // 5, 2)
    ids = [f"p{i}" for i in range(n)]
    authors = [f"u{a}" for a in rng.integers(0, n_authors, n).tolist()]
    age_us = rng.integers(0, 96 * HOUR_US, n)
    created = NOW_US - age_us

    reach = rng.lognormal(5.0, 1.5, n)
    view = rng.poisson(reach).astype(np.int64)
    like = _binomial(rng, view, rng.beta(2.0, 30.0, n))
    repost = _binomial(rng, like, 0.1)
    reply = _binomial(rng, like, 0.05)
    bookmark = _binomial(rng, like, 0.03)
    quote = _binomial(rng, repost, 0.2)
    upvote = rng.poisson(reach * 0.05).astype(np.int64)
    downvote = rng.poisson(reach * 0.01).astype(np.int64)
    counts = {
        "view": view,
        "like": like,
        "repost": repost,
        "reply": reply,
        "bookmark": bookmark,
        "quote": quote,
        "upvote": upvote,
        "downvote": downvote,
    }
    p_like = rng.beta(2.0, 20.0, n)
    p_like[rng.random(n) < 0.05] = np.nan
    n_topics = rng.integers(0, 4, n)
    topics = [
        tuple(TOPICS[j] for j in sorted(rng.choice(len(TOPICS), int(k), replace=False).tolist()))
        for k in n_topics.tolist()
    ]
    is_reply = rng.random(n) < 0.2
    reply_to = [f"p{j}" if r else "" for j, r in zip(rng.integers(0, n, n), is_reply, strict=True)]

    # Pairs identical in every scored input, by authors with no history: exact ties.
    young = np.flatnonzero(age_us < 48 * HOUR_US)
    n_pairs = min(max(n // 50, 1), young.shape[0] // 2)
    pair_rows = rng.choice(young, 2 * n_pairs, replace=False).tolist()
    for k in range(n_pairs):
        src, dst = pair_rows[2 * k], pair_rows[2 * k + 1]
        created[dst] = created[src]
        for column in counts.values():
            column[dst] = column[src]
        p_like[dst] = p_like[src]
        topics[dst] = topics[src]
        reply_to[dst] = reply_to[src]
        authors[src], authors[dst] = f"solo{2 * k}", f"solo{2 * k + 1}"
    solo = set(pair_rows)
    others = np.array([i for i in range(n) if i not in solo], dtype=np.intp)

    follows = frozenset(f"u{a}" for a in rng.choice(n_authors, n_authors // 5, replace=False))
    seen = frozenset(ids[i] for i in rng.choice(others, n // 10, replace=False).tolist())
    interest_topics = rng.choice(len(TOPICS), 10, replace=False).tolist()
    interests = {
        TOPICS[j]: float(w)
        for j, w in zip(interest_topics, rng.uniform(-0.5, 2.0, 10).tolist(), strict=True)
    }

    kinds = ["like", "repost", "reply", "click", "view", "bookmark", "hide", "mute", "report"]
    kind_p = [0.35, 0.1, 0.1, 0.2, 0.1, 0.05, 0.04, 0.03, 0.03]
    n_log = max(n // 4, 1)
    n_old = max(n_log // 5, 1)
    post_authors = {f"old{j}": f"u{a}" for j, a in enumerate(rng.integers(0, n_authors, n_old))}
    targets = [ids[i] for i in rng.choice(others, n_log).tolist()] + list(post_authors)
    log_kinds = rng.choice(len(kinds), len(targets), p=kind_p).tolist()
    log_at = (NOW_US - rng.integers(0, 30 * 24 * HOUR_US, len(targets))).tolist()
    # A few authors the viewer recently hid, muted or reported again and again:
    # their posts score below zero, where author diversity divides.
    disliked = rng.choice(others, max(n // 100, 1), replace=False).tolist()
    for row in disliked:
        targets += [ids[row]] * 6
        log_kinds += rng.choice([kinds.index(k) for k in ("hide", "mute", "report")], 6).tolist()
        log_at += (NOW_US - rng.integers(0, 24 * HOUR_US, 6)).tolist()
    log_viewer = [
        VIEWER_ID if x else "someone-else" for x in (rng.random(len(targets)) < 0.9).tolist()
    ]
    ref_interactions: list[ref.RefInteraction] = [
        {
            "viewer_id": v,
            "post_id": pid,
            "kind": kinds[k],
            "at": EPOCH + timedelta(microseconds=at),
        }
        for v, pid, k, at in zip(log_viewer, targets, log_kinds, log_at, strict=True)
    ]
    interactions = [
        Interaction(
            viewer_id=i["viewer_id"],
            post_id=i["post_id"],
            kind=InteractionKind(i["kind"]),
            at=i["at"],
        )
        for i in ref_interactions
    ]

    batch = PostBatch.from_columns(
        ids=np.array(ids),
        author_ids=np.array(authors),
        created_at=created,
        counts=counts,
        features={params.feature_name: p_like},
        topics=topics,
        reply_to=np.array(reply_to),
    )
    count_lists = {kind: column.tolist() for kind, column in counts.items()}
    created_list = created.tolist()
    p_like_list = p_like.tolist()
    ref_posts: list[ref.RefPost] = [
        {
            "id": ids[i],
            "author_id": authors[i],
            "created_at": created_list[i],
            "counts": {kind: values[i] for kind, values in count_lists.items() if values[i]},
            "features": {} if math.isnan(p_like_list[i]) else {params.feature_name: p_like_list[i]},
            "topics": topics[i],
            "reply_to": reply_to[i] or None,
        }
        for i in range(n)
    ]
    viewer = Viewer(id=VIEWER_ID, follows=follows, seen=seen, interests=interests)
    ref_viewer: ref.RefViewer = {
        "id": VIEWER_ID,
        "follows": follows,
        "seen": seen,
        "interests": interests,
    }
    affinity = AffinityModel(
        half_life_hours=params.affinity_half_life_hours,
        weights=_kinds(params.affinity_weights),
    )
    return Workload(
        batch,
        viewer,
        interactions,
        post_authors,
        affinity,
        ref_posts,
        ref_viewer,
        ref_interactions,
    )


# ------------------------------------------------------------ the requests
def feedrank_context(w: Workload) -> Context:
    return Context.build(
        w.batch,
        now=NOW,
        viewer=w.viewer,
        interactions=w.interactions,
        post_authors=w.post_authors,
        affinity=w.affinity,
    )


def feedrank_request(pipe: Pipeline, w: Workload) -> Ranking:
    return pipe.rank(w.batch, feedrank_context(w))


def reference_context(w: Workload, params: ref.Params) -> ref.RefContext:
    return ref.build_context(
        w.ref_posts, w.ref_viewer, w.ref_interactions, w.post_authors, NOW, params
    )


def reference_request(w: Workload, params: ref.Params) -> ref.RefRanking:
    return ref.rank_request(
        w.ref_posts, w.ref_viewer, w.ref_interactions, w.post_authors, NOW, params
    )


# ------------------------------------------------------------ equivalence
def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL)


def verify(ranking: Ranking, expected: ref.RefRanking) -> dict[str, int]:
    """Assert both implementations computed the same feed; return workload facts."""
    assert ranking.term_names == ref.TERM_NAMES, ranking.term_names
    assert ranking.factor_names == ref.FACTOR_NAMES, ranking.factor_names
    assert ranking.all_post_ids == expected.post_ids, "the two feeds are in different orders"
    assert ranking.post_ids == expected.page
    assert ranking.removed() == expected.removed, "different removed posts or reasons"
    order = ranking.order
    rows = zip(
        expected.post_ids,
        ranking.scores[order].tolist(),
        ranking.contributions[order].tolist(),
        ranking.factors[order].tolist(),
        expected.scores,
        expected.contributions,
        expected.factors,
        strict=True,
    )
    for post_id, score, parts, factors, ref_score, ref_parts, ref_factors in rows:
        assert _close(score, ref_score), (post_id, score, ref_score)
        assert all(map(_close, parts, ref_parts)), (post_id, parts, ref_parts)
        assert all(map(_close, factors, ref_factors)), (post_id, factors, ref_factors)
    kept_ids = ranking.candidates.ids[ranking.kept]
    moves = {
        str(kept_ids[r]): (int(b), int(a), str(why))
        for r, b, a, why in zip(
            ranking.moves.rows.tolist(),
            ranking.moves.before.tolist(),
            ranking.moves.after.tolist(),
            ranking.moves.reasons.tolist(),
            strict=True,
        )
    }
    assert moves == expected.moves, "different re-ranker moves"
    final = ranking.scores[order]
    reasons = list(expected.removed.values())
    return {
        "candidates": len(ranking.candidates),
        "kept": len(expected.post_ids),
        "removed_seen": reasons.count("seen"),
        "removed_max_age": sum(r.startswith("older_than") for r in reasons),
        "exact_score_ties": int(np.sum(final[1:] == final[:-1])),
        "negative_scores": int(np.sum(final < 0)),
        "moved_by_author_diversity": len(moves),
        "page_size": len(ranking.post_ids),
    }


# ---------------------------------------------------------------- timing
@dataclass
class Series:
    """Latencies of one measurement, in nanoseconds."""

    implementation: str
    stage: str
    samples: list[int]

    @property
    def median_ms(self) -> float:
        return float(np.median(self.samples)) / 1e6

    @property
    def p90_ms(self) -> float:
        ordered = sorted(self.samples)  # nearest-rank 90th percentile
        return ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)] / 1e6


def _timed(fn: Callable[[], object], runs: int, out: list[int]) -> None:
    clock = time.perf_counter_ns
    for _ in range(runs):
        start = clock()
        fn()
        out.append(clock() - start)


def measure(
    pipe: Pipeline, w: Workload, params: ref.Params, repeats: int, baseline_repeats: int
) -> list[Series]:
    """Interleaved rounds: each round runs every measurement; gc off while timing."""
    ctx = feedrank_context(w)
    rctx = reference_context(w, params)
    fr_full = Series("feedrank", "context + rank", [])
    fr_rank = Series("feedrank", "rank only", [])
    py_full = Series("pure Python", "context + rank", [])
    py_rank = Series("pure Python", "rank only", [])

    def run_fr_full() -> object:
        return feedrank_request(pipe, w)

    def run_fr_rank() -> object:
        return pipe.rank(w.batch, ctx)

    def run_py_full() -> object:
        return reference_request(w, params)

    def run_py_rank() -> object:
        return ref.rank(w.ref_posts, rctx, params)

    warm: list[int] = []
    _timed(run_fr_full, 20, warm)
    _timed(run_fr_rank, 20, warm)
    _timed(run_py_full, 2, warm)
    _timed(run_py_rank, 2, warm)

    rounds = max(baseline_repeats, 1)
    per_round = [repeats // rounds + (1 if i < repeats % rounds else 0) for i in range(rounds)]
    gc.collect()
    gc.disable()
    try:
        for k in per_round:
            _timed(run_fr_full, k, fr_full.samples)
            _timed(run_py_full, 1, py_full.samples)
            _timed(run_fr_rank, k, fr_rank.samples)
            _timed(run_py_rank, 1, py_rank.samples)
    finally:
        gc.enable()
    return [fr_rank, fr_full, py_rank, py_full]


def profile(pipe: Pipeline, w: Workload, runs: int, top: int = 30) -> str:
    """cProfile of ``runs`` feedrank requests, sorted by own time."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(runs):
        feedrank_request(pipe, w)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "pydantic": pydantic.VERSION,
        "feedrank": feedrank.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
    }


# ------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=1000, help="posts per request")
    parser.add_argument("--repeats", type=int, default=200, help="timed feedrank runs")
    parser.add_argument(
        "--baseline-repeats", type=int, default=20, help="timed pure-Python runs (= rounds)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of numpy's default_rng")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also print a cProfile of N feedrank requests",
    )
    args = parser.parse_args(argv)
    if args.candidates < 100 or args.repeats < 1 or args.baseline_repeats < 1:
        parser.error("--candidates must be >= 100, --repeats and --baseline-repeats >= 1")

    params = ref.Params()
    pipe = build_pipeline(params)
    w = make_workload(args.candidates, args.seed, params)
    facts = verify(feedrank_request(pipe, w), reference_request(w, params))

    series = measure(pipe, w, params, args.repeats, args.baseline_repeats)
    fr_rank, fr_full, py_rank, py_full = series
    ratio_full = py_full.median_ms / fr_full.median_ms
    ratio_rank = py_rank.median_ms / fr_rank.median_ms
    meets_latency = fr_full.median_ms < TARGET_MEDIAN_MS
    meets_speedup = ratio_full >= TARGET_SPEEDUP
    info = machine()

    print(
        f"single request: {facts['candidates']} candidates ({facts['kept']} kept), "
        f"10 terms, 2 factors, 2 filters, author diversity; seed {args.seed}"
    )
    print(
        f"machine: {info['platform']}, Python {info['python']}, numpy {info['numpy']}, "
        f"{info['cpu_count']} CPUs"
    )
    print(
        f"verified: same order of {facts['kept']} posts, scores/contributions/factors within "
        f"{RTOL:g} rel, same removals and {facts['moved_by_author_diversity']} moves "
        f"({facts['exact_score_ties']} exact score ties)"
    )
    print()
    print(f"{'implementation':<14} {'stage':<16} {'runs':>5} {'median ms':>10} {'p90 ms':>9}")
    for s in series:
        print(
            f"{s.implementation:<14} {s.stage:<16} {len(s.samples):>5} "
            f"{s.median_ms:>10.3f} {s.p90_ms:>9.3f}"
        )
    print()
    print(
        f"ratio of medians, pure Python / feedrank: {ratio_full:.1f}x (context + rank), "
        f"{ratio_rank:.1f}x (rank only)"
    )
    print(
        f"target: feedrank median (context + rank) < {TARGET_MEDIAN_MS} ms: "
        f"{'met' if meets_latency else 'NOT met'} ({fr_full.median_ms:.3f} ms)"
    )
    print(
        f"target: >= {TARGET_SPEEDUP:g}x faster than pure Python: "
        f"{'met' if meets_speedup else 'NOT met'} ({ratio_full:.1f}x)"
    )

    if args.json is not None:
        result = {
            "benchmark": "single_request",
            "seed": args.seed,
            "machine": info,
            "workload": facts,
            "params": asdict(params),
            "results": [
                {
                    "implementation": s.implementation,
                    "stage": s.stage,
                    "runs": len(s.samples),
                    "median_ms": s.median_ms,
                    "p90_ms": s.p90_ms,
                    "samples_ns": s.samples,
                }
                for s in series
            ],
            "ratio_of_medians": {"context_rank": ratio_full, "rank_only": ratio_rank},
            "targets": {
                "median_ms_below": TARGET_MEDIAN_MS,
                "median_met": meets_latency,
                "speedup_at_least": TARGET_SPEEDUP,
                "speedup_met": meets_speedup,
            },
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")

    if args.profile:
        print()
        print(profile(pipe, w, args.profile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
