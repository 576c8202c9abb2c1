"""Shared builders for the decision-log tests: real rankings of the simulated
demo network (balanced and chronological presets), and tools to damage logs.

Import as ``from tests.audit._helpers import ...``.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

import feedrank as fr
from feedrank.audit import AuditRecord, DecisionLog, read_log
from feedrank.audit.seal import open_seal, seal, seal_aad
from feedrank.canonical import canonical_json
from feedrank.datasets import SimulatedNetwork, simulate_demo
from tests.audit.keys import DATA_KEY, KEY


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
    options.setdefault("data_key", DATA_KEY)
    with DecisionLog(path, key=KEY, **options) as log:
        for req in reqs:
            log.append(req.ranking, req.ctx, req.request_id)
    return reqs


def lines(path: Path) -> list[bytes]:
    """The log's lines, newlines kept."""
    return path.read_bytes().splitlines(keepends=True)


def _aad(data: dict[str, Any]) -> bytes:
    inputs = data.get("inputs")
    inputs = inputs if isinstance(inputs, dict) else {}
    viewer = inputs.get("viewer")
    spec = data.get("spec")
    return seal_aad(
        data.get("v"),  # type: ignore[arg-type]
        spec.get("fingerprint") if isinstance(spec, dict) else None,  # type: ignore[arg-type]
        data.get("now"),  # type: ignore[arg-type]
        data.get("request_id"),  # type: ignore[arg-type]
        viewer.get("id") if isinstance(viewer, dict) else None,
        inputs.get("pseudonym_period"),
    )


_SEALED_INPUTS = ("batch", "context", "page", "viewer")


def unsealed(data: dict[str, Any], data_key: bytes = DATA_KEY) -> dict[str, Any]:
    """A parsed record with what its seal holds put back in clear (as in a version
    1 record; ``inputs.sealed`` kept): edit it, then :func:`rechain` seals it again."""
    if "sealed" not in data["inputs"]:
        return copy.deepcopy(data)
    plain = json.loads(open_seal(data["inputs"]["sealed"], data_key, _aad(data)))
    out = copy.deepcopy(data)
    viewer = plain["inputs"]["viewer"]
    if viewer is not None:
        viewer = {**viewer, "id": data["inputs"]["viewer"]["id"]}
    out["inputs"] = {**out["inputs"], **plain["inputs"], "viewer": viewer}
    out["outputs"] = plain["outputs"]
    return out


def resealed(data: dict[str, Any], data_key: bytes = DATA_KEY) -> dict[str, Any]:
    """The inverse of :func:`unsealed`: a record whose seal holds its (edited) inputs
    and outputs again, sealed with ``data_key`` for the record's (edited) clear fields.
    Whatever an edit removed or changed goes into the seal as it is."""
    inputs = data.get("inputs")
    if not isinstance(inputs, dict) or "sealed" not in inputs or "batch" not in inputs:
        return data
    viewer = inputs.get("viewer")
    plain_inputs = {k: inputs[k] for k in _SEALED_INPUTS if k in inputs}
    clear_viewer = viewer
    if isinstance(viewer, dict) and "id" in viewer:
        clear_viewer = {"id": viewer["id"]}
        plain_inputs["viewer"] = {k: v for k, v in viewer.items() if k != "id"}
    plain = {"inputs": plain_inputs, "outputs": data.get("outputs")}
    out = {**data, "outputs": None}
    out["inputs"] = {k: v for k, v in inputs.items() if k not in _SEALED_INPUTS}
    out["inputs"]["viewer"] = clear_viewer
    out["inputs"]["sealed"] = seal(canonical_json(plain).encode(), data_key, _aad(out))
    return out


def rechain(records: list[dict[str, Any]]) -> list[bytes]:
    """Renumber and re-hash ``records`` as a forger would: a valid chain (records
    opened by :func:`unsealed` are sealed again first, with the test data key)."""
    out: list[bytes] = []
    prev = "0" * 64
    for seq, data in enumerate(records, start=1):
        data = resealed(data)
        body = {k: v for k, v in data.items() if k not in ("hash", "ed25519")}
        body["seq"], body["prev"] = seq, prev
        digest = hashlib.sha256(canonical_json(body).encode()).hexdigest()
        stolen = {"ed25519": data["ed25519"]} if "ed25519" in data else {}  # kept as it was
        out.append((canonical_json({**body, **stolen, "hash": digest}) + "\n").encode())
        prev = digest
    return out


def parsed(path: Path) -> list[dict[str, Any]]:
    """Every line of the log parsed as JSON."""
    return [json.loads(line) for line in lines(path)]


def opened(path: Path) -> list[dict[str, Any]]:
    """Every line of the log parsed as JSON, seals opened (:func:`unsealed`)."""
    return [unsealed(data) for data in parsed(path)]


def records_of(path: Path) -> list[AuditRecord]:
    """The valid records of the log, opened with the test data key."""
    return [record.unseal(DATA_KEY) for record in read_log(path).records]


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
