"""Pipeline: filters, then the scorer, then re-rankers, then a page.

>>> from datetime import datetime, timedelta, timezone
>>> from feedrank import Context, Post, PostBatch, Viewer
>>> from feedrank.stages.scoring import Scorer, Term
>>> from feedrank.stages.signals import Interactions
>>> from feedrank.stages.filters import Seen
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> posts = [Post(id=f"p{i}", author_id="a", created_at=t, counts={"like": i})
...          for i in range(4)]
>>> pipe = Pipeline(name="likes", filters=[Seen()], scorer=Scorer(
...     terms=[Term(name="likes", signal=Interactions(), weight=1.0)]))
>>> batch = PostBatch.from_posts(posts)
>>> ranking = pipe.rank(batch, Context.build(batch, now=t, viewer=Viewer(id="v", seen={"p3"})))
>>> ranking.post_ids, ranking.removed
(['p2', 'p1', 'p0'], {'p3': 'seen'})
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.batch.segments import segmented_order
from feedrank.canonical import fingerprint
from feedrank.engine.cursor import Cursor
from feedrank.errors import RankingError
from feedrank.ranking.ranking import Moves, Ranking
from feedrank.stages.components import SpecModel
from feedrank.stages.filters import FilterSpec
from feedrank.stages.rerank import RerankerSpec
from feedrank.stages.scoring import Scorer, combine_sums

if TYPE_CHECKING:
    from feedrank.audit import DecisionLog
    from feedrank.engine.many import ContextBatch, RankingBatch

__all__ = ["Pipeline"]


class Pipeline(SpecModel):
    """A complete, publishable ranking algorithm.

    ``filters`` run first (each removed post keeps the reason of the first filter
    that removed it), then ``scorer``, then ``rerankers`` in order. ``limit`` is
    the default page size.
    """

    name: Annotated[str, Field(min_length=1, max_length=128)]
    version: str = "1"
    description: str = ""
    filters: tuple[FilterSpec, ...] = ()
    scorer: Scorer
    rerankers: tuple[RerankerSpec, ...] = ()
    limit: Annotated[int, Field(ge=1, le=10_000)] = 50

    def to_spec(self) -> dict[str, Any]:
        """The spec as plain JSON values, every default written out."""
        return self.model_dump(mode="json")

    @cached_property
    def fingerprint(self) -> str:
        """Hex SHA-256 of the canonical JSON of :meth:`to_spec`."""
        return fingerprint(self.to_spec())

    @model_validator(mode="after")
    def _distinct_factor_names(self) -> Pipeline:
        for name in self.scorer.factor_names:
            if name in self.rerank_factor_names:
                raise ValueError(
                    f"factor name {name!r} is taken by the multiplier of the {name!r} "
                    "re-ranker; rename the scorer factor"
                )
        return self

    @property
    def rerank_factor_names(self) -> tuple[str, ...]:
        """Factor columns added by re-rankers (one per re-ranker, named by type)."""
        names: list[str] = []
        for i, reranker in enumerate(self.rerankers):
            name = reranker.type if reranker.type not in names else f"{reranker.type}_{i}"
            names.append(name)
        return tuple(names)

    def rerank(
        self,
        batch: PostBatch,
        ctx: Context,
        contributions: NDArray[np.float64],
        factors: NDArray[np.float64],
    ) -> Reranked:
        """Run the re-rankers on scored, kept posts (``batch`` and ``ctx`` hold only
        the kept rows; ``contributions`` (m, T) and ``factors`` (m, F) are the
        scorer's). Used by :meth:`rank` and by ablations that change the parts."""
        m = len(batch)
        tier = np.zeros(m, dtype=np.int64)
        names: list[str] = []
        stages: list[int] = []
        digits = self.scorer.round_digits
        with np.errstate(over="ignore", invalid="ignore"):
            sums = contributions.sum(axis=1)
        scores = combine_sums(sums, factors, digits)
        offsets = np.array([0, m], dtype=np.intp)
        created, ids_at = batch.created_at, batch._ids_at
        order = segmented_order(offsets, tier, scores, created, ids_at)
        moves = Moves.empty()
        for i, reranker in enumerate(self.rerankers):
            step = reranker.adjust(batch, ctx, order, scores)
            if step.multiplier is not None:
                _check_multiplier(step.multiplier, batch, reranker.type)
                factors = np.column_stack([factors, step.multiplier])
                names.append(self.rerank_factor_names[i])
                stages.append(i)
                scores = combine_sums(sums, factors, digits)
            if step.tier is not None:
                tier = tier + step.tier
            new_order = segmented_order(offsets, tier, scores, created, ids_at)
            moves = moves.extend(order, new_order, i, step.reasons, reranker.type)
            order = new_order
        return Reranked(factors, tuple(names), tuple(stages), scores, tier, order, moves)

    def rank(
        self,
        batch: PostBatch,
        ctx: Context,
        *,
        limit: int | None = None,
        cursor: str | Cursor | None = None,
        audit: DecisionLog | None = None,
        request_id: str | None = None,
    ) -> Ranking:
        """Rank ``batch`` for ``ctx`` and return one page as a :class:`Ranking`.

        ``limit`` overrides the spec's page size; ``cursor`` (from a previous
        page's ``next_cursor``) continues after the last post served. An empty
        batch ranks to an empty feed. ``audit``: a
        :class:`~feedrank.audit.DecisionLog` that gets one hash-chained record of
        this request, under ``request_id`` (derived from the request when None);
        if the append fails, ``rank`` raises, so nothing is served unlogged.
        """
        if request_id is not None and audit is None:
            raise RankingError(
                "request_id without a decision log", field="request_id", expected="audit=log"
            )
        if len(ctx) != len(batch):
            raise RankingError(
                f"context has {len(ctx)} rows but the batch has {len(batch)}",
                field="ctx",
                expected="Context.build(batch, ...) for this batch",
            )
        page_size = self.limit if limit is None else limit
        if page_size < 1:
            raise RankingError(f"limit is {page_size}", field="limit", expected="an integer >= 1")
        parsed: Cursor | None = None
        if cursor is not None:
            parsed = cursor if isinstance(cursor, Cursor) else Cursor.decode(cursor)
            parsed.check(self.fingerprint, ctx.now)

        codes, reason_table = merge_filter_codes(
            (filt._codes(batch, ctx) for filt in self.filters), len(batch)
        )
        reasons = reason_strings(codes, reason_table)
        kept = np.flatnonzero(codes == 0)
        if kept.shape[0] != len(batch):
            kbatch, kctx = batch._rows(kept), ctx.take(kept)
        else:
            kbatch, kctx = batch, ctx

        table = self.scorer.score(kbatch, kctx)
        m = len(kbatch)
        staged = self.rerank(kbatch, kctx, table.contributions, table.factors)
        factors, scores, tier, order = staged.factors, staged.scores, staged.tier, staged.order

        start = 0
        if parsed is not None:
            after = parsed.after(
                tier[order], scores[order], kbatch.created_at[order], kbatch.ids[order]
            )
            start = int(np.argmax(after)) if np.any(after) else m
        stop = min(start + page_size, m)
        next_cursor: str | None = None
        if stop < m and stop > start:
            last = int(order[stop - 1])
            next_cursor = Cursor(
                self.fingerprint,
                ctx.now,
                int(tier[last]),
                float(scores[last]),
                int(kbatch.created_at[last]),
                str(kbatch.ids[last]),
            ).encode()
        ranking = Ranking(
            pipeline=self,
            candidates=batch,
            now=ctx.now,
            removed_reasons=reasons,
            kept=kept,
            inputs=table.inputs,
            contributions=table.contributions,
            factors=factors,
            term_names=table.term_names,
            factor_names=table.factor_names + staged.factor_names,
            factor_stages=(-1,) * len(table.factor_names) + staged.factor_stages,
            scores=scores,
            tier=tier,
            order=order,
            moves=staged.moves,
            context=kctx,
            page_start=start,
            page_stop=stop,
            next_cursor=next_cursor,
        )
        if audit is not None:
            audit.append(ranking, ctx, request_id)
        return ranking

    def rank_many(
        self,
        batch: PostBatch,
        contexts: Sequence[Context] | ContextBatch,
        offsets: Any,
        *,
        limit: int | None = None,
    ) -> RankingBatch:
        """Rank many requests at once and return a :class:`~feedrank.engine.many.RankingBatch`.

        ``batch`` holds the candidates of S requests one request after another;
        ``offsets`` (S + 1 integers from 0 to ``len(batch)``) marks where each
        request's rows start; ``contexts`` is one :class:`Context` per request,
        built for that request's rows (or a :class:`~feedrank.engine.many.ContextBatch`).
        Post ids need only be unique within a request (build the batch with
        ``PostBatch.from_columns(..., offsets=offsets)``).

        Filters, signals, scores, the sort and the re-rankers run as array
        operations over all requests together; built-in components that read
        the viewer (muted words, embedding similarity, ...) and third-party
        components that do not declare themselves row-wise run request by
        request. ``result[i]`` equals ``self.rank(batch_i, contexts[i],
        limit=limit)`` in every array. Each request gets its first page (no
        cursor); nothing is written to a decision log.
        """
        from feedrank.engine.many import rank_many

        return rank_many(self, batch, contexts, offsets, limit)


@dataclass(frozen=True, eq=False)
class Reranked:
    """The outcome of the re-ranking stages for the kept posts.

    ``factors`` (m, F + R): the scorer's factors then one column per
    score-multiplying re-ranker (named ``factor_names``, from stages
    ``factor_stages``); ``scores``, ``tier`` and ``order`` (m,) final.
    """

    factors: NDArray[np.float64]
    factor_names: tuple[str, ...]
    factor_stages: tuple[int, ...]
    scores: NDArray[np.float64]
    tier: NDArray[np.int64]
    order: NDArray[np.intp]
    moves: Moves


def _check_multiplier(values: NDArray[np.float64], batch: PostBatch, stage: str) -> None:
    bad = ~(np.isfinite(values) & (values > 0))
    if np.any(bad):
        row = int(np.argmax(bad))
        raise RankingError(
            f"re-ranker {stage!r} returned multiplier {values[row]}",
            post_id=str(batch.ids[row]),
            expected="a finite multiplier > 0",
        )


def merge_filter_codes(
    parts: Iterable[tuple[NDArray[np.intp], tuple[str, ...]]], n: int
) -> tuple[NDArray[np.intp], tuple[str, ...]]:
    """Filters' reason codes merged in order: a post keeps the reason of the first
    filter that removed it. Returns (codes (n,), intp; reason table)."""
    codes = np.zeros(n, dtype=np.intp)
    table: list[str] = []
    for found, names in parts:
        if names:
            take = (codes == 0) & (found > 0)
            codes[take] = found[take] + len(table)
            table.extend(names)
    return codes, tuple(table)


def reason_strings(codes: NDArray[np.intp], table: tuple[str, ...]) -> NDArray[np.str_]:
    """ndarray like ``codes``, str: "" for code 0, else ``table[code - 1]``."""
    names: NDArray[np.str_] = np.array(["", *table], dtype=np.str_)
    return names[codes]
