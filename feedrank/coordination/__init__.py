"""Coordinated behaviour: groups of accounts acting in sync, found from the
interaction log, so that ranking can count each group once.

Method
------
*Co-actions.* Every deliberate act on a post (like, repost, reply, quote,
share, bookmark, upvote — a *boost* — or downvote, report, hide, mute, block —
a *negative* act; views, clicks and follows are ignored) is keyed by the post
and its polarity. An account's first act on a key is its action there (acting
twice on one post is one action). Two accounts *co-act* when their actions on
the same key are at most ``window_minutes`` apart; ``c_ab`` is the number of
keys on which accounts a and b co-acted. Actions are sorted by (key, time) once;
the window is one ``searchsorted``; each action pairs with at most
``max_neighbours`` later actions of its key, so a crowd on a viral post cannot
make the work quadratic. This is the co-action network of Pacheco et al.
(ICWSM 2021) and CooRnet's coordinated link sharing (Giglietto et al. 2020),
with timing as the cue.

*Null model: degree-preserving rewiring.* Under the null the accounts are
reassigned at random across the actions: every account keeps its number of
actions ``d_a``, every post keeps its actions and their times (its popularity
and its burst). Account a then acts on key p with probability ≈ ``d_a n_p / D``
(D actions in all), and two of p's actions fall within the window with
probability ``q_p = W_p / C(n_p, 2)`` (W_p: p's pairs within the window), so the
expected co-action count is ``E[c_ab] = d_a d_b S`` with
``S = Σ_p n_p² q_p / D²``. Why this null and not a time shuffle within each
post: a campaign that dominates its targets' activity makes those posts bursty,
and shuffling times among a post's own actors keeps the burst, so it expects the
members' synchrony and misses them; what no chance explains is the *same* pair
of accounts meeting in the window on post after post, which the rewiring null
measures, while keeping the very active accounts and the viral posts that
explain ordinary overlaps.

*Test.* A pair is an edge when ``c_ab ≥ min_coactions`` and the Poisson tail
``P(X ≥ c_ab)``, X ~ Poisson(E[c_ab]), is at most ``alpha`` divided by the
number of pairs that co-acted at least once (Bonferroni: at most ``alpha``
chance of any false edge). The Poisson tail is conservative for a sum of
independent Bernoulli trials of the same mean. ``rng`` draws ``n_null`` rewired
logs (a permutation of the accounts across the actions, the null itself) and
the same test is run on them: ``summary["null_edges"]`` is the number of edges
found where there is no coordination, a direct check of the false-edge rate.

*Groups.* The connected components of the edges with at least ``min_group``
accounts, largest first (ties by first account id). Each group's evidence: its
edges, their co-actions and the null expectation of the same, the weakest
edge's p-value, and every window it acted in (post, boost or negative, kinds,
first and last member action, members, co-action pairs).

Counting each group once
------------------------
:meth:`CoordinationFit.attach` gives every candidate, per kind, the actions of
group members on it, the distinct groups and the distinct accounts among them
(all the members' actions of that kind on the post, not only those in a
window). :class:`~feedrank.stages.signals.CoordinationDiscount` wraps a signal
of counts and computes it with ``count − actions + groups``: a group of nine
accounts reposting a post is one repost, a brigade's reports are one report.

>>> from datetime import datetime, timedelta, timezone
>>> from feedrank import Interaction
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> log = [Interaction(viewer_id=f"s{i}", post_id=f"p{p}", kind="like",
...                    at=t + timedelta(hours=3 * p, minutes=i))
...        for p in range(5) for i in range(5)]
>>> log += [Interaction(viewer_id=f"u{u}", post_id=f"p{u % 5}", kind="like",
...                     at=t + timedelta(minutes=41 * u)) for u in range(50)]
>>> fit = detect_interactions(log, rng=0)
>>> group = fit.groups[0]
>>> group.accounts, group.posts
(('s0', 's1', 's2', 's3', 's4'), ('p0', 'p1', 'p2', 'p3', 'p4'))
>>> group.evidence.edges, group.evidence.coactions, group.evidence.ratio > 3
(10, 50, True)
"""

from __future__ import annotations

from feedrank.coordination.detect import detect_coordination, detect_interactions
from feedrank.coordination.result import (
    FORMAT,
    CoordinatedGroup,
    CoordinationFit,
    GroupEvidence,
    Window,
)
from feedrank.stages.signals.coordination import (
    COORDINATION_KINDS,
    CoordinationDiscount,
    coordination_feature_names,
)

__all__ = [
    "COORDINATION_KINDS",
    "FORMAT",
    "CoordinatedGroup",
    "CoordinationDiscount",
    "CoordinationFit",
    "GroupEvidence",
    "Window",
    "coordination_feature_names",
    "detect_coordination",
    "detect_interactions",
]
