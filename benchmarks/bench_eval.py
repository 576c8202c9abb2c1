"""``feedrank eval`` on big TREC files: reading a run and qrels and evaluating
trec_eval's default measures, feedrank against pytrec_eval with a plain Python
reader, side by side, with the values checked equal per query first.

- **Files** (deterministic from ``--seed``, written to a temporary directory):
  a run of Q queries x D documents (default 20,000 x 100), ``qid Q0 docno rank
  score feedrank`` with scores of float32 precision written by ``repr`` (up to
  17 significant digits, the way a Python ranker writes a tensor's scores;
  float32 values because pytrec_eval's trec_eval keeps scores in C floats, so
  both sides rank the same documents first; about 1% of queries have tied
  scores), and qrels of 10-30 judged documents per query with grades 0-3,
  mostly among the retrieved ones. 1 query in 50 is judged but not in the run,
  1 in 40 is in the run but not judged.
- **feedrank**: ``read_trec_qrels`` + ``read_trec_run`` + ``evaluate(run, qrels,
  DEFAULT_MEASURES)``, what ``feedrank eval`` does.
- **pytrec_eval** (pytrec-eval-terrier): the files read line by line (``split``,
  ``float``/``int``, a dict of dicts), then ``RelevanceEvaluator(qrels,
  measures).evaluate(run)`` for the same measures.

**Equality, before timing**: per query, the default measures and nDCG, nDCG@10
of both are equal (counts exactly, the rest within 1e-12).

**Time**: CPU time of the thread, both tasks interleaved round after round
(``harness.interleave``), medians; also each side's reading alone.
**Memory**: each measurement in a fresh Python process that imports numpy,
feedrank and pytrec_eval first, then does the work once: the growth of its peak
resident set over the peak after the imports (the kernel's VmHWM from
``/proc/self/status``; ``resource.getrusage(...).ru_maxrss`` where there is no
``/proc``: on Linux it starts from the peak of the process it was forked from).
Medians of three processes per side, measured before the timing.

    python benchmarks/bench_eval.py [--queries 20000] [--docs 100] [--repeats 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from harness import Task, interleave, machine, ratio

from feedrank.cli.eval import DEFAULT_MEASURES
from feedrank.evaluate.metrics import evaluate
from feedrank.evaluate.trec import read_trec_qrels, read_trec_run

HERE = Path(__file__).resolve().parent
TARGET_SPEEDUP = 3.0
PYTREC_MEASURES = {
    "num_q",
    "num_ret",
    "num_rel",
    "num_rel_ret",
    "map",
    "Rprec",
    "recip_rank",
    "P.5,10,15,20,30,100,200,500,1000",
}
CHECKED = [*DEFAULT_MEASURES.split(","), "ndcg", "ndcg_cut_10"]
COUNTS = {"num_q", "num_ret", "num_rel", "num_rel_ret"}


# ------------------------------------------------------------------- files
def write_files(directory: Path, queries: int, docs: int, seed: int) -> tuple[Path, Path]:
    """A run and qrels in ``directory`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    run_path, qrels_path = directory / "run.txt", directory / "qrels.txt"
    pool = 1_000_000
    with (
        run_path.open("w", encoding="ascii") as run,
        qrels_path.open("w", encoding="ascii") as qrels,
    ):
        for i in range(queries):
            qid = f"q{i}"
            ids = rng.choice(pool, docs + 20, replace=False).tolist()
            scores = rng.normal(5.0, 3.0, docs).astype(np.float32)
            if i % 97 == 0:
                scores[docs // 2 :: 7] = scores[docs // 2]  # ties
            order = np.argsort(-scores, kind="stable")
            if i % 50 != 0:
                run.write(
                    "".join(
                        f"{qid} Q0 doc{ids[j]} {rank} {float(scores[j])!r} feedrank\n"
                        for rank, j in enumerate(order.tolist(), start=1)
                    )
                )
            if i % 40 != 0:
                judged = rng.choice(docs + 20, int(rng.integers(10, 31)), replace=False)
                grades = rng.choice([0, 1, 1, 2, 3], judged.shape[0])
                qrels.write(
                    "".join(
                        f"{qid} 0 doc{ids[j]} {g}\n"
                        for j, g in zip(judged.tolist(), grades.tolist(), strict=True)
                    )
                )
    return run_path, qrels_path


# ------------------------------------------------------------- the two sides
def feedrank_eval(run_path: Path, qrels_path: Path, measures: str = DEFAULT_MEASURES) -> Any:
    qrels = read_trec_qrels(qrels_path)
    run = read_trec_run(run_path)
    return evaluate(run, qrels, measures)


def feedrank_read(run_path: Path, qrels_path: Path) -> Any:
    return read_trec_qrels(qrels_path), read_trec_run(run_path)


def plain_read(run_path: Path, qrels_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The files as pytrec_eval takes them, read the plain Python way."""
    qrels: dict[str, dict[str, int]] = {}
    with qrels_path.open(encoding="utf-8") as fh:
        for line in fh:
            q, _, d, rel = line.split()
            qrels.setdefault(q, {})[d] = int(rel)
    run: dict[str, dict[str, float]] = {}
    with run_path.open(encoding="utf-8") as fh:
        for line in fh:
            q, _, d, _, score, _ = line.split()
            run.setdefault(q, {})[d] = float(score)
    return qrels, run


def pytrec_eval_files(
    run_path: Path, qrels_path: Path, measures: set[str] = PYTREC_MEASURES
) -> Any:
    import pytrec_eval

    qrels, run = plain_read(run_path, qrels_path)
    return pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)


# ------------------------------------------------------------------ checks
def check_equal(run_path: Path, qrels_path: Path) -> dict[str, Any]:
    """Per-query values of both sides on CHECKED; raises on any difference."""
    mine = feedrank_eval(run_path, qrels_path, ",".join(CHECKED))
    theirs = pytrec_eval_files(run_path, qrels_path, {*PYTREC_MEASURES, "ndcg", "ndcg_cut.10"})
    queries = sorted(theirs)
    assert [str(q) for q in mine.query_ids.tolist()] == queries, "different query sets"
    worst = 0.0
    for name in CHECKED:
        a = np.asarray(mine.per_query[name], dtype=np.float64)
        b = np.array([theirs[q][name] for q in queries], dtype=np.float64)
        if name in COUNTS:
            assert np.array_equal(a, b), name
        else:
            worst = max(worst, float(np.max(np.abs(a - b))))
            assert np.allclose(a, b, rtol=0, atol=1e-12), name
    return {"queries_evaluated": len(queries), "measures": CHECKED, "max_abs_difference": worst}


# ------------------------------------------------------------------ memory
def child(side: str, run_path: Path, qrels_path: Path) -> dict[str, Any]:
    """Peak RSS growth of one evaluation, in this (fresh) process."""
    import pytrec_eval  # noqa: F401  (both sides import everything first)

    work: Callable[[Path, Path], Any] = feedrank_eval if side == "feedrank" else pytrec_eval_files
    gc.collect()
    before = peak_rss()
    result = work(run_path, qrels_path)
    after = peak_rss()
    queries = len(result) if isinstance(result, dict) else int(result.query_ids.shape[0])
    return {"side": side, "peak_growth_bytes": after - before, "queries": queries}


def peak_rss() -> int:
    """This process's peak resident set, in bytes: the kernel's VmHWM where there
    is a /proc (it belongs to this program's memory, while ``ru_maxrss`` keeps
    the peak of the parent it was forked from), else ``ru_maxrss``."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory(run_path: Path, qrels_path: Path, processes: int) -> dict[str, Any]:
    samples: dict[str, list[int]] = {"feedrank": [], "pytrec_eval": []}
    for _ in range(processes):
        for side in samples:
            argv = [sys.executable, str(HERE / "bench_eval.py"), "--child", side]
            argv += ["--run-file", str(run_path), "--qrels-file", str(qrels_path)]
            proc = subprocess.run(argv, cwd=HERE, capture_output=True, text=True, check=True)
            out = json.loads(proc.stdout.strip().splitlines()[-1])
            samples[side].append(int(out["peak_growth_bytes"]))
    return {
        side: {"median_bytes": int(np.median(s)), "samples_bytes": s} for side, s in samples.items()
    }


# ------------------------------------------------------------------- main
def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_path, qrels_path = write_files(Path(tmp), args.queries, args.docs, args.seed)
        out: dict[str, Any] = {
            "benchmark": "eval",
            "queries": args.queries,
            "docs_per_query": args.docs,
            "seed": args.seed,
            "run_bytes": run_path.stat().st_size,
            "qrels_bytes": qrels_path.stat().st_size,
            "measures": DEFAULT_MEASURES,
            "generate_s": time.perf_counter() - t0,
        }
        out["memory"] = memory(run_path, qrels_path, args.processes)  # the parent still small
        out["check"] = check_equal(run_path, qrels_path)

        def task(fn: Callable[[Path, Path], Any]) -> Callable[[], Callable[[], object]]:
            return lambda: lambda: fn(run_path, qrels_path)

        series = interleave(
            [
                Task("feedrank", task(feedrank_eval)),
                Task("pytrec_eval", task(pytrec_eval_files)),
                Task("feedrank_read", task(feedrank_read)),
                Task("plain_read", task(plain_read)),
            ],
            args.repeats,
            warmup=1,
        )
        out["time"] = {name: s.to_dict("s") for name, s in series.items()}
        out["speedup_vs_pytrec_eval"] = ratio(series["pytrec_eval"], series["feedrank"])
        out["read_speedup"] = ratio(series["plain_read"], series["feedrank_read"])
    mem = out["memory"]
    out["memory_ratio"] = mem["feedrank"]["median_bytes"] / max(
        1, mem["pytrec_eval"]["median_bytes"]
    )
    out["targets"] = {
        "speedup_vs_pytrec_eval_at_least": TARGET_SPEEDUP,
        "speedup_met": out["speedup_vs_pytrec_eval"] >= TARGET_SPEEDUP,
        "memory_below_pytrec_eval": out["memory_ratio"] < 1.0,
        "same_values": True,
    }
    return out


def report(r: dict[str, Any]) -> None:
    t, mem, mib = r["time"], r["memory"], 2**20
    print(
        f"eval: trec_eval's default measures over {r['queries']:,} queries x "
        f"{r['docs_per_query']} documents, from files (run {r['run_bytes'] / mib:.1f} MiB, "
        f"qrels {r['qrels_bytes'] / mib:.1f} MiB)"
    )
    c = r["check"]
    print(
        f"verified: same per-query values as pytrec_eval on {len(c['measures'])} measures, "
        f"{c['queries_evaluated']:,} queries (max |diff| {c['max_abs_difference']:.1e})"
    )
    for name, label in (
        ("feedrank", "feedrank, read + evaluate"),
        ("pytrec_eval", "pytrec_eval, plain reader + evaluate"),
        ("feedrank_read", "feedrank, reading alone"),
        ("plain_read", "plain reader alone"),
    ):
        print(f"{label:40s} {t[name]['median_s']:8.3f} s")
    for side in ("feedrank", "pytrec_eval"):
        print(f"{side + ', peak RSS growth':40s} {mem[side]['median_bytes'] / mib:8.1f} MiB")
    g = r["targets"]
    print(
        f"target: >= {TARGET_SPEEDUP:g}x pytrec_eval: {'met' if g['speedup_met'] else 'NOT met'} "
        f"({r['speedup_vs_pytrec_eval']:.2f}x; reading alone {r['read_speedup']:.2f}x); "
        f"memory below pytrec_eval: {'met' if g['memory_below_pytrec_eval'] else 'NOT met'} "
        f"({r['memory_ratio']:.2f}x)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds of timing")
    parser.add_argument("--processes", type=int, default=3, help="fresh processes per side")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--child", choices=("feedrank", "pytrec_eval"), help=argparse.SUPPRESS)
    parser.add_argument("--run-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--qrels-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.run_file, args.qrels_file)))
        return 0
    r = run(args)
    r["machine"] = machine()
    report(r)
    if args.json is not None:
        args.json.write_text(json.dumps(r, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
