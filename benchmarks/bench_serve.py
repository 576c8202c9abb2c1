"""Loopback load test of ``feedrank serve``: Prosocial Ranking Challenge requests.

Starts ``feedrank serve --spec SPEC`` (with a decision log, fsync at close, unless
``--no-audit``) in a
subprocess on a free 127.0.0.1 port and sends it ``POST /rank`` requests of
``--items`` items (``ranking_challenge.fake.fake_request``, the three platforms
in turn, ``--bodies`` distinct bodies made beforehand) from ``--clients``
concurrent keep-alive connections. The client speaks HTTP/1.1 on raw asyncio
streams (so its own cost stays small next to the server's on the same machine)
and checks every answer: status 200 and a ``RankingResponse`` whose
``ranked_ids`` are item ids, each once. Anything else counts as an error.

Two phases, each bounded by ``--requests`` and ``--max-seconds``:

- **offered load** (``--rate`` requests/s in all, spread evenly over the
  clients on a fixed schedule): latency is measured from the moment a request
  was *scheduled*, so a server that falls behind is charged for the wait
  (no coordinated omission). This is the figure the target is about.
- **saturation** (each client sends its next request as soon as it has an
  answer): the throughput the service sustains, and the latency 50 waiting
  clients then see (by Little's law about clients / throughput).

Baseline: the CPU time (``time.thread_time_ns``, median) of the same work in
process (decode the body, validate, build the batch, rank, append the sealed
decision record, encode the answer), so the ratio shows what HTTP, the event
loop, the thread hand-off and waiting for the CPU add. The load average before
and after is recorded: the machine may be shared.

    python benchmarks/bench_serve.py [--requests 3000] [--clients 50] [--rate 20]
                                     [--items 100] [--max-seconds 60] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import Task, interleave, machine

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 300.0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (milliseconds in, milliseconds out)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)] if ordered else math.nan


def make_bodies(count: int, items: int) -> list[tuple[bytes, frozenset[str]]]:
    from ranking_challenge.fake import fake_request

    platforms = ("facebook", "reddit", "twitter")
    out = []
    for i in range(count):
        request = fake_request(n_posts=items, platform=platforms[i % 3])
        out.append((request.model_dump_json().encode(), frozenset(x.id for x in request.items)))
    return out


def start(spec: str, tmp: Path, audit: bool) -> tuple[subprocess.Popen[str], int]:
    for name in ("audit.key", "audit.data-key"):
        (tmp / name).write_text(secrets.token_hex(32) + "\n", encoding="ascii")
    ready = tmp / "port"
    command = [
        sys.executable, "-c", "import sys; from feedrank.cli import main; sys.exit(main())",
        "serve", "--spec", spec, "--port", "0", "--ready-file", str(ready),
    ]  # fmt: skip
    if audit:
        command += [
            "--audit-log", str(tmp / "decisions.jsonl"), "--audit-key-file", str(tmp / "audit.key"),
            "--audit-data-key-file", str(tmp / "audit.data-key"), "--audit-fsync", "close",
        ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(command, env=env, cwd=tmp, text=True)
    deadline = time.monotonic() + START_TIMEOUT
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("the server did not start")
        time.sleep(0.05)
    return proc, int(ready.read_text())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Client:
    """One keep-alive HTTP/1.1 connection that posts bodies to /rank."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes, ids: frozenset[str]) -> bool:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = (
            f"POST /rank HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        try:
            self.writer.write(head + body)
            status_line = await self.reader.readline()
            length = 0
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            answer = await self.reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            await self.close()
            return False
        if status_line.split()[1:2] != [b"200"]:
            return False
        ranked = json.loads(answer).get("ranked_ids")
        return isinstance(ranked, list) and len(set(ranked)) == len(ranked) and set(ranked) <= ids

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def phase(
    port: int,
    bodies: list[tuple[bytes, frozenset[str]]],
    *,
    clients: int,
    requests: int,
    max_seconds: float,
    rate: float | None,
) -> dict[str, Any]:
    """Latencies (ms) and errors of one phase: on a schedule of ``rate``/s, or closed loop."""
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter() + 0.05
    stop = start + max_seconds
    counter = iter(range(requests))

    async def run(index: int) -> None:
        nonlocal errors
        client = Client(port)
        try:
            for n in counter:
                scheduled = start + n / rate if rate else time.perf_counter()
                if scheduled > stop:
                    break
                if rate:
                    await asyncio.sleep(max(scheduled - time.perf_counter(), 0.0))
                body, ids = bodies[n % len(bodies)]
                ok = await client.post(body, ids)
                latencies.append((time.perf_counter() - scheduled) * 1000)
                errors += not ok
        finally:
            await client.close()

    began = time.perf_counter()
    await asyncio.gather(*(run(i) for i in range(clients)))
    elapsed = time.perf_counter() - began
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": elapsed,
        "throughput_per_s": len(latencies) / elapsed,
        "offered_rate_per_s": rate,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies) if latencies else math.nan,
    }


def in_process(
    spec: str, bodies: list[tuple[bytes, frozenset[str]]], rounds: int, tmp: Path, audit: bool
) -> float:
    """Median CPU ms of decode + validate + batch + rank + log + encode, in process."""
    from feedrank.audit import DecisionLog
    from feedrank.io.decoding import decode_json
    from feedrank.presets import spec_or_preset
    from feedrank.serve.prc import parse_prc_request

    pipeline = spec_or_preset(spec)
    log = DecisionLog(
        tmp / "in-process.jsonl",
        key=secrets.token_bytes(32),
        data_key=secrets.token_bytes(32),
        fsync="close",
    )
    position = [0]

    def setup() -> Any:
        body = bodies[position[0] % len(bodies)][0]
        position[0] += 1

        def work() -> bytes:
            req, ids = parse_prc_request(decode_json(body, source="body"), pipeline)
            ranking = pipeline.rank(req.batch, req.ctx, limit=len(ids))
            if audit:
                log.append(ranking, req.ctx)
            return json.dumps({"ranked_ids": ranking.post_ids}).encode()

        return work

    try:
        series = interleave([Task("in process", setup)], rounds=rounds)
    finally:
        log.close()
    return series["in process"].median_ns / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", default="balanced")
    parser.add_argument("--requests", type=int, default=3000, help="per phase, at most")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="per phase, at most")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=20.0, help="offered requests/s in all")
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--bodies", type=int, default=60)
    parser.add_argument("--target-p95-ms", type=float, default=25.0)
    parser.add_argument(
        "--no-audit",
        dest="audit",
        action="store_false",
        help="serve without a decision log (default: one sealed record per request)",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    bodies = make_bodies(args.bodies, args.items)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        baseline = in_process(args.spec, bodies, rounds=200, tmp=Path(tmp), audit=args.audit)
        proc, port = start(args.spec, Path(tmp), args.audit)
        try:
            warm = asyncio.run(
                phase(port, bodies, clients=4, requests=100, max_seconds=30, rate=None)
            )
            cpu_start = cpu_seconds(proc.pid)
            offered = asyncio.run(
                phase(
                    port,
                    bodies,
                    clients=args.clients,
                    requests=args.requests,
                    max_seconds=args.max_seconds,
                    rate=args.rate,
                )
            )
            offered["server_cpu_ms_per_request"] = (
                (cpu_seconds(proc.pid) - cpu_start) * 1000 / max(offered["requests"], 1)
            )
            cpu_start = cpu_seconds(proc.pid)
            saturated = asyncio.run(
                phase(
                    port,
                    bodies,
                    clients=args.clients,
                    requests=args.requests,
                    max_seconds=args.max_seconds,
                    rate=None,
                )
            )
            saturated["server_cpu_ms_per_request"] = (
                (cpu_seconds(proc.pid) - cpu_start) * 1000 / max(saturated["requests"], 1)
            )
        finally:
            proc.terminate()
            proc.wait(60)
    result = {
        "benchmark": "serve",
        "spec": args.spec,
        "items": args.items,
        "clients": args.clients,
        "decision_log": args.audit,
        "warmup_errors": warm["errors"],
        "offered": offered,
        "saturated": saturated,
        "in_process_cpu_median_ms": baseline,
        "p50_vs_in_process": offered["p50_ms"] / baseline,
        "target_p95_ms": args.target_p95_ms,
        "met": offered["p95_ms"] <= args.target_p95_ms
        and offered["errors"] == 0
        and saturated["errors"] == 0,
        "load_average_1_5_15": [load_before, os.getloadavg()],
        "machine": machine(),
    }
    for name in ("offered", "saturated"):
        r = result[name]
        print(
            f"{name:>9}: {r['requests']} requests in {r['seconds']:.1f} s "
            f"({r['throughput_per_s']:.0f}/s), errors {r['errors']}; "
            f"p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms; "
            f"server CPU {r['server_cpu_ms_per_request']:.2f} ms/request"
        )
    print(
        f"in process (CPU median): {baseline:.2f} ms; offered-load p50 is "
        f"{result['p50_vs_in_process']:.2f}x that; target p95 <= {args.target_p95_ms} ms: "
        f"{'met' if result['met'] else 'NOT met'}"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
