"""The ``feedrank`` command.

    feedrank demo                      rank a built-in simulated network, explained
    feedrank rank --spec S --posts P --now T [...]
    feedrank explain --spec S --posts P --now T --post ID [--compare ID2] [...]
    feedrank eval --qrels Q --run R [-m map,P@10,ndcg@10] [-q] [-c]
    feedrank bench --dataset simulated|movielens [--path P] --rankers A,B [...]
    feedrank spec show|validate|schema
    feedrank presets

Errors print one line naming the file, record, field and what was expected,
and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from feedrank._time import from_micros
from feedrank._version import __version__
from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.cli.audit import add_audit_commands, add_rank_audit_options, open_rank_audit_log
from feedrank.cli.bench import add_bench_command
from feedrank.cli.eval import add_eval_command
from feedrank.engine.cursor import Cursor
from feedrank.errors import FeedrankError, InputError
from feedrank.io.jsonl import read_authors, read_interactions, read_jsonl, read_posts, read_viewer
from feedrank.models import Viewer
from feedrank.presets import PRESETS, preset, spec_or_preset
from feedrank.ranking.counterfactual import Change
from feedrank.ranking.ranking import Ranking
from feedrank.spec.files import diff_specs, dump_spec, spec_schema
from feedrank.spec.pipeline import Pipeline

__all__ = ["build_parser", "main"]


def _parse_now(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"cannot read {text!r} as a date",
            field="--now",
            expected="ISO 8601, e.g. 2026-01-01T12:00:00Z",
        ) from None
    if moment.tzinfo is None:
        raise InputError(
            f"{text!r} has no timezone", field="--now", expected="a timezone such as Z or +01:00"
        )
    return moment


def _table(
    ranking: Ranking,
    batch: PostBatch,
    out: TextIO,
    *,
    explain: bool,
    cursor: bool = True,
    removed_all: bool = False,
    moves_all: bool = False,
) -> None:
    if len(ranking) == 0:
        out.write("(no posts to show)\n")
    authors = dict(zip(batch.ids.tolist(), batch.author_ids.tolist(), strict=True))
    width = max([len(p) for p in ranking.post_ids] + [7])
    out.write(f"{'rank':>4}  {'post':<{width}}  {'author':<12} {'score':>11}  top terms\n")
    for pid, rank, score, row in zip(
        ranking.post_ids,
        ranking.ranks.tolist(),
        ranking.page_scores.tolist(),
        ranking.page.tolist(),
        strict=True,
    ):
        contrib = ranking.contributions[row]
        top = sorted(range(len(contrib)), key=lambda j: -abs(contrib[j]))[:3]
        terms = ", ".join(f"{ranking.term_names[j]} {contrib[j]:+.3g}" for j in top if contrib[j])
        out.write(f"{rank:>4}  {pid:<{width}}  {authors[pid]:<12} {score:>11.5g}  {terms}\n")
        if explain:
            lines = ranking.explain(pid).to_text().splitlines()[1:]
            out.write("".join(f"{'':>6}{line.strip()}\n" for line in lines))
    removed = ranking.removal_counts()
    if removed:
        parts = ", ".join(f"{n} {why}" for why, n in sorted(removed.items()))
        out.write(f"filtered out: {parts}\n")
    if removed_all:
        for pid, why in ranking.removed().items():
            out.write(f"  removed {pid}: {why}\n")
    moved = ranking.move_counts()
    if moved:
        parts = "; ".join(
            f"{stage}: " + ", ".join(f"{n} {why}" for why, n in reasons.items())
            for stage, reasons in moved.items()
        )
        out.write(f"moved: {parts}\n")
    if moves_all:
        for move in ranking.to_dict(moves="all")["moves"]:
            out.write(
                f"  moved {move['post_id']} by {move['stage']}: position "
                f"{move['before'] + 1} -> {move['after'] + 1} ({move['reason']})\n"
            )
    if cursor and ranking.next_cursor:
        out.write(f"next page: --cursor {ranking.next_cursor}\n")


def _request(args: argparse.Namespace) -> tuple[Pipeline, PostBatch, Context]:
    pipeline = spec_or_preset(args.spec)
    authors = read_authors(args.authors) if args.authors else None
    posts = read_posts(args.posts)
    batch = PostBatch.from_posts(posts, authors)
    viewer = read_viewer(args.viewer) if args.viewer else None
    interactions = read_interactions(args.interactions) if args.interactions else []
    cursor: str | None = getattr(args, "cursor", None)
    if args.now is not None:
        now = _parse_now(args.now)
    elif cursor is not None:
        now = Cursor.decode(cursor).now_datetime
    else:
        raise InputError("missing", field="--now", expected="--now ISO8601 (or a --cursor)")
    network = read_interactions(args.network) if getattr(args, "network", None) else []
    follow_graph = (
        _read_follow_graph(args.follow_graph) if getattr(args, "follow_graph", None) else None
    )
    ctx = Context.build(
        batch,
        now=now,
        viewer=viewer,
        interactions=interactions,
        network=network,
        follow_graph=follow_graph,
    )
    return pipeline, batch, ctx


def _read_follow_graph(path: Path) -> dict[str, list[str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", source=str(path), line=exc.lineno) from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
        for k, v in data.items()
    ):
        raise InputError(
            "not a follow graph",
            source=str(path),
            field="--follow-graph",
            expected='a JSON object mapping an account id to the ids it follows, {"a": ["b"]}',
        )
    return data


def _cmd_rank(args: argparse.Namespace, out: TextIO) -> int:
    pipeline, batch, ctx = _request(args)
    audit = open_rank_audit_log(args)
    try:
        ranking = pipeline.rank(batch, ctx, limit=args.limit, cursor=args.cursor, audit=audit)
    finally:
        if audit is not None:
            audit.close()
    if args.format == "json":
        data = ranking.to_dict(removed=args.removed, moves=args.moves)
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(f"spec {pipeline.name} v{pipeline.version}  fingerprint {pipeline.fingerprint}\n")
        _table(
            ranking,
            batch,
            out,
            explain=args.explain,
            removed_all=args.removed == "all",
            moves_all=args.moves == "all",
        )
    return 0


def _cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    pipeline, batch, ctx = _request(args)
    ranking = pipeline.rank(batch, ctx, limit=len(batch) or 1)
    explanation = ranking.explain(args.post)
    report: dict[str, object] = {"explanation": explanation.to_dict()}
    if args.compare:
        report["comparison"] = ranking.compare(args.post, args.compare).to_dict()
        report["weight_to_swap"] = [
            vars(c) for c in ranking.weight_to_swap(args.post, args.compare)
        ]
    if args.ablation and explanation.rank is not None:
        report["without_term"] = ranking.ablation().for_post(args.post)
    if args.top_k:
        report["input_to_top_k"] = [vars(c) for c in ranking.input_to_top_k(args.post, args.top_k)]
    if args.format == "json":
        json.dump(report, out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
        return 0
    out.write(explanation.to_markdown() if args.format == "markdown" else explanation.to_text())
    out.write("\n")
    if args.compare:
        out.write("\n" + ranking.compare(args.post, args.compare).to_text() + "\n")
        out.write(f"smallest weight change that reorders {args.post} and {args.compare}:\n")
        for change in ranking.weight_to_swap(args.post, args.compare):
            out.write("  " + _change_line(change) + "\n")
    if args.ablation and explanation.rank is not None:
        out.write("\nrank without each term:\n")
        for term, rank in ranking.ablation().for_post(args.post).items():
            out.write(f"  {term:<20} {rank:>5}  (now {explanation.rank})\n")
    if args.top_k:
        out.write(f"\nsmallest change of one input that reaches the top {args.top_k}:\n")
        changes = ranking.input_to_top_k(args.post, args.top_k)
        if not changes:
            out.write("  already there\n")
        for change in changes:
            out.write("  " + _change_line(change) + "\n")
    return 0


def _change_line(change: Change) -> str:
    if not change.feasible or change.after is None:
        return f"{change.term:<20} none ({change.note})"
    return f"{change.term:<20} {change.what} {change.before:.6g} -> {change.after:.6g}"


def _cmd_card(args: argparse.Namespace, out: TextIO) -> int:
    from feedrank.audit.card import build_card, card_html, card_markdown

    pipeline = spec_or_preset(args.spec)
    previous = spec_or_preset(args.previous) if args.previous else None
    sample: list[Ranking] = []
    if args.sample:
        authors = read_authors(args.authors) if args.authors else None
        batch = PostBatch.from_posts(read_posts(args.sample), authors)
        if args.now:
            now = _parse_now(args.now)
        elif len(batch):
            now = from_micros(int(batch.created_at.max()))
        else:
            raise InputError("the sample holds no posts", field="--sample", expected="posts")
        viewers = read_jsonl(args.viewers, Viewer) if args.viewers else [None]
        interactions = read_interactions(args.interactions) if args.interactions else []
        for viewer in viewers:
            ctx = Context.build(batch, now=now, viewer=viewer, interactions=interactions)
            sample.append(pipeline.rank(batch, ctx))
    card = build_card(pipeline, sample, previous)
    text = card_html(card) if args.format == "html" else card_markdown(card)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        out.write(f"wrote {args.output}\n")
    else:
        out.write(text)
    return 0


def _cmd_diff(args: argparse.Namespace, out: TextIO) -> int:
    old, new = spec_or_preset(args.old), spec_or_preset(args.new)
    out.write(f"{old.fingerprint[:16]} -> {new.fingerprint[:16]}\n")
    changes = diff_specs(old, new)
    for change in changes:
        out.write(f"{change}\n")
    if not changes:
        out.write("no change\n")
    return 1 if changes and args.exit_code else 0


def _cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    from feedrank.datasets import simulate

    net = simulate(rng=args.seed, n_users=30, n_posts=150, hours=24.0)
    pipeline = spec_or_preset(args.spec)
    batch = net.batch()
    out.write(
        f"feedrank demo: a simulated network of {len(net.viewers)} people and {len(batch)} "
        f"posts over 24 h (seed {args.seed}), ranked at {net.now.isoformat()}\n"
        f"spec {pipeline.name} v{pipeline.version}  fingerprint {pipeline.fingerprint}\n"
        f"{pipeline.description}\n"
    )
    for viewer in net.viewers[: args.viewers]:
        ranking = pipeline.rank(batch, net.context(viewer.id, batch), limit=args.limit)
        out.write("\n" + _viewer_line(viewer) + "\n")
        _table(ranking, batch, out, explain=True, cursor=False)
    out.write(
        "\nEvery score above is Σ (weight × signal) × Π factors; run "
        "`feedrank spec show " + args.spec + "` to read the whole algorithm.\n"
    )
    return 0


def _viewer_line(viewer: Viewer) -> str:
    interests = sorted(viewer.interests.items(), key=lambda kv: -kv[1])[:3]
    likes = ", ".join(f"{topic} {weight:.2f}" for topic, weight in interests)
    return (
        f"── feed of {viewer.id}: follows {len(viewer.follows)} accounts; "
        f"interests: {likes or 'none'}"
    )


def _cmd_spec(args: argparse.Namespace, out: TextIO) -> int:
    if args.spec_command == "schema":
        json.dump(spec_schema(), out, indent=2, ensure_ascii=False)
        out.write("\n")
        return 0
    pipeline = spec_or_preset(args.spec)
    if args.spec_command == "validate":
        out.write(f"ok: {pipeline.name} v{pipeline.version} fingerprint {pipeline.fingerprint}\n")
        return 0
    out.write(dump_spec(pipeline, args.format))
    if args.format == "canonical":
        out.write("\n")
    return 0


def _cmd_presets(args: argparse.Namespace, out: TextIO) -> int:
    for name in sorted(PRESETS):
        pipe = preset(name)
        out.write(f"{name:<24} {pipe.fingerprint[:12]}  {pipe.description}\n")
    return 0


def _request_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", required=True, help="spec file (.toml/.json) or preset name")
    parser.add_argument("--posts", required=True, type=Path, help="posts, JSON Lines")
    parser.add_argument("--authors", type=Path, help="authors, JSON Lines")
    parser.add_argument("--viewer", type=Path, help="the viewer, a JSON file")
    parser.add_argument("--interactions", type=Path, help="the viewer's interactions, JSON Lines")
    parser.add_argument("--now", help="ranking time, ISO 8601 with timezone")
    parser.add_argument(
        "--network", type=Path, help="interactions of other accounts (social proof), JSON Lines"
    )
    parser.add_argument(
        "--follow-graph", type=Path, help='who follows whom, a JSON object {"account": [ids]}'
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``feedrank`` command."""
    parser = argparse.ArgumentParser(
        prog="feedrank", description="Rank social feeds with an algorithm anyone can audit."
    )
    parser.add_argument("--version", action="version", version=f"feedrank {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="rank a built-in simulated network and explain it")
    demo.add_argument("--seed", type=int, default=7, help="simulation seed (default 7)")
    demo.add_argument("--viewers", type=int, default=3, help="feeds to show (default 3)")
    demo.add_argument("--limit", type=int, default=5, help="posts per feed (default 5)")
    demo.add_argument("--spec", default="balanced", help="spec file or preset (default balanced)")
    demo.set_defaults(run=_cmd_demo)

    rank = sub.add_parser("rank", help="rank posts from JSON Lines files")
    _request_options(rank)
    rank.add_argument("--limit", type=int, help="page size (default: the spec's)")
    rank.add_argument("--cursor", help="continue after a previous page")
    rank.add_argument("--format", choices=("table", "json"), default="table")
    rank.add_argument("--explain", action="store_true", help="explain every post (table)")
    rank.add_argument(
        "--removed",
        choices=("counts", "all"),
        default="counts",
        help="removed posts: counts by reason (default) or every post and its reason",
    )
    rank.add_argument(
        "--moves",
        choices=("counts", "all"),
        default="counts",
        help="re-ranker moves: counts by reason (default; page items carry their own) or all",
    )
    add_rank_audit_options(rank)
    rank.set_defaults(run=_cmd_rank)

    explain = sub.add_parser("explain", help="why one post ranked where it did")
    _request_options(explain)
    explain.add_argument("--post", required=True, help="the post to explain")
    explain.add_argument("--compare", help="a second post: decompose the score gap")
    explain.add_argument("--ablation", action="store_true", help="rank without each term")
    explain.add_argument("--top-k", type=int, help="smallest input change to reach the top k")
    explain.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    explain.set_defaults(run=_cmd_explain)

    card = sub.add_parser("card", help="write the plain-language algorithm card")
    card.add_argument("--spec", required=True, help="spec file or preset name")
    card.add_argument("--sample", type=Path, help="posts (JSON Lines) to measure the terms on")
    card.add_argument("--authors", type=Path, help="authors of the sample, JSON Lines")
    card.add_argument("--viewers", type=Path, help="viewers (JSON Lines), one feed each")
    card.add_argument("--interactions", type=Path, help="interactions, JSON Lines")
    card.add_argument("--now", help="ranking time (default: the newest sample post)")
    card.add_argument("--previous", help="the previous spec: list what changed")
    card.add_argument("--format", choices=("markdown", "html"), default="markdown")
    card.add_argument("--output", help="write to this file instead of standard output")
    card.set_defaults(run=_cmd_card)

    diff = sub.add_parser("diff", help="what changed between two specs")
    diff.add_argument("old")
    diff.add_argument("new")
    diff.add_argument("--exit-code", action="store_true", help="exit 1 when they differ")
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

    add_audit_commands(sub)
    add_eval_command(sub)
    add_bench_command(sub)

    presets = sub.add_parser("presets", help="list the built-in presets")
    presets.set_defaults(run=_cmd_presets)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    stream = out if out is not None else sys.stdout
    try:
        return int(args.run(args, stream))
    except FeedrankError as err:
        print(f"feedrank: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"feedrank: error: {err.strerror}: {err.filename}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
