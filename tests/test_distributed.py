"""feedrank.distributed on a two-worker LocalCluster: same results as one process."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import feedrank as fr
import feedrank.audit as fa
from feedrank.audit import replay
from feedrank.datasets import SimulatedNetwork, simulate
from feedrank.distributed import _cuts, _worker_pipeline, rank_many_distributed, replay_distributed
from feedrank.errors import RankingError
from feedrank.spec.files import dump_spec
from tests.audit.keys import DATA_KEY, KEY

distributed = pytest.importorskip("dask.distributed")

SHUTDOWN_SECONDS = 20.0


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    # Worker processes: the requests, specs and results really cross a pickle
    # boundary, as on a real cluster.
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        worker_dashboard_address=None,
    )
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close(timeout=SHUTDOWN_SECONDS)
        cluster.close(timeout=SHUTDOWN_SECONDS)


@pytest.fixture(scope="module")
def net() -> SimulatedNetwork:
    return simulate(rng=3, n_users=60)


def requests_of(net: SimulatedNetwork) -> list[tuple[fr.PostBatch, fr.Context]]:
    """One request per viewer, each with its own candidates (sizes 0 to 400)."""
    rng = np.random.default_rng(11)
    full = net.batch()
    out = []
    for i, viewer in enumerate(net.viewers):
        size = 0 if i == 5 else int(rng.integers(1, 400))
        rows = np.sort(rng.choice(len(full), size=size, replace=False))
        batch = full.take(rows)
        out.append((batch, net.context(viewer.id, batch)))
    return out


def assert_same(a: fr.Ranking, b: fr.Ranking) -> None:
    """Every array and field equal (floats bit for bit)."""
    assert a.pipeline.fingerprint == b.pipeline.fingerprint
    assert a.candidates.ids.tolist() == b.candidates.ids.tolist()
    assert a.now == b.now
    assert a.post_ids == b.post_ids
    assert a.removed() == b.removed()
    assert a.kept.tolist() == b.kept.tolist()
    assert a.order.tolist() == b.order.tolist()
    assert a.tier.tolist() == b.tier.tolist()
    assert (a.term_names, a.factor_names) == (b.term_names, b.factor_names)
    for name in ("inputs", "contributions", "factors", "scores"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), name
    for name in ("rows", "stages", "before", "after", "reasons"):
        assert getattr(a.moves, name).tolist() == getattr(b.moves, name).tolist(), name
    assert (a.page_start, a.page_stop, a.next_cursor) == (b.page_start, b.page_stop, b.next_cursor)
    assert a.to_dict() == b.to_dict()


@pytest.mark.parametrize("name", ["balanced", "x-for-you-2026"])
def test_rank_many_distributed_equals_single_process(
    client: Any, net: SimulatedNetwork, name: str
) -> None:
    pipe = fr.preset(name)
    requests = requests_of(net)
    result = rank_many_distributed(client, pipe, requests, partitions=5, limit=20)
    assert len(result) == len(requests)
    assert len(result.parts) == 5
    assert all(part.pipeline is pipe for part in result.parts)
    for i, (got, (batch, ctx)) in enumerate(zip(result, requests, strict=True)):
        assert_same(got, pipe.rank(batch, ctx, limit=20))
        assert result[i].post_ids == got.post_ids
    assert result[-1].post_ids == result[len(requests) - 1].post_ids


def test_rank_many_distributed_defaults_and_edges(client: Any, net: SimulatedNetwork) -> None:
    pipe = fr.preset("balanced")
    requests = requests_of(net)[:3]
    result = rank_many_distributed(client, pipe, requests)  # one partition per worker thread
    assert len(result.parts) == 2
    for got, (batch, ctx) in zip(result, requests, strict=True):
        assert_same(got, pipe.rank(batch, ctx))
    # more partitions than requests: one request each
    assert len(rank_many_distributed(client, pipe, requests, partitions=10).parts) == 3
    empty = rank_many_distributed(client, pipe, [])
    assert len(empty) == 0
    assert list(empty) == []
    with pytest.raises(IndexError):
        empty[0]
    with pytest.raises(RankingError, match="partitions"):
        rank_many_distributed(client, pipe, requests, partitions=0)


def test_worker_checks_the_fingerprint() -> None:
    pipe = fr.preset("balanced")
    text = dump_spec(pipe, "canonical")
    assert _worker_pipeline(text, pipe.fingerprint).fingerprint == pipe.fingerprint
    with pytest.raises(RankingError, match="fingerprint"):
        _worker_pipeline(text, "0" * 64)


def test_cuts_are_contiguous_non_empty_and_balanced() -> None:
    assert _cuts([10, 10, 10, 10], 2) == [0, 2, 4]
    assert _cuts([0, 0, 0], 3) == [0, 1, 2, 3]
    assert _cuts([100, 1, 1, 1], 2) == [0, 1, 4]
    assert _cuts([1, 1, 1, 100], 3) == [0, 2, 3, 4]  # the heavy request alone
    for weights in ([5] * 17, list(range(23)), [0] * 5 + [50]):
        for parts in range(1, len(weights) + 1):
            cuts = _cuts(weights, parts)
            assert len(cuts) == parts + 1
            assert cuts[0] == 0
            assert cuts[-1] == len(weights)
            assert all(a < b for a, b in itertools.pairwise(cuts))


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory, net: SimulatedNetwork) -> Path:
    path = tmp_path_factory.mktemp("dist") / "decisions.jsonl"
    pipe = fr.preset("balanced")
    with fa.DecisionLog(path, key=KEY, data_key=DATA_KEY) as log:
        for batch, ctx in requests_of(net)[:24]:
            first = pipe.rank(batch, ctx, limit=10, audit=log)
            if first.next_cursor is not None:  # a second page: replay starts after a key
                pipe.rank(batch, ctx, limit=10, cursor=first.next_cursor, audit=log)
    return path


def test_replay_distributed_is_clean_and_equals_replay(client: Any, log_path: Path) -> None:
    report = replay_distributed(client, log_path, partitions=4, data_key=DATA_KEY)
    assert report.ok, report.summary()
    assert report.verify.ok
    assert len(report.records) == report.verify.lines > 24
    assert [r.record for r in report.records] == list(range(1, len(report.records) + 1))
    assert report.to_dict() == replay(log_path, data_key=DATA_KEY).to_dict()
    named = replay_distributed(client, log_path, "balanced", data_key=DATA_KEY)
    assert named.ok
    assert named.to_dict() == report.to_dict()


def test_replay_distributed_detects_a_changed_spec(client: Any, log_path: Path) -> None:
    base = fr.preset("balanced")
    data = base.algorithm_spec()  # without the menu: a control sets this weight
    data["scorer"]["terms"][0]["weight"] *= 2.0
    changed = fr.Pipeline.model_validate(data)
    report = replay_distributed(client, log_path, changed, partitions=3, data_key=DATA_KEY)
    assert not report.ok
    assert report.verify.ok  # the log itself is intact
    assert all(not r.spec_matches for r in report.records)
    assert all(r.replay_fingerprint == changed.fingerprint for r in report.records)
    assert any(r.diffs for r in report.records)
    assert report.to_dict() == replay(log_path, changed, data_key=DATA_KEY).to_dict()
    assert "spec fingerprint" in report.summary()


def test_replay_distributed_reports_a_tampered_log(
    client: Any, log_path: Path, tmp_path: Path
) -> None:
    lines = log_path.read_bytes().splitlines(keepends=True)
    now = re.search(rb'"now":(\d+)', lines[3])
    assert now is not None
    lines[3] = lines[3].replace(now.group(0), b'"now":%d' % (int(now.group(1)) + 1), 1)
    bad = tmp_path / "tampered.jsonl"
    bad.write_bytes(b"".join(lines))
    report = replay_distributed(client, bad, partitions=2, data_key=DATA_KEY)
    assert not report.ok
    assert report.verify.first_bad is not None
    assert report.verify.first_bad.line == 4
    problem = report.records[3].problem  # its seal is bound to the time it was logged at
    assert problem is not None
    assert (problem.record, problem.kind) == (4, "seal")
    assert [r.record for r in report.mismatched] == [4]
    assert report.to_dict() == replay(bad, data_key=DATA_KEY).to_dict()
    blind = replay_distributed(client, log_path, partitions=2)
    assert blind.verify.ok
    assert {r.error_kind for r in blind.records} == {"sealed"}
    assert blind.to_dict() == replay(log_path).to_dict()


def test_results_slice_like_a_list(client: Any, net: SimulatedNetwork) -> None:
    pipe = fr.preset("balanced")
    requests = requests_of(net)[:7]
    rankings = rank_many_distributed(client, pipe, requests, partitions=3, limit=5)
    first_two = rankings[:2]
    assert isinstance(first_two, list)
    assert len(first_two) == 2
    for got, (batch, ctx) in zip(first_two, requests[:2], strict=True):
        assert_same(got, pipe.rank(batch, ctx, limit=5))
    assert [r.post_ids for r in rankings[::-3]] == [rankings[i].post_ids for i in (6, 3, 0)]
    assert len(rankings[5:100]) == 2
    with pytest.raises(TypeError, match="integers or slices"):
        rankings["0"]  # type: ignore[call-overload]


def test_readme_dask_example_runs_as_a_script(tmp_path: Path) -> None:
    import re
    import subprocess
    import sys

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Ranking and replaying on a Dask cluster", 1)[1]
    code = re.findall(r"```python\n(.+?)\n```", section, flags=re.S)[0]
    assert 'if __name__ == "__main__":' in code
    script = tmp_path / "rank_on_dask.py"
    script.write_text(code + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    net = simulate(rng=1, n_users=20)
    batch = net.batch()
    pipe = fr.preset("balanced")
    expected = [
        str(pipe.rank(batch, net.context(v.id, batch), limit=10).post_ids[:3])
        for v in net.viewers[:2]
    ]
    assert done.stdout.splitlines() == expected
