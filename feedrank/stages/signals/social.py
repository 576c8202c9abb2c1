"""Signals of the viewer's social graph: in-network, affinity, negative feedback.

Flag signals (``in_network``, ``is_reply``) take ``true_value`` and
``false_value`` so they can serve as multiplicative factors (X's 0.75
out-of-network factor is ``in_network`` with false_value 0.75).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.stages.signals.base import Signal, register_signal
from feedrank.stages.signals.domain import NON_NEGATIVE, Domain

__all__ = ["AuthorAffinity", "InNetwork", "IsReply", "NegativeFeedback"]


class _Flag(Signal):
    true_value: float = 1.0
    false_value: float = 0.0

    def _flag(self, mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        return np.where(mask, self.true_value, self.false_value).astype(np.float64)

    def domain(self) -> Domain:
        return Domain.flag(self.false_value, self.true_value)


@register_signal
class InNetwork(_Flag):
    """Whether the viewer follows the author (true_value, else false_value)."""

    type: Literal["in_network"] = "in_network"
    reads: ClassVar[tuple[str, ...]] = ("author_ids", "viewer.follows")

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        return self._flag(requests.in_network)

    def describe(self) -> str:
        return f"{self.true_value:g} if the viewer follows the author, else {self.false_value:g}"


@register_signal
class IsReply(_Flag):
    """Whether the post replies to another post (true_value, else false_value)."""

    type: Literal["is_reply"] = "is_reply"
    reads: ClassVar[tuple[str, ...]] = ("reply_to",)

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        return self._flag(np.char.str_len(batch.reply_to) > 0)

    def describe(self) -> str:
        return f"{self.true_value:g} for a reply, else {self.false_value:g}"


@register_signal
class AuthorAffinity(Signal):
    """The viewer's decayed, weighted past interactions with the author, log1p-scaled."""

    type: Literal["author_affinity"] = "author_affinity"
    transform: Literal["linear", "log1p"] = "log1p"
    reads: ClassVar[tuple[str, ...]] = ("author_ids", "viewer.interactions")
    value_domain: ClassVar[Domain] = NON_NEGATIVE

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        x = np.maximum(requests.affinity, 0.0)
        return np.log1p(x) if self.transform == "log1p" else x.copy()

    def describe(self) -> str:
        return f"Viewer's recent interactions with the author ({self.transform})"


@register_signal
class NegativeFeedback(Signal):
    """The viewer's decayed negative actions (hide, mute, block, report, downvote)
    on the author's posts, log1p-scaled: give it a negative weight."""

    type: Literal["negative_feedback"] = "negative_feedback"
    reads: ClassVar[tuple[str, ...]] = ("author_ids", "viewer.interactions")
    value_domain: ClassVar[Domain] = NON_NEGATIVE

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        return np.log1p(requests.negative)

    def describe(self) -> str:
        return "Viewer hid, muted, blocked or reported this author (log1p)"
