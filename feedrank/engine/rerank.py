"""The re-ranking stage: sort the kept posts of every request, then run the
re-rankers in order, recording every move and every removal.

A re-ranker's step may multiply scores (a factor column), add demotion tiers
and remove posts. A removed post leaves the feed at that stage: later
re-rankers never see it, and the moves of that stage compare each remaining
post's position before and after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.batch.segments import segmented_order
from feedrank.batch.taken import take_rows
from feedrank.engine.algorithm import Algorithm, rerank_factor_names
from feedrank.engine.result import Moves
from feedrank.errors import RankingError
from feedrank.stages.rerank.base import CodedStep
from feedrank.stages.scoring import combine_sums

__all__ = ["RemovalKey", "Reranked", "offsets_of", "rerank"]

RemovalKey = tuple[int, str]
"""A re-ranker's removal reason: (index of the re-ranker, reason)."""


@dataclass(frozen=True, eq=False)
class Reranked:
    """What the re-ranking stages decided for the kept posts of some requests.

    ``factors`` (m, F + R): the scorer's factors then one column per
    score-multiplying re-ranker (named ``factor_names``, from stages
    ``factor_stages``); ``scores``, ``tier`` and ``order`` (m,) final;
    ``moves`` every position change, stage by stage.

    ``removed`` is None when no re-ranker removed a post; else (m,) intp, 0 for
    a post still in the feed and ``i`` for one removed with reason
    ``removed_table[i - 1]``. ``order`` then lists, request by request, the
    posts still in the feed and after them the removed ones (in the order they
    had when removed); a removed post keeps the score and tier it had then, and
    factor 1 for the re-rankers after it.
    """

    factors: NDArray[np.float64]
    factor_names: tuple[str, ...]
    factor_stages: tuple[int, ...]
    scores: NDArray[np.float64]
    tier: NDArray[np.int64]
    order: NDArray[np.intp]
    moves: Moves
    removed: NDArray[np.intp] | None = None
    removed_table: tuple[RemovalKey, ...] = ()


@dataclass(eq=False)
class _Live:
    """The posts still in the feed while re-ranking: all of them until a re-ranker
    removes some. ``rows`` maps them to the rows given to :func:`rerank` (None:
    the same rows); ``columns`` are the re-rankers' multipliers so far."""

    batch: PostBatch
    requests: Requests
    sums: NDArray[np.float64]
    factors: NDArray[np.float64]
    columns: list[NDArray[np.float64]]
    scores: NDArray[np.float64]
    tier: NDArray[np.int64]
    order: NDArray[np.intp]
    local: NDArray[np.intp]
    rows: NDArray[np.intp] | None = None

    def original(self, index: NDArray[np.intp]) -> NDArray[np.intp]:
        """The rows given to :func:`rerank` of live rows ``index``."""
        return index if self.rows is None else self.rows[index]

    def without(self, gone: NDArray[np.bool_], order: NDArray[np.intp]) -> _Live:
        """The live posts but ``gone``, in ``order`` (live rows, none of them gone)."""
        keep = np.flatnonzero(~gone).astype(np.intp)
        offsets = offsets_of(self.requests, keep)
        renumber = np.full(gone.shape[0], -1, dtype=np.intp)
        renumber[keep] = np.arange(keep.shape[0], dtype=np.intp)
        return _Live(
            take_rows(self.batch, keep),
            self.requests.take(keep, offsets),
            self.sums[keep],
            self.factors[keep],
            [column[keep] for column in self.columns],
            self.scores[keep],
            self.tier[keep],
            renumber[order],
            _local_positions(offsets, keep.shape[0]),
            self.original(keep),
        )


@dataclass(eq=False)
class _Removals:
    """Posts removed so far (rows given to :func:`rerank`), stage by stage."""

    codes: list[tuple[NDArray[np.intp], NDArray[np.intp]]] = field(default_factory=list)
    kept_as: list[tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.int64]]] = field(
        default_factory=list
    )
    orders: list[NDArray[np.intp]] = field(default_factory=list)


def rerank(
    algorithm: Algorithm,
    batch: PostBatch,
    requests: Requests,
    sums: NDArray[np.float64],
    factors: NDArray[np.float64],
    move_codes: dict[str, int] | None = None,
    scores: NDArray[np.float64] | None = None,
    removal_codes: dict[RemovalKey, int] | None = None,
) -> Reranked:
    """Sort the kept posts of every request and run the re-rankers on them.

    ``batch`` and ``requests`` hold only the kept rows; ``sums`` (m,) are the
    row sums of the scorer's contributions and ``factors`` (m, F) its factors
    (ablations and counterfactuals pass changed ones). ``move_codes`` maps
    move reasons to codes and ``removal_codes`` removal reasons to codes (from
    1), each shared across calls (a new table when None); ``scores``, if given,
    are the scores those parts combine to (the scorer's).
    """
    table = {} if move_codes is None else move_codes
    removal = {} if removal_codes is None else removal_codes
    offsets = requests.offsets
    m = len(batch)
    digits = algorithm.scorer.round_digits
    if scores is None:
        scores = combine_sums(sums, factors, digits)
    tier = np.zeros(m, dtype=np.int64)
    order = segmented_order(offsets, tier, scores, batch.created_at, batch._ids_at)
    rerankers = algorithm.rerankers
    if not rerankers:
        return Reranked(factors, (), (), scores, tier, order, Moves.empty())
    factor_names = rerank_factor_names(rerankers)
    live = _Live(
        batch, requests, sums, factors, [], scores, tier, order, _local_positions(offsets, m)
    )
    names: list[str] = []
    stages: list[int] = []
    columns: list[tuple[NDArray[np.float64], NDArray[np.intp] | None]] = []
    moved: list[tuple[NDArray[np.intp], ...]] = []
    removals = _Removals()
    for i, reranker in enumerate(rerankers):
        step = reranker.adjust_many(live.batch, live.requests, live.order, live.scores)
        old = live.order
        new_order = _apply(live, step, reranker.type, digits)
        if step.multiplier is not None:
            columns.append((live.columns[-1], live.rows))
            names.append(factor_names[i])
            stages.append(i)
        gone = _removed(step, live.batch, reranker.type)
        if gone is None:
            if new_order is not old:
                moved.append(
                    _moves(old, new_order, live, live.local, i, step, reranker.type, table)
                )
            live.order = new_order
            continue
        rows = np.flatnonzero(gone).astype(np.intp)
        remap = np.array(
            [0, *(removal.setdefault((i, name), len(removal) + 1) for name in step.table)],
            dtype=np.intp,
        )
        removals.codes.append((live.original(rows), remap[step.codes[rows]]))
        removals.kept_as.append((live.original(rows), live.scores[rows], live.tier[rows]))
        removals.orders.append(live.original(new_order[gone[new_order]]))
        stay = new_order[~gone[new_order]]
        after = live.without(gone, stay)
        moved.append(_moves(old, stay, live, after.local, i, step, reranker.type, table))
        live = after
    moves = _stack_moves(moved, table)
    if not removals.codes:
        all_factors = np.column_stack([factors, *live.columns]) if live.columns else factors
        return Reranked(
            all_factors, tuple(names), tuple(stages), live.scores, live.tier, live.order, moves
        )
    return _with_removals(
        live, removals, factors, columns, requests, (tuple(names), tuple(stages)), moves, removal
    )


def _apply(live: _Live, step: CodedStep, stage: str, digits: int | None) -> NDArray[np.intp]:
    """Apply ``step``'s multiplier and tiers to ``live``; the new order of its rows
    (``live.order`` itself when nothing moved)."""
    batch, offsets, order, tier = live.batch, live.requests.offsets, live.order, live.tier
    if step.placed and step.tier is not None:
        # The re-ranker placed every post: its positions replace the tiers.
        live.tier = np.asarray(step.tier, dtype=np.int64)
        if step.multiplier is not None:
            _check_multiplier(step.multiplier, batch, stage)
            live.columns.append(np.asarray(step.multiplier, dtype=np.float64))
            live.scores = combine_sums(
                live.sums, np.column_stack([live.factors, *live.columns]), digits
            )
        return _stable_by_tier(order, live.tier, offsets)
    tiered = step.tier is not None and bool(step.tier.any())
    if step.multiplier is not None:
        _check_multiplier(step.multiplier, batch, stage)
        live.columns.append(np.asarray(step.multiplier, dtype=np.float64))
        live.scores = combine_sums(
            live.sums, np.column_stack([live.factors, *live.columns]), digits
        )
    if tiered:
        assert step.tier is not None
        live.tier = tier + step.tier
        if step.multiplier is None and not tier.any():
            # Scores are unchanged and every post was in tier 0: within each new
            # tier the current order is already the total order.
            return _stable_by_tier(order, live.tier, offsets)
        return segmented_order(offsets, live.tier, live.scores, batch.created_at, batch._ids_at)
    if step.multiplier is not None:
        return segmented_order(offsets, live.tier, live.scores, batch.created_at, batch._ids_at)
    return order


def _removed(step: CodedStep, batch: PostBatch, stage: str) -> NDArray[np.bool_] | None:
    """The rows ``step`` removes, or None when it removes none; each needs a reason."""
    gone = step.removed
    if gone is None:
        return None
    gone = np.asarray(gone, dtype=np.bool_)
    if gone.shape != (len(batch),):
        raise RankingError(
            f"re-ranker {stage!r} returned a removed mask of shape {gone.shape}",
            expected=f"shape ({len(batch)},)",
        )
    if not gone.any():
        return None
    silent = gone & (step.codes == 0)
    if silent.any():
        raise RankingError(
            f"re-ranker {stage!r} removed a post without a reason",
            post_id=str(batch.ids[int(np.argmax(silent))]),
            expected="a reason for every post it removes",
        )
    return gone


def _with_removals(
    live: _Live,
    removals: _Removals,
    factors: NDArray[np.float64],
    columns: list[tuple[NDArray[np.float64], NDArray[np.intp] | None]],
    requests: Requests,
    layout: tuple[tuple[str, ...], tuple[int, ...]],
    moves: Moves,
    removal: dict[RemovalKey, int],
) -> Reranked:
    """The :class:`Reranked` of every row given to :func:`rerank`, removed ones too."""
    m = factors.shape[0]
    assert live.rows is not None  # some rows were removed
    codes = np.zeros(m, dtype=np.intp)
    scores = np.empty(m, dtype=np.float64)
    tier = np.empty(m, dtype=np.int64)
    for rows, found in removals.codes:
        codes[rows] = found
    for rows, their_scores, their_tier in removals.kept_as:
        scores[rows], tier[rows] = their_scores, their_tier
    scores[live.rows], tier[live.rows] = live.scores, live.tier
    full = []
    for column, covered in columns:
        if covered is None:
            full.append(column)
        else:
            spread = np.ones(m, dtype=np.float64)
            spread[covered] = column
            full.append(spread)
    order = np.concatenate([live.rows[live.order], *removals.orders])
    if len(requests) > 1:  # request by request: the feed, then its removed posts
        order = order[np.argsort(requests.segment_of_rows[order], kind="stable")]
    all_factors = np.column_stack([factors, *full]) if full else factors
    return Reranked(all_factors, *layout, scores, tier, order, moves, codes, tuple(removal))


def offsets_of(requests: Requests, rows: NDArray[np.intp]) -> NDArray[np.intp]:
    """ndarray (S + 1,), intp: where each request starts among ``rows`` (sorted
    rows of ``requests``)."""
    segments = len(requests)
    out = np.zeros(segments + 1, dtype=np.intp)
    if segments == 1:
        out[1] = rows.shape[0]
    else:
        per = np.bincount(requests.segment_of_rows[rows], minlength=segments)
        np.cumsum(per, out=out[1:])
    return out


def _local_positions(offsets: NDArray[np.intp], m: int) -> NDArray[np.intp]:
    """ndarray (m,), intp: 0, 1, 2, ... restarting at every request."""
    if offsets.shape[0] == 2:
        return np.arange(m, dtype=np.intp)
    return np.arange(m, dtype=np.intp) - np.repeat(offsets[:-1], np.diff(offsets))


def _stable_by_tier(
    order: NDArray[np.intp], tier: NDArray[np.int64], offsets: NDArray[np.intp]
) -> NDArray[np.intp]:
    """``order`` stably re-sorted by tier within each request."""
    t = tier[order]
    if offsets.shape[0] > 2:
        top = int(t.max()) + 1 if t.shape[0] else 1
        seg = np.repeat(np.arange(offsets.shape[0] - 1, dtype=np.int64), np.diff(offsets))
        t = seg * top + t
    by = np.argsort(t, kind="stable")
    out: NDArray[np.intp] = order[by]
    return out


def _moves(
    old: NDArray[np.intp],
    new: NDArray[np.intp],
    live: _Live,
    new_local: NDArray[np.intp],
    stage: int,
    step: CodedStep,
    stage_type: str,
    table: dict[str, int],
) -> tuple[NDArray[np.intp], ...]:
    """The posts of ``live`` whose position differs between ``old`` and ``new`` (the
    order after the stage, without the posts it removed; ``new_local`` their
    positions), with their reason: the step's own, or ``shifted_by:<type>`` for
    a post the stage did not act on that moved because others did."""
    m = old.shape[0]
    before = np.empty(m, dtype=np.intp)
    before[old] = live.local
    after = np.full(m, -1, dtype=np.intp)
    after[new] = new_local
    rows = np.flatnonzero((after >= 0) & (before != after)).astype(np.intp)
    codes, names = step.codes, step.table
    why = codes[rows] if codes.shape[0] else np.zeros(rows.shape[0], dtype=np.intp)
    reasons = [*names, f"shifted_by:{stage_type}"]
    remap = np.array([table.setdefault(x, len(table)) for x in reasons], dtype=np.intp)
    code = remap[np.where(why == 0, len(names), why - 1)]
    stages = np.full(rows.shape[0], stage, dtype=np.intp)
    return live.original(rows), stages, before[rows], after[rows], code


def _stack_moves(parts: list[tuple[NDArray[np.intp], ...]], table: dict[str, int]) -> Moves:
    if not parts:
        z = np.zeros(0, dtype=np.intp)
        return Moves(z, z, z, z, z, tuple(table))
    if len(parts) == 1:
        rows, stages, before, after, codes = parts[0]
    else:
        rows, stages, before, after, codes = (
            np.concatenate([p[j] for p in parts]) for j in range(5)
        )
    return Moves(rows, stages, before, after, codes, tuple(table))


def _check_multiplier(values: NDArray[np.float64], batch: PostBatch, stage: str) -> None:
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        row = int(np.argmax(bad))
        raise RankingError(
            f"re-ranker {stage!r} returned multiplier {values[row]}",
            post_id=str(batch.ids[row]),
            expected="a finite multiplier > 0",
        )
