"""Ranking many requests at once: :class:`ContextBatch` in, :class:`RankingBatch` out.

:meth:`Pipeline.rank_many` takes the candidates of many requests stored one
request after another in one :class:`~feedrank.PostBatch`, with ``offsets``
(S + 1,) marking where each request's rows start, and one
:class:`~feedrank.Context` per request. It runs the filters, the signals, the
scorer, the sort and the re-rankers as array operations over all requests
together (segmented sorts and group ranks, see :mod:`feedrank.batch.segments`) and
returns a :class:`RankingBatch`. ``RankingBatch[i]`` is the
:class:`~feedrank.Ranking` that ``pipeline.rank`` gives for request ``i`` alone,
equal in every array; the columnar accessors (``page_rows``, ``page_post_ids``,
``page_scores``, ...) serve all pages without building a Ranking per request.

>>> from datetime import datetime, timedelta, timezone
>>> from feedrank import Context, Pipeline, Post, PostBatch, Viewer
>>> from feedrank.stages.scoring import Scorer, Term
>>> from feedrank.stages.signals import Interactions
>>> from feedrank.stages.filters import Seen
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> posts = [Post(id=f"p{i}", author_id="a", created_at=t, counts={"like": i})
...          for i in range(3)]
>>> one = PostBatch.from_posts(posts)
>>> batch = PostBatch.concat([one, PostBatch.from_posts(
...     [p.model_copy(update={"id": p.id + "b"}) for p in posts])])
>>> offsets = [0, 3, 6]
>>> viewers = [Viewer(id="v", seen={"p2"}), Viewer(id="w")]
>>> contexts = [Context.build(batch._slice(a, b), now=t, viewer=v)
...             for a, b, v in zip(offsets, offsets[1:], viewers)]
>>> pipe = Pipeline(name="likes", filters=[Seen()], scorer=Scorer(
...     terms=[Term(name="likes", signal=Interactions(), weight=1.0)]))
>>> result = pipe.rank_many(batch, contexts, offsets)
>>> len(result), result[0].post_ids, result[1].post_ids
(2, ['p1', 'p0'], ['p2b', 'p1b', 'p0b'])
>>> result.page_post_ids.tolist(), result.page_offsets.tolist()
(['p1', 'p0', 'p2b', 'p1b', 'p0b'], [0, 2, 5])
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray

from feedrank.batch._columns import _offsets
from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.batch.segments import segment_of_rows, segmented_order
from feedrank.engine.cursor import Cursor
from feedrank.errors import RankingError
from feedrank.models import Viewer
from feedrank.ranking.ranking import Moves, Ranking

if TYPE_CHECKING:
    from feedrank.spec.pipeline import Pipeline
    from feedrank.stages.filters import Filter
    from feedrank.stages.filters.base import Codes
    from feedrank.stages.rerank import Reranker
    from feedrank.stages.rerank.base import CodedStep
    from feedrank.stages.signals.base import Signal

__all__ = ["ContextBatch", "RankingBatch"]

_FIXED = ("now", "viewer")


def _array_fields() -> tuple[str, ...]:
    return tuple(f.name for f in fields(Context) if f.name not in _FIXED)


@dataclass(frozen=True, eq=False)
class ContextBatch:
    """The contexts of many requests, their per-post arrays concatenated.

    - ``offsets``: ndarray (S + 1,), intp: request ``i`` owns rows
      ``offsets[i]:offsets[i + 1]``.
    - ``now``: ndarray (S,), int64: each request's ``now`` (µs since the epoch).
    - ``viewers``: one :class:`~feedrank.Viewer` (or None) per request.
    - ``arrays``: every per-post array of :class:`~feedrank.Context`
      (``in_network``, ``seen``, ``affinity``, ...) over all rows.

    Build it with :meth:`from_contexts`; :meth:`context` gives request ``i`` back.
    """

    offsets: NDArray[np.intp]
    now: NDArray[np.int64]
    viewers: tuple[Viewer | None, ...]
    arrays: Mapping[str, NDArray[Any]]

    @classmethod
    def from_contexts(cls, contexts: Sequence[Context]) -> ContextBatch:
        """Stack one :class:`~feedrank.Context` per request."""
        lengths = np.fromiter((len(c) for c in contexts), dtype=np.intp, count=len(contexts))
        offsets = np.zeros(len(contexts) + 1, dtype=np.intp)
        np.cumsum(lengths, out=offsets[1:])
        arrays: dict[str, NDArray[Any]] = {}
        for name in _array_fields():
            parts = [getattr(c, name) for c in contexts]
            arrays[name] = np.concatenate(parts) if parts else _empty_like_field(name)
        now = np.fromiter((c.now for c in contexts), dtype=np.int64, count=len(contexts))
        return cls(offsets, now, tuple(c.viewer for c in contexts), arrays)

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def context(self, i: int) -> Context:
        """The :class:`~feedrank.Context` of request ``i`` (arrays are views)."""
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        parts = {name: values[a:b] for name, values in self.arrays.items()}
        return Context(int(self.now[i]), self.viewers[i], **parts)

    @cached_property
    def segment_of_rows(self) -> NDArray[np.intp]:
        """ndarray (n,), intp: the request of every row."""
        return segment_of_rows(self.offsets)

    @cached_property
    def now_of_rows(self) -> NDArray[np.int64]:
        """ndarray (n,), int64: the ``now`` of every row's request."""
        return np.repeat(self.now, np.diff(self.offsets))

    @cached_property
    def row_context(self) -> Context:
        """A Context over all rows whose ``now`` is :attr:`now_of_rows` (an array)
        and whose viewer is None: what row-wise components are evaluated with."""
        return Context(cast(int, self.now_of_rows), None, **self.arrays)

    def _take(self, rows: NDArray[np.intp], offsets: NDArray[np.intp]) -> ContextBatch:
        """Rows ``rows`` (ascending, so requests stay in order) with their new offsets."""
        arrays = {name: values[rows] for name, values in self.arrays.items()}
        return ContextBatch(offsets, self.now, self.viewers, arrays)


def _empty_like_field(name: str) -> NDArray[Any]:
    probe = Context(0, None, np.zeros(0, bool), np.zeros(0, bool), np.zeros(0), np.zeros(0))
    value: NDArray[Any] = getattr(probe, name)
    return value


@dataclass(frozen=True, eq=False)
class RankingBatch:
    """What :meth:`Pipeline.rank_many` computed, for S requests.

    Candidate rows (n = all requests' candidates): ``candidates`` (the batch),
    ``offsets`` (S + 1,), ``removed_codes`` (n,) with ``removed_table`` (0 = kept,
    ``i`` = reason ``removed_table[i - 1]``; :attr:`removed_reasons` gives the
    strings). Kept rows (m, request after request, ``kept_offsets`` (S + 1,)):
    ``kept`` maps them to candidate rows; ``inputs``, ``contributions`` (m, T);
    ``factors`` (m, F); ``scores``, ``tier`` (m,). ``order`` (m,) lists the kept
    rows of each request best first, request after request. Moves are columns
    over all requests (``move_rows`` are kept rows; ``move_codes`` index
    ``move_table``).
    Each request's page is its first ``page_lengths[i]`` rows in ``order``.

    ``self[i]`` is the :class:`~feedrank.Ranking` of request ``i``, the same
    as ``pipeline.rank(batch_i, ctx_i, limit=limit)`` gives.
    """

    pipeline: Pipeline
    candidates: PostBatch
    offsets: NDArray[np.intp]
    contexts: ContextBatch
    source_contexts: tuple[Context, ...] | None
    removed_codes: NDArray[np.intp]
    removed_table: tuple[str, ...]
    kept: NDArray[np.intp]
    kept_offsets: NDArray[np.intp]
    term_names: tuple[str, ...]
    factor_names: tuple[str, ...]
    factor_stages: tuple[int, ...]
    inputs: NDArray[np.float64]
    contributions: NDArray[np.float64]
    factors: NDArray[np.float64]
    scores: NDArray[np.float64]
    tier: NDArray[np.int64]
    order: NDArray[np.intp]
    move_rows: NDArray[np.intp]
    move_stages: NDArray[np.intp]
    move_before: NDArray[np.intp]
    move_after: NDArray[np.intp]
    move_codes: NDArray[np.intp]
    move_table: tuple[str, ...]
    page_lengths: NDArray[np.intp]

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def __iter__(self) -> Iterator[Ranking]:
        for i in range(len(self)):
            yield self[i]

    # --------------------------------------------------------------- columns
    @property
    def removed_reasons(self) -> NDArray[np.str_]:
        """ndarray (n,), str: each candidate's filter reason ("" = kept)."""
        table: NDArray[np.str_] = np.array(["", *self.removed_table], dtype=np.str_)
        return table[self.removed_codes]

    @cached_property
    def page_offsets(self) -> NDArray[np.intp]:
        """ndarray (S + 1,), intp: request ``i``'s page is
        ``page_rows[page_offsets[i]:page_offsets[i + 1]]``."""
        out = np.zeros(len(self) + 1, dtype=np.intp)
        np.cumsum(self.page_lengths, out=out[1:])
        return out

    @cached_property
    def page_rows(self) -> NDArray[np.intp]:
        """ndarray (p,), intp: kept rows of every page, best first, request after request."""
        starts = np.repeat(self.kept_offsets[:-1], self.page_lengths)
        within = np.arange(int(self.page_offsets[-1]), dtype=np.intp) - np.repeat(
            self.page_offsets[:-1], self.page_lengths
        )
        rows: NDArray[np.intp] = self.order[starts + within]
        return rows

    @property
    def page_post_ids(self) -> NDArray[np.str_]:
        """ndarray (p,), str: the served post ids, page after page."""
        return self.candidates.ids[self.kept[self.page_rows]]

    @property
    def page_scores(self) -> NDArray[np.float64]:
        """ndarray (p,), float64: final scores of the served posts, page after page."""
        return self.scores[self.page_rows]

    def post_ids(self, i: int) -> list[str]:
        """Ids of request ``i``'s page, best first (``self[i].post_ids``, cheaper)."""
        a, b = int(self.page_offsets[i]), int(self.page_offsets[i + 1])
        return [str(x) for x in self.candidates.ids[self.kept[self.page_rows[a:b]]]]

    @cached_property
    def _move_index(self) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Moves grouped by request (stage order kept within): (permutation, offsets)."""
        seg = np.searchsorted(self.kept_offsets, self.move_rows, side="right") - 1
        perm = np.argsort(seg, kind="stable").astype(np.intp)
        counts = np.bincount(seg, minlength=len(self))
        offsets = np.zeros(len(self) + 1, dtype=np.intp)
        np.cumsum(counts, out=offsets[1:])
        return perm, offsets

    # -------------------------------------------------------------- requests
    def __getitem__(self, i: int) -> Ranking:
        if not -len(self) <= i < len(self):
            raise IndexError(f"request {i} of {len(self)}")
        i = i % len(self)
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        ka, kb = int(self.kept_offsets[i]), int(self.kept_offsets[i + 1])
        m = kb - ka
        candidates = self.candidates._slice(a, b)
        ctx = (
            self.source_contexts[i]
            if self.source_contexts is not None
            else self.contexts.context(i)
        )
        kept = self.kept[ka:kb] - a
        kctx = ctx if m == b - a else ctx.take(kept)
        perm, moff = self._move_index
        sel = perm[int(moff[i]) : int(moff[i + 1])]
        reasons = np.array(self.move_table, dtype=np.str_)[self.move_codes[sel]]
        moves = (
            Moves(
                self.move_rows[sel] - ka,
                self.move_stages[sel],
                self.move_before[sel],
                self.move_after[sel],
                reasons,
            )
            if sel.shape[0]
            else Moves.empty()
        )
        order = self.order[ka:kb] - ka
        stop = int(self.page_lengths[i])
        scores = self.scores[ka:kb]
        tier = self.tier[ka:kb]
        next_cursor: str | None = None
        if 0 < stop < m:
            last = int(order[stop - 1])
            row = int(self.kept[ka + last])
            next_cursor = Cursor(
                self.pipeline.fingerprint,
                ctx.now,
                int(tier[last]),
                float(scores[last]),
                int(self.candidates.created_at[row]),
                str(self.candidates.ids[row]),
            ).encode()
        return Ranking(
            pipeline=self.pipeline,
            candidates=candidates,
            now=ctx.now,
            removed_reasons=np.array(["", *self.removed_table], dtype=np.str_)[
                self.removed_codes[a:b]
            ],
            kept=kept,
            inputs=self.inputs[ka:kb],
            contributions=self.contributions[ka:kb],
            factors=self.factors[ka:kb],
            term_names=self.term_names,
            factor_names=self.factor_names,
            factor_stages=self.factor_stages,
            scores=scores,
            tier=tier,
            order=order,
            moves=moves,
            context=kctx,
            page_start=0,
            page_stop=stop,
            next_cursor=next_cursor,
        )


# ------------------------------------------------------------------ engine
def rank_many(
    pipeline: Pipeline,
    batch: PostBatch,
    contexts: Sequence[Context] | ContextBatch,
    offsets: Any,
    limit: int | None = None,
) -> RankingBatch:
    """See :meth:`Pipeline.rank_many`."""
    from feedrank.spec.pipeline import merge_filter_codes

    cuts = _offsets(offsets, len(batch))
    source: tuple[Context, ...] | None = None
    if isinstance(contexts, ContextBatch):
        many = contexts
    else:
        source = tuple(contexts)
        many = ContextBatch.from_contexts(source)
    if many.offsets.shape != cuts.shape or not np.array_equal(many.offsets, cuts):
        raise RankingError(
            "the contexts do not match the segments of the batch",
            field="contexts",
            expected="one Context per request, each built for that request's rows",
        )
    page_size = pipeline.limit if limit is None else limit
    if page_size < 1:
        raise RankingError(f"limit is {page_size}", field="limit", expected="an integer >= 1")
    segments = len(many)
    n = len(batch)

    codes, table = merge_filter_codes(
        (_filter_codes(filt, batch, many) for filt in pipeline.filters), n
    )
    kept = np.flatnonzero(codes == 0).astype(np.intp)
    if kept.shape[0] != n:
        per = np.bincount(many.segment_of_rows[kept], minlength=segments)
        kept_offsets = np.zeros(segments + 1, dtype=np.intp)
        np.cumsum(per, out=kept_offsets[1:])
        kbatch = batch._rows(kept)
        kmany = many._take(kept, kept_offsets)
    else:
        kept_offsets, kbatch, kmany = cuts, batch, many

    m = len(kbatch)
    terms = len(pipeline.scorer.terms)
    inputs = np.empty((m, terms), dtype=np.float64)
    contributions = np.empty((m, terms), dtype=np.float64)
    scores = np.empty(m, dtype=np.float64)
    tier = np.zeros(m, dtype=np.int64)
    order = np.empty(m, dtype=np.intp)
    factors: NDArray[np.float64] | None = None
    layout: tuple[tuple[str, ...], tuple[int, ...]] | None = None
    stage_parts: list[list[tuple[NDArray[np.intp], ...]]] = [[] for _ in pipeline.rerankers]
    move_index: dict[str, int] = {}
    # Requests are processed in chunks of about _CHUNK_ROWS kept rows: every array
    # of a chunk stays in cache, and the chunk's results go into the outputs.
    for s0, s1 in _chunks(kept_offsets, _CHUNK_ROWS):
        ka, kb = int(kept_offsets[s0]), int(kept_offsets[s1])
        sub_offsets = kept_offsets[s0 : s1 + 1] - ka
        if ka == 0 and kb == m:
            cbatch, cmany = kbatch, kmany
        else:
            rows = np.arange(ka, kb, dtype=np.intp)
            cbatch = kbatch._rows(rows)
            cmany = ContextBatch(
                sub_offsets,
                kmany.now[s0:s1],
                kmany.viewers[s0:s1],
                {k: v[ka:kb] for k, v in kmany.arrays.items()},
            )
        part = _rank_chunk(pipeline, cbatch, cmany, move_index)
        if layout is None:
            layout = (part.names, part.stages)
            factors = np.empty((m, part.factors.shape[1]), dtype=np.float64)
        elif layout != (part.names, part.stages):
            raise RankingError(
                "a re-ranker returned a multiplier for some requests and none for others",
                expected="a multiplier for every request or for none",
            )
        assert factors is not None
        inputs[ka:kb] = part.inputs
        contributions[ka:kb] = part.contributions
        factors[ka:kb] = part.factors
        scores[ka:kb] = part.scores
        tier[ka:kb] = part.tier
        order[ka:kb] = part.order + ka
        for i, moved in enumerate(part.moves):
            stage_parts[i].append((moved[0] + ka, *moved[1:]))
    scorer = pipeline.scorer
    names, stages = layout if layout is not None else ((), ())
    if factors is None:
        factors = np.empty((0, len(scorer.factors) + len(names)), dtype=np.float64)
    flat = [part for stage in stage_parts for part in stage]

    def column(j: int) -> NDArray[np.intp]:
        if not flat:
            return np.zeros(0, dtype=np.intp)
        return np.concatenate([part[j] for part in flat])

    return RankingBatch(
        pipeline=pipeline,
        candidates=batch,
        offsets=cuts,
        contexts=many,
        source_contexts=source,
        removed_codes=codes,
        removed_table=table,
        kept=kept,
        kept_offsets=kept_offsets,
        term_names=scorer.term_names,
        factor_names=scorer.factor_names + names,
        factor_stages=(-1,) * len(scorer.factor_names) + stages,
        inputs=inputs,
        contributions=contributions,
        factors=factors,
        scores=scores,
        tier=tier,
        order=order,
        move_rows=column(0),
        move_stages=column(1),
        move_before=column(2),
        move_after=column(3),
        move_codes=column(4),
        move_table=tuple(move_index),
        page_lengths=np.minimum(np.diff(kept_offsets), page_size).astype(np.intp),
    )


_CHUNK_ROWS = 1 << 16


def _chunks(offsets: NDArray[np.intp], rows: int) -> Iterator[tuple[int, int]]:
    """Runs of whole requests [s0, s1) holding about ``rows`` rows each."""
    segments = offsets.shape[0] - 1
    if segments == 0:
        return
    bounds = np.searchsorted(offsets, np.arange(rows, int(offsets[-1]), rows), side="right") - 1
    cuts = sorted({0, segments, *(int(b) for b in bounds if 0 < b < segments)})
    yield from itertools.pairwise(cuts)


@dataclass(frozen=True, eq=False)
class _Chunk:
    inputs: NDArray[np.float64]
    contributions: NDArray[np.float64]
    factors: NDArray[np.float64]
    scores: NDArray[np.float64]
    tier: NDArray[np.int64]
    order: NDArray[np.intp]
    names: tuple[str, ...]
    stages: tuple[int, ...]
    moves: list[tuple[NDArray[np.intp], ...]]


def _rank_chunk(
    pipeline: Pipeline, kbatch: PostBatch, kmany: ContextBatch, move_index: dict[str, int]
) -> _Chunk:
    """Score, sort and re-rank the kept rows of a run of whole requests."""
    from feedrank.spec.pipeline import _check_multiplier
    from feedrank.stages.scoring import combine_sums

    kept_offsets = kmany.offsets
    score_table = pipeline.scorer._score(kbatch, lambda s: _signal_values(s, kbatch, kmany))
    factors = score_table.factors
    m = len(kbatch)
    digits = pipeline.scorer.round_digits
    sums = score_table.sums
    assert sums is not None
    scores = score_table.scores
    tier = np.zeros(m, dtype=np.int64)
    created, ids_at = kbatch.created_at, kbatch._ids_at
    order = segmented_order(kept_offsets, tier, scores, created, ids_at)
    local = np.arange(m, dtype=np.intp) - np.repeat(kept_offsets[:-1], np.diff(kept_offsets))
    names: list[str] = []
    stages: list[int] = []
    moves: list[tuple[NDArray[np.intp], ...]] = []
    for i, reranker in enumerate(pipeline.rerankers):
        step = _rerank_step(reranker, kbatch, kmany, order, scores)
        if step.multiplier is not None:
            _check_multiplier(step.multiplier, kbatch, reranker.type)
            factors = np.column_stack([factors, step.multiplier])
            names.append(pipeline.rerank_factor_names[i])
            stages.append(i)
            scores = combine_sums(sums, factors, digits)
        if step.tier is not None:
            tier = tier + step.tier
        new_order = segmented_order(kept_offsets, tier, scores, created, ids_at)
        before = np.empty(m, dtype=np.intp)
        before[order] = local
        after = np.empty(m, dtype=np.intp)
        after[new_order] = local
        rows = np.flatnonzero(before != after).astype(np.intp)
        why = step.codes[rows] if step.codes.shape[0] else np.zeros(rows.shape[0], np.intp)
        # Reason codes into the shared move table: the step's own reasons, and
        # "shifted_by:<type>" for posts that moved because others did.
        names_here = [*step.table, f"shifted_by:{reranker.type}"]
        remap = np.array([move_index.setdefault(x, len(move_index)) for x in names_here], np.intp)
        why = remap[np.where(why == 0, len(step.table), why - 1)]
        stage = np.full(rows.shape[0], i, dtype=np.intp)
        moves.append((rows, stage, before[rows], after[rows], why.astype(np.intp)))
        order = new_order
    return _Chunk(
        score_table.inputs,
        score_table.contributions,
        factors,
        scores,
        tier,
        order,
        tuple(names),
        tuple(stages),
        moves,
    )


def _bounds(offsets: NDArray[np.intp]) -> Iterator[tuple[int, int, int]]:
    for i, (a, b) in enumerate(zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)):
        yield i, a, b


def _filter_codes(filt: Filter, batch: PostBatch, many: ContextBatch) -> Codes:
    if filt._is_rowwise():
        return filt._codes(batch, many.row_context)
    coded = filt._codes_many(batch, many)
    if coded is not None:
        return coded
    # Request by request, merging each request's reason table into one.
    table: dict[str, int] = {}
    parts: list[NDArray[np.intp]] = []
    for i, a, b in _bounds(many.offsets):
        codes, names = filt._codes(batch._slice(a, b), many.context(i))
        remap = np.array([0, *(table.setdefault(x, len(table) + 1) for x in names)], np.intp)
        parts.append(remap[codes])
    out = np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
    return out.astype(np.intp, copy=False), tuple(table)


def _signal_values(signal: Signal, batch: PostBatch, many: ContextBatch) -> NDArray[np.float64]:
    if signal._is_rowwise():
        return signal.compute(batch, many.row_context)
    values = signal._compute_many(batch, many)
    if values is not None:
        return values
    parts: list[NDArray[np.float64]] = []
    for i, a, b in _bounds(many.offsets):
        part = np.asarray(signal.compute(batch._slice(a, b), many.context(i)), dtype=np.float64)
        if part.shape != (b - a,):
            raise RankingError(
                f"signal {signal.type!r} returned shape {part.shape}",
                expected=f"shape ({b - a},)",
            )
        parts.append(part)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)


def _rerank_step(
    reranker: Reranker,
    batch: PostBatch,
    many: ContextBatch,
    order: NDArray[np.intp],
    scores: NDArray[np.float64],
) -> CodedStep:
    from feedrank.stages.filters.base import encode_reasons
    from feedrank.stages.rerank.base import CodedStep

    step = reranker._adjust_many(batch, many, order, scores)
    if step is not None:
        return step
    multipliers: list[NDArray[np.float64] | None] = []
    tiers: list[NDArray[np.int64] | None] = []
    table: dict[str, int] = {}
    codes: list[NDArray[np.intp]] = []
    for i, a, b in _bounds(many.offsets):
        part = reranker.adjust(
            batch._slice(a, b), many.context(i), order[a:b] - a, scores[a:b].copy()
        )
        multipliers.append(part.multiplier)
        tiers.append(part.tier)
        found, names = encode_reasons(np.asarray(part.reasons))
        if part.reasons.shape[0] == 0:
            found = np.zeros(b - a, dtype=np.intp)
        remap = np.array([0, *(table.setdefault(x, len(table) + 1) for x in names)], np.intp)
        codes.append(remap[found])
    return CodedStep(
        _stack(multipliers, reranker.type, "multiplier", np.float64),
        _stack(tiers, reranker.type, "tier", np.int64),
        np.concatenate(codes) if codes else np.zeros(0, dtype=np.intp),
        tuple(table),
    )


def _stack(parts: list[Any], stage: str, what: str, dtype: Any) -> Any:
    present = [p is not None for p in parts]
    if not any(present):
        return None
    if not all(present):
        raise RankingError(
            f"re-ranker {stage!r} returned a {what} for some requests and none for others",
            expected=f"a {what} for every request or for none",
        )
    return np.concatenate([np.asarray(p, dtype=dtype) for p in parts])
