"""Co-actions: pairs of accounts acting on the same post within the window, and
what the null model expects of them (all in :mod:`feedrank.coordination`).

Everything here runs on integer codes in sorted arrays: one sort, one
``searchsorted`` for the window, ``np.repeat`` to list the pairs and
``np.unique`` to count them. No Python loop over actions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError

__all__ = ["CoActions", "co_actions", "first_actions", "null_expectation"]


def first_actions(
    account: NDArray[np.intp],
    key: NDArray[np.intp],
    micros: NDArray[np.int64],
    kind: NDArray[np.intp],
) -> NDArray[np.intp]:
    """Rows of the first action of every (account, key), ordered by key, then time,
    then account: ndarray (m,), intp. Two first actions at the same microsecond
    keep the lower kind (in ``KINDS`` order), so the result does not depend on
    the order of the rows."""
    if account.shape[0] == 0:
        return np.zeros(0, dtype=np.intp)
    order = np.lexsort((kind, micros, account, key))
    a, k = account[order], key[order]
    new = np.ones(order.shape[0], dtype=bool)
    new[1:] = (a[1:] != a[:-1]) | (k[1:] != k[:-1])
    kept = order[new]
    again = np.lexsort((account[kept], micros[kept], key[kept]))
    out: NDArray[np.intp] = kept[again].astype(np.intp)
    return out


@dataclass(frozen=True, eq=False)
class CoActions:
    """The co-action pairs of actions sorted by (key, time) (see :func:`co_actions`).

    - ``first``, ``second``: ndarray (P,), intp: positions (in the sorted actions)
      of the earlier and the later action of each pair, same key, at most the
      window apart; ``second`` is among the ``max_neighbours`` next actions.
    - ``within``: ndarray (m,), int64: for every action, how many later actions on
      its key fall within the window (uncapped).
    """

    first: NDArray[np.intp]
    second: NDArray[np.intp]
    within: NDArray[np.int64]


def co_actions(
    key: NDArray[np.intp],
    seconds: NDArray[np.int64],
    window: int,
    *,
    max_neighbours: int,
    max_pairs: int,
) -> CoActions:
    """Pairs of actions on the same key at most ``window`` seconds apart.

    ``key`` and ``seconds`` (ndarray (m,)) must be sorted by key, then time. Each
    action pairs with at most ``max_neighbours`` later actions of its key (the
    earliest ones), so a crowd on one post cannot make the pairs quadratic; more
    than ``max_pairs`` pairs in all is an :class:`~feedrank.InputError`.
    """
    m = key.shape[0]
    if m == 0:
        empty = np.zeros(0, dtype=np.intp)
        return CoActions(empty, empty.copy(), np.zeros(0, dtype=np.int64))
    rel = seconds - seconds.min()
    span = int(rel.max()) + window + 1
    if (int(key.max()) + 1) * span >= 2**62:
        raise InputError(
            f"{int(key.max()) + 1} posts over {span} seconds are too many to index",
            field="interactions",
            expected="fewer posts or a shorter time span per detection",
        )
    comp = key.astype(np.int64) * span + rel
    rows = np.arange(m, dtype=np.int64)
    hi = np.searchsorted(comp, comp + window, side="right")
    within = (hi - rows - 1).astype(np.int64)
    n = np.minimum(within, max_neighbours)
    total = int(n.sum())
    if total > max_pairs:
        raise InputError(
            f"the window gives {total} co-action pairs, more than max_pairs={max_pairs}",
            field="window_minutes",
            expected="a shorter window, a lower max_neighbours or a higher max_pairs",
        )
    first = np.repeat(rows, n)
    step = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(n) - n, n) + 1
    return CoActions(first.astype(np.intp), (first + step).astype(np.intp), within)


def null_expectation(
    key: NDArray[np.intp],
    within: NDArray[np.int64],
    n_keys: int,
    explained: NDArray[np.float64] | None = None,
) -> float:
    """S, the expected number of within-window co-actions per unit of d_a · d_b.

    Under the null the accounts behind the actions are reassigned at random,
    keeping every account's number of actions d_a and every post's actions and
    times (a degree-preserving rewiring of the account–post graph). Account a
    then acts on key p with probability ≈ d_a n_p / D (D actions in all), and two
    actions on p fall within the window with probability q_p = W_p / C(n_p, 2)
    (W_p: the post's pairs within the window, n_p its actions), so

        E[c_ab] = Σ_p (d_a n_p / D)(d_b n_p / D) q_p = d_a d_b S,
        S = Σ_p n_p² q_p / D².

    ``explained`` (ndarray (n_keys,), optional): pairs within the window on each
    key already explained by coordination, left out of W_p so that the null
    describes the remaining activity.
    """
    d = key.shape[0]
    if d == 0:
        return 0.0
    n_p = np.bincount(key, minlength=n_keys).astype(np.float64)
    w_p = np.bincount(key, weights=within.astype(np.float64), minlength=n_keys)
    if explained is not None:
        w_p = np.maximum(w_p - explained, 0.0)
    busy = n_p >= 2
    q = np.zeros(n_keys, dtype=np.float64)
    q[busy] = w_p[busy] / (n_p[busy] * (n_p[busy] - 1.0) / 2.0)
    return float(np.sum(n_p * n_p * q) / (float(d) * float(d)))
