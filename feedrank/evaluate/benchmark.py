"""The benchmark harness: rankers × dataset × temporal split → a report.

:class:`Benchmark` ranks the test requests of a dataset with every ranker (a
preset name, a spec file or a :class:`~feedrank.Pipeline`), scores the rankings with
:func:`~feedrank.evaluate.metrics.evaluate`, and reports for each ranker every
metric per query and as a mean with a percentile bootstrap confidence interval,
the difference to a baseline ranker with Holm-adjusted p-values
(:func:`~feedrank.evaluate.stats.compare_to_baseline`) and the median ranking
latency per request.

Temporal split. Every test request is ranked at a cut time ``cut``, seeing only
what existed before it:

- ``simulated`` (:func:`~feedrank.evaluate.simulated.simulated_split`): the cut
  is ``start + split × (now − start)`` of a :func:`~feedrank.datasets.simulate`
  network; relevance is the simulator's ground truth.
- MovieLens (:func:`~feedrank.evaluate.movielens.movielens_split`): the cut is
  the ``split`` quantile of the rating times; relevance is
  :func:`~feedrank.datasets.movielens_grade` of the ratings after the cut.

Each of those modules says which posts are candidates and what the viewer knows.

A query is kept only when it has a relevant candidate (grade >= the
threshold), so every measure is defined. Runs are the top ``depth`` posts of
each ranking, scored by position, and every query of the qrels is evaluated
(a request a ranker empties scores 0), so per-query arrays align across
rankers.

Empty pages are reported, not hidden in the means: for each ranker the
number of requests it served a page to and the empty ones, and the
candidates its filters and re-rankers removed by reason
(``Ranking.removal_counts``), over every request and over the empty ones. A
ranker that served nothing on every request (say ``balanced`` on MovieLens,
where an item's ``created_at`` is its first rating, weeks before the cut, so
its 72-hour age filter removes every candidate) is not tested against the
baseline, nor counted in the Holm family: its significance is
``"not_applicable"``, as is every ranker's when the baseline served nothing.

Latency (``time.perf_counter`` around ``Pipeline.rank`` only) is a
measurement for the report and varies run to run; everything else is fixed
by ``seed``.

>>> from feedrank.datasets import simulate
>>> net = simulate(rng=3, n_users=20, n_posts=120, hours=24.0)
>>> report = Benchmark(["chronological", "reddit-hot"], net, metrics=["ndcg@10"],
...                    n_resamples=200, progress=False).run()
>>> [r.name for r in report.rankers], report.baseline
(['chronological', 'reddit-hot'], 'chronological')
>>> report.rankers[0].metrics["ndcg@10"].delta
0.0
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.context import Context
from feedrank.datasets.movielens import MovieLensData, load_movielens
from feedrank.datasets.network import SimulatedNetwork
from feedrank.datasets.simulator import simulate
from feedrank.errors import InputError, SpecError
from feedrank.evaluate._progress import Progress
from feedrank.evaluate.metrics import evaluate
from feedrank.evaluate.movielens import movielens_split
from feedrank.evaluate.report import BenchmarkReport, MetricResult, RankerResult, Significance
from feedrank.evaluate.run import Run
from feedrank.evaluate.simulated import simulated_split
from feedrank.evaluate.split import BenchmarkData
from feedrank.evaluate.stats import bootstrap_ci, compare_to_baseline
from feedrank.presets import PRESETS, spec_or_preset
from feedrank.spec.pipeline import Pipeline

__all__ = ["DEFAULT_METRICS", "Benchmark", "Ranker", "named_rankers"]

DEFAULT_METRICS: tuple[str, ...] = ("ndcg@10", "map", "mrr", "P@10", "recall@10")
"""The metrics reported unless others are asked for."""


# ---------------------------------------------------------------- the harness
class Benchmark:
    """Rankers × dataset × temporal split → :class:`BenchmarkReport`.

    Parameters
    ----------
    rankers : preset names, spec files (paths) or Pipelines; a mapping name -> ranker
        or a comma-separated string. A preset is named as given, a Pipeline or
        a spec file by the spec's ``name`` (a file by its stem when another
        ranker has that name); see :func:`named_rankers`.
    dataset : "simulated", a path, SimulatedNetwork, MovieLensData or BenchmarkData
        ``"simulated"``: ``simulate(rng=seed)``; any other string or path: a
        MovieLens ratings file (u.data, ratings.csv, ratings.dat).
    baseline : a ranker's name, or a preset, spec file or Pipeline; default "chronological"
        The ranker every other is compared to; one not among the rankers is
        added (first). ``self.baseline`` is its name.
    metrics : measure names (see :data:`~feedrank.evaluate.measures.MEASURE_NAMES`)
    split : fraction of the timeline before the cut (default 0.75 simulated,
        0.8 MovieLens quantile of ratings)
    depth : posts per ranking that enter the run (default 100)
    relevance_threshold : grade from which a document is relevant (default 2)
    max_queries : keep at most this many requests (random, by ``seed``)
    seed : fixes the simulation, the query sample and the resampling
    n_resamples, confidence : bootstrap / randomisation settings
    progress : True, False, or None (default: when stderr is a terminal)
    chart : path of a bar chart image (needs matplotlib; skipped with a note)
    """

    def __init__(
        self,
        rankers: Sequence[Ranker] | Mapping[str, Ranker] | str,
        dataset: str | os.PathLike[str] | SimulatedNetwork | MovieLensData | BenchmarkData,
        *,
        baseline: Ranker = "chronological",
        metrics: Sequence[str] | str = DEFAULT_METRICS,
        split: float | None = None,
        depth: int = 100,
        relevance_threshold: int = 2,
        max_queries: int | None = None,
        seed: int = 0,
        n_resamples: int = 10_000,
        confidence: float = 0.95,
        progress: bool | None = None,
        progress_stream: TextIO | None = None,
        chart: str | os.PathLike[str] | None = None,
    ) -> None:
        self.pipelines, self.baseline = named_rankers(rankers, baseline)
        names = [metrics] if isinstance(metrics, str) else list(metrics)
        self.metrics = tuple(n.strip() for item in names for n in item.split(",") if n.strip())
        if not self.metrics:
            raise InputError("no metric given", field="metrics", expected="e.g. ndcg@10,map")
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise InputError(f"got {depth!r}", field="depth", expected="an integer >= 1")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise InputError(f"got {seed!r}", field="seed", expected="an integer >= 0")
        self.dataset = dataset
        self.split = split
        self.depth = depth
        self.relevance_threshold = relevance_threshold
        self.max_queries = max_queries
        self.seed = seed
        self.n_resamples = n_resamples
        self.confidence = confidence
        self.progress = progress
        self.progress_stream = progress_stream
        self.chart = chart

    def data(self) -> BenchmarkData:
        """The dataset cut in time (built from ``dataset``)."""
        ds = self.dataset
        opts: dict[str, Any] = {
            "relevance_threshold": self.relevance_threshold,
            "max_queries": self.max_queries,
            "seed": self.seed,
        }
        if self.split is not None:
            opts["split"] = self.split
        if isinstance(ds, BenchmarkData):
            return ds
        if isinstance(ds, SimulatedNetwork):
            return simulated_split(ds, **opts)
        if isinstance(ds, MovieLensData):
            return movielens_split(ds, **opts)
        if isinstance(ds, str) and ds == "simulated":
            return simulated_split(simulate(rng=self.seed), **opts)
        if isinstance(ds, str | os.PathLike):
            path = Path(ds)
            if not path.is_file():
                raise InputError(
                    f"no such file {str(path)!r}",
                    field="dataset",
                    expected='"simulated" or a MovieLens ratings file (u.data, ratings.csv)',
                )
            return movielens_split(load_movielens(path), **opts)
        raise InputError(
            f"got {type(ds).__name__}",
            field="dataset",
            expected='"simulated", a MovieLens path, a SimulatedNetwork or MovieLensData',
        )

    def run(self) -> BenchmarkReport:
        """Rank every request with every ranker, evaluate, compare; see the class."""
        data = self.data()
        if len(data.requests) < 2:
            raise InputError(
                f"{len(data.requests)} test request(s) with a relevant document",
                field="dataset",
                expected="at least 2 (more ratings or posts after the cut)",
            )
        qrels = data.qrels()
        stream = self._progress_stream()
        progress = Progress(stream, len(data.requests) * len(self.pipelines))
        runs: dict[str, list[tuple[str, list[str]]]] = {name: [] for name in self.pipelines}
        latency: dict[str, list[float]] = {name: [] for name in self.pipelines}
        serving = {name: _Serving() for name in self.pipelines}
        for request in data.requests:
            batch = data.batch.take(request.rows)
            ctx = Context.build(
                batch,
                now=data.cut,
                viewer=request.viewer,
                interactions=request.interactions,
                post_authors=data.post_authors,
            )
            for name, pipe in self.pipelines.items():
                start = time.perf_counter()
                ranking = pipe.rank(batch, ctx, limit=self.depth)
                latency[name].append(time.perf_counter() - start)
                runs[name].append((request.query_id, list(ranking.post_ids)))
                serving[name].add(len(ranking) > 0, ranking.removal_counts())
                progress.step(name)
        per_query: dict[str, dict[str, NDArray[np.float64]]] = {}
        query_ids: tuple[str, ...] = ()
        for name, rows in runs.items():
            result = evaluate(
                _to_run(rows),
                qrels,
                list(self.metrics),
                queries="qrels",
                relevance_threshold=data.relevance_threshold,
            )
            query_ids = tuple(result.query_ids.tolist())
            per_query[name] = {m: np.asarray(result.per_query[m]) for m in self.metrics}
        results = self._summarise(per_query, latency, serving)
        notes: list[str] = []
        chart: str | None = None
        base = per_query[self.baseline]
        for name in list(self.pipelines)[1:]:
            if not serving[name].served or not serving[self.baseline].served:
                continue  # the report says it served nothing: not a coincidence to explain
            if all(np.array_equal(per_query[name][m], base[m]) for m in self.metrics):
                notes.append(
                    f"`{name}` scores exactly as `{self.baseline}` on every query: on this "
                    "dataset its rankings agree with the baseline's wherever it is judged "
                    "(e.g. the signals it reads are absent, so a shared term decides)"
                )
        report = BenchmarkReport(
            dataset=dict(data.description),
            baseline=self.baseline,
            metrics=self.metrics,
            query_ids=query_ids,
            rankers=results,
            confidence=self.confidence,
            n_resamples=self.n_resamples,
            depth=self.depth,
            seed=self.seed,
        )
        if self.chart is not None:
            chart = report.save_chart(self.chart)
            if chart is None:
                notes.append("chart skipped: matplotlib is not installed")
        if notes or chart:
            report = BenchmarkReport(**{**report.__dict__, "notes": tuple(notes), "chart": chart})
        return report

    def _progress_stream(self) -> TextIO | None:
        stream = self.progress_stream if self.progress_stream is not None else sys.stderr
        if self.progress is None:
            return stream if stream.isatty() else None
        return stream if self.progress else None

    def _summarise(
        self,
        per_query: dict[str, dict[str, NDArray[np.float64]]],
        latency: dict[str, list[float]],
        serving: dict[str, _Serving],
    ) -> tuple[RankerResult, ...]:
        names = list(self.pipelines)
        cells: dict[str, dict[str, MetricResult]] = {name: {} for name in names}
        # A ranker that served nothing scores 0 on every query: its difference to
        # the baseline measures empty pages, so it is not tested (nor counted in
        # the Holm family); against a baseline that served nothing, none is.
        significance: dict[str, Significance] = {}
        for name in names:
            if name == self.baseline:
                significance[name] = "baseline"
            elif serving[name].served and serving[self.baseline].served:
                significance[name] = "tested"
            else:
                significance[name] = "not_applicable"
        tested = [name for name in names if significance[name] != "not_applicable"]
        for j, metric in enumerate(self.metrics):
            for i, name in enumerate(names):
                values = per_query[name][metric]
                ci = bootstrap_ci(
                    values,
                    rng=np.random.default_rng((self.seed, j, i)),
                    n_resamples=self.n_resamples,
                    confidence=self.confidence,
                )
                cells[name][metric] = MetricResult(
                    mean=float(values.mean()),
                    ci_low=min(ci.low, float(values.mean())),
                    ci_high=max(ci.high, float(values.mean())),
                    per_query=tuple(values.tolist()),
                )
            base = per_query[self.baseline][metric]
            for i, name in enumerate(names):
                if significance[name] != "not_applicable":
                    continue
                diff = bootstrap_ci(
                    per_query[name][metric] - base,
                    rng=np.random.default_rng((self.seed, j, i, 1)),
                    n_resamples=self.n_resamples,
                    confidence=self.confidence,
                )
                cells[name][metric] = MetricResult(
                    **{
                        **cells[name][metric].__dict__,
                        "delta": diff.mean,
                        "delta_ci_low": diff.low,
                        "delta_ci_high": diff.high,
                    }
                )
            if len(tested) < 2:
                continue
            comparison = compare_to_baseline(
                {name: per_query[name][metric] for name in tested},
                self.baseline,
                rng=np.random.default_rng((self.seed, j, 1 << 20)),
                n_resamples=self.n_resamples,
                confidence=self.confidence,
            )
            for row in comparison.rankers:
                cells[row.name][metric] = MetricResult(
                    **{
                        **cells[row.name][metric].__dict__,
                        "delta": row.mean_difference,
                        "delta_ci_low": row.ci_low,
                        "delta_ci_high": row.ci_high,
                        "p_t_holm": row.p_t_holm,
                        "p_randomization_holm": row.p_randomization_holm,
                    }
                )
        out: list[RankerResult] = []
        for name in names:
            ms = np.array(latency[name]) * 1000.0
            out.append(
                RankerResult(
                    name=name,
                    fingerprint=self.pipelines[name].fingerprint,
                    metrics=cells[name],
                    latency_ms_median=float(np.median(ms)),
                    latency_ms_p95=float(np.quantile(ms, 0.95)),
                    requests=int(ms.shape[0]),
                    served_requests=serving[name].served,
                    empty_requests=serving[name].empty,
                    removed_counts=dict(serving[name].removed),
                    empty_removed_counts=dict(serving[name].removed_on_empty),
                    significance=significance[name],
                )
            )
        return tuple(out)


Ranker = str | os.PathLike[str] | Pipeline
"""A ranker as :class:`Benchmark` takes it: a preset name, a spec file
(``.toml`` / ``.json``, a path or a string naming one) or a Pipeline."""


def named_rankers(
    rankers: Sequence[Ranker] | Mapping[str, Ranker] | str,
    baseline: Ranker = "chronological",
    *,
    field: str = "rankers",
    baseline_field: str = "baseline",
) -> tuple[dict[str, Pipeline], str]:
    """The rankers of a benchmark by name, the baseline first, and the baseline's name.

    Every ranker is resolved as ``--spec`` is (:func:`~feedrank.presets.spec_or_preset`):
    a preset by its name, else a spec file by its path. A preset is named as
    given, a Pipeline and a spec file by the spec's ``name`` (a file by its
    stem when another ranker has that name); a mapping names them itself, and
    a string is a comma-separated list. ``baseline`` is a ranker's name, or a
    ranker resolved the same way: one with the fingerprint of a listed ranker
    is that ranker, any other is added first.

    InputError naming ``field`` (``baseline_field``) and the value for an
    unknown name or a missing file, or a name given twice; a spec file that
    does not load raises the SpecError naming the file and the field in it.

    >>> pipes, base = named_rankers("reddit-hot,balanced")
    >>> list(pipes), base
    (['chronological', 'reddit-hot', 'balanced'], 'chronological')
    """
    entries: list[tuple[str, Pipeline, str | None]]
    if isinstance(rankers, Mapping):
        entries = [(name, _resolve(r, field)[1], None) for name, r in rankers.items()]
    else:
        values = rankers.split(",") if isinstance(rankers, str) else list(rankers)
        given = [v.strip() if isinstance(v, str) else v for v in values]
        entries = [_resolve(v, field) for v in given if v != ""]
    natural = Counter(name for name, _, _ in entries)
    out: dict[str, Pipeline] = {}
    for name, pipe, stem in entries:
        if stem is not None and natural[name] > 1:
            name = stem
        if name in out:
            raise InputError(
                f"ranker {name!r} is given twice",
                field=field,
                expected="distinct rankers (a spec file is named by its spec's name, "
                "or by its file stem when another ranker has that name)",
            )
        out[name] = pipe
    if isinstance(baseline, str) and baseline in out:
        name = baseline
    else:
        name, pipe, stem = _resolve(baseline, baseline_field)
        same = [n for n, p in out.items() if p.fingerprint == pipe.fingerprint]
        if same:
            name = same[0]
        else:
            if name in out and stem is not None:
                name = stem
            if name in out:
                raise InputError(
                    f"baseline {_shown(baseline)!r} is named {name!r}, as another ranker is",
                    field=baseline_field,
                    expected="a ranker's name, or a preset or spec file named apart from them",
                )
            out = {name: pipe, **out}
    return {name: out[name], **{k: v for k, v in out.items() if k != name}}, name


def _resolve(value: Ranker, field: str) -> tuple[str, Pipeline, str | None]:
    """(name, pipeline, file stem or None) of one ranker; see :func:`named_rankers`."""
    if isinstance(value, Pipeline):
        return value.name, value, None
    if not isinstance(value, str | os.PathLike):
        raise InputError(
            f"ranker {value!r} is a {type(value).__name__}",
            field=field,
            expected="preset names, spec files or Pipelines",
        )
    try:
        pipe = spec_or_preset(value if isinstance(value, str) else Path(value))
    except SpecError as err:
        if err.source is not None:  # the file was read: the error names it and the field in it
            raise
        # no such preset or file (the message names the value): an error in the option
        raise InputError(err.message, field=field, expected=err.expected) from None
    if isinstance(value, str) and value in PRESETS:
        return value, pipe, None
    return pipe.name, pipe, Path(value).stem


def _shown(value: Ranker) -> str:
    return value.name if isinstance(value, Pipeline) else os.fspath(value)


class _Serving:
    """What one ranker served over the requests: how many pages were empty and
    the candidates removed, by reason, over all requests and the empty ones."""

    def __init__(self) -> None:
        self.served = 0
        self.empty = 0
        self.removed: Counter[str] = Counter()
        self.removed_on_empty: Counter[str] = Counter()

    def add(self, served: bool, removed: Mapping[str, int]) -> None:
        self.removed.update(removed)
        if served:
            self.served += 1
        else:
            self.empty += 1
            self.removed_on_empty.update(removed)


def _to_run(rows: list[tuple[str, list[str]]]) -> Run:
    queries: list[str] = []
    docs: list[str] = []
    scores: list[float] = []
    for query_id, post_ids in rows:
        queries += [query_id] * len(post_ids)
        docs += post_ids
        scores += [float(len(post_ids) - i) for i in range(len(post_ids))]
    return Run(np.array(queries, dtype=np.str_), np.array(docs, dtype=np.str_), np.array(scores))
