"""Planted coordinated campaigns for the simulator, with their ground truth.

``simulate(campaigns=Campaigns(...))`` adds, on top of the organic network:

- ``n_campaigns`` boosting campaigns. Each has ``accounts`` member accounts
  (ordinary simulated users, who keep their organic activity: sock puppets mixed
  with real behaviour) and a beneficiary author; its targets are up to
  ``targets`` of the beneficiary's posts created at least two hours before
  ``now``. For each target a boost starts at a time uniform in the first hour
  after the post (at most half-way to ``now``); each member joins with
  probability ``rate`` and likes the post at a time uniform in
  ``[boost, boost + spread_minutes)``, and reposts it too with probability
  ``repost_share`` (at a time of its own in the same span).
- A reporting brigade of ``brigade_accounts`` other users against one organic
  author (not a member, not a beneficiary, with at least three posts created at
  least two hours before ``now``, the author with the most such posts, ties by
  id): for each of those posts a brigade starts uniform in the two hours after
  the post, and each member reports it with probability ``brigade_rate`` within
  ``spread_minutes``.

Members, beneficiaries and the brigaded author are drawn from a generator
spawned from the simulation's, so the organic network of a seed is the same with
and without campaigns. :class:`CampaignTruth` records who did what.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from feedrank.datasets.arguments import as_integer, as_real
from feedrank.errors import InputError
from feedrank.models import InteractionKind

__all__ = ["CampaignTruth", "Campaigns", "PlantedActions", "plant_campaigns"]

_HOUR_US = 3_600_000_000
_KINDS = list(InteractionKind)


@dataclass(frozen=True)
class Campaigns:
    """What :func:`~feedrank.datasets.simulate` plants (see the module)."""

    n_campaigns: int = 2
    accounts: int = 10
    targets: int = 6
    rate: float = 0.8
    repost_share: float = 0.5
    spread_minutes: float = 5.0
    brigade_accounts: int = 10
    brigade_rate: float = 0.8

    def __post_init__(self) -> None:
        as_integer("campaigns.n_campaigns", self.n_campaigns, 0)
        as_integer("campaigns.accounts", self.accounts, 2)
        as_integer("campaigns.targets", self.targets, 1)
        as_integer("campaigns.brigade_accounts", self.brigade_accounts, 0)
        for name in ("rate", "repost_share", "brigade_rate"):
            as_real(f"campaigns.{name}", getattr(self, name), 0.0, 1.0)
        as_real("campaigns.spread_minutes", self.spread_minutes, 0.0, 60.0, open_low=True)


@dataclass(frozen=True)
class CampaignTruth:
    """Ground truth of the planted campaigns.

    ``members[c]`` and ``targets[c]``: the accounts and target posts of campaign
    c (sorted); ``beneficiaries[c]``: its author; ``brigade``: the brigade's
    accounts (sorted); ``brigaded_author`` and ``brigaded_posts``: whom and
    what it reported (None and () without a brigade).
    """

    members: tuple[tuple[str, ...], ...]
    targets: tuple[tuple[str, ...], ...]
    beneficiaries: tuple[str, ...]
    brigade: tuple[str, ...]
    brigaded_author: str | None
    brigaded_posts: tuple[str, ...]

    @property
    def coordinated_accounts(self) -> frozenset[str]:
        """Every account of a campaign or of the brigade."""
        return frozenset({a for m in self.members for a in m} | set(self.brigade))

    @property
    def target_posts(self) -> frozenset[str]:
        """Every post a campaign boosted."""
        return frozenset(p for t in self.targets for p in t)


@dataclass(frozen=True, eq=False)
class PlantedActions:
    """The planted actions: ``viewer``, ``post`` (indices), ``kind`` (position in
    ``InteractionKind``), ``at`` (µs), ndarray (m,) each, and the truth."""

    viewer: NDArray[np.intp]
    post: NDArray[np.intp]
    kind: NDArray[np.intp]
    at: NDArray[np.int64]
    truth: CampaignTruth


def plant_campaigns(
    gen: np.random.Generator,
    plan: Campaigns,
    user_ids: NDArray[np.str_],
    post_ids: NDArray[np.str_],
    post_author: NDArray[np.intp],
    created: NDArray[np.int64],
    now_us: int,
) -> PlantedActions:
    """Draw the campaigns of ``plan`` over the simulated users and posts."""
    n_u = user_ids.shape[0]
    needed = plan.n_campaigns * plan.accounts + plan.brigade_accounts
    if needed > n_u - plan.n_campaigns - 1:
        raise InputError(
            f"{needed} campaign accounts among {n_u} users",
            field="campaigns",
            expected=f"fewer campaign and brigade accounts than {n_u - plan.n_campaigns - 1}",
        )
    spread = max(1, round(plan.spread_minutes * 60e6))
    old = created <= now_us - 2 * _HOUR_US
    per_author = np.bincount(post_author[old], minlength=n_u)
    people = gen.permutation(n_u)
    cut = plan.n_campaigns * plan.accounts
    members = [
        np.sort(people[c * plan.accounts : (c + 1) * plan.accounts])
        for c in range(plan.n_campaigns)
    ]
    brigade = np.sort(people[cut : cut + plan.brigade_accounts])
    taken = set(people[: cut + plan.brigade_accounts].tolist())
    parts: list[tuple[NDArray[np.intp], NDArray[np.intp], int, NDArray[np.int64]]] = []
    beneficiaries: list[int] = []
    targets: list[NDArray[np.intp]] = []
    for c in range(plan.n_campaigns):
        free = np.array([a for a in range(n_u) if a not in taken and per_author[a] > 0])
        if free.size == 0:
            raise InputError("no author left to benefit from a campaign", field="campaigns")
        enough = free[per_author[free] >= plan.targets]
        pool = enough if enough.size else free[per_author[free] == per_author[free].max()]
        author = int(pool[int(gen.integers(pool.size))])
        taken.add(author)
        beneficiaries.append(author)
        theirs = np.flatnonzero(old & (post_author == author))
        chosen = np.sort(gen.choice(theirs, size=min(plan.targets, theirs.size), replace=False))
        targets.append(chosen)
        for p in chosen.tolist():
            room = min(_HOUR_US, (now_us - int(created[p])) // 2)
            boost = int(created[p]) + int(gen.integers(0, room))
            join = members[c][gen.random(plan.accounts) < plan.rate]
            like_at = boost + gen.integers(0, spread, size=join.size)
            parts.append((join, np.full(join.size, p), _KINDS.index(InteractionKind.LIKE), like_at))
            again = join[gen.random(join.size) < plan.repost_share]
            repost_at = boost + gen.integers(0, spread, size=again.size)
            kind = _KINDS.index(InteractionKind.REPOST)
            parts.append((again, np.full(again.size, p), kind, repost_at))
    brigaded: int | None = None
    brigaded_posts = np.zeros(0, dtype=np.intp)
    if plan.brigade_accounts:
        free = np.array([a for a in range(n_u) if a not in taken and per_author[a] >= 3])
        if free.size == 0:
            raise InputError("no author with three posts left to brigade", field="campaigns")
        brigaded = int(free[np.lexsort((free, -per_author[free]))][0])
        brigaded_posts = np.flatnonzero(old & (post_author == brigaded))
        for p in brigaded_posts.tolist():
            room = min(2 * _HOUR_US, (now_us - int(created[p])) // 2)
            start = int(created[p]) + int(gen.integers(0, room))
            join = brigade[gen.random(brigade.size) < plan.brigade_rate]
            report_at = start + gen.integers(0, spread, size=join.size)
            report = _KINDS.index(InteractionKind.REPORT)
            parts.append((join, np.full(join.size, p), report, report_at))
    viewer = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.intp)
    post = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=np.intp)
    kinds: NDArray[np.intp] = (
        np.concatenate([np.full(p[0].size, p[2]) for p in parts])
        if parts
        else np.zeros(0, dtype=np.intp)
    )
    times: NDArray[np.int64] = (
        np.concatenate([p[3] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    )
    assert not times.size or int(times.max()) < now_us  # every planted action is before now
    truth = CampaignTruth(
        members=tuple(tuple(user_ids[m].tolist()) for m in members),
        targets=tuple(tuple(post_ids[t].tolist()) for t in targets),
        beneficiaries=tuple(str(user_ids[b]) for b in beneficiaries),
        brigade=tuple(user_ids[brigade].tolist()),
        brigaded_author=None if brigaded is None else str(user_ids[brigaded]),
        brigaded_posts=tuple(post_ids[brigaded_posts].tolist()),
    )
    return PlantedActions(
        viewer=viewer.astype(np.intp),
        post=post.astype(np.intp),
        kind=kinds.astype(np.intp),
        at=times.astype(np.int64),
        truth=truth,
    )
