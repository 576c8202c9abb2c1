"""Detecting coordinated groups: co-action pairs, the null test, groups and their
evidence (the method is in :mod:`feedrank.coordination`)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.posts import KINDS, kind_index
from feedrank.coordination.columns import Columns, interaction_columns, read_columns
from feedrank.coordination.pairs import co_actions, first_actions, null_expectation
from feedrank.coordination.result import CoordinatedGroup, CoordinationFit, GroupEvidence, Window
from feedrank.errors import InputError
from feedrank.models import NEGATIVE_KINDS, Interaction
from feedrank.stages.signals.coordination import COORDINATION_KINDS

__all__ = ["detect_coordination", "detect_interactions"]

_NEGATIVE = np.array([k in NEGATIVE_KINDS for k in KINDS])
_COUNTED = np.array([k in COORDINATION_KINDS for k in KINDS])
_POLARITY = np.where(_COUNTED, np.where(_NEGATIVE, 1, 0), -1).astype(np.intp)
"""Per kind: 0 boosts a post, 1 rejects it, -1 is not a deliberate act (ignored)."""


def detect_coordination(
    accounts: Any,
    posts: Any,
    kinds: Any,
    times: Any,
    *,
    rng: np.random.Generator | int,
    window_minutes: float = 10.0,
    min_group: int = 3,
    min_coactions: int = 3,
    alpha: float = 0.01,
    max_neighbours: int = 20,
    max_pairs: int = 50_000_000,
    n_null: int = 1,
) -> CoordinationFit:
    """Find groups of accounts that act on the same posts within ``window_minutes``
    far more often than the null model allows.

    ``accounts``, ``posts``: array-likes (K,) of ids (who acted, on which post);
    ``kinds``: (K,) interaction kind names (``"like"``, ``"repost"``,
    ``"report"``, ...); ``times``: (K,) integer microseconds since the epoch or
    ``datetime64``. ``rng`` (a Generator or a seed) draws the ``n_null`` rewired
    logs whose edges are counted as ``summary["null_edges"]``; the groups
    themselves do not depend on it, and the same data and ``rng`` give the same
    result. Options:

    - ``window_minutes`` (> 0): how close in time two actions on a post must be
      to be a co-action (compared in whole seconds);
    - ``min_coactions`` (≥ 2): fewest co-actions for a pair to be tested;
    - ``alpha`` in (0, 1): the family-wise error rate of the pair test
      (Bonferroni over every pair that co-acted at least once);
    - ``min_group`` (≥ 2): the smallest group reported;
    - ``max_neighbours`` (≥ 1), ``max_pairs``: bounds on the pairs listed.

    Bad input raises :class:`~feedrank.InputError` naming the column and row.
    """
    _check_options(window_minutes, min_group, min_coactions, alpha, max_neighbours, n_null)
    cols = read_columns(accounts, posts, kinds, times)
    generator = np.random.default_rng(rng)
    window = max(1, round(window_minutes * 60.0))
    polarity = _POLARITY[cols.kind]
    considered = np.flatnonzero(polarity >= 0)
    acc = cols.account[considered]
    key = (cols.post[considered] * 2 + polarity[considered]).astype(np.intp)
    micros = cols.micros[considered]
    kind = cols.kind[considered]
    sec = micros // 1_000_000
    n_keys = 2 * int(cols.post_ids.shape[0])
    n_acc = int(cols.account_ids.shape[0])
    bounds = (max_neighbours, max_pairs)

    keep = first_actions(acc, key, micros, kind)
    a, k, s = acc[keep], key[keep], sec[keep]
    order_of = (micros[keep], kind[keep])
    test = _PairTest(a, k, s, window, n_keys, n_acc, bounds, min_coactions, alpha)
    null_edges = [
        _rewired_edges(a, k, s, order_of, window, n_keys, n_acc, bounds, test, generator)
        for _ in range(n_null)
    ]

    core = _two_pass(test, n_acc, min_group)
    label = _join(test, core, a, k)
    groups = _groups(test, label, core, cols, considered[keep])
    table = _post_table(cols, label)
    members = np.flatnonzero(label >= 0)
    return CoordinationFit(
        groups=groups,
        account_ids=cols.account_ids[members],
        account_groups=label[members],
        post_ids=table[0],
        kinds=COORDINATION_KINDS,
        actions=table[1],
        group_counts=table[2],
        account_counts=table[3],
        parameters={
            "window_minutes": float(window_minutes),
            "min_group": min_group,
            "min_coactions": min_coactions,
            "alpha": float(alpha),
            "max_neighbours": max_neighbours,
            "max_pairs": max_pairs,
            "n_null": n_null,
            "null_model": "degree-preserving rewiring of accounts across actions",
        },
        summary={
            "interactions": len(cols),
            "actions": int(a.shape[0]),
            "accounts": n_acc,
            "posts": int(cols.post_ids.shape[0]),
            "pairs": int(test.codes.shape[0]),
            "edges": int(np.count_nonzero(test.edge)),
            "null_edges": float(np.mean(null_edges)) if null_edges else None,
            "p_threshold": test.threshold,
            "null_rate": test.rate,
        },
    )


def detect_interactions(
    interactions: Iterable[Interaction], *, rng: np.random.Generator | int, **options: Any
) -> CoordinationFit:
    """:func:`detect_coordination` on :class:`~feedrank.Interaction` records (who:
    ``viewer_id``; ``options`` as there).

    >>> from datetime import datetime, timedelta, timezone
    >>> from feedrank import Interaction
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> log = [Interaction(viewer_id=f"bot{b}", post_id=f"p{p}", kind="repost",
    ...                    at=t + timedelta(hours=p, seconds=20 * b))
    ...        for p in range(6) for b in range(4)]
    >>> log += [Interaction(viewer_id=f"u{u}", post_id=f"p{u % 6}", kind="like",
    ...                     at=t + timedelta(minutes=37 * u)) for u in range(60)]
    >>> fit = detect_interactions(log, rng=0)
    >>> [list(g.accounts) for g in fit.groups]
    [['bot0', 'bot1', 'bot2', 'bot3']]
    """
    accounts, posts, kinds, micros = interaction_columns(interactions)
    return detect_coordination(accounts, posts, kinds, micros, rng=rng, **options)


class _PairTest:
    """Co-action counts c_ab of every pair that co-acted, their null expectation
    E_ab = d_a d_b S and the test ``edge``: c_ab ≥ min_coactions and
    P(Poisson(E_ab) ≥ c_ab) ≤ alpha / pairs."""

    def __init__(
        self,
        a: NDArray[np.intp],
        k: NDArray[np.intp],
        s: NDArray[np.int64],
        window: int,
        n_keys: int,
        n_acc: int,
        bounds: tuple[int, int],
        min_coactions: int,
        alpha: float,
    ) -> None:
        self.min_coactions, self.alpha, self.min_group = min_coactions, alpha, 2
        co = co_actions(k, s, window, max_neighbours=bounds[0], max_pairs=bounds[1])
        self.first, self.second = co.first, co.second
        x, y = a[co.first], a[co.second]
        lo, hi = np.minimum(x, y), np.maximum(x, y)
        codes, inverse, counts = np.unique(
            lo.astype(np.int64) * n_acc + hi, return_inverse=True, return_counts=True
        )
        self.codes, self.pair_of = codes, inverse.reshape(-1)
        self.lo = (codes // n_acc).astype(np.intp)
        self.hi = (codes % n_acc).astype(np.intp)
        self.count = counts.astype(np.int64)
        self.degree = np.bincount(a, minlength=n_acc).astype(np.float64)
        self.threshold = alpha / max(1, codes.shape[0])
        self._a, self._k, self._within, self._n_keys = a, k, co.within, n_keys
        self._test(null_expectation(k, co.within, n_keys))

    def _test(self, rate: float) -> None:
        from scipy.special import pdtrc

        self.rate = rate
        self.expected = self.degree[self.lo] * self.degree[self.hi] * rate
        # only pairs with enough co-actions can be edges: the tail is computed for those
        tested = np.flatnonzero(self.count >= self.min_coactions)
        self.p_value = np.ones(self.count.shape[0], dtype=np.float64)
        self.p_value[tested] = pdtrc(self.count[tested] - 1, self.expected[tested])
        self.edge = self.p_value <= self.threshold
        self.edge[self.count < self.min_coactions] = False

    def refine(self, core: NDArray[np.int64]) -> None:
        """Test again with S estimated without the within-window pairs of two
        accounts of the same group of ``core`` (the coordination found so far)."""
        ga, gb = core[self._a[self.first]], core[self._a[self.second]]
        same = (ga >= 0) & (ga == gb)
        explained = np.bincount(self._k[self.first[same]], minlength=self._n_keys).astype(
            np.float64
        )
        self._test(null_expectation(self._k, self._within, self._n_keys, explained))


def _rewired_edges(
    a: NDArray[np.intp],
    k: NDArray[np.intp],
    s: NDArray[np.int64],
    order_of: tuple[NDArray[np.int64], NDArray[np.intp]],
    window: int,
    n_keys: int,
    n_acc: int,
    bounds: tuple[int, int],
    test: _PairTest,
    generator: np.random.Generator,
) -> int:
    """Edges the same test (with its own correction for the pairs it tests) finds
    after the accounts are permuted across the actions (every account keeps its
    number of actions, every post its actions and times)."""
    shuffled = a[generator.permutation(a.shape[0])]
    keep = first_actions(shuffled, k, order_of[0], order_of[1])
    rewired = _PairTest(
        shuffled[keep],
        k[keep],
        s[keep],
        window,
        n_keys,
        n_acc,
        bounds,
        test.min_coactions,
        test.alpha,
    )
    _two_pass(rewired, n_acc, test.min_group)
    return int(np.count_nonzero(rewired.edge))


def _two_pass(test: _PairTest, n_acc: int, min_group: int) -> NDArray[np.int64]:
    """Groups found, the null rate re-estimated without their synchrony (a
    campaign's own bursts would otherwise inflate what chance is expected to
    give), and the groups found again."""
    test.min_group = min_group
    core = _components(test, n_acc, min_group)
    if (core >= 0).any():
        test.refine(core)
        core = _components(test, n_acc, min_group)
    return core


def _components(test: _PairTest, n_acc: int, min_group: int) -> NDArray[np.int64]:
    """Group index of every account (-1: in no group of at least ``min_group``),
    groups numbered largest first, ties by their first account."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    lo, hi = test.lo[test.edge], test.hi[test.edge]
    graph = coo_matrix((np.ones(lo.shape[0]), (lo, hi)), shape=(n_acc, n_acc)).tocsr()
    _, comp = connected_components(graph, directed=False)
    size = np.bincount(comp)
    big = size[comp] >= min_group
    label = np.full(n_acc, -1, dtype=np.int64)
    if not big.any():
        return label
    accounts = np.flatnonzero(big)  # sorted, so each component's first is its smallest
    comps = comp[accounts]
    first = np.full(size.shape[0], n_acc, dtype=np.int64)
    np.minimum.at(first, comps, accounts)
    kept = np.unique(comps)
    order = kept[np.lexsort((first[kept], -size[kept]))]
    rank = np.empty(size.shape[0], dtype=np.int64)
    rank[order] = np.arange(order.shape[0])
    label[accounts] = rank[comps]
    return label


def _join(
    test: _PairTest, core: NDArray[np.int64], a: NDArray[np.intp], k: NDArray[np.intp]
) -> NDArray[np.int64]:
    """Labels with every outside account x joined to the group g it co-acts with as
    a whole: on k_xg ≥ min_coactions keys x co-acted with some member of g, with
    P(Poisson(d_x D_g S) ≥ k_xg) ≤ alpha / (pairs (x, g) tested), D_g the members'
    actions (the expectation is a union bound, so the test is conservative). An
    account that qualifies for several groups joins the one with the smallest
    p-value (ties: the lower group)."""
    from scipy.special import pdtrc

    label: NDArray[np.int64] = core.copy()
    if not (core >= 0).any() or test.first.shape[0] == 0:
        return label
    x, y = a[test.first], a[test.second]
    gx, gy = core[x], core[y]
    outside = np.concatenate([x[(gx < 0) & (gy >= 0)], y[(gy < 0) & (gx >= 0)]])
    group = np.concatenate([gy[(gx < 0) & (gy >= 0)], gx[(gy < 0) & (gx >= 0)]])
    key = np.concatenate([k[test.first][(gx < 0) & (gy >= 0)], k[test.first][(gy < 0) & (gx >= 0)]])
    if outside.shape[0] == 0:
        return label
    n_groups = int(core.max()) + 1
    n_keys = int(k.max()) + 1
    cells = np.unique((outside.astype(np.int64) * n_groups + group) * n_keys + key) // n_keys
    pairs, hits = np.unique(cells, return_counts=True)
    acc, grp = pairs // n_groups, pairs % n_groups
    degree = np.bincount(a, minlength=core.shape[0]).astype(np.float64)
    mass = np.bincount(core[core >= 0], weights=degree[core >= 0], minlength=n_groups)
    p = np.asarray(pdtrc(hits - 1, degree[acc] * mass[grp] * test.rate), dtype=np.float64)
    ok = (hits >= test.min_coactions) & (p <= test.alpha / pairs.shape[0])
    acc, grp, p = acc[ok], grp[ok], p[ok]
    order = np.lexsort((grp, p, acc))
    first = np.ones(order.shape[0], dtype=bool)
    first[1:] = acc[order][1:] != acc[order][:-1]
    label[acc[order][first]] = grp[order][first]
    return label


def _groups(
    test: _PairTest,
    label: NDArray[np.int64],
    core: NDArray[np.int64],
    cols: Columns,
    rows: NDArray[np.intp],
) -> tuple[CoordinatedGroup, ...]:
    """Every group with its evidence; ``rows``: the input row of each kept action."""
    n_groups = int(label.max()) + 1 if label.size else 0
    if n_groups <= 0:
        return ()
    g_lo = label[test.lo]
    inside = test.edge & (g_lo >= 0)
    g_edge = g_lo[inside]
    edges = np.bincount(g_edge, minlength=n_groups)
    coactions = np.bincount(g_edge, weights=test.count[inside], minlength=n_groups)
    expected = np.bincount(g_edge, weights=test.expected[inside], minlength=n_groups)
    worst = np.zeros(n_groups)
    np.maximum.at(worst, g_edge, test.p_value[inside])
    joined = np.bincount(label[(label >= 0) & (core < 0)], minlength=n_groups)

    # windows: co-action pairs of two members of one group, by (group, post, polarity)
    acc = cols.account[rows]
    gx, gy = label[acc[test.first]], label[acc[test.second]]
    same = (gx >= 0) & (gx == gy)
    ends = np.concatenate([test.first[same], test.second[same]])
    grp = np.concatenate([gx[same], gx[same]])
    post, kind, micros = cols.post[rows][ends], cols.kind[rows][ends], cols.micros[rows][ends]
    pol = _POLARITY[kind]
    n_post = int(cols.post_ids.shape[0])
    wkey = (grp * n_post + post) * 2 + pol
    wkeys, winv = np.unique(wkey, return_inverse=True)
    winv = winv.reshape(-1)
    start = np.full(wkeys.shape[0], np.iinfo(np.int64).max, dtype=np.int64)
    end = np.full(wkeys.shape[0], np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(start, winv, micros)
    np.maximum.at(end, winv, micros)
    members = np.unique(wkey * len(cols.account_ids) + acc[ends], return_inverse=False)
    n_members = np.bincount(
        np.searchsorted(wkeys, members // len(cols.account_ids)), minlength=wkeys.shape[0]
    )
    pairs = np.bincount(winv[: int(np.count_nonzero(same))], minlength=wkeys.shape[0])
    kind_sets = np.unique(winv.astype(np.int64) * len(KINDS) + kind)

    kinds_of: dict[int, list[str]] = {}
    for code in kind_sets.tolist():  # one entry per (window, kind): output-sized
        kinds_of.setdefault(code // len(KINDS), []).append(KINDS[code % len(KINDS)].value)
    by_group: dict[int, list[Window]] = {}
    for w, code in enumerate(wkeys.tolist()):  # one iteration per window found
        g, rest = divmod(code // 2, n_post)
        by_group.setdefault(g, []).append(
            Window(
                post=str(cols.post_ids[rest]),
                action="negative" if code % 2 else "boost",
                kinds=tuple(sorted(kinds_of[w])),
                start=int(start[w]),
                end=int(end[w]),
                accounts=int(n_members[w]),
                coactions=int(pairs[w]),
            )
        )
    out = []
    for g in range(n_groups):
        windows = tuple(sorted(by_group.get(g, ()), key=lambda w: (w.start, w.post, w.action)))
        out.append(
            CoordinatedGroup(
                accounts=tuple(cols.account_ids[label == g].tolist()),
                posts=tuple(sorted({w.post for w in windows})),
                evidence=GroupEvidence(
                    edges=int(edges[g]),
                    joined=int(joined[g]),
                    coactions=int(coactions[g]),
                    expected=float(expected[g]),
                    max_p_value=float(worst[g]),
                    windows=windows,
                ),
            )
        )
    return tuple(out)


def _post_table(
    cols: Columns, label: NDArray[np.int64]
) -> tuple[NDArray[np.str_], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per post a group member acted on (sorted ids) and per kind of
    :data:`COORDINATION_KINDS`: actions by members, distinct groups, distinct accounts."""
    column = np.full(len(KINDS), -1, dtype=np.intp)
    column[[kind_index(k) for k in COORDINATION_KINDS]] = np.arange(len(COORDINATION_KINDS))
    g = label[cols.account]
    sel = (g >= 0) & (column[cols.kind] >= 0)
    post, kind, acc, grp = cols.post[sel], column[cols.kind[sel]], cols.account[sel], g[sel]
    width = len(COORDINATION_KINDS)
    posts, row = np.unique(post, return_inverse=True)
    row = row.reshape(-1)
    cell = row.astype(np.int64) * width + kind
    shape = (posts.shape[0], width)
    actions = np.bincount(cell, minlength=shape[0] * width).reshape(shape)
    n_acc = len(cols.account_ids)
    groups = np.unique(cell * (n_acc + 1) + grp) // (n_acc + 1)
    accounts = np.unique(cell * (n_acc + 1) + acc) // (n_acc + 1)
    return (
        cols.post_ids[posts],
        actions.astype(np.int64),
        np.bincount(groups, minlength=shape[0] * width).reshape(shape).astype(np.int64),
        np.bincount(accounts, minlength=shape[0] * width).reshape(shape).astype(np.int64),
    )


def _check_options(
    window_minutes: float,
    min_group: int,
    min_coactions: int,
    alpha: float,
    max_neighbours: int,
    n_null: int,
) -> None:
    if not (isinstance(window_minutes, (int, float)) and math.isfinite(window_minutes)):
        raise InputError(
            f"window_minutes is {window_minutes!r}", field="window_minutes", expected="minutes > 0"
        )
    if window_minutes <= 0:
        raise InputError(
            f"window_minutes is {window_minutes!r}", field="window_minutes", expected="minutes > 0"
        )
    if not (isinstance(alpha, float | int) and 0 < alpha < 1):
        raise InputError(f"alpha is {alpha!r}", field="alpha", expected="a number in (0, 1)")
    for name, value, low in (
        ("min_group", min_group, 2),
        ("min_coactions", min_coactions, 2),
        ("max_neighbours", max_neighbours, 1),
        ("n_null", n_null, 0),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise InputError(f"{name} is {value!r}", field=name, expected=f"an integer >= {low}")
