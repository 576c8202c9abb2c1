"""Checks of :func:`~feedrank.datasets.simulate`'s arguments: each bad value raises
:class:`~feedrank.InputError` naming the parameter and what it accepts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError

__all__ = ["as_generator", "as_groups", "as_integer", "as_real"]


def as_generator(rng: object) -> np.random.Generator:
    """A Generator from ``rng``: a Generator, returned as is, or a seed >= 0."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, Integral) and not isinstance(rng, bool) and int(rng) >= 0:
        return np.random.default_rng(int(rng))
    raise InputError(
        f"got {rng!r}", field="rng", expected="a numpy.random.Generator or an integer seed >= 0"
    )


def as_integer(name: str, value: object, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``low..high`` (no upper bound when ``high`` is None)."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        x = int(value)
        if low <= x and (high is None or x <= high):
            return x
    bound = f">= {low}" if high is None else f"in {low}..{high}"
    raise InputError(f"{name}={value!r}", field=name, expected=f"an integer {bound}")


def as_real(name: str, value: object, low: float, high: float, *, open_low: bool = False) -> float:
    """``value`` as a finite float in ``[low, high]``, or ``(low, high]`` with ``open_low``."""
    if isinstance(value, Real) and not isinstance(value, bool):
        x = float(value)
        if math.isfinite(x) and (x > low if open_low else x >= low) and x <= high:
            return x
    if math.isinf(high):
        bound = f"{'>' if open_low else '>='} {low:g}"
    else:
        bound = f"in {'(' if open_low else '['}{low:g}, {high:g}]"
    raise InputError(f"{name}={value!r}", field=name, expected=f"a finite number {bound}")


def as_groups(groups: object, shares: object) -> tuple[tuple[str, ...], NDArray[np.float64]]:
    """The group names (distinct, non-blank) and their positive ``shares`` scaled to
    sum to 1 (equal shares when ``shares`` is None)."""
    if isinstance(groups, str) or not isinstance(groups, Sequence):
        raise InputError(f"groups={groups!r}", field="groups", expected="a sequence of group names")
    names = tuple(groups)
    if not names or not all(isinstance(g, str) and g.strip() for g in names):
        raise InputError(
            f"groups={groups!r}", field="groups", expected="one or more non-blank names"
        )
    if len(set(names)) != len(names):
        raise InputError(f"groups={groups!r}", field="groups", expected="distinct names")
    if shares is None:
        return names, np.full(len(names), 1.0 / len(names))
    if isinstance(shares, str) or not isinstance(shares, Sequence):
        raise InputError(
            f"group_shares={shares!r}", field="group_shares", expected="a sequence of numbers"
        )
    values = [as_real("group_shares", x, 0.0, math.inf, open_low=True) for x in shares]
    if len(values) != len(names):
        raise InputError(
            f"{len(values)} shares for {len(names)} groups",
            field="group_shares",
            expected=f"{len(names)} positive numbers, one per group",
        )
    arr = np.array(values, dtype=np.float64)
    return names, arr / arr.sum()
