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

from typing import TYPE_CHECKING, Annotated, ClassVar, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BeforeValidator, SerializeAsAny

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.stages.components import Component, Registry

if TYPE_CHECKING:
    from feedrank.engine.many import ContextBatch

__all__ = ["SIGNALS", "Signal", "SignalSpec", "register_signal"]


class Signal(Component):
    """Base class: ``compute(batch, ctx)`` returns ndarray of shape (n,), float64."""

    reads: ClassVar[tuple[str, ...]] = ()
    """Batch columns and context arrays the signal reads (shown in explanations)."""

    def compute(self, batch: PostBatch, ctx: Context) -> NDArray[np.float64]:
        """Evaluate the signal for every post of ``batch``."""
        raise NotImplementedError(f"{type(self).__name__} must implement compute()")

    def _is_rowwise(self) -> bool:
        """True if each post's value depends only on its own row, the per-row
        context arrays and ``ctx.now`` (used element-wise), never on ``ctx.viewer``:
        then :meth:`Pipeline.rank_many` computes the signal once over the rows of
        every request, with ``ctx.now`` an int64 array of each row's request time.
        Built-in signals that qualify say so; the default runs request by request."""
        return False

    def _compute_many(self, batch: PostBatch, contexts: ContextBatch) -> NDArray[np.float64] | None:
        """Values for the rows of many requests at once (``contexts`` aligned with
        ``batch``), or None to let :meth:`Pipeline.rank_many` go request by request."""
        return None


SIGNALS: Registry[Signal] = Registry("signal", Signal)
"""Every registered signal type, keyed by its ``type`` tag."""

S = TypeVar("S", bound=type[Signal])


def register_signal(cls: S) -> S:
    """Class decorator registering a :class:`Signal` subclass under its ``type`` tag."""
    SIGNALS.register(cls)
    return cls


SignalSpec = Annotated[SerializeAsAny[Signal], BeforeValidator(SIGNALS.parse)]
"""Field type for a signal inside a spec: dispatches on ``type``."""
