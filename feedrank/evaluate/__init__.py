"""Evaluation: ranking metrics that agree with trec_eval, beyond-accuracy measures,
off-policy estimators, statistics and the benchmark harness."""

from __future__ import annotations

__all__: list[str] = []
