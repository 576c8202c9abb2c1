"""What the benchmark reports: for each ranker every metric's mean with its
confidence interval, the difference to the baseline with Holm-adjusted p-values,
how many requests it served a page to (and why the others got none), and the
ranking latency; as JSON, a Markdown table or a bar chart."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = ["BenchmarkReport", "MetricResult", "RankerResult", "Significance"]

Significance = Literal["baseline", "tested", "not_applicable"]
"""Whether a ranker's differences to the baseline were tested: it is the
baseline, they were, or they were not because it or the baseline served
nothing on every request (an empty page scores 0 on every metric, so such a
difference measures the empty pages, not a ranking)."""

_SHOWN_REASONS = 3
"""Removal reasons named in a Markdown line; the JSON has every one."""


@dataclass(frozen=True)
class MetricResult:
    """One metric of one ranker.

    ``per_query`` aligns with the report's ``query_ids``; ``ci_low``/``ci_high``
    bound the mean (percentile bootstrap). ``delta`` is mean − baseline mean,
    ``delta_ci_*`` its bootstrap interval, ``p_t_holm`` / ``p_randomization_holm``
    the paired t and randomisation p-values, Holm-adjusted over the rankers
    (None for the baseline itself, whose delta is 0, and for a ranker whose
    significance is ``"not_applicable"``).
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
    """Every metric of one ranker, what it served, and its latency in
    milliseconds per request.

    Of its ``requests``, ``served_requests`` got a non-empty page and
    ``empty_requests`` an empty one (scored 0 on every metric).
    ``removed_counts`` counts the candidates its filters and re-rankers removed
    over every request, by reason (``Ranking.removal_counts``);
    ``empty_removed_counts`` the same over the empty requests only: why they
    are empty. ``significance`` says whether its differences to the baseline
    were tested (see :data:`Significance`).
    """

    name: str
    fingerprint: str
    metrics: Mapping[str, MetricResult]
    latency_ms_median: float
    latency_ms_p95: float
    requests: int
    served_requests: int
    empty_requests: int
    removed_counts: Mapping[str, int] = field(default_factory=dict)
    empty_removed_counts: Mapping[str, int] = field(default_factory=dict)
    significance: Significance = "tested"

    def to_dict(self, *, per_query: bool = False) -> dict[str, Any]:
        return {
            "name": self.name,
            "fingerprint": self.fingerprint,
            "metrics": {k: v.to_dict(per_query=per_query) for k, v in self.metrics.items()},
            "latency_ms": {"median": self.latency_ms_median, "p95": self.latency_ms_p95},
            "requests": self.requests,
            "served_requests": self.served_requests,
            "empty_requests": self.empty_requests,
            "removed_counts": dict(self.removed_counts),
            "empty_removed_counts": dict(self.empty_removed_counts),
            "significance": self.significance,
        }

    def serving_note(self) -> str | None:
        """A sentence saying that this ranker served empty pages, and why; None
        when it served a page to every request.

        >>> note = RankerResult("r", "", {}, 0.0, 0.0, requests=4, served_requests=1,
        ...                     empty_requests=3, empty_removed_counts={"older_than:72h": 9,
        ...                     "seen": 2}).serving_note()
        >>> print(*note.split(": ", 1), sep=":\\n")
        `r` served an empty page to 3 of 4 requests (scored 0 there):
        every candidate of those was removed (older_than:72h: 9, seen: 2)
        """
        if not self.empty_requests:
            return None
        if self.served_requests:
            head = (
                f"`{self.name}` served an empty page to {self.empty_requests} of "
                f"{self.requests} requests (scored 0 there): every candidate of those"
            )
        else:
            head = f"`{self.name}` served nothing: every candidate of all {self.requests} requests"
        counts = sorted(self.empty_removed_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if not counts:
            return head.rsplit(":", 1)[0] + ": they had no candidates"
        shown = ", ".join(f"{reason}: {n}" for reason, n in counts[:_SHOWN_REASONS])
        more = len(counts) - _SHOWN_REASONS
        if more > 0:
            shown += f", and {more} more reason{'s' if more > 1 else ''}"
        return f"{head} was removed ({shown})"


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
        """A table: ranker, requests served, each metric's mean [CI], Δ vs the
        baseline with the Holm-adjusted randomisation p-value, and the median
        latency; then a line for every ranker that served empty pages (with
        the top removal reasons) and every ranker's spec fingerprint.

        A ranker that served nothing has Δ "n/a": it is not tested. A Δ marked
        † includes requests the ranker served an empty page to.
        """
        conf = f"{self.confidence:.0%}"
        head = ["ranker", "served"]
        for name in self.metrics:
            head += [name, f"Δ {name} (p)"]
        head.append("latency ms")
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for result in self.rankers:
            cells = [f"`{result.name}`", f"{result.served_requests}/{result.requests}"]
            partly = "†" if result.empty_requests else ""
            for name in self.metrics:
                m = result.metrics[name]
                cells.append(f"{m.mean:.4f} [{m.ci_low:.4f}, {m.ci_high:.4f}]")
                if result.significance == "not_applicable":
                    cells.append("n/a")
                elif m.p_randomization_holm is None:
                    cells.append("—")
                else:
                    star = "*" if m.p_randomization_holm < 1 - self.confidence else ""
                    cells.append(f"{m.delta:+.4f} ({_p(m.p_randomization_holm)}){star}{partly}")
            cells.append(f"{result.latency_ms_median:.2f}")
            lines.append("| " + " | ".join(cells) + " |")
        serving = [line for r in self.rankers if (line := self._serving_line(r)) is not None]
        d = self.dataset
        text = [
            f"Benchmark on {d.get('dataset')} (cut {d.get('cut')}; {len(self.query_ids)} "
            f"queries, {d.get('visible_posts')} visible posts; runs of depth {self.depth}; "
            f"seed {self.seed})",
            "",
            *lines,
            "",
            *(f"- {line}" for line in serving),
            *([""] if serving else []),
            f"Means with {conf} percentile bootstrap CIs ({self.n_resamples} resamples). "
            f"Δ: mean difference to `{self.baseline}`, p: paired randomisation test, "
            f"Holm-adjusted over the rankers (* p < {1 - self.confidence:.2g}). "
            "Served: requests given a non-empty page. "
            "Latency: median ms per request (Pipeline.rank only; varies run to run).",
            "",
            "Specs: "
            + "; ".join(f"`{r.name}` {r.fingerprint[:12]}" for r in self.rankers)
            + " (SHA-256 fingerprints).",
        ]
        if self.chart:
            text.append(f"\nChart: {self.chart}")
        text += [f"\nNote: {note}" for note in self.notes]
        return "\n".join(text) + "\n"

    def _serving_line(self, result: RankerResult) -> str | None:
        """The Markdown line on a ranker's empty pages (None if it has none)."""
        note = result.serving_note()
        if note is None:
            return None
        if result.served_requests:
            return f"{note}. Its Δ are marked †: part of each is those empty pages."
        if result.name == self.baseline:
            return f"**{note}.** No ranker is tested against it (Δ n/a)."
        return (
            f"**{note}.** Its Δ are not tested (n/a): it scores 0 on every query, so a "
            "difference to the baseline measures its empty pages, not a ranking."
        )

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
