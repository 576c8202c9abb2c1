"""Replaying a decision log: rank every logged request again and compare.

For each record, :func:`replay` rebuilds the :class:`~feedrank.PostBatch` and
:class:`~feedrank.Context` from the stored inputs, ranks them with the given
spec at the stored ``now`` and page (size and starting key), and compares the
result with what the log says was computed and served:

- the spec: the replaying spec's fingerprint against the logged one; for a
  request that carried a viewer's choice, the replaying spec is the effective
  spec derived again from the published spec and the logged choice, so a
  match proves the served page is the page of the spec the viewer chose;
- every candidate: its position in the whole feed, its score and tier, its
  filter reason, whether it was served, and — for the posts of the logged page —
  every term's contribution and every factor, by name;
- the re-rankers' moves (how many differ).

The comparison is exact by default (feedrank is deterministic: same spec,
inputs and ``now`` give the same bytes); ``rtol`` allows a relative tolerance.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from feedrank.audit.log import MAX_RECORD_BYTES
from feedrank.audit.record import SEALED_NEEDS_KEY, AuditRecord, SpecRef, spec_matches
from feedrank.audit.replay_result import Pair, PostDiff, RecordReplay, ReplayReport
from feedrank.audit.secret_check import check_secret
from feedrank.audit.verify import ProblemKind, _scan
from feedrank.engine.cursor import Cursor
from feedrank.errors import AuditError, FeedrankError

if TYPE_CHECKING:
    from feedrank.batch.context import Context
    from feedrank.batch.posts import PostBatch
    from feedrank.ranking.ranking import Ranking
    from feedrank.spec.pipeline import Pipeline

__all__ = [
    "Opened",
    "PostDiff",
    "RecordReplay",
    "ReplayReport",
    "merge_replays",
    "open_records",
    "replay",
    "replay_record",
]


def _resolve(spec: Pipeline | str | os.PathLike[str] | None) -> Pipeline | None:
    from pathlib import Path

    from feedrank.presets.registry import spec_or_preset
    from feedrank.spec.pipeline import Pipeline

    if spec is None or isinstance(spec, Pipeline):
        return spec
    return spec_or_preset(spec if isinstance(spec, str) else Path(spec))


def replay(
    path: str | os.PathLike[str],
    spec: Pipeline | str | os.PathLike[str] | None = None,
    *,
    data_key: bytes | None = None,
    rtol: float = 0.0,
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> ReplayReport:
    """Rank every record of the log at ``path`` again with ``spec`` and compare.

    ``spec``: a Pipeline, a spec file or a preset name; None replays each record
    with the spec embedded in it. ``data_key`` opens sealed records; without
    it each sealed record is reported with the problem ``sealed`` ("sealed:
    needs the data key") and not replayed, and with another key with ``seal``
    ("seal does not open (wrong data key or altered)"). Every record that
    follows the schema is replayed, also after an integrity fault
    (``report.verify`` says where). ``max_record_bytes`` as for
    :func:`~feedrank.audit.verify`. No content of the log makes replay raise:
    a record that cannot be replayed is reported with its problem.
    """
    pipeline = _resolve(spec)
    key = None if data_key is None else check_secret(data_key, field="data_key")
    report, records = _scan(path, max_record_bytes=max_record_bytes)
    opened = open_records(records, key)
    done = _replay_each(
        [item for item in opened if not isinstance(item, RecordReplay)], pipeline, rtol
    )
    return ReplayReport(str(path), report, tuple(merge_replays(opened, done)))


Opened = tuple[int, AuditRecord] | RecordReplay
"""A record ready to replay (with its line), or the failure that stopped it."""


def open_records(
    records: Iterable[tuple[int, AuditRecord]], data_key: bytes | None
) -> list[Opened]:
    """Each (line, record) with its seal opened by ``data_key``; a sealed record that
    cannot be opened becomes its failed :class:`RecordReplay` (``sealed``, ``seal``
    or ``malformed``)."""
    out: list[Opened] = []
    for line, record in records:
        if record.is_open:
            out.append((line, record))
        elif data_key is None:
            out.append(_failed(record, line, None, SEALED_NEEDS_KEY, "sealed"))
        else:
            try:
                plaintext = record.open_seal(data_key)
            except AuditError as err:
                out.append(_failed(record, line, None, err.message, "seal"))
                continue
            try:
                out.append((line, record.with_plaintext(plaintext)))
            except AuditError as err:
                out.append(_failed(record, line, None, f"in the seal: {err}", "malformed"))
    return out


def merge_replays(opened: Sequence[Opened], done: Sequence[RecordReplay]) -> list[RecordReplay]:
    """The replays of ``opened`` in order: its failures, and ``done`` for the rest."""
    rest = iter(done)
    return [item if isinstance(item, RecordReplay) else next(rest) for item in opened]


def _replay_each(
    records: Iterable[tuple[int, AuditRecord]], pipeline: Pipeline | None, rtol: float
) -> list[RecordReplay]:
    """Replay each (line, record) with ``pipeline``, or with the spec the record
    embeds; a record of a viewer's choice with the effective spec derived from
    its published spec (``pipeline`` when it is that spec) and the choice."""
    cache: dict[str, Pipeline] = {}
    results = []
    for line, record in records:
        use = pipeline
        published: str | None = None
        try:
            if record.choice is not None and (
                pipeline is None or pipeline.fingerprint == record.choice.published.fingerprint
            ):
                use = _effective(record, pipeline, cache)
                published = record.choice.published.fingerprint
            elif use is None:
                use = _embedded(record.spec, record, cache)
        except FeedrankError as err:
            error = f"no spec to replay with: {err}"
            results.append(_failed(record, line, None, error, "spec"))
            continue
        except Exception as err:
            results.append(_failed(record, line, None, _internal(err), "internal"))
            continue
        done = replay_record(record, use, line=line, rtol=rtol)
        if published is not None:
            done = replace(done, published_fingerprint=published)
        results.append(done)
    return results


def _embedded(ref: SpecRef, record: AuditRecord, cache: dict[str, Pipeline]) -> Pipeline:
    """The spec ``ref`` embeds (cached by fingerprint when it hashes to it)."""
    from feedrank.spec.files import parse_spec

    # Only a spec that hashes to its fingerprint stands for every record
    # naming that fingerprint; an altered one replays as itself.
    genuine = spec_matches(ref)
    hit = cache.get(ref.fingerprint) if genuine else None
    if hit is not None:
        return hit
    if ref.canonical is None:
        raise AuditError(
            "the record does not embed its spec",
            field="spec.canonical" if ref is record.spec else "choice.published.canonical",
            expected="a spec passed to replay",
        )
    spec = parse_spec(ref.canonical)
    if genuine:
        cache[ref.fingerprint] = spec
    return spec


def _effective(
    record: AuditRecord, pipeline: Pipeline | None, cache: dict[str, Pipeline]
) -> Pipeline:
    """The effective spec of the record's choice: its published spec (``pipeline``,
    or the one it embeds) with the logged alternative and settings applied."""
    from feedrank.spec.choice import Choice, choose

    choice = record.choice
    assert choice is not None
    published = pipeline if pipeline is not None else _embedded(choice.published, record, cache)
    try:
        return choose(published, Choice(choice.alternative, dict(choice.settings))).effective
    except FeedrankError as err:
        raise AuditError(
            f"the logged choice does not apply to its published spec: {err}", field="choice"
        ) from None


def _internal(err: BaseException) -> str:
    return f"feedrank failed on this record ({type(err).__name__}: {err})"


def _failed(
    record: AuditRecord, line: int, fp: str | None, error: str, kind: ProblemKind
) -> RecordReplay:
    return RecordReplay(
        record.seq, line, record.request_id, record.spec.fingerprint, fp, (), 0, error, kind
    )


def replay_record(
    record: AuditRecord, pipeline: Pipeline, *, line: int | None = None, rtol: float = 0.0
) -> RecordReplay:
    """Rank one record again with ``pipeline`` and compare it with the log.

    A sealed record must be opened first (:meth:`AuditRecord.unseal`), else the
    result has the problem ``sealed``. A record that cannot be rebuilt or ranked
    is a result with the problem ``malformed``; any other exception (a fault of
    feedrank, not of the record) is reported as ``internal`` rather than raised,
    so one record never stops the replay of a log.
    """
    where = record.seq if line is None else line
    if not record.is_open:
        return _failed(record, where, pipeline.fingerprint, SEALED_NEEDS_KEY, "sealed")
    try:
        batch = record.batch()
        ctx = record.context(batch)
        ranking = _rank_again(record, pipeline, batch, ctx)
        diffs, moves_changed = _compare(record, ranking, rtol)
    except (FeedrankError, ValueError, IndexError, OverflowError) as err:  # a bad record
        return _failed(record, where, pipeline.fingerprint, str(err), "malformed")
    except Exception as err:
        return _failed(record, where, pipeline.fingerprint, _internal(err), "internal")
    return RecordReplay(
        record.seq,
        where,
        record.request_id,
        record.spec.fingerprint,
        pipeline.fingerprint,
        tuple(diffs),
        moves_changed,
    )


def _rank_again(record: AuditRecord, pipeline: Pipeline, batch: PostBatch, ctx: Context) -> Ranking:
    """Rank the record's request again with ``pipeline``: its candidates ``batch`` and
    context ``ctx``, its ``now``, page size and the key its page started after."""
    page = record.page_input()
    cursor = None
    if page.after is not None:
        a = page.after
        cursor = Cursor(pipeline.fingerprint, record.now, a.tier, a.score, a.created_at, a.post_id)
    return pipeline.rank(batch, ctx, limit=page.limit, cursor=cursor)


def _differs(a: NDArray[np.float64], b: NDArray[np.float64], rtol: float) -> NDArray[np.bool_]:
    """Elementwise: values differ (NaN = absent; absent vs present differs)."""
    na, nb = np.isnan(a), np.isnan(b)
    with np.errstate(invalid="ignore"):
        close = (a == b) | (np.abs(a - b) <= rtol * np.maximum(np.abs(a), np.abs(b)))
    out: NDArray[np.bool_] = (na != nb) | (~na & ~nb & ~close)
    return out


_NO_TIER = np.iinfo(np.int64).min
"""The tier of a post that was not kept."""


def _tier(t: np.int64) -> int | None:
    return None if t == _NO_TIER else int(t)


def _value(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def _rows(rows: NDArray[np.intp], n: int, where: str) -> NDArray[np.intp]:
    """``rows`` if they are distinct candidate rows, else AuditError naming ``where``."""
    if rows.size and (int(rows.min()) < 0 or int(rows.max()) >= n):
        raise AuditError("rows outside the candidates", field=where, expected=f"rows 0..{n - 1}")
    if np.unique(rows).shape[0] != rows.shape[0]:
        raise AuditError("a row given twice", field=where, expected="distinct candidate rows")
    return rows


def _same_length(values: Any, rows: NDArray[Any], where: str, what: str) -> None:
    if len(values) != rows.shape[0]:
        raise AuditError(
            f"{len(values)} values for {rows.shape[0]} {what}", field=where, expected="one per row"
        )


def _compare(record: AuditRecord, r: Ranking, rtol: float) -> tuple[list[PostDiff], int]:
    out = record.require_outputs()
    n = len(r.candidates)
    ids = r.candidates.ids
    # logged, per candidate row
    order_l = _rows(record.order(), n, "outputs.feed.order")
    scores_l, tiers_l = record.scores(), record.tiers()
    _same_length(scores_l, order_l, "outputs.feed.scores", "kept posts")
    _same_length(tiers_l, order_l, "outputs.feed.tier", "kept posts")
    pos_l = np.full(n, -1, dtype=np.intp)
    pos_l[order_l] = np.arange(order_l.shape[0])
    score_l = np.full(n, np.nan)
    score_l[order_l] = scores_l
    tier_l = np.full(n, _NO_TIER, dtype=np.int64)
    tier_l[order_l] = tiers_l
    removed_rows = _rows(record.removed_rows(), n, "outputs.removed.rows")
    _same_length(out.removed.reasons, removed_rows, "outputs.removed.reasons", "removed rows")
    removed_l = np.full(n, "", dtype=object)
    removed_l[removed_rows] = out.removed.reasons
    # What was served is what the page says (ids, positions, scores), whatever
    # the feed arrays say: a record whose two views disagree shows as a difference.
    start, stop, k = out.page.start, out.page.stop, len(out.page.ids)
    if not start <= stop <= order_l.shape[0] or stop - start != k:
        raise AuditError(
            f"page [{start}, {stop}) of {k} post(s) in a feed of {order_l.shape[0]}",
            field="outputs.page.start",
            expected="start <= stop <= the feed's length, stop - start posts on the page",
        )
    page_l = r.candidates.index_of(out.page.ids)
    if np.any(page_l < 0) or np.unique(page_l).shape[0] != page_l.shape[0]:
        raise AuditError("names unknown or repeated posts", field="outputs.page.ids")
    served_l = np.zeros(n, dtype=bool)
    served_l[page_l] = True
    pos_l[page_l] = start + np.arange(page_l.shape[0])
    score_l[page_l] = record.page_scores()
    # replayed
    order_r = r.kept[r.order]
    pos_r = np.full(n, -1, dtype=np.intp)
    pos_r[order_r] = np.arange(order_r.shape[0])
    score_r = np.full(n, np.nan)
    score_r[order_r] = r.scores[r.order]
    tier_r = np.full(n, _NO_TIER, dtype=np.int64)
    tier_r[order_r] = r.tier[r.order]
    removed_r = r.removed_reasons.astype(object)
    served_r = np.zeros(n, dtype=bool)
    served_r[order_r[r.page_start : r.page_stop]] = True
    kept_row = np.full(n, -1, dtype=np.intp)
    kept_row[r.kept] = np.arange(r.kept.shape[0])

    flagged = (
        (pos_l != pos_r)
        | (served_l != served_r)
        | (removed_l != removed_r)
        | (tier_l != tier_r)
        | _differs(score_l, score_r, rtol)
    )
    parts: dict[int, tuple[dict[str, Pair], dict[str, Pair]]] = {}
    for kind, names_l, values_l, names_r, values_r in (
        ("t", out.term_names, record.contributions(), r.term_names, r.contributions),
        ("f", out.factor_names, record.factors(), r.factor_names, r.factors),
    ):
        rows_r = kept_row[page_l]
        for name in dict.fromkeys([*names_l, *names_r]):
            a = (
                values_l[:, names_l.index(name)]
                if name in names_l
                else np.full(len(page_l), np.nan)
            )
            b = np.full(len(page_l), np.nan)
            if name in names_r:
                col = values_r[:, list(names_r).index(name)]
                b = np.where(rows_r >= 0, col[np.maximum(rows_r, 0)] if col.size else np.nan, b)
            for i in np.flatnonzero(_differs(a, b, rtol)).tolist():
                c = int(page_l[i])
                flagged[c] = True
                slot = parts.setdefault(c, ({}, {}))[0 if kind == "t" else 1]
                slot[name] = (_value(a[i]), _value(b[i]))
    diffs = []
    for c in np.flatnonzero(flagged).tolist():
        terms, facts = parts.get(c, ({}, {}))
        diffs.append(
            PostDiff(
                post_id=str(ids[c]),
                position=(
                    int(pos_l[c]) if pos_l[c] >= 0 else None,
                    int(pos_r[c]) if pos_r[c] >= 0 else None,
                ),
                served=(bool(served_l[c]), bool(served_r[c])),
                score=(_value(score_l[c]), _value(score_r[c])),
                removed=(str(removed_l[c]), str(removed_r[c])),
                contributions=terms,
                factors=facts,
                tier=(_tier(tier_l[c]), _tier(tier_r[c])),
            )
        )
    diffs.sort(key=lambda d: (min(p for p in (*d.position, n) if p is not None), d.post_id))
    logged_moves = set(record.moves())
    replayed_moves = set(
        zip(
            r.kept[r.moves.rows].tolist(),
            r.moves.stages.tolist(),
            r.moves.before.tolist(),
            r.moves.after.tolist(),
            r.moves.reasons.tolist(),
            strict=True,
        )
    )
    return diffs, len(logged_moves ^ replayed_moves)
