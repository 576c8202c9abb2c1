"""Viewers' controls: does each control of ``balanced`` work, and what a choice costs.

Effectiveness (deterministic, :func:`feedrank.evaluate.control_effects`): on
``simulate(rng=seed, n_users=--users, n_posts=--posts, hours=72)`` for every
seed of ``--seeds``, the first ``--viewers`` people of each network make
``--requests`` requests of 20 posts in a row (each after the pages before are
seen), once as published and once with the control turned (numbers to their
minimum, switches off; for ``see_fewer`` the turn is hiding the first post of
the first page, measured with the filter on, as published, and off). The figure
is the share of the targeted exposure (Σ 1 / log2(1 + rank) over the served
pages of the posts the control is about) that the turn removes, pooled over all
people of all seeds, with a 95 % percentile bootstrap interval over people, and
per seed.

Cost of a choice: CPU time of the thread (``time.thread_time_ns``), interleaved
rounds, medians, of ``choose(balanced, choice)`` when the choice was seen
before (a cache hit) and when it was not (validating the effective spec), each
against ranking one request of the simulated network with ``balanced``.

    python benchmarks/bench_controls.py [--seeds 0,1,2,3,4] [--viewers 100]
                                        [--requests 5] [--repeats 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

from harness import Task, interleave, machine, ratio

import feedrank as fr
from feedrank.datasets import simulate
from feedrank.evaluate import control_effect, control_effects
from feedrank.spec import Choice, choose
from feedrank.spec import choice as choice_module


def effectiveness(args: argparse.Namespace) -> dict[str, Any]:
    seeds = [int(s) for s in args.seeds.split(",")]
    pipe = fr.preset("balanced")
    nets = [simulate(rng=s, n_users=args.users, n_posts=args.posts, hours=72.0) for s in seeds]
    options = {"viewers": args.viewers, "requests": args.requests}
    pooled = control_effects(pipe, nets, **options)
    pooled.append(control_effect(pipe, nets, "see_fewer", under={"see_fewer": False}, **options))
    per_seed = {}
    for seed, net in zip(seeds, nets, strict=True):
        rows = control_effects(pipe, net, **options)
        rows.append(control_effect(pipe, net, "see_fewer", under={"see_fewer": False}, **options))
        per_seed[str(seed)] = [{"setting": e.setting, "share": e.share} for e in rows]
    return {
        "seeds": seeds,
        "users": args.users,
        "posts": args.posts,
        "viewers_per_seed": args.viewers,
        "requests": args.requests,
        "spec_fingerprint": pipe.fingerprint,
        "pooled": [e.to_dict() for e in pooled],
        "per_seed": per_seed,
    }


def cost(args: argparse.Namespace) -> dict[str, Any]:
    pipe = fr.preset("balanced")
    net = simulate(rng=0, n_users=args.users, n_posts=args.posts, hours=72.0)
    batch = net.batch()
    ctx = net.context(net.viewers[0].id, batch)
    seen = Choice(settings={"interests": 0.5, "in_network": "off"})
    choose(pipe, seen)
    fresh = itertools.count()

    def new_choice() -> Any:
        # a choice not in the cache (its entry is dropped first), so this
        # validates the effective spec every time
        choice = Choice(settings={"interests": (next(fresh) % 8) * 0.5})
        choice_module._CACHE.pop((pipe.fingerprint, choice.key, ""), None)
        return lambda: choose(pipe, choice)

    s = interleave(
        [
            Task("choose_cached", lambda: lambda: choose(pipe, seen), runs_per_round=10),
            Task("choose_new", new_choice),
            Task("rank", lambda: lambda: pipe.rank(batch, ctx)),
        ],
        rounds=args.repeats,
    )
    return {
        "candidates": len(batch),
        "choose_cached": s["choose_cached"].to_dict(),
        "choose_new": s["choose_new"].to_dict(),
        "rank": s["rank"].to_dict(),
        "ratio_cached_to_rank": ratio(s["choose_cached"], s["rank"]),
        "ratio_new_to_rank": ratio(s["choose_new"], s["rank"]),
        "ratio_new_to_cached": ratio(s["choose_new"], s["choose_cached"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--posts", type=int, default=1500)
    parser.add_argument("--viewers", type=int, default=100)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = {
        "benchmark": "controls",
        "machine": machine(),
        "effectiveness": effectiveness(args),
        "cost": cost(args),
    }
    for e in result["effectiveness"]["pooled"]:
        print(
            f"{e['setting']:<55} {e['share']:7.1%}  [{e['low']:.1%}, {e['high']:.1%}]"
            f"  people {e['viewers']}"
        )
    c = result["cost"]
    print(
        f"choose: cached {c['choose_cached']['median_ms'] * 1000:.1f} us, new "
        f"{c['choose_new']['median_ms']:.3f} ms; rank one request ({c['candidates']} "
        f"candidates) {c['rank']['median_ms']:.3f} ms; cached/rank {c['ratio_cached_to_rank']:.4f}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
