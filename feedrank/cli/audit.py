"""The ``feedrank audit`` commands, and the decision-log options of ``feedrank rank``.

    feedrank audit verify LOG [--anchor HASH] [--format text|json]
    feedrank audit replay LOG [--spec S] [--rtol X] [--format text|json]

Both exit 0 when the log is clean (and, for replay, every request ranks again
exactly as logged) and 1 when they find a problem; errors (an unreadable file,
a bad spec) exit 2 like every feedrank command. ``replay`` without ``--spec``
uses the spec embedded in each record.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, TextIO

from feedrank.audit.log import DecisionLog
from feedrank.audit.replay import replay
from feedrank.audit.verify import verify
from feedrank.cli.output import emit
from feedrank.cli.transparency import add_transparency_commands
from feedrank.errors import InputError

__all__ = ["KEY_ENV", "add_audit_commands", "add_rank_audit_options", "open_rank_audit_log"]

KEY_ENV = "FEEDRANK_AUDIT_KEY"
"""Environment variable read for the pseudonymisation key when ``--audit-key`` is absent."""


def _cmd_verify(args: argparse.Namespace, out: TextIO) -> int:
    report = verify(args.log, anchor=args.anchor)
    data, text = report.to_dict(), report.summary()
    if (args.checkpoint is None) != (args.public_key is None):
        raise InputError(
            "--checkpoint and --public-key go together",
            field="--checkpoint" if args.checkpoint is None else "--public-key",
            expected="both, or neither",
        )
    found: list[tuple[str, int, str]] = []
    if args.checkpoint is not None:
        from feedrank.audit.keys import load_public_key
        from feedrank.audit.logtree import checkpoint_problems, leaf_hashes
        from feedrank.cli.transparency import read_small

        note = read_small(args.checkpoint, "a checkpoint")
        found = checkpoint_problems(leaf_hashes(args.log), note, load_public_key(args.public_key))
        data["checkpoint_problems"] = [
            {"kind": kind, "record": record, "detail": detail} for kind, record, detail in found
        ]
        lines = [f"PROBLEM record {record}: {kind}: {detail}" for kind, record, detail in found]
        text += "\n" + ("\n".join(lines) if lines else "OK: the log holds the checkpoint's records")
        data["ok"] = report.ok and not found
    emit(out, args.format, data, text)
    return 0 if report.ok and not found else 1


def _cmd_replay(args: argparse.Namespace, out: TextIO) -> int:
    report = replay(args.log, args.spec, rtol=args.rtol)
    emit(out, args.format, report.to_dict(), report.summary(max_diffs=args.max_diffs))
    return 0 if report.ok else 1


def _cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    from feedrank.audit.reports import log_report
    from feedrank.io.jsonl import read_authors

    groups: dict[str, str] | None = None
    if args.authors:
        groups = {
            a.id: a.attributes.get(args.group_by, "unknown") for a in read_authors(args.authors)
        }
    report = log_report(args.log, groups, control=args.control)
    emit(out, args.format, report.to_dict(), report.summary())
    return 0


def add_audit_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``audit verify``, ``audit replay`` and ``audit report`` to the ``feedrank``
    subcommands.

    ``subparsers`` is what ``ArgumentParser.add_subparsers()`` returned. Each
    command sets ``run(args, out) -> exit status``, as :func:`feedrank.cli.app.main` calls.
    """
    audit: argparse.ArgumentParser = subparsers.add_parser(
        "audit", help="verify and replay decision logs"
    )
    sub = audit.add_subparsers(dest="audit_command", required=True)

    check = sub.add_parser(
        "verify", help="check every record's hash, the chain and the numbering of a log"
    )
    check.add_argument("log", type=Path, help="the decision log (JSON Lines)")
    check.add_argument("--anchor", help="a record hash published earlier that must be present")
    check.add_argument(
        "--checkpoint", type=Path, help="a signed checkpoint the log must still hold"
    )
    check.add_argument("--public-key", type=Path, help="the log's signing.pub (with --checkpoint)")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.set_defaults(run=_cmd_verify)

    again = sub.add_parser(
        "replay", help="rank every logged request again and report every difference"
    )
    again.add_argument("log", type=Path, help="the decision log (JSON Lines)")
    again.add_argument(
        "--spec", help="spec file (.toml/.json) or preset name (default: the logged spec)"
    )
    again.add_argument(
        "--rtol", type=float, default=0.0, help="relative tolerance for numbers (default exact)"
    )
    again.add_argument(
        "--max-diffs", type=int, default=5, help="differing posts shown per record (text)"
    )
    again.add_argument("--format", choices=("text", "json"), default="text")
    again.set_defaults(run=_cmd_replay)

    report = sub.add_parser(
        "report", help="term influence, exposure and amplification over a log's requests"
    )
    report.add_argument("log", type=Path, help="the decision log (JSON Lines)")
    report.add_argument("--authors", type=Path, help="authors (JSON Lines) with attributes")
    report.add_argument("--group-by", default="group", help="the author attribute to group by")
    report.add_argument("--control", default="chronological", help="the control preset")
    report.add_argument("--format", choices=("text", "json"), default="text")
    report.set_defaults(run=_cmd_report)
    add_transparency_commands(sub)
    return audit


def add_rank_audit_options(rank: argparse.ArgumentParser) -> None:
    """Add ``--audit-log PATH`` and ``--audit-key KEY`` to the ``rank`` command."""
    rank.add_argument(
        "--audit-log", type=Path, help="append a decision record to this JSON Lines log"
    )
    rank.add_argument(
        "--audit-key",
        help=f"key for viewer pseudonyms, >= 16 bytes (default: ${KEY_ENV}; the "
        "environment keeps it out of the process list)",
    )


def open_rank_audit_log(args: argparse.Namespace) -> DecisionLog | None:
    """The log named by ``--audit-log`` (None without it), keyed by ``--audit-key``
    or the ``FEEDRANK_AUDIT_KEY`` environment variable."""
    path = getattr(args, "audit_log", None)
    if path is None:
        return None
    key = getattr(args, "audit_key", None) or os.environ.get(KEY_ENV)
    if not key:
        raise InputError(
            "missing",
            field="--audit-key",
            expected=f"--audit-key KEY or ${KEY_ENV} with --audit-log",
        )
    return DecisionLog(path, key=key.encode("utf-8"))
