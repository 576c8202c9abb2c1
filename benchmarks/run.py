"""Run every benchmark and print each figure with its baseline and ratio.

Each benchmark runs in its own Python process (so one's memory does not weigh on
the next) and writes its full results, every sample included, as JSON; this
script gathers them into one file (default ``benchmarks/results.json``) and
prints the summary table that ``benchmarks/README.md`` quotes.

    python benchmarks/run.py [--quick] [--only NAME ...] [--out PATH]

``--quick`` runs reduced sizes (a smoke test of the harness, not the figures
the targets are about) and writes its results to a temporary file, never to
``benchmarks/results.json``, unless ``--out`` says where.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

FULL: dict[str, list[str]] = {
    "single_request": [
        "bench_single_request.py",
        "--candidates",
        "1000",
        "--repeats",
        "400",
        "--baseline-repeats",
        "40",
    ],
    "rank_many": ["bench_rank_many.py", "--requests", "10000", "--candidates", "500"],
    "batch": ["bench_batch.py", "--rows", "1000000", "--posts", "100000"],
    "metrics": ["bench_metrics.py", "--queries", "50000", "--docs", "100"],
    "eval": ["bench_eval.py", "--queries", "20000", "--docs", "100", "--repeats", "5"],
    "engine": ["bench_engine.py", "--repeats", "400", "--many-repeats", "5", "--profile"],
    "scale": ["bench_scale.py", "--rows", "1000000", "--base-rows", "100000", "--profile"],
    "import": ["bench_import.py", "--repeats", "30"],
    "audit": ["bench_audit.py", "--repeats", "100", "--records", "1000"],
    "coordination": ["bench_coordination.py", "--interactions", "1000000", "--repeats", "5"],
    "controls": ["bench_controls.py", "--viewers", "60", "--repeats", "200"],
    "rerank": ["bench_rerank.py", "--candidates", "1000", "--k", "50", "--repeats", "200"],
    "serve": ["bench_serve.py", "--requests", "3000", "--clients", "50", "--max-seconds", "60"],
}
QUICK: dict[str, list[str]] = {
    "single_request": ["bench_single_request.py", "--repeats", "40", "--baseline-repeats", "4"],
    "rank_many": ["bench_rank_many.py", "--requests", "300", "--repeats", "1", "--verify", "5"],
    "batch": ["bench_batch.py", "--rows", "100000", "--posts", "5000", "--repeats", "1"],
    "metrics": ["bench_metrics.py", "--queries", "2000"],
    "eval": ["bench_eval.py", "--queries", "2000", "--repeats", "2", "--processes", "1"],
    "engine": [
        "bench_engine.py",
        "--repeats",
        "40",
        "--many-requests",
        "300",
        "--pool-bits",
        "15",
        "--many-repeats",
        "2",
    ],
    "scale": ["bench_scale.py", "--rows", "100000", "--base-rows", "10000", "--rounds", "2"],
    "import": ["bench_import.py", "--repeats", "5"],
    "audit": ["bench_audit.py", "--repeats", "20", "--records", "100"],
    "coordination": [
        "bench_coordination.py",
        "--interactions",
        "50000",
        "--repeats",
        "1",
        "--seeds",
        "0",
    ],
    "controls": [
        "bench_controls.py",
        "--seeds",
        "0",
        "--users",
        "60",
        "--posts",
        "400",
        "--viewers",
        "10",
        "--repeats",
        "10",
    ],
    "rerank": ["bench_rerank.py", "--repeats", "20"],
    "serve": ["bench_serve.py", "--requests", "200", "--bodies", "9", "--max-seconds", "10"],
}


def run_one(name: str, argv: list[str], tmp: Path) -> dict[str, Any]:
    out = tmp / f"{name}.json"
    print(f"== {name}: python {' '.join(argv)}", flush=True)
    proc = subprocess.run(
        [sys.executable, str(HERE / argv[0]), *argv[1:], "--json", str(out)], cwd=HERE
    )
    if proc.returncode != 0:
        return {"benchmark": name, "error": f"exit status {proc.returncode}"}
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def rows(results: dict[str, dict[str, Any]]) -> list[tuple[str, str, str, str, str, str]]:
    """(figure, feedrank, baseline, ratio, target, met) for the summary table."""
    table = []
    s = results.get("single_request", {})
    if "results" in s:
        med = {(r["implementation"], r["stage"]): r["median_ms"] for r in s["results"]}
        fr, py = med[("feedrank", "context + rank")], med[("pure Python", "context + rank")]
        table.append(
            (
                "one request, 1,000 candidates: median latency",
                f"{fr:.3f} ms",
                f"pure Python {py:.3f} ms",
                f"{py / fr:.1f}x",
                "< 0.5 ms",
                _yes(fr < 0.5),
            )
        )
        table.append(
            (
                "  speed-up over pure Python (context + rank)",
                f"{fr:.3f} ms",
                f"{py:.3f} ms",
                f"{py / fr:.1f}x",
                ">= 30x",
                _yes(py / fr >= 30),
            )
        )
        fr_r, py_r = med[("feedrank", "rank only")], med[("pure Python", "rank only")]
        table.append(
            (
                "  rank only (context built beforehand)",
                f"{fr_r:.3f} ms",
                f"pure Python {py_r:.3f} ms",
                f"{py_r / fr_r:.1f}x",
                "-",
                "-",
            )
        )
    m = results.get("rank_many", {})
    if "rank_many_s" in m:
        table.append(
            (
                f"rank_many {m['requests']:,} x {m['candidates_per_request']}: candidates/s",
                f"{m['rank_many_candidates_per_s']:,.0f}/s",
                f"loop rank {m['loop_rank_candidates_per_s']:,.0f}/s",
                "-",
                ">= 1,000,000/s",
                _yes(m["targets"]["rate_met"]),
            )
        )
        table.append(
            (
                "  rank_many vs looping rank",
                f"{m['rank_many_s']:.3f} s",
                f"loop {m['loop_rank_s']:.3f} s",
                f"{m['speedup_vs_loop']:.1f}x",
                ">= 10x",
                _yes(m["targets"]["speedup_met"]),
            )
        )
        table.append(
            (
                "  rank_many vs fused numpy (floor)",
                f"{m['rank_many_s']:.3f} s",
                f"floor {m['fused_numpy_s']:.3f} s",
                f"{m['time_vs_floor']:.2f}x the time",
                "<= 2x",
                _yes(m["targets"]["floor_met"]),
            )
        )
    b = results.get("batch", {})
    if "from_columns_s" in b:
        table.append(
            (
                f"PostBatch.from_columns, {b['rows']:,} posts",
                f"{b['from_columns_rows_per_s']:,.0f} rows/s",
                f"np.copy of inputs {b['input_copy_s']:.3f} s",
                f"{b['from_columns_vs_copy']:.1f}x the copy",
                ">= 2,000,000/s",
                _yes(b["targets"]["from_columns_met"]),
            )
        )
        table.append(
            (
                f"PostBatch.from_posts, {b['posts']:,} parsed JSON posts",
                f"{b['validate_and_from_posts_per_s']:,.0f} posts/s (validate + build)",
                f"json.loads {b['json_loads_posts_per_s']:,.0f} posts/s",
                f"from_posts alone {b['from_posts_posts_per_s']:,.0f}/s",
                "report",
                "-",
            )
        )
        table.append(
            (
                "memory: peak while building / raw column bytes",
                f"{b['memory_peak_bytes'] / 2**20:,.1f} MiB",
                f"raw {b['memory_raw_column_bytes'] / 2**20:,.1f} MiB",
                f"{b['memory_peak_ratio']:.2f}x",
                "<= 1.3x",
                _yes(b["targets"]["memory_met"]),
            )
        )
    e = results.get("metrics", {})
    if "feedrank_s" in e:
        table.append(
            (
                f"metrics nDCG@10+MAP+MRR, {e['queries']:,} x {e['docs_per_query']}",
                f"{e['feedrank_s']:.3f} s",
                f"pytrec_eval {e['pytrec_eval_s']:.3f} s",
                f"{e['speedup_vs_pytrec_eval']:.1f}x",
                ">= 5x, same values",
                _yes(e["targets"]["speedup_met"]),
            )
        )
        if "ranx_s" in e:
            table.append(
                (
                    "  vs ranx",
                    f"{e['feedrank_s']:.3f} s",
                    f"ranx {e['ranx_s']:.3f} s",
                    f"{e['speedup_vs_ranx']:.1f}x",
                    "-",
                    "-",
                )
            )
        else:
            table.append(("  vs ranx", "-", "not installed", "-", "-", "-"))
    table.extend(_eval_rows(results.get("eval", {})))
    table.extend(_engine_rows(results.get("engine", {})))
    table.extend(_scale_rows(results.get("scale", {})))
    table.extend(_audit_rows(results.get("audit", {})))
    table.extend(_coordination_rows(results.get("coordination", {})))
    table.extend(_controls_rows(results.get("controls", {})))
    table.extend(_rerank_rows(results.get("rerank", {})))
    table.extend(_serve_rows(results.get("serve", {})))
    i = results.get("import", {})
    if "ratio" in i:
        med = i["median_ms"]
        table.append(
            (
                "import feedrank (fresh interpreter, CPU)",
                f"{med['feedrank']:.1f} ms",
                f"import numpy {med['numpy']:.1f} ms",
                f"{i['ratio']:.2f}x",
                f"<= {i['target_at_most']:g}x",
                _yes(i["met"]),
            )
        )
    return table


def _eval_rows(e: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    if "time" not in e:
        return []
    t, mem, mib = e["time"], e["memory"], 2**20
    g = e["targets"]
    return [
        (
            f"feedrank eval: read run + qrels, default measures, {e['queries']:,} x "
            f"{e['docs_per_query']}",
            f"{t['feedrank']['median_s']:.3f} s",
            f"pytrec_eval + plain reader {t['pytrec_eval']['median_s']:.3f} s",
            f"{e['speedup_vs_pytrec_eval']:.1f}x",
            f">= {g['speedup_vs_pytrec_eval_at_least']:g}x, same values",
            _yes(g["speedup_met"]),
        ),
        (
            "  peak RSS growth, fresh process each",
            f"{mem['feedrank']['median_bytes'] / mib:,.1f} MiB",
            f"pytrec_eval {mem['pytrec_eval']['median_bytes'] / mib:,.1f} MiB",
            f"{e['memory_ratio']:.2f}x",
            "< 1x",
            _yes(g["memory_below_pytrec_eval"]),
        ),
    ]


def _engine_rows(e: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    out = []
    labels = {
        "reddit_hot": ("one request, 1,000 candidates, reddit-hot: rank", "ms"),
        "balanced": ("one request, 1,000, balanced: Context.build + rank", "ms"),
        "rank_many": ("rank_many, balanced", "s"),
    }
    for key, (label, unit) in labels.items():
        if key not in e:
            continue
        r = e[key]
        if key == "rank_many":
            w = r["workload"]
            label += f", {w['requests']:,} x {w['candidates_per_request']}"
        parts = [(label, r)]
        if "reused_batch" in r:
            parts.append(("  the same batch reused for every run", r["reused_batch"]))
        if "full_sort_floor" in r:
            parts.append(("  against a floor that sorts every post", r["full_sort_floor"]))
        if "no_muted_words" in r:
            parts.append(("  (info) viewer muting no words", r["no_muted_words"]))
        for text, x in parts:
            info = text.lstrip().startswith("(info)")
            out.append(
                (
                    text,
                    f"{x['feedrank'][f'median_{unit}']:.3f} {unit}",
                    f"numpy floor {x['floor'][f'median_{unit}']:.3f} {unit}",
                    f"{x['ratio']:.2f}x",
                    "-" if info else f"<= {x['target_at_most']:g}x",
                    "-" if info else _yes(x["met"]),
                )
            )
    return out


def _scale_rows(s: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    if "memory" not in s:
        return []
    mib = 2**20
    rss, tm = s["memory"]["rss_rows"], s["memory"]["tracemalloc_rows"]
    c = s["cost"]
    return [
        (
            f"{rss['rows']:,} candidates, balanced: peak RSS growth in rank",
            f"{rss['peak_growth_bytes'] / mib:,.1f} MiB",
            f"input columns {rss['input_column_bytes'] / mib:,.1f} MiB",
            f"{rss['ratio']:.2f}x",
            f"<= {s['memory_target_at_most']:g}x",
            _yes(s["memory_met"]),
        ),
        (
            "  tracemalloc peak in rank",
            f"{tm['peak_growth_bytes'] / mib:,.1f} MiB",
            f"input columns {tm['input_column_bytes'] / mib:,.1f} MiB",
            f"{tm['ratio']:.2f}x",
            "-",
            "-",
        ),
        (
            f"  cost per candidate, {c['rows']:,} vs {c['base_rows']:,}",
            f"{c['ns_per_candidate']['rows']:,.0f} ns",
            f"{c['ns_per_candidate']['base_rows']:,.0f} ns",
            f"{c['ratio']:.2f}x",
            f"<= {c['target_at_most']:g}x",
            _yes(c["met"]),
        ),
    ]


def _audit_rows(a: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    if "append" not in a:
        return []
    ap, cp, pr = a["append"], a["checkpoint"], a["prove"]
    w = a["workload"]
    return [
        (
            f"decision-log append, {w['candidates']:,} candidates ({w['record_bytes']:,} B)",
            f"{ap['append_ms']:.3f} ms",
            f"rank {ap['rank_ms']:.3f} ms",
            f"{ap['ratio_append_to_rank']:.2f}x",
            "-",
            "-",
        ),
        (
            f"  Merkle tree of {w['records']:,} records / signed checkpoint, per record",
            f"{cp['tree_us_per_record']:.0f} us / {cp['checkpoint_us_per_record']:.0f} us",
            "-",
            "-",
            "-",
            "-",
        ),
        (
            "  receipt: prove / verify offline",
            f"{pr['prove_ms']:.1f} ms / {pr['verify_receipt_ms']:.2f} ms",
            "-",
            "-",
            "-",
            "-",
        ),
    ]


def _coordination_rows(c: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    if "detection" not in c:
        return []
    d, n = c["detection"], c["workload"]["interactions"]
    figures = c["figures"]
    worst_ratio = max(f["target_ratio"] for f in figures)
    worst_overlap = min(f["organic_top100_overlap"] for f in figures)
    worst_p = min(f["precision"] for f in figures)
    worst_r = min(f["recall"] for f in figures)
    return [
        (
            f"coordination detection, {n:,} interactions (CPU)",
            f"{d['detect_s']:.2f} s",
            f"code + sort floor {d['floor_s']:.2f} s",
            f"{d['ratio_detect_to_floor']:.2f}x the floor",
            "<= 10 s",
            _yes(d["detect_s"] <= 10),
        ),
        (
            f"  planted campaigns, {len(figures)} seeds: worst precision / recall",
            f"{worst_p:.3f} / {worst_r:.3f}",
            "-",
            "-",
            ">= 0.9 each",
            _yes(worst_p >= 0.9 and worst_r >= 0.9),
        ),
        (
            "  campaign targets' exposure, aware / balanced (worst seed)",
            f"{worst_ratio:.3f}",
            "-",
            "-",
            "<= 0.5",
            _yes(worst_ratio <= 0.5),
        ),
        (
            "  organic top-100 overlap (worst seed)",
            f"{worst_overlap:.2f}",
            "-",
            "-",
            ">= 0.9",
            _yes(worst_overlap >= 0.9),
        ),
    ]


def _controls_rows(c: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    if "effectiveness" not in c:
        return []
    e, cost = c["effectiveness"], c["cost"]
    table = [
        (
            f"balanced's controls: targeted exposure removed ({len(e['seeds'])} seeds)",
            "-",
            "-",
            "-",
            "report",
            "-",
        )
    ]
    for row in e["pooled"]:
        table.append(
            (
                f"  {row['setting']}",
                f"{row['share']:.1%}",
                f"95% CI {row['low']:.1%} to {row['high']:.1%}",
                "-",
                "report",
                "-",
            )
        )
    table.append(
        (
            f"  choose(spec, choice), cached, vs ranking {cost['candidates']} candidates",
            f"{cost['choose_cached']['median_ms'] * 1000:.1f} us",
            f"rank {cost['rank']['median_ms']:.3f} ms",
            f"{cost['ratio_cached_to_rank']:.4f}x",
            "<= 0.05x",
            _yes(cost["ratio_cached_to_rank"] <= 0.05),
        )
    )
    table.append(
        (
            "  choose(spec, choice), a new choice (validates the effective spec)",
            f"{cost['choose_new']['median_ms']:.3f} ms",
            f"rank {cost['rank']['median_ms']:.3f} ms",
            f"{cost['ratio_new_to_rank']:.2f}x",
            "report",
            "-",
        )
    )
    return table


def _rerank_rows(r: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    if "median_ms" not in r:
        return []
    ms, w, t = r["median_ms"], r["workload"], r["targets"]
    return [
        (
            f"{name.upper()} re-ranker, {w['candidates']:,} candidates choosing {w['k']} (CPU)",
            f"{ms[f'{name} stage']:.3f} ms",
            f"numpy floor {ms[f'{name} floor']:.3f} ms",
            f"{r['stage_vs_floor'][name]:.2f}x the floor",
            f"<= {t[f'{name}_at_most_ms']:g} ms",
            _yes(t[f"{name}_met"]),
        )
        for name in ("dpp", "mmr")
    ]


def _serve_rows(s: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    if "offered" not in s:
        return []
    o, sat = s["offered"], s["saturated"]
    return [
        (
            f"feedrank serve /rank, {s['items']} items, {s['clients']} clients at "
            f"{o['offered_rate_per_s']:g}/s: p50 / p95 / p99",
            f"{o['p50_ms']:.1f} / {o['p95_ms']:.1f} / {o['p99_ms']:.1f} ms",
            f"in process {s['in_process_cpu_median_ms']:.2f} ms CPU",
            f"p50 {s['p50_vs_in_process']:.2f}x",
            f"p95 <= {s['target_p95_ms']:g} ms, 0 errors",
            _yes(s["met"]),
        ),
        (
            f"  saturation ({s['clients']} clients, closed loop): throughput, p95",
            f"{sat['throughput_per_s']:.0f}/s, p95 {sat['p95_ms']:.0f} ms",
            f"{o['errors'] + sat['errors']} errors",
            "-",
            "report",
            "-",
        ),
    ]


def _yes(flag: bool) -> str:
    return "met" if flag else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes (smoke test)")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="default: benchmarks/results.json (full run), a temporary file (--quick)",
    )
    parser.add_argument("--only", nargs="*", default=None, help="run only these benchmarks")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.out is None:
        args.out = (
            Path(tempfile.gettempdir()) / "feedrank-bench-quick.json"
            if args.quick
            else HERE / "results.json"
        )
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, cmd in plan.items():
            if args.only and name not in args.only:
                continue
            results[name] = run_one(name, cmd, Path(tmp))
            print()
    table = rows(results)
    header = ("figure", "feedrank", "baseline", "ratio", "target", "status")
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(6)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for r in table:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
    payload = {
        "quick": args.quick,
        "summary": [dict(zip(header, r, strict=True)) for r in table],
        "benchmarks": results,
    }
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    failed = [n for n, r in results.items() if "error" in r]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
