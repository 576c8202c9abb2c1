"""Explanations: a view of what the ranker computed for one post, and exact
comparisons between two posts.

An explanation reports the post's rank and score, each term's signal input,
weight, contribution and share of the total absolute contribution, each factor,
the filter or re-ranker that removed it, or every move a re-ranker made. Recomputing the
score from these parts reproduces it: Σ contributions × Π factors.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from feedrank.engine.result import Move, RequestView
from feedrank.errors import RankingError
from feedrank.stages.signals.base import Signal

__all__ = [
    "Comparison",
    "Explanation",
    "FactorPart",
    "TermPart",
    "compare_posts",
    "explain_post",
    "markdown_cell",
]


@dataclass(frozen=True)
class TermPart:
    """One additive term of a post's score."""

    name: str
    signal: str
    description: str
    reads: tuple[str, ...]
    input: float
    weight: float
    contribution: float
    share: float
    why: str
    note: str = ""
    """How the signal obtained this post's input when not by its plain formula
    (a fallback for missing data, ...), "" otherwise."""


@dataclass(frozen=True)
class FactorPart:
    """One multiplicative factor of a post's score (scorer factor or re-ranker)."""

    name: str
    description: str
    value: float
    why: str
    note: str = ""
    """As :attr:`TermPart.note`, for a scorer factor's signal."""


@dataclass(frozen=True)
class Explanation:
    """Why one post is where it is. ``rank`` is 1-based, None if removed;
    ``removed_by`` is then the reason and ``removed_at`` the stage that removed
    it: ``"filter"`` or the type of a re-ranker."""

    post_id: str
    spec_fingerprint: str
    rank: int | None
    score: float | None
    removed_by: str | None
    terms: tuple[TermPart, ...] = ()
    factors: tuple[FactorPart, ...] = ()
    moves: tuple[Move, ...] = field(default_factory=tuple)
    removed_at: str | None = None

    def _removed_where(self, article: str = "") -> str:
        if self.removed_at in (None, "filter"):
            return f"{article}filter"
        return f"{article and 'the '}re-ranker {self.removed_at}"

    @property
    def base_score(self) -> float:
        """Σ of term contributions, before factors."""
        return float(sum(t.contribution for t in self.terms))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return asdict(self)

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_text(self) -> str:
        """A few lines of plain text."""
        if self.removed_by is not None:
            return f"{self.post_id}: removed by {self._removed_where()} ({self.removed_by})"
        lines = [f"#{self.rank} {self.post_id}  score {self.score:.6g}"]
        zero = [t.name for t in self.terms if t.contribution == 0]
        for t in sorted(self.terms, key=lambda t: -abs(t.contribution)):
            if t.contribution == 0:
                continue
            lines.append(
                f"  + {t.name:<18} {t.contribution:>+12.6g}  ({t.share:5.1%})  "
                f"= {t.weight:g} × {t.input:.6g}  [{t.description}]{_noted(t.note)}"
            )
        if zero:
            lines.append(f"  0 from {', '.join(zero)}")
        for f in self.factors:
            if f.value != 1.0:
                lines.append(
                    f"  × {f.name:<18} {f.value:>12.6g}  [{f.description}]{_noted(f.note)}"
                )
        for m in self.moves:
            lines.append(f"  ↕ {m.stage}: position {m.before + 1} → {m.after + 1} ({m.reason})")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """A Markdown section with a table of terms and factors."""
        if self.removed_by is not None:
            where = self._removed_where("a ")
            return f"### `{self.post_id}`\n\nRemoved by {where}: `{self.removed_by}`.\n"
        out = [
            f"### `{self.post_id}` — rank {self.rank}, score {self.score:.6g}",
            "",
            "| part | input | weight | contribution | share | what |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for t in self.terms:
            out.append(
                f"| {markdown_cell(t.name)} | {t.input:.6g} | {t.weight:g} | {t.contribution:+.6g} "
                f"| {t.share:.1%} | {markdown_cell(t.description + _noted(t.note))} |"
            )
        for f in self.factors:
            what = markdown_cell(f.description + _noted(f.note))
            out.append(f"| × {markdown_cell(f.name)} | {f.value:.6g} | | | | {what} |")
        for m in self.moves:
            out.append(
                f"\nMoved by `{m.stage}` from {m.before + 1} to {m.after + 1}: `{m.reason}`."
            )
        return "\n".join(out) + "\n"


def markdown_cell(text: object) -> str:
    """``text`` as the text of one Markdown table cell: ``|`` escaped, newlines as spaces.

    >>> markdown_cell("a|b\\nc")
    'a\\\\|b c'
    """
    text = str(text)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _noted(note: str) -> str:
    return f" — {note}" if note else ""


@dataclass(frozen=True)
class Comparison:
    """score(a) − score(b) = Σ ``by_term`` + Σ ``by_factor``, exactly (to rounding).

    Term t counts (c_a,t − c_b,t) · F_b (its contribution gap at b's factors);
    the factor gap S_a · (F_a − F_b) is split by telescoping over the factors
    in order: factor j counts S_a · Π_{i<j} f_a,i · (f_a,j − f_b,j) · Π_{i>j} f_b,i.
    """

    a: str
    b: str
    score_a: float
    score_b: float
    by_term: dict[str, float]
    by_factor: dict[str, float]

    @property
    def gap(self) -> float:
        return self.score_a - self.score_b

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "gap": self.gap}

    def to_text(self) -> str:
        lines = [
            f"{self.a} ({self.score_a:.6g}) vs {self.b} ({self.score_b:.6g}): gap {self.gap:+.6g}"
        ]
        parts = {**self.by_term, **{f"× {k}": v for k, v in self.by_factor.items()}}
        for name, value in sorted(parts.items(), key=lambda kv: -abs(kv[1])):
            lines.append(f"  {name:<20} {value:+.6g}")
        return "\n".join(lines)


def explain_post(ranking: RequestView, post_id: str) -> Explanation:
    """Build the :class:`Explanation` of ``post_id`` in ``ranking``."""
    fp = ranking.fingerprint
    removal = ranking.removal(post_id)
    if removal is not None:
        reason, where = removal
        return Explanation(post_id, fp, None, None, reason, removed_at=where)
    row = ranking.row_of(post_id)
    pipe = ranking.pipeline
    scorer = pipe.scorer
    contrib = ranking.contributions[row]
    total = float(np.abs(contrib).sum())
    terms = tuple(
        TermPart(
            name=term.name,
            signal=term.signal.type,
            description=term.signal.describe(),
            reads=type(term.signal).reads,
            input=float(ranking.inputs[row, j]),
            weight=term.weight,
            contribution=float(contrib[j]),
            share=float(abs(contrib[j]) / total) if total > 0 else 0.0,
            why=term.why,
            note=_note(term.signal, ranking, row),
        )
        for j, term in enumerate(scorer.terms)
    )
    described: list[tuple[str, str, str]] = []
    for j, stage in enumerate(ranking.factor_stages):
        if stage < 0:
            factor = scorer.factors[j]
            note = _note(factor.signal, ranking, row)
            described.append((factor.signal.describe(), factor.why, note))
        else:
            described.append((pipe.rerankers[stage].describe(), "", ""))
    factors = tuple(
        FactorPart(name, described[j][0], float(ranking.factors[row, j]), *described[j][1:])
        for j, name in enumerate(ranking.factor_names)
    )
    return Explanation(
        post_id=post_id,
        spec_fingerprint=fp,
        rank=ranking.position(post_id) + 1,
        score=float(ranking.scores[row]),
        removed_by=None,
        terms=terms,
        factors=factors,
        moves=tuple(ranking.moves_of(post_id)),
    )


def _note(signal: Signal, ranking: RequestView, row: int) -> str:
    """The signal's note on kept row ``row`` ("" when it has none)."""
    notes = signal.notes(ranking.kept_batch, ranking.context)
    return "" if notes is None else str(notes[row])


def compare_posts(ranking: RequestView, a: str, b: str) -> Comparison:
    """Decompose score(a) − score(b); both posts must have been ranked."""
    rows = []
    for pid in (a, b):
        row = ranking.row_of(pid)
        if row < 0:
            raise RankingError("was removed; only ranked posts compare", post_id=pid)
        rows.append(row)
    ra, rb = rows
    ca, cb = ranking.contributions[ra], ranking.contributions[rb]
    fa, fb = ranking.factors[ra], ranking.factors[rb]
    prod_b = float(np.prod(fb))
    by_term = {name: float((ca[j] - cb[j]) * prod_b) for j, name in enumerate(ranking.term_names)}
    s_a = float(ca.sum())
    by_factor: dict[str, float] = {}
    for j, name in enumerate(ranking.factor_names):
        left = float(np.prod(fa[:j]))
        right = float(np.prod(fb[j + 1 :]))
        by_factor[name] = s_a * left * float(fa[j] - fb[j]) * right
    return Comparison(
        a, b, float(ranking.scores[ra]), float(ranking.scores[rb]), by_term, by_factor
    )
