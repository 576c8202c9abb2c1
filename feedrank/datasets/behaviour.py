"""Step 7 of the simulation, the people's side: which shown posts they examined
(position-based model), what they did with them (by relevance) and when."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from feedrank.models import InteractionKind

__all__ = ["ACTIONS", "actions", "reactions"]

ACTIONS = (
    (InteractionKind.VIEW, 0),
    (InteractionKind.HIDE, 1),
    (InteractionKind.CLICK, 1),
    (InteractionKind.LIKE, 2),
    (InteractionKind.REPOST, 3),
    (InteractionKind.REPLY, 4),
)
"""Interaction kinds the sessions produce, in the order of their time offsets (× δ/5)."""


def reactions(
    gen: np.random.Generator, relevance: NDArray[np.float64], propensity: NDArray[np.float64]
) -> tuple[NDArray[np.bool_], dict[InteractionKind, NDArray[np.bool_]]]:
    """Whether each shown slot (relevance r, examination propensity e) was
    examined, and per kind whether the viewer did it: a view always; when
    examined, a hide with probability ``.3 (1 − r)³``, otherwise, independently, a
    click ``.05 + .55 r``, a like ``.6 r²``, a repost ``.2 r³``, a reply ``.1 r²``."""
    r = relevance
    m = r.shape[0]
    examined = gen.random(m) < propensity
    draws = gen.random((m, 5))
    hidden = examined & (draws[:, 0] < 0.3 * (1 - r) ** 3)
    kept = examined & ~hidden
    return examined, {
        InteractionKind.VIEW: np.ones(m, dtype=bool),
        InteractionKind.HIDE: hidden,
        InteractionKind.CLICK: kept & (draws[:, 1] < 0.05 + 0.55 * r),
        InteractionKind.LIKE: kept & (draws[:, 2] < 0.6 * r**2),
        InteractionKind.REPOST: kept & (draws[:, 3] < 0.2 * r**3),
        InteractionKind.REPLY: kept & (draws[:, 4] < 0.1 * r**2),
    }


def actions(
    outcome: dict[InteractionKind, NDArray[np.bool_]],
    shown_at: NDArray[np.int64],
    dwell: int,
    viewer: NDArray[np.intp],
) -> tuple[NDArray[np.intp], NDArray[np.int64], NDArray[np.int64]]:
    """Every action of ``outcome`` as (impression row, kind's position in
    ``InteractionKind``, time in µs), the time being ``shown_at`` of the slot plus
    the kind's offset of :data:`ACTIONS` × δ/5 (``dwell`` = δ); sorted by time,
    then viewer, then kind."""
    kinds = list(InteractionKind)
    parts = [
        (np.flatnonzero(mask), kinds.index(kind), shown_at + offset * dwell // 5)
        for (kind, offset), mask in ((a, outcome[a[0]]) for a in ACTIONS)
    ]
    imp = np.concatenate([p[0] for p in parts])
    kind_code = np.concatenate([np.full(len(p[0]), p[1]) for p in parts])
    at = np.concatenate([p[2][p[0]] for p in parts])
    order = np.lexsort((kind_code, viewer[imp], at))
    return imp[order], kind_code[order], at[order]
