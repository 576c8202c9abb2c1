"""One request of 1,000,000 candidates (``balanced``): memory while ranking, and
the cost per candidate against 100,000 candidates.

The request is ``workloads.make_request(n)`` (the one of ``bench_engine.py``
scaled up: n/5 authors, a viewer with 50 follows, 5 muted words, 300
interactions); its context is built beforehand; ``Pipeline.rank`` gets a fresh
batch object (nothing derived from the batch is cached yet).

- **Memory**, each figure in a fresh Python process that builds the workload,
  then measures only ``rank``: the growth of the peak resident set size (the
  kernel's VmHWM, reset through ``/proc/self/clear_refs`` just before ``rank``,
  minus VmRSS then, after ``malloc_trim``) and, in another fresh process,
  tracemalloc's peak over ``rank`` (numpy reports its buffers, StringDType's
  strings included, to tracemalloc). Divided by the bytes of the input columns,
  those given to ``PostBatch.from_columns`` (ids, author_ids, created_at, counts,
  topics, labels, reply_to, text), as stored in the batch (StringDType text: its
  16-byte slots plus the characters of strings stored outside them); also
  reported against every column of the batch, the defaults it fills in
  included. Target: peak RSS growth <= 1.5x the input columns' bytes.
- **Cost per candidate**: CPU time (``time.thread_time_ns``) of ``rank`` at
  1,000,000 and at 100,000 candidates, interleaved, medians, divided by the
  number of candidates. Target: at 1,000,000 <= 1.3x that at 100,000.

    python benchmarks/bench_scale.py [--rows 1000000] [--base-rows 100000]
        [--rounds 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import dataclasses
import gc
import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import workloads as wl
from harness import Task, interleave, machine, profile_top

import feedrank
from feedrank import Context, PostBatch

HERE = Path(__file__).resolve().parent
TARGET_MEMORY = 1.5
TARGET_PER_CANDIDATE = 1.3
INPUT_COLUMNS = (
    "ids",
    "author_ids",
    "created_at",
    "counts",
    "topics",
    "labels",
    "reply_to",
    "text",
)
"""The columns ``workloads.batch_of`` gives to ``PostBatch.from_columns``."""


def column_bytes(batch: PostBatch) -> dict[str, int]:
    """Bytes of every column of the batch as stored."""
    out: dict[str, int] = {}
    for f in dataclasses.fields(batch):
        value = getattr(batch, f.name)
        if value is None:
            continue
        if isinstance(value, np.ndarray):
            size = int(value.nbytes)
            if isinstance(value.dtype, np.dtypes.StringDType) and value.size:
                length = np.strings.str_len(value)
                size += int(length[length > 15].sum())
            out[f.name] = size
        elif isinstance(value, feedrank.Tags):
            out[f.name] = int(value.indptr.nbytes + value.codes.nbytes)
        elif isinstance(value, dict):
            out[f.name] = int(sum(v.nbytes for v in value.values()))
    return out


def context_bytes(ctx: Context) -> int:
    return int(
        sum(
            getattr(ctx, name).nbytes
            for name in ("in_network", "seen", "affinity", "negative", "last_negative_at")
        )
        + ctx.social_proof_count.nbytes
    )


def build(n: int, seed: int) -> tuple[feedrank.Pipeline, PostBatch, Context, wl.Request]:
    req = wl.make_request(n, seed)
    ctx = Context.build(
        req.batch,
        now=wl.NOW,
        viewer=req.viewer,
        interactions=req.interactions,
        post_authors=req.post_authors,
    )
    return feedrank.preset("balanced"), req.batch, ctx, req


# ------------------------------------------------------------ memory (child)
def _status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) * 1024
    return out


def _trim() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def child(method: str, n: int, seed: int) -> dict[str, Any]:
    pipe, batch, ctx, _ = build(n, seed)
    fresh = dataclasses.replace(batch)
    cols = column_bytes(batch)
    gc.collect()
    _trim()
    if method == "rss":
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        before = _status()
        ranking = pipe.rank(fresh, ctx)
        after = _status()
        peak = after["VmHWM"] - before["VmRSS"]
        extra = {"rss_before": before["VmRSS"], "hwm_after": after["VmHWM"]}
    else:
        tracemalloc.start()
        ranking = pipe.rank(fresh, ctx)
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        extra = {"retained_after_rank": current}
    given = sum(cols[name] for name in INPUT_COLUMNS)
    stored = sum(cols.values())
    return {
        "method": method,
        "rows": n,
        "kept": int(ranking.kept.shape[0]),
        "peak_growth_bytes": int(peak),
        "column_bytes": cols,
        "input_column_bytes": given,
        "column_bytes_total": stored,
        "context_bytes": context_bytes(ctx),
        "ratio": peak / given,
        "ratio_all_columns": peak / stored,
        **extra,
    }


def run_child(method: str, n: int, seed: int) -> dict[str, Any]:
    argv = [sys.executable, str(HERE / "bench_scale.py"), "--child", method]
    argv += ["--rows", str(n), "--seed", str(seed)]
    proc = subprocess.run(argv, cwd=HERE, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# ------------------------------------------------------------------ timing
def timing(args: argparse.Namespace) -> dict[str, Any]:
    big = build(args.rows, args.seed)
    small = build(args.base_rows, args.seed)

    def task(parts: tuple[Any, PostBatch, Context, Any]) -> Callable[[], Callable[[], object]]:
        pipe, batch, ctx, _ = parts

        def setup() -> Callable[[], object]:
            b = dataclasses.replace(batch)
            return lambda: pipe.rank(b, ctx)

        return setup

    per_round = max(1, min(args.rows // args.base_rows, 4))
    s = interleave(
        [Task("big", task(big)), Task("small", task(small), per_round)], args.rounds, warmup=1
    )
    big_per = s["big"].median_ns / args.rows
    small_per = s["small"].median_ns / args.base_rows
    out = {
        "rows": args.rows,
        "base_rows": args.base_rows,
        "big": s["big"].to_dict("s"),
        "small": s["small"].to_dict("s"),
        "ns_per_candidate": {"rows": big_per, "base_rows": small_per},
        "ratio": big_per / small_per,
        "target_at_most": TARGET_PER_CANDIDATE,
        "met": big_per / small_per <= TARGET_PER_CANDIDATE,
    }
    if args.profile:
        pipe, batch, ctx, _ = big
        fresh = dataclasses.replace(batch)
        out["profile"] = profile_top(lambda: pipe.rank(fresh, ctx), 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--base-rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of timing")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--profile", action="store_true", help="cProfile one rank at --rows")
    parser.add_argument("--child", choices=("rss", "tracemalloc"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.seed)))
        return 0

    t0 = time.perf_counter()
    memory = {
        f"{method}_{label}": run_child(method, n, args.seed)
        for label, n in (("rows", args.rows), ("base_rows", args.base_rows))
        for method in ("rss", "tracemalloc")
    }
    rss = memory["rss_rows"]
    result = {
        "benchmark": "scale",
        "seed": args.seed,
        "memory": memory,
        "memory_ratio": rss["ratio"],
        "memory_target_at_most": TARGET_MEMORY,
        "memory_met": rss["ratio"] <= TARGET_MEMORY,
        "cost": timing(args),
        "wall_s": 0.0,
        "machine": machine(),
    }
    result["wall_s"] = time.perf_counter() - t0
    mib = 2**20
    print(f"one request, balanced, rank only; fresh process per memory figure; seed {args.seed}")
    for m in memory.values():
        print(
            f"  {m['rows']:>9,} candidates, {m['method']:<11}: peak growth "
            f"{m['peak_growth_bytes'] / mib:8.1f} MiB / input columns "
            f"{m['input_column_bytes'] / mib:7.1f} MiB = {m['ratio']:.2f}x (all columns "
            f"{m['column_bytes_total'] / mib:.1f} MiB: {m['ratio_all_columns']:.2f}x; "
            f"context arrays {m['context_bytes'] / mib:.1f} MiB)"
        )
    print(
        f"target: peak RSS growth <= {TARGET_MEMORY}x input column bytes at {args.rows:,}: "
        f"{'met' if result['memory_met'] else 'NOT met'} ({rss['ratio']:.2f}x)"
    )
    c = result["cost"]
    print(
        f"rank at {args.rows:,}: {c['big']['median_s']:.3f} s = "
        f"{c['ns_per_candidate']['rows']:.0f} ns/candidate; at {args.base_rows:,}: "
        f"{c['small']['median_s']:.4f} s = {c['ns_per_candidate']['base_rows']:.0f} ns/candidate"
    )
    print(
        f"target: cost per candidate <= {TARGET_PER_CANDIDATE}x that at {args.base_rows:,}: "
        f"{'met' if c['met'] else 'NOT met'} ({c['ratio']:.2f}x)"
    )
    if args.profile:
        print(f"\n== cProfile of one rank at {args.rows:,}\n{c['profile']}")
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
