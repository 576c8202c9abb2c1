"""The algorithm card: the published, plain-language description of a spec.

It serves the EU Digital Services Act Art. 27 (main parameters of a recommender
system in plain language, the criteria that matter most and why, options to
change them) and Art. 38 (a non-profiling alternative). It states every term's
weight and published rationale, the measured relative importance of each term
on a sample, the filters and re-rankers, the fingerprint, and the changes since
a previous version. :func:`card_markdown` gives Markdown; :func:`card_html` a
self-contained HTML page whose charts are inline SVG (nothing to download, no
plotting library needed).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from feedrank.audit.reports import TermInfluence, influence
from feedrank.errors import FeedrankError
from feedrank.evaluate.controls import ControlEffect
from feedrank.ranking.ranking import Ranking
from feedrank.spec.files import SpecChange, diff_specs
from feedrank.spec.pipeline import Pipeline, PolicyUse
from feedrank.stages.components import Component
from feedrank.stages.scoring import Factor

__all__ = ["Card", "build_card", "card_html", "card_markdown"]


@dataclass(frozen=True)
class Card:
    """Everything a card shows, computed once."""

    pipeline: Pipeline
    influence: tuple[TermInfluence, ...]
    sample_requests: int
    sample_posts: int
    changes: tuple[SpecChange, ...] | None
    previous_fingerprint: str | None
    control_effects: tuple[ControlEffect, ...] = ()
    """The measured effectiveness of each control (:mod:`feedrank.evaluate.controls`)."""


def build_card(
    pipeline: Pipeline,
    sample: Sequence[Ranking] = (),
    previous: Pipeline | None = None,
    control_effects: Sequence[ControlEffect] = (),
) -> Card:
    """Measure ``pipeline`` on ``sample`` (rankings it produced) and diff it
    against ``previous``; ``control_effects``: its controls measured (see
    :func:`feedrank.evaluate.control_effects`), shown with the controls."""
    measured = tuple(influence(sample)) if sample else ()
    return Card(
        pipeline=pipeline,
        influence=measured,
        sample_requests=len(sample),
        sample_posts=sum(len(r.candidates) for r in sample),
        changes=tuple(diff_specs(previous, pipeline)) if previous is not None else None,
        previous_fingerprint=previous.fingerprint if previous is not None else None,
        control_effects=tuple(control_effects),
    )


def _direction(weight: float) -> str:
    if weight > 0:
        return "raises"
    if weight < 0:
        return "lowers"
    return "does not change"


def card_markdown(card: Card) -> str:
    """The card as Markdown."""
    p = card.pipeline
    share = {i.term: i for i in card.influence}
    out = [
        f"# How “{p.name}” ranks your feed",
        "",
        p.description or "",
        "",
        f"- Version: {p.version}",
        f"- Fingerprint (SHA-256 of the published spec): `{p.fingerprint}`",
        f"- Page size: {p.limit} posts",
        "",
        "## What decides the order",
        "",
        "Each post gets a score: the weighted sum of the signals below, multiplied by "
        "the factors further down. Higher scores come first; ties go to the newer post.",
        "",
    ]
    if card.influence:
        out += [
            f"Measured on a sample of {card.sample_requests} feeds "
            f"({card.sample_posts} candidate posts): *share* is the term's part of the "
            "average absolute score; *order kept* is how similar the feed stays without "
            "the term (1 = unchanged, 0 = unrelated).",
            "",
            "| signal | what it measures | weight | effect | share | order kept | why |",
            "|---|---|---:|---|---:|---:|---|",
        ]
    else:
        out += [
            "| signal | what it measures | weight | effect | why |",
            "|---|---|---:|---|---|",
        ]
    for term in sorted(
        p.scorer.terms, key=lambda t: -(share[t.name].share if t.name in share else 0.0)
    ):
        cells = [
            term.name,
            term.signal.describe(),
            f"{term.weight:g}",
            f"{_direction(term.weight)} the score",
        ]
        if card.influence:
            measured = share[term.name]
            cells += [f"{measured.share:.1%}", f"{measured.kendall_tau:.2f}"]
        cells.append(term.why or "—")
        out.append("| " + " | ".join(cells) + " |")
    if p.scorer.factors:
        out += ["", "### Multipliers", ""]
        for factor in p.scorer.factors:
            out.append(f"- **{factor.name}**: {factor.signal.describe()}. {factor.why}".rstrip())
    out += ["", "## What is removed before ranking", ""]
    if p.filters:
        out += [f"- {f.describe()}" for f in p.filters]
    else:
        out.append("- Nothing: every candidate post is ranked.")
    out += ["", "## What changes the order after scoring", ""]
    if p.rerankers:
        out += [f"- {r.describe()}" for r in p.rerankers]
    else:
        out.append("- Nothing: the feed is in score order.")
    out += _policy_lines(p)
    out += ["", "## Your choice", "", *_choice_lines(p), *_effect_lines(card)]
    out += [
        "",
        "## Check it yourself",
        "",
        "The whole algorithm is the published spec; `feedrank spec show` prints it and "
        "`feedrank spec validate` recomputes the fingerprint above.",
    ]
    if card.changes is not None:
        out += ["", f"## Changes since `{(card.previous_fingerprint or '')[:16]}`", ""]
        out += [f"- `{c}`" for c in card.changes] or ["- No change."]
    return "\n".join(out).rstrip() + "\n"


_EFFECTS = {
    "visibility_restriction": "visibility restriction (moderation)",
    "ranking_preference": "ranking preference",
    "viewer_choice": "the viewer's own choice",
}


def _policy_lines(p: Pipeline) -> list[str]:
    """The card's list of every component that can lower a post's reach, with the
    policy behind it (:attr:`Pipeline.policies`)."""
    out = ["", "## Policies: what can lower a post's reach, and why", ""]
    uses = p.policies
    if not uses:
        return [*out, "- Nothing removes or demotes a post: the feed is in score order."]
    out += [
        "Each filter, multiplier and re-ranker below is a *visibility restriction* "
        "(a decision about the post, under the policy named), a *ranking preference* "
        "(a rule that applies to every post alike) or *the viewer's own choice* "
        "(their blocks, mutes and what they have seen: nothing is decided about the "
        "post or its author). Authors can see every restriction of their posts "
        "(`feedrank audit visibility`); each restriction is a statement of reasons "
        "(`feedrank audit statements`).",
        "",
        "| component | does | effect | policy |",
        "|---|---|---|---|",
    ]
    for use in uses:
        what = (
            use.component.describe() if isinstance(use.component, Component) else _factor_text(use)
        )
        policy = use.policy.describe() if use.policy is not None else "—"
        cells = [f"`{use.path}`", what, _EFFECTS[use.effect], policy]
        out.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return out


def _factor_text(use: PolicyUse) -> str:
    factor = use.component
    assert isinstance(factor, Factor)
    return f"{factor.name}: {factor.signal.describe()}"


def _choice_lines(p: Pipeline) -> list[str]:
    """The controls a viewer may set and the alternatives they may switch to."""
    from feedrank.spec.choice import resolve_alternative, viewer_reads

    out: list[str] = []
    if p.controls:
        out += [
            "You can change these settings of this feed (`--set NAME=VALUE`); "
            "what you chose is recorded with each feed served.",
            "",
            "| setting | what it changes | default | you can choose | part of the algorithm |",
            "|---|---|---|---|---|",
        ]
        for c in p.controls:
            default = ("on" if c.default else "off") if c.kind == "switch" else f"{c.default:g}"
            out.append(f"| {c.name} | {c.label} | {default} | {c.bounds_text()} | `{c.target}` |")
        out.append("")
    out.append("You can switch to another published algorithm (`--choose NAME`):")
    out.append("")
    for alt in p.menu:
        try:
            spec = resolve_alternative(alt)
        except FeedrankError as err:
            out.append(f"- **{alt.name}**: {alt.label} (not available here: {err.message})")
            continue
        reads = viewer_reads(spec)
        data = "uses no personal data" if not reads else "uses " + ", ".join(reads)
        out.append(
            f"- **{alt.name}**: {alt.label}. Spec `{spec.name}`, fingerprint "
            f"`{spec.fingerprint}`; {data}."
        )
    return out


def _effect_lines(card: Card) -> list[str]:
    """The measured section: how much of the targeted exposure each control removes."""
    if not card.control_effects:
        return []
    first = card.control_effects[0]
    out = [
        "",
        "### Do the controls work?",
        "",
        f"Measured on the simulator ({first.requests} requests by each person): the "
        "share of the exposure of the posts a control is about that turning it "
        f"removes over the next requests, with a {first.confidence:.0%} bootstrap interval "
        "over people (100% removes them all, 0% changes nothing).",
        "",
        "| control | turned | targeted exposure removed | interval | people |",
        "|---|---|---:|---|---:|",
    ]
    for e in card.control_effects:
        out.append(
            f"| {e.control} | {e.setting} | {e.share:.1%} | {e.low:.1%} to {e.high:.1%} "
            f"| {e.viewers} |"
        )
    return out


def _bar_chart(title: str, rows: Sequence[tuple[str, float]], fmt: str) -> str:
    width, bar_h, label_w = 560, 22, 170
    height = bar_h * len(rows) + 36
    top = max((abs(v) for _, v in rows), default=1.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{html.escape(title)}">',
        f'<text x="0" y="16" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(rows):
        y = 28 + i * bar_h
        length = (width - label_w - 70) * abs(value) / top
        parts.append(f'<text x="0" y="{y + 15}">{html.escape(label)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{bar_h - 6}" '
            f'fill="{"#2b6cb0" if value >= 0 else "#c53030"}"/>'
        )
        parts.append(
            f'<text x="{label_w + length + 6:.1f}" y="{y + 15}">{format(value, fmt)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def card_html(card: Card) -> str:
    """The card as one self-contained HTML page with inline SVG charts."""
    md = card_markdown(card)
    body: list[str] = []
    in_table = False
    in_list = False
    charted = False
    for line in md.splitlines():
        if line.startswith("|") and not charted:
            body.append(_charts(card))
            charted = True
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-:"):
                continue
            tag = "th" if not in_table else "td"
            if not in_table:
                body.append("<table>")
                in_table = True
            body.append("<tr>" + "".join(f"<{tag}>{_inline(c)}</{tag}>" for c in cells) + "</tr>")
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if line.startswith("- "):
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{_inline(line[2:])}</li>")
            continue
        if in_list:
            body.append("</ul>")
            in_list = False
        if line.startswith("### "):
            body.append(f"<h3>{_inline(line[4:])}</h3>")
        elif line.startswith("## "):
            body.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    if in_table:
        body.append("</table>")
    if in_list:
        body.append("</ul>")
    style = (
        "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;"
        "padding:0 1em;color:#1a202c;line-height:1.5}"
        "table{border-collapse:collapse;width:100%;margin:1em 0}"
        "th,td{border:1px solid #cbd5e0;padding:.35em .6em;text-align:left;vertical-align:top}"
        "th{background:#edf2f7}code{background:#edf2f7;padding:0 .25em;word-break:break-all}"
        "svg{display:block;margin:1em 0;font-size:13px}"
    )
    title = html.escape(f"{card.pipeline.name} — algorithm card")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{style}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _charts(card: Card) -> str:
    weights = [(t.name, t.weight) for t in card.pipeline.scorer.terms]
    out = _bar_chart("Weights (blue raises, red lowers)", weights, "g")
    if card.influence:
        shares = [(i.term, i.share * 100) for i in card.influence]
        out += _bar_chart("Measured share of the score (%)", shares, ".1f")
    return out


def _inline(text: str) -> str:
    escaped = html.escape(text)
    out: list[str] = []
    for i, part in enumerate(escaped.split("`")):
        out.append(f"<code>{part}</code>" if i % 2 else part)
    joined = "".join(out)
    pieces = joined.split("**")
    joined = "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(pieces))
    pieces = joined.split("*")
    return "".join(f"<em>{p}</em>" if i % 2 else p for i, p in enumerate(pieces))
