"""The service's store: posts to serve and interactions received, in one SQLite file.

- WAL journal, so readers never wait for the writer;
- one connection per thread, in autocommit mode; every write is one
  ``BEGIN IMMEDIATE ... COMMIT`` and is rolled back on any error, so no
  transaction is ever left open for the next request;
- a busy timeout (``busy_ms``): a write that cannot take the lock in that time
  raises :class:`StoreBusyError` (the service answers 503 with ``Retry-After``) and
  the next request starts clean.

>>> import tempfile, pathlib
>>> from datetime import datetime, timezone
>>> from feedrank import Post
>>> t = datetime(2026, 3, 1, tzinfo=timezone.utc)
>>> with tempfile.TemporaryDirectory() as tmp:
...     store = Store(pathlib.Path(tmp, "feed.sqlite"))
...     uri = "at://did:plc:a/app.bsky.feed.post/1"
...     added = store.add_posts([Post(id=uri, author_id="did:plc:a", created_at=t)])
...     found = [p.id for p in store.candidates(to_micros(t), 3_600_000_000)]
...     store.close()
>>> added, found
(1, ['at://did:plc:a/app.bsky.feed.post/1'])
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from feedrank.adapters.atproto import FeedEvent, post_view_to_post
from feedrank.errors import FeedrankError, InputError
from feedrank.models import Interaction, Post

__all__ = ["Store", "StoreBusyError", "load_post_views", "to_micros"]

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

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


class StoreBusyError(FeedrankError):
    """The store was locked by another writer for longer than the busy timeout."""


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (moment - EPOCH) // timedelta(microseconds=1)


class Store:
    """Posts and received interactions in one SQLite file (see the module docstring)."""

    def __init__(self, path: str | Path, *, busy_ms: int = 2000) -> None:
        self._path = str(path)
        self._busy_ms = busy_ms
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self._write() as db:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(
                self._path,
                timeout=self._busy_ms / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            db.execute(f"PRAGMA busy_timeout = {int(self._busy_ms)}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            self._local.db = db
            with self._lock:
                self._all.append(db)
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreBusyError(f"the store is busy: {exc}") from None
        try:
            yield db
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise StoreBusyError(f"the store is busy: {exc}") from None
            raise

    def add_posts(self, posts: Iterable[Post]) -> int:
        """Insert or replace posts (keyed by URI) in one transaction; returns how many."""
        rows = [(p.id, p.author_id, to_micros(p.created_at), p.model_dump_json()) for p in posts]
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO posts VALUES (?, ?, ?, ?)", rows)
        return len(rows)

    def candidates(self, now_us: int, window_us: int) -> list[Post]:
        """Posts indexed in (now - window, now], in URI order."""
        rows = self._db().execute(
            "SELECT post FROM posts WHERE indexed_us <= ? AND indexed_us > ? ORDER BY uri",
            (now_us, now_us - window_us),
        )
        return [Post.model_validate_json(text) for (text,) in rows.fetchall()]

    def add_events(self, viewer: str, events: Sequence[FeedEvent], at_us: int) -> None:
        """Store every received event, mapped or not, in one transaction."""
        rows = [
            (viewer, e.item, e.event, e.kind.value if e.kind else None, e.feed_context, e.req_id)
            for e in events
        ]
        with self._write() as db:
            db.executemany(
                "INSERT INTO interactions (viewer, item, event, kind, feed_context, req_id, "
                "received_us) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(*row, at_us) for row in rows],
            )

    def interactions(self, viewer: str, now_us: int) -> tuple[list[Interaction], dict[str, str]]:
        """The viewer's mapped interactions received up to ``now`` on posts the store
        holds, and the author of each of those posts."""
        rows = (
            self._db()
            .execute(
                "SELECT i.item, i.kind, i.received_us, p.author FROM interactions i "
                "JOIN posts p ON p.uri = i.item "
                "WHERE i.viewer = ? AND i.kind IS NOT NULL AND i.received_us <= ? ORDER BY i.id",
                (viewer, now_us),
            )
            .fetchall()
        )
        found = [
            Interaction(
                viewer_id=viewer, post_id=item, kind=kind, at=EPOCH + timedelta(microseconds=at)
            )
            for item, kind, at, _ in rows
        ]
        return found, {item: author for item, _, _, author in rows}

    def close(self) -> None:
        """Close every connection."""
        with self._lock:
            for db in self._all:
                db.close()
            self._all.clear()


def load_post_views(path: Path, *, rebase_to: datetime | None = None) -> list[Post]:
    """Bluesky post views (one JSON object per line) as posts; ``rebase_to`` shifts
    every time so the newest post was indexed 5 minutes before it."""
    posts: list[Post] = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                posts.append(post_view_to_post(json.loads(line)))
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"not valid JSON: {exc.msg}", source=str(path), line=number
                ) from None
            except InputError as err:
                raise err.locate(source=str(path), line=number) from None
    if rebase_to is not None and posts:
        shift = rebase_to - timedelta(minutes=5) - max(p.created_at for p in posts)
        posts = [p.model_copy(update={"created_at": p.created_at + shift}) for p in posts]
    return posts
