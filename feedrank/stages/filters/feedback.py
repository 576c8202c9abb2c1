"""Filters from the viewer's feedback and social graph: recent "see fewer" on the
author, and out-of-network posts without social proof.

>>> from datetime import datetime, timedelta, timezone
>>> from feedrank import Context, Interaction, Post, PostBatch, Viewer
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([Post(id=p, author_id=a, created_at=t)
...                               for p, a in [("p1", "ann"), ("p2", "bob"), ("p3", "cat")]])
>>> hide = Interaction(viewer_id="v", post_id="p1", kind="hide", at=t - timedelta(days=3))
>>> like = Interaction(viewer_id="fred", post_id="p3", kind="like", at=t)
>>> ctx = Context.build(batch, now=t, viewer=Viewer(id="v", follows={"ann", "fred"}),
...                     interactions=[hide], network=[like])
>>> SeeFewer().reasons(batch, ctx).tolist()
['see_fewer:14d', '', '']
>>> SocialProof().reasons(batch, ctx).tolist()
['', 'no_social_proof', '']
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator

from feedrank.batch.context import SEE_FEWER_KINDS
from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.models import InteractionKind
from feedrank.stages.filters.base import Codes, Filter, flag, register_filter
from feedrank.stages.policy import Effect
from feedrank.stages.signals.feedback import _see_fewer_kinds, days_since_see_fewer

__all__ = ["SeeFewer", "SocialProof"]


@register_filter
class SeeFewer(Filter):
    """Remove posts by authors the viewer asked to see fewer of (``kinds``, default
    ``hide``) less than ``days`` days ago (X: 14); reason ``see_fewer:<days>d``.

    The fatigue multiplier that follows is the ``feedback_fatigue`` signal.
    """

    type: Literal["see_fewer"] = "see_fewer"
    effect: ClassVar[Effect] = "viewer_choice"
    kinds: tuple[InteractionKind, ...] = SEE_FEWER_KINDS
    days: Annotated[float, Field(gt=0)] = 14.0

    _check_kinds = field_validator("kinds")(_see_fewer_kinds)

    def codes_many(self, batch: PostBatch, requests: Requests) -> Codes:
        recent = days_since_see_fewer(requests, self.kinds) < self.days
        return flag(recent, f"see_fewer:{self.days:g}d")

    def describe(self) -> str:
        kinds = "/".join(k.value for k in self.kinds)
        return f"Remove posts by authors the viewer marked {kinds} in the last {self.days:g} days"


@register_filter
class SocialProof(Filter):
    """Remove out-of-network posts that fewer than ``min_accounts`` accounts the
    viewer follows vouch for (liked or reposted it, or follow its author; see
    :meth:`Context.build`); reason ``no_social_proof``. In-network posts stay."""

    type: Literal["social_proof"] = "social_proof"
    min_accounts: Annotated[int, Field(ge=1)] = 1

    def codes_many(self, batch: PostBatch, requests: Requests) -> Codes:
        lacking = ~requests.in_network & (requests.social_proof_count < self.min_accounts)
        return flag(lacking, "no_social_proof")

    def describe(self) -> str:
        who = "an account" if self.min_accounts == 1 else f"{self.min_accounts} accounts"
        return (
            f"Remove posts from outside the viewer's network unless {who} the viewer "
            "follows liked or reposted it or follows its author"
        )
