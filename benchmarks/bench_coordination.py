"""Coordination detection: its accuracy and the discount's effect on planted
campaigns, and detection time on 1,000,000 interactions.

Figures (deterministic, from :func:`feedrank.coordination.experiment.campaign_report`):
on the simulator (``simulate(rng=seed, campaigns=Campaigns())``: 200 users,
1,000 posts, 72 h; two campaigns of 10 accounts boosting 6 posts each, a
brigade of 10 accounts reporting one author) for every seed of ``--seeds``:
account-level precision and recall of the default detection, the exposure of
campaign targets under ``balanced`` and ``balanced-coordination-aware``, the
overlap of the 100 most exposed organic posts, and the brigaded author's
exposure without the brigade, with it counted account by account, and with it
counted once.

Time: CPU time of the thread (``time.thread_time_ns``), interleaved rounds,
medians, of ``detect_coordination`` on a synthetic log of ``--interactions``
rows (string ids, bursty organic activity: heavy-tailed accounts and posts,
each post's actions decaying from its creation with a 2 h mean, plus planted
campaigns and brigades), against the floor every windowed detection pays: coding
the account and post ids (``np.unique``) and sorting the actions by post and time
(``np.lexsort``). The detection's precision and recall on that log are reported
too.

    python benchmarks/bench_coordination.py [--interactions 1000000] [--repeats 5]
                                            [--seeds 0,1,2,3,4] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from harness import Task, interleave, machine, ratio
from numpy.typing import NDArray

from feedrank.coordination import detect_coordination
from feedrank.coordination.experiment import campaign_report
from feedrank.datasets import simulate
from feedrank.datasets.campaigns import Campaigns

START_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
HOUR_US = 3_600_000_000


def synthetic_log(n: int, seed: int) -> dict[str, Any]:
    """About ``n`` interactions: organic (bursty, heavy-tailed) plus planted groups."""
    gen = np.random.default_rng(seed)
    n_acc, n_post = max(n // 10, 50), max(n // 20, 50)
    days = 7
    # planted: 1 campaign per 50k rows, 15 accounts, 20 targets, rate 0.8; brigades half as many
    n_camp = max(1, n // 50_000)
    n_brig = max(1, n_camp // 2)
    members = gen.permutation(n_acc)[: (n_camp + n_brig) * 15].reshape(-1, 15)
    created = START_US + gen.integers(0, days * 24 * HOUR_US, size=n_post)
    parts: list[tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]] = []
    planted_rows = 0
    for c in range(n_camp + n_brig):
        targets = gen.choice(n_post, size=20 if c < n_camp else 30, replace=False)
        for p in targets.tolist():
            start = int(created[p]) + int(gen.integers(0, HOUR_US))
            join = members[c][gen.random(15) < 0.8]
            at = start + gen.integers(0, 5 * 60_000_000, size=join.size)
            kind = np.full(join.size, "like" if c < n_camp else "report")
            parts.append((join, np.full(join.size, p), kind, at))
            planted_rows += join.size
    m = n - planted_rows
    account_weight = gen.pareto(1.5, size=n_acc) + 1.0
    post_weight = gen.pareto(1.2, size=n_post) + 1.0
    acc = gen.choice(n_acc, size=m, p=account_weight / account_weight.sum())
    post = gen.choice(n_post, size=m, p=post_weight / post_weight.sum())
    at = created[post] + (gen.exponential(2.0, size=m) * HOUR_US).astype(np.int64)
    kinds = np.array(["like", "repost", "reply", "view", "click", "report", "hide"])
    kind = kinds[gen.choice(len(kinds), size=m, p=[0.45, 0.12, 0.08, 0.25, 0.08, 0.01, 0.01])]
    parts.append((acc, post, kind, at))
    acc_all = np.concatenate([p[0] for p in parts])
    post_all = np.concatenate([p[1] for p in parts])
    order = gen.permutation(acc_all.shape[0])
    width = len(str(max(n_acc, n_post)))
    return {
        "accounts": np.char.add("acct", np.char.zfill(acc_all[order].astype(str), width)),
        "posts": np.char.add("post", np.char.zfill(post_all[order].astype(str), width)),
        "kinds": np.concatenate([p[2] for p in parts])[order],
        "times": np.concatenate([p[3] for p in parts]).astype(np.int64)[order],
        "planted": {f"acct{str(a).zfill(width)}" for a in members.reshape(-1).tolist()},
        "planted_rows": planted_rows,
        "accounts_n": n_acc,
        "posts_n": n_post,
    }


def floor(log: dict[str, Any]) -> object:
    """Code the ids and sort by (post, time): what any windowed detection pays."""
    _, a = np.unique(log["accounts"], return_inverse=True)
    _, p = np.unique(log["posts"], return_inverse=True)
    return np.lexsort((log["times"], p)), a


def figures(seeds: list[int]) -> list[dict[str, Any]]:
    rows = []
    for seed in seeds:
        r = campaign_report(simulate(rng=seed, campaigns=Campaigns()), simulate(rng=seed))
        rows.append(
            {
                "seed": seed,
                "precision": r.precision,
                "recall": r.recall,
                "groups": r.groups,
                "target_balanced": r.target_balanced,
                "target_aware": r.target_aware,
                "target_ratio": r.target_ratio,
                "organic_top100_overlap": r.organic_overlap,
                "brigaded_organic": r.brigaded_organic,
                "brigaded_raw": r.brigaded_raw,
                "brigaded_aware": r.brigaded_aware,
                "brigaded_restored": r.brigaded_restored,
            }
        )
    return rows


def bench(args: argparse.Namespace) -> dict[str, Any]:
    log = synthetic_log(args.interactions, args.seed)
    cols = (log["accounts"], log["posts"], log["kinds"], log["times"])
    fit = detect_coordination(*cols, rng=0)
    found = set(fit.account_ids.tolist())
    hits = len(found & log["planted"])
    s = interleave(
        [
            Task("detect", lambda: lambda: detect_coordination(*cols, rng=0)),
            Task("floor", lambda: lambda: floor(log)),
        ],
        args.repeats,
        warmup=1,
    )
    return {
        "machine": machine(),
        "workload": {
            "interactions": int(log["times"].shape[0]),
            "accounts": log["accounts_n"],
            "posts": log["posts_n"],
            "planted_rows": log["planted_rows"],
            "planted_accounts": len(log["planted"]),
        },
        "detection": {
            "detect_s": s["detect"].median_ns / 1e9,
            "floor_s": s["floor"].median_ns / 1e9,
            "ratio_detect_to_floor": ratio(s["detect"], s["floor"]),
            "groups": len(fit.groups),
            "precision": hits / len(found) if found else 1.0,
            "recall": hits / len(log["planted"]),
            "pairs": fit.summary["pairs"],
            "edges": fit.summary["edges"],
            "null_edges": fit.summary["null_edges"],
            "detect": s["detect"].to_dict("s"),
            "floor": s["floor"].to_dict("s"),
        },
        "figures": figures(args.seeds),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--seeds", type=lambda t: [int(x) for x in t.split(",")], default=[0, 1, 2, 3, 4]
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = bench(args)
    d, w = result["detection"], result["workload"]
    print(
        f"detect on {w['interactions']:,} interactions: {d['detect_s']:.2f} s CPU "
        f"(floor {d['floor_s']:.2f} s, {d['ratio_detect_to_floor']:.2f}x); "
        f"{d['groups']} groups, precision {d['precision']:.3f}, recall {d['recall']:.3f}, "
        f"{d['null_edges']} edges in the rewired log"
    )
    print(
        "| seed | precision | recall | target exposure balanced → aware | ratio "
        "| organic top-100 overlap | brigaded author: organic / raw / aware | restored |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in result["figures"]:
        print(
            f"| {r['seed']} | {r['precision']:.3f} | {r['recall']:.3f} "
            f"| {r['target_balanced']:.1f} → {r['target_aware']:.1f} | {r['target_ratio']:.3f} "
            f"| {r['organic_top100_overlap']:.2f} "
            f"| {r['brigaded_organic']:.1f} / {r['brigaded_raw']:.1f} / {r['brigaded_aware']:.1f} "
            f"| {r['brigaded_restored']:.3f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
