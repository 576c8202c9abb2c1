"""Counting each coordinated group once: a discount on the counts a signal reads.

A coordinated group (accounts that act on the same posts within minutes of each
other far more often than chance, found by
:func:`feedrank.coordination.detect_coordination`) is one voice, however many
accounts it runs. :class:`CoordinationDiscount` wraps any signal that reads
``PostBatch.counts`` (engagement sums, rates, votes, reports) and computes it
on counts where every group's actions on a post count once per kind::

    count'_k = count_k − actions_k + groups_k

``actions_k`` is the number of actions of kind k on the post by accounts of
detected groups and ``groups_k`` the number of distinct groups among them.
Both come from the per-post feature columns ``{prefix}_{kind}_actions``,
``{prefix}_{kind}_groups`` and ``{prefix}_{kind}_accounts`` (distinct accounts,
for the explanation) that :meth:`feedrank.coordination.CoordinationFit.attach`
writes. A reporting brigade of nine accounts counts as one report; nine sock
puppets reposting a post count as one repost. Each post's explanation says
what was discounted ("12 of 40 reposts came from 1 coordinated group of 9
accounts: counted once").

>>> from datetime import datetime, timezone
>>> from feedrank import Context, Post, PostBatch
>>> from feedrank.stages.signals.engagement import Interactions
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> cols = dict.fromkeys(coordination_feature_names(), 0.0)
>>> cols.update({"coordination_repost_actions": 12.0, "coordination_repost_groups": 1.0,
...              "coordination_repost_accounts": 9.0})
>>> batch = PostBatch.from_posts([
...     Post(id="p", author_id="a", created_at=t, counts={"repost": 40}, features=cols)])
>>> ctx = Context.build(batch, now=t)
>>> signal = CoordinationDiscount(signal=Interactions(weights={"repost": 1.0}))
>>> signal.compute(batch, ctx).tolist()
[29.0]
>>> str(signal.notes(batch, ctx)[0])
'12 of 40 reposts came from 1 coordinated group of 9 accounts: counted once'
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch, kind_index
from feedrank.batch.requests import Requests
from feedrank.errors import RankingError
from feedrank.models import InteractionKind
from feedrank.stages.signals.base import Signal, SignalSpec, register_signal
from feedrank.stages.signals.domain import Domain

__all__ = [
    "COORDINATION_KINDS",
    "CoordinationDiscount",
    "coordination_feature_names",
    "discounted_counts",
]

K = InteractionKind

COORDINATION_KINDS: tuple[InteractionKind, ...] = (
    K.LIKE,
    K.REPOST,
    K.REPLY,
    K.QUOTE,
    K.SHARE,
    K.BOOKMARK,
    K.UPVOTE,
    K.DOWNVOTE,
    K.REPORT,
    K.HIDE,
    K.MUTE,
    K.BLOCK,
)
"""The kinds of action coordination is detected on and discounted in: every
deliberate act of support or rejection (views, clicks and follows are not)."""

_PLURAL = {K.REPLY: "replies"}


def coordination_feature_names(
    kinds: tuple[InteractionKind, ...] = COORDINATION_KINDS, prefix: str = "coordination"
) -> tuple[str, ...]:
    """Names of the feature columns for ``kinds``: per kind, its actions, groups and
    accounts columns, in that order.

    >>> coordination_feature_names((InteractionKind.REPORT,))
    ('coordination_report_actions', 'coordination_report_groups', 'coordination_report_accounts')
    """
    return tuple(
        f"{prefix}_{kind.value}_{part}"
        for kind in kinds
        for part in ("actions", "groups", "accounts")
    )


def _columns(
    batch: PostBatch, kind: InteractionKind, prefix: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The actions, groups and accounts columns of ``kind``; RankingError when one is
    missing (absent or NaN) or inconsistent with the post's count."""
    names = coordination_feature_names((kind,), prefix)
    out = []
    for name in names:
        column = batch.features.get(name)
        if column is None and len(batch) == 0:
            column = np.zeros(0, dtype=np.float64)
        if column is None or np.isnan(column).any():
            row = 0 if column is None else int(np.argmax(np.isnan(column)))
            raise RankingError(
                f"feature {name!r} is missing",
                field=f"features.{name}",
                post_id=str(batch.ids[row]),
                expected=(
                    "a value for every candidate: attach a detection result with "
                    "CoordinationFit.attach (0 where no coordinated group acted)"
                ),
            )
        out.append(column)
    actions, groups, accounts = out
    count = batch.count(kind)
    bad = (groups < 0) | (groups > actions) | (actions > count) | (accounts < groups)
    if bad.any():
        row = int(np.argmax(bad))
        raise RankingError(
            f"{actions[row]:g} coordinated {kind.value} actions from {groups[row]:g} groups "
            f"of {accounts[row]:g} accounts do not fit the post's count of {int(count[row])}",
            field=f"features.{names[0]}",
            post_id=str(batch.ids[row]),
            expected=(
                "0 <= groups <= actions <= count and groups <= accounts: detect on the "
                "interaction log the counts come from"
            ),
        )
    return actions, groups, accounts


def discounted_counts(
    batch: PostBatch, kinds: tuple[InteractionKind, ...], prefix: str = "coordination"
) -> NDArray[np.int64]:
    """``batch.counts`` with every coordinated group counted once in each of ``kinds``:
    ndarray (n, len(KINDS)), int64 (a new array; the batch is not changed)."""
    counts: NDArray[np.int64] = batch.counts.copy()
    for kind in kinds:
        actions, groups, _ = _columns(batch, kind, prefix)
        counts[:, kind_index(kind)] -= (actions - groups).astype(np.int64)
    return counts


def _plural(kind: InteractionKind, n: float) -> str:
    if n == 1:
        return kind.value
    return _PLURAL.get(kind, f"{kind.value}s")


@register_signal
class CoordinationDiscount(Signal):
    """A count-reading signal computed with each coordinated group counted once.

    ``signal`` is the wrapped signal (it must read ``counts``: ``interactions``,
    ``engagement_rate``, ``points``, ``wilson``, ...); ``kinds`` are the count
    columns discounted (default :data:`COORDINATION_KINDS`); ``prefix`` names the
    feature columns (``{prefix}_{kind}_actions``, ``_groups``, ``_accounts``).
    A missing column is a :class:`~feedrank.RankingError` naming the post: a feed
    ranked without the detection result would silently count every account.
    """

    type: Literal["coordination_discount"] = "coordination_discount"
    signal: SignalSpec
    kinds: Annotated[tuple[InteractionKind, ...], Field(min_length=1)] = COORDINATION_KINDS
    prefix: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", max_length=64)] = (
        "coordination"
    )
    reads: ClassVar[tuple[str, ...]] = ("counts", "features")

    @field_validator("signal")
    @classmethod
    def _reads_counts(cls, value: Signal) -> Signal:
        if "counts" not in type(value).reads:
            raise ValueError(
                f"signal {value.type!r} does not read counts; expected a signal of "
                "interaction counts (interactions, engagement_rate, points, wilson, ...)"
            )
        return value

    @field_validator("kinds")
    @classmethod
    def _distinct(cls, value: tuple[InteractionKind, ...]) -> tuple[InteractionKind, ...]:
        if len(set(value)) != len(value):
            raise ValueError("names a kind twice; expected distinct interaction kinds")
        return value

    @property
    def discounted_kinds(self) -> tuple[InteractionKind, ...]:
        """The kinds of ``kinds`` the wrapped signal names in its options (its
        weights, positive and negative kinds, base...): the counts the discount
        can change. All of ``kinds`` when the signal names none."""
        named: set[InteractionKind] = set()
        for name in type(self.signal).model_fields:
            value = getattr(self.signal, name)
            items = value.keys() if isinstance(value, dict) else value
            if isinstance(items, InteractionKind):
                items = (items,)
            if isinstance(items, (tuple, list, type({}.keys()))):
                named.update(v for v in items if isinstance(v, InteractionKind))
        picked = tuple(k for k in self.kinds if k in named)
        return picked if named else self.kinds

    def _discounted(self, batch: PostBatch) -> PostBatch:
        values = {f.name: getattr(batch, f.name) for f in dataclasses.fields(PostBatch) if f.init}
        values["counts"] = discounted_counts(batch, self.discounted_kinds, self.prefix)
        return PostBatch(**values)

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        return self.signal.compute_many(self._discounted(batch), requests)

    def domain(self) -> Domain:
        """The wrapped signal's domain: the discount only lowers counts."""
        return self.signal.domain()

    def notes(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_] | None:
        """Per post, what was discounted in each kind (where a group had more than one
        action), then the wrapped signal's note."""
        n = len(batch)
        parts: list[NDArray[np.str_]] = []
        for kind in self.discounted_kinds:
            actions, groups, accounts = _columns(batch, kind, self.prefix)
            rows = np.flatnonzero(actions > groups)
            if not rows.size:
                continue
            count = batch.count(kind)
            text = np.full(n, "", dtype=object)
            for r in rows.tolist():  # only the posts a coordinated group acted on
                a, g, m = actions[r], groups[r], accounts[r]
                once = "once" if g == 1 else f"as {g:g}"
                text[r] = (
                    f"{a:g} of {int(count[r])} {_plural(kind, count[r])} came from {g:g} "
                    f"coordinated group{'s' if g != 1 else ''} of {m:g} account"
                    f"{'s' if m != 1 else ''}: counted {once}"
                )
            parts.append(text.astype(np.str_))
        inner = self.signal.notes(self._discounted(batch), ctx)
        if inner is not None:
            parts.append(np.asarray(inner, dtype=np.str_))
        if not parts:
            return None
        out = parts[0]
        for more in parts[1:]:
            joined = np.where((out != "") & (more != ""), "; ", "")
            out = np.char.add(np.char.add(out, joined), more)
        return np.asarray(out, dtype=np.str_)

    def describe(self) -> str:
        return (
            f"{self.signal.describe()}, counting each coordinated group once "
            f"(from the '{self.prefix}_*' columns of a coordination detection)"
        )
