"""The ``feedrank bench`` command: compare rankers on a dataset cut in time.

    feedrank bench --dataset simulated --rankers chronological,reddit-hot,balanced
                   [--baseline chronological] [--metrics ndcg@10,map,...] [--seed N]
                   [--format markdown|json] [--output FILE] [--chart FILE]
    feedrank bench --dataset movielens --path u.data [...]
    feedrank bench --rankers chronological,my-feed.toml [...]

A ranker (and the baseline) is a preset name or a spec file, as ``--spec`` is
for ``feedrank rank`` (:func:`~feedrank.presets.spec_or_preset`); a spec file
is named in the report by its spec's name (by its file stem when another
ranker has that name) and every ranker by its fingerprint. The report says
how many requests each ranker served a page to, and why the others got an
empty one (the top filter reasons); a ranker that served nothing is not
tested against the baseline.

See :mod:`feedrank.evaluate.benchmark` for the split and the statistics. The
report goes to standard output (or ``--output``); a progress bar goes to
standard error when it is a terminal (``--progress`` forces it). Errors exit 2,
like every feedrank command.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from feedrank.cli._argtypes import fraction, non_negative_int, positive_int
from feedrank.cli.output import emit_text
from feedrank.errors import InputError
from feedrank.evaluate.benchmark import DEFAULT_METRICS, Benchmark, named_rankers

__all__ = ["add_bench_command", "run"]


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run the benchmark ``args`` describe and write the report; returns 0."""
    dataset: str | Path
    if args.dataset == "movielens":
        if args.path is None:
            raise InputError(
                "--dataset movielens needs a ratings file",
                field="--path",
                expected="--path u.data (or ratings.csv, ratings.dat)",
            )
        dataset = args.path
    else:
        if args.path is not None:
            raise InputError(
                "--path is only read with --dataset movielens", field="--path", expected="no --path"
            )
        dataset = "simulated"
    pipelines, baseline = named_rankers(
        args.rankers, args.baseline, field="--rankers", baseline_field="--baseline"
    )
    bench = Benchmark(
        pipelines,
        dataset,
        baseline=baseline,
        metrics=args.metrics,
        split=args.split,
        depth=args.depth,
        max_queries=args.max_queries,
        seed=args.seed,
        n_resamples=args.resamples,
        progress=True if args.progress else None,
        chart=args.chart,
    )
    report = bench.run()
    text = report.to_json(per_query=args.per_query) + "\n"
    if args.format == "markdown":
        text = report.to_markdown()
    emit_text(out, text, args.output)
    return 0


def add_bench_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``bench`` to the ``feedrank`` subcommands.

    ``subparsers`` is what ``ArgumentParser.add_subparsers()`` returned. The
    command sets ``run(args, out) -> exit status``, as :func:`feedrank.cli.app.main` calls.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "bench",
        help="compare rankers on a dataset split in time (metrics, CIs, significance)",
        description=(
            "Rank the test requests of a dataset at a cut time with every ranker and "
            "report each metric's mean with a bootstrap CI, the difference to a "
            "baseline with Holm-adjusted p-values, and the median latency. Each "
            "ranker's row says how many requests it served a page to; a ranker "
            "whose filters removed every candidate is reported as serving nothing, "
            "with the removal reasons, and is not tested against the baseline."
        ),
    )
    parser.add_argument("--dataset", choices=("simulated", "movielens"), default="simulated")
    parser.add_argument("--path", type=Path, help="MovieLens ratings (u.data, ratings.csv)")
    parser.add_argument(
        "--rankers",
        default="chronological,reddit-hot,hacker-news,balanced",
        help=(
            "comma-separated preset names or spec files (.toml/.json), as --spec takes "
            "(default chronological,reddit-hot,hacker-news,balanced)"
        ),
    )
    parser.add_argument(
        "--baseline",
        default="chronological",
        help="a ranker's name, or a preset or spec file (default chronological)",
    )
    parser.add_argument(
        "--metrics",
        default=",".join(DEFAULT_METRICS),
        help="comma-separated measures (default " + ",".join(DEFAULT_METRICS) + ")",
    )
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, help="simulation and resampling seed"
    )
    parser.add_argument(
        "--split", type=fraction, help="share of the timeline before the cut (0.75 / 0.8)"
    )
    parser.add_argument("--depth", type=positive_int, default=100, help="posts per ranking")
    parser.add_argument("--max-queries", type=positive_int, help="sample at most N requests")
    parser.add_argument("--resamples", type=positive_int, default=10_000, help="bootstrap draws")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--per-query", action="store_true", help="json: every query's values")
    parser.add_argument("--output", help="write the report to this file")
    parser.add_argument("--chart", help="bar chart image of the first metric (matplotlib)")
    parser.add_argument("--progress", action="store_true", help="progress bar on stderr")
    parser.set_defaults(run=run)
    return parser
