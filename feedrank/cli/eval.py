"""The ``feedrank eval`` command: trec_eval's measures on TREC files.

    feedrank eval --qrels Q --run R [-m map,P@10,ndcg@10 ...] [-q] [-c] [-l N] [-M N]
                  [--ties trec_eval|stable] [--no-relevant zero|one|drop]
                  [--format trec|json]

The default output is trec_eval's layout, ``measure<TAB>query<TAB>value``, per
query with ``-q`` and then the mean under ``all``; measure names print as asked
(ask ``P_10`` to get trec_eval's line, ``P@10`` for feedrank's). Without ``-m``
the measures are trec_eval's default ones that feedrank offers. ``-c``, ``-l``
and ``-M`` mean what they mean to trec_eval. Errors (an unreadable file, a bad
line, an unknown measure) exit 2, like every feedrank command.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from feedrank.cli._argtypes import non_negative_int, positive_int
from feedrank.cli.output import emit_text
from feedrank.evaluate.metrics import NO_RELEVANT, evaluate
from feedrank.evaluate.ordering import TIES
from feedrank.evaluate.trec import read_trec_qrels, read_trec_run

__all__ = ["DEFAULT_MEASURES", "add_eval_command", "run"]

DEFAULT_MEASURES = (
    "num_q,num_ret,num_rel,num_rel_ret,map,Rprec,recip_rank,"
    "P_5,P_10,P_15,P_20,P_30,P_100,P_200,P_500,P_1000"
)
"""trec_eval's default ("official") measures that feedrank computes, in its order."""


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Evaluate ``args.run_file`` against ``args.qrels_file`` and print; returns 0."""
    qrels = read_trec_qrels(args.qrels_file)
    ranking = read_trec_run(args.run_file)
    measures = ",".join(args.measures) if args.measures else DEFAULT_MEASURES
    result = evaluate(
        ranking,
        qrels,
        measures,
        ties=args.ties,
        queries="qrels" if args.complete else "intersection",
        relevance_threshold=args.relevance_level,
        no_relevant=args.no_relevant,
        depth=args.max_retrieved,
    )
    if args.format == "json":
        emit_text(out, result.to_json(per_query=args.per_query) + "\n")
    else:
        emit_text(out, result.to_trec(per_query=args.per_query))
    return 0


def add_eval_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``eval`` to the ``feedrank`` subcommands.

    ``subparsers`` is what ``ArgumentParser.add_subparsers()`` returned. The
    command sets ``run(args, out) -> exit status``, as :func:`feedrank.cli.app.main` calls.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "eval",
        help="score a TREC run against qrels (trec_eval's measures and output)",
        description=(
            "Score a TREC run (qid Q0 docno rank score tag) against TREC qrels "
            "(qid 0 docno rel), the way trec_eval does."
        ),
    )
    parser.add_argument(
        "--qrels", dest="qrels_file", required=True, type=Path, help="judgements, qid 0 docno rel"
    )
    # dest is not "run": argparse would overwrite the handler, args.run(args, out)
    parser.add_argument(
        "--run", dest="run_file", required=True, type=Path, help="run, qid Q0 docno rank score tag"
    )
    parser.add_argument(
        "-m",
        "--measures",
        action="append",
        metavar="LIST",
        help="comma-separated measures, feedrank or trec_eval names "
        "(map, P@10 or P_10, ndcg@10 or ndcg_cut_10, recip_rank, Rprec, ...); repeatable",
    )
    parser.add_argument("-q", dest="per_query", action="store_true", help="print every query")
    parser.add_argument(
        "-c",
        dest="complete",
        action="store_true",
        help="average over every qrels query; one missing from the run scores 0",
    )
    parser.add_argument(
        "-l",
        dest="relevance_level",
        type=non_negative_int,
        default=1,
        metavar="N",
        help="relevant means grade >= N (default 1)",
    )
    parser.add_argument(
        "-M",
        dest="max_retrieved",
        type=positive_int,
        metavar="N",
        help="evaluate only the top N documents of each query",
    )
    parser.add_argument(
        "--ties",
        choices=TIES,
        default="trec_eval",
        help="order of equal scores: document id descending (trec_eval) or file order",
    )
    parser.add_argument(
        "--no-relevant",
        choices=NO_RELEVANT,
        default="zero",
        help="score of a query without relevant document on map, recall, Rprec, "
        "nDCG: 0 (trec_eval), 1 (LightGBM) or drop the query (default zero)",
    )
    parser.add_argument("--format", choices=("trec", "json"), default="trec")
    parser.set_defaults(run=run)
    return parser
