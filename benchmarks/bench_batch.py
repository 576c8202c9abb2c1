"""Building batches: ``PostBatch.from_columns`` on 1 million posts, ``from_posts``
from parsed JSON, and the peak memory of a 1-million-post batch.

- **from_columns**: 1,000,000 posts as numpy arrays (ids, authors, created_at,
  8 count kinds, 2 features, topics as a Tags table, reply_to), validated and
  stored; rows per second. Baseline in the same run: ``np.copy`` of the same
  input arrays (the cost of merely touching the bytes), so the ratio says how
  many copies' worth of time the validation costs.
- **from_posts**: 100,000 posts from ``json.loads`` dicts: ``Post.model_validate``
  per post (pydantic, the validating edge), then ``PostBatch.from_posts``; posts
  per second of each step and of both. Baseline: the ``json.loads`` itself.
- **memory**: tracemalloc's peak while ``from_columns`` builds the 1-million-post
  batch (inputs already allocated), divided by the batch's raw column bytes
  (the sum of ``nbytes`` of its arrays). numpy reports its allocations to
  tracemalloc.

    python benchmarks/bench_batch.py [--rows 1000000] [--posts 100000] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from bench_single_request import TOPICS, machine

from feedrank import Post, PostBatch
from feedrank.batch.tags import Tags

TARGET_ROWS_PER_S = 2_000_000.0
TARGET_MEMORY_RATIO = 1.3
KINDS = ("view", "like", "repost", "reply", "bookmark", "quote", "upvote", "downvote")


def make_columns(n: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    n_topics = rng.integers(0, 4, n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(n_topics, out=indptr[1:])
    # sorted, unique codes per row: pick from disjoint ranges of the vocabulary
    slot = np.arange(int(indptr[-1])) - np.repeat(indptr[:-1], n_topics)
    codes = slot * 6 + rng.integers(0, 6, int(indptr[-1]))
    return {
        "ids": np.char.add("post-", np.arange(n).astype(str)),
        "author_ids": np.char.add("user-", rng.integers(0, n // 10, n).astype(str)),
        "created_at": 1_770_000_000_000_000 + rng.integers(0, 96 * 3_600_000_000, n),
        "counts": {k: rng.poisson(20.0, n) for k in KINDS},
        "features": {"p_like": rng.random(n), "p_reply": rng.random(n)},
        "topics": Tags(TOPICS, indptr, codes.astype(np.int64)),
        "reply_to": np.where(rng.random(n) < 0.2, "post-1", ""),
    }


def input_copy(cols: dict[str, Any]) -> None:
    for value in cols.values():
        if isinstance(value, dict):
            for v in value.values():
                np.copy(v)
        elif isinstance(value, Tags):
            np.copy(value.indptr)
            np.copy(value.codes)
        else:
            np.copy(value)


def raw_bytes(batch: PostBatch) -> int:
    total = 0
    for name in batch.__dataclass_fields__:
        value = getattr(batch, name)
        if isinstance(value, np.ndarray):
            total += value.nbytes
        elif isinstance(value, Tags):
            total += value.indptr.nbytes + value.codes.nbytes
        elif isinstance(value, dict):
            total += sum(v.nbytes for v in value.values())
    return total


def best_of(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def make_json(n: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    posts = []
    for i in range(n):
        k = int(rng.integers(0, 4))
        posts.append(
            {
                "id": f"post-{i}",
                "author_id": f"user-{int(rng.integers(0, n // 10 + 1))}",
                "created_at": f"2026-02-{1 + i % 27:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
                "counts": {kind: int(rng.poisson(20)) for kind in KINDS[:4]},
                "features": {"p_like": float(rng.random())},
                "topics": [TOPICS[j] for j in rng.choice(len(TOPICS), k, replace=False)],
                "reply_to": "post-1" if i % 5 == 0 else None,
                "text": f"post number {i}",
            }
        )
    return json.dumps(posts)


def run(args: argparse.Namespace) -> dict[str, Any]:
    cols = make_columns(args.rows, args.seed)
    batch = PostBatch.from_columns(**cols)
    t_cols = best_of(lambda: PostBatch.from_columns(**cols), args.repeats)
    t_copy = best_of(lambda: input_copy(cols), args.repeats)

    del batch
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    batch = PostBatch.from_columns(**cols)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    raw = raw_bytes(batch)
    peak_bytes = peak - base
    kept_bytes = current - base

    text = make_json(args.posts, args.seed)
    t_json = best_of(lambda: json.loads(text), args.repeats)
    parsed = json.loads(text)
    t_validate = best_of(lambda: [Post.model_validate(d) for d in parsed], args.repeats)
    models = [Post.model_validate(d) for d in parsed]
    t_from_posts = best_of(lambda: PostBatch.from_posts(models), args.repeats)
    rate = args.rows / t_cols
    return {
        "benchmark": "batch",
        "rows": args.rows,
        "from_columns_s": t_cols,
        "from_columns_rows_per_s": rate,
        "input_copy_s": t_copy,
        "from_columns_vs_copy": t_cols / t_copy,
        "memory_peak_bytes": peak_bytes,
        "memory_batch_bytes": kept_bytes,
        "memory_raw_column_bytes": raw,
        "memory_peak_ratio": peak_bytes / raw,
        "posts": args.posts,
        "json_loads_s": t_json,
        "model_validate_s": t_validate,
        "from_posts_s": t_from_posts,
        "from_posts_posts_per_s": args.posts / t_from_posts,
        "validate_posts_per_s": args.posts / t_validate,
        "validate_and_from_posts_per_s": args.posts / (t_validate + t_from_posts),
        "json_loads_posts_per_s": args.posts / t_json,
        "targets": {
            "from_columns_rows_per_s_at_least": TARGET_ROWS_PER_S,
            "from_columns_met": rate >= TARGET_ROWS_PER_S,
            "memory_ratio_at_most": TARGET_MEMORY_RATIO,
            "memory_met": peak_bytes / raw <= TARGET_MEMORY_RATIO,
        },
    }


def report(r: dict[str, Any]) -> None:
    t = r["targets"]
    print(
        f"from_columns, {r['rows']:,} posts: {r['from_columns_s']:.3f} s = "
        f"{r['from_columns_rows_per_s']:,.0f} rows/s; copying the inputs takes "
        f"{r['input_copy_s']:.3f} s ({r['from_columns_vs_copy']:.1f}x)"
    )
    print(
        f"target: >= {TARGET_ROWS_PER_S:,.0f} rows/s: "
        f"{'met' if t['from_columns_met'] else 'NOT met'}"
    )
    print(
        f"memory: peak {r['memory_peak_bytes'] / 2**20:,.1f} MiB while building, batch "
        f"{r['memory_batch_bytes'] / 2**20:,.1f} MiB, raw columns "
        f"{r['memory_raw_column_bytes'] / 2**20:,.1f} MiB: {r['memory_peak_ratio']:.2f}x"
    )
    print(
        f"target: peak <= {TARGET_MEMORY_RATIO}x raw column bytes: "
        f"{'met' if t['memory_met'] else 'NOT met'}"
    )
    print(
        f"from_posts, {r['posts']:,} posts from parsed JSON: validate "
        f"{r['validate_posts_per_s']:,.0f} posts/s, from_posts {r['from_posts_posts_per_s']:,.0f} "
        f"posts/s, both {r['validate_and_from_posts_per_s']:,.0f} posts/s "
        f"(json.loads alone: {r['json_loads_posts_per_s']:,.0f} posts/s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    r = run(args)
    r["machine"] = machine()
    report(r)
    if args.json is not None:
        args.json.write_text(json.dumps(r, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
