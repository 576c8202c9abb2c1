"""``feedrank spec``, ``presets``, ``diff`` and ``card``: reading and publishing specs.

    feedrank diff OLD NEW [--exit-code]
    feedrank diff OLD NEW --log LOG --authors AUTHORS.jsonl --group-by ATTR
        [--max-change P] [--alpha A] [--data-key-file PATH] [--format text|json]

With ``--log``, ``diff`` is a release gate (:mod:`feedrank.audit.gate`): it
replays the logged requests under both specs and exits 1 when an author group's
exposure changes by more than ``--max-change`` beyond chance.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from feedrank._time import from_micros
from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.cli.output import emit, emit_text
from feedrank.cli.request import parse_now
from feedrank.errors import InputError
from feedrank.io.jsonl import read_authors, read_interactions, read_jsonl, read_posts
from feedrank.models import Viewer
from feedrank.presets import PRESETS, preset, spec_or_preset
from feedrank.ranking.ranking import Ranking
from feedrank.spec.files import diff_specs, dump_spec, spec_schema
from feedrank.spec.pipeline import Pipeline

__all__ = ["add_spec_commands"]


def _cmd_card(args: argparse.Namespace, out: TextIO) -> int:
    from feedrank.audit.card import build_card, card_html, card_markdown

    pipeline = spec_or_preset(args.spec)
    previous = spec_or_preset(args.previous) if args.previous else None
    sample: list[Ranking] = []
    if args.sample:
        authors = read_authors(args.authors) if args.authors else None
        batch = PostBatch.from_posts(read_posts(args.sample), authors)
        if args.now:
            now = parse_now(args.now)
        elif len(batch):
            now = from_micros(int(batch.created_at.max()))
        else:
            raise InputError("the sample holds no posts", field="--sample", expected="posts")
        viewers = read_jsonl(args.viewers, Viewer) if args.viewers else [None]
        interactions = read_interactions(args.interactions) if args.interactions else []
        for viewer in viewers:
            ctx = Context.build(batch, now=now, viewer=viewer, interactions=interactions)
            sample.append(pipeline.rank(batch, ctx))
    effects = []
    if args.measure_controls is not None:
        from feedrank.datasets import simulate
        from feedrank.evaluate.controls import control_effects

        net = simulate(rng=args.measure_controls, n_users=100, n_posts=800, hours=72.0)
        effects = control_effects(pipeline, net)
    card = build_card(pipeline, sample, previous, effects)
    emit_text(out, card_html(card) if args.format == "html" else card_markdown(card), args.output)
    return 0


def _cmd_diff(args: argparse.Namespace, out: TextIO) -> int:
    old, new = spec_or_preset(args.old), spec_or_preset(args.new)
    changes = diff_specs(old, new)
    lines = [f"{old.fingerprint[:16]} -> {new.fingerprint[:16]}"]
    lines.extend(str(change) for change in changes)
    if not changes:
        lines.append("no change")
    differ = 1 if changes and args.exit_code else 0
    if args.log is None:
        for option in ("authors", "max_change"):
            if getattr(args, option) is not None:
                raise InputError(
                    f"--{option.replace('_', '-')} without --log",
                    field="--log",
                    expected="a decision log to replay under both specs",
                )
        emit(out, args.format, {"changes": [str(c) for c in changes]}, "\n".join(lines))
        return differ
    return _gate(args, out, old, new, lines, differ)


def _gate(
    args: argparse.Namespace,
    out: TextIO,
    old: Pipeline,
    new: Pipeline,
    lines: list[str],
    differ: int,
) -> int:
    from feedrank.audit.gate import release_gate
    from feedrank.cli.audit import DATA_KEY_ENV, read_secret

    if args.authors is None:
        raise InputError(
            "the groups come from the authors' attributes",
            field="--authors",
            expected=f"--authors AUTHORS.jsonl whose attribute {args.group_by!r} names the group",
        )
    groups = {
        a.id: str(a.attributes.get(args.group_by, "unknown")) for a in read_authors(args.authors)
    }
    key = read_secret(
        value=None, file=args.data_key_file, env=DATA_KEY_ENV, option="--data-key-file"
    )
    report = release_gate(
        args.log,
        old,
        new,
        groups,
        group_by=args.group_by,
        max_change=0.1 if args.max_change is None else args.max_change,
        alpha=args.alpha,
        data_key=key,
    )
    data = {"changes": lines[1:], **report.to_dict()}
    emit(out, args.format, data, "\n".join([*lines, "", report.summary()]))
    return 1 if report.tripped else differ


def _cmd_spec(args: argparse.Namespace, out: TextIO) -> int:
    if args.spec_command == "schema":
        emit(out, "json", spec_schema())
        return 0
    pipeline = spec_or_preset(args.spec)
    if args.spec_command == "validate":
        line = f"ok: {pipeline.name} v{pipeline.version} fingerprint {pipeline.fingerprint}"
        emit(out, "text", None, line)
        return 0
    emit_text(out, dump_spec(pipeline, args.format) + ("\n" if args.format == "canonical" else ""))
    return 0


def _cmd_presets(args: argparse.Namespace, out: TextIO) -> int:
    lines = []
    for name in sorted(PRESETS):
        pipe = preset(name)
        lines.append(f"{name:<24} {pipe.fingerprint[:12]}  {pipe.description}")
    emit(out, "text", None, "\n".join(lines))
    return 0


def add_spec_commands(sub: Any) -> None:
    """Add ``card``, ``diff``, ``spec`` and ``presets`` to the ``feedrank`` subparsers."""
    card = sub.add_parser("card", help="write the plain-language algorithm card")
    card.add_argument("--spec", required=True, help="spec file or preset name")
    card.add_argument("--sample", type=Path, help="posts (JSON Lines) to measure the terms on")
    card.add_argument(
        "--measure-controls",
        type=int,
        metavar="SEED",
        help="measure how much targeted exposure each control removes, on a simulated network",
    )
    card.add_argument("--authors", type=Path, help="authors of the sample, JSON Lines")
    card.add_argument("--viewers", type=Path, help="viewers (JSON Lines), one feed each")
    card.add_argument("--interactions", type=Path, help="interactions, JSON Lines")
    card.add_argument("--now", help="ranking time (default: the newest sample post)")
    card.add_argument("--previous", help="the previous spec: list what changed")
    card.add_argument("--format", choices=("markdown", "html"), default="markdown")
    card.add_argument("--output", help="write to this file instead of standard output")
    card.set_defaults(run=_cmd_card)

    diff = sub.add_parser(
        "diff",
        help="what changed between two specs; with --log, a release gate on each author "
        "group's exposure",
    )
    diff.add_argument("old")
    diff.add_argument("new")
    diff.add_argument("--exit-code", action="store_true", help="exit 1 when they differ")
    diff.add_argument(
        "--log", type=Path, help="a decision log: replay its requests under both specs"
    )
    diff.add_argument("--authors", type=Path, help="authors (JSON Lines) with attributes")
    diff.add_argument("--group-by", default="group", help="the author attribute to group by")
    diff.add_argument(
        "--max-change",
        type=float,
        help="the bound on a group's relative change in exposure (default 0.1 = 10%%); "
        "exit 1 when a change exceeds it beyond chance",
    )
    diff.add_argument(
        "--alpha", type=float, default=0.05, help="level of the Holm-adjusted tests (0.05)"
    )
    diff.add_argument(
        "--data-key-file", type=Path, help="file holding the log's data key, 64 hex digits"
    )
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.set_defaults(run=_cmd_diff)

    spec = sub.add_parser("spec", help="show, validate or describe specs")
    spec_sub = spec.add_subparsers(dest="spec_command", required=True)
    show = spec_sub.add_parser("show", help="print a spec with every default written out")
    show.add_argument("spec")
    show.add_argument("--format", choices=("toml", "json", "canonical"), default="toml")
    validate = spec_sub.add_parser("validate", help="check a spec and print its fingerprint")
    validate.add_argument("spec")
    spec_sub.add_parser("schema", help="print the JSON Schema of specs")
    spec.set_defaults(run=_cmd_spec)

    presets = sub.add_parser("presets", help="list the built-in presets")
    presets.set_defaults(run=_cmd_presets)
