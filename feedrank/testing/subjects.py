"""What the conformance checks test: a component (or pipeline) seen through one
interface, whatever its kind.

A :class:`Subject` runs the component's per-request and batched methods on
sample requests and returns comparable outputs; :func:`subject_of` picks the
subject of a component by kind. A :class:`ContractError` marks an output that
breaks the component contract (the checks turn it into a ConformanceError).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.batch.segments import segmented_order
from feedrank.models import InteractionKind
from feedrank.spec.pipeline import Pipeline
from feedrank.stages.components import Registry
from feedrank.stages.filters.base import FILTERS, Codes, Filter
from feedrank.stages.policy import Declares, Policy
from feedrank.stages.rerank.base import RERANKERS, CodedStep, Reranker, RerankStep
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals.base import SIGNALS, Signal
from feedrank.stages.signals.engagement import Interactions
from feedrank.testing.compare import (
    Rows,
)
from feedrank.testing.sample import SampleData

__all__ = [
    "CONFORMANCE_POLICY",
    "ENGAGEMENT",
    "PAGE",
    "ContractError",
    "FilterSubject",
    "PartSubject",
    "PipelineSubject",
    "RerankerSubject",
    "SignalSubject",
    "Subject",
    "check_table",
    "checked_array",
    "checked_reasons",
    "subject_of",
    "with_policy",
]

CONFORMANCE_POLICY = Policy(
    name="conformance",
    kind="visibility_restriction",
    ground="terms",
    reference="the conformance suite's own rule",
    explanation="Declared so that a restricting component can run in a pipeline.",
    category="STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
)
"""The policy the conformance wrappers give a restricting component that declares
none (a pipeline refuses a visibility restriction without a policy)."""


def with_policy(component: Any) -> Any:
    """``component``, with :data:`CONFORMANCE_POLICY` if it restricts visibility and
    declares no policy (anything else is returned as it is)."""
    if (
        isinstance(component, Declares)
        and component.intrinsic_effect == "visibility_restriction"
        and component.policy is None
    ):
        return component.model_copy(update={"policy": CONFORMANCE_POLICY})
    return component


ENGAGEMENT = Scorer(
    terms=(
        Term(
            name="engagement",
            signal=Interactions(
                weights={
                    InteractionKind.LIKE: 1.0,
                    InteractionKind.REPOST: 2.0,
                    InteractionKind.REPLY: 3.0,
                    InteractionKind.HIDE: -4.0,
                }
            ),
            weight=1.0,
        ),
    )
)
"""The simple scorer a filter or re-ranker is ranked with (some scores negative)."""
PAGE = 5
"""Page size of the ``rank_many`` check, so pages end before the feed does."""
RTOL = 1e-9
"""Relative tolerance of :data:`score_decomposition`."""


class ContractError(Exception):
    """A check found the component at fault (turned into a ConformanceError)."""


# ---------------------------------------------------------------- subjects
class Subject:
    """What the checks need of one kind of component."""

    kind: str = ""

    def __init__(self, component: Any) -> None:
        self.component = component

    @property
    def label(self) -> str:
        return f"{self.kind} {self.component.type!r} ({self.component!r})"

    def pipelines(self, data: SampleData) -> tuple[Pipeline, ...]:
        """The pipelines the component is ranked in on ``data``."""
        return self.wrappers()

    def wrappers(self) -> tuple[Pipeline, ...]:
        """Every pipeline the component may be ranked in."""
        raise NotImplementedError


class PartSubject(Subject):
    """A signal, filter or re-ranker: a per-request and a batched method."""

    registry: Registry[Any]

    def prepare(self, batch: PostBatch, requests: Requests) -> tuple[NDArray[Any], ...]:
        """Arrays the component receives besides the batch and its requests."""
        return ()

    def permute_extra(
        self, extra: tuple[NDArray[Any], ...], perm: NDArray[np.intp], inverse: NDArray[np.intp]
    ) -> tuple[NDArray[Any], ...]:
        return extra

    def concat_extra(
        self, parts: list[tuple[NDArray[Any], ...]], offsets: NDArray[np.intp]
    ) -> tuple[NDArray[Any], ...]:
        return ()

    def call_one(self, batch: PostBatch, ctx: Context, extra: tuple[NDArray[Any], ...]) -> Rows:
        raise NotImplementedError

    def call_many(
        self, batch: PostBatch, requests: Requests, extra: tuple[NDArray[Any], ...]
    ) -> Rows:
        raise NotImplementedError

    def one(self, batch: PostBatch, ctx: Context) -> Rows:
        return self.call_one(batch, ctx, self.prepare(batch, Requests.one(ctx)))

    def many(self, batch: PostBatch, requests: Requests) -> Rows:
        return self.call_many(batch, requests, self.prepare(batch, requests))


def checked_array(value: Any, n: int, what: str, kinds: str, dtype: Any = None) -> NDArray[Any]:
    if not isinstance(value, np.ndarray):
        raise ContractError(f"{what} returned a {type(value).__name__}, not an ndarray")
    if value.shape != (n,):
        raise ContractError(f"{what} returned shape {value.shape} for {n} rows")
    if dtype is not None and value.dtype != dtype:
        raise ContractError(f"{what} returned dtype {value.dtype}, not {np.dtype(dtype)}")
    if n and value.dtype.kind not in kinds:
        raise ContractError(f"{what} returned dtype {value.dtype}")
    return value


def check_table(table: Any, codes: Any, n: int, what: str) -> None:
    if not isinstance(table, tuple) or not all(isinstance(t, str) and t for t in table):
        raise ContractError(f"{what} has table {table!r}; expected a tuple of non-empty strings")
    checked_array(codes, n, f"{what} codes", "i", np.intp)
    if n and (codes.min() < 0 or codes.max() > len(table)):
        raise ContractError(
            f"{what} codes run from {int(codes.min())} to {int(codes.max())} "
            f"for a table of {len(table)}"
        )


def checked_reasons(values: Any, n: int, what: str) -> NDArray[np.str_]:
    out = checked_array(values, n, what, "UT")
    return np.asarray(out, dtype=np.str_) if n else np.zeros(0, dtype="U1")


class SignalSubject(PartSubject):
    kind = "signal"
    registry = SIGNALS

    def call_one(self, batch: PostBatch, ctx: Context, extra: tuple[NDArray[Any], ...]) -> Rows:
        values = self.component.compute(batch, ctx)
        notes = self.component.notes(batch, ctx)
        if notes is not None:
            checked_reasons(notes, len(batch), "notes()")
        return {"values": self._in_domain(values, len(batch), "compute()")}

    def call_many(
        self, batch: PostBatch, requests: Requests, extra: tuple[NDArray[Any], ...]
    ) -> Rows:
        values = self.component.compute_many(batch, requests)
        return {"values": self._in_domain(values, len(batch), "compute_many()")}

    def _in_domain(self, values: Any, n: int, what: str) -> NDArray[np.float64]:
        """``values`` checked as float64 (n,) within the signal's declared domain."""
        out = checked_array(values, n, what, "f", np.float64)
        domain = self.component.domain()
        outside = ~domain.holds(out)
        if outside.any():
            raise ContractError(
                f"{what} returned {float(out[outside][0])!r}, outside the declared "
                f"domain ({domain.describe()})"
            )
        return out

    def wrappers(self) -> tuple[Pipeline, ...]:
        term = Pipeline(
            name="conformance-signal-term",
            scorer=Scorer(terms=(Term(name="value", signal=self.component, weight=1.0),)),
        )
        factor = Pipeline(
            name="conformance-signal-factor",
            scorer=Scorer(
                terms=ENGAGEMENT.terms,
                factors=(with_policy(Factor(name="value", signal=self.component)),),
            ),
        )
        return term, factor

    def pipelines(self, data: SampleData) -> tuple[Pipeline, ...]:
        """As a term, and as a factor where its values can be one (finite, >= 0)."""
        term, factor = self.wrappers()
        values = [self.one(b, c)["values"] for b, c in data.requests]
        if all(v is not None and np.isfinite(v).all() and (v >= 0).all() for v in values):
            return term, factor
        return (term,)


class FilterSubject(PartSubject):
    kind = "filter"
    registry = FILTERS

    def call_one(self, batch: PostBatch, ctx: Context, extra: tuple[NDArray[Any], ...]) -> Rows:
        n = len(batch)
        reasons = checked_reasons(self.component.reasons(batch, ctx), n, "reasons()")
        keep = checked_array(self.component.keep(batch, ctx), n, "keep()", "b", np.bool_)
        return {"reasons": reasons, "keep": keep}

    def call_many(
        self, batch: PostBatch, requests: Requests, extra: tuple[NDArray[Any], ...]
    ) -> Rows:
        found = self.component.codes_many(batch, requests)
        if not isinstance(found, Codes):
            raise ContractError(f"codes_many() returned a {type(found).__name__}, not Codes")
        check_table(found.table, found.codes, len(batch), "codes_many()")
        return {"reasons": found.reasons(), "keep": found.codes == 0}

    def wrappers(self) -> tuple[Pipeline, ...]:
        filters = (with_policy(self.component),)
        return (Pipeline(name="conformance-filter", filters=filters, scorer=ENGAGEMENT),)


class RerankerSubject(PartSubject):
    kind = "reranker"
    registry = RERANKERS

    def prepare(self, batch: PostBatch, requests: Requests) -> tuple[NDArray[Any], ...]:
        scores = ENGAGEMENT.score_many(batch, requests).scores
        tier = np.zeros(len(batch), dtype=np.int64)
        order = segmented_order(
            requests.offsets, tier, scores, batch.created_at, batch.ids.__getitem__
        )
        return order, scores

    def permute_extra(
        self, extra: tuple[NDArray[Any], ...], perm: NDArray[np.intp], inverse: NDArray[np.intp]
    ) -> tuple[NDArray[Any], ...]:
        order, scores = extra
        return inverse[order].astype(np.intp), scores[perm]

    def concat_extra(
        self, parts: list[tuple[NDArray[Any], ...]], offsets: NDArray[np.intp]
    ) -> tuple[NDArray[Any], ...]:
        order = np.concatenate([p[0] + a for p, a in zip(parts, offsets[:-1], strict=True)])
        return order.astype(np.intp), np.concatenate([p[1] for p in parts])

    def _rows(
        self, multiplier: Any, tier: Any, removed: Any, n: int, what: str, exact: bool
    ) -> dict[str, NDArray[Any] | None]:
        out: dict[str, NDArray[Any] | None] = {"multiplier": None, "tier": None}
        # No mask removes nothing: compared as all False, request by request.
        out["removed"] = np.zeros(n, dtype=np.bool_)
        if removed is not None:
            gone = checked_array(removed, n, f"{what} removed", "b", np.bool_ if exact else None)
            out["removed"] = gone.astype(np.bool_)
        if multiplier is not None:
            m = checked_array(
                multiplier, n, f"{what} multiplier", "f", np.float64 if exact else None
            )
            bad = ~(np.isfinite(m) & (m > 0))
            if bad.any():
                raise ContractError(
                    f"{what} multiplier {float(m[bad][0])}; expected finite and > 0"
                )
            out["multiplier"] = m.astype(np.float64)
        if tier is not None:
            t = checked_array(tier, n, f"{what} tier", "iu", np.int64 if exact else None)
            if n and t.min() < 0:
                raise ContractError(f"{what} tier {int(t.min())}; expected >= 0")
            out["tier"] = t.astype(np.int64)
        return out

    def call_one(self, batch: PostBatch, ctx: Context, extra: tuple[NDArray[Any], ...]) -> Rows:
        order, scores = extra
        step = self.component.adjust(batch, ctx, order, scores)
        if not isinstance(step, RerankStep):
            raise ContractError(f"adjust() returned a {type(step).__name__}, not RerankStep")
        n = len(batch)
        out = self._rows(step.multiplier, step.tier, step.removed, n, "adjust()", exact=False)
        found = step.reasons
        if isinstance(found, np.ndarray) and found.shape == (0,):
            found = np.full(n, "")  # no reasons at all, as the engine reads it
        out["reasons"] = checked_reasons(found, n, "adjust() reasons")
        return _reasons_for_removals(out, "adjust()")

    def call_many(
        self, batch: PostBatch, requests: Requests, extra: tuple[NDArray[Any], ...]
    ) -> Rows:
        order, scores = extra
        step = self.component.adjust_many(batch, requests, order, scores)
        if not isinstance(step, CodedStep):
            raise ContractError(f"adjust_many() returned a {type(step).__name__}, not CodedStep")
        n = len(batch)
        out = self._rows(step.multiplier, step.tier, step.removed, n, "adjust_many()", exact=True)
        check_table(step.table, step.codes, n, "adjust_many()")
        out["reasons"] = step.to_step().reasons
        return _reasons_for_removals(out, "adjust_many()")

    def wrappers(self) -> tuple[Pipeline, ...]:
        rerankers = (with_policy(self.component),)
        pipe = Pipeline(name="conformance-reranker", scorer=ENGAGEMENT, rerankers=rerankers)
        return (pipe,)


def _reasons_for_removals(rows: dict[str, NDArray[Any] | None], what: str) -> Rows:
    """``rows``, after checking that every post a re-ranker removes has a reason."""
    removed, reasons = rows["removed"], rows["reasons"]
    if removed is not None and reasons is not None and (reasons[removed] == "").any():
        raise ContractError(f"{what} removed a post without a reason")
    return rows


class PipelineSubject(Subject):
    kind = "pipeline"

    @property
    def label(self) -> str:
        pipe: Pipeline = self.component
        return f"pipeline {pipe.name!r} ({pipe.fingerprint[:12]})"

    def wrappers(self) -> tuple[Pipeline, ...]:
        return (self.component,)


def subject_of(component: Any) -> Subject:
    for base, cls in (
        (Pipeline, PipelineSubject),
        (Signal, SignalSubject),
        (Filter, FilterSubject),
        (Reranker, RerankerSubject),
    ):
        if isinstance(component, base):
            return cls(component)
    raise TypeError(
        f"{type(component).__name__} is not a Signal, Filter, Reranker or Pipeline; "
        "check_component checks those"
    )
