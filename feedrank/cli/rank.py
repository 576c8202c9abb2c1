"""``feedrank rank``, ``feedrank explain`` and ``feedrank demo``: rank and explain.

Answers are proportional to the page: the served posts with their parts, then
counts of removals and moves by reason (``--removed all`` / ``--moves all``
list every one).
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from feedrank.batch.posts import PostBatch
from feedrank.cli.audit import add_rank_audit_options, open_rank_audit_log
from feedrank.cli.explain_report import ExplainReport
from feedrank.cli.output import emit
from feedrank.cli.request import add_request_options, build_request
from feedrank.models import Viewer
from feedrank.presets import spec_or_preset
from feedrank.ranking.ranking import Ranking

__all__ = ["add_rank_commands", "ranking_table"]


def ranking_table(
    ranking: Ranking,
    batch: PostBatch,
    *,
    explain: bool = False,
    cursor: bool = True,
    removed_all: bool = False,
    moves_all: bool = False,
) -> str:
    """The served page as a table, then removals and moves by reason."""
    lines: list[str] = []
    if len(ranking) == 0:
        lines.append("(no posts to show)")
    authors = dict(zip(batch.ids.tolist(), batch.author_ids.tolist(), strict=True))
    width = max([len(p) for p in ranking.post_ids] + [7])
    lines.append(f"{'rank':>4}  {'post':<{width}}  {'author':<12} {'score':>11}  top terms")
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
        lines.append(f"{rank:>4}  {pid:<{width}}  {authors[pid]:<12} {score:>11.5g}  {terms}")
        if explain:
            lines.extend(
                f"{'':>6}{line.strip()}" for line in ranking.explain(pid).to_text().splitlines()[1:]
            )
    removed = ranking.removal_counts()
    if removed:
        parts = ", ".join(f"{n} {why}" for why, n in sorted(removed.items()))
        lines.append(f"filtered out: {parts}")
    if removed_all:
        lines.extend(f"  removed {pid}: {why}" for pid, why in ranking.removed().items())
    moved = ranking.move_counts()
    if moved:
        parts = "; ".join(
            f"{stage}: " + _reason_counts(reasons, all_listed=moves_all)
            for stage, reasons in moved.items()
        )
        lines.append(f"moved: {parts}")
    if moves_all:
        for move in ranking.to_dict(moves="all")["moves"]:
            lines.append(
                f"  moved {move['post_id']} by {move['stage']}: position "
                f"{move['before'] + 1} -> {move['after'] + 1} ({move['reason']})"
            )
    if cursor and ranking.next_cursor:
        lines.append(f"next page: --cursor {ranking.next_cursor}")
    return "\n".join(lines)


_SHOWN_REASONS = 3
"""Reasons listed per stage in the summary line; a re-ranker that places posts
gives each moved post its own reason (``--moves all`` lists them all)."""


def _reason_counts(reasons: dict[str, int], *, all_listed: bool) -> str:
    ranked = sorted(reasons.items(), key=lambda kv: -kv[1])
    shown = ", ".join(f"{n} {why}" for why, n in ranked[:_SHOWN_REASONS])
    rest = ranked[_SHOWN_REASONS:]
    if not rest:
        return shown
    more = sum(n for _, n in rest)
    hint = "" if all_listed else " (--moves all lists them)"
    return f"{shown} and {more} more with {len(rest)} other reasons{hint}"


def _cmd_rank(args: argparse.Namespace, out: TextIO) -> int:
    request = build_request(args)
    pipeline = request.pipeline
    audit = open_rank_audit_log(args)
    ranker = request.chosen or pipeline
    try:
        ranking = ranker.rank(
            request.batch, request.ctx, limit=args.limit, cursor=args.cursor, audit=audit
        )
    finally:
        if audit is not None:
            audit.close()
    data = (
        ranking.to_dict(removed=args.removed, moves=args.moves) if args.format == "json" else None
    )
    text = None
    if data is None:
        text = _spec_lines(ranking) + ranking_table(
            ranking,
            request.batch,
            explain=args.explain,
            removed_all=args.removed == "all",
            moves_all=args.moves == "all",
        )
    emit(out, args.format, data, text)
    return 0


def _spec_lines(ranking: Ranking) -> str:
    """The spec that ranked; for a viewer's choice, the published spec and the choice too."""
    p = ranking.pipeline
    line = f"spec {p.name} v{p.version}  fingerprint {p.fingerprint}\n"
    stamp = ranking.choice
    if stamp is None:
        return line
    published = stamp.published
    chose = [f"alternative {stamp.alternative}"] if stamp.alternative else []
    chose += [f"{name}={_shown(value)}" for name, value in stamp.settings]
    return (
        f"published {published.name} v{published.version}  fingerprint "
        f"{published.fingerprint}\nchoice: {', '.join(chose) or 'the defaults'}\n"
        f"effective {line}"
    )


def _shown(value: bool | int | float) -> str:
    return ("on" if value else "off") if isinstance(value, bool) else f"{value:g}"


def _cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    request = build_request(args)
    batch = request.batch
    ranking = request.pipeline.rank(batch, request.ctx, limit=len(batch) or 1)
    explanation = ranking.explain(args.post)
    comparison = ranking.compare(args.post, args.compare) if args.compare else None
    swaps = ranking.weight_to_swap(args.post, args.compare) if args.compare else []
    without = ranking.ablation().for_post(args.post) if args.ablation and explanation.rank else None
    top_k = ranking.input_to_top_k(args.post, args.top_k) if args.top_k else None
    report: dict[str, Any] = {"explanation": explanation.to_dict()}
    if comparison is not None:
        report["comparison"] = comparison.to_dict()
        report["weight_to_swap"] = [vars(c) for c in swaps]
    if without is not None:
        report["without_term"] = without
    if top_k is not None:
        report["input_to_top_k"] = [vars(c) for c in top_k]
    if args.format == "json":
        emit(out, "json", report)
        return 0
    answer = ExplainReport(
        args.post,
        explanation.rank,
        comparison,
        args.compare,
        swaps,
        without,
        args.top_k,
        top_k,
    )
    if args.format == "markdown":
        emit(out, "text", report, answer.to_markdown(explanation.to_markdown()))
    else:
        emit(out, "text", report, answer.to_text(explanation.to_text()))
    return 0


def _cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    from feedrank.datasets import simulate

    net = simulate(rng=args.seed, n_users=30, n_posts=150, hours=24.0)
    pipeline = spec_or_preset(args.spec)
    batch = net.batch()
    parts = [
        f"feedrank demo: a simulated network of {len(net.viewers)} people and {len(batch)} "
        f"posts over 24 h (seed {args.seed}), ranked at {net.now.isoformat()}\n"
        f"spec {pipeline.name} v{pipeline.version}  fingerprint {pipeline.fingerprint}\n"
        f"{pipeline.description}"
    ]
    for viewer in net.viewers[: args.viewers]:
        ranking = pipeline.rank(batch, net.context(viewer.id, batch), limit=args.limit)
        parts.append("\n" + _viewer_line(viewer))
        parts.append(ranking_table(ranking, batch, explain=True, cursor=False))
    parts.append(
        "\nEvery score above is Σ (weight × signal) × Π factors; run "
        "`feedrank spec show " + args.spec + "` to read the whole algorithm."
    )
    emit(out, "text", None, "\n".join(parts))
    return 0


def _viewer_line(viewer: Viewer) -> str:
    interests = sorted(viewer.interests.items(), key=lambda kv: -kv[1])[:3]
    likes = ", ".join(f"{topic} {weight:.2f}" for topic, weight in interests)
    return (
        f"── feed of {viewer.id}: follows {len(viewer.follows)} accounts; "
        f"interests: {likes or 'none'}"
    )


def add_rank_commands(sub: Any) -> None:
    """Add ``demo``, ``rank`` and ``explain`` to the ``feedrank`` subparsers."""
    demo = sub.add_parser("demo", help="rank a built-in simulated network and explain it")
    demo.add_argument("--seed", type=int, default=7, help="simulation seed (default 7)")
    demo.add_argument("--viewers", type=int, default=3, help="feeds to show (default 3)")
    demo.add_argument("--limit", type=int, default=5, help="posts per feed (default 5)")
    demo.add_argument("--spec", default="balanced", help="spec file or preset (default balanced)")
    demo.set_defaults(run=_cmd_demo)

    rank = sub.add_parser("rank", help="rank posts from JSON Lines files")
    add_request_options(rank)
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
    add_request_options(explain)
    explain.add_argument("--post", required=True, help="the post to explain")
    explain.add_argument("--compare", help="a second post: decompose the score gap")
    explain.add_argument("--ablation", action="store_true", help="rank without each term")
    explain.add_argument("--top-k", type=int, help="smallest input change to reach the top k")
    explain.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    explain.set_defaults(run=_cmd_explain)
