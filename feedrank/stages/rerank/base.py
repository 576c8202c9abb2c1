"""Re-rankers: change the order after scoring, recording every move.

A re-ranker sees the current order and scores and returns a :class:`RerankStep`:
an optional per-post score multiplier (kept as a factor column named after the
re-ranker, so scores still decompose exactly), an optional per-post demotion
tier and an optional mask of posts it removes from the feed. The pipeline
re-sorts by (tier, score, created_at, id) and records, for every post whose
position changed, its position before and after. A removed post leaves the
feed at that stage, with the re-ranker's reason as its removal reason (counted
with the filters' removals); later stages do not see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BeforeValidator, SerializeAsAny

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.batch.segments import rank_within_groups
from feedrank.errors import RankingError
from feedrank.stages.components import Component, Registry
from feedrank.stages.filters.base import encode_reasons
from feedrank.stages.policy import Declares

__all__ = [
    "RERANKERS",
    "CodedStep",
    "RerankStep",
    "Reranker",
    "RerankerSpec",
    "rank_within_groups",
    "register_reranker",
]


@dataclass(frozen=True, eq=False)
class RerankStep:
    """What a re-ranker decided for one request, aligned with the batch rows.

    ``multiplier``: (n,) float64 > 0 or None; ``tier``: (n,) int64 >= 0 added to
    the posts' demotion tier, or None; ``reasons``: (n,) str, why the re-ranker
    acted on each post ("" where it did not); ``removed``: (n,) bool, the posts
    it removes from the feed (each needs a reason), or None; ``placed``: the
    tiers are the posts' new positions (see :class:`CodedStep`).
    """

    multiplier: NDArray[np.float64] | None
    tier: NDArray[np.int64] | None
    reasons: NDArray[np.str_]
    removed: NDArray[np.bool_] | None = None
    placed: bool = False


@dataclass(frozen=True, eq=False)
class CodedStep:
    """What a re-ranker decided for the rows of every request, reasons as codes:
    ``codes`` (n,) intp, 0 where the re-ranker did not act, else ``i`` for reason
    ``table[i - 1]``; ``multiplier``, ``tier`` and ``removed`` as in
    :class:`RerankStep`.

    ``placed``: the re-ranker placed every post itself (MMR, DPP, FA*IR,
    calibration): ``tier`` then holds each post's new position within its
    request (a permutation of 0..m-1 per request) and *replaces* the tiers of
    earlier stages instead of adding to them; the placement already saw them,
    through the order it was given. The feed's order is then exactly the
    placement, so a reason that names positions names the served ones.
    """

    multiplier: NDArray[np.float64] | None
    tier: NDArray[np.int64] | None
    codes: NDArray[np.intp]
    table: tuple[str, ...]
    removed: NDArray[np.bool_] | None = None
    placed: bool = False

    def to_step(self) -> RerankStep:
        """The same decision with reasons as strings."""
        names: NDArray[np.str_] = np.array(["", *self.table], dtype=np.str_)
        return RerankStep(self.multiplier, self.tier, names[self.codes], self.removed, self.placed)


class Reranker(Declares, Component):
    """Base class of re-rankers.

    The engine calls :meth:`adjust_many` once for the kept posts of every
    request it ranks, with ``order`` listing each request's rows best first,
    request after request; built-in re-rankers implement it with segmented
    array operations. A re-ranker that does not need that speed implements only
    :meth:`adjust` for one request, and :meth:`adjust_many` calls it request by
    request.
    """

    def adjust(
        self,
        batch: PostBatch,
        ctx: Context,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> RerankStep:
        """Decide multipliers and demotions for one request given the current
        ``order`` (row indices, best first) and ``scores`` (aligned with rows)."""
        if type(self).adjust_many is Reranker.adjust_many:
            raise NotImplementedError(f"{type(self).__name__} must implement adjust()")
        return self.adjust_many(batch, Requests.one(ctx), order, scores).to_step()

    def adjust_many(
        self,
        batch: PostBatch,
        requests: Requests,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> CodedStep:
        """:meth:`adjust` for the rows of every request at once, reasons as codes."""
        if type(self).adjust is Reranker.adjust:
            raise NotImplementedError(f"{type(self).__name__} must implement adjust()")
        multipliers: list[NDArray[np.float64] | None] = []
        tiers: list[NDArray[np.int64] | None] = []
        removed: list[NDArray[np.bool_]] = []
        reasons: list[NDArray[np.str_]] = []
        placed: set[bool] = set()
        for i, a, b in requests.bounds():
            part = self.adjust(
                batch._slice(a, b), requests.context(i), order[a:b] - a, scores[a:b].copy()
            )
            placed.add(bool(part.placed) and part.tier is not None)
            multipliers.append(_part(part.multiplier, b - a, self.type, "multiplier", np.float64))
            tiers.append(_part(part.tier, b - a, self.type, "tier", np.int64))
            gone = _part(part.removed, b - a, self.type, "removed mask", np.bool_)
            removed.append(gone if gone is not None else np.zeros(b - a, dtype=bool))
            found = np.asarray(part.reasons)
            if found.shape[0] == 0:
                found = np.full(b - a, "")
            reasons.append(_part(found, b - a, self.type, "reasons", np.str_))
        codes, table = encode_reasons(
            np.concatenate(reasons) if reasons else np.zeros(0, dtype="U1")
        )
        any_removed = any(bool(r.any()) for r in removed)
        if len(placed) > 1:
            raise RankingError(
                f"re-ranker {self.type!r} placed the posts of some requests and not of others",
                expected="placed=True with tiers for every request or for none",
            )
        return CodedStep(
            _stack(multipliers, self.type, "multiplier"),
            _stack(tiers, self.type, "tier"),
            codes,
            table,
            np.concatenate(removed) if any_removed else None,
            placed == {True},
        )


def _part(values: Any, n: int, stage: str, what: str, dtype: Any) -> Any:
    if values is None:
        return None
    out = np.asarray(values).astype(dtype, copy=False)
    if out.shape != (n,):
        raise RankingError(
            f"re-ranker {stage!r} returned a {what} of shape {out.shape}",
            expected=f"shape ({n},)",
        )
    return out


def _stack(parts: list[Any], stage: str, what: str) -> Any:
    present = [p is not None for p in parts]
    if not any(present):
        return None
    if not all(present):
        raise RankingError(
            f"re-ranker {stage!r} returned a {what} for some requests and none for others",
            expected=f"a {what} for every request or for none",
        )
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


RERANKERS: Registry[Reranker] = Registry("reranker", Reranker)
R = TypeVar("R", bound=type[Reranker])


def register_reranker(cls: R) -> R:
    """Class decorator registering a :class:`Reranker` subclass under its ``type`` tag."""
    RERANKERS.register(cls)
    return cls


RerankerSpec = Annotated[SerializeAsAny[Reranker], BeforeValidator(RERANKERS.parse)]
