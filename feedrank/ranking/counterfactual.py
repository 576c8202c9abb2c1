"""Counterfactuals: the smallest change that would have changed an outcome.

- :func:`weight_to_swap`: for each term, the smallest change of its weight that
  ranks post ``b`` above post ``a``.
- :func:`input_to_top_k`: for each term, the smallest change of the post's
  signal input that brings it into the top ``k``, within the values the
  signal can take (its :meth:`~feedrank.stages.signals.base.Signal.domain`:
  a flag's other value, a count no lower than 0, ...).

Both start from the exact linear answer (scores are Σ w·x × Π f) and then check
it against the real pipeline — re-rankers included — widening and bisecting
until the outcome flips, so every answer reported is one the ranker confirms.
When no change of a term can flip the outcome (zero weight, zero factors, a
demotion the term cannot undo, a value outside the signal's domain), the answer
says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from feedrank.engine.result import RequestView
from feedrank.errors import RankingError
from feedrank.ranking.ablation import rerank_order
from feedrank.stages.signals.domain import Domain

__all__ = ["Change", "input_to_top_k", "weight_to_swap"]

_WIDEN = 64
_BISECT = 60


@dataclass(frozen=True)
class Change:
    """A change of one number (``term``'s weight or input) from ``before`` to
    ``after``; ``feasible`` is False (and ``after`` None) when none works."""

    term: str
    what: str
    before: float
    after: float | None
    feasible: bool
    note: str = ""

    @property
    def delta(self) -> float | None:
        return None if self.after is None else self.after - self.before


def _position_of(ranking: RequestView) -> Callable[[NDArray[np.float64], int], int]:
    """position(contributions, row) -> 0-based position after re-ranking."""

    def position(contributions: NDArray[np.float64], row: int) -> int:
        order = rerank_order(ranking, contributions)
        return int(np.flatnonzero(order == row)[0])

    return position


def _search(start: float, works: Callable[[float], bool], sign: float) -> float | None:
    """Smallest |δ| (in direction ``sign``) with works(δ), from a first guess."""
    hi = start if start * sign > 0 else sign * 1e-12
    for _ in range(_WIDEN):
        if works(hi):
            break
        hi *= 2.0
    else:
        return None
    lo = 0.0
    for _ in range(_BISECT):
        mid = (lo + hi) / 2.0
        if mid in (lo, hi):
            break
        if works(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _reachable(
    domain: Domain, x: float, guess: float, reaches: Callable[[float], bool]
) -> tuple[float | None, str]:
    """The input nearest ``x`` within ``domain`` for which ``reaches(value)``, from
    the linear first guess ``x + guess``; else None and why not."""
    if domain.values:  # a signal of a few values (a flag): each other value, nearest first
        others = sorted((v for v in domain.values if v != x), key=lambda v: abs(v - x))
        found = next((v for v in others if reaches(v)), None)
        tried = " or ".join(f"{v:g}" for v in others) or "no other value"
        return found, (
            f"not reachable through this input: it is {domain.describe()}, "
            f"and {tried} does not reach the top k"
        )
    delta = _search(guess, lambda d: reaches(x + d), float(np.sign(guess)) or 1.0)
    if delta is None:
        return None, "no value of this input reaches the top k"
    if not domain.contains(x + delta):
        return None, (
            f"not reachable through this input: the top k needs {x + delta:.6g}, "
            f"and it is {domain.describe()}"
        )
    return x + delta, ""


def weight_to_swap(ranking: RequestView, a: str, b: str) -> list[Change]:
    """Per term, the smallest weight change after which ``b`` ranks above ``a``
    (``a`` must currently rank above ``b``). Sorted by |change|, infeasible last."""
    ra, rb = ranking.row_of(a), ranking.row_of(b)
    if ra < 0 or rb < 0:
        raise RankingError("was removed; only ranked posts swap", post_id=a if ra < 0 else b)
    if ranking.position(a) > ranking.position(b):
        a, b, ra, rb = b, a, rb, ra
    position = _position_of(ranking)
    factors = ranking.factors.prod(axis=1)
    base_gap = float(ranking.scores[ra] - ranking.scores[rb])
    out: list[Change] = []
    for j, term in enumerate(ranking.pipeline.scorer.terms):
        xa, xb = float(ranking.inputs[ra, j]), float(ranking.inputs[rb, j])
        slope = xa * float(factors[ra]) - xb * float(factors[rb])
        if slope == 0.0:
            out.append(
                Change(
                    term.name,
                    "weight",
                    term.weight,
                    None,
                    False,
                    "the term moves both posts equally",
                )
            )
            continue
        guess = -base_gap / slope

        def works(delta: float, j: int = j, w: float = term.weight) -> bool:
            contributions = ranking.contributions.copy()
            contributions[:, j] = (w + delta) * ranking.inputs[:, j]
            return position(contributions, rb) < position(contributions, ra)

        found = _search(guess, works, float(np.sign(guess)) or 1.0)
        if found is None:
            out.append(
                Change(
                    term.name,
                    "weight",
                    term.weight,
                    None,
                    False,
                    "no weight of this term reorders the two posts",
                )
            )
        else:
            out.append(Change(term.name, "weight", term.weight, term.weight + found, True))
    return sorted(out, key=lambda c: (not c.feasible, abs(c.delta or 0.0)))


def input_to_top_k(ranking: RequestView, post_id: str, k: int) -> list[Change]:
    """Per term, the smallest change of ``post_id``'s signal input that brings it
    into the top ``k``. Sorted by change relative to the input's spread across the
    kept posts (scale-free), infeasible last. Empty list if it already is.

    Only inputs in the signal's domain count: a signal of a few values (a flag)
    is tried at each of its other values; for an interval, a needed value
    outside it is reported as not reachable through this input (``feasible``
    False, with that note). A signal that declares no domain may take any
    number."""
    if k < 1:
        raise RankingError(f"k is {k}", field="k", expected="an integer >= 1")
    removal = ranking.removal(post_id)
    if removal is not None:
        reason, stage = removal
        by = "a filter" if stage == "filter" else f"the re-ranker {stage}"
        return [
            Change(t.name, "input", float("nan"), None, False, f"removed by {by} ({reason})")
            for t in ranking.pipeline.scorer.terms
        ]
    row = ranking.row_of(post_id)
    if ranking.position(post_id) < k:
        return []
    position = _position_of(ranking)
    factor = float(ranking.factors[row].prod())
    others = ranking.order[ranking.order != row]
    target = float(ranking.scores[others[min(k, others.shape[0]) - 1]])
    spread = ranking.inputs.std(axis=0)
    out: list[tuple[float, Change]] = []
    for j, term in enumerate(ranking.pipeline.scorer.terms):
        x = float(ranking.inputs[row, j])
        if term.weight == 0.0 or factor == 0.0:
            out.append(
                (
                    np.inf,
                    Change(
                        term.name,
                        "input",
                        x,
                        None,
                        False,
                        "zero weight or a zero factor: the input has no effect",
                    ),
                )
            )
            continue
        base = float(ranking.contributions[row].sum())
        guess = (target / factor - base) / term.weight

        def reaches(value: float, j: int = j, w: float = term.weight) -> bool:
            contributions = ranking.contributions.copy()
            contributions[row, j] = w * value
            return position(contributions, row) < k

        after, missing = _reachable(term.signal.domain(), x, guess, reaches)
        if after is None:
            out.append((np.inf, Change(term.name, "input", x, None, False, missing)))
        else:
            scale = float(spread[j]) if spread[j] > 0 else 1.0
            out.append((abs(after - x) / scale, Change(term.name, "input", x, after, True)))
    return [c for _, c in sorted(out, key=lambda pair: pair[0])]
