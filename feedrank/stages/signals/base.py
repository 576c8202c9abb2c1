"""The Signal contract and its registry.

A signal turns a batch and its context into one float64 per post. It is pure,
vectorised (no Python loop over posts) and declares the columns it reads, which
explanations show. Third parties add signals with :func:`register_signal`:

>>> from typing import ClassVar
>>> import numpy as np
>>> @register_signal
... class TextLength(Signal):
...     '''Length of the post text in characters.'''
...     type: str = "example_text_length"
...     reads: ClassVar[tuple[str, ...]] = ("text",)
...     def compute(self, batch, ctx):
...         return np.strings.str_len(batch.text).astype(np.float64)
>>> SIGNALS.parse({"type": "example_text_length"})
TextLength(type='example_text_length')
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BeforeValidator, SerializeAsAny

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.errors import RankingError
from feedrank.stages.components import Component, Registry
from feedrank.stages.policy import Effect
from feedrank.stages.signals.domain import Domain

__all__ = ["SIGNALS", "Signal", "SignalSpec", "register_signal"]


class Signal(Component):
    """Base class of signals.

    The engine calls :meth:`compute_many` once for the candidates of every
    request it ranks (one request or many); built-in signals implement it with
    array operations. A signal that does not need that speed implements only
    :meth:`compute` for one request, and :meth:`compute_many` calls it request
    by request.
    """

    reads: ClassVar[tuple[str, ...]] = ()
    """Batch columns and context arrays the signal reads (shown in explanations)."""
    value_domain: ClassVar[Domain] = Domain.real()
    """What :meth:`domain` returns when the values do not depend on the options."""
    effect: ClassVar[Effect] = "ranking_preference"
    """What a factor of this signal does to a post's reach when the factor declares
    no policy (:mod:`feedrank.stages.policy`)."""

    def compute(self, batch: PostBatch, ctx: Context) -> NDArray[np.float64]:
        """Evaluate the signal for every post of ``batch`` (one request):
        ndarray (n,), float64."""
        if type(self).compute_many is Signal.compute_many:
            raise NotImplementedError(f"{type(self).__name__} must implement compute()")
        return self.compute_many(batch, Requests.one(ctx))

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        """Evaluate the signal for the rows of every request (``requests`` aligned
        with ``batch``): ndarray (n,), float64. Each row's value may depend on
        its own request only."""
        if type(self).compute is Signal.compute:
            raise NotImplementedError(f"{type(self).__name__} must implement compute()")
        if len(requests) == 1:
            return self._checked(self.compute(batch, requests.context(0)), len(batch))
        out = np.empty(len(batch), dtype=np.float64)
        for i, a, b in requests.bounds():
            out[a:b] = self._checked(self.compute(batch._slice(a, b), requests.context(i)), b - a)
        return out

    def domain(self) -> Domain:
        """The values this signal can give a post (:class:`Domain`); counterfactuals
        propose only inputs inside it. Default: :attr:`value_domain`, any real
        number unless the class declares less (non-negative, bounded); a signal
        whose domain depends on its options (a yes/no pair) overrides this."""
        return self.value_domain

    def notes(self, batch: PostBatch, ctx: Context) -> NDArray[np.str_] | None:
        """For one request, how each post's value was obtained where it is not the
        signal's plain formula (for example a fallback for missing data): ndarray
        (n,), str, "" where it is the formula; None when it always is (the default).
        Explanations show a post's note next to its value."""
        return None

    def _checked(self, values: Any, n: int) -> NDArray[np.float64]:
        out = np.asarray(values, dtype=np.float64)
        if out.shape != (n,):
            raise RankingError(
                f"signal {self.type!r} returned shape {out.shape}", expected=f"shape ({n},)"
            )
        return out


SIGNALS: Registry[Signal] = Registry("signal", Signal)
"""Every registered signal type, keyed by its ``type`` tag."""

S = TypeVar("S", bound=type[Signal])


def register_signal(cls: S) -> S:
    """Class decorator registering a :class:`Signal` subclass under its ``type`` tag."""
    SIGNALS.register(cls)
    return cls


SignalSpec = Annotated[SerializeAsAny[Signal], BeforeValidator(SIGNALS.parse)]
"""Field type for a signal inside a spec: dispatches on ``type``."""
