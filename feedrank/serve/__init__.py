"""``feedrank serve``: the ranking service platforms and researchers call over HTTP.

An optional extra (``pip install 'feedrank[serve]'``: Starlette, uvicorn and the
Prosocial Ranking Challenge models); the rest of feedrank never imports it.

- :func:`create_app` / :class:`ServeConfig`: the ASGI application, for
  platforms that run their own ASGI server (endpoints in :mod:`feedrank.serve.app`);
- :func:`serve_app`: run it under uvicorn with header, keep-alive and body timeouts;
- :class:`FeedGenerator`, :class:`Store`: a Bluesky feed from an SQLite store;
- :func:`verify_service_jwt` and the DID resolvers (:class:`FileResolver`,
  :class:`NetworkResolver`, :class:`CachingResolver`): atproto service auth;
- :func:`parse_v1_request`, :func:`parse_prc_request`: the request bodies.
"""

from __future__ import annotations

from feedrank.serve.app import MAX_BODY_BYTES, ServeConfig, create_app
from feedrank.serve.auth import sign_service_jwt, verify_service_jwt
from feedrank.serve.cursors import CursorSigner
from feedrank.serve.did import (
    CachingResolver,
    DidResolver,
    FileResolver,
    NetworkResolver,
    did_document,
)
from feedrank.serve.feedgen import FeedGenerator
from feedrank.serve.metrics import Metrics
from feedrank.serve.prc import parse_prc_request
from feedrank.serve.server import serve_app
from feedrank.serve.store import Store, StoreBusyError
from feedrank.serve.v1 import parse_v1_request

__all__ = [
    "MAX_BODY_BYTES",
    "CachingResolver",
    "CursorSigner",
    "DidResolver",
    "FeedGenerator",
    "FileResolver",
    "Metrics",
    "NetworkResolver",
    "ServeConfig",
    "Store",
    "StoreBusyError",
    "create_app",
    "did_document",
    "parse_prc_request",
    "parse_v1_request",
    "serve_app",
    "sign_service_jwt",
    "verify_service_jwt",
]
