"""The ranking engine: filters → scorer → re-rankers → page, over request segments.

Re-ranking itself is :mod:`feedrank.engine.rerank`; posts a re-ranker removes
leave the kept posts here, with its reason among the removals.

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
from feedrank.batch.segments import top_rows
from feedrank.batch.taken import take_rows
from feedrank.engine.algorithm import Algorithm
from feedrank.engine.cursor import Cursor
from feedrank.engine.rerank import RemovalKey, Reranked, offsets_of, rerank
from feedrank.engine.result import Moves, Ranked
from feedrank.errors import RankingError
from feedrank.stages.filters.base import Codes

__all__ = ["CHUNK_ROWS", "merge_codes", "run"]

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
        kept_offsets = offsets_of(requests, kept)
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
        scored = _score_and_rerank(algorithm, kbatch, krequests, {}, {})
    else:
        scored = _chunked(algorithm, kbatch, krequests, chunks)
    scorer = algorithm.scorer
    removed_stages = (-1,) * len(removed.table)
    if scored.staged.removed is not None:
        removed, removed_stages, kept, kept_offsets, kbatch, krequests, scored = _drop_removed(
            removed, kept, kbatch, krequests, scored
        )
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
        removed_stages=removed_stages,
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
        removed_stages=(-1,) * len(removed.table),
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
    removal_codes: dict[RemovalKey, int],
    out: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> _Scored:
    table = algorithm.scorer.score_many(batch, requests, out=out)
    staged = rerank(
        algorithm,
        batch,
        requests,
        table.sums,
        table.factors,
        move_codes,
        table.scores,
        removal_codes,
    )
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
    removal_codes: dict[RemovalKey, int] = {}
    removed = np.zeros(m, dtype=np.intp)
    moves: list[Moves] = []
    for s0, s1 in chunks:
        ka, kb = int(offsets[s0]), int(offsets[s1])
        part = _score_and_rerank(
            algorithm,
            take_rows(kbatch, np.arange(ka, kb, dtype=np.intp)),
            krequests.segments(s0, s1),
            move_codes,
            removal_codes,
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
        if staged.removed is not None:
            removed[ka:kb] = staged.removed
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
    staged = Reranked(
        factors,
        layout[0],
        layout[1],
        scores,
        tier,
        order,
        all_moves,
        removed if removal_codes else None,
        tuple(removal_codes),
    )
    return _Scored(inputs, contributions, staged)


def _drop_removed(
    removed: Codes,
    kept: NDArray[np.intp],
    kbatch: PostBatch,
    krequests: Requests,
    scored: _Scored,
) -> tuple[
    Codes, tuple[int, ...], NDArray[np.intp], NDArray[np.intp], PostBatch, Requests, _Scored
]:
    """Take the posts the re-rankers removed out of the kept posts: their reasons
    join the filters' (``removed``; the stage of each reason is -1 for a filter,
    else the re-ranker's index), and every kept-row array loses their rows."""
    staged = scored.staged
    assert staged.removed is not None
    gone = staged.removed > 0
    codes = removed.codes.copy()
    codes[kept[gone]] = staged.removed[gone] + len(removed.table)
    table = removed.table + tuple(reason for _, reason in staged.removed_table)
    stages = (-1,) * len(removed.table) + tuple(stage for stage, _ in staged.removed_table)
    stay = np.flatnonzero(~gone).astype(np.intp)
    offsets = offsets_of(krequests, stay)
    renumber = np.full(gone.shape[0], -1, dtype=np.intp)
    renumber[stay] = np.arange(stay.shape[0], dtype=np.intp)
    order = renumber[staged.order]
    moves = staged.moves
    moved = np.flatnonzero(renumber[moves.rows] >= 0).astype(np.intp)
    moves = Moves(
        renumber[moves.rows[moved]],
        moves.stages[moved],
        moves.before[moved],
        moves.after[moved],
        moves.codes[moved],
        moves.table,
    )
    left = Reranked(
        staged.factors[stay],
        staged.factor_names,
        staged.factor_stages,
        staged.scores[stay],
        staged.tier[stay],
        order[order >= 0],
        moves,
    )
    return (
        Codes(codes, table),
        stages,
        kept[stay],
        offsets,
        take_rows(kbatch, stay),
        krequests.take(stay, offsets),
        _Scored(scored.inputs[stay], scored.contributions[stay], left),
    )


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
