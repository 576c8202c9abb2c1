"""What ``feedrank explain`` prints: one post's explanation and the optional
comparison, weight changes, ablation and input changes, as plain text or as
Markdown (headings and tables throughout, cells escaped).

>>> report = ExplainReport("p2", 3, comparison=None, compared_with=None)
>>> print(report.to_markdown("### `p2` — rank 3, score 1\\n"), end="")
### `p2` — rank 3, score 1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from feedrank.ranking.counterfactual import Change
from feedrank.ranking.explain import Comparison, markdown_cell

__all__ = ["ExplainReport"]


def _table(
    header: tuple[str, ...], align: tuple[str, ...], rows: Sequence[tuple[object, ...]]
) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines.extend("| " + " | ".join(markdown_cell(v) for v in row) + " |" for row in rows)
    return "\n".join(lines)


def _change_text(change: Change) -> str:
    if not change.feasible or change.after is None:
        return f"none ({change.note})"
    return f"{change.what} {change.before:.6g} -> {change.after:.6g}"


@dataclass(frozen=True)
class ExplainReport:
    """The parts of an explain answer beyond the post's own explanation."""

    post: str
    rank: int | None
    comparison: Comparison | None
    compared_with: str | None
    swaps: list[Change] = field(default_factory=list)
    without: dict[str, int] | None = None
    top_k: int | None = None
    to_top_k: list[Change] | None = None

    def to_text(self, explanation: str) -> str:
        """Plain text: the explanation, then each part as indented lines."""
        parts = [explanation]
        if self.comparison is not None:
            parts.append("\n" + self.comparison.to_text())
            parts.append(
                f"smallest weight change that reorders {self.post} and {self.compared_with}:"
            )
            parts.extend(f"  {c.term:<20} {_change_text(c)}" for c in self.swaps)
        if self.without is not None:
            parts.append("\nrank without each term:")
            parts.extend(
                f"  {term:<20} {rank:>5}  (now {self.rank})" for term, rank in self.without.items()
            )
        if self.to_top_k is not None:
            parts.append(f"\nsmallest change of one input that reaches the top {self.top_k}:")
            parts.extend(["  already there"] if not self.to_top_k else [])
            parts.extend(f"  {c.term:<20} {_change_text(c)}" for c in self.to_top_k)
        return "\n".join(parts)

    def to_markdown(self, explanation: str) -> str:
        """Markdown: the explanation's section, then a heading and a table per part."""
        parts = [explanation.rstrip("\n")]
        if self.comparison is not None:
            c = self.comparison
            parts.append(f"#### Compared with `{self.compared_with}`")
            parts.append(
                f"`{c.a}` scores {c.score_a:.6g}, `{c.b}` {c.score_b:.6g}: a gap of "
                f"{c.gap:+.6g}, which each part explains as follows."
            )
            gap = {**c.by_term, **{f"× {k}": v for k, v in c.by_factor.items()}}
            rows = [(name, f"{value:+.6g}") for name, value in _by_size(gap)]
            parts.append(_table(("part", "share of the gap"), ("---", "---:"), rows))
            pair = f"`{self.post}` and `{self.compared_with}`"
            parts.append(f"#### Smallest weight change that reorders {pair}")
            parts.append(self._changes(self.swaps))
        if self.without is not None:
            parts.append(f"#### Rank without each term (now {self.rank})")
            ranks = list(self.without.items())
            parts.append(_table(("term", "rank without it"), ("---", "---:"), ranks))
        if self.to_top_k is not None:
            parts.append(f"#### Smallest change of one input that reaches the top {self.top_k}")
            parts.append(self._changes(self.to_top_k) if self.to_top_k else "Already there.")
        return "\n\n".join(parts) + "\n"

    @staticmethod
    def _changes(changes: list[Change]) -> str:
        rows = [(c.term, _change_text(c).replace("->", "→")) for c in changes]
        return _table(("term", "change"), ("---", "---"), rows)


def _by_size(parts: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(parts.items(), key=lambda kv: -abs(kv[1]))
