"""The benchmark harness: rankers × dataset × temporal split → a report.

:class:`Benchmark` ranks the test requests of a dataset with every ranker (a
preset name or a :class:`~feedrank.Pipeline`), scores the rankings with
:func:`~feedrank.evaluate.metrics.evaluate`, and reports for each ranker every
metric per query and as a mean with a percentile bootstrap confidence interval,
the difference to a baseline ranker with Holm-adjusted p-values
(:func:`~feedrank.evaluate.stats.compare_to_baseline`) and the median ranking
latency per request.

Temporal split. Every test request is ranked at a cut time ``cut``, seeing only
what existed before it:

- ``simulated`` (:func:`simulated_split`): the cut is ``start + split × (now −
  start)`` of a :func:`~feedrank.datasets.simulate` network. Candidates are
  the posts created before the cut, with their interaction counts recounted
  from the interactions before the cut; each viewer's request holds the
  candidates it has not been shown before the cut and did not write. The
  viewer's ``seen`` is rebuilt from the views before the cut and ``muted`` is
  emptied (the simulator draws mutes at ``now``). Relevance is the simulator's
  ground truth, ``net.relevance_grades`` (0..3) of every candidate.
- MovieLens (:func:`movielens_split`): the cut is the ``split`` quantile of
  the rating times. Candidates are the items rated before the cut (counts and
  ``mean_rating`` from those ratings only); a user's request holds the items
  they had not rated before the cut; relevance is
  :func:`~feedrank.datasets.movielens_grade` of their ratings after the cut
  (unrated items are judged 0).

A query is kept only when it has a relevant candidate (grade >= the
threshold), so every measure is defined. Runs are the top ``depth`` posts of
each ranking, scored by position, and every query of the qrels is evaluated
(a request a ranker empties scores 0), so per-query arrays align across
rankers. Latency (``time.perf_counter`` around ``Pipeline.rank`` only) is a
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

import importlib
import json
import math
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from feedrank._time import EPOCH
from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.datasets import (
    MovieLensData,
    SimulatedNetwork,
    load_movielens,
    movielens_grade,
    simulate,
)
from feedrank.errors import InputError
from feedrank.evaluate.metrics import evaluate
from feedrank.evaluate.qrels import Qrels
from feedrank.evaluate.run import Run
from feedrank.evaluate.stats import bootstrap_ci, compare_to_baseline
from feedrank.models import Interaction, InteractionKind, Post, Viewer
from feedrank.presets import preset
from feedrank.spec.pipeline import Pipeline

__all__ = [
    "DEFAULT_METRICS",
    "BenchRequest",
    "Benchmark",
    "BenchmarkData",
    "BenchmarkReport",
    "MetricResult",
    "RankerResult",
    "movielens_split",
    "simulated_split",
]

DEFAULT_METRICS: tuple[str, ...] = ("ndcg@10", "map", "mrr", "P@10", "recall@10")
"""The metrics reported unless others are asked for."""


# ---------------------------------------------------------------- the split
@dataclass(frozen=True, eq=False)
class BenchRequest:
    """One test request: ``viewer`` ranks ``rows`` (positions in the split's
    ``batch``) at the cut, knowing ``interactions``; ``judged_ids`` /
    ``grades`` (same length) are its relevance judgements."""

    query_id: str
    viewer: Viewer
    interactions: tuple[Interaction, ...]
    rows: NDArray[np.intp]
    judged_ids: NDArray[np.str_]
    grades: NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class BenchmarkData:
    """A dataset cut in time: the posts visible at ``cut`` and the test requests.

    ``batch`` holds every visible post (counts as of the cut), ``requests`` one
    :class:`BenchRequest` per query, ``post_authors`` post id -> author id of
    every post an interaction may name, ``relevance_threshold`` the grade from
    which a document counts as relevant, ``description`` a JSON-ready summary.
    """

    name: str
    cut: datetime
    batch: PostBatch
    requests: tuple[BenchRequest, ...]
    post_authors: Mapping[str, str]
    relevance_threshold: int
    description: Mapping[str, Any]

    def qrels(self) -> Qrels:
        """The judgements of every request as :class:`~feedrank.evaluate.qrels.Qrels`."""
        queries = np.concatenate(
            [np.full(len(r.judged_ids), r.query_id) for r in self.requests]
            or [np.zeros(0, dtype=np.str_)]
        )
        docs = np.concatenate([r.judged_ids for r in self.requests] or [queries[:0]])
        grades = np.concatenate([r.grades for r in self.requests] or [np.zeros(0, dtype=np.int64)])
        return Qrels(queries.astype(np.str_), docs.astype(np.str_), grades)


def _fraction(split: float, name: str = "split") -> float:
    if isinstance(split, bool) or not isinstance(split, int | float) or not 0.0 < split < 1.0:
        raise InputError(f"got {split!r}", field=name, expected="a number strictly between 0 and 1")
    return float(split)


def _micros(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _sample(requests: list[BenchRequest], max_queries: int | None, seed: int) -> list[BenchRequest]:
    if max_queries is None or len(requests) <= max_queries:
        return requests
    if isinstance(max_queries, bool) or not isinstance(max_queries, int) or max_queries < 2:
        raise InputError(f"got {max_queries!r}", field="max_queries", expected="an integer >= 2")
    keep = np.random.default_rng(seed).choice(len(requests), size=max_queries, replace=False)
    return [requests[i] for i in sorted(keep.tolist())]


def simulated_split(
    net: SimulatedNetwork,
    *,
    cut: datetime | None = None,
    split: float = 0.75,
    relevance_threshold: int = 2,
    max_queries: int | None = None,
    seed: int = 0,
) -> BenchmarkData:
    """Cut ``net`` at ``cut`` (default ``start + split × (now − start)``); see the module.

    One request per viewer with a relevant candidate (ground-truth grade >=
    ``relevance_threshold``; 2 means relevance r >= 0.5). ``max_queries`` keeps a
    random subset (drawn with ``seed``).
    """
    if cut is None:
        cut = net.start + (net.now - net.start) * _fraction(split)
    if cut.utcoffset() is None or not net.start < cut <= net.now:
        raise InputError(
            f"cut {cut!r}", field="cut", expected="a timezone-aware time in (start, now]"
        )
    before = [i for i in net.interactions if i.at < cut]
    counts: dict[str, dict[InteractionKind, int]] = {}
    for item in before:
        per = counts.setdefault(item.post_id, {})
        per[item.kind] = per.get(item.kind, 0) + 1
    posts = [
        p.model_copy(update={"counts": counts.get(p.id, {})})
        for p in net.posts
        if p.created_at < cut
    ]
    batch = PostBatch.from_posts(posts, net.authors)
    ids, authors = batch.ids, batch.author_ids
    by_viewer: dict[str, list[Interaction]] = {}
    for item in before:
        by_viewer.setdefault(item.viewer_id, []).append(item)
    requests: list[BenchRequest] = []
    for viewer in net.viewers:
        mine = by_viewer.get(viewer.id, [])
        seen = frozenset(i.post_id for i in mine if i.kind == InteractionKind.VIEW)
        rows = np.flatnonzero((authors != viewer.id) & ~np.isin(ids, list(seen) or [""]))
        rows = rows.astype(np.intp)
        if rows.shape[0] == 0:
            continue
        grades = net.relevance_grades(viewer.id, ids[rows])
        if not np.any(grades >= relevance_threshold):
            continue
        requests.append(
            BenchRequest(
                query_id=viewer.id,
                viewer=viewer.model_copy(update={"seen": seen, "muted": frozenset()}),
                interactions=tuple(mine),
                rows=rows,
                judged_ids=ids[rows],
                grades=grades,
            )
        )
    total = len(requests)
    kept = _sample(requests, max_queries, seed)
    return BenchmarkData(
        name="simulated",
        cut=cut,
        batch=batch,
        requests=tuple(kept),
        post_authors=net.post_authors(),
        relevance_threshold=relevance_threshold,
        description={
            "dataset": "simulated",
            "parameters": {k: _jsonable(v) for k, v in net.parameters.items()},
            "start": net.start.isoformat(),
            "now": net.now.isoformat(),
            "cut": cut.isoformat(),
            "visible_posts": len(batch),
            "queries": len(kept),
            "queries_with_relevant": total,
            "relevance": f"ground truth grades 0..3, relevant if >= {relevance_threshold}",
        },
    )


def movielens_split(
    data: MovieLensData,
    *,
    split: float = 0.8,
    relevance_threshold: int = 2,
    max_queries: int | None = None,
    seed: int = 0,
) -> BenchmarkData:
    """Cut MovieLens ratings at the ``split`` quantile of their times; see the module.

    One request per user with a held-out rating after the cut of grade >=
    ``relevance_threshold`` (2: 4 stars or more) on an item visible at the cut
    and not rated before it.
    """
    m = len(data)
    if m < 2:
        raise InputError(f"{m} ratings", field="path", expected="at least 2 ratings")
    times = np.sort(data.rated_at)
    cut_us = int(times[min(m - 1, max(1, math.floor(_fraction(split) * m)))])
    if cut_us <= int(times[0]):
        raise InputError(
            "every rating has the same time", field="path", expected="ratings at different times"
        )
    cut = EPOCH + timedelta(microseconds=cut_us)
    train = data.rated_at < cut_us
    t_users, t_items = data.user_ids[train], data.item_ids[train]
    t_ratings, t_times = data.ratings[train], data.rated_at[train]
    items, inverse = np.unique(t_items, return_inverse=True)
    k = items.shape[0]
    first = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, inverse, t_times)
    views = np.bincount(inverse, minlength=k)
    liked = t_ratings >= data.like_threshold
    likes = np.bincount(inverse, weights=liked, minlength=k).astype(np.int64)
    means = np.bincount(inverse, weights=t_ratings, minlength=k) / np.maximum(views, 1)
    posts = [
        Post(
            id=str(items[j]),
            author_id=str(items[j]),
            created_at=EPOCH + timedelta(microseconds=int(first[j])),
            counts={InteractionKind.VIEW: int(views[j]), InteractionKind.LIKE: int(likes[j])},
            features={"mean_rating": float(means[j])},
        )
        for j in range(k)
    ]
    batch = PostBatch.from_posts(posts)
    ids = batch.ids
    rated: dict[str, list[int]] = {}
    for row, user in enumerate(t_users.tolist()):
        rated.setdefault(user, []).append(row)
    test = ~train & np.isin(data.item_ids, items)
    grades_all = movielens_grade(data.ratings)
    held: dict[str, list[int]] = {}
    for row in np.flatnonzero(test).tolist():
        held.setdefault(str(data.user_ids[row]), []).append(row)
    requests: list[BenchRequest] = []
    for user in sorted(held):
        rows_test = np.array(held[user], dtype=np.intp)
        if not np.any(grades_all[rows_test] >= relevance_threshold):
            continue
        mine = rated.get(user, [])
        seen_items = t_items[mine]
        rows = np.flatnonzero(~np.isin(ids, seen_items)).astype(np.intp)
        cand = ids[rows]
        grades = np.zeros(rows.shape[0], dtype=np.int64)
        where = np.searchsorted(cand, data.item_ids[rows_test])  # ids are sorted
        grades[where] = grades_all[rows_test]
        interactions = tuple(
            Interaction(
                viewer_id=user,
                post_id=str(t_items[r]),
                kind=InteractionKind.LIKE if liked[r] else InteractionKind.VIEW,
                at=EPOCH + timedelta(microseconds=int(t_times[r])),
                value=float(t_ratings[r]),
            )
            for r in mine
        )
        requests.append(
            BenchRequest(
                query_id=user,
                viewer=Viewer(id=user, seen=frozenset(seen_items.tolist())),
                interactions=interactions,
                rows=rows,
                judged_ids=cand,
                grades=grades,
            )
        )
    total = len(requests)
    kept = _sample(requests, max_queries, seed)
    return BenchmarkData(
        name="movielens",
        cut=cut,
        batch=batch,
        requests=tuple(kept),
        post_authors={str(i): str(i) for i in items.tolist()},
        relevance_threshold=relevance_threshold,
        description={
            "dataset": "movielens",
            "source": data.source,
            "ratings": m,
            "ratings_before_cut": int(train.sum()),
            "cut": cut.isoformat(),
            "visible_posts": len(batch),
            "queries": len(kept),
            "queries_with_relevant": total,
            "relevance": "movielens_grade of the ratings after the cut, relevant if >= "
            f"{relevance_threshold}",
        },
    )


def _jsonable(value: object) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


# ---------------------------------------------------------------- the report
@dataclass(frozen=True)
class MetricResult:
    """One metric of one ranker.

    ``per_query`` aligns with the report's ``query_ids``; ``ci_low``/``ci_high``
    bound the mean (percentile bootstrap). ``delta`` is mean − baseline mean,
    ``delta_ci_*`` its bootstrap interval, ``p_t_holm`` / ``p_randomization_holm``
    the paired t and randomisation p-values, Holm-adjusted over the rankers
    (None for the baseline itself, whose delta is 0).
    """

    mean: float
    ci_low: float
    ci_high: float
    per_query: tuple[float, ...]
    delta: float = 0.0
    delta_ci_low: float = 0.0
    delta_ci_high: float = 0.0
    p_t_holm: float | None = None
    p_randomization_holm: float | None = None

    def to_dict(self, *, per_query: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mean": self.mean,
            "ci": [self.ci_low, self.ci_high],
            "delta": self.delta,
            "delta_ci": [self.delta_ci_low, self.delta_ci_high],
            "p_t_holm": self.p_t_holm,
            "p_randomization_holm": self.p_randomization_holm,
        }
        if per_query:
            out["per_query"] = list(self.per_query)
        return out


@dataclass(frozen=True)
class RankerResult:
    """Every metric of one ranker, and its latency in milliseconds per request."""

    name: str
    fingerprint: str
    metrics: Mapping[str, MetricResult]
    latency_ms_median: float
    latency_ms_p95: float
    requests: int

    def to_dict(self, *, per_query: bool = False) -> dict[str, Any]:
        return {
            "name": self.name,
            "fingerprint": self.fingerprint,
            "metrics": {k: v.to_dict(per_query=per_query) for k, v in self.metrics.items()},
            "latency_ms": {"median": self.latency_ms_median, "p95": self.latency_ms_p95},
            "requests": self.requests,
        }


@dataclass(frozen=True)
class BenchmarkReport:
    """What :meth:`Benchmark.run` returns: one :class:`RankerResult` per ranker
    (baseline first), the evaluated ``query_ids``, the settings and ``notes``."""

    dataset: Mapping[str, Any]
    baseline: str
    metrics: tuple[str, ...]
    query_ids: tuple[str, ...]
    rankers: tuple[RankerResult, ...]
    confidence: float
    n_resamples: int
    depth: int
    seed: int
    notes: tuple[str, ...] = ()
    chart: str | None = None

    def __getitem__(self, name: str) -> RankerResult:
        for result in self.rankers:
            if result.name == name:
                return result
        raise KeyError(name)

    def to_dict(self, *, per_query: bool = False) -> dict[str, Any]:
        """A JSON-ready dict (``per_query``: add every query's values and ids)."""
        out: dict[str, Any] = {
            "dataset": dict(self.dataset),
            "baseline": self.baseline,
            "metrics": list(self.metrics),
            "num_queries": len(self.query_ids),
            "confidence": self.confidence,
            "n_resamples": self.n_resamples,
            "depth": self.depth,
            "seed": self.seed,
            "rankers": [r.to_dict(per_query=per_query) for r in self.rankers],
            "notes": list(self.notes),
            "chart": self.chart,
        }
        if per_query:
            out["query_ids"] = list(self.query_ids)
        return out

    def to_json(self, *, per_query: bool = False) -> str:
        """:meth:`to_dict` as indented JSON."""
        return json.dumps(self.to_dict(per_query=per_query), indent=2, ensure_ascii=False)

    def to_markdown(self) -> str:
        """A table: ranker, each metric's mean [CI], Δ vs the baseline with the
        Holm-adjusted randomisation p-value, and the median latency."""
        conf = f"{self.confidence:.0%}"
        head = ["ranker"]
        for name in self.metrics:
            head += [name, f"Δ {name} (p)"]
        head.append("latency ms")
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for result in self.rankers:
            cells = [f"`{result.name}`"]
            for name in self.metrics:
                m = result.metrics[name]
                cells.append(f"{m.mean:.4f} [{m.ci_low:.4f}, {m.ci_high:.4f}]")
                if m.p_randomization_holm is None:
                    cells.append("—")
                else:
                    star = "*" if m.p_randomization_holm < 1 - self.confidence else ""
                    cells.append(f"{m.delta:+.4f} ({_p(m.p_randomization_holm)}){star}")
            cells.append(f"{result.latency_ms_median:.2f}")
            lines.append("| " + " | ".join(cells) + " |")
        d = self.dataset
        text = [
            f"Benchmark on {d.get('dataset')} (cut {d.get('cut')}; {len(self.query_ids)} "
            f"queries, {d.get('visible_posts')} visible posts; runs of depth {self.depth}; "
            f"seed {self.seed})",
            "",
            *lines,
            "",
            f"Means with {conf} percentile bootstrap CIs ({self.n_resamples} resamples). "
            f"Δ: mean difference to `{self.baseline}`, p: paired randomisation test, "
            f"Holm-adjusted over the rankers (* p < {1 - self.confidence:.2g}). "
            "Latency: median ms per request (Pipeline.rank only; varies run to run).",
        ]
        if self.chart:
            text.append(f"\nChart: {self.chart}")
        text += [f"\nNote: {note}" for note in self.notes]
        return "\n".join(text) + "\n"

    def save_chart(self, path: str | os.PathLike[str], metric: str | None = None) -> str | None:
        """Bar chart of ``metric`` (default the first) with CI whiskers, as an image
        at ``path``; returns the path, or None when matplotlib is not installed."""
        try:  # optional dependency, imported only when a chart is asked for
            matplotlib: Any = importlib.import_module("matplotlib")
            matplotlib.use("Agg")
            plt: Any = importlib.import_module("matplotlib.pyplot")
        except ImportError:
            return None
        name = metric or self.metrics[0]
        results = [r.metrics[name] for r in self.rankers]
        means = np.array([r.mean for r in results])
        err = np.array(
            [[r.mean - r.ci_low for r in results], [r.ci_high - r.mean for r in results]]
        )
        fig, ax = plt.subplots(figsize=(1.5 + 1.2 * len(results), 4))
        ax.bar([r.name for r in self.rankers], means, yerr=err, capsize=4, color="#4c72b0")
        ax.set_ylabel(name)
        ax.set_title(f"{name} on {self.dataset.get('dataset')} ({self.confidence:.0%} CI)")
        ax.tick_params(axis="x", rotation=30)
        fig.tight_layout()
        fig.savefig(os.fspath(path))
        plt.close(fig)
        return os.fspath(path)


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


# ---------------------------------------------------------------- progress
class _Progress:
    def __init__(self, stream: TextIO | None, total: int) -> None:
        self.stream, self.total, self.done, self.last = stream, total, 0, -1.0

    def step(self, label: str) -> None:
        self.done += 1
        if self.stream is None:
            return
        now = time.monotonic()
        if self.done < self.total and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        filled = width * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(f"\rbench [{bar}] {self.done}/{self.total} {label:<24.24}")
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


# ---------------------------------------------------------------- the harness
class Benchmark:
    """Rankers × dataset × temporal split → :class:`BenchmarkReport`.

    Parameters
    ----------
    rankers : sequence of preset names or Pipelines, or mapping name -> Pipeline
        A Pipeline given in a sequence is named by its ``name``.
    dataset : "simulated", a path, SimulatedNetwork, MovieLensData or BenchmarkData
        ``"simulated"``: ``simulate(rng=seed)``; any other string or path: a
        MovieLens ratings file (u.data, ratings.csv, ratings.dat).
    baseline : str, default "chronological"
        The ranker every other is compared to; a preset name not among the
        rankers is added (first).
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
        rankers: Sequence[str | Pipeline] | Mapping[str, Pipeline],
        dataset: str | os.PathLike[str] | SimulatedNetwork | MovieLensData | BenchmarkData,
        *,
        baseline: str = "chronological",
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
        self.pipelines = _pipelines(rankers, baseline)
        self.baseline = baseline
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
        progress = _Progress(stream, len(data.requests) * len(self.pipelines))
        runs: dict[str, list[tuple[str, list[str]]]] = {name: [] for name in self.pipelines}
        latency: dict[str, list[float]] = {name: [] for name in self.pipelines}
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
        results = self._summarise(per_query, latency)
        notes: list[str] = []
        chart: str | None = None
        base = per_query[self.baseline]
        for name in list(self.pipelines)[1:]:
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
    ) -> tuple[RankerResult, ...]:
        names = list(self.pipelines)
        cells: dict[str, dict[str, MetricResult]] = {name: {} for name in names}
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
            if len(names) < 2:
                continue
            comparison = compare_to_baseline(
                {name: per_query[name][metric] for name in names},
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
                )
            )
        return tuple(out)


def _pipelines(
    rankers: Sequence[str | Pipeline] | Mapping[str, Pipeline], baseline: str
) -> dict[str, Pipeline]:
    out: dict[str, Pipeline] = {}
    items: list[tuple[str, Pipeline]]
    if isinstance(rankers, Mapping):
        items = list(rankers.items())
    elif isinstance(rankers, str):
        items = [(n.strip(), preset(n.strip())) for n in rankers.split(",") if n.strip()]
    else:
        items = [(r, preset(r)) if isinstance(r, str) else (r.name, r) for r in rankers]
    for name, pipe in items:
        if not isinstance(pipe, Pipeline):
            raise InputError(
                f"ranker {name!r} is a {type(pipe).__name__}",
                field="rankers",
                expected="preset names or Pipelines",
            )
        if name in out:
            raise InputError(f"ranker {name!r} is given twice", field="rankers")
        out[name] = pipe
    if baseline not in out:
        out = {baseline: preset(baseline), **out}
    else:
        out = {baseline: out[baseline], **{k: v for k, v in out.items() if k != baseline}}
    return out


def _to_run(rows: list[tuple[str, list[str]]]) -> Run:
    queries: list[str] = []
    docs: list[str] = []
    scores: list[float] = []
    for query_id, post_ids in rows:
        queries += [query_id] * len(post_ids)
        docs += post_ids
        scores += [float(len(post_ids) - i) for i in range(len(post_ids))]
    return Run(np.array(queries, dtype=np.str_), np.array(docs, dtype=np.str_), np.array(scores))
