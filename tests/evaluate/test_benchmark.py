"""The benchmark harness (feedrank.evaluate.benchmark and the splits and report it
uses) and ``feedrank bench``."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from feedrank.cli.bench import add_bench_command
from feedrank.datasets import SimulatedNetwork, simulate
from feedrank.errors import FeedrankError, InputError
from feedrank.evaluate.benchmark import DEFAULT_METRICS, Benchmark
from feedrank.evaluate.movielens import movielens_split
from feedrank.evaluate.report import BenchmarkReport
from feedrank.evaluate.simulated import simulated_split
from feedrank.presets import preset

RANKERS = ["chronological", "reddit-hot", "balanced"]


@pytest.fixture(scope="module")
def net() -> SimulatedNetwork:
    return simulate(rng=3, n_users=40, n_posts=300)


@pytest.fixture(scope="module")
def report(net: SimulatedNetwork) -> BenchmarkReport:
    return Benchmark(RANKERS, net, n_resamples=500, seed=1, progress=False).run()


def _without_latency(data: dict[str, Any]) -> dict[str, Any]:
    for ranker in data["rankers"]:
        ranker.pop("latency_ms")
    return data


def test_every_metric_for_every_ranker(report: BenchmarkReport) -> None:
    assert [r.name for r in report.rankers] == RANKERS
    assert report.metrics == DEFAULT_METRICS
    n = len(report.query_ids)
    assert n >= 2
    for ranker in report.rankers:
        assert set(ranker.metrics) == set(DEFAULT_METRICS)
        assert ranker.requests == n
        assert ranker.latency_ms_median > 0
        for metric in ranker.metrics.values():
            assert len(metric.per_query) == n
            assert metric.mean == pytest.approx(float(np.mean(metric.per_query)))
            assert metric.ci_low <= metric.mean <= metric.ci_high
            assert metric.ci_low >= 0.0
            assert metric.ci_high <= 1.0


def test_baseline_row_has_zero_delta(report: BenchmarkReport) -> None:
    base = report["chronological"]
    assert report.baseline == "chronological"
    for metric in base.metrics.values():
        assert metric.delta == 0.0
        assert metric.p_randomization_holm is None
    for name in ("reddit-hot", "balanced"):
        for key, metric in report[name].metrics.items():
            assert metric.delta == pytest.approx(metric.mean - base.metrics[key].mean)
            assert metric.p_randomization_holm is not None
            assert 0.0 <= metric.p_randomization_holm <= 1.0
            assert metric.p_t_holm is not None


def test_markdown_and_json(report: BenchmarkReport) -> None:
    text = report.to_markdown()
    header = text.splitlines()[2]
    for name in DEFAULT_METRICS:
        assert f"| {name} |" in header
        assert f"Δ {name} (p)" in header
    assert "latency ms" in header
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == len(RANKERS)
    assert "—" in rows[0]
    data = json.loads(report.to_json(per_query=True))
    assert data["baseline"] == "chronological"
    assert len(data["query_ids"]) == len(report.query_ids)
    assert data["rankers"][0]["metrics"]["map"]["delta"] == 0.0


def test_deterministic_for_a_seed(net: SimulatedNetwork, report: BenchmarkReport) -> None:
    again = Benchmark(RANKERS, net, n_resamples=500, seed=1, progress=False).run()
    first = _without_latency(report.to_dict(per_query=True))
    assert _without_latency(again.to_dict(per_query=True)) == first


def test_split_hides_the_future(net: SimulatedNetwork) -> None:
    data = simulated_split(net, split=0.5)
    assert net.start < data.cut < net.now
    ids = set(data.batch.ids.tolist())
    assert ids == {p.id for p in net.posts if p.created_at < data.cut}
    before = {p.id: p for p in net.posts}
    assert int(data.batch.counts.sum()) < sum(sum(before[i].counts.values()) for i in ids)
    for request in data.requests:
        assert all(i.at < data.cut for i in request.interactions)
        assert not set(request.judged_ids.tolist()) & request.viewer.seen
        assert bool(np.any(request.grades >= data.relevance_threshold))


def test_pipelines_baseline_added_and_errors(net: SimulatedNetwork) -> None:
    pipe = preset("hacker-news")
    report = Benchmark(
        [pipe], net, metrics="ndcg@10,P@5", max_queries=10, n_resamples=100, progress=False
    ).run()
    assert [r.name for r in report.rankers] == ["chronological", "hacker-news"]
    assert len(report.query_ids) == 10
    assert report.metrics == ("ndcg@10", "P@5")
    with pytest.raises(InputError):
        Benchmark(RANKERS, net, metrics="nope@3", n_resamples=100, progress=False).run()
    with pytest.raises(FeedrankError):
        Benchmark(["no-such-preset"], net)
    with pytest.raises(InputError):
        Benchmark(RANKERS, "/no/such/u.data").run()


def test_progress_and_chart_note(net: SimulatedNetwork, tmp_path: Path) -> None:
    err = io.StringIO()
    report = Benchmark(
        ["balanced"],
        net,
        max_queries=5,
        n_resamples=100,
        progress=True,
        progress_stream=err,
        chart=tmp_path / "chart.png",
    ).run()
    assert "bench [" in err.getvalue()
    assert "10/10" in err.getvalue()
    if report.chart is None:  # matplotlib not installed: skipped, with a note
        assert any("matplotlib" in note for note in report.notes)
        assert "matplotlib" in report.to_markdown()
    else:
        assert Path(report.chart).is_file()


# ---------------------------------------------------------------- MovieLens
def _write_movielens(path: Path) -> Path:
    """A small u.data: 30 users rate 40 items over 100 days; users like items
    of their own parity (a signal a ranker could find)."""
    rng = np.random.default_rng(5)
    lines: list[str] = []
    for user in range(1, 31):
        items = rng.choice(np.arange(1, 41), size=15, replace=False)
        for item in items.tolist():
            rating = int(rng.integers(4, 6)) if (item + user) % 2 == 0 else int(rng.integers(1, 4))
            stamp = 880_000_000 + int(rng.integers(0, 100 * 86_400))
            lines.append(f"{user}\t{item}\t{rating}\t{stamp}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_movielens_split_and_benchmark(tmp_path: Path) -> None:
    from feedrank.datasets import load_movielens

    path = _write_movielens(tmp_path / "u.data")
    data = movielens_split(load_movielens(path))
    ml = load_movielens(path)
    cut_us = int(np.sort(ml.rated_at)[int(0.8 * len(ml))])
    assert len(data.batch) == len(np.unique(ml.item_ids[ml.rated_at < cut_us]))
    assert int(data.batch.count("view").sum()) == int((ml.rated_at < cut_us).sum())
    for request in data.requests:
        held = (ml.user_ids == request.query_id) & (ml.rated_at >= cut_us)
        relevant = set(request.judged_ids[request.grades > 0].tolist())
        assert relevant <= set(ml.item_ids[held].tolist())
        assert not set(request.judged_ids.tolist()) & request.viewer.seen
    report = Benchmark(RANKERS, path, n_resamples=300, seed=2, progress=False).run()
    assert report.dataset["dataset"] == "movielens"
    for ranker in report.rankers:
        for metric in ranker.metrics.values():
            assert metric.ci_low <= metric.mean <= metric.ci_high
    assert all(m.delta == 0.0 for m in report["chronological"].metrics.values())


# ---------------------------------------------------------------- the command
def _bench(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="feedrank")
    add_bench_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["bench", *argv])
    out = io.StringIO()
    status = args.run(args, out)
    return status, out.getvalue()


FAST = ("--resamples", "200", "--max-queries", "30")


def test_cli_simulated_json_and_markdown(tmp_path: Path) -> None:
    status, text = _bench(
        "--dataset", "simulated", "--rankers", "chronological,reddit-hot,balanced",
        "--seed", "3", "--format", "json", *FAST,
    )  # fmt: skip
    assert status == 0
    data = json.loads(text)
    assert [r["name"] for r in data["rankers"]] == RANKERS
    assert set(data["rankers"][2]["metrics"]) == set(DEFAULT_METRICS)
    out = tmp_path / "report.md"
    status, text = _bench(
        "--rankers", "balanced", "--baseline", "chronological", "--metrics", "map,mrr",
        "--output", str(out), *FAST,
    )  # fmt: skip
    assert status == 0
    assert text == f"wrote {out}\n"
    table = out.read_text(encoding="utf-8")
    assert "| ranker | served | map | Δ map (p) | mrr | Δ mrr (p) | latency ms |" in table
    assert "`balanced`" in table
    assert "`chronological`" in table


def test_cli_movielens(tmp_path: Path) -> None:
    path = _write_movielens(tmp_path / "u.data")
    for fmt in ("json", "markdown"):
        status, text = _bench(
            "--dataset", "movielens", "--path", str(path), "--rankers",
            "chronological,balanced", "--format", fmt, *FAST,
        )  # fmt: skip
        assert status == 0
        if fmt == "json":
            assert json.loads(text)["dataset"]["dataset"] == "movielens"
        else:
            assert "`balanced`" in text
    with pytest.raises(InputError):
        _bench("--dataset", "movielens", *FAST)


def test_cli_errors_are_feedrank_errors(tmp_path: Path) -> None:
    """feedrank.cli.app.main turns FeedrankErrors into exit status 2."""
    with pytest.raises(FeedrankError):
        _bench("--dataset", "movielens", "--path", str(tmp_path / "missing.data"))


def test_a_ranker_that_serves_nothing_is_reported_and_not_tested(tmp_path: Path) -> None:
    """On MovieLens an item's ``created_at`` is its first rating, weeks before the
    cut the requests are ranked at, so ``balanced``'s 72-hour age filter removes
    every candidate: its pages are all empty. That is said, with the removal
    reason, and its zero scores are not tested against the baseline."""
    from feedrank.datasets import load_movielens

    path = _write_movielens(tmp_path / "u.data")
    data = movielens_split(load_movielens(path))
    cut_us = int(data.cut.timestamp() * 1_000_000)
    assert int((cut_us - data.batch.created_at).min()) > 72 * 3_600_000_000
    report = Benchmark(
        ["chronological", "hacker-news", "balanced"], path, n_resamples=300, progress=False
    ).run()
    text = report.to_markdown()
    row = next(line for line in text.splitlines() if line.startswith("| `balanced`"))
    assert "*" not in row  # no difference is flagged significant
    n = len(report.query_ids)
    balanced = report["balanced"]
    assert (balanced.served_requests, balanced.empty_requests) == (0, n)
    candidates = sum(len(r.rows) for r in data.requests)
    assert balanced.removed_counts == {"older_than:72h": candidates}
    assert balanced.significance == "not_applicable"
    for metric in balanced.metrics.values():
        assert metric.mean == 0.0
        assert metric.p_randomization_holm is None
        assert metric.p_t_holm is None
    chrono = report["chronological"]
    assert (chrono.served_requests, chrono.empty_requests) == (n, 0)
    assert chrono.significance == "baseline"
    assert report["hacker-news"].significance == "tested"
    assert "n/a" in row
    assert f"| 0/{n} |" in row
    assert (
        f"`balanced` served nothing: every candidate of all {n} requests was removed "
        f"(older_than:72h: {candidates})"
    ) in text
    ranker = json.loads(report.to_json())["rankers"][2]
    assert ranker["name"] == "balanced"
    assert ranker["served_requests"] == 0
    assert ranker["empty_requests"] == n
    assert ranker["removed_counts"] == {"older_than:72h": candidates}
    assert ranker["significance"] == "not_applicable"
    assert ranker["metrics"]["map"]["p_randomization_holm"] is None


def _write_movielens_one_new_item(path: Path) -> Path:
    """A u.data of 10 users and 100 ratings whose cut (the 0.8 quantile) falls on
    the first of the 20 held-out ratings: items 1..12 were first rated weeks
    before the cut, item 99 a day before it, by users 1..4 only. Every user
    rates two unseen items with 5 stars after the cut (users 5..10: item 99 and
    an old one)."""
    day, start = 86_400, 880_000_000
    t0 = start + 50 * day
    lines: list[str] = []
    for user in range(1, 11):
        old = [(user + k) % 12 + 1 for k in range(8 if user > 4 else 7)]
        lines += [f"{user}\t{item}\t3\t{start + (k + 1) * day}" for k, item in enumerate(old)]
        if user <= 4:
            lines.append(f"{user}\t99\t4\t{t0 - day + user}")
        new, other = (user + 8) % 12 + 1, (user + 9) % 12 + 1
        held = [99, new] if user > 4 else [new, other]
        lines += [
            f"{user}\t{item}\t5\t{t0 + 3_600 * (2 * user + k)}" for k, item in enumerate(held)
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_ranker_that_serves_some_requests_nothing_is_flagged(tmp_path: Path) -> None:
    path = _write_movielens_one_new_item(tmp_path / "u.data")
    report = Benchmark(["balanced"], path, n_resamples=200, progress=False).run()
    assert len(report.query_ids) == 10
    balanced = report["balanced"]
    # users 1..4 rated item 99 before the cut: only items older than 72 h are left
    assert (balanced.served_requests, balanced.empty_requests) == (6, 4)
    assert balanced.empty_removed_counts == {"older_than:72h": 4 * 5}
    assert balanced.removed_counts == {"older_than:72h": 4 * 5 + 6 * 4}
    assert balanced.significance == "tested"
    assert all(m.p_randomization_holm is not None for m in balanced.metrics.values())
    assert report["chronological"].empty_requests == 0
    text = report.to_markdown()
    row = next(line for line in text.splitlines() if line.startswith("| `balanced`"))
    assert "| 6/10 |" in row
    assert row.count("†") == len(report.metrics)
    assert (
        "`balanced` served an empty page to 4 of 10 requests (scored 0 there): every "
        "candidate of those was removed (older_than:72h: 20)"
    ) in text
    chrono = next(line for line in text.splitlines() if line.startswith("| `chronological`"))
    assert "†" not in chrono
    ranker = report.to_dict()["rankers"][1]
    assert (ranker["served_requests"], ranker["empty_requests"]) == (6, 4)
    assert ranker["empty_removed_counts"] == {"older_than:72h": 20}


def test_nothing_is_tested_against_a_baseline_that_serves_nothing(tmp_path: Path) -> None:
    path = _write_movielens(tmp_path / "u.data")
    report = Benchmark(
        ["chronological"], path, baseline="balanced", metrics="map", n_resamples=200,
        progress=False,
    ).run()  # fmt: skip
    assert [r.name for r in report.rankers] == ["balanced", "chronological"]
    assert report["balanced"].served_requests == 0
    chrono = report["chronological"]
    assert chrono.significance == "not_applicable"
    assert chrono.metrics["map"].p_randomization_holm is None
    assert chrono.metrics["map"].delta == pytest.approx(chrono.metrics["map"].mean)
    assert "No ranker is tested against it (Δ n/a)." in report.to_markdown()


# ---------------------------------------------------------------- spec files as rankers
OLDEST_FIRST = """\
name = "oldest-first"
version = "1"
description = "Oldest posts first."

[[scorer.terms]]
name = "age"
signal = { type = "timestamp", scale = 3600.0 }
weight = -1.0
why = "The reverse of chronological."
"""


def _spec_files(tmp_path: Path) -> tuple[Path, Path]:
    """``oldest.toml`` (a spec written by hand) and ``balanced-any-age.toml``:
    ``balanced`` without its age filter, still named ``balanced``."""
    from feedrank import dump_spec, load_spec

    oldest = tmp_path / "oldest.toml"
    oldest.write_text(OLDEST_FIRST, encoding="utf-8")
    spec = preset("balanced").algorithm_spec()  # without the menu: it has a max_age control
    spec["filters"] = [f for f in spec["filters"] if f["type"] != "max_age"]
    any_age = load_spec(spec)
    assert any_age.name == "balanced"
    assert len(any_age.filters) == len(preset("balanced").filters) - 1
    balanced = tmp_path / "balanced-any-age.toml"
    balanced.write_text(dump_spec(any_age), encoding="utf-8")
    return oldest, balanced


def test_cli_rankers_from_spec_files(tmp_path: Path) -> None:
    from feedrank import load_spec

    oldest, any_age = _spec_files(tmp_path)
    path = _write_movielens(tmp_path / "u.data")
    rankers = f"chronological,balanced,{any_age},{oldest}"
    status, text = _bench(
        "--dataset", "movielens", "--path", str(path), "--rankers", rankers,
        "--format", "json", "--metrics", "map", *FAST,
    )  # fmt: skip
    assert status == 0
    data = json.loads(text)
    by_name = {r["name"]: r for r in data["rankers"]}
    # the file whose spec is named like the preset is named by its stem
    assert list(by_name) == ["chronological", "balanced", "balanced-any-age", "oldest-first"]
    assert by_name["balanced-any-age"]["fingerprint"] == load_spec(any_age).fingerprint
    assert by_name["oldest-first"]["fingerprint"] == load_spec(oldest).fingerprint
    assert by_name["balanced"]["fingerprint"] == preset("balanced").fingerprint
    n = data["num_queries"]
    # without its age filter balanced serves every MovieLens request
    assert by_name["balanced"]["served_requests"] == 0
    assert by_name["balanced-any-age"]["served_requests"] == n
    assert by_name["balanced-any-age"]["significance"] == "tested"
    assert (
        by_name["oldest-first"]["metrics"]["map"]["mean"]
        != by_name["chronological"]["metrics"]["map"]["mean"]
    )
    status, text = _bench(
        "--dataset", "movielens", "--path", str(path), "--rankers", f"chronological,{oldest}",
        "--baseline", str(oldest), "--metrics", "map", *FAST,
    )  # fmt: skip
    assert status == 0
    assert "Δ: mean difference to `oldest-first`" in text
    assert f"`oldest-first` {load_spec(oldest).fingerprint[:12]}" in text
    first = next(line for line in text.splitlines() if line.startswith("| `"))
    assert first.startswith("| `oldest-first` |")


def test_cli_rankers_errors_name_the_option_and_value(tmp_path: Path) -> None:
    oldest, _ = _spec_files(tmp_path)
    for value in ("no-such-preset", str(tmp_path / "missing.toml")):
        with pytest.raises(InputError) as err:
            _bench("--rankers", f"chronological,{value}", *FAST)
        assert err.value.field == "--rankers"
        assert value in err.value.message
    with pytest.raises(InputError) as err:
        _bench("--rankers", str(oldest), "--baseline", "nope", *FAST)
    assert err.value.field == "--baseline"
    assert "'nope'" in err.value.message
    other = tmp_path / "other"
    other.mkdir()
    (other / "oldest.toml").write_text(OLDEST_FIRST.replace("-1.0", "-2.0"), encoding="utf-8")
    with pytest.raises(InputError, match="given twice") as err:
        _bench("--rankers", f"{oldest},{other / 'oldest.toml'}", *FAST)
    assert err.value.field == "--rankers"
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "broken"\n[scorer]\nterms = 3\n', encoding="utf-8")
    with pytest.raises(FeedrankError) as spec_err:
        _bench("--rankers", str(broken), *FAST)
    assert spec_err.value.source == str(broken)
    assert spec_err.value.field == "scorer.terms"


def test_benchmark_takes_paths_pipelines_and_a_spec_baseline(
    net: SimulatedNetwork, tmp_path: Path
) -> None:
    from feedrank import load_spec

    oldest, any_age = _spec_files(tmp_path)
    bench = Benchmark(
        [oldest, preset("hacker-news"), str(any_age)], net, baseline=str(oldest),
        metrics="map", max_queries=8, n_resamples=100, progress=False,
    )  # fmt: skip
    assert list(bench.pipelines) == ["oldest-first", "hacker-news", "balanced"]
    assert bench.baseline == "oldest-first"
    report = bench.run()
    assert report.baseline == "oldest-first"
    assert report["oldest-first"].fingerprint == load_spec(oldest).fingerprint
    assert report["balanced"].fingerprint == load_spec(any_age).fingerprint
    # a baseline given as a file not among the rankers is added first
    bench = Benchmark(["chronological"], net, baseline=oldest, metrics="map", progress=False)
    assert list(bench.pipelines) == ["oldest-first", "chronological"]
    with pytest.raises(InputError) as err:
        Benchmark([42], net)  # type: ignore[list-item]
    assert err.value.field == "rankers"
