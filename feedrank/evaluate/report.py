"""What the benchmark reports: for each ranker every metric's mean with its
confidence interval, the difference to the baseline with Holm-adjusted p-values,
and the ranking latency; as JSON, a Markdown table or a bar chart."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["BenchmarkReport", "MetricResult", "RankerResult"]


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
