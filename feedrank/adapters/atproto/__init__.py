"""Bluesky (AT Protocol): post views and records in, feed skeletons out, feedback in.

- :mod:`~feedrank.adapters.atproto.posts`: post views, bare post records and
  profiles as :class:`~feedrank.Post` and :class:`~feedrank.Author` (the field
  mapping is described there), and a list of views as candidates with the
  reposts as interactions;
- :mod:`~feedrank.adapters.atproto.skeleton`: a :class:`~feedrank.Ranking`'s
  served page as a ``getFeedSkeleton`` output, each item with a
  ``feedContext`` naming the spec, rank and top term;
- :mod:`~feedrank.adapters.atproto.generator`: ``getFeedSkeleton`` parameters
  and the ``describeFeedGenerator`` output;
- :mod:`~feedrank.adapters.atproto.feedback`: ``sendInteractions`` events as
  interactions;
- :mod:`~feedrank.adapters.atproto.uris`: ``at://`` URIs of posts and feed
  generators.

Bad records raise :class:`~feedrank.errors.InputError`; requests an XRPC
endpoint must refuse raise :class:`~feedrank.errors.XrpcError`.
"""

from __future__ import annotations

from feedrank.adapters.atproto.feedback import (
    EVENT_KINDS,
    EVENT_PREFIX,
    FeedEvent,
    event_kind,
    parse_interactions,
)
from feedrank.adapters.atproto.generator import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    SkeletonParams,
    describe_feed_generator,
    parse_skeleton_params,
)
from feedrank.adapters.atproto.posts import (
    BlueskyFeed,
    TimeField,
    feed_from_views,
    post_view_to_post,
    profile_to_author,
    record_to_post,
)
from feedrank.adapters.atproto.skeleton import (
    FeedContext,
    feed_context,
    parse_feed_context,
    skeleton,
)
from feedrank.adapters.atproto.uris import feed_uri
from feedrank.errors import XrpcError

__all__ = [
    "DEFAULT_LIMIT",
    "EVENT_KINDS",
    "EVENT_PREFIX",
    "MAX_LIMIT",
    "BlueskyFeed",
    "FeedContext",
    "FeedEvent",
    "SkeletonParams",
    "TimeField",
    "XrpcError",
    "describe_feed_generator",
    "event_kind",
    "feed_context",
    "feed_from_views",
    "feed_uri",
    "parse_feed_context",
    "parse_interactions",
    "parse_skeleton_params",
    "post_view_to_post",
    "profile_to_author",
    "record_to_post",
    "skeleton",
]
