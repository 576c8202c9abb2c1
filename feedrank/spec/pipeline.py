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
>>> ranking.post_ids, ranking.removed()
(['p2', 'p1', 'p0'], {'p3': 'seen'})
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Protocol

import numpy as np
from pydantic import Field, model_validator

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.batch.segments import check_offsets
from feedrank.canonical import canonical_json, fingerprint
from feedrank.engine.algorithm import rerank_factor_names
from feedrank.engine.cursor import Cursor
from feedrank.engine.run import run
from feedrank.errors import RankingError
from feedrank.models import SpecModel
from feedrank.ranking.ranking import Ranking, RankingBatch
from feedrank.spec.controls import Alternative, Control, check_menu, menu_of
from feedrank.stages.filters import FilterSpec
from feedrank.stages.policy import Declares, Effect, Policy
from feedrank.stages.rerank import RerankerSpec
from feedrank.stages.scoring import Scorer

__all__ = ["DecisionSink", "Pipeline", "PolicyUse"]


class Pipeline(SpecModel):
    """A complete, publishable ranking algorithm.

    ``filters`` run first (each removed post keeps the reason of the first filter
    that removed it), then ``scorer``, then ``rerankers`` in order. ``limit`` is
    the default page size. ``controls`` and ``alternatives`` are what a viewer
    may change and switch to (:mod:`feedrank.spec.controls`); they do not take
    part in ranking, and a spec without them is written (and fingerprinted)
    without the two keys.
    """

    name: Annotated[str, Field(min_length=1, max_length=128)]
    version: str = "1"
    description: str = ""
    filters: tuple[FilterSpec, ...] = ()
    scorer: Scorer
    rerankers: tuple[RerankerSpec, ...] = ()
    limit: Annotated[int, Field(ge=1, le=10_000)] = 50
    controls: tuple[Control, ...] = ()
    alternatives: tuple[Alternative, ...] = ()

    def to_spec(self) -> dict[str, Any]:
        """The spec as plain JSON values, every default written out (``controls``
        and ``alternatives`` only when there are some)."""
        data = self.model_dump(mode="json")
        for key in _MENU:
            if not data[key]:
                del data[key]
        return data

    def algorithm_spec(self) -> dict[str, Any]:
        """:meth:`to_spec` without ``controls`` and ``alternatives``: only what ranks."""
        return self.model_dump(mode="json", exclude=set(_MENU))

    @property
    def menu(self) -> tuple[Alternative, ...]:
        """The alternatives a viewer may switch to, ``chronological`` always among them."""
        return menu_of(self.alternatives)

    @model_validator(mode="after")
    def _menu_is_sound(self) -> Pipeline:
        if self.controls or self.alternatives:
            data = self.to_spec()
            key = canonical_json(data)
            if key not in _SOUND_MENUS:
                algorithm = {k: v for k, v in data.items() if k not in _MENU}
                check_menu(algorithm, self.controls, self.alternatives, Pipeline.model_validate)
                if len(_SOUND_MENUS) >= 256:
                    _SOUND_MENUS.clear()
                _SOUND_MENUS.add(key)
        return self

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

    @model_validator(mode="after")
    def _restrictions_declare_policies(self) -> Pipeline:
        named: dict[str, tuple[str, Policy]] = {}
        for use in self.policies:
            if use.component.intrinsic_effect == "visibility_restriction" and use.policy is None:
                raise ValueError(
                    f"{use.path} ({use.type}) restricts the visibility of the posts it acts on "
                    "and needs a declared policy: policy = {name, kind = "
                    '"visibility_restriction", ground = "terms" or "law", reference, '
                    "explanation, category, ...}"
                )
            if use.policy is None:
                continue
            seen = named.setdefault(use.policy.name, (use.path, use.policy))
            if seen[1] != use.policy:
                raise ValueError(
                    f"{use.path} and {seen[0]} declare different policies named "
                    f"{use.policy.name!r}; a policy name stands for one policy"
                )
        return self

    @property
    def policies(self) -> tuple[PolicyUse, ...]:
        """Every filter, scorer factor and re-ranker with its path in the spec,
        what it does to a post's reach and its declared policy (None if none):
        the published list of what can lower a post's reach and why."""
        out: list[PolicyUse] = []
        for i, f in enumerate(self.filters):
            out.append(PolicyUse(f"filters[{i}]", f.type, "filter", f, f.declared_effect, i))
        for factor in self.scorer.factors:
            path = f"scorer.factors[{factor.name}]"
            out.append(
                PolicyUse(path, factor.signal.type, "factor", factor, factor.declared_effect, -1)
            )
        for i, r in enumerate(self.rerankers):
            out.append(PolicyUse(f"rerankers[{i}]", r.type, "reranker", r, r.declared_effect, i))
        return tuple(out)

    @property
    def rerank_factor_names(self) -> tuple[str, ...]:
        """Factor columns added by re-rankers (one per re-ranker, named by type)."""
        return rerank_factor_names(self.rerankers)

    def rank(
        self,
        batch: PostBatch,
        ctx: Context,
        *,
        limit: int | None = None,
        cursor: str | Cursor | None = None,
        audit: DecisionSink | None = None,
        request_id: str | None = None,
    ) -> Ranking:
        """Rank ``batch`` for ``ctx`` and return one page as a :class:`Ranking`.

        ``limit`` overrides the spec's page size; ``cursor`` (from a previous
        page's ``next_cursor``) continues after the last post served. An empty
        batch ranks to an empty feed. ``audit``: a decision log (such as
        :class:`feedrank.audit.DecisionLog`) that gets one record of this
        request, under ``request_id`` (derived from the request when None); if
        the append fails, ``rank`` raises, so nothing is served unlogged; what
        the log's ``append`` returned is ``ranking.logged`` (for a
        :class:`~feedrank.audit.DecisionLog`, the record's ``seq`` and
        ``leaf_hash``: the receipt of the served page).
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
        cursors = None if cursor is None else [cursor]
        result = run(self, batch, Requests.one(ctx), limit=limit, cursors=cursors)
        ranking = Ranking(result, 0)
        if audit is not None:
            ranking.logged = audit.append(ranking, ctx, request_id)
        return ranking

    def rank_many(
        self,
        batch: PostBatch,
        contexts: Sequence[Context] | Requests,
        offsets: Any,
        *,
        limit: int | None = None,
        cursors: Sequence[str | Cursor | None] | None = None,
    ) -> RankingBatch:
        """Rank many requests at once and return a :class:`RankingBatch`.

        ``batch`` holds the candidates of S requests one request after another;
        ``offsets`` (S + 1 integers from 0 to ``len(batch)``) marks where each
        request's rows start; ``contexts`` is one :class:`Context` per request,
        built for that request's rows (or a :class:`~feedrank.batch.requests.Requests`).
        Post ids need only be unique within a request (build the batch with
        ``PostBatch.from_columns(..., offsets=offsets)`` or
        :meth:`PostBatch.stack`). ``cursors``: one per request (or None).

        The same engine as :meth:`rank` runs every stage once over all requests:
        ``result[i]`` equals ``self.rank(batch_i, contexts[i], limit=limit)`` in
        every array. Nothing is written to a decision log.
        """
        cuts = check_offsets(offsets, len(batch))
        requests = contexts if isinstance(contexts, Requests) else Requests.from_contexts(contexts)
        if requests.offsets.shape != cuts.shape or not np.array_equal(requests.offsets, cuts):
            raise RankingError(
                "the contexts do not match the segments of the batch",
                field="contexts",
                expected="one Context per request, each built for that request's rows",
            )
        return RankingBatch(run(self, batch, requests, limit=limit, cursors=cursors))


@dataclass(frozen=True)
class PolicyUse:
    """One component of a pipeline that can lower a post's reach: its ``path`` in
    the spec (``filters[6]``, ``scorer.factors[age]``, ``rerankers[0]``), its
    ``type`` (the signal's for a factor), its ``stage`` (``filter``, ``factor``,
    ``reranker``), the ``component``, its ``effect`` and ``index`` (position
    among the filters or re-rankers; -1 for a factor)."""

    path: str
    type: str
    stage: str
    component: Declares
    effect: Effect
    index: int

    @property
    def policy(self) -> Policy | None:
        """The declared policy, or None."""
        return self.component.policy

    @property
    def restricts(self) -> bool:
        """Whether this is a visibility restriction (with its declared policy)."""
        return self.effect == "visibility_restriction" and self.component.policy is not None


_MENU = ("controls", "alternatives")
_SOUND_MENUS: set[str] = set()
"""Canonical JSON of specs whose menu was checked (the check builds the spec at
every bound, so a spec built again is not checked again)."""


class DecisionSink(Protocol):
    """Where :meth:`Pipeline.rank` records a served request (a decision log)."""

    def append(self, ranking: Ranking, ctx: Context, request_id: str | None = None) -> Any: ...
