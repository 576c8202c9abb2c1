"""The visibility ledger: every removal and demotion of a post in a decision log,
named by the component that made it and the policy behind it.

For each logged request, :func:`actions_of` lists what lowered the reach of the
chosen candidates:

- a **removal**: the candidate is among the log's removed rows; the reason is
  the logged one, and the component is the first filter that removes the post
  when the logged spec's filters run on the logged inputs (or the re-ranker
  that removed it);
- a **demotion**: a scorer factor or a re-ranker multiplier below 1 for the post
  that is a visibility restriction (its declared policy says so). The factor
  values are those of the logged spec ranking the logged inputs again, which
  reproduces the log exactly (``feedrank audit replay`` checks it); the log
  itself keeps factors only for the served page.

Only a spec embedded in the record can name the policies, so every record read
must embed its spec (``DecisionLog(..., embed_spec=True)``, the default).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from feedrank._time import to_micros
from feedrank.batch.requests import Requests
from feedrank.errors import AuditError

if TYPE_CHECKING:
    from feedrank.audit.record import AuditRecord
    from feedrank.batch.context import Context
    from feedrank.batch.posts import PostBatch
    from feedrank.ranking.ranking import Ranking
    from feedrank.spec.pipeline import Pipeline, PolicyUse
    from feedrank.stages.policy import Effect, Policy

__all__ = ["Action", "LoggedRequest", "actions_of", "logged_requests"]


@dataclass(frozen=True)
class Action:
    """One removal or demotion of one post in one logged request.

    ``path``: the component in the spec (``filters[6]``, ``scorer.factors[x]``,
    ``rerankers[0]``; "" if no component of the spec accounts for a logged
    removal); ``effect`` and ``policy`` as declared there; ``reason``: the
    logged filter reason (a removal) or the factor's name (a demotion);
    ``value``: the factor's value (a demotion), None for a removal.
    """

    seq: int
    now: int
    post_id: str
    author_id: str
    kind: Literal["removed", "demoted"]
    path: str
    effect: Effect | None
    policy: Policy | None
    reason: str
    value: float | None = None


@dataclass(frozen=True)
class LoggedRequest:
    """A record of the log, opened, with its inputs rebuilt and its spec parsed."""

    record: AuditRecord
    pipeline: Pipeline
    batch: PostBatch
    ctx: Context

    def replayed(self) -> Ranking:
        """The logged spec ranking the logged inputs again (equal to the log)."""
        from feedrank.audit.replay import _rank_again

        return _rank_again(self.record, self.pipeline, self.batch, self.ctx)


def _micros(t: datetime | None, field: str) -> int | None:
    return None if t is None else to_micros(t, field=field)


def logged_requests(
    path: str | os.PathLike[str],
    *,
    data_key: bytes | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[LoggedRequest]:
    """The valid records of the log whose ``now`` lies in ``[since, until]`` (either
    bound may be None), opened with ``data_key`` and rebuilt. AuditError names a
    sealed record without the key, or a record that does not embed its spec."""
    from feedrank.audit.reports import _opened
    from feedrank.audit.secret_check import check_secret
    from feedrank.audit.verify import read_log

    key = None if data_key is None else check_secret(data_key, field="data_key")
    lo, hi = _micros(since, "since"), _micros(until, "until")
    cache: dict[str, Pipeline] = {}
    for stored in read_log(path).records:
        if (lo is not None and stored.now < lo) or (hi is not None and stored.now > hi):
            continue
        record = _opened(stored, key)
        fp = record.spec.fingerprint
        if fp not in cache:
            try:
                cache[fp] = record.pipeline()
            except AuditError as err:
                raise AuditError(
                    f"record {record.seq}: {err.message}", field=err.field, expected=err.expected
                ) from None
        batch = record.batch()
        yield LoggedRequest(record, cache[fp], batch, record.context(batch))


def _use_of_factor(pipeline: Pipeline, name: str, stage: int) -> PolicyUse | None:
    for use in pipeline.policies:
        if stage < 0 and use.stage == "factor" and use.path == f"scorer.factors[{name}]":
            return use
        if stage >= 0 and use.stage == "reranker" and use.index == stage:
            return use
    return None


def _removing_filters(
    pipeline: Pipeline, batch: PostBatch, ctx: Context, rows: NDArray[np.intp]
) -> dict[int, int]:
    """candidate row -> index of the first filter of ``pipeline`` removing it."""
    out: dict[int, int] = {}
    left = rows
    requests = Requests.one(ctx)
    for i, filt in enumerate(pipeline.filters):
        if not left.shape[0]:
            break
        codes = filt.codes_many(batch, requests).codes
        hit = codes[left] != 0
        out.update((int(r), i) for r in left[hit].tolist())
        left = left[~hit]
    return out


def actions_of(request: LoggedRequest, rows: NDArray[np.intp]) -> list[Action]:
    """Every removal and visibility-restricting demotion of the candidate ``rows``
    (indices into the request's batch) in one logged request."""
    record, pipeline, batch = request.record, request.pipeline, request.batch
    out: list[Action] = []
    if not rows.shape[0]:
        return out
    ids, authors = batch.ids, batch.author_ids
    wanted = np.zeros(len(batch), dtype=bool)
    wanted[rows] = True
    logged = record.require_outputs()
    removed = record.removed_rows()
    reasons = logged.removed.reasons
    mine = [(int(r), reasons[i]) for i, r in enumerate(removed.tolist()) if wanted[r]]
    ranking = request.replayed()
    uses = pipeline.policies
    if mine:
        by_filter = _removing_filters(
            pipeline, batch, request.ctx, np.array([r for r, _ in mine], dtype=np.intp)
        )
        stage_of = dict(zip(ranking.removed_table, ranking.removed_stages, strict=True))
        for row, reason in mine:
            use: PolicyUse | None = None
            if row in by_filter:
                use = next(u for u in uses if u.stage == "filter" and u.index == by_filter[row])
            elif stage_of.get(reason, -1) >= 0:
                use = next(u for u in uses if u.stage == "reranker" and u.index == stage_of[reason])
            out.append(
                Action(
                    record.seq,
                    record.now,
                    str(ids[row]),
                    str(authors[row]),
                    "removed",
                    "" if use is None else use.path,
                    None if use is None else use.effect,
                    None if use is None else use.policy,
                    reason,
                )
            )
    kept_rows = ranking.kept
    mine_kept = np.flatnonzero(wanted[kept_rows])
    if mine_kept.shape[0]:
        factors = ranking.factors
        for j, (name, stage) in enumerate(
            zip(ranking.factor_names, ranking.factor_stages, strict=True)
        ):
            use = _use_of_factor(pipeline, name, stage)
            if use is None or not use.restricts:
                continue
            values = factors[mine_kept, j]
            for k in np.flatnonzero(values < 1.0).tolist():
                row = int(kept_rows[mine_kept[k]])
                out.append(
                    Action(
                        record.seq,
                        record.now,
                        str(ids[row]),
                        str(authors[row]),
                        "demoted",
                        use.path,
                        use.effect,
                        use.policy,
                        name,
                        float(values[k]),
                    )
                )
    return out
