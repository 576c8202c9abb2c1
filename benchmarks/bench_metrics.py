"""Ranking metrics: nDCG@10, MAP and MRR over Q queries x D documents (default
50,000 x 100), end to end from arrays, feedrank versus pytrec_eval (and ranx
when installed), with the values checked equal per query first.

- **feedrank**: ``Run(query_ids, doc_ids, scores)`` and ``Qrels(...)`` from the
  arrays, then ``evaluate(run, qrels, ["ndcg_cut_10", "map", "recip_rank"])``.
- **pytrec_eval** (pytrec-eval-terrier): the nested dicts it needs built from
  the same arrays, then ``RelevanceEvaluator(qrels, measures).evaluate(run)``;
  reported with and without building the dicts.
- **ranx** (optional): ``Qrels.from_dict``/``Run.from_dict`` and ``evaluate``.

Scores are random floats (no ties), so the tie convention does not matter;
every query has 10-30 judged documents with grades 0-3, most of them retrieved.

    python benchmarks/bench_metrics.py [--queries 50000] [--docs 100] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from bench_single_request import machine

from feedrank.evaluate.metrics import evaluate
from feedrank.evaluate.qrels import Qrels
from feedrank.evaluate.run import Run

MEASURES = ["ndcg_cut_10", "map", "recip_rank"]
TARGET_SPEEDUP = 5.0


def make_arrays(queries: int, docs: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    qids = np.char.add("q", np.arange(queries).astype(str))
    dids = np.char.add("d", np.arange(docs + 20).astype(str))
    run_q = np.repeat(qids, docs)
    run_d = np.tile(dids[:docs], queries)
    scores = rng.random(queries * docs)
    judged = rng.integers(10, 31, queries)
    qrel_q = np.repeat(qids, judged)
    # judged documents: mostly among the retrieved, a few not retrieved
    qrel_d = dids[rng.integers(0, docs + 20, int(judged.sum()))]
    grades = rng.choice([0, 1, 1, 2, 3], int(judged.sum()))
    # one judgement per (query, doc)
    key = np.char.add(np.char.add(qrel_q, "|"), qrel_d)
    _, first = np.unique(key, return_index=True)
    first.sort()
    return {
        "run": (run_q, run_d, scores),
        "qrels": (qrel_q[first], qrel_d[first], grades[first]),
    }


def feedrank_eval(data: dict[str, Any]) -> Any:
    return evaluate(Run(*data["run"]), Qrels(*data["qrels"]), MEASURES)


def to_dicts(data: dict[str, Any]) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
    qrels: dict[str, dict[str, int]] = {}
    for q, d, g in zip(*(a.tolist() for a in data["qrels"]), strict=True):
        qrels.setdefault(q, {})[d] = g
    run: dict[str, dict[str, float]] = {}
    for q, d, s in zip(*(a.tolist() for a in data["run"]), strict=True):
        run.setdefault(q, {})[d] = s
    return qrels, run


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def run(args: argparse.Namespace) -> dict[str, Any]:
    import pytrec_eval

    data = make_arrays(args.queries, args.docs, args.seed)
    out: dict[str, Any] = {
        "benchmark": "metrics",
        "queries": args.queries,
        "docs_per_query": args.docs,
        "measures": MEASURES,
    }
    fr_times, py_times, py_eval_times = [], [], []
    fr_res: Any = None
    py_res: Any = None
    for _ in range(args.repeats):
        t, fr_res = timed(lambda: feedrank_eval(data))
        fr_times.append(t)
        t_dict, dicts = timed(lambda: to_dicts(data))
        t_eval, py_res = timed(
            lambda d=dicts: pytrec_eval.RelevanceEvaluator(d[0], set(MEASURES)).evaluate(d[1])
        )
        py_times.append(t_dict + t_eval)
        py_eval_times.append(t_eval)
    # same values, per query
    order = sorted(py_res)
    fr_queries = [str(q) for q in fr_res.query_ids.tolist()]
    assert fr_queries == order, "different query sets"
    worst = 0.0
    for m in MEASURES:
        mine = np.asarray(fr_res.per_query[m], dtype=np.float64)
        theirs = np.array([py_res[q][m] for q in order])
        worst = max(worst, float(np.max(np.abs(mine - theirs))) if mine.size else 0.0)
        assert np.allclose(mine, theirs, rtol=0, atol=1e-12), m
    out.update(
        {
            "feedrank_s": float(np.median(fr_times)),
            "pytrec_eval_s": float(np.median(py_times)),
            "pytrec_eval_evaluate_only_s": float(np.median(py_eval_times)),
            "max_abs_difference": worst,
        }
    )
    out["speedup_vs_pytrec_eval"] = out["pytrec_eval_s"] / out["feedrank_s"]
    out["speedup_vs_pytrec_eval_evaluate_only"] = (
        out["pytrec_eval_evaluate_only_s"] / out["feedrank_s"]
    )
    try:
        import ranx
    except ImportError:
        out["ranx"] = "not installed"
    else:
        qrels_d, run_d = to_dicts(data)
        t, _ = timed(
            lambda: ranx.evaluate(
                ranx.Qrels.from_dict(qrels_d), ranx.Run.from_dict(run_d), ["ndcg@10", "map", "mrr"]
            )
        )
        out["ranx_s"] = t
        out["speedup_vs_ranx"] = t / out["feedrank_s"]
    out["targets"] = {
        "speedup_vs_pytrec_eval_at_least": TARGET_SPEEDUP,
        "speedup_met": out["speedup_vs_pytrec_eval"] >= TARGET_SPEEDUP,
        "same_values": True,
    }
    return out


def report(r: dict[str, Any]) -> None:
    print(
        f"metrics: {', '.join(MEASURES)} over {r['queries']:,} queries x "
        f"{r['docs_per_query']} documents, end to end from arrays"
    )
    print(
        f"verified: same per-query values as pytrec_eval (max |diff| {r['max_abs_difference']:.1e})"
    )
    print(f"feedrank       {r['feedrank_s']:8.3f} s")
    print(
        f"pytrec_eval    {r['pytrec_eval_s']:8.3f} s (evaluate alone "
        f"{r['pytrec_eval_evaluate_only_s']:.3f} s, the rest builds its dicts)"
    )
    if "ranx_s" in r:
        print(f"ranx           {r['ranx_s']:8.3f} s")
    else:
        print("ranx           not installed")
    met = r["targets"]["speedup_met"]
    print(
        f"target: >= {TARGET_SPEEDUP:g}x pytrec_eval: {'met' if met else 'NOT met'} "
        f"({r['speedup_vs_pytrec_eval']:.1f}x end to end, "
        f"{r['speedup_vs_pytrec_eval_evaluate_only']:.1f}x against its evaluate call alone)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=50_000)
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=5)
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
