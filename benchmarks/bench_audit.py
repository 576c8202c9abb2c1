"""What a transparency log costs: appending a record, checkpointing, proving.

Side by side in one run, CPU time of the thread (``time.thread_time_ns``),
interleaved rounds, medians:

- ``append``: ``DecisionLog.append`` of one request (1,000 candidates,
  ``balanced``, the viewer and log of ``bench_engine.py``; the request sealed
  with AES-256-GCM, the record signed with Ed25519) against ranking that same
  request (``Context.build`` + ``Pipeline.rank``). The log syncs nothing
  (``fsync="never"``): the figure is the CPU cost of writing a record; what a
  sync to disk adds depends on the disk. Reported: append / rank.
- ``checkpoint``: the leaf hashes and root of a log of ``--records`` records
  (``leaf_hashes`` + ``root``) per record, and a whole signed checkpoint
  (``checkpoint_log``, which also verifies every record first) per record.
- ``prove``: a receipt (``prove``) and its offline check (``verify_receipt``).

    python benchmarks/bench_audit.py [--repeats 200] [--records 2000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import workloads as wl
from harness import Task, interleave, machine, ratio

import feedrank
from feedrank import Context
from feedrank.audit import DecisionLog
from feedrank.audit.keys import keygen, load_public_key, load_signing_key
from feedrank.audit.logtree import checkpoint_log, leaf_hashes
from feedrank.audit.merkle import root
from feedrank.audit.receipts import prove, verify_receipt

KEY = bytes.fromhex("5f1c0e9a7b3d2c4e6a8b0d1f3e5c7a9b2d4f6e8a0c1b3d5f7e9a2c4b6d8f0e1a")
DATA_KEY = bytes.fromhex("a3e07c51d94b28f6e1c05a7d3b9f42e8c61d0b5a97f3e28c4d1a6b0e59c7f312")


def bench(args: argparse.Namespace) -> dict[str, Any]:
    req = wl.make_request(1000, args.seed)
    pipe = feedrank.preset("balanced")

    def ranked() -> tuple[feedrank.Ranking, Context]:
        ctx = Context.build(
            req.batch,
            now=wl.NOW,
            viewer=req.viewer,
            interactions=req.interactions,
            post_authors=req.post_authors,
        )
        return pipe.rank(req.batch, ctx), ctx

    ranking, ctx = ranked()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "decisions.jsonl"
        keys = Path(tmp) / "keys"
        keygen(keys, name="bench.example/feed")
        signing = load_signing_key(keys / "signing.key")
        public = load_public_key(keys / "signing.pub")
        log = DecisionLog(path, key=KEY, data_key=DATA_KEY, fsync="never", signing_key=signing)
        log.append(ranking, ctx)
        record_bytes = path.stat().st_size
        tasks = [
            Task("rank", lambda: ranked),
            Task("append", lambda: lambda: log.append(ranking, ctx)),
        ]
        s = interleave(tasks, args.repeats, warmup=5)
        log.close()

        # A log of --records records, checkpointed and proved.
        big = Path(tmp) / "big.jsonl"
        with DecisionLog(
            big, key=KEY, data_key=DATA_KEY, fsync="never", signing_key=signing
        ) as many:
            for _ in range(args.records):
                many.append(ranking, ctx)
        note = checkpoint_log(big, signing, origin="bench.example/feed")
        receipt = prove(big, args.records // 2, note).to_json()
        verify_receipt(receipt, public)
        rounds = max(args.repeats // 40, 3)
        t = interleave(
            [
                Task("tree", lambda: lambda: root(leaf_hashes(big))),
                Task(
                    "checkpoint",
                    lambda: lambda: checkpoint_log(big, signing, origin="bench.example/feed"),
                ),
                Task("prove", lambda: lambda: prove(big, args.records // 2, note)),
                Task("verify_receipt", lambda: lambda: verify_receipt(receipt, public)),
            ],
            rounds,
            warmup=1,
        )
        log_bytes = big.stat().st_size
    n = args.records
    return {
        "workload": {
            "candidates": 1000,
            "preset": "balanced",
            "record_bytes": record_bytes,
            "records": n,
            "log_bytes": log_bytes,
            "receipt_bytes": len(receipt.encode()),
            "fsync": "never",
        },
        "append": {
            "rank_ms": s["rank"].median_ns / 1e6,
            "append_ms": s["append"].median_ns / 1e6,
            "ratio_append_to_rank": ratio(s["append"], s["rank"]),
            "rank": s["rank"].to_dict(),
            "append_samples": s["append"].to_dict(),
        },
        "checkpoint": {
            "tree_us_per_record": t["tree"].median_ns / 1e3 / n,
            "checkpoint_us_per_record": t["checkpoint"].median_ns / 1e3 / n,
            "tree": t["tree"].to_dict(),
            "checkpoint": t["checkpoint"].to_dict(),
        },
        "prove": {
            "prove_ms": t["prove"].median_ns / 1e6,
            "verify_receipt_ms": t["verify_receipt"].median_ns / 1e6,
            "prove_samples": t["prove"].to_dict(),
            "verify_receipt_samples": t["verify_receipt"].to_dict(),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = bench(args)
    a, c, p = result["append"], result["checkpoint"], result["prove"]
    print(
        f"append a record ({result['workload']['record_bytes']:,} bytes): "
        f"{a['append_ms']:.3f} ms vs rank {a['rank_ms']:.3f} ms = "
        f"{a['ratio_append_to_rank']:.2f}x"
    )
    print(
        f"tree of {result['workload']['records']:,} records: "
        f"{c['tree_us_per_record']:.2f} us/record; signed checkpoint (verify included) "
        f"{c['checkpoint_us_per_record']:.1f} us/record"
    )
    print(f"prove {p['prove_ms']:.2f} ms, verify_receipt {p['verify_receipt_ms']:.3f} ms")
    if args.json:
        payload = {"benchmark": "audit", "seed": args.seed, "machine": machine(), **result}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
