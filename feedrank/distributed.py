"""Ranking and replaying on a Dask cluster (optional extra ``feedrank[dask]``).

:func:`rank_many_distributed` splits a list of requests into contiguous
partitions, ranks each partition on a worker with :meth:`Pipeline.rank_many`
and gathers the results in request order: ``result[i]`` equals
``pipeline.rank(batch_i, ctx_i)`` in every array. :func:`replay_distributed`
checks a decision log's hash chain locally, replays its records on the workers
and returns the same :class:`~feedrank.audit.replay.ReplayReport` as
:func:`feedrank.audit.replay`.

Pipelines travel as their canonical spec JSON, never as pickled code: each
worker parses the JSON again and checks that it hashes to the fingerprint the
client computed, so every worker runs exactly the published algorithm (a
worker with another feedrank version, or without a third-party component
registered, fails loudly instead of ranking differently). Workers need
``feedrank`` installed, and any module that registers third-party components
imported (e.g. with a worker preload). Scheduling is Dask's own
(``Client.scatter``, ``Client.map``, ``Client.gather``).

Point it at a real cluster::

    from dask.distributed import Client
    from feedrank import preset
    from feedrank.distributed import rank_many_distributed, replay_distributed

    client = Client("tcp://scheduler:8786")
    rankings = rank_many_distributed(client, preset("balanced"), requests)
    for ranking in rankings:                 # request order
        print(ranking.post_ids[:10])
    report = replay_distributed(client, "decisions.jsonl")
    print(report.summary())

or, on one machine, ``Client(LocalCluster(n_workers=4, threads_per_worker=1))``.
"""

from __future__ import annotations

import importlib
import itertools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from feedrank.errors import RankingError

if TYPE_CHECKING:
    from feedrank.audit.record import AuditRecord
    from feedrank.audit.replay import RecordReplay, ReplayReport
    from feedrank.batch.context import Context
    from feedrank.batch.posts import PostBatch
    from feedrank.ranking.ranking import Ranking, RankingBatch
    from feedrank.spec.pipeline import Pipeline

__all__ = ["DistributedRankings", "rank_many_distributed", "replay_distributed"]

_INSTALL_HINT = 'pip install "feedrank[dask]"'


def _require_dask() -> Any:
    """The ``distributed`` module, or an ImportError naming ``feedrank[dask]``."""
    try:
        return importlib.import_module("dask.distributed")
    except ImportError as exc:
        raise ImportError(
            f"feedrank.distributed needs Dask's distributed scheduler: {_INSTALL_HINT}"
        ) from exc


# ------------------------------------------------------------------ worker side
@lru_cache(maxsize=16)
def _worker_pipeline(spec_json: str, fingerprint: str) -> Pipeline:
    """Parse the shipped canonical spec and check it is the published algorithm."""
    from feedrank.spec.files import loads_spec

    pipeline = loads_spec(spec_json, "json")
    if pipeline.fingerprint != fingerprint:
        raise RankingError(
            f"the spec parses to fingerprint {pipeline.fingerprint} on this worker, "
            f"the client sent {fingerprint}",
            field="pipeline",
            expected="the same feedrank version and registered components on every worker",
        )
    return pipeline


def _rank_partition(
    requests: Sequence[tuple[PostBatch, Context]],
    spec_json: str,
    fingerprint: str,
    limit: int | None,
) -> RankingBatch:
    """Runs on a worker: rank one partition of requests with ``rank_many``."""
    from feedrank.batch.posts import PostBatch

    pipeline = _worker_pipeline(spec_json, fingerprint)
    batch, offsets = PostBatch.stack([b for b, _ in requests])
    return pipeline.rank_many(batch, [c for _, c in requests], offsets, limit=limit)


def _replay_partition(
    records: Sequence[tuple[int, AuditRecord]],
    spec: tuple[str, str] | None,
    rtol: float,
) -> list[RecordReplay]:
    """Runs on a worker: replay records as :func:`feedrank.audit.replay` does."""
    from feedrank.audit.replay import _replay_each

    fixed = None if spec is None else _worker_pipeline(*spec)
    return _replay_each(records, fixed, rtol)


# ------------------------------------------------------------------ client side
def _n_partitions(client: Any, partitions: int | None, items: int) -> int:
    if partitions is None:
        info = client.scheduler_info()
        threads = sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values())
        partitions = max(threads, 1)
    elif partitions < 1:
        raise RankingError(
            f"partitions is {partitions}", field="partitions", expected="an integer >= 1"
        )
    return max(1, min(partitions, items))


def _cuts(weights: Sequence[int], parts: int) -> list[int]:
    """Boundaries of ``parts`` contiguous, non-empty runs of about equal weight."""
    n = len(weights)
    total = np.cumsum(np.asarray(weights, dtype=np.float64) + 1.0)  # +1: empty requests count
    targets = total[-1] * np.arange(1, parts) / parts
    inner = np.searchsorted(total, targets, side="left") + 1
    cuts = [0]
    for k, c in enumerate(inner.tolist(), start=1):
        # keep every run non-empty and leave room for the runs still to come
        cuts.append(int(min(max(c, cuts[-1] + 1), n - (parts - k))))
    cuts.append(n)
    return cuts


def _size(record: AuditRecord) -> int:
    batch = record.inputs.batch
    ids = None if batch is None else batch.get("ids")
    return len(ids) if isinstance(ids, list) else 1


def _spec_of(pipeline: Pipeline) -> tuple[str, str]:
    from feedrank.spec.files import dump_spec

    return dump_spec(pipeline, "canonical"), pipeline.fingerprint


@dataclass(frozen=True, eq=False)
class DistributedRankings:
    """The result of :func:`rank_many_distributed`: one :class:`~feedrank.Ranking`
    per request, in request order (``len``, indexing and iteration).

    ``parts`` are the workers' :class:`~feedrank.RankingBatch` results (with
    their columnar accessors); ``offsets`` (P + 1,) the first request of each.
    """

    parts: tuple[RankingBatch, ...]
    offsets: tuple[int, ...]

    def __len__(self) -> int:
        return self.offsets[-1] if self.offsets else 0

    @overload
    def __getitem__(self, i: int) -> Ranking: ...

    @overload
    def __getitem__(self, i: slice) -> list[Ranking]: ...

    def __getitem__(self, i: int | slice) -> Ranking | list[Ranking]:
        """Request ``i``'s Ranking; a slice gives a list of them, in request order."""
        from feedrank.ranking.ranking import request_positions

        where = request_positions(i, len(self))
        if isinstance(where, range):
            return [self._one(j) for j in where]
        return self._one(where)

    def _one(self, i: int) -> Ranking:
        part = int(np.searchsorted(self.offsets, i, side="right")) - 1
        return self.parts[part][i - self.offsets[part]]

    def __iter__(self) -> Iterator[Ranking]:
        for part in self.parts:
            for j in range(len(part)):
                yield part[j]


def rank_many_distributed(
    client: Any,
    pipeline: Pipeline,
    requests: Sequence[tuple[PostBatch, Context]],
    *,
    partitions: int | None = None,
    limit: int | None = None,
) -> DistributedRankings:
    """Rank many requests on a Dask cluster; identical to ranking each alone.

    ``client``: a ``dask.distributed.Client``. ``requests``: (batch, context)
    pairs, each context built for its batch. They are cut into ``partitions``
    contiguous runs of about equal size (default: one per worker thread), each
    run is ranked on a worker with :meth:`Pipeline.rank_many` and the results
    come back in request order: ``result[i]`` equals ``pipeline.rank(batch_i,
    ctx_i, limit=limit)`` in every array. The pipeline travels as its canonical
    spec JSON and each worker checks its fingerprint. Nothing is written to a
    decision log. A worker's exception is raised here.
    """
    _require_dask()
    requests = list(requests)
    if not requests:
        return DistributedRankings((), (0,))
    spec_json, fp = _spec_of(pipeline)
    parts = _n_partitions(client, partitions, len(requests))
    cuts = _cuts([len(b) for b, _ in requests], parts)
    chunks = [requests[a:b] for a, b in itertools.pairwise(cuts)]
    data = client.scatter(chunks, hash=False)
    futures = client.map(
        _rank_partition, data, spec_json=spec_json, fingerprint=fp, limit=limit, pure=False
    )
    try:
        results = client.gather(futures)
    finally:
        client.cancel([*futures, *data])
    # The workers ran the same spec (checked); point the results at the caller's object.
    from feedrank.ranking.ranking import RankingBatch

    parts_here = tuple(RankingBatch(replace(r.result, algorithm=pipeline)) for r in results)
    return DistributedRankings(parts_here, tuple(cuts))


def replay_distributed(
    client: Any,
    log_path: str | os.PathLike[str],
    spec: Pipeline | str | os.PathLike[str] | None = None,
    *,
    partitions: int | None = None,
    rtol: float = 0.0,
    data_key: bytes | None = None,
) -> ReplayReport:
    """:func:`feedrank.audit.replay` with the records replayed on a Dask cluster.

    The log is read and its chain verified here (one pass, no ranking); the
    records are then replayed in ``partitions`` contiguous runs on the workers
    (default: one per worker thread) and the results combined, in log order,
    into the same :class:`~feedrank.audit.replay.ReplayReport` as ``replay``.
    ``spec``: a Pipeline, a spec file or a preset name (sent as canonical JSON,
    fingerprint checked on the worker); None replays each record with the spec
    embedded in it. ``data_key`` opens sealed records here, before they are
    sent: the key never leaves this process (the opened records do).
    """
    from feedrank.audit.replay import (
        RecordReplay,
        ReplayReport,
        _resolve,
        merge_replays,
        open_records,
    )
    from feedrank.audit.secret_check import check_secret
    from feedrank.audit.verify import _scan

    _require_dask()
    pipeline = _resolve(spec)
    key = None if data_key is None else check_secret(data_key, field="data_key")
    report, scanned = _scan(log_path)
    opened = open_records(scanned, key)
    records = [item for item in opened if not isinstance(item, RecordReplay)]
    results: list[RecordReplay] = []
    if records:
        shipped = None if pipeline is None else _spec_of(pipeline)
        parts = _n_partitions(client, partitions, len(records))
        sizes = [_size(r) for _, r in records]
        cuts = _cuts(sizes, parts)
        chunks = [records[a:b] for a, b in itertools.pairwise(cuts)]
        data = client.scatter(chunks, hash=False)
        futures = client.map(_replay_partition, data, spec=shipped, rtol=rtol, pure=False)
        try:
            for part in client.gather(futures):
                results.extend(part)
        finally:
            client.cancel([*futures, *data])
    return ReplayReport(str(log_path), report, tuple(merge_replays(opened, results)))
