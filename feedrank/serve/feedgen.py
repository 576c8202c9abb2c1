"""The Bluesky feed generator of the service, without HTTP: authenticate, rank, store.

:class:`FeedGenerator` serves one feed (``feed_uri``) of the service
``service_did`` from the posts of a :class:`~feedrank.serve.store.Store`:

- :meth:`~FeedGenerator.viewer` verifies the ``Authorization: Bearer``
  service-auth JWT (:func:`~feedrank.serve.auth.verify_service_jwt`) for the
  method called and returns the viewer DID (None without a header:
  ``getFeedSkeleton`` then serves the feed to an anonymous viewer;
  ``sendInteractions`` refuses);
- :meth:`~FeedGenerator.skeleton_request` builds the ranking request of a
  ``getFeedSkeleton`` call: the posts indexed in the window before ``now`` and
  the viewer's stored interactions. ``now`` is the service clock on a first
  page and the ``now`` of the cursor on a later one; cursors are signed
  (:class:`~feedrank.serve.cursors.CursorSigner`), so a client cannot choose it;
- :meth:`~FeedGenerator.skeleton` renders a served ranking (signed cursor);
- :meth:`~FeedGenerator.send_interactions` stores feedback events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedrank.adapters.atproto import (
    describe_feed_generator,
    parse_interactions,
    parse_skeleton_params,
    skeleton,
)
from feedrank.engine.cursor import Cursor
from feedrank.errors import XrpcError
from feedrank.models import Viewer
from feedrank.ranking.ranking import Ranking
from feedrank.serve.auth import verify_service_jwt
from feedrank.serve.cursors import CursorSigner
from feedrank.serve.did import DidResolver
from feedrank.serve.store import Store, to_micros
from feedrank.spec.pipeline import Pipeline
from feedrank.spec.request import Request, assemble_request

__all__ = ["FeedGenerator", "SkeletonRequest"]

GET_SKELETON = "app.bsky.feed.getFeedSkeleton"
SEND_INTERACTIONS = "app.bsky.feed.sendInteractions"


@dataclass(frozen=True, eq=False)
class SkeletonRequest:
    """A ``getFeedSkeleton`` call ready to rank."""

    request: Request
    limit: int
    cursor: str | None
    viewer: str | None


@dataclass(eq=False)
class FeedGenerator:
    """One Bluesky feed of the service (see the module docstring)."""

    store: Store
    service_did: str
    feed_uri: str
    resolver: DidResolver
    cursors: CursorSigner
    clock: Callable[[], datetime]
    window_hours: float = 48.0

    def describe(self) -> dict[str, Any]:
        """The ``describeFeedGenerator`` output."""
        return describe_feed_generator(self.service_did, [self.feed_uri])

    def did_document(self, endpoint: str) -> dict[str, Any] | None:
        """The DID document of a ``did:web`` service DID (None for another method)."""
        if not self.service_did.startswith("did:web:"):
            return None
        return {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": self.service_did,
            "service": [
                {"id": "#bsky_fg", "type": "BskyFeedGenerator", "serviceEndpoint": endpoint}
            ],
        }

    def viewer(self, authorization: str | None, method: str) -> str | None:
        """The verified viewer DID of the request (None without an Authorization header)."""
        if authorization is None:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise XrpcError(
                "the Authorization header is not a Bearer token",
                error="AuthenticationRequired",
                status=401,
            )
        return verify_service_jwt(
            token.strip(),
            service_did=self.service_did,
            method=method,
            resolver=self.resolver,
            now=self.clock().timestamp(),
        )

    def skeleton_request(
        self, query: str, viewer: str | None, pipeline: Pipeline
    ) -> SkeletonRequest:
        """Validate the query and build the ranking request."""
        params = parse_skeleton_params(query)
        if params.feed != self.feed_uri:
            raise XrpcError(
                f"this service does not serve {params.feed[:120]!r}",
                error="UnknownFeed",
                field="feed",
                expected=self.feed_uri,
            )
        cursor = None
        if params.cursor is not None:
            cursor = self.cursors.open(params.cursor, feed=self.feed_uri, viewer=viewer)
            now = Cursor.decode(cursor).now_datetime
        else:
            now = self.clock()
        now_us = to_micros(now)
        posts = self.store.candidates(now_us, int(self.window_hours * 3_600_000_000))
        interactions, authors = self.store.interactions(viewer, now_us) if viewer else ([], {})
        request = assemble_request(
            pipeline,
            posts,
            now=now,
            viewer=Viewer(id=viewer) if viewer else None,
            interactions=interactions,
            post_authors=authors,
        )
        return SkeletonRequest(request, params.limit, cursor, viewer)

    def skeleton(self, ranking: Ranking, viewer: str | None, req_id: str) -> dict[str, Any]:
        """The ``getFeedSkeleton`` output of a served ranking, its cursor signed."""
        out = skeleton(ranking, req_id=req_id)
        if "cursor" in out:
            out["cursor"] = self.cursors.sign(out["cursor"], feed=self.feed_uri, viewer=viewer)
        return out

    def send_interactions(self, body: object, viewer: str | None) -> dict[str, Any]:
        """Store the events of a ``sendInteractions`` call of ``viewer``."""
        if viewer is None:
            raise XrpcError(
                "sendInteractions needs the viewer's service-auth token",
                error="AuthenticationRequired",
                status=401,
            )
        events = parse_interactions(body)
        self.store.add_events(viewer, events, to_micros(self.clock()))
        return {}
