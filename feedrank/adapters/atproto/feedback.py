"""Feedback from Bluesky clients: ``sendInteractions`` events as interactions.

:func:`parse_interactions` reads the input of
``app.bsky.feed.sendInteractions`` and :data:`EVENT_KINDS` maps each event
token to an :class:`~feedrank.InteractionKind`:

- ``requestLess`` ("show less like this") → ``hide``: what the ``see_fewer``
  filter, the ``feedback_fatigue`` factor and ``negative_feedback`` read;
- ``requestMore`` ("show more like this") → ``upvote``: an explicit, private
  vote for the item, counted in author affinity and kept apart from public likes;
- ``clickthroughItem``, ``clickthroughAuthor``, ``clickthroughReposter``,
  ``clickthroughEmbed`` → ``click``;
- ``interactionSeen`` → ``view``;
- ``interactionLike`` → ``like``, ``interactionRepost`` → ``repost``,
  ``interactionReply`` → ``reply``, ``interactionQuote`` → ``quote``,
  ``interactionShare`` → ``share``.

Tokens may come fully qualified or bare. An unknown token, or an event without
an ``item``, maps to nothing: it is returned with ``kind`` None, never guessed.

>>> [e.kind.value for e in parse_interactions({"interactions": [
...     {"item": "at://did:plc:ann/app.bsky.feed.post/3k2a",
...      "event": "app.bsky.feed.defs#requestLess"}]})]
['hide']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from feedrank.adapters.atproto.uris import AT_URI
from feedrank.adapters.json_access import json_type
from feedrank.errors import XrpcError
from feedrank.models import Interaction, InteractionKind

__all__ = ["EVENT_KINDS", "EVENT_PREFIX", "FeedEvent", "event_kind", "parse_interactions"]

EVENT_PREFIX = "app.bsky.feed.defs#"
"""The lexicon that defines the interaction event tokens."""

EVENT_KINDS: Mapping[str, InteractionKind] = MappingProxyType(
    {
        "requestLess": InteractionKind.HIDE,
        "requestMore": InteractionKind.UPVOTE,
        "clickthroughItem": InteractionKind.CLICK,
        "clickthroughAuthor": InteractionKind.CLICK,
        "clickthroughReposter": InteractionKind.CLICK,
        "clickthroughEmbed": InteractionKind.CLICK,
        "interactionSeen": InteractionKind.VIEW,
        "interactionLike": InteractionKind.LIKE,
        "interactionRepost": InteractionKind.REPOST,
        "interactionReply": InteractionKind.REPLY,
        "interactionQuote": InteractionKind.QUOTE,
        "interactionShare": InteractionKind.SHARE,
    }
)
"""``sendInteractions`` event token (without :data:`EVENT_PREFIX`) → interaction kind."""


@dataclass(frozen=True)
class FeedEvent:
    """One element of ``sendInteractions``: ``item`` (post URI), ``event`` (the
    token as sent), ``feed_context`` and ``req_id`` as the client passed them
    back, and ``kind``, the mapped interaction kind (None: unknown token or no item).
    """

    item: str | None
    event: str | None
    feed_context: str | None
    req_id: str | None
    kind: InteractionKind | None

    def interaction(self, viewer_id: str, at: datetime) -> Interaction | None:
        """This event as an :class:`~feedrank.Interaction` of ``viewer_id`` at ``at``
        (the time the service received it: events carry no time), or None if it
        maps to no kind."""
        if self.kind is None or self.item is None:
            return None
        return Interaction(viewer_id=viewer_id, post_id=self.item, kind=self.kind, at=at)


def event_kind(event: str | None) -> InteractionKind | None:
    """The interaction kind of an event token (fully qualified or bare), or None."""
    if not event:
        return None
    name = event.removeprefix(EVENT_PREFIX)
    return EVENT_KINDS.get(name)


def parse_interactions(body: object, *, max_items: int = 1000) -> list[FeedEvent]:
    """Validate the input of ``app.bsky.feed.sendInteractions``:
    ``{"interactions": [{"item"?, "event"?, "feedContext"?, "reqId"?}, ...]}``.

    Wrong JSON types, a missing ``interactions`` array or more than ``max_items``
    elements raise :class:`XrpcError` naming the element and field. ``item`` must
    be an ``at://`` URI; ``feedContext`` at most 2000 characters and ``reqId``
    at most 100, as the lexicon says.
    """
    if not isinstance(body, Mapping):
        raise XrpcError(f"body is a JSON {json_type(body)}", expected="a JSON object")
    raw = body.get("interactions")
    if not isinstance(raw, list):
        raise XrpcError(
            "missing required property 'interactions'"
            if raw is None
            else f"interactions is a JSON {json_type(raw)}",
            field="interactions",
            expected="a JSON array",
        )
    if len(raw) > max_items:
        raise XrpcError(
            f"{len(raw)} interactions", field="interactions", expected=f"at most {max_items}"
        )
    events: list[FeedEvent] = []
    for i, element in enumerate(raw):
        where = f"interactions[{i}]"
        if not isinstance(element, Mapping):
            raise XrpcError(
                f"got a JSON {json_type(element)}", field=where, expected="a JSON object"
            )
        got: dict[str, str | None] = {}
        for key, limit in (("item", 8192), ("event", 512), ("feedContext", 2000), ("reqId", 100)):
            value = element.get(key)
            if value is not None and not isinstance(value, str):
                raise XrpcError(
                    f"got a JSON {json_type(value)}", field=f"{where}.{key}", expected="a string"
                )
            if value is not None and len(value) > limit:
                raise XrpcError(
                    f"has {len(value)} characters",
                    field=f"{where}.{key}",
                    expected=f"at most {limit}",
                )
            got[key] = value
        item = got["item"]
        if item is not None and AT_URI.match(item) is None:
            raise XrpcError(
                f"{item[:80]!r} is not an at:// URI", field=f"{where}.item", expected="an at:// URI"
            )
        kind = event_kind(got["event"]) if item is not None else None
        events.append(FeedEvent(item, got["event"], got["feedContext"], got["reqId"], kind))
    return events
