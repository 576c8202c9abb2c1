"""The service's counters in the Prometheus text exposition format (``GET /metrics``).

- ``feedrank_requests_total{route, status}``: answered requests;
- ``feedrank_request_seconds{route}``: a latency histogram (cumulative buckets,
  ``_sum``, ``_count``);
- ``feedrank_fallbacks_total{route}``: answers that served the declared fallback
  order because the ranking missed its deadline;
- ``feedrank_errors_total{route, error}``: refused or failed requests by error name.

>>> m = Metrics()
>>> m.observe("/rank", 200, 0.004)
>>> m.fallback("/rank")
>>> text = m.render()
>>> 'feedrank_requests_total{route="/rank",status="200"} 1' in text
True
>>> 'feedrank_request_seconds_bucket{route="/rank",le="0.005"} 1' in text
True
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import Counter

__all__ = ["BUCKETS", "Metrics"]

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Upper bounds (seconds) of the latency histogram's buckets (``+Inf`` is added)."""


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """Thread-safe request counters and latency histograms, rendered as Prometheus text."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, int]] = Counter()
        self._errors: Counter[tuple[str, str]] = Counter()
        self._fallbacks: Counter[str] = Counter()
        self._buckets: dict[str, list[int]] = {}
        self._sums: dict[str, float] = {}

    def observe(self, route: str, status: int, seconds: float) -> None:
        """Count one answered request of ``route`` with ``status`` that took ``seconds``."""
        with self._lock:
            self._requests[route, status] += 1
            counts = self._buckets.setdefault(route, [0] * (len(BUCKETS) + 1))
            counts[bisect_left(BUCKETS, seconds)] += 1
            self._sums[route] = self._sums.get(route, 0.0) + seconds

    def error(self, route: str, error: str) -> None:
        """Count one refused or failed request of ``route``, by error name."""
        with self._lock:
            self._errors[route, error] += 1

    def fallback(self, route: str) -> None:
        """Count one answer of ``route`` that served the fallback order."""
        with self._lock:
            self._fallbacks[route] += 1

    def fallbacks(self, route: str) -> int:
        """How many fallback answers ``route`` gave."""
        with self._lock:
            return self._fallbacks[route]

    def render(self) -> str:
        """Every metric in the Prometheus text format (version 0.0.4)."""
        with self._lock:
            lines = [
                "# HELP feedrank_requests_total Requests answered, by route and HTTP status.",
                "# TYPE feedrank_requests_total counter",
            ]
            for (route, status), n in sorted(self._requests.items()):
                lines.append(
                    f'feedrank_requests_total{{route="{_label(route)}",status="{status}"}} {n}'
                )
            lines += [
                "# HELP feedrank_request_seconds Time to answer a request, in seconds.",
                "# TYPE feedrank_request_seconds histogram",
            ]
            for route, counts in sorted(self._buckets.items()):
                name, total = _label(route), 0
                for bound, n in zip((*BUCKETS, None), counts, strict=True):
                    total += n
                    le = "+Inf" if bound is None else repr(bound)
                    lines.append(
                        f'feedrank_request_seconds_bucket{{route="{name}",le="{le}"}} {total}'
                    )
                lines.append(f'feedrank_request_seconds_sum{{route="{name}"}} {self._sums[route]}')
                lines.append(f'feedrank_request_seconds_count{{route="{name}"}} {total}')
            lines += [
                "# HELP feedrank_fallbacks_total Answers that served the fallback order "
                "after the deadline.",
                "# TYPE feedrank_fallbacks_total counter",
            ]
            for route, n in sorted(self._fallbacks.items()):
                lines.append(f'feedrank_fallbacks_total{{route="{_label(route)}"}} {n}')
            lines += [
                "# HELP feedrank_errors_total Refused or failed requests, by route and error.",
                "# TYPE feedrank_errors_total counter",
            ]
            for (route, error), n in sorted(self._errors.items()):
                lines.append(
                    f'feedrank_errors_total{{route="{_label(route)}",error="{_label(error)}"}} {n}'
                )
        return "\n".join(lines) + "\n"
