"""The ``feedrank coordination`` commands: find coordinated groups in an interaction log.

    feedrank coordination detect --interactions I.jsonl [--window-minutes M]
                                 [--min-group N] [--min-coactions C] [--alpha A]
                                 [--seed S] [--format table|json] [--output FIT.json]

The JSON output is :meth:`~feedrank.coordination.CoordinationFit.to_dict`:
``groups: [{accounts, posts, evidence}]``, the detection's parameters and
summary, and the per-post counts of coordinated actions. ``--output`` saves it
as a file that ``feedrank rank --coordination FIT.json`` attaches to the
candidates, so a coordination-aware spec counts each group once.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from feedrank._time import iso
from feedrank.cli._argtypes import fraction, non_negative_int, positive_int
from feedrank.cli.output import emit
from feedrank.coordination import CoordinationFit, detect_interactions
from feedrank.errors import InputError
from feedrank.io import read_interactions

__all__ = ["add_coordination_commands", "groups_table"]


def groups_table(fit: CoordinationFit) -> str:
    """The groups as plain text: one block per group (members, evidence, windows)."""
    s = fit.summary
    lines = [
        f"{s['interactions']} interactions, {s['accounts']} accounts, {s['posts']} posts; "
        f"{s['pairs']} pairs co-acted, {s['edges']} passed the test "
        f"(p ≤ {s['p_threshold']:.3g}; {s['null_edges']} in a rewired log); "
        f"{len(fit.groups)} coordinated group{'s' if len(fit.groups) != 1 else ''}"
    ]
    for i, group in enumerate(fit.groups, 1):
        ev = group.evidence
        ratio = f"{ev.ratio:.1f}x" if ev.expected > 0 else "∞x"
        lines += [
            "",
            f"group {i}: {len(group.accounts)} accounts on {len(group.posts)} posts — "
            f"{ev.coactions} co-actions over {ev.edges} pairs where chance expects "
            f"{ev.expected:.3g} ({ratio}); weakest pair p = {ev.max_p_value:.2g}"
            + (f"; {ev.joined} joined as a whole" if ev.joined else ""),
            "  accounts: " + ", ".join(group.accounts),
        ]
        for w in ev.windows:
            lines.append(
                f"  {w.post:<16} {w.action:<8} {','.join(w.kinds):<14} {w.accounts:>3} accounts "
                f"{iso(w.start)} → {iso(w.end)} ({(w.end - w.start) / 60e6:.1f} min)"
            )
    return "\n".join(lines) + "\n"


def _positive_minutes(text: str) -> float:
    value = float(text)
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a number of minutes > 0")
    return value


def _cmd_detect(args: argparse.Namespace, out: TextIO) -> int:
    if args.min_group < 2:
        raise InputError(f"--min-group is {args.min_group}", field="--min-group", expected=">= 2")
    if args.min_coactions < 2:
        raise InputError(
            f"--min-coactions is {args.min_coactions}", field="--min-coactions", expected=">= 2"
        )
    fit = detect_interactions(
        read_interactions(args.interactions),
        rng=args.seed,
        window_minutes=args.window_minutes,
        min_group=args.min_group,
        min_coactions=args.min_coactions,
        alpha=args.alpha,
    )
    if args.output is not None:
        fit.save(args.output)
    emit(out, args.format, fit.to_dict(), groups_table(fit))
    return 0


def add_coordination_commands(subparsers: Any) -> None:
    """Add ``coordination detect`` to the ``feedrank`` subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "coordination", help="find coordinated groups of accounts in an interaction log"
    )
    sub = parser.add_subparsers(dest="coordination_command", required=True)
    detect = sub.add_parser(
        "detect",
        help="groups acting on the same posts within minutes far more often than chance",
        description=(
            "Find groups of accounts whose actions on the same posts fall within the "
            "window far more often than a degree-preserving null model allows, with "
            "each group's evidence: its posts, time windows, co-action counts and the "
            "null expectation."
        ),
    )
    detect.add_argument("--interactions", required=True, type=Path, help="JSON Lines")
    detect.add_argument("--window-minutes", type=_positive_minutes, default=10.0, help="default 10")
    detect.add_argument("--min-group", type=positive_int, default=3, help="default 3")
    detect.add_argument("--min-coactions", type=positive_int, default=3, help="default 3")
    detect.add_argument(
        "--alpha", type=fraction, default=0.01, help="family-wise error rate (default 0.01)"
    )
    detect.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed of the rewired null log"
    )
    detect.add_argument("--format", choices=("table", "json"), default="table")
    detect.add_argument("--output", type=Path, help="also save the result as JSON here")
    detect.set_defaults(run=_cmd_detect)
