"""The ranking engine: filters → scorer → re-rankers → page, over request segments.

The candidates of S requests are one :class:`~feedrank.PostBatch`, request after
request, with one :class:`~feedrank.batch.requests.Requests` giving each row its
request's context. Every stage runs once over all rows through the components'
batched protocol (``codes_many``, ``compute_many``, ``adjust_many``); sorts and
group ranks are segmented. One request is the case S = 1: there is no other
code path. Requests are processed in chunks of whole requests of about
``CHUNK_ROWS`` kept rows, so the arrays of a chunk stay in cache.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.batch.segments import segmented_order, top_rows
from feedrank.batch.taken import take_rows
from feedrank.engine.algorithm import Algorithm, rerank_factor_names
from feedrank.engine.cursor import Cursor
from feedrank.engine.result import Moves, Ranked
from feedrank.errors import RankingError
from feedrank.stages.filters.base import Codes
from feedrank.stages.scoring import combine_sums

__all__ = ["CHUNK_ROWS", "Reranked", "merge_codes", "rerank", "run"]

CHUNK_ROWS = 1 << 16
"""About this many kept rows are scored and re-ranked at a time (whole requests)."""


def run(
    algorithm: Algorithm,
    batch: PostBatch,
    requests: Requests,
    *,
    limit: int | None = None,
    cursors: Sequence[Cursor | str | None] | None = None,
    chunk_rows: int | None = None,
) -> Ranked:
    """Rank the candidates of every request; see :class:`~feedrank.engine.result.Ranked`.

    ``requests`` must cover the rows of ``batch``; ``limit`` overrides the
    algorithm's page size; ``cursors`` (one per request, or None) continue each
    request after the last post of a previous page.
    """
    n = len(batch)
    if requests.rows != n:
        raise RankingError(
            f"the requests cover {requests.rows} rows but the batch has {n}",
            field="contexts",
            expected="one context per request, each built for that request's rows",
        )
    page_size = algorithm.limit if limit is None else limit
    if isinstance(page_size, bool) or not isinstance(page_size, (int, np.integer)):
        raise RankingError(f"limit is {page_size!r}", field="limit", expected="an integer >= 1")
    if page_size < 1:
        raise RankingError(f"limit is {page_size}", field="limit", expected="an integer >= 1")
    parsed = _cursors(algorithm, requests, cursors)
    segments = len(requests)

    # Filters: a post keeps the reason of the first filter that removed it.
    removed = merge_codes([f.codes_many(batch, requests) for f in algorithm.filters], n)
    if removed.table:
        kept = np.flatnonzero(removed.codes == 0).astype(np.intp)
    else:
        kept = np.arange(n, dtype=np.intp)
    if kept.shape[0] != n:
        kept_offsets = np.zeros(segments + 1, dtype=np.intp)
        if segments == 1:
            kept_offsets[1] = kept.shape[0]
        else:
            per = np.bincount(requests.segment_of_rows[kept], minlength=segments)
            np.cumsum(per, out=kept_offsets[1:])
        kbatch = take_rows(batch, kept)
        krequests = requests.take(kept, kept_offsets)
    else:
        kept_offsets, kbatch, krequests = requests.offsets, batch, requests

    if segments == 1 and not algorithm.rerankers:
        return _one_page(
            algorithm, batch, requests, removed, kept, kbatch, krequests, parsed, page_size
        )
    chunks = [(0, 1)] if segments == 1 else list(_chunks(kept_offsets, chunk_rows or CHUNK_ROWS))
    if len(chunks) <= 1:
        scored = _score_and_rerank(algorithm, kbatch, krequests, {})
    else:
        scored = _chunked(algorithm, kbatch, krequests, chunks)
    scorer = algorithm.scorer
    staged = scored.staged
    lengths = np.diff(kept_offsets)
    start = np.zeros(segments, dtype=np.intp)
    for i, cursor in parsed:
        a, b = int(kept_offsets[i]), int(kept_offsets[i + 1])
        rows = staged.order[a:b]
        after = cursor.after(
            staged.tier[rows], staged.scores[rows], kbatch.created_at[rows], kbatch._ids_at(rows)
        )
        start[i] = int(np.argmax(after)) if after.any() else b - a
    stop = np.minimum(start + page_size, lengths).astype(np.intp)
    return Ranked(
        algorithm=algorithm,
        candidates=batch,
        requests=requests,
        removed_codes=removed.codes,
        removed_table=removed.table,
        kept=kept,
        kept_offsets=kept_offsets,
        kept_batch=kbatch,
        kept_requests=krequests,
        term_names=scorer.term_names,
        factor_names=scorer.factor_names + staged.factor_names,
        factor_stages=(-1,) * len(scorer.factors) + staged.factor_stages,
        inputs=scored.inputs,
        contributions=scored.contributions,
        factors=staged.factors,
        scores=staged.scores,
        tier=staged.tier,
        full_order=staged.order,
        pages=None,
        moves=staged.moves,
        page_start=start,
        page_stop=stop,
    )


def _one_page(
    algorithm: Algorithm,
    batch: PostBatch,
    requests: Requests,
    removed: Codes,
    kept: NDArray[np.intp],
    kbatch: PostBatch,
    krequests: Requests,
    parsed: list[tuple[int, Cursor]],
    page_size: int,
) -> Ranked:
    """One request without re-rankers: the scores are final, so the page is the
    first ``page_size`` posts by partial selection (after the cursor, if any);
    the whole order is computed only if asked for."""
    scorer = algorithm.scorer
    table = scorer.score_many(kbatch, krequests)
    m = len(kbatch)
    tier = np.zeros(m, dtype=np.int64)
    created = kbatch.created_at
    rows: NDArray[np.intp] | None = None
    start = 0
    if parsed:
        after = parsed[0][1].after(tier, table.scores, created, kbatch.ids)
        rows = np.flatnonzero(after).astype(np.intp)
        start = m - rows.shape[0]
    stop = min(start + page_size, m)
    page = top_rows(table.scores, created, kbatch._ids_at, stop - start, rows)
    return Ranked(
        algorithm=algorithm,
        candidates=batch,
        requests=requests,
        removed_codes=removed.codes,
        removed_table=removed.table,
        kept=kept,
        kept_offsets=np.array([0, m], dtype=np.intp),
        kept_batch=kbatch,
        kept_requests=krequests,
        term_names=scorer.term_names,
        factor_names=scorer.factor_names,
        factor_stages=(-1,) * len(scorer.factors),
        inputs=table.inputs,
        contributions=table.contributions,
        factors=table.factors,
        scores=table.scores,
        tier=tier,
        full_order=None,
        pages=page,
        moves=Moves.empty(),
        page_start=np.array([start], dtype=np.intp),
        page_stop=np.array([stop], dtype=np.intp),
    )


def merge_codes(parts: Sequence[Codes], n: int) -> Codes:
    """Filters' codes merged in order: a post keeps the reason of the first filter
    that removed it; the tables are concatenated."""
    codes: NDArray[np.intp] | None = None
    table: list[str] = []
    for found, names in parts:
        if found.shape != (n,):
            raise RankingError(f"filter codes have shape {found.shape}", expected=f"shape ({n},)")
        if not names:
            continue
        if codes is None:
            codes = found.astype(np.intp, copy=True)
        else:
            take = (codes == 0) & (found > 0)
            codes[take] = found[take] + len(table)
        table.extend(names)
    if codes is None:
        codes = np.zeros(n, dtype=np.intp)
    return Codes(codes, tuple(table))


@dataclass(frozen=True, eq=False)
class Reranked:
    """What the re-ranking stages decided for the kept posts of some requests.

    ``factors`` (m, F + R): the scorer's factors then one column per
    score-multiplying re-ranker (named ``factor_names``, from stages
    ``factor_stages``); ``scores``, ``tier`` and ``order`` (m,) final;
    ``moves`` every position change, stage by stage.
    """

    factors: NDArray[np.float64]
    factor_names: tuple[str, ...]
    factor_stages: tuple[int, ...]
    scores: NDArray[np.float64]
    tier: NDArray[np.int64]
    order: NDArray[np.intp]
    moves: Moves


def rerank(
    algorithm: Algorithm,
    batch: PostBatch,
    requests: Requests,
    sums: NDArray[np.float64],
    factors: NDArray[np.float64],
    move_codes: dict[str, int] | None = None,
    scores: NDArray[np.float64] | None = None,
) -> Reranked:
    """Sort the kept posts of every request and run the re-rankers on them.

    ``batch`` and ``requests`` hold only the kept rows; ``sums`` (m,) are the
    row sums of the scorer's contributions and ``factors`` (m, F) its factors
    (ablations and counterfactuals pass changed ones). ``move_codes`` maps
    move reasons to codes, shared across calls (a new table when None);
    ``scores``, if given, are the scores those parts combine to (the scorer's).
    """
    table = {} if move_codes is None else move_codes
    offsets = requests.offsets
    m = len(batch)
    digits = algorithm.scorer.round_digits
    if scores is None:
        scores = combine_sums(sums, factors, digits)
    tier = np.zeros(m, dtype=np.int64)
    created, ids_at = batch.created_at, batch._ids_at
    order = segmented_order(offsets, tier, scores, created, ids_at)
    rerankers = algorithm.rerankers
    if not rerankers:
        return Reranked(factors, (), (), scores, tier, order, Moves.empty())
    factor_names = rerank_factor_names(rerankers)
    local = _local_positions(offsets, m)
    names: list[str] = []
    stages: list[int] = []
    columns: list[NDArray[np.float64]] = []
    moved: list[tuple[NDArray[np.intp], ...]] = []
    for i, reranker in enumerate(rerankers):
        step = reranker.adjust_many(batch, requests, order, scores)
        tiered = step.tier is not None and bool(step.tier.any())
        if step.multiplier is not None:
            _check_multiplier(step.multiplier, batch, reranker.type)
            columns.append(np.asarray(step.multiplier, dtype=np.float64))
            names.append(factor_names[i])
            stages.append(i)
            scores = combine_sums(sums, np.column_stack([factors, *columns]), digits)
        if tiered:
            assert step.tier is not None
            new_tier = tier + step.tier
            if step.multiplier is None and not tier.any():
                # Scores are unchanged and every post was in tier 0: within each new
                # tier the current order is already the total order.
                new_order = _stable_by_tier(order, new_tier, offsets)
            else:
                new_order = segmented_order(offsets, new_tier, scores, created, ids_at)
            tier = new_tier
        elif step.multiplier is not None:
            new_order = segmented_order(offsets, tier, scores, created, ids_at)
        else:
            new_order = order
        if new_order is not order:
            moved.append(
                _moves(order, new_order, local, i, step.codes, step.table, reranker.type, table)
            )
        order = new_order
    if columns:
        factors = np.column_stack([factors, *columns])
    return Reranked(
        factors, tuple(names), tuple(stages), scores, tier, order, _stack_moves(moved, table)
    )


# ------------------------------------------------------------------ helpers
@dataclass(frozen=True, eq=False)
class _Scored:
    """The scorer's inputs and contributions (m, T), and what the re-rankers made of them."""

    inputs: NDArray[np.float64]
    contributions: NDArray[np.float64]
    staged: Reranked


def _score_and_rerank(
    algorithm: Algorithm,
    batch: PostBatch,
    requests: Requests,
    move_codes: dict[str, int],
    out: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> _Scored:
    table = algorithm.scorer.score_many(batch, requests, out=out)
    staged = rerank(algorithm, batch, requests, table.sums, table.factors, move_codes, table.scores)
    return _Scored(table.inputs, table.contributions, staged)


def _chunked(
    algorithm: Algorithm,
    kbatch: PostBatch,
    krequests: Requests,
    chunks: list[tuple[int, int]],
) -> _Scored:
    """:func:`_score_and_rerank` chunk by chunk, results written into full arrays."""
    offsets = krequests.offsets
    m = len(kbatch)
    terms = len(algorithm.scorer.terms)
    inputs = np.empty((m, terms), dtype=np.float64)
    contributions = np.empty((m, terms), dtype=np.float64)
    scores = np.empty(m, dtype=np.float64)
    tier = np.empty(m, dtype=np.int64)
    order = np.empty(m, dtype=np.intp)
    factors: NDArray[np.float64] | None = None
    layout: tuple[tuple[str, ...], tuple[int, ...]] | None = None
    move_codes: dict[str, int] = {}
    moves: list[Moves] = []
    for s0, s1 in chunks:
        ka, kb = int(offsets[s0]), int(offsets[s1])
        part = _score_and_rerank(
            algorithm,
            take_rows(kbatch, np.arange(ka, kb, dtype=np.intp)),
            krequests.segments(s0, s1),
            move_codes,
            (inputs[ka:kb], contributions[ka:kb]),
        )
        staged = part.staged
        if layout is None:
            layout = (staged.factor_names, staged.factor_stages)
            factors = np.empty((m, staged.factors.shape[1]), dtype=np.float64)
        elif layout != (staged.factor_names, staged.factor_stages):
            raise RankingError(
                "a re-ranker returned a multiplier for some requests and none for others",
                expected="a multiplier for every request or for none",
            )
        assert factors is not None
        factors[ka:kb] = staged.factors
        scores[ka:kb] = staged.scores
        tier[ka:kb] = staged.tier
        order[ka:kb] = staged.order + ka
        moves.append(staged.moves.select(np.arange(len(staged.moves), dtype=np.intp), -ka))
    assert factors is not None
    assert layout is not None
    # Chunk after chunk, each stage after stage: every request's moves stay in
    # stage order (all that Ranked.moves_of_request needs).
    all_moves = Moves(
        np.concatenate([mv.rows for mv in moves]),
        np.concatenate([mv.stages for mv in moves]),
        np.concatenate([mv.before for mv in moves]),
        np.concatenate([mv.after for mv in moves]),
        np.concatenate([mv.codes for mv in moves]),
        tuple(move_codes),
    )
    staged = Reranked(factors, layout[0], layout[1], scores, tier, order, all_moves)
    return _Scored(inputs, contributions, staged)


def _cursors(
    algorithm: Algorithm, requests: Requests, cursors: Sequence[Cursor | str | None] | None
) -> list[tuple[int, Cursor]]:
    if cursors is None:
        return []
    if len(cursors) != len(requests):
        raise RankingError(
            f"{len(cursors)} cursors for {len(requests)} requests",
            field="cursor",
            expected="one cursor (or None) per request",
        )
    out: list[tuple[int, Cursor]] = []
    for i, cursor in enumerate(cursors):
        if cursor is None:
            continue
        parsed = cursor if isinstance(cursor, Cursor) else Cursor.decode(cursor)
        parsed.check(algorithm.fingerprint, int(requests.now[i]))
        out.append((i, parsed))
    return out


def _chunks(offsets: NDArray[np.intp], rows: int) -> Iterator[tuple[int, int]]:
    """Runs of whole requests [s0, s1) holding about ``rows`` rows each."""
    segments = offsets.shape[0] - 1
    if segments == 0:
        return
    bounds = np.searchsorted(offsets, np.arange(rows, int(offsets[-1]), rows), side="right") - 1
    cuts = sorted({0, segments, *(int(b) for b in bounds if 0 < b < segments)})
    yield from itertools.pairwise(cuts)


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
    local: NDArray[np.intp],
    stage: int,
    codes: NDArray[np.intp],
    names: tuple[str, ...],
    stage_type: str,
    table: dict[str, int],
) -> tuple[NDArray[np.intp], ...]:
    """The posts whose position differs between ``old`` and ``new``, with their
    reason: the step's own, or ``shifted_by:<type>`` for a post the stage did not
    act on that moved because others did."""
    m = old.shape[0]
    before = np.empty(m, dtype=np.intp)
    before[old] = local
    after = np.empty(m, dtype=np.intp)
    after[new] = local
    rows = np.flatnonzero(before != after).astype(np.intp)
    why = codes[rows] if codes.shape[0] else np.zeros(rows.shape[0], dtype=np.intp)
    reasons = [*names, f"shifted_by:{stage_type}"]
    remap = np.array([table.setdefault(x, len(table)) for x in reasons], dtype=np.intp)
    code = remap[np.where(why == 0, len(names), why - 1)]
    return rows, np.full(rows.shape[0], stage, dtype=np.intp), before[rows], after[rows], code


def _stack_moves(parts: list[tuple[NDArray[np.intp], ...]], table: dict[str, int]) -> Moves:
    if not parts:
        return _empty_moves(table)
    if len(parts) == 1:
        rows, stages, before, after, codes = parts[0]
    else:
        rows, stages, before, after, codes = (
            np.concatenate([p[j] for p in parts]) for j in range(5)
        )
    return Moves(rows, stages, before, after, codes, tuple(table))


def _empty_moves(table: dict[str, int]) -> Moves:
    z = np.zeros(0, dtype=np.intp)
    return Moves(z, z, z, z, z, tuple(table))


def _check_multiplier(values: NDArray[np.float64], batch: PostBatch, stage: str) -> None:
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        row = int(np.argmax(bad))
        raise RankingError(
            f"re-ranker {stage!r} returned multiplier {values[row]}",
            post_id=str(batch.ids[row]),
            expected="a finite multiplier > 0",
        )
