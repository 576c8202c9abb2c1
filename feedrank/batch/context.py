"""Context: the request a batch is ranked for — ``now``, the viewer, and the
per-post arrays derived from them (in-network, seen, author affinity, the
viewer's latest negative feedback on each author, social proof).

>>> from datetime import datetime, timedelta, timezone
>>> from feedrank import Interaction, Post, PostBatch, Viewer
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([Post(id="p1", author_id="alice", created_at=t),
...                               Post(id="p2", author_id="bob", created_at=t)])
>>> ctx = Context.build(batch, now=t, viewer=Viewer(id="v", follows={"bob"}, seen={"p1"}))
>>> ctx.in_network.tolist(), ctx.seen.tolist()
([False, True], [True, False])

Social proof counts the accounts the viewer follows that liked or reposted a
post (``network``) or follow its author (``follow_graph``):

>>> like = Interaction(viewer_id="bob", post_id="p1", kind="like", at=t)
>>> ctx = Context.build(batch, now=t, viewer=Viewer(id="v", follows={"bob"}),
...                     network=[like], follow_graph={"bob": ["alice"]})
>>> ctx.social_proof_count.tolist(), ctx.social_proof.tolist()
([1, 0], [True, False])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from feedrank._time import EPOCH, MICROS_PER_HOUR, from_micros, to_micros
from feedrank.batch.posts import PostBatch
from feedrank.errors import InputError
from feedrank.models import NEGATIVE_KINDS, Interaction, InteractionKind, SpecModel, Viewer

__all__ = [
    "SEE_FEWER_KINDS",
    "SOCIAL_PROOF_KINDS",
    "AffinityModel",
    "Context",
    "RowViews",
    "latest_of",
]

SEE_FEWER_KINDS: tuple[InteractionKind, ...] = (InteractionKind.HIDE,)
"""Kinds that mean "see fewer from this author" (X's "show fewer" / "not
interested"). Mutes and blocks are permanent choices kept in
:class:`~feedrank.Viewer` and applied by the mute and block filters."""

SOCIAL_PROOF_KINDS: tuple[InteractionKind, ...] = (InteractionKind.LIKE, InteractionKind.REPOST)
"""Kinds by which an account the viewer follows vouches for a post (liked or reposted)."""

_NEGATIVE_COLUMN = {kind: j for j, kind in enumerate(NEGATIVE_KINDS)}
_MICRO = timedelta(microseconds=1)


def _default_weights() -> dict[InteractionKind, float]:
    k = InteractionKind
    return {
        k.LIKE: 1.0,
        k.REPOST: 2.0,
        k.REPLY: 3.0,
        k.QUOTE: 2.0,
        k.CLICK: 0.5,
        k.SHARE: 2.0,
        k.BOOKMARK: 2.0,
        k.UPVOTE: 1.0,
    }


class AffinityModel(SpecModel):
    """How a viewer's past interactions turn into affinity for an author.

    affinity(author) = Σ weights[kind] · 0.5^(age_hours / half_life_hours) over
    the viewer's interactions with that author's posts, and likewise
    ``negative(author)`` over the kinds in NEGATIVE_KINDS with weight 1.
    """

    half_life_hours: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 168.0
    weights: dict[InteractionKind, Annotated[float, Field(allow_inf_nan=False)]] = Field(
        default_factory=_default_weights
    )


def _no_times() -> NDArray[np.int64]:
    return np.full((0, len(NEGATIVE_KINDS)), -1, dtype=np.int64)


def _no_counts() -> NDArray[np.int64]:
    return np.zeros(0, dtype=np.int64)


class RowViews:
    """What the per-post arrays of one request (:class:`Context`) or many
    (:class:`~feedrank.batch.requests.Requests`) derive the same way."""

    social_proof_count: NDArray[np.int64]
    last_negative_at: NDArray[np.int64]

    @property
    def social_proof(self) -> NDArray[np.bool_]:
        """ndarray (n,), bool: at least one account the viewer follows vouches for the post."""
        proof: NDArray[np.bool_] = self.social_proof_count > 0
        return proof

    def latest_negative(
        self, kinds: Iterable[InteractionKind | str] = SEE_FEWER_KINDS
    ) -> NDArray[np.int64]:
        """ndarray (n,), int64: time (µs) of the viewer's latest interaction of any of
        ``kinds`` (a non-empty subset of NEGATIVE_KINDS) with the row's author, or -1."""
        return latest_of(self.last_negative_at, kinds)


@dataclass(frozen=True, eq=False)
class Context(RowViews):
    """One request. Arrays are aligned with the rows of the batch it was built for.

    - ``now``: int microseconds since the epoch (UTC).
    - ``viewer``: the :class:`~feedrank.Viewer`, or None for an anonymous feed.
    - ``in_network``, ``seen``: ndarray (n,), bool.
    - ``affinity``, ``negative``: ndarray (n,), float64, the viewer's decayed
      positive and negative interactions with each post's author.
    - ``last_negative_at``: ndarray (n, len(NEGATIVE_KINDS)), int64: column j is
      the time (µs since the epoch) of the viewer's latest interaction of kind
      ``NEGATIVE_KINDS[j]`` with a post by the row's author, at or before
      ``now``; -1 where there is none. :meth:`latest_negative` reduces it over
      chosen kinds (feedback fatigue reads it).
    - ``social_proof_count``: ndarray (n,), int64, the number of distinct
      accounts the viewer follows that vouch for the post (see :meth:`build`);
      ``social_proof`` is ``social_proof_count > 0``.

    The last two default to "none" when a Context is constructed directly with
    the first six fields.
    """

    now: int
    viewer: Viewer | None
    in_network: NDArray[np.bool_]
    seen: NDArray[np.bool_]
    affinity: NDArray[np.float64]
    negative: NDArray[np.float64]
    last_negative_at: NDArray[np.int64] = field(default_factory=_no_times)
    social_proof_count: NDArray[np.int64] = field(default_factory=_no_counts)

    def __post_init__(self) -> None:
        n = int(self.in_network.shape[0])
        width = len(NEGATIVE_KINDS)
        if self.last_negative_at.shape == (0, width) and n:
            object.__setattr__(self, "last_negative_at", np.full((n, width), -1, np.int64))
        elif self.last_negative_at.shape != (n, width):
            raise InputError(
                f"has shape {self.last_negative_at.shape}",
                field="last_negative_at",
                expected=f"shape ({n}, {width}) like the batch",
            )
        if self.social_proof_count.shape == (0,) and n:
            object.__setattr__(self, "social_proof_count", np.zeros(n, dtype=np.int64))
        elif self.social_proof_count.shape != (n,):
            raise InputError(
                f"has shape {self.social_proof_count.shape}",
                field="social_proof_count",
                expected=f"shape ({n},) like the batch",
            )

    @property
    def now_datetime(self) -> datetime:
        """``now`` as a UTC datetime."""
        return from_micros(self.now)

    def __len__(self) -> int:
        return int(self.in_network.shape[0])

    @classmethod
    def empty(cls, now: int = 0) -> Context:
        """The context of a request without candidates."""
        return cls(now, None, np.zeros(0, bool), np.zeros(0, bool), np.zeros(0), np.zeros(0))

    @classmethod
    def build(
        cls,
        batch: PostBatch,
        *,
        now: datetime,
        viewer: Viewer | None = None,
        interactions: Iterable[Interaction] = (),
        post_authors: Mapping[str, str] | None = None,
        affinity: AffinityModel | None = None,
        network: Iterable[Interaction] = (),
        follow_graph: Mapping[str, Iterable[str]] | None = None,
        social_proof_kinds: Iterable[InteractionKind | str] = SOCIAL_PROOF_KINDS,
    ) -> Context:
        """Derive the per-post arrays of ``viewer`` for ``batch`` at ``now``.

        ``interactions`` are the viewer's logged actions (other viewers' are
        ignored); the author of each interacted post is looked up in ``batch``,
        then in the interaction's ``author_id``, then in ``post_authors`` (post
        id -> author id, for posts no longer candidates). An interaction whose
        author is in none raises InputError, rather than being silently
        dropped, and so does an ``author_id`` that differs from the candidate's;
        interactions after ``now`` are ignored (they had not happened yet).

        Social proof (``social_proof_count``) counts, per post, the distinct
        accounts in ``viewer.follows`` that either acted on the post with one of
        ``social_proof_kinds`` (default: like, repost) in ``network`` — other
        accounts' interactions, at or before ``now`` — or follow the post's
        author according to ``follow_graph`` (account id -> ids it follows).
        Interactions in ``network`` by accounts the viewer does not follow, or
        on posts that are not candidates, do not count and are not an error.
        """
        now_us = to_micros(now)
        n = len(batch)
        if viewer is None:
            zeros = np.zeros(n, dtype=np.float64)
            return cls(now_us, None, np.zeros(n, bool), np.zeros(n, bool), zeros, zeros.copy())
        in_network = batch._authors_in(viewer.follows)
        seen = batch._ids_in(viewer.seen)
        pos, neg, last = _author_scores(
            batch, now_us, viewer, interactions, post_authors or {}, affinity or AffinityModel()
        )
        proof = _social_proof(batch, now_us, viewer, network, follow_graph, social_proof_kinds)
        return cls(now_us, viewer, in_network, seen, pos, neg, last, proof)

    def take(self, index: NDArray[np.intp]) -> Context:
        """The context restricted to rows ``index`` of its batch."""
        return Context(
            self.now,
            self.viewer,
            self.in_network[index],
            self.seen[index],
            self.affinity[index],
            self.negative[index],
            self.last_negative_at[index],
            self.social_proof_count[index],
        )


def latest_of(
    last_negative_at: NDArray[np.int64], kinds: Iterable[InteractionKind | str]
) -> NDArray[np.int64]:
    """ndarray (n,), int64: the latest time over the columns of ``kinds`` (a non-empty
    subset of NEGATIVE_KINDS) of a ``last_negative_at`` table, or -1."""
    columns = [_negative_column(kind) for kind in kinds]
    if not columns:
        raise InputError("no kinds given", field="kinds", expected="at least one of NEGATIVE_KINDS")
    if len(columns) == 1:
        return last_negative_at[:, columns[0]]
    latest: NDArray[np.int64] = last_negative_at[:, columns].max(axis=1)
    return latest


def _negative_column(kind: InteractionKind | str) -> int:
    try:
        return _NEGATIVE_COLUMN[InteractionKind(kind)]
    except (KeyError, ValueError):
        raise InputError(
            f"{getattr(kind, 'value', kind)!r} is not a negative interaction kind",
            field="kinds",
            expected="one of " + ", ".join(k.value for k in NEGATIVE_KINDS),
        ) from None


def _strings(values: Iterable[str]) -> NDArray[np.str_]:
    items = sorted(values)
    return np.array(items, dtype=np.str_) if items else np.zeros(0, dtype="U1")


def _author_scores(
    batch: PostBatch,
    now_us: int,
    viewer: Viewer,
    interactions: Iterable[Interaction],
    post_authors: Mapping[str, str],
    model: AffinityModel,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    n = len(batch)
    vid = viewer.id
    mine = [i for i in interactions if i.viewer_id == vid]
    if not mine:
        return np.zeros(n), np.zeros(n), np.full((n, len(NEGATIVE_KINDS)), -1, dtype=np.int64)
    if n > _DICT_ROWS_CONTEXT:
        return _author_scores_sorted(batch, now_us, mine, post_authors, model)
    # Authors are coded by the batch's author table (computed once per batch);
    # authors known only from post_authors get codes after the batch's.
    rows = batch.index_of([i.post_id for i in mine]).tolist()
    author_of_row = batch._author_codes
    lookup = batch._author_lookup
    extra: dict[str, int] = {}
    codes: list[int] = []
    for item, row in zip(mine, rows, strict=True):
        if row >= 0:
            if item.author_id is not None:
                _check_author(item, str(batch.author_ids[row]))
            codes.append(int(author_of_row[row]))
            continue
        author = _author_of(item, post_authors)
        known = lookup.get(author)
        codes.append(
            known if known is not None else extra.setdefault(author, len(lookup) + len(extra))
        )
    inverse = np.array(codes, dtype=np.intp)
    size = len(lookup) + len(extra)
    at = _micros_of(mine)
    weights = model.weights
    w_pos = np.array([weights.get(i.kind, 0.0) for i in mine], dtype=np.float64)
    column = np.array([_NEGATIVE_COLUMN.get(i.kind, -1) for i in mine], dtype=np.intp)
    pos_by_author, neg_by_author, last_by_author = _per_author(
        inverse, size, at, w_pos, column, now_us, model
    )
    slot = author_of_row
    pos: NDArray[np.float64] = pos_by_author[slot].astype(np.float64)
    neg: NDArray[np.float64] = neg_by_author[slot].astype(np.float64)
    last: NDArray[np.int64] = last_by_author[slot].astype(np.int64)
    return pos, neg, last


_DICT_ROWS_CONTEXT = 200_000


def _author_of(item: Interaction, post_authors: Mapping[str, str]) -> str:
    """The author of a post that is not a candidate: the interaction's own
    ``author_id``, else ``post_authors``; InputError when neither knows."""
    if item.author_id is not None:
        return item.author_id
    author = post_authors.get(item.post_id)
    if author is None:
        raise InputError(
            "interaction with a post whose author is unknown",
            field="interactions.post_id",
            post_id=item.post_id,
            expected="a candidate post, an author_id on the interaction, "
            "or an entry in post_authors",
        )
    return author


def _check_author(item: Interaction, author: str) -> None:
    if item.author_id != author:
        raise InputError(
            f"interaction names author {item.author_id!r} but the candidate's author is {author!r}",
            field="interactions.author_id",
            post_id=item.post_id,
            expected="the author of the candidate post, or no author_id",
        )


def _micros_of(items: list[Interaction]) -> NDArray[np.int64]:
    """int64 microseconds since the epoch of every ``item.at`` (exact)."""
    try:
        return np.array([(i.at - EPOCH) // _MICRO for i in items], dtype=np.int64)
    except TypeError:  # a naive datetime slipped past validation: say which
        return np.array([to_micros(i.at, field="interactions.at") for i in items], np.int64)


def _per_author(
    inverse: NDArray[np.intp],
    size: int,
    at: NDArray[np.int64],
    w_pos: NDArray[np.float64],
    column: NDArray[np.intp],
    now_us: int,
    model: AffinityModel,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Decayed positive and negative sums and latest negative times per author code."""
    age_h = (now_us - at) / MICROS_PER_HOUR
    decay = np.where(age_h >= 0, 0.5 ** (np.maximum(age_h, 0) / model.half_life_hours), 0.0)
    w_neg = (column >= 0).astype(np.float64)
    pos_by_author = np.bincount(inverse, weights=w_pos * decay, minlength=size).astype(np.float64)
    neg_by_author = np.bincount(inverse, weights=w_neg * decay, minlength=size).astype(np.float64)
    last_by_author = np.full((size, len(NEGATIVE_KINDS)), -1, dtype=np.int64)
    pick = (column >= 0) & (at <= now_us)
    np.maximum.at(last_by_author, (inverse[pick], column[pick]), at[pick])
    return pos_by_author, neg_by_author, last_by_author


def _author_scores_sorted(
    batch: PostBatch,
    now_us: int,
    mine: list[Interaction],
    post_authors: Mapping[str, str],
    model: AffinityModel,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """:func:`_author_scores` for a very large batch: sorted strings, no dicts."""
    n = len(batch)
    post_ids = np.array([i.post_id for i in mine], dtype=np.str_)
    rows = batch.index_of(post_ids)
    known = batch.author_ids[rows[rows >= 0]].tolist()
    authors_list: list[str] = [""] * len(mine)
    for j, author in zip(np.flatnonzero(rows >= 0).tolist(), known, strict=True):
        if mine[j].author_id is not None:
            _check_author(mine[j], author)
        authors_list[j] = author
    for j in np.flatnonzero(rows < 0).tolist():
        authors_list[j] = _author_of(mine[j], post_authors)
    authors = np.array(authors_list, dtype=np.str_)
    at = _micros_of(mine)
    w_pos = np.array([model.weights.get(i.kind, 0.0) for i in mine], dtype=np.float64)
    column = np.array([_NEGATIVE_COLUMN.get(i.kind, -1) for i in mine], dtype=np.intp)
    uniq, inverse = np.unique(authors, return_inverse=True)
    pos_by_author, neg_by_author, last_by_author = _per_author(
        inverse.astype(np.intp).reshape(-1), len(uniq), at, w_pos, column, now_us, model
    )
    slot = np.minimum(np.searchsorted(uniq, batch.author_ids), max(len(uniq) - 1, 0))
    hit = uniq[slot] == batch.author_ids if n else np.zeros(0, bool)
    return (
        np.where(hit, pos_by_author[slot], 0.0).astype(np.float64),
        np.where(hit, neg_by_author[slot], 0.0).astype(np.float64),
        np.where(hit[:, None], last_by_author[slot], -1).astype(np.int64),
    )


def _social_proof(
    batch: PostBatch,
    now_us: int,
    viewer: Viewer,
    network: Iterable[Interaction],
    follow_graph: Mapping[str, Iterable[str]] | None,
    kinds: Iterable[InteractionKind | str],
) -> NDArray[np.int64]:
    """Distinct followed accounts vouching for each post: ndarray (n,), int64."""
    n = len(batch)
    wanted = set()
    for kind in kinds:
        try:
            wanted.add(InteractionKind(kind))
        except ValueError:
            raise InputError(
                f"unknown interaction kind {kind!r}",
                field="social_proof_kinds",
                expected="InteractionKind values such as 'like'",
            ) from None
    follows = viewer.follows
    row_parts: list[NDArray[np.intp]] = []
    account_parts: list[NDArray[np.str_]] = []
    vouching = [i for i in network if i.kind in wanted and i.viewer_id in follows]
    if vouching and n:
        at = np.array([to_micros(i.at, field="network.at") for i in vouching], dtype=np.int64)
        rows = batch.index_of(np.array([i.post_id for i in vouching], dtype=np.str_))
        ok = (rows >= 0) & (at <= now_us)
        row_parts.append(rows[ok])
        account_parts.append(np.array([i.viewer_id for i in vouching], dtype=np.str_)[ok])
    if follow_graph and n:
        followed: list[str] = []
        followers: list[str] = []
        for account in sorted(follows):
            targets = follow_graph.get(account, ())
            if isinstance(targets, str):
                raise InputError(
                    f"follow_graph[{account!r}] is a string",
                    field="follow_graph",
                    expected="an iterable of account ids for each account",
                )
            for target in targets:
                followed.append(target)
                followers.append(account)
        if followed:
            rows, accounts = _join_on_author(batch.author_ids, _unicode(followed), followers)
            row_parts.append(rows)
            account_parts.append(accounts)
    if not row_parts or sum(p.shape[0] for p in row_parts) == 0:
        return np.zeros(n, dtype=np.int64)
    rows_all = np.concatenate(row_parts).astype(np.int64)
    _, codes = np.unique(np.concatenate(account_parts), return_inverse=True)
    width = int(codes.max()) + 1
    pairs = np.unique(rows_all * width + codes.astype(np.int64))
    return np.bincount(pairs // width, minlength=n).astype(np.int64)


def _unicode(values: list[str]) -> NDArray[np.str_]:
    return np.array(values, dtype=np.str_) if values else np.zeros(0, dtype="U1")


def _join_on_author(
    author_ids: NDArray[np.str_], followed: NDArray[np.str_], followers: list[str]
) -> tuple[NDArray[np.intp], NDArray[np.str_]]:
    """Every (post row, follower) pair where the follower follows the post's author."""
    order = np.argsort(followed, kind="stable")
    keys = followed[order]
    who = _unicode(followers)[order]
    lo = np.searchsorted(keys, author_ids, side="left")
    hi = np.searchsorted(keys, author_ids, side="right")
    count = hi - lo
    rows = np.repeat(np.arange(author_ids.shape[0], dtype=np.intp), count)
    first = np.repeat(lo - (np.cumsum(count) - count), count)
    return rows, who[first + np.arange(rows.shape[0])]
