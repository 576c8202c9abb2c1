"""The ranking engine against hand-written numpy floors, side by side.

Three measures, each checked for equality before timing and then timed
interleaved with its floor (``floors.py``), CPU time per run
(``time.thread_time_ns``), medians, ratio feedrank / floor:

- ``reddit_hot``: one request of 1,000 candidates, ``preset("reddit-hot")``,
  ``Pipeline.rank`` with the context built beforehand. Target <= 2x.
- ``balanced``: one request of 1,000 candidates, ``preset("balanced")``, a
  viewer with 50 follows, 3 blocked and 2 muted authors, 5 muted words and 300
  ``Interaction`` models (likes, replies, reposts, some hides): ``Context.build``
  + ``Pipeline.rank``; the floor builds its context from the same models.
  Target <= 2x. Measured on a fresh batch object each run (nothing derived from
  a previous run is reused; the headline), and on one batch reused for every run
  (feedrank keeps per-batch lookups cached on it; the floor gets the same
  lookups computed once).
- ``rank_many``: 10,000 requests x 500 candidates, ``preset("balanced")``,
  contexts given as one ``Requests`` built beforehand, a fresh batch object
  each run; the floor is fused numpy over all rows that also keeps the (m, T)
  contributions. Target <= 1.5x.

Equality, checked before timing: the same kept rows, the same (m, T)
contributions, (m, F) factors and (m,) scores, compared exactly (``==``, no
tolerance: both compute every formula in the same floating-point order), and
the same pages (post ids in order, scores, page sizes). The script stops if
anything differs.

    python benchmarks/bench_engine.py [--only reddit_hot balanced rank_many]
        [--repeats 400] [--many-repeats 5] [--json out.json] [--profile]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import floors
import numpy as np
import workloads as wl
from harness import Series, Task, interleave, machine, profile_top, ratio
from numpy.typing import NDArray

import feedrank
from feedrank import Context, PostBatch

TARGETS = {"reddit_hot": 2.0, "balanced": 2.0, "rank_many": 1.5}
MEASURES = tuple(TARGETS)


# ------------------------------------------------------------------ equality
def check_same(what: str, ours: dict[str, NDArray[Any]], floor: floors.Floor) -> dict[str, Any]:
    """Assert feedrank's arrays equal the floor's exactly; report bit identity too."""
    theirs = {
        "kept": floor.kept,
        "contributions": floor.contributions,
        "factors": floor.factors,
        "scores": floor.scores,
        "page": floor.page,
        "page_scores": floor.page_scores,
        "page_offsets": floor.page_offsets,
    }
    bits = True
    for name, value in theirs.items():
        mine = ours[name]
        if mine.shape != value.shape or not np.array_equal(mine, value):
            diff = ""
            if mine.shape == value.shape and mine.dtype.kind == "f":
                diff = f" (max |diff| {float(np.max(np.abs(mine - value))):.3g})"
            raise AssertionError(f"{what}: feedrank and the floor differ in {name}{diff}")
        bits &= mine.astype(value.dtype).tobytes() == value.tobytes()
    return {
        "compared": list(theirs),
        "equal": "exact (==, no tolerance)",
        "bit_identical": bool(bits),
    }


def _ranking_arrays(r: feedrank.Ranking) -> dict[str, NDArray[Any]]:
    page = r.kept[r.page]
    return {
        "kept": r.kept,
        "contributions": r.contributions,
        "factors": r.factors,
        "scores": r.scores,
        "page": page,
        "page_scores": r.page_scores,
        "page_offsets": np.array([0, page.shape[0]]),
    }


def _facts(r: feedrank.Ranking) -> dict[str, Any]:
    final = r.scores[r.order]
    return {
        "candidates": len(r.candidates),
        "kept": int(r.kept.shape[0]),
        "page": len(r.post_ids),
        "terms": list(r.term_names),
        "factors": list(r.factor_names),
        "removed": r.removal_counts(),
        "moves": r.move_counts(),
        "exact_score_ties": int(np.sum(final[1:] == final[:-1])),
        "negative_scores": int(np.sum(final < 0)),
    }


def _summary(name: str, fr: Series, fl: Series, target: float, unit: str = "ms") -> dict[str, Any]:
    x = ratio(fr, fl)
    return {
        "feedrank": fr.to_dict(unit),
        "floor": fl.to_dict(unit),
        "ratio": x,
        "target_at_most": target,
        "met": x <= target,
    }


# ------------------------------------------------------------------ measures
def bench_reddit_hot(args: argparse.Namespace) -> dict[str, Any]:
    cols = wl.make_posts(args.candidates, args.seed)
    batch = wl.batch_of(cols)
    pipe = feedrank.preset("reddit-hot")
    ranking = pipe.rank(batch, Context.build(batch, now=wl.NOW))
    check = check_same("reddit-hot", _ranking_arrays(ranking), floors.reddit_hot(batch))
    full = check_same(
        "reddit-hot", _ranking_arrays(ranking), floors.reddit_hot(batch, full_sort=True)
    )
    assert full["bit_identical"] == check["bit_identical"]

    def fr() -> Callable[[], object]:
        b = dataclasses.replace(batch)
        ctx = Context.build(b, now=wl.NOW)
        return lambda: pipe.rank(b, ctx)

    def fl() -> Callable[[], object]:
        b = dataclasses.replace(batch)
        return lambda: floors.reddit_hot(b)

    def fl_full() -> Callable[[], object]:
        b = dataclasses.replace(batch)
        return lambda: floors.reddit_hot(b, full_sort=True)

    tasks = [Task("feedrank", fr), Task("floor", fl), Task("floor_full_sort", fl_full)]
    s = interleave(tasks, args.repeats, warmup=20)
    out = {
        "workload": _facts(ranking),
        "check": check,
        "timed": "Pipeline.rank(batch, ctx), ctx = Context.build(batch, now) beforehand; "
        "a fresh batch object each run",
        **_summary("reddit_hot", s["feedrank"], s["floor"], TARGETS["reddit_hot"]),
        "full_sort_floor": _summary(
            "reddit_hot", s["feedrank"], s["floor_full_sort"], TARGETS["reddit_hot"]
        ),
    }
    if args.profile:
        b = dataclasses.replace(batch)
        ctx = Context.build(b, now=wl.NOW)
        out["profile"] = profile_top(lambda: pipe.rank(b, ctx), 300)
    return out


def bench_balanced(args: argparse.Namespace) -> dict[str, Any]:
    req = wl.make_request(args.candidates, args.seed)
    batch, viewer, log, old = req.batch, req.viewer, req.interactions, req.post_authors
    pipe = feedrank.preset("balanced")

    def request(b: PostBatch) -> feedrank.Ranking:
        ctx = Context.build(b, now=wl.NOW, viewer=viewer, interactions=log, post_authors=old)
        return pipe.rank(b, ctx)

    def floor(b: PostBatch, prep: floors.Prepared | None = None) -> floors.Floor:
        return floors.balanced_one(b, viewer, log, old, wl.NOW_US, prep)

    ranking = request(dataclasses.replace(batch))
    check = check_same("balanced", _ranking_arrays(ranking), floor(batch))
    reused = dataclasses.replace(batch)
    request(reused)  # feedrank's per-batch lookups are now cached on ``reused``
    prep = floors.prepare(reused, text=True)
    check_reused = check_same(
        "balanced (reused)", _ranking_arrays(request(reused)), floor(reused, prep)
    )
    assert check_reused["bit_identical"] == check["bit_identical"]

    # The same request for a viewer who mutes no words (what the rest costs).
    plain = viewer.model_copy(update={"muted_words": ()})

    def request_plain(b: PostBatch) -> feedrank.Ranking:
        ctx = Context.build(b, now=wl.NOW, viewer=plain, interactions=log, post_authors=old)
        return pipe.rank(b, ctx)

    check_same(
        "balanced (no muted words)",
        _ranking_arrays(request_plain(dataclasses.replace(batch))),
        floors.balanced_one(batch, plain, log, old, wl.NOW_US),
    )

    def fr_fresh() -> Callable[[], object]:
        b = dataclasses.replace(batch)
        return lambda: request(b)

    def fl_fresh() -> Callable[[], object]:
        b = dataclasses.replace(batch)
        return lambda: floor(b)

    def fr_plain() -> Callable[[], object]:
        b = dataclasses.replace(batch)
        return lambda: request_plain(b)

    def fl_plain() -> Callable[[], object]:
        b = dataclasses.replace(batch)
        return lambda: floors.balanced_one(b, plain, log, old, wl.NOW_US)

    tasks = [
        Task("feedrank", fr_fresh),
        Task("floor", fl_fresh),
        Task("feedrank_reused", lambda: lambda: request(reused)),
        Task("floor_reused", lambda: lambda: floor(reused, prep)),
        Task("feedrank_plain", fr_plain),
        Task("floor_plain", fl_plain),
    ]
    s = interleave(tasks, args.repeats, warmup=20)
    facts = _facts(ranking)
    facts.update(
        follows=len(viewer.follows),
        blocked=len(viewer.blocked),
        muted=len(viewer.muted),
        muted_words=list(viewer.muted_words),
        interactions=len(log),
        interaction_kinds={
            k.value: sum(i.kind == k for i in log) for k in sorted({i.kind for i in log})
        },
        in_network_share=float(np.mean(ranking.context.in_network)),
    )
    out = {
        "workload": facts,
        "check": check,
        "timed": "Context.build(batch, now, viewer, interactions, post_authors) + "
        "Pipeline.rank(batch, ctx); the floor builds its context from the same models",
        **_summary("balanced", s["feedrank"], s["floor"], TARGETS["balanced"]),
        "reused_batch": _summary(
            "balanced", s["feedrank_reused"], s["floor_reused"], TARGETS["balanced"]
        ),
        "no_muted_words": _summary(
            "balanced", s["feedrank_plain"], s["floor_plain"], TARGETS["balanced"]
        ),
    }
    if args.profile:
        fresh = [dataclasses.replace(batch) for _ in range(300)]
        out["profile"] = profile_top(lambda: request(fresh.pop()), 300)
    return out


def bench_rank_many(args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    w = wl.make_many(args.many_requests, args.many_candidates, args.seed, args.pool_bits)
    build_s = time.perf_counter() - t0
    pipe = feedrank.preset("balanced")
    res = pipe.rank_many(dataclasses.replace(w.batch), w.requests, w.offsets).result
    ours = {
        "kept": res.kept,
        "contributions": res.contributions,
        "factors": res.factors,
        "scores": res.scores,
        "page": res.kept[res.page_rows],
        "page_scores": res.scores[res.page_rows],
        "page_offsets": res.page_offsets,
    }
    check = check_same("rank_many", ours, floors.balanced_many(w.batch, w.requests))
    final = res.scores[res.order]
    facts = {
        **w.facts,
        "requests": len(w.requests),
        "candidates_per_request": args.many_candidates,
        "rows": len(w.batch),
        "kept": int(res.kept.shape[0]),
        "page_rows": int(res.page_rows.shape[0]),
        "removed": dict(
            zip(
                res.removed_table,
                np.bincount(res.removed_codes, minlength=len(res.removed_table) + 1)[1:].tolist(),
                strict=True,
            )
        ),
        "exact_score_ties": int(np.sum(final[1:] == final[:-1])),
        "workload_build_s": build_s,
    }
    del res, ours, final

    def fr() -> Callable[[], object]:
        b = dataclasses.replace(w.batch)
        return lambda: pipe.rank_many(b, w.requests, w.offsets)

    def fl() -> Callable[[], object]:
        return lambda: floors.balanced_many(w.batch, w.requests)

    s = interleave([Task("feedrank", fr), Task("floor", fl)], args.many_repeats, warmup=0)
    out = {
        "workload": facts,
        "check": check,
        "timed": "Pipeline.rank_many(batch, requests, offsets), requests built beforehand; "
        "a fresh batch object each run",
        **_summary("rank_many", s["feedrank"], s["floor"], TARGETS["rank_many"], "s"),
    }
    rows = len(w.batch)
    out["feedrank_candidates_per_s"] = rows / (s["feedrank"].median_ns / 1e9)
    out["floor_candidates_per_s"] = rows / (s["floor"].median_ns / 1e9)
    if args.profile:
        b = dataclasses.replace(w.batch)
        out["profile"] = profile_top(lambda: pipe.rank_many(b, w.requests, w.offsets), 1)
    return out


# ------------------------------------------------------------------ report
def report(results: dict[str, Any]) -> None:
    names = {
        "reddit_hot": "one request, 1,000 candidates, reddit-hot, rank",
        "balanced": "one request, 1,000 candidates, balanced, Context.build + rank",
        "rank_many": "rank_many, balanced",
    }
    print(f"{'measure':<62} {'feedrank':>11} {'floor':>11} {'ratio':>7} {'target':>7}  status")
    for key, r in results.items():
        unit = "s" if key == "rank_many" else "ms"
        label = names[key]
        if key == "rank_many":
            wk = r["workload"]
            label += f", {wk['requests']:,} x {wk['candidates_per_request']}"
        rows = [(label, r)]
        if "reused_batch" in r:
            rows.append(("  the same batch reused for every run", r["reused_batch"]))
        if "full_sort_floor" in r:
            rows.append(("  against a floor that sorts every post", r["full_sort_floor"]))
        if "no_muted_words" in r:
            rows.append(("  (info) a viewer who mutes no words, fresh batch", r["no_muted_words"]))
        for text, x in rows:
            fr, fl = x["feedrank"][f"median_{unit}"], x["floor"][f"median_{unit}"]
            info = text.lstrip().startswith("(info)")
            target = "-" if info else f"{x['target_at_most']:g}x"
            status = "-" if info else ("met" if x["met"] else "NOT met")
            print(
                f"{text:<62} {fr:>8.3f} {unit:<2} {fl:>8.3f} {unit:<2} {x['ratio']:>6.2f}x "
                f"{target:>7}  {status}"
            )
    for key, r in results.items():
        c = r["check"]
        print(
            f"{key}: checked equal before timing ({c['equal']}; bit identical: "
            f"{c['bit_identical']}): {', '.join(c['compared'])}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=MEASURES, default=list(MEASURES))
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=400, help="interleaved rounds (one request)")
    parser.add_argument("--many-requests", type=int, default=10_000)
    parser.add_argument("--many-candidates", type=int, default=500)
    parser.add_argument("--many-repeats", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--pool-bits", type=int, default=18, help="rank_many pool: 2**bits posts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--profile", action="store_true", help="cProfile feedrank, top 15")
    args = parser.parse_args(argv)
    fns = {"reddit_hot": bench_reddit_hot, "balanced": bench_balanced, "rank_many": bench_rank_many}
    results: dict[str, Any] = {}
    for name in MEASURES:
        if name in args.only:
            print(f"-- {name}", flush=True)
            results[name] = fns[name](args)
    print()
    report(results)
    if args.profile:
        for name, r in results.items():
            print(f"\n== cProfile of feedrank, {name}\n{r['profile']}")
    if args.json is not None:
        payload = {"benchmark": "engine", "seed": args.seed, "machine": machine(), **results}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
