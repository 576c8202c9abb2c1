"""Evaluation: ranking metrics that agree with trec_eval, beyond-accuracy measures,
off-policy estimators, statistics, the benchmark harness and the effectiveness of
viewers' controls."""

from __future__ import annotations

from feedrank.evaluate.benchmark import DEFAULT_METRICS, Benchmark
from feedrank.evaluate.beyond import (
    AuthorConcentration,
    Concentration,
    Coverage,
    GroupExposure,
    PerFeed,
    author_concentration,
    catalog_coverage,
    group_exposure,
    intra_list_diversity,
    novelty,
    tag_matrix,
)
from feedrank.evaluate.controls import ControlEffect, control_effect, control_effects
from feedrank.evaluate.eval_result import EvalResult
from feedrank.evaluate.measures import MEASURE_NAMES, Measure, parse_measure
from feedrank.evaluate.metrics import evaluate
from feedrank.evaluate.movielens import movielens_qrels, movielens_split
from feedrank.evaluate.offpolicy import (
    OffPolicyEstimate,
    SlateEstimate,
    doubly_robust,
    ips,
    slate_iips,
    slate_ips,
    slate_rips,
    snips,
)
from feedrank.evaluate.qrels import Qrels
from feedrank.evaluate.report import BenchmarkReport, MetricResult, RankerResult
from feedrank.evaluate.run import Run
from feedrank.evaluate.simulated import simulated_split
from feedrank.evaluate.split import BenchmarkData, BenchRequest
from feedrank.evaluate.stats import (
    BaselineComparison,
    BootstrapCI,
    RandomizationTest,
    RankerComparison,
    TTest,
    bootstrap_ci,
    compare_to_baseline,
    holm,
    paired_t_test,
    randomization_test,
)
from feedrank.evaluate.trec import read_trec_qrels, read_trec_run, write_trec_qrels, write_trec_run

__all__ = [
    "DEFAULT_METRICS",
    "MEASURE_NAMES",
    "AuthorConcentration",
    "BaselineComparison",
    "BenchRequest",
    "Benchmark",
    "BenchmarkData",
    "BenchmarkReport",
    "BootstrapCI",
    "Concentration",
    "ControlEffect",
    "Coverage",
    "EvalResult",
    "GroupExposure",
    "Measure",
    "MetricResult",
    "OffPolicyEstimate",
    "PerFeed",
    "Qrels",
    "RandomizationTest",
    "RankerComparison",
    "RankerResult",
    "Run",
    "SlateEstimate",
    "TTest",
    "author_concentration",
    "bootstrap_ci",
    "catalog_coverage",
    "compare_to_baseline",
    "control_effect",
    "control_effects",
    "doubly_robust",
    "evaluate",
    "group_exposure",
    "holm",
    "intra_list_diversity",
    "ips",
    "movielens_qrels",
    "movielens_split",
    "novelty",
    "paired_t_test",
    "parse_measure",
    "randomization_test",
    "read_trec_qrels",
    "read_trec_run",
    "simulated_split",
    "slate_iips",
    "slate_ips",
    "slate_rips",
    "snips",
    "tag_matrix",
    "write_trec_qrels",
    "write_trec_run",
]
