"""The ``feedrank audit`` commands, and the decision-log options of ``feedrank rank``.

    feedrank audit verify LOG [--anchor HASH] [--format text|json]
    feedrank audit replay LOG [--spec S] [--data-key-file PATH] [--rtol X] [--format text|json]
    feedrank audit report LOG [--authors PATH] [--data-key-file PATH] [--format text|json]
    feedrank audit visibility LOG --author ID [--since T] [--until T] [--control SPEC]
        [--format table|json|html] [--output FILE] [--seed N] [--resamples B]
    feedrank audit statements LOG [--policy NAME] --out FILE.jsonl [--since T] [--until T]

``verify`` and ``replay`` exit 0 when the log is clean (and, for replay, every
request ranks again exactly as logged) and 1 when they find a problem; errors
(an unreadable file, a bad spec, a bad key) exit 2 like every feedrank command.
``replay`` without ``--spec`` uses the spec embedded in each record. Sealed
records need the log's data key: ``--data-key-file`` or the
``FEEDRANK_AUDIT_DATA_KEY`` environment variable; without it replay reports
each sealed record as "sealed: needs the data key".

Secrets are written as 64 hexadecimal digits (32 random bytes), for instance
made with ``python -c 'import secrets; print(secrets.token_hex(32))'``, and
checked by :func:`~feedrank.audit.secret_check.check_secret`. A file holding
one (``--audit-key-file``, ``--audit-data-key-file``, ``--data-key-file``)
keeps it out of the process list and the shell history.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, TextIO

from feedrank.audit.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED
from feedrank.audit.log import DecisionLog
from feedrank.audit.replay import replay
from feedrank.audit.secret_check import secret_from_hex
from feedrank.audit.verify import verify
from feedrank.audit.viewer import PERIODS, PseudonymPeriod
from feedrank.cli.output import emit
from feedrank.cli.transparency import add_transparency_commands
from feedrank.errors import InputError
from feedrank.io.decoding import read_text

__all__ = [
    "DATA_KEY_ENV",
    "KEY_ENV",
    "add_audit_commands",
    "add_rank_audit_options",
    "open_rank_audit_log",
    "read_secret",
]

KEY_ENV = "FEEDRANK_AUDIT_KEY"
"""Environment variable read for the pseudonymisation key (64 hex digits) when
neither ``--audit-key`` nor ``--audit-key-file`` is given."""
DATA_KEY_ENV = "FEEDRANK_AUDIT_DATA_KEY"
"""Environment variable read for the data key (64 hex digits) when no data key
file is given."""
_SECRET_FILE_BYTES = 4096


def read_secret(*, value: str | None, file: Path | None, env: str, option: str) -> bytes | None:
    """A secret given as 64 hex digits: ``value`` (an option's text), else the
    first line of ``file``, else the environment variable ``env``; None if none
    is given. ``option`` names the source in errors (AuditError if the secret is
    not 64 hex digits or is weak)."""
    if value:
        return secret_from_hex(value, field=option)
    if file is not None:
        text = read_text(file, max_bytes=_SECRET_FILE_BYTES, error=InputError, what="a key file")
        return secret_from_hex(text, field=option, source=str(file))
    from_env = os.environ.get(env)
    if from_env:
        return secret_from_hex(from_env, field=f"${env}")
    return None


def _data_key(args: argparse.Namespace) -> bytes | None:
    return read_secret(
        value=None, file=args.data_key_file, env=DATA_KEY_ENV, option="--data-key-file"
    )


def _cmd_verify(args: argparse.Namespace, out: TextIO) -> int:
    if args.checkpoint is not None and args.public_key is None:
        raise InputError(
            "--checkpoint needs the key that signed it",
            field="--public-key",
            expected="--public-key signing.pub with --checkpoint",
        )
    key = None
    if args.public_key is not None:
        from feedrank.audit.keys import load_public_key

        key = load_public_key(args.public_key)
    report = verify(args.log, anchor=args.anchor, public_key=key)
    data, text = report.to_dict(), report.summary()
    found: list[tuple[str, int, str]] = []
    if args.checkpoint is not None:
        from feedrank.audit.logtree import checkpoint_problems, leaf_hashes
        from feedrank.cli.transparency import read_small

        note = read_small(args.checkpoint, "a checkpoint")
        assert key is not None
        found = checkpoint_problems(leaf_hashes(args.log), note, key)
        data["checkpoint_problems"] = [
            {"kind": kind, "record": record, "detail": detail} for kind, record, detail in found
        ]
        lines = [f"PROBLEM record {record}: {kind}: {detail}" for kind, record, detail in found]
        text += "\n" + ("\n".join(lines) if lines else "OK: the log holds the checkpoint's records")
        data["ok"] = report.ok and not found
    emit(out, args.format, data, text)
    return 0 if report.ok and not found else 1


def _cmd_replay(args: argparse.Namespace, out: TextIO) -> int:
    report = replay(args.log, args.spec, data_key=_data_key(args), rtol=args.rtol)
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
    report = log_report(args.log, groups, control=args.control, data_key=_data_key(args))
    emit(out, args.format, report.to_dict(), report.summary())
    return 0


def _cmd_visibility(args: argparse.Namespace, out: TextIO) -> int:
    from feedrank.audit.visibility import visibility_report
    from feedrank.cli.output import emit_text
    from feedrank.cli.request import parse_now

    report = visibility_report(
        args.log,
        args.author,
        control=args.control,
        since=parse_now(args.since, "--since") if args.since else None,
        until=parse_now(args.until, "--until") if args.until else None,
        data_key=_data_key(args),
        seed=args.seed,
        n_boot=args.resamples,
    )
    if args.format == "html":
        emit_text(out, report.html(), args.output)
    elif args.format == "json":
        emit(out, "json", report.to_dict())
    else:
        emit(out, "text", None, report.table())
    return 0


def _cmd_statements(args: argparse.Namespace, out: TextIO) -> int:
    from feedrank.audit.statements import statements, write_statements
    from feedrank.cli.request import parse_now

    found = statements(
        args.log,
        policy=args.policy,
        since=parse_now(args.since, "--since") if args.since else None,
        until=parse_now(args.until, "--until") if args.until else None,
        data_key=_data_key(args),
    )
    done = write_statements(found, args.out)
    text = (
        f"wrote {done.written} statement(s) of reasons to {done.path}"
        f" ({done.kept} already there, same PUID)"
    )
    emit(out, "text", None, text)
    return 0


def _data_key_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-key-file",
        type=Path,
        help=f"file holding the log's data key, 64 hex digits (default: ${DATA_KEY_ENV})",
    )


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
    check.add_argument(
        "--public-key",
        type=Path,
        help="the log's signing.pub: every record's signature and the checkpoint's",
    )
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
        "--data-key-file",
        type=Path,
        help=f"file holding the log's data key, 64 hex digits (default: ${DATA_KEY_ENV})",
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
    report.add_argument(
        "--data-key-file",
        type=Path,
        help=f"file holding the log's data key, 64 hex digits (default: ${DATA_KEY_ENV})",
    )
    report.add_argument("--format", choices=("text", "json"), default="text")
    report.set_defaults(run=_cmd_report)

    seen = sub.add_parser(
        "visibility",
        help="an author's posts: served, removed and demoted (by which policy), and the "
        "same requests under a control",
    )
    seen.add_argument("log", type=Path, help="the decision log (JSON Lines)")
    seen.add_argument("--author", required=True, help="the author id")
    seen.add_argument("--since", help="only requests ranked at or after this time (ISO 8601)")
    seen.add_argument("--until", help="only requests ranked at or before this time (ISO 8601)")
    seen.add_argument("--control", default="chronological", help="the control spec file or preset")
    seen.add_argument("--format", choices=("table", "json", "html"), default="table")
    seen.add_argument("--output", help="write the HTML page to this file")
    seen.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="seed of the bootstrap (default 0)"
    )
    seen.add_argument(
        "--resamples",
        type=int,
        default=DEFAULT_RESAMPLES,
        help=f"bootstrap resamples (default {DEFAULT_RESAMPLES})",
    )
    _data_key_option(seen)
    seen.set_defaults(run=_cmd_visibility)

    sor = sub.add_parser(
        "statements",
        help="DSA statements of reasons (Transparency Database API format), one per post "
        "and restriction policy",
    )
    sor.add_argument("log", type=Path, help="the decision log (JSON Lines)")
    sor.add_argument("--policy", help="only the statements of this policy")
    sor.add_argument(
        "--out",
        required=True,
        type=Path,
        help="JSON Lines file; statements whose PUID it holds already are not written again",
    )
    sor.add_argument("--since", help="only requests ranked at or after this time (ISO 8601)")
    sor.add_argument("--until", help="only requests ranked at or before this time (ISO 8601)")
    _data_key_option(sor)
    sor.set_defaults(run=_cmd_statements)
    add_transparency_commands(sub)
    return audit


def add_rank_audit_options(rank: argparse.ArgumentParser) -> None:
    """Add ``--audit-log PATH``, the key options and ``--audit-pseudonym-period``
    to the ``rank`` command."""
    rank.add_argument(
        "--audit-log", type=Path, help="append a decision record to this JSON Lines log"
    )
    rank.add_argument(
        "--audit-key",
        help=f"key for viewer pseudonyms, 64 hex digits (default: --audit-key-file, "
        f"then ${KEY_ENV}; a file or the environment keeps it out of the process list)",
    )
    rank.add_argument(
        "--audit-key-file", type=Path, help="file holding the pseudonymisation key, 64 hex digits"
    )
    rank.add_argument(
        "--audit-data-key-file",
        type=Path,
        help=f"file holding the data key that seals personal data, 64 hex digits "
        f"(default: ${DATA_KEY_ENV}); needed for a request with a viewer",
    )
    rank.add_argument(
        "--audit-signing-key",
        type=Path,
        help="signing.key of feedrank audit keygen: sign every record, so verify "
        "--public-key names any record changed without it",
    )
    rank.add_argument(
        "--audit-pseudonym-period",
        choices=PERIODS,
        default="none",
        help="how long a viewer keeps one pseudonym (default: none, for ever)",
    )


def open_rank_audit_log(args: argparse.Namespace) -> DecisionLog | None:
    """The log named by ``--audit-log`` (None without it), keyed by ``--audit-key``,
    ``--audit-key-file`` or ``$FEEDRANK_AUDIT_KEY`` and sealing with the data key
    of ``--audit-data-key-file`` or ``$FEEDRANK_AUDIT_DATA_KEY``."""
    path = getattr(args, "audit_log", None)
    if path is None:
        return None
    key = read_secret(
        value=getattr(args, "audit_key", None),
        file=getattr(args, "audit_key_file", None),
        env=KEY_ENV,
        option="--audit-key",
    )
    if key is None:
        raise InputError(
            "missing",
            field="--audit-key",
            expected=f"--audit-key HEX, --audit-key-file PATH or ${KEY_ENV} with --audit-log",
        )
    data_key = read_secret(
        value=None,
        file=getattr(args, "audit_data_key_file", None),
        env=DATA_KEY_ENV,
        option="--audit-data-key-file",
    )
    period: PseudonymPeriod = getattr(args, "audit_pseudonym_period", None) or "none"
    signing = getattr(args, "audit_signing_key", None)
    signing_key = None
    if signing is not None:
        from feedrank.audit.keys import load_signing_key

        signing_key = load_signing_key(signing)
    return DecisionLog(
        path,
        key=key,
        data_key=data_key,
        pseudonym_period=period,
        signing_key=signing_key,
        fsync=getattr(args, "audit_fsync", None) or "always",
    )
