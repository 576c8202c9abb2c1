"""Shared builders for the decision-log tests: real rankings of the simulated
demo network (balanced and chronological presets), and tools to damage logs.

Import as ``from tests.audit._helpers import ...``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

import feedrank as fr
from feedrank.audit import DecisionLog
from feedrank.canonical import canonical_json
from feedrank.datasets import SimulatedNetwork, simulate_demo

KEY = b"test-platform-key-0123456789abcdef"
"""The pseudonymisation key of every test log."""


@dataclass(frozen=True)
class Request:
    """One ranked request: what ``Pipeline.rank(..., audit=log)`` would log."""

    pipeline: fr.Pipeline
    batch: fr.PostBatch
    ctx: fr.Context
    ranking: fr.Ranking
    request_id: str | None = None


@cache
def network() -> SimulatedNetwork:
    """The demo network (30 people, 150 posts over 24 h), built once."""
    return simulate_demo()


def requests(count: int = 8) -> list[Request]:
    """``count`` real requests: viewers of the demo network ranked alternately
    with ``balanced`` and ``chronological``, various page sizes, every third one
    a second page (through the cursor), one anonymous feed."""
    net = network()
    batch = net.batch()
    out: list[Request] = []
    for i in range(count):
        pipe = fr.preset("balanced" if i % 2 == 0 else "chronological")
        if i == 5:
            ctx = fr.Context.build(batch, now=net.now)
        else:
            ctx = net.context(net.viewers[i % len(net.viewers)].id, batch)
        limit = 5 + 3 * i
        ranking = pipe.rank(batch, ctx, limit=limit)
        if i % 3 == 2 and ranking.next_cursor is not None:
            ranking = pipe.rank(batch, ctx, limit=limit, cursor=ranking.next_cursor)
        out.append(Request(pipe, batch, ctx, ranking, f"req-{i}" if i % 2 else None))
    return out


def write_log(path: Path, count: int = 8, **options: Any) -> list[Request]:
    """A log of ``count`` requests at ``path``; returns the requests in order."""
    reqs = requests(count)
    with DecisionLog(path, key=KEY, **options) as log:
        for req in reqs:
            log.append(req.ranking, req.ctx, req.request_id)
    return reqs


def lines(path: Path) -> list[bytes]:
    """The log's lines, newlines kept."""
    return path.read_bytes().splitlines(keepends=True)


def rechain(records: list[dict[str, Any]]) -> list[bytes]:
    """Renumber and re-hash ``records`` as a forger would: a valid chain."""
    out: list[bytes] = []
    prev = "0" * 64
    for seq, data in enumerate(records, start=1):
        body = {k: v for k, v in data.items() if k != "hash"}
        body["seq"], body["prev"] = seq, prev
        digest = hashlib.sha256(canonical_json(body).encode()).hexdigest()
        out.append((canonical_json({**body, "hash": digest}) + "\n").encode())
        prev = digest
    return out


def parsed(path: Path) -> list[dict[str, Any]]:
    """Every line of the log parsed as JSON."""
    return [json.loads(line) for line in lines(path)]


def assert_same_batch(a: fr.PostBatch, b: fr.PostBatch) -> None:
    """Column-by-column equality, NaN equal to NaN, dtypes compared by kind."""
    for f in fields(fr.PostBatch):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, fr.Tags):
            assert x.vocabulary == y.vocabulary, f.name
            assert np.array_equal(x.indptr, y.indptr), f.name
            assert np.array_equal(x.codes, y.codes), f.name
        elif isinstance(x, dict):
            assert x.keys() == y.keys(), f.name
            for k in x:
                assert_same_array(x[k], y[k], f"{f.name}.{k}")
        elif x is None or y is None:
            assert x is None, f.name
            assert y is None, f.name
        else:
            assert_same_array(x, y, f.name)


def assert_same_array(x: Any, y: Any, name: str) -> None:
    """Exact equality of two arrays: same shape, same kind, same bits for floats."""
    x, y = np.asarray(x), np.asarray(y)
    assert x.shape == y.shape, name
    assert x.dtype.kind == y.dtype.kind or {x.dtype.kind, y.dtype.kind} <= {"U", "T"}, name
    if x.dtype.kind == "f":
        assert np.array_equal(x.view(np.int64), y.astype(np.float64).view(np.int64)), name
    else:
        assert x.tolist() == y.tolist(), name


def assert_same_context(a: fr.Context, b: fr.Context) -> None:
    """``now`` and every array of two contexts equal, whatever the fields are
    (the viewer is compared by the tests: the log pseudonymises it)."""
    for f in fields(fr.Context):
        if f.name == "viewer":
            continue
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert_same_array(x, y, f.name)
        else:
            assert x == y, f.name
