"""DecisionLog: durability policy, crashes mid-write, failed writes, concurrent
writers in threads and in real processes, and the cost of an append."""

from __future__ import annotations

import cProfile
import errno
import functools
import itertools
import json
import multiprocessing
import os
import pstats
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

import feedrank as fr
import feedrank.audit.log as audit_log
from feedrank.audit import AuditError, DecisionLog, read_log, replay, verify
from feedrank.audit.encode import encode_request
from feedrank.datasets import simulate
from tests.audit._helpers import DATA_KEY, KEY, lines, parsed, requests, write_log

ROOT = Path(__file__).resolve().parents[2]


def test_options_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    weak = (b"", b"short", b"aaaaaaaaaaaaaaaa", b"k" * 32, b"0123456789abcdef" * 2)
    for key in (*weak, "a text key of many characters, long enough"):
        with pytest.raises(AuditError, match="key"):
            DecisionLog(path, key=key)  # type: ignore[arg-type]
        with pytest.raises(AuditError, match="data_key"):
            DecisionLog(path, key=KEY, data_key=key)  # type: ignore[arg-type]
    with pytest.raises(AuditError, match="separate"):
        DecisionLog(path, key=KEY, data_key=KEY)
    with pytest.raises(AuditError, match="pseudonym_period"):
        DecisionLog(path, key=KEY, pseudonym_period="week")  # type: ignore[arg-type]
    with pytest.raises(AuditError, match="fsync"):
        DecisionLog(path, key=KEY, data_key=DATA_KEY, fsync="sometimes")  # type: ignore[arg-type]
    with pytest.raises(AuditError, match="arrays"):
        DecisionLog(path, key=KEY, data_key=DATA_KEY, arrays="xml")  # type: ignore[arg-type]


def test_a_closed_log_refuses_appends(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path / "log.jsonl", key=KEY, data_key=DATA_KEY)
    assert "fsync=always" in repr(log)
    log.close()
    log.close()
    assert log.closed
    assert "closed" in repr(log)
    req = requests(1)[0]
    with pytest.raises(AuditError, match="closed"):
        log.append(req.ranking, req.ctx)


@pytest.mark.parametrize(
    ("policy", "per_append", "on_close"), [("always", 1, 0), ("close", 0, 1), ("never", 0, 0)]
)
def test_fsync_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: Any, per_append: int, on_close: int
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(audit_log, "_sync", lambda fd: calls.append(fd))
    reqs = requests(3)
    log = DecisionLog(tmp_path / "log.jsonl", key=KEY, data_key=DATA_KEY, fsync=policy)
    assert log.fsync == policy
    for req in reqs:
        log.append(req.ranking, req.ctx)
    assert len(calls) == per_append * len(reqs)
    log.close()
    assert len(calls) == per_append * len(reqs) + on_close


def test_appends_go_to_the_kernel_at_once(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    reqs = requests(2)
    with DecisionLog(path, key=KEY, data_key=DATA_KEY, fsync="never") as log:
        log.append(reqs[0].ranking, reqs[0].ctx)
        assert verify(path).valid == 1  # visible to other readers before close
        log.append(reqs[1].ranking, reqs[1].ctx)
        assert verify(path).valid == 2


def test_a_failed_write_leaves_the_log_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.jsonl"
    reqs = write_log(path, 3)
    before = path.read_bytes()
    real_write = os.write

    def disk_full(fd: int, data: Any) -> int:
        real_write(fd, bytes(data[:100]))  # part of the record reaches the file
        raise OSError(errno.ENOSPC, "No space left on device")

    with DecisionLog(path, key=KEY, data_key=DATA_KEY) as log:
        monkeypatch.setattr(os, "write", disk_full)
        with pytest.raises(AuditError, match="No space left"):
            log.append(reqs[0].ranking, reqs[0].ctx)
        monkeypatch.setattr(os, "write", real_write)
        assert path.read_bytes() == before
        assert log.append(reqs[0].ranking, reqs[0].ctx).seq == 4
    assert verify(path).ok


CRASH = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, sys.argv[2])
    from feedrank.audit import DecisionLog
    from tests.audit._helpers import DATA_KEY, KEY, requests
    reqs = requests(4)
    log = DecisionLog(sys.argv[1], key=KEY, data_key=DATA_KEY)
    for req in reqs[:3]:
        log.append(req.ranking, req.ctx)
    real_write = os.write
    def crash(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        os._exit(17)  # the process dies mid-record: no cleanup, no close
    os.write = crash
    log.append(reqs[3].ranking, reqs[3].ctx)
    """
)


def test_a_crash_mid_write_keeps_every_earlier_record(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", CRASH, str(path), str(ROOT)], capture_output=True, check=False
    )
    assert done.returncode == 17, done.stderr.decode()
    report = verify(path)
    assert report.problems == ()
    assert report.valid == 3
    assert report.torn_tail is not None
    assert (report.torn_tail.line, report.torn_tail.record) == (4, 4)
    assert len(read_log(path).records) == 3
    assert replay(path, data_key=DATA_KEY).records[2].ok


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[2])
    from feedrank.audit import DecisionLog
    from tests.audit._helpers import DATA_KEY, KEY, requests
    name, count = sys.argv[3], int(sys.argv[4])
    reqs = requests(4)
    with DecisionLog(sys.argv[1], key=KEY, data_key=DATA_KEY, fsync=sys.argv[5]) as log:
        print("ready", flush=True)
        sys.stdin.readline()  # start together
        for i in range(count):
            req = reqs[i % len(reqs)]
            log.append(req.ranking, req.ctx, request_id=f"{name}-{i}")
    """
)


@pytest.mark.parametrize("fsync", ["always", "never"])
def test_two_processes_append_concurrently(tmp_path: Path, fsync: str) -> None:
    path = tmp_path / "log.jsonl"
    count = 120
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(ROOT), name, str(count), fsync],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for name in ("A", "B")
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == b"ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
        for proc in procs:
            _, err = proc.communicate()
            assert proc.returncode == 0, err.decode()
    finally:
        for proc in procs:
            if proc.poll() is None:  # pragma: no cover - only when the test fails
                proc.kill()
            proc.communicate()
    report = verify(path)
    assert report.ok, report.summary()
    assert report.valid == 2 * count
    ids = [json.loads(line)["request_id"] for line in lines(path)]
    assert sorted(ids) == sorted(f"{n}-{i}" for n in "AB" for i in range(count))
    for name in "AB":  # each writer's records in its own order
        mine = [int(i.split("-")[1]) for i in ids if i.startswith(name)]
        assert mine == list(range(count))
    switches = sum(a[0] != b[0] for a, b in itertools.pairwise(ids))
    assert switches >= 1  # the writers really did interleave
    assert replay(path, data_key=DATA_KEY).ok
    # A checkpoint of what two writers wrote verifies like any other.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from feedrank.audit.logtree import checkpoint_log, checkpoint_problems, leaf_hashes
    from feedrank.audit.note import verifier_key

    signer = Ed25519PrivateKey.generate()
    note = checkpoint_log(path, signer, origin="example.org/log")
    public = verifier_key(signer, name="example.org/log")
    assert checkpoint_problems(leaf_hashes(path), note, public) == []


def test_threads_and_two_log_objects_in_one_process(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    reqs = requests(3)
    shared = DecisionLog(path, key=KEY, data_key=DATA_KEY, fsync="never")
    other = DecisionLog(path, key=KEY, data_key=DATA_KEY, fsync="never")
    errors: list[BaseException] = []

    def work(log: DecisionLog, name: str) -> None:
        try:
            for i in range(40):
                req = reqs[i % len(reqs)]
                log.append(req.ranking, req.ctx, request_id=f"{name}-{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(log, name))
        for log, name in ((shared, "s1"), (shared, "s2"), (other, "o1"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    shared.close()
    other.close()
    assert not errors
    report = verify(path)
    assert report.ok
    assert report.valid == 120


def _forked_child(path: str, log: DecisionLog) -> None:  # pragma: no cover - in a child
    reqs = requests(2)
    for i in range(30):
        log.append(reqs[i % 2].ranking, reqs[i % 2].ctx, request_id=f"child-{i}")
    log.close()


@pytest.mark.skipif(sys.platform == "win32", reason="fork")
def test_a_log_inherited_through_fork_reopens_its_file(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    reqs = requests(2)
    log = DecisionLog(path, key=KEY, data_key=DATA_KEY, fsync="never")
    log.append(reqs[0].ranking, reqs[0].ctx, request_id="parent-first")
    child = multiprocessing.get_context("fork").Process(target=_forked_child, args=(str(path), log))
    child.start()
    for i in range(30):
        log.append(reqs[i % 2].ranking, reqs[i % 2].ctx, request_id=f"parent-{i}")
    child.join()
    assert child.exitcode == 0
    log.close()
    report = verify(path)
    assert report.ok, report.summary()
    assert report.valid == 61
    assert {r["request_id"] for r in parsed(path)} >= {"parent-first", "child-0", "child-29"}


def _python_calls(fn: Any) -> int:
    profile = cProfile.Profile()
    profile.enable()
    fn()
    profile.disable()
    return int(pstats.Stats(profile).total_calls)  # type: ignore[attr-defined]


@pytest.mark.parametrize("arrays", ["binary", "json"])
def test_serialisation_does_no_per_post_python_work(arrays: Any) -> None:
    """Appending must not dominate ranking: every column is converted whole, so
    the Python work of encoding a request does not grow with its candidates
    (counted in calls, not timed, so the test does not depend on the clock)."""
    calls = []
    for n_posts in (400, 2000):
        net = simulate(rng=3, n_users=40, n_posts=n_posts, hours=48.0)
        batch = net.batch()
        ctx = net.context(net.viewers[0].id, batch)
        ranking = fr.preset("balanced").rank(batch, ctx)
        encode = functools.partial(
            encode_request, ranking, ctx, key=KEY, data_key=DATA_KEY, arrays=arrays
        )
        calls.append(_python_calls(encode))
    small, large = calls
    assert large <= small + 25, calls
