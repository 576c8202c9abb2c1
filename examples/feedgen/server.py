"""A Bluesky feed generator that serves a published feedrank spec.

python examples/feedgen/server.py --db feed.sqlite --spec bluesky-whats-hot \\
    --seed-posts examples/feedgen/posts.jsonl

Standard library only (http.server, sqlite3) besides feedrank. It serves

- ``GET /xrpc/app.bsky.feed.getFeedSkeleton?feed=...&limit=...&cursor=...``:
  the spec ranked over the posts in the SQLite store, one page at a time; the
  cursor is feedrank's keyset cursor, which carries the ``now`` of the first
  page, so paging never repeats or skips a post;
- ``GET /xrpc/app.bsky.feed.describeFeedGenerator``;
- ``POST /xrpc/app.bsky.feed.sendInteractions``: feedback events, stored and
  read back (as interactions) by the viewer's next ranking;
- ``GET /card`` (HTML) and ``GET /card.md``: the algorithm card, measured on
  the feeds served recently;
- ``GET /.well-known/did.json`` for a ``did:web`` service DID.

Every getFeedSkeleton request appends one record to a hash-chained feedrank
decision log, requests made for a viewer sealed under the log's data key
(``feedrank audit verify`` checks it, ``feedrank audit replay --data-key-file``
re-ranks every request). Bad parameters get the XRPC error body
``{"error": "InvalidRequest", "message": ...}`` with HTTP 400.

The viewer is read from the ``iss`` claim of the ``Authorization: Bearer``
service-auth JWT *without verifying its signature* (that needs the viewer's
DID document and an ES256K/ES256 library): fine on 127.0.0.1 for a demo, not
for a public service. See README.md beside this file.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import secrets
import signal
import sqlite3
import sys
import threading
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import feedrank as fr
import feedrank.audit as fa
from feedrank.adapters import atproto
from feedrank.adapters.atproto import XrpcError
from feedrank.audit.card import build_card, card_html, card_markdown
from feedrank.audit.secret_check import secret_from_hex
from feedrank.presets import spec_or_preset

Clock = Callable[[], datetime]
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MAX_BODY = 1 << 20

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    uri TEXT PRIMARY KEY,
    author TEXT NOT NULL,
    indexed_us INTEGER NOT NULL,
    post TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_by_time ON posts (indexed_us);
CREATE TABLE IF NOT EXISTS interactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    viewer TEXT NOT NULL,
    item TEXT,
    event TEXT,
    kind TEXT,
    feed_context TEXT,
    req_id TEXT,
    received_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS interactions_by_viewer ON interactions (viewer, received_us);
"""


def micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def wall_clock() -> datetime:
    """The service edge's clock: now, in UTC."""
    return datetime.now(timezone.utc)


def fixed_clock(moment: datetime) -> Clock:
    """A clock that always reads ``moment`` (demos, tests, replays)."""
    return lambda: moment


class Store:
    """Posts and received interactions in one SQLite file (one connection, one lock)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)

    def add_posts(self, posts: Iterable[fr.Post]) -> int:
        """Insert or replace posts (keyed by URI); returns how many."""
        rows = [(p.id, p.author_id, micros(p.created_at), p.model_dump_json()) for p in posts]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO posts VALUES (?, ?, ?, ?)", rows)
            self._db.execute("COMMIT")
        return len(rows)

    def candidates(self, now_us: int, window_us: int) -> list[fr.Post]:
        """Posts indexed in (now - window, now], in URI order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT post FROM posts WHERE indexed_us <= ? AND indexed_us > ? ORDER BY uri",
                (now_us, now_us - window_us),
            ).fetchall()
        return [fr.Post.model_validate_json(text) for (text,) in rows]

    def add_events(self, viewer: str, events: Sequence[atproto.FeedEvent], at_us: int) -> None:
        """Store every received event, mapped or not."""
        rows = [
            (
                viewer,
                e.item,
                e.event,
                e.kind.value if e.kind else None,
                e.feed_context,
                e.req_id,
                at_us,
            )
            for e in events
        ]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO interactions (viewer, item, event, kind, feed_context, req_id, "
                "received_us) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._db.execute("COMMIT")

    def interactions(self, viewer: str, now_us: int) -> tuple[list[fr.Interaction], dict[str, str]]:
        """The viewer's mapped interactions received up to ``now`` on posts the store
        holds, and the author of each of those posts. Events on posts the store does
        not hold stay in the table but cannot be attributed to an author."""
        with self._lock:
            rows = self._db.execute(
                "SELECT i.item, i.kind, i.received_us, p.author FROM interactions i "
                "JOIN posts p ON p.uri = i.item "
                "WHERE i.viewer = ? AND i.kind IS NOT NULL AND i.received_us <= ? ORDER BY i.id",
                (viewer, now_us),
            ).fetchall()
        found = [
            fr.Interaction(
                viewer_id=viewer,
                post_id=item,
                kind=kind,
                at=EPOCH + timedelta(microseconds=at_us),
            )
            for item, kind, at_us, _ in rows
        ]
        return found, {item: author for item, _, _, author in rows}

    def close(self) -> None:
        with self._lock:
            self._db.close()


def viewer_did(authorization: str | None, service_did: str) -> str | None:
    """The ``iss`` DID of a ``Bearer`` service-auth JWT, or None without one.

    The signature is NOT verified (see the module docstring). A token for another
    audience (``aud``) is refused with XRPC ``AuthenticationRequired`` (HTTP 401).
    """
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    parts = token.strip().split(".")
    refused = XrpcError(
        "the Authorization header is not a service-auth JWT for this feed generator",
        error="AuthenticationRequired",
        status=401,
    )
    if scheme.lower() != "bearer" or len(parts) != 3:
        raise refused
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        raise refused from None
    if not isinstance(claims, dict):
        raise refused
    iss, aud = claims.get("iss"), claims.get("aud")
    if not isinstance(iss, str) or not iss.startswith("did:"):
        raise refused
    if aud is not None and aud not in (service_did, f"{service_did}#bsky_fg"):
        raise refused
    return iss.split("#", 1)[0]


class FeedGenerator:
    """The feed generator without HTTP: validate, rank, log, answer."""

    def __init__(
        self,
        store: Store,
        pipeline: fr.Pipeline,
        *,
        service_did: str,
        feed_uri: str,
        log: fa.DecisionLog,
        clock: Clock = wall_clock,
        window_hours: float = 48.0,
        card_sample: int = 20,
    ) -> None:
        self.store = store
        self.pipeline = pipeline
        self.service_did = service_did
        self.feed_uri = feed_uri
        self.log = log
        self.clock = clock
        self.window_us = int(window_hours * 3_600_000_000)
        self.recent: deque[fr.Ranking] = deque(maxlen=card_sample)

    def describe(self) -> dict[str, Any]:
        return atproto.describe_feed_generator(self.service_did, [self.feed_uri])

    def skeleton(self, query: str, viewer: str | None) -> dict[str, Any]:
        params = atproto.parse_skeleton_params(query)
        if params.feed != self.feed_uri:
            raise XrpcError(
                f"this service does not serve {params.feed[:120]!r}",
                error="UnknownFeed",
                field="feed",
                expected=self.feed_uri,
            )
        cursor: fr.Cursor | None = None
        if params.cursor is not None:
            cursor = fr.Cursor.decode(params.cursor)
        now = cursor.now_datetime if cursor is not None else self.clock()
        now_us = micros(now)
        batch = fr.PostBatch.from_posts(self.store.candidates(now_us, self.window_us))
        person = fr.Viewer(id=viewer) if viewer else None
        interactions, authors = self.store.interactions(viewer, now_us) if viewer else ([], {})
        ctx = fr.Context.build(
            batch, now=now, viewer=person, interactions=interactions, post_authors=authors
        )
        req_id = uuid.uuid4().hex
        ranking = self.pipeline.rank(
            batch, ctx, limit=params.limit, cursor=cursor, audit=self.log, request_id=req_id
        )
        self.recent.append(ranking)
        return atproto.skeleton(ranking, req_id=req_id)

    def send_interactions(self, body: object, viewer: str | None) -> dict[str, Any]:
        if viewer is None:
            raise XrpcError(
                "sendInteractions needs the viewer's service-auth token",
                error="AuthenticationRequired",
                status=401,
            )
        events = atproto.parse_interactions(body)
        self.store.add_events(viewer, events, micros(self.clock()))
        return {}

    def card(self, fmt: str = "html") -> str:
        card = build_card(self.pipeline, sample=[r for r in list(self.recent) if len(r)])
        return card_html(card) if fmt == "html" else card_markdown(card)

    def did_document(self, endpoint: str) -> dict[str, Any] | None:
        if not self.service_did.startswith("did:web:"):
            return None
        return {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": self.service_did,
            "service": [
                {"id": "#bsky_fg", "type": "BskyFeedGenerator", "serviceEndpoint": endpoint}
            ],
        }


class Handler(BaseHTTPRequestHandler):
    """Routes requests to the :class:`FeedGenerator` of the server."""

    server: FeedServer
    server_version = "feedrank-feedgen/0.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: object) -> None:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        self._send(status, body, "application/json; charset=utf-8")

    def _error(self, status: int, error: str, message: str) -> None:
        self._json(status, {"error": error, "message": message})

    def _answer(self, work: Callable[[], None]) -> None:
        try:
            work()
        except XrpcError as err:
            self._json(err.status, err.body())
        except fr.FeedrankError as err:  # a bad cursor, or input the spec refuses
            self._error(400, "InvalidRequest", str(err))
        except Exception:
            traceback.print_exc(file=sys.stderr)
            self._error(500, "InternalServerError", "the feed generator failed; see its log")

    def _viewer(self) -> str | None:
        return viewer_did(self.headers.get("Authorization"), self.server.app.service_did)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        app = self.server.app
        if url.path == "/xrpc/app.bsky.feed.getFeedSkeleton":
            self._answer(lambda: self._json(200, app.skeleton(url.query, self._viewer())))
        elif url.path == "/xrpc/app.bsky.feed.describeFeedGenerator":
            self._answer(lambda: self._json(200, app.describe()))
        elif url.path in ("/card", "/card.html"):
            html = "text/html; charset=utf-8"
            self._answer(lambda: self._send(200, app.card("html").encode(), html))
        elif url.path == "/card.md":
            md = "text/markdown; charset=utf-8"
            self._answer(lambda: self._send(200, app.card("markdown").encode(), md))
        elif url.path == "/.well-known/did.json" and app.did_document(self.server.endpoint):
            self._json(200, app.did_document(self.server.endpoint))
        elif url.path == "/xrpc/app.bsky.feed.sendInteractions":
            self._error(405, "InvalidRequest", "sendInteractions is a procedure: use POST")
        elif url.path.startswith("/xrpc/"):
            self._error(501, "MethodNotImplemented", f"{url.path[6:][:100]} is not served here")
        else:
            self._error(404, "NotFound", "no such page")

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        if url.path.startswith("/xrpc/") and url.path != "/xrpc/app.bsky.feed.sendInteractions":
            self._error(501, "MethodNotImplemented", f"{url.path[6:][:100]} is not served here")
            return
        if not url.path.startswith("/xrpc/"):
            self._error(404, "NotFound", "no such page")
            return
        self._answer(self._interactions)

    def _interactions(self) -> None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise XrpcError("a JSON body with a Content-Length is required")
        if int(length) > MAX_BODY:
            raise XrpcError(
                f"body of {length} bytes", error="PayloadTooLarge", status=413, expected="<= 1 MiB"
            )
        raw = self.rfile.read(int(length))
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise XrpcError("the body is not JSON", expected="a JSON object") from None
        self._json(200, self.server.app.send_interactions(body, self._viewer()))


class FeedServer(ThreadingHTTPServer):
    """A threading HTTP server holding the app."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], app: FeedGenerator, *, verbose: bool = False
    ) -> None:
        super().__init__(address, Handler)
        self.app = app
        self.verbose = verbose
        self.endpoint = f"http://{address[0]}:{self.server_address[1]}"


def load_seed(path: Path, *, rebase_to: datetime | None) -> list[fr.Post]:
    """Post views (one JSON object per line) as posts; ``rebase_to`` shifts every
    time so the newest post was indexed 5 minutes before it."""
    posts: list[fr.Post] = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                posts.append(atproto.post_view_to_post(json.loads(line)))
            except json.JSONDecodeError as exc:
                raise fr.InputError(
                    f"not valid JSON: {exc.msg}", source=str(path), line=number
                ) from None
            except fr.InputError as err:
                err.source, err.line = str(path), number
                err.args = (err._render(),)
                raise
    if rebase_to is not None and posts:
        shift = rebase_to - timedelta(minutes=5) - max(p.created_at for p in posts)
        posts = [p.model_copy(update={"created_at": p.created_at + shift}) for p in posts]
    return posts


def audit_secret(path: Path, what: str) -> bytes:
    """A decision-log secret kept in ``path`` as 64 hex digits, created (32 random
    bytes, mode 0600) on first use. Keep it: the pseudonymisation key keeps viewer
    pseudonyms stable, the data key is needed to replay the sealed records."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    try:
        return secret_from_hex(path.read_text(encoding="ascii"), field=what, source=str(path))
    except (fr.FeedrankError, UnicodeDecodeError) as err:
        raise SystemExit(f"{path}: {err}") from None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Serve a feedrank spec as a Bluesky feed generator."
    )
    parser.add_argument("--db", type=Path, required=True, help="SQLite store (created if needed)")
    parser.add_argument("--spec", default="bluesky-whats-hot", help="preset name or spec file")
    parser.add_argument("--seed-posts", type=Path, help="post views to load (JSON Lines)")
    parser.add_argument(
        "--keep-seed-times",
        action="store_true",
        help="keep seed timestamps as written (default: move them so the newest is 5 min old)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8000, help="port (0: any free port)")
    parser.add_argument("--did", default="did:web:localhost", help="the service DID")
    parser.add_argument("--publisher-did", help="DID of the feed record's repo (default: --did)")
    parser.add_argument("--feed-name", default=None, help="record key of the feed (default: spec)")
    parser.add_argument(
        "--audit-log", type=Path, help="decision log (default: <db>.decisions.jsonl)"
    )
    parser.add_argument("--audit-key-file", type=Path, help="default: <audit log>.key")
    parser.add_argument("--audit-data-key-file", type=Path, help="default: <audit log>.data-key")
    parser.add_argument(
        "--pseudonym-period",
        choices=("none", "day", "month", "year"),
        default="none",
        help="how long a viewer keeps one pseudonym in the decision log",
    )
    parser.add_argument("--fsync", choices=("always", "close", "never"), default="always")
    parser.add_argument(
        "--now",
        type=datetime.fromisoformat,
        help="pin the clock to this moment (ISO 8601 with a timezone)",
    )
    parser.add_argument("--window-hours", type=float, default=48.0, help="candidate window")
    parser.add_argument("--ready-file", type=Path, help="write the bound port here once serving")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if args.now is not None and args.now.tzinfo is None:
        parser.error("--now needs a timezone, such as 2026-03-01T12:00:00+00:00")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    clock: Clock = wall_clock if args.now is None else fixed_clock(args.now)
    pipeline = spec_or_preset(args.spec)
    name = args.feed_name or "".join(c if c.isalnum() or c in "-_" else "-" for c in pipeline.name)
    feed = atproto.feed_uri(args.publisher_did or args.did, name)
    store = Store(args.db)
    if args.seed_posts is not None:
        seeds = load_seed(args.seed_posts, rebase_to=None if args.keep_seed_times else clock())
        store.add_posts(seeds)
    log_path = args.audit_log or args.db.with_name(args.db.name + ".decisions.jsonl")
    key_path = args.audit_key_file or log_path.with_name(log_path.name + ".key")
    data_key_path = args.audit_data_key_file or log_path.with_name(log_path.name + ".data-key")
    log = fa.DecisionLog(
        log_path,
        key=audit_secret(key_path, "--audit-key-file"),
        data_key=audit_secret(data_key_path, "--audit-data-key-file"),
        pseudonym_period=args.pseudonym_period,
        fsync=args.fsync,
    )
    app = FeedGenerator(
        store,
        pipeline,
        service_did=args.did,
        feed_uri=feed,
        log=log,
        clock=clock,
        window_hours=args.window_hours,
    )
    server = FeedServer((args.host, args.port), app, verbose=args.verbose)

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = server.server_address[1]
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        print("warning: viewer identity is not verified; serve only on loopback", file=sys.stderr)
    print(
        f"feedgen: {feed} ({pipeline.name}, fingerprint {pipeline.fingerprint[:16]}) "
        f"on http://{args.host}:{port}  card: http://{args.host}:{port}/card  log: {log_path}",
        flush=True,
    )
    if args.ready_file is not None:
        tmp = args.ready_file.with_name(args.ready_file.name + ".tmp")
        tmp.write_text(str(port), encoding="utf-8")
        tmp.replace(args.ready_file)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        log.close()
        store.close()
        print("feedgen: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
