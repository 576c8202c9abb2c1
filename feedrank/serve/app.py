"""The ASGI application: routes, bounded bodies, errors, deadlines, metrics.

:func:`create_app` returns a Starlette application serving one spec:

==========================================  ===============================================
``POST /v1/rank``                           feedrank's JSON (:mod:`feedrank.serve.v1`) →
                                            the JSON of ``feedrank rank --format json``
``POST /rank``                              the Prosocial Ranking Challenge API
                                            (:mod:`feedrank.serve.prc`)
``GET /xrpc/app.bsky.feed.getFeedSkeleton``  a Bluesky feed (with a :class:`FeedGenerator`)
``GET /xrpc/app.bsky.feed.describeFeedGenerator``
``POST /xrpc/app.bsky.feed.sendInteractions``
``GET /.well-known/did.json``               the DID document of a ``did:web`` service
``GET /spec``                               the spec's canonical JSON (its SHA-256 is the
                                            fingerprint, also in the ``ETag``)
``GET /card``, ``GET /card.md``             the algorithm card, measured on recent requests
``GET /healthz``, ``GET /metrics``          liveness, Prometheus counters
==========================================  ===============================================

Errors: a body over ``max_body_bytes`` gets 413; a body that is not JSON 400; a
request that fails validation 422 with ``{"error", "message", "field",
"post_id"}`` naming the field and the record; XRPC methods answer the XRPC
error shape ``{"error", "message"}`` (400, 401 for authentication); a store
locked past its busy timeout gives 503 with ``Retry-After``, and so does a
decision log that cannot be written (nothing is served unlogged).

Deadline (``deadline_ms``): a ranking still running when it passes is abandoned
and the request is answered with the declared fallback order (the input order
for ``/rank``; the chronological preset for ``/v1/rank`` and feeds), with the
header ``Feedrank-Fallback: deadline``; ``feedrank_fallbacks_total`` counts it
and, where the fallback is a ranking, the decision log records the fallback
spec's ranking as the one served. Only what was served is logged.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from feedrank.audit.card import build_card, card_html, card_markdown
from feedrank.audit.log import DecisionLog
from feedrank.canonical import canonical_json
from feedrank.engine.cursor import Cursor
from feedrank.errors import AuditError, FeedrankError, InputError, XrpcError
from feedrank.io.decoding import decode_json
from feedrank.presets import preset
from feedrank.ranking.ranking import Ranking
from feedrank.serve.feedgen import GET_SKELETON, SEND_INTERACTIONS, FeedGenerator
from feedrank.serve.metrics import Metrics
from feedrank.serve.prc import INPUT_ORDER, parse_prc_request
from feedrank.serve.store import StoreBusyError
from feedrank.serve.v1 import parse_v1_request
from feedrank.spec.pipeline import Pipeline
from feedrank.spec.request import Request

__all__ = ["MAX_BODY_BYTES", "ServeConfig", "create_app"]

MAX_BODY_BYTES = 8 << 20
"""The default largest request body: 8 MiB."""
_T = TypeVar("_T")
_JSON = "application/json"
DESCRIBE = "app.bsky.feed.describeFeedGenerator"


@dataclass(eq=False)
class ServeConfig:
    """What the service serves: the spec, its decision log, deadline and feed.

    ``log`` gets one record per served ranking (it needs a data key: requests
    carry viewers). ``deadline_ms`` (None: no deadline) bounds the ranking of a
    request. ``feed`` enables the Bluesky endpoints. ``fallback`` is the ranking
    served past the deadline (chronological by default).
    """

    pipeline: Pipeline
    log: DecisionLog | None = None
    deadline_ms: float | None = None
    feed: FeedGenerator | None = None
    max_body_bytes: int = MAX_BODY_BYTES
    body_timeout_s: float = 10.0
    cpu_threads: int = 2
    card_sample: int = 20
    fallback: Pipeline = field(default_factory=lambda: preset("chronological"))


class _TooLargeError(Exception):
    """A request body past the size limit (answered 413)."""


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return Response(text, status, headers=headers, media_type=_JSON)


def _decode(raw: bytes) -> object:
    """A request body as JSON (UTF-8, each key once, bounded nesting); XrpcError (400)."""
    try:
        return decode_json(raw, source="body", expected="a JSON object")
    except InputError as err:
        raise XrpcError(err.message, field=err.field, expected=err.expected) from None


def _problem(err: FeedrankError, status: int, xrpc: bool) -> Response:
    if xrpc and isinstance(err, XrpcError):
        return _json(err.body(), err.status)
    error = err.error if isinstance(err, XrpcError) else "InvalidRequest"
    body: dict[str, Any] = {"error": error, "message": str(err)}
    if not xrpc:
        body["field"] = err.field
        body["post_id"] = err.post_id
    return _json(body, status)


class _Service:
    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.metrics = Metrics()
        self.recent: deque[Ranking] = deque(maxlen=config.card_sample)
        self.deadline = None if config.deadline_ms is None else config.deadline_ms / 1000
        self._cpu: anyio.CapacityLimiter | None = None

    # -- plumbing -------------------------------------------------------------------------

    def route(
        self, name: str, work: Callable[[HttpRequest], Awaitable[Response]], *, xrpc: bool = False
    ) -> Callable[[HttpRequest], Awaitable[Response]]:
        async def handle(request: HttpRequest) -> Response:
            started = time.perf_counter()
            request.state.started = started
            try:
                response = await work(request)
            except _TooLargeError:
                limit = self.config.max_body_bytes
                self.metrics.error(name, "PayloadTooLarge")
                response = _json(
                    {"error": "PayloadTooLarge", "message": f"the body is over {limit} bytes"},
                    413,
                )
            except StoreBusyError as err:
                self.metrics.error(name, "StoreBusy")
                response = _json(
                    {"error": "StoreBusy", "message": str(err)}, 503, {"Retry-After": "1"}
                )
            except AuditError as err:  # nothing is served unlogged
                traceback.print_exc(file=sys.stderr)
                self.metrics.error(name, "DecisionLogUnavailable")
                response = _json(
                    {"error": "DecisionLogUnavailable", "message": str(err)},
                    503,
                    {"Retry-After": "1"},
                )
            except XrpcError as err:
                self.metrics.error(name, err.error)
                response = _problem(err, err.status, xrpc)
            except InputError as err:
                self.metrics.error(name, "InvalidRequest")
                response = _problem(err, 400 if xrpc else 422, xrpc)
            except FeedrankError as err:  # a bad cursor, a signal the input breaks
                self.metrics.error(name, type(err).__name__)
                response = _problem(err, 400 if xrpc else 422, xrpc)
            except Exception:
                traceback.print_exc(file=sys.stderr)
                self.metrics.error(name, "InternalServerError")
                response = _json(
                    {"error": "InternalServerError", "message": "the service failed; see its log"},
                    500,
                )
            response.headers["Cache-Control"] = "no-store"
            self.metrics.observe(name, response.status_code, time.perf_counter() - started)
            return response

        return handle

    async def body(self, request: HttpRequest) -> bytes:
        """The request body (bounded in size and time), not yet decoded: decoding
        is CPU work and runs in a worker thread with the rest (:func:`_decode`)."""
        limit = self.config.max_body_bytes
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            raise _TooLargeError
        chunks: list[bytes] = []
        size = 0
        with anyio.move_on_after(self.config.body_timeout_s) as scope:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _TooLargeError
                chunks.append(chunk)
        if scope.cancelled_caught:
            raise XrpcError(
                f"the body did not arrive within {self.config.body_timeout_s} s",
                error="RequestTimeout",
                status=408,
            )
        return b"".join(chunks)

    async def cpu(self, work: Callable[[], _T], *, abandon: bool = False) -> _T:
        """Run CPU-bound ``work`` in a worker thread, at most ``cpu_threads`` at once:
        with the GIL, more threads would only take turns and slow every request."""
        if self._cpu is None:
            self._cpu = anyio.CapacityLimiter(self.config.cpu_threads)
        return await anyio.to_thread.run_sync(work, limiter=self._cpu, abandon_on_cancel=abandon)

    async def rank(self, request: HttpRequest, work: Callable[[], _T]) -> _T | None:
        """Run ``work`` in a worker thread; None once the deadline has passed (the
        thread is abandoned: what it returns is never served nor logged)."""
        if self.deadline is None:
            return await self.cpu(work)
        left = self.deadline - (time.perf_counter() - request.state.started)
        with anyio.move_on_after(max(left, 0.0)):
            return await self.cpu(work, abandon=True)
        return None

    def append(self, ranking: Ranking, req: Request) -> Ranking:
        """Log ``ranking`` as served (in a worker thread) and keep it for the card."""
        log = self.config.log
        if log is not None:
            ranking.logged = log.append(ranking, req.ctx, uuid.uuid4().hex)
        self.recent.append(ranking)
        return ranking

    async def log(self, ranking: Ranking, req: Request) -> None:
        await self.cpu(lambda: self.append(ranking, req))

    async def fallback_ranking(
        self, req: Request, limit: int | None, cursor: str | None = None
    ) -> Ranking:
        fallback = self.config.fallback
        return await self.cpu(lambda: fallback.rank(req.batch, req.ctx, limit=limit, cursor=cursor))

    # -- endpoints ------------------------------------------------------------------------

    async def v1_rank(self, request: HttpRequest) -> Response:
        raw = await self.body(request)
        pipeline = self.config.pipeline
        parsed = await self.cpu(lambda: parse_v1_request(_decode(raw), pipeline))
        req = parsed.request
        ranker = req.chosen or pipeline  # the viewer's choice, stamped on the ranking
        ranking = await self.rank(
            request,
            lambda: ranker.rank(req.batch, req.ctx, limit=parsed.limit, cursor=parsed.cursor),
        )
        headers = {}
        if ranking is None:
            self.metrics.fallback("/v1/rank")
            headers["Feedrank-Fallback"] = "deadline"
            ranking = await self.fallback_ranking(req, parsed.limit)
        served = ranking
        return await self.cpu(
            lambda: _json(
                self.append(served, req).to_dict(removed=parsed.removed, moves=parsed.moves),
                200,
                headers,
            )
        )

    async def prc_rank(self, request: HttpRequest) -> Response:
        raw = await self.body(request)
        pipeline = self.config.pipeline
        if self.deadline is None:  # one hand-off to a worker thread for all the work

            def whole() -> Response:
                req, ids = parse_prc_request(_decode(raw), pipeline)
                ranking = pipeline.rank(req.batch, req.ctx, limit=max(len(ids), 1))
                return _json({"ranked_ids": self.append(ranking, req).post_ids})

            return await self.cpu(whole)
        req, ids = await self.cpu(lambda: parse_prc_request(_decode(raw), pipeline))
        late = await self.rank(
            request, lambda: pipeline.rank(req.batch, req.ctx, limit=max(len(ids), 1))
        )
        if late is None:  # the input order, as a ranking of its own spec, logged
            self.metrics.fallback("/rank")
            limit = max(len(ids), 1)
            served = await self.cpu(lambda: INPUT_ORDER.rank(req.batch, req.ctx, limit=limit))
            return await self.cpu(
                lambda: _json(
                    {"ranked_ids": self.append(served, req).post_ids},
                    200,
                    {"Feedrank-Fallback": "deadline"},
                )
            )
        return await self.cpu(lambda: _json({"ranked_ids": self.append(late, req).post_ids}))

    def _feed(self) -> FeedGenerator:
        if self.config.feed is None:
            raise XrpcError(
                "this service serves no Bluesky feed", error="MethodNotImplemented", status=501
            )
        return self.config.feed

    async def skeleton(self, request: HttpRequest) -> Response:
        feed = self._feed()
        auth = request.headers.get("authorization")
        viewer = await anyio.to_thread.run_sync(lambda: feed.viewer(auth, GET_SKELETON))
        query = request.url.query
        fallback = self.config.fallback
        pipeline = self.config.pipeline
        sk = await self.cpu(lambda: feed.skeleton_request(query, viewer, pipeline))
        req = sk.request
        headers = {}
        ranking: Ranking | None
        if sk.cursor is not None and Cursor.decode(sk.cursor).fingerprint == fallback.fingerprint:
            # a page of the fallback feed: the fallback spec serves the next page too
            ranking = await self.fallback_ranking(req, sk.limit, sk.cursor)
        else:
            ranking = await self.rank(
                request,
                lambda: pipeline.rank(req.batch, req.ctx, limit=sk.limit, cursor=sk.cursor),
            )
            if ranking is None:  # the fallback feed starts from its first page
                self.metrics.fallback("/xrpc/" + GET_SKELETON)
                headers["Feedrank-Fallback"] = "deadline"
                ranking = await self.fallback_ranking(req, sk.limit)
        await self.log(ranking, req)
        req_id = ranking.logged.request_id if ranking.logged is not None else uuid.uuid4().hex
        return _json(feed.skeleton(ranking, viewer, req_id), 200, headers)

    async def describe(self, request: HttpRequest) -> Response:
        return _json(self._feed().describe())

    async def send_interactions(self, request: HttpRequest) -> Response:
        feed = self._feed()
        auth = request.headers.get("authorization")
        viewer = await anyio.to_thread.run_sync(lambda: feed.viewer(auth, SEND_INTERACTIONS))
        raw = await self.body(request)
        return _json(
            await anyio.to_thread.run_sync(lambda: feed.send_interactions(_decode(raw), viewer))
        )

    async def other_xrpc(self, request: HttpRequest) -> Response:
        method = request.path_params["method"]
        verb = {GET_SKELETON: "GET", DESCRIBE: "GET", SEND_INTERACTIONS: "POST"}.get(method)
        if verb is not None:
            raise XrpcError(
                f"{method} takes {verb}", error="InvalidRequest", status=405, expected=verb
            )
        raise XrpcError(
            f"{method[:100]} is not served here", error="MethodNotImplemented", status=501
        )

    async def did_json(self, request: HttpRequest) -> Response:
        feed = self._feed()
        endpoint = f"{request.url.scheme}://{request.url.netloc}"
        doc = feed.did_document(endpoint)
        if doc is None:
            return _json({"error": "NotFound", "message": "the service DID is not a did:web"}, 404)
        return _json(doc)

    async def spec(self, request: HttpRequest) -> Response:
        pipeline = self.config.pipeline
        return Response(
            canonical_json(pipeline.to_spec()),
            media_type=_JSON,
            headers={"ETag": f'"{pipeline.fingerprint}"'},
        )

    async def card(self, request: HttpRequest) -> Response:
        # measured on what the published spec served itself: not on feeds of a
        # viewer's choice nor on deadline fallbacks, which are other specs
        fingerprint = self.config.pipeline.fingerprint
        sample = [r for r in list(self.recent) if len(r) and r.fingerprint == fingerprint]
        card = await self.cpu(lambda: build_card(self.config.pipeline, sample))
        if request.url.path.endswith(".md"):
            return PlainTextResponse(card_markdown(card), media_type="text/markdown")
        return HTMLResponse(card_html(card))

    async def healthz(self, request: HttpRequest) -> Response:
        pipeline = self.config.pipeline
        return _json({"status": "ok", "spec": pipeline.name, "fingerprint": pipeline.fingerprint})

    async def metrics_text(self, request: HttpRequest) -> Response:
        return PlainTextResponse(
            self.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
        )


def create_app(config: ServeConfig) -> Starlette:
    """The service as an ASGI application (see the module docstring).

    >>> from feedrank import preset
    >>> app = create_app(ServeConfig(preset("chronological")))
    >>> sorted(r.path for r in app.routes)[:3]
    ['/.well-known/did.json', '/card', '/card.md']
    """
    s = _Service(config)
    x = "/xrpc/"
    routes = [
        Route("/v1/rank", s.route("/v1/rank", s.v1_rank), methods=["POST"]),
        Route("/rank", s.route("/rank", s.prc_rank), methods=["POST"]),
        Route(x + GET_SKELETON, s.route(x + GET_SKELETON, s.skeleton, xrpc=True), methods=["GET"]),
        Route(x + DESCRIBE, s.route(x + DESCRIBE, s.describe, xrpc=True), methods=["GET"]),
        Route(
            x + SEND_INTERACTIONS,
            s.route(x + SEND_INTERACTIONS, s.send_interactions, xrpc=True),
            methods=["POST"],
        ),
        Route(
            x + "{method}",
            s.route(x + "other", s.other_xrpc, xrpc=True),
            methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
        ),
        Route("/.well-known/did.json", s.route("/.well-known/did.json", s.did_json)),
        Route("/spec", s.route("/spec", s.spec), methods=["GET"]),
        Route("/card", s.route("/card", s.card), methods=["GET"]),
        Route("/card.md", s.route("/card", s.card), methods=["GET"]),
        Route("/healthz", s.route("/healthz", s.healthz), methods=["GET"]),
        Route("/metrics", s.route("/metrics", s.metrics_text), methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.metrics = s.metrics
    return app
