"""The conformance checks and :func:`check_component`, which runs those that apply.

Every check runs on sample data (:func:`~feedrank.testing.sample.sample_data`
unless other data is given) and raises :class:`~feedrank.errors.ConformanceError`
naming the component, the check and what failed. A component that raises
during a check fails that check too, with the exception in the message.

The checks, in running order, and the kinds they apply to:

- ``spec_round_trip`` (all): model_dump → registry parse → equal; the pipeline
  (or the component inside a small one) dumped to TOML and JSON loads back with
  the same fingerprint and is written again to the same text.
- ``output_shape`` (all): shapes and dtypes (a signal's notes too); a signal's
  values within its declared domain; codes within their table, tables of
  non-empty strings, multipliers finite and > 0, tiers >= 0; for a ranking,
  kept and removed posts partition the candidates and the order is the
  documented total order.
- ``inputs_not_mutated`` (all): the batch, the context (and a re-ranker's order
  and scores) are byte-identical after the call.
- ``determinism`` (all): two calls, and a call on a copy of the inputs, give
  identical bytes.
- ``empty_batch`` (all): a request without candidates, two of them, and no
  requests at all.
- ``order_invariance`` (all): permuting a request's candidates permutes the
  output the same way (a re-ranker gets its order mapped accordingly; a
  pipeline ranks the same posts with the same scores and moves).
- ``codes_reasons`` (filter): ``reasons`` equals ``codes_many(...).reasons()``
  for every request, and ``keep`` agrees.
- ``filter_idempotence`` (filter, pipeline): applied to the posts it kept, it
  removes nothing more (and a pipeline ranks them the same, with the same
  moves unless a re-ranker removed posts: those moved the others).
- ``many_requests`` (signal, filter, re-ranker): ``compute_many``,
  ``codes_many`` or ``adjust_many`` over stacked requests (one of them empty)
  equals the per-request method request by request, bit for bit.
- ``rank_many`` (all): ``rank`` per request equals ``rank_many(...)[i]`` in
  every array, bit for bit.
- ``score_decomposition`` (all): Σ contributions × Π factors, rounded as the
  scorer rounds, is the score (to 1e-9 relative); contributions are inputs ×
  weights.

For ``rank_many`` and ``score_decomposition`` a signal, filter or re-ranker is
ranked inside a small pipeline: a signal as a term (and as a factor where its
values are finite and >= 0), a filter or re-ranker with a simple engagement
scorer.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.requests import Requests
from feedrank.errors import ConformanceError
from feedrank.ranking.ranking import Ranking, final_order
from feedrank.spec.files import dump_spec, load_spec, parse_spec
from feedrank.spec.pipeline import Pipeline
from feedrank.stages.filters.base import Filter
from feedrank.stages.rerank.base import Reranker
from feedrank.stages.scoring import round_like_python
from feedrank.stages.signals.base import Signal
from feedrank.testing.compare import (
    Rows,
    concat_rows,
    permute_rows,
    ranking_difference,
    rows_difference,
    snapshot,
    snapshot_difference,
)
from feedrank.testing.sample import SampleData, sample_data
from feedrank.testing.subjects import (
    PAGE,
    ContractError,
    FilterSubject,
    PartSubject,
    Subject,
    check_table,
    checked_reasons,
    subject_of,
)

__all__ = ["CHECKS", "RTOL", "Check", "check_component", "checks_for"]

RTOL = 1e-9
"""Relative tolerance of :data:`score_decomposition`."""


# ----------------------------------------------------------------- helpers
def _fail_if(found: str | None, context: str) -> None:
    if found is not None:
        raise ContractError(f"{context}: {found}")


def _permutation(n: int, request: int) -> NDArray[np.intp]:
    """A fixed permutation of ``n`` rows that moves every row when n > 1."""
    perm = np.random.default_rng(request).permutation(n).astype(np.intp)
    if n > 1 and np.any(perm == np.arange(n)):
        perm = np.roll(perm, 1)
    return perm


def _pipeline_round_trip(pipe: Pipeline) -> None:
    again = parse_spec(json.loads(json.dumps(pipe.to_spec())))
    if again != pipe:
        raise ContractError(f"pipeline {pipe.name!r}: to_spec() → parse_spec() is not equal")
    for fmt in ("toml", "json"):
        text = dump_spec(pipe, fmt)
        loaded = load_spec(text, format=fmt)
        if loaded != pipe or loaded.fingerprint != pipe.fingerprint:
            raise ContractError(f"pipeline {pipe.name!r} loaded from {fmt.upper()} differs")
        if dump_spec(loaded, "canonical") != dump_spec(pipe, "canonical"):
            raise ContractError(f"pipeline {pipe.name!r}: canonical JSON differs after {fmt}")
        if dump_spec(loaded, fmt) != text:
            raise ContractError(f"pipeline {pipe.name!r}: {fmt.upper()} written again differs")


def _rank_all(pipe: Pipeline, data: SampleData, limit: int | None = None) -> list[Ranking]:
    return [pipe.rank(b, c, limit=limit) for b, c in data.requests]


def _by_post(r: Ranking) -> tuple[Any, ...]:
    """A ranking as a function of post ids (independent of the candidates' order)."""
    ids = r.candidates.ids[r.kept].tolist()
    rows = {
        pid: tuple(
            np.ascontiguousarray(getattr(r, name)[row]).tobytes()
            for name in ("inputs", "contributions", "factors", "scores", "tier")
        )
        for row, pid in enumerate(ids)
    }
    moves = sorted(
        (m.post_id, m.stage, m.before, m.after, m.reason) for pid in ids for m in r.moves_of(pid)
    )
    return r.all_post_ids, sorted(r.removed().items()), rows, moves, r.post_ids, r.next_cursor


# ------------------------------------------------------------------ checks
def _spec_round_trip(s: Subject, data: SampleData) -> None:
    """model_dump → registry parse → equal; TOML and JSON keep the fingerprint."""
    if isinstance(s, PartSubject):
        c = s.component
        if c.type not in s.registry:
            raise ContractError(
                f"type {c.type!r} is not registered; decorate the class with register_{s.kind}"
            )
        if s.registry[c.type] is not type(c):
            raise ContractError(
                f"type {c.type!r} is registered by {s.registry[c.type].__qualname__}, "
                f"not {type(c).__qualname__}"
            )
        dumped = c.model_dump(mode="json")
        again = s.registry.parse(json.loads(json.dumps(dumped)))
        if again != c:
            raise ContractError(f"model_dump() parsed back is {again!r}")
        if again.model_dump(mode="json") != dumped:
            raise ContractError("model_dump() of the parsed component differs")
    for pipe in s.wrappers():
        _pipeline_round_trip(pipe)


def _ranking_shape(r: Ranking, pipe: Pipeline) -> None:
    n, m = len(r.candidates), r.kept.shape[0]
    terms, factors = len(r.term_names), len(r.factor_names)
    shapes = {
        "inputs": ((m, terms), np.float64),
        "contributions": ((m, terms), np.float64),
        "factors": ((m, factors), np.float64),
        "scores": ((m,), np.float64),
        "tier": ((m,), np.int64),
        "order": ((m,), np.intp),
        "kept": ((m,), np.intp),
        "removed_codes": ((n,), np.intp),
    }
    for name, (shape, dtype) in shapes.items():
        value = getattr(r, name)
        if value.shape != shape or value.dtype != dtype:
            raise ContractError(
                f"ranking {name} has shape {value.shape} and dtype {value.dtype}, "
                f"expected {shape} and {np.dtype(dtype)}"
            )
    check_table(r.removed_table, r.removed_codes, n, "ranking removed")
    if not np.array_equal(np.sort(r.order), np.arange(m)):
        raise ContractError("ranking order is not a permutation of the kept rows")
    if not np.array_equal(r.kept, np.flatnonzero(r.removed_codes == 0)):
        raise ContractError("the kept rows are not exactly the candidates without a removal code")
    batch = r.kept_batch
    want = final_order(r.tier, r.scores, batch.created_at, batch.ids)
    if not np.array_equal(r.order, want):
        raise ContractError("ranking order is not by tier, score, created_at descending, then id")
    if not 0 <= r.page_start <= r.page_stop <= min(m, r.page_start + pipe.limit):
        raise ContractError(f"page {r.page_start}:{r.page_stop} of {m} kept posts")


def _output_shape(s: Subject, data: SampleData) -> None:
    """Shapes, dtypes, codes within their tables, multipliers, tiers, the total order."""
    if isinstance(s, PartSubject):
        for batch, ctx in data.requests:
            s.one(batch, ctx)
            s.many(batch, Requests.one(ctx))
        s.many(*data.stacked(with_empty=False))
        return
    for r in _rank_all(s.component, data):
        _ranking_shape(r, s.component)


def _inputs_not_mutated(s: Subject, data: SampleData) -> None:
    """The batch, the context and the arrays given are byte-identical after the call."""

    def watch(call: Callable[..., Any], **inputs: Any) -> None:
        before = snapshot(inputs)
        call(*inputs.values())
        changed = snapshot_difference(before, snapshot(inputs))
        if changed is not None:
            raise ContractError(f"the call changed {changed}")

    if isinstance(s, PartSubject):
        for batch, ctx in data.requests:
            extra = s.prepare(batch, Requests.one(ctx))
            watch(s.call_one, batch=batch, context=ctx, extra=extra)
        batch, requests = data.stacked(with_empty=False)
        watch(s.call_many, batch=batch, requests=requests, extra=s.prepare(batch, requests))
        return
    pipe: Pipeline = s.component
    for batch, ctx in data.requests:
        watch(pipe.rank, batch=batch, context=ctx)
    batch, requests = data.stacked(with_empty=False)
    watch(pipe.rank_many, batch=batch, requests=requests, offsets=requests.offsets)


def _determinism(s: Subject, data: SampleData) -> None:
    """Two calls, and a call on a copy of the inputs, give identical bytes."""
    for i, (batch, ctx) in enumerate(data.requests):
        copied = copy.deepcopy((batch, ctx))
        if isinstance(s, PartSubject):
            first = s.one(batch, ctx)
            _fail_if(rows_difference(first, s.one(batch, ctx)), f"request {i}, second call")
            _fail_if(rows_difference(first, s.one(*copied)), f"request {i}, a copy of the inputs")
        else:
            r = s.component.rank(batch, ctx)
            _fail_if(ranking_difference(r, s.component.rank(batch, ctx)), f"request {i}, again")
            _fail_if(ranking_difference(r, s.component.rank(*copied)), f"request {i}, a copy")
    if isinstance(s, PartSubject):
        batch, requests = data.stacked(with_empty=False)
        first = s.many(batch, requests)
        _fail_if(rows_difference(first, s.many(batch, requests)), "stacked requests, again")


def _empty_batch(s: Subject, data: SampleData) -> None:
    """A request without candidates, two of them, and no requests at all."""
    batch, ctx = data.empty
    two = Requests.from_contexts([ctx, ctx])
    none = Requests.from_contexts([])
    if isinstance(s, PartSubject):
        s.one(batch, ctx)
        s.many(batch, two)
        s.many(batch, none)
        return
    pipe: Pipeline = s.component
    r = pipe.rank(batch, ctx)
    if r.post_ids or r.removed() or r.scores.shape != (0,):
        raise ContractError("an empty batch ranks to a non-empty feed")
    _ranking_shape(r, pipe)
    if len(pipe.rank_many(batch, two, two.offsets)) != 2:
        raise ContractError("two empty requests do not give two rankings")
    if len(pipe.rank_many(batch, none, none.offsets)) != 0:
        raise ContractError("no requests do not give an empty RankingBatch")


def _order_invariance(s: Subject, data: SampleData) -> None:
    """Permuting the candidates permutes the output the same way."""
    for i, (batch, ctx) in enumerate(data.requests):
        perm = _permutation(len(batch), i)
        inverse = np.argsort(perm).astype(np.intp)
        pbatch, pctx = batch.take(perm), ctx.take(perm)
        if isinstance(s, PartSubject):
            extra = s.prepare(batch, Requests.one(ctx))
            want = permute_rows(s.call_one(batch, ctx, extra), perm)
            got = s.call_one(pbatch, pctx, s.permute_extra(extra, perm, inverse))
            _fail_if(rows_difference(want, got), f"request {i} with its rows permuted")
        else:
            a, b = _by_post(s.component.rank(batch, ctx)), _by_post(s.component.rank(pbatch, pctx))
            for name, x, y in zip(
                ("order", "removals", "scores", "moves", "page", "cursor"), a, b, strict=True
            ):
                if x != y:
                    raise ContractError(f"request {i} with its rows permuted: the {name} differ")


def _codes_reasons(s: Subject, data: SampleData) -> None:
    """reasons() equals codes_many().reasons() per request; keep() agrees."""
    filt: Filter = s.component
    for i, (batch, ctx) in enumerate(data.requests):
        reasons = checked_reasons(filt.reasons(batch, ctx), len(batch), "reasons()")
        codes = filt.codes_many(batch, Requests.one(ctx))
        coded = codes.reasons()
        if reasons.tolist() != coded.tolist():
            row = int(np.argmax(reasons != coded))
            raise ContractError(
                f"request {i}, post {str(batch.ids[row])!r}: reasons() says "
                f"{str(reasons[row])!r}, codes_many() {str(coded[row])!r}"
            )
        keep = filt.keep(batch, ctx)
        if not np.array_equal(keep, reasons == "") or not np.array_equal(keep, codes.codes == 0):
            raise ContractError(f"request {i}: keep() disagrees with the reasons")


def _filter_idempotence(s: Subject, data: SampleData) -> None:
    """Applied to the posts it kept, it removes nothing more."""
    for i, (batch, ctx) in enumerate(data.requests):
        if isinstance(s, FilterSubject):
            kept = np.flatnonzero(s.component.reasons(batch, ctx) == "").astype(np.intp)
            again = s.component.reasons(batch.take(kept), ctx.take(kept))
            more = np.flatnonzero(again != "")
            if more.shape[0]:
                row = int(more[0])
                raise ContractError(
                    f"request {i}: applied to the {kept.shape[0]} posts it kept, it removes "
                    f"{more.shape[0]} more (post {str(batch.ids[kept[row]])!r}: "
                    f"{str(again[row])!r})"
                )
            continue
        pipe: Pipeline = s.component
        first = pipe.rank(batch, ctx)
        kept = first.kept
        second = pipe.rank(batch.take(kept), ctx.take(kept))
        if second.removed():
            pid, why = next(iter(second.removed().items()))
            raise ContractError(
                f"request {i}: ranked again on the posts it kept, it removes "
                f"{len(second.removed())} more (post {pid!r}: {why!r})"
            )
        # Posts a re-ranker removed moved the others up; ranked alone, the kept
        # posts make no such moves: then only the moves may differ.
        by_rerankers = any(
            first.removed_stages[code - 1] >= 0 for code in np.unique(first.removed_codes) if code
        )
        a, b = _by_post(first), _by_post(second)
        if by_rerankers:
            a, b = a[:3] + a[4:], b[:3] + b[4:]
        if a[2:] != b[2:] or first.all_post_ids != second.all_post_ids:
            raise ContractError(f"request {i}: the kept posts alone rank differently")


def _many_requests(s: Subject, data: SampleData) -> None:
    """The batched method over stacked requests equals the per-request method."""
    assert isinstance(s, PartSubject)
    batch, requests = data.stacked()
    singles = data.singles()
    extras = [s.prepare(b, Requests.one(c)) for b, c in singles]
    rows: list[Rows] = []
    for i, ((b, c), extra) in enumerate(zip(singles, extras, strict=True)):
        one = s.call_one(b, c, extra)
        _fail_if(
            rows_difference(one, s.call_many(b, Requests.one(c), extra)),
            f"request {i}: the per-request method and the batched one for that request",
        )
        rows.append(one)
    joined = concat_rows(rows)
    if isinstance(joined, str):
        raise ContractError(f"per request, {joined}")
    stacked = s.call_many(batch, requests, s.concat_extra(extras, requests.offsets))
    what = f"{len(requests)} stacked requests differ from each request alone"
    for i, start, stop in requests.bounds():
        _fail_if(
            rows_difference(_rows_of(joined, start, stop), _rows_of(stacked, start, stop)),
            f"{what}, request {i}",
        )
    _fail_if(rows_difference(joined, stacked), what)


def _rows_of(rows: Rows, start: int, stop: int) -> Rows:
    return {k: None if v is None else v[start:stop] for k, v in rows.items()}


def _rank_many(s: Subject, data: SampleData) -> None:
    """rank() per request equals rank_many()[i] in every array, bit for bit."""
    batch, requests = data.stacked()
    singles = data.singles()
    for pipe in s.pipelines(data):
        many = pipe.rank_many(batch, requests, requests.offsets, limit=PAGE)
        for i, (b, c) in enumerate(singles):
            _fail_if(
                ranking_difference(pipe.rank(b, c, limit=PAGE), many[i]),
                f"pipeline {pipe.name!r}, request {i}: rank() vs rank_many()[{i}]",
            )


def _score_decomposition(s: Subject, data: SampleData) -> None:
    """Σ contributions × Π factors, rounded as the scorer rounds, is the score."""
    for pipe in s.pipelines(data):
        weights = np.array([t.weight for t in pipe.scorer.terms], dtype=np.float64)
        digits = pipe.scorer.round_digits
        for i, r in enumerate(_rank_all(pipe, data, limit=10_000)):
            where = f"pipeline {pipe.name!r}, request {i}"
            _fail_if(
                rows_difference(
                    {"contributions": r.contributions}, {"contributions": r.inputs * weights}
                ),
                f"{where}: contributions are not inputs × weights",
            )
            rebuilt = r.contributions.sum(axis=1) * r.factors.prod(axis=1)
            if digits is not None:
                rebuilt = round_like_python(rebuilt, digits)
            bad = ~np.isclose(r.scores, rebuilt, rtol=RTOL, atol=0.0)
            if bad.any():
                row = int(np.argmax(bad))
                raise ContractError(
                    f"{where}, post {str(r.kept_batch.ids[row])!r}: score "
                    f"{float(r.scores[row])!r} but Σ contributions × Π factors = "
                    f"{float(rebuilt[row])!r}"
                )
            for item in r.to_dict()["items"]:
                total = sum(item["contributions"].values()) * float(
                    np.prod(list(item["factors"].values()))
                )
                if digits is not None:
                    total = round(total, digits)
                if abs(item["score"] - total) > RTOL * abs(item["score"]):
                    raise ContractError(
                        f"{where}: to_dict() item {item['post_id']!r} does not add up"
                    )


@dataclass(frozen=True)
class Check:
    """One conformance check: its ``name``, the kinds it applies to and what it
    asserts (``doc``)."""

    name: str
    kinds: tuple[str, ...]
    run: Callable[[Subject, SampleData], None]

    @property
    def doc(self) -> str:
        """What the check asserts, in one line."""
        return (self.run.__doc__ or "").strip().splitlines()[0]


_ALL = ("signal", "filter", "reranker", "pipeline")
CHECKS: tuple[Check, ...] = (
    Check("spec_round_trip", _ALL, _spec_round_trip),
    Check("output_shape", _ALL, _output_shape),
    Check("inputs_not_mutated", _ALL, _inputs_not_mutated),
    Check("determinism", _ALL, _determinism),
    Check("empty_batch", _ALL, _empty_batch),
    Check("order_invariance", _ALL, _order_invariance),
    Check("codes_reasons", ("filter",), _codes_reasons),
    Check("filter_idempotence", ("filter", "pipeline"), _filter_idempotence),
    Check("many_requests", ("signal", "filter", "reranker"), _many_requests),
    Check("rank_many", _ALL, _rank_many),
    Check("score_decomposition", _ALL, _score_decomposition),
)
"""Every check, in the order :func:`check_component` runs them."""


def checks_for(component: Any) -> tuple[str, ...]:
    """The names of the checks that apply to ``component``, in running order.

    >>> from feedrank.stages.filters import Seen
    >>> checks_for(Seen())[-4:]
    ('filter_idempotence', 'many_requests', 'rank_many', 'score_decomposition')
    """
    kind = subject_of(component).kind
    return tuple(c.name for c in CHECKS if kind in c.kinds)


def check_component(
    component: Signal | Filter | Reranker | Pipeline,
    *,
    data: SampleData | None = None,
    checks: Iterable[str] | None = None,
) -> tuple[str, ...]:
    """Run every check that applies to a signal, filter, re-ranker or pipeline
    (or only ``checks``) on ``data`` (default: :func:`sample_data`) and return
    the names of the checks run; the first failure raises
    :class:`~feedrank.errors.ConformanceError` naming the component, the check
    and what failed. A signal, filter or re-ranker must be registered.

    A third party's signal that implements only the per-request ``compute``:

    >>> from typing import ClassVar
    >>> import numpy as np
    >>> from feedrank.stages.signals import Signal, register_signal
    >>> @register_signal
    ... class RepliesPerLike(Signal):
    ...     '''Replies per like, smoothed.'''
    ...     type: str = "example_replies_per_like"
    ...     reads: ClassVar[tuple[str, ...]] = ("counts",)
    ...     def compute(self, batch, ctx):
    ...         return batch.count("reply") / (batch.count("like") + 1.0)
    >>> check_component(RepliesPerLike())[:3]
    ('spec_round_trip', 'output_shape', 'inputs_not_mutated')

    One whose value depends on the position of the post in the batch:

    >>> @register_signal
    ... class Position(Signal):
    ...     '''The row of the post.'''
    ...     type: str = "example_position"
    ...     def compute(self, batch, ctx):
    ...         return np.arange(len(batch), dtype=np.float64)
    >>> check_component(Position())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    feedrank.errors.ConformanceError: signal 'example_position' (...) failed check 'order_inv...
    """
    subject = subject_of(component)
    applicable = [c for c in CHECKS if subject.kind in c.kinds]
    if checks is not None:
        wanted = list(checks)
        names = {c.name for c in applicable}
        unknown = [name for name in wanted if name not in names]
        if unknown:
            raise ValueError(
                f"checks {unknown} do not apply to a {subject.kind}; "
                f"those that do: {', '.join(c.name for c in applicable)}"
            )
        applicable = [c for c in applicable if c.name in wanted]
    base = sample_data() if data is None else data
    ran: list[str] = []
    for check in applicable:
        try:
            check.run(subject, base.copy())
        except ContractError as found:
            raise ConformanceError(str(found), component=subject.label, check=check.name) from None
        except Exception as exc:
            raise ConformanceError(
                f"raised {type(exc).__name__}: {exc}", component=subject.label, check=check.name
            ) from exc
        ran.append(check.name)
    return tuple(ran)
