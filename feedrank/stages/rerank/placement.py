"""Placing re-rankers: the shared step of MMR, DPP, FA*IR and calibration.

Such a re-ranker walks each request's current order and picks, one position
after another, the post that goes there; the posts it does not pick follow in
their current order. :func:`placed_step` turns those picks into a
:class:`~feedrank.stages.rerank.base.CodedStep` whose tiers are the new
positions (``placed=True``), with a reason in plain words for every post it
moved, computed from the numbers behind the decision.

>>> import numpy as np
>>> order = np.array([2, 0, 1, 3])          # rows, best first
>>> picks = [np.array([0, 2])]              # positions (in ``order``) placed first
>>> why = lambda segment, new, old: f"placed at {new + 1} instead of {old + 1}"
>>> step = placed_step(np.array([0, 4]), order, picks, why)
>>> step.tier.tolist()                      # new position of rows 0, 1, 2, 3
[2, 1, 0, 3]
>>> [step.table[c - 1] if c else "" for c in step.codes.tolist()]
['', 'placed at 2 instead of 3', '', '']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from feedrank.stages.rerank.base import CodedStep

__all__ = ["Reason", "normalized", "placed_step", "position_phrase"]

Reason = Callable[[int, int, int], str]
"""``why(segment, new, old)``: the reason of the post placed at 0-based position
``new`` of request ``segment`` that stood at ``old`` before; "" for a post the
re-ranker did not act on itself (it moved because others did: the engine
records ``shifted_by:<type>``)."""


def placed_step(
    offsets: NDArray[np.intp],
    order: NDArray[np.intp],
    picks: Sequence[NDArray[np.intp]],
    why: Reason,
) -> CodedStep:
    """The step placing ``picks[s]`` (0-based positions in request ``s``'s part of
    ``order``, in their new order) first, then the rest of that request in its
    current order; a reason for every picked post whose position changed."""
    m = order.shape[0]
    tier = np.empty(m, dtype=np.int64)
    codes = np.zeros(m, dtype=np.intp)
    table: dict[str, int] = {}
    for s in range(offsets.shape[0] - 1):
        a, b = int(offsets[s]), int(offsets[s + 1])
        rows = order[a:b]
        chosen = np.asarray(picks[s], dtype=np.intp)
        rest = np.ones(b - a, dtype=bool)
        rest[chosen] = False
        sequence = np.concatenate([chosen, np.flatnonzero(rest)])
        tier[rows[sequence]] = np.arange(b - a, dtype=np.int64)
        for new, old in enumerate(chosen.tolist()):
            if new != old:
                reason = why(s, new, old)
                if reason:
                    codes[rows[old]] = table.setdefault(reason, len(table) + 1)
    return CodedStep(None, tier, codes, tuple(table), placed=True)


def normalized(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """``values`` min-max scaled to [0, 1] (all 0 when they are all equal).

    >>> normalized(np.array([2.0, 4.0, 3.0])).tolist()
    [0.0, 1.0, 0.5]
    """
    if values.shape[0] == 0:
        return values.astype(np.float64)
    low, high = float(values.min()), float(values.max())
    if not high > low:
        return np.zeros(values.shape[0], dtype=np.float64)
    out: NDArray[np.float64] = (values - low) / (high - low)
    return out


def position_phrase(new: int, old: int) -> str:
    """ "placed at 4 instead of 2" for 0-based positions 3 and 1."""
    return f"placed at {new + 1} instead of {old + 1}"
