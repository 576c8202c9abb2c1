"""CPU-time measurement shared by ``bench_engine.py`` and ``bench_scale.py``.

Every measurement is a *task*: a ``setup`` run outside the timed region (a
fresh batch object, a context built beforehand, ...) that returns the callable
to time. Tasks are run interleaved, round after round (the order reversed
every other round), so that a noisy neighbour on a shared machine slows them
all alike. Each run is timed with ``time.thread_time_ns`` (CPU time of the
calling thread: time spent waiting for the CPU does not count); the garbage
collector is off while timing, as ``timeit`` does, and a result is released
after its clock has stopped.
"""

from __future__ import annotations

import cProfile
import gc
import io
import math
import os
import platform
import pstats
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Series", "Task", "interleave", "machine", "profile_top", "ratio"]


@dataclass
class Task:
    """``setup()`` (untimed) returns the zero-argument callable that is timed."""

    name: str
    setup: Callable[[], Callable[[], object]]
    runs_per_round: int = 1


@dataclass
class Series:
    """CPU times of one task, in nanoseconds."""

    name: str
    samples: list[int] = field(default_factory=list)

    @property
    def median_ns(self) -> float:
        return float(np.median(self.samples))

    def percentile_ns(self, q: float) -> float:
        """Nearest-rank percentile."""
        ordered = sorted(self.samples)
        return float(ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)])

    def to_dict(self, unit: str = "ms") -> dict[str, Any]:
        scale = {"ms": 1e6, "s": 1e9}[unit]
        return {
            "runs": len(self.samples),
            f"median_{unit}": self.median_ns / scale,
            f"p10_{unit}": self.percentile_ns(10) / scale,
            f"p90_{unit}": self.percentile_ns(90) / scale,
            "samples_ns": self.samples,
        }


def interleave(tasks: Sequence[Task], rounds: int, warmup: int = 1) -> dict[str, Series]:
    """Run every task ``runs_per_round`` times per round, ``rounds`` rounds, after
    ``warmup`` untimed rounds; returns the CPU-time series of every task."""
    series = {t.name: Series(t.name) for t in tasks}
    clock = time.thread_time_ns
    for _ in range(warmup):
        for t in tasks:
            t.setup()()
    gc.collect()
    gc.disable()
    try:
        for r in range(rounds):
            for t in tasks if r % 2 == 0 else reversed(tasks):
                out = series[t.name].samples
                for _ in range(t.runs_per_round):
                    fn = t.setup()
                    start = clock()
                    result = fn()
                    out.append(clock() - start)
                    del result, fn
    finally:
        gc.enable()
    return series


def ratio(a: Series, b: Series) -> float:
    """Ratio of medians, a / b."""
    return a.median_ns / b.median_ns


def profile_top(fn: Callable[[], object], runs: int, top: int = 15) -> str:
    """cProfile of ``runs`` calls of ``fn``: the ``top`` functions by own time, then
    feedrank's own functions by cumulative time (where each stage's time goes)."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(runs):
        fn()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats("feedrank", top)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    return "\n".join(line.replace(root, "") for line in lines)


def machine() -> dict[str, Any]:
    import pydantic

    import feedrank

    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "pydantic": pydantic.VERSION,
        "feedrank": feedrank.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "clock": "time.thread_time_ns",
    }
