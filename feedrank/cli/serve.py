"""``feedrank serve``: run the ranking service (``pip install 'feedrank[serve]'``).

    feedrank serve --spec balanced                                   /v1/rank, /rank, /card ...
    feedrank serve --spec S --db feed.sqlite --seed-posts views.jsonl  and a Bluesky feed

The service imports Starlette and uvicorn; they are loaded only by this command.
"""

from __future__ import annotations

import argparse
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from feedrank.cli.audit import add_rank_audit_options, open_rank_audit_log
from feedrank.errors import InputError
from feedrank.presets import spec_or_preset

__all__ = ["add_serve_command"]


def _secret_file(path: Path) -> bytes:
    """32 random bytes kept in ``path`` as hex, created (mode 0600) on first use."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise InputError("not 64 hex digits", source=str(path), field="--cursor-key-file")
    return key


def _now(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("--now needs a timezone, such as 2026-03-01T12:00:00Z")
    return moment


def _cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    try:
        from feedrank import serve
        from feedrank.adapters.atproto import feed_uri
        from feedrank.serve.store import load_post_views
    except ImportError as exc:  # pragma: no cover - the extra is installed in tests
        raise InputError(
            f"the service needs the serve extra ({exc.name} is missing)",
            field="feedrank serve",
            expected="pip install 'feedrank[serve]'",
        ) from None
    if args.deadline_ms is not None and not args.deadline_ms >= 0:
        raise InputError(
            f"got {args.deadline_ms}", field="--deadline-ms", expected="a number of ms >= 0"
        )
    pipeline = spec_or_preset(args.spec)
    pinned: datetime | None = args.now

    def clock() -> datetime:
        return pinned if pinned is not None else datetime.now(timezone.utc)

    log = open_rank_audit_log(args)
    if log is not None and not log.seals:
        log.close()
        raise InputError(
            "the decision log has no data key; requests carry viewers",
            field="--audit-data-key-file",
            expected="--audit-data-key-file PATH with --audit-log",
        )
    feed = None
    store = None
    if args.db is not None:
        store = serve.Store(args.db, busy_ms=args.db_busy_ms)
        if args.seed_posts is not None:
            rebase = None if args.keep_seed_times else clock()
            store.add_posts(load_post_views(args.seed_posts, rebase_to=rebase))
        resolver: serve.DidResolver = (
            serve.FileResolver(args.did_documents)
            if args.did_documents is not None
            else serve.NetworkResolver(args.plc_directory)
        )
        key = (
            _secret_file(args.cursor_key_file) if args.cursor_key_file else secrets.token_bytes(32)
        )
        name = args.feed_name or "".join(
            c if c.isalnum() or c in "-_" else "-" for c in pipeline.name
        )
        feed = serve.FeedGenerator(
            store=store,
            service_did=args.did,
            feed_uri=feed_uri(args.publisher_did or args.did, name),
            resolver=serve.CachingResolver(resolver),
            cursors=serve.CursorSigner(key),
            clock=clock,
            window_hours=args.window_hours,
        )
    app = serve.create_app(
        serve.ServeConfig(
            pipeline,
            log=log,
            deadline_ms=args.deadline_ms,
            feed=feed,
            max_body_bytes=args.max_body_bytes,
        )
    )

    def ready(port: int) -> None:
        where = f"http://{args.host}:{port}"
        lines = [f"feedrank serve: {pipeline.name} ({pipeline.fingerprint[:16]}) on {where}"]
        if feed is not None:
            lines.append(f"  feed {feed.feed_uri}")
        out.write("\n".join(lines) + "\n")
        out.flush()
        if args.ready_file is not None:
            tmp = args.ready_file.with_name(args.ready_file.name + ".tmp")
            tmp.write_text(str(port), encoding="utf-8")
            tmp.replace(args.ready_file)

    try:
        serve.serve_app(
            app,
            host=args.host,
            port=args.port,
            on_ready=ready,
            header_timeout_s=args.header_timeout,
            keep_alive_s=args.keep_alive,
        )
    finally:
        if log is not None:
            log.close()
        if store is not None:
            store.close()
    out.write("feedrank serve: stopped\n")
    return 0


def add_serve_command(sub: Any) -> None:
    """Add ``serve`` to the ``feedrank`` subparsers."""
    p = sub.add_parser("serve", help="run the ranking service over HTTP (feedrank[serve])")
    p.add_argument("--spec", required=True, help="spec file (.toml/.json) or preset name")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free)")
    p.add_argument(
        "--deadline-ms",
        type=float,
        help="past this many milliseconds, serve the fallback order (input order for /rank, "
        "chronological otherwise) and record it",
    )
    p.add_argument(
        "--max-body-bytes", type=int, default=8 << 20, help="largest request body (default 8 MiB)"
    )
    p.add_argument("--header-timeout", type=float, default=10.0, help="seconds for the headers")
    p.add_argument("--keep-alive", type=int, default=5, help="seconds an idle connection stays")
    p.add_argument("--now", type=_now, help="pin the service clock (ISO 8601 with a timezone)")
    p.add_argument("--ready-file", type=Path, help="write the bound port here once serving")
    add_rank_audit_options(p)
    p.add_argument(
        "--audit-fsync",
        choices=("always", "close", "never"),
        default="always",
        help="when decision records reach the disk (default: after each)",
    )
    feed = p.add_argument_group("Bluesky feed generator (enabled by --db)")
    feed.add_argument("--db", type=Path, help="SQLite store of posts and interactions")
    feed.add_argument("--db-busy-ms", type=int, default=2000, help="SQLite busy timeout")
    feed.add_argument("--seed-posts", type=Path, help="Bluesky post views to load (JSON Lines)")
    feed.add_argument(
        "--keep-seed-times",
        action="store_true",
        help="keep seed times as written (default: the newest is moved to 5 min ago)",
    )
    feed.add_argument("--did", default="did:web:localhost", help="the service DID")
    feed.add_argument("--publisher-did", help="DID of the feed record's repo (default: --did)")
    feed.add_argument("--feed-name", help="record key of the feed (default: the spec name)")
    feed.add_argument("--window-hours", type=float, default=48.0, help="candidate window")
    feed.add_argument(
        "--did-documents",
        type=Path,
        help="resolve DIDs from this JSON file of DID documents (default: PLC directory "
        "and did:web over HTTPS)",
    )
    feed.add_argument("--plc-directory", default="https://plc.directory")
    feed.add_argument(
        "--cursor-key-file",
        type=Path,
        help="HMAC key of the feed cursors, created on first use (default: a new key per run)",
    )
    p.set_defaults(run=_cmd_serve)
