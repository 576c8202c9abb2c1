"""The domain of a signal: the values it can give a post.

Counterfactuals ask which input would have changed an outcome; an input outside
the signal's domain (a yes/no signal at 8.02, a count at −3) is not a change any
post could make. A signal declares its domain with :meth:`Signal.domain
<feedrank.stages.signals.base.Signal.domain>`; one that declares none takes any
real number.

>>> Domain.flag(0.0, 1.0).contains(8.02), Domain.flag(0.0, 1.0).describe()
(False, '0 or 1')
>>> Domain.at_least(0.0).contains(-3.0), Domain.at_least(0.0).describe()
(False, 'a number ≥ 0')
>>> Domain.between(0.0, 1.0).describe(), Domain.real().describe()
('a number from 0 to 1', 'any number')
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["NON_NEGATIVE", "Domain"]


@dataclass(frozen=True)
class Domain:
    """The values of a signal: the closed interval [``low``, ``high``] (infinite
    ends allowed), or, when ``values`` is not empty, exactly those values (sorted,
    distinct). Build one with :meth:`real`, :meth:`at_least`, :meth:`between` or
    :meth:`flag`."""

    low: float = -math.inf
    high: float = math.inf
    values: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if math.isnan(self.low) or math.isnan(self.high) or self.low > self.high:
            raise ValueError(f"domain [{self.low}, {self.high}] is empty")
        if any(not math.isfinite(v) for v in self.values):
            raise ValueError(f"domain values {self.values} must be finite")
        if self.values != tuple(sorted(set(self.values))):
            raise ValueError(f"domain values {self.values} must be sorted and distinct")

    @classmethod
    def real(cls) -> Domain:
        """Any real number (what a signal that declares nothing takes)."""
        return cls()

    @classmethod
    def at_least(cls, low: float) -> Domain:
        """Every number ≥ ``low`` (counts, rates, decays: ``at_least(0.0)``)."""
        return cls(low=low)

    @classmethod
    def between(cls, low: float, high: float) -> Domain:
        """Every number from ``low`` to ``high``, both included."""
        return cls(low=low, high=high)

    @classmethod
    def flag(cls, false_value: float, true_value: float) -> Domain:
        """The two values of a yes/no signal (one, when they are equal)."""
        return cls(values=tuple(sorted({float(false_value), float(true_value)})))

    @property
    def is_real(self) -> bool:
        """Whether the domain is the whole real line (nothing declared)."""
        return not self.values and self.low == -math.inf and self.high == math.inf

    def contains(self, x: float) -> bool:
        """Whether ``x`` is a value of the domain."""
        return bool(self.holds(np.array([x], dtype=np.float64))[0])

    def holds(self, values: NDArray[np.float64]) -> NDArray[np.bool_]:
        """ndarray like ``values``, bool: which of them are in the domain (NaN never is)."""
        if self.values:
            inside: NDArray[np.bool_] = np.isin(values, self.values)
        else:
            inside = (values >= self.low) & (values <= self.high)
        return inside

    def describe(self) -> str:
        """The domain in a few words ("0 or 1", "a number ≥ 0", ...)."""
        if self.values:
            names = [f"{v:g}" for v in self.values]
            return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        if self.is_real:
            return "any number"
        if self.high == math.inf:
            return f"a number ≥ {self.low:g}"
        if self.low == -math.inf:
            return f"a number ≤ {self.high:g}"
        return f"a number from {self.low:g} to {self.high:g}"


NON_NEGATIVE = Domain.at_least(0.0)
"""Every number ≥ 0: counts, rates, decays."""
