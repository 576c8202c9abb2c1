"""Scorer: score = (Σ_t w_t · x_t) × Π_f f, keeping every part.

>>> from datetime import datetime, timezone
>>> from feedrank import Context, Post, PostBatch
>>> from feedrank.stages.signals import Interactions, InNetwork
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([
...     Post(id="p", author_id="a", created_at=t, counts={"like": 4, "reply": 1})])
>>> scorer = Scorer(
...     terms=[Term(name="likes", signal=Interactions(weights={"like": 1}), weight=0.5),
...            Term(name="replies", signal=Interactions(weights={"reply": 1}), weight=13.5)],
...     factors=[Factor(name="out_of_network", signal=InNetwork(false_value=0.75))])
>>> table = scorer.score(batch, Context.build(batch, now=t))
>>> table.contributions.tolist(), table.factors.tolist(), table.scores.tolist()
([[2.0, 13.5]], [[0.75]], [11.625])
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Annotated

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, StringConstraints, model_validator

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.errors import RankingError
from feedrank.models import SpecModel
from feedrank.stages.policy import Declares, Effect
from feedrank.stages.signals.base import Signal, SignalSpec

__all__ = [
    "Factor",
    "ScoreTable",
    "Scorer",
    "Term",
    "combine",
    "combine_sums",
    "round_like_python",
    "row_product",
    "row_sum",
]

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", max_length=64)]


class _Part(SpecModel):
    name: Name
    signal: SignalSpec


class Term(_Part):
    """An additive term: contribution = weight · signal. ``why``: the published
    rationale for its weight."""

    weight: float
    why: str = ""


class Factor(Declares, _Part):
    """A multiplicative factor: the signal's value (finite, >= 0) multiplies the
    score. ``why``: the published rationale; ``policy``: the rule behind it
    (:class:`~feedrank.stages.policy.Policy`). Its effect without a policy is
    its signal's (``Signal.effect``)."""

    why: str = ""

    @property
    def intrinsic_effect(self) -> Effect:
        """The signal's class effect (a ``has_label`` factor restricts visibility)."""
        return self.signal.effect


@dataclass(frozen=True, eq=False)
class ScoreTable:
    """Everything the scorer computed, aligned with the batch rows.

    ``inputs`` and ``contributions``: (n, T) float64 (signal value, weight × value);
    ``factors``: (n, F) float64; ``scores``: (n,) float64 =
    contributions.sum(axis=1) × factors.prod(axis=1).
    """

    term_names: tuple[str, ...]
    factor_names: tuple[str, ...]
    inputs: NDArray[np.float64]
    contributions: NDArray[np.float64]
    factors: NDArray[np.float64]
    scores: NDArray[np.float64]
    sums: NDArray[np.float64]
    """contributions.sum(axis=1), kept for the re-ranking stages."""


class Scorer(SpecModel):
    """Weighted additive terms, then multiplicative factors."""

    terms: Annotated[tuple[Term, ...], Field(min_length=1)]
    factors: tuple[Factor, ...] = ()
    round_digits: Annotated[int, Field(ge=0, le=15)] | None = None
    """Round every final score to this many decimals, exactly as Python's
    ``round(x, d)`` does (Reddit's hot rounds to 7). None keeps full precision."""

    @model_validator(mode="after")
    def _unique_names(self) -> Scorer:
        seen: set[str] = set()
        for part in (*self.terms, *self.factors):
            if part.name in seen:
                raise ValueError(
                    f"name {part.name!r} is used twice; term and factor names must be unique"
                )
            seen.add(part.name)
        return self

    @cached_property
    def term_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.terms)

    @cached_property
    def factor_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.factors)

    def score(self, batch: PostBatch, ctx: Context) -> ScoreTable:
        """Compute inputs, contributions, factors and scores for every post (one request)."""
        return self.score_many(batch, Requests.one(ctx))

    @cached_property
    def _weights(self) -> NDArray[np.float64]:
        return np.array([t.weight for t in self.terms], dtype=np.float64)

    def score_many(
        self,
        batch: PostBatch,
        requests: Requests,
        *,
        out: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    ) -> ScoreTable:
        """:meth:`score` for the rows of every request at once. ``out``: arrays of
        shape (n, T) to hold the inputs and the contributions (views of larger
        arrays when the engine ranks requests in chunks)."""
        n = len(batch)
        shape = (n, len(self.terms))
        inputs = np.empty(shape, dtype=np.float64, order="F") if out is None else out[0]
        for j, term in enumerate(self.terms):
            inputs[:, j] = _values(term, batch, requests)
        factors = np.empty((n, len(self.factors)), dtype=np.float64)
        for j, factor in enumerate(self.factors):
            factors[:, j] = _values(factor, batch, requests)
        if self.factors and not (factors >= 0).all():
            _raise_bad_factor(factors, batch, self)
        with np.errstate(over="ignore", invalid="ignore"):
            contributions = np.multiply(inputs, self._weights, out=None if out is None else out[1])
            sums = row_sum(contributions)
            scores = _combine(sums, factors, self.round_digits)
        # A non-finite input, contribution or factor always makes the score
        # non-finite: one check, and the culprit is looked for only on failure.
        if not np.isfinite(scores).all():
            if not np.isfinite(inputs).all():
                signals = [t.signal for t in self.terms]
                _raise_not_finite(inputs, batch, signals, "term", self.term_names)
            _raise_bad_factor(factors, batch, self)
            _check_finite(contributions, batch, self.term_names, "contribution of term")
            _check_finite(scores[:, None], batch, ("score",), "value of")
        return ScoreTable(
            self.term_names, self.factor_names, inputs, contributions, factors, scores, sums
        )


def combine(
    contributions: NDArray[np.float64],
    factors: NDArray[np.float64],
    round_digits: int | None = None,
) -> NDArray[np.float64]:
    """The one formula every score comes from: Σ contributions × Π factors, row-wise,
    then, if ``round_digits`` is set, rounded as Python's ``round(x, round_digits)``."""
    with np.errstate(over="ignore", invalid="ignore"):
        sums = row_sum(contributions)
    return combine_sums(sums, factors, round_digits)


def combine_sums(
    sums: NDArray[np.float64], factors: NDArray[np.float64], round_digits: int | None = None
) -> NDArray[np.float64]:
    """:func:`combine` from the row sums of the contributions, already computed
    (re-rankers add factor columns; the sums do not change)."""
    if not factors.shape[1] and round_digits is None:
        return sums
    with np.errstate(over="ignore", invalid="ignore"):
        return _combine(sums, factors, round_digits)


def _combine(
    sums: NDArray[np.float64], factors: NDArray[np.float64], round_digits: int | None
) -> NDArray[np.float64]:
    """:func:`combine_sums` where floating-point warnings are already silenced."""
    scores = sums * row_product(factors) if factors.shape[1] else sums
    return scores if round_digits is None else _round(scores, round_digits)


def row_sum(contributions: NDArray[np.float64]) -> NDArray[np.float64]:
    """Σ of each row, adding the terms left to right from 0.0, column after
    column: the same bits whatever the memory layout of the array or the rows
    around it (for fewer than 8 terms, what ``contributions.sum(axis=1)`` gives)."""
    n, width = contributions.shape
    out = np.zeros(n, dtype=np.float64)
    for j in range(width):
        out += contributions[:, j]
    return out


def row_product(factors: NDArray[np.float64]) -> NDArray[np.float64]:
    """``factors.prod(axis=1)``, column after column: the same left-to-right product
    of each row (bit for bit), without numpy's slow reduction over a short axis."""
    n, width = factors.shape
    if width == 0:
        return np.ones(n, dtype=np.float64)
    out: NDArray[np.float64] = factors[:, 0].copy()
    for j in range(1, width):
        out *= factors[:, j]
    return out


def round_like_python(values: NDArray[np.float64], digits: int) -> NDArray[np.float64]:
    """``round(x, digits)`` for every x, correctly rounded like Python's built-in.

    numpy's ``round`` scales by 10**digits first and can land on the other side of
    a half-way point; the few values near one are rounded again by Python.

    >>> round_like_python(np.array([2.675, 0.125, -1.5]), 2).tolist()
    [2.67, 0.12, -1.5]
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return _round(values, digits)


def _round(values: NDArray[np.float64], digits: int) -> NDArray[np.float64]:
    out = np.round(values, digits)
    scaled = values * 10.0**digits
    frac = np.abs(scaled - np.floor(scaled) - 0.5)
    near = np.flatnonzero(~np.isfinite(frac) | (frac < 1e-6))
    if near.shape[0]:
        out[near] = [round(float(v), digits) for v in values[near]]
    return out


def _values(part: Term | Factor, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
    values = part.signal.compute_many(batch, requests)
    if not isinstance(values, np.ndarray) or values.shape != (len(batch),):
        shape = getattr(values, "shape", type(values).__name__)
        what = "term" if isinstance(part, Term) else "factor"
        raise RankingError(
            f"signal {part.signal.type!r} of {what} {part.name!r} returned shape {shape}",
            expected=f"an ndarray of shape ({len(batch)},)",
        )
    return values


def _raise_not_finite(
    inputs: NDArray[np.float64],
    batch: PostBatch,
    signals: list[Signal],
    what: str,
    names: tuple[str, ...],
) -> None:
    row, col = (int(x) for x in np.argwhere(~np.isfinite(inputs))[0])
    raise RankingError(
        f"signal {signals[col].type!r} of {what} {names[col]!r} is {inputs[row, col]}",
        post_id=str(batch.ids[row]),
        expected="a finite number (is the post dated after now?)",
    )


def _raise_bad_factor(factors: NDArray[np.float64], batch: PostBatch, scorer: Scorer) -> None:
    names = scorer.factor_names
    if (factors >= 0).all() and np.isfinite(factors).all():
        return
    if not np.isfinite(factors).all():
        _raise_not_finite(factors, batch, [f.signal for f in scorer.factors], "factor", names)
    row, col = (int(x) for x in np.argwhere(factors < 0)[0])
    raise RankingError(
        f"factor {names[col]!r} is {factors[row, col]}",
        post_id=str(batch.ids[row]),
        field=f"scorer.factors.{names[col]}",
        expected="a multiplier >= 0",
    )


def _check_finite(
    values: NDArray[np.float64], batch: PostBatch, names: tuple[str, ...], what: str
) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(x) for x in np.argwhere(bad)[0])
        raise RankingError(
            f"{what} {names[col]!r} overflows to {values[row, col]}",
            post_id=str(batch.ids[row]),
            expected="a finite score; lower the weight or transform the signal",
        )
