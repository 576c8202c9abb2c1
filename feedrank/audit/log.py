"""Writing a decision log: durable, hash-chained, safe for concurrent writers.

Appending (under an exclusive ``fcntl.flock`` on the log file, held from
reading the last record's hash to the end of the write) works like this:

1. the request is serialised *outside* the lock (the expensive part);
2. under the lock, the writer learns the last record's ``seq`` and ``hash``:
   from its own cache when the file size is the one it left behind, else by
   reading the last line. A log whose last line is torn (no final newline, or
   not JSON) is refused with :class:`AuditError`: appending after it would
   hide the damage. :func:`repair_tail` moves such a tail to a side file;
3. the line is written with ``os.write`` on an ``O_APPEND`` descriptor (no
   user-space buffer: once ``append`` returns, the bytes are in the kernel and
   survive a crash of the process). If a write fails part-way (disk full), the
   file is truncated back to where the record began;
4. the fsync policy decides when the bytes reach the disk:

   - ``"always"`` (default): ``fdatasync`` after every record, before the lock
     is released. A returned ``append`` survives power loss.
   - ``"close"``: one ``fsync`` in :meth:`DecisionLog.close`. A power loss may
     lose the records since the last close, never an earlier one, and may leave
     a torn tail, which :func:`~feedrank.audit.verify` reports.
   - ``"never"``: the operating system flushes when it likes.

   A newly created log also gets its directory synced (unless ``"never"``), so
   the file itself survives a power loss.

Two processes (or two ``DecisionLog`` objects, or threads sharing one) append
to the same file safely: the lock serialises them and each links its record to
the one before. After ``fork`` the child reopens the file, so parent and child
do not share one lock. ``flock`` is advisory and local: every writer must go
through :class:`DecisionLog`, and network file systems may not honour it.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from feedrank.audit.arrays import ArrayEncoding
from feedrank.audit.encode import choice_json, encode_request, spec_json
from feedrank.audit.record import GENESIS, is_hex64
from feedrank.audit.secret_check import check_secret
from feedrank.audit.viewer import PERIODS, PseudonymPeriod
from feedrank.errors import AuditError
from feedrank.io.decoding import decode_json

if sys.platform != "win32":
    import fcntl

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from feedrank.batch.context import Context
    from feedrank.ranking.ranking import Ranking

__all__ = [
    "MAX_RECORD_BYTES",
    "Appended",
    "DecisionLog",
    "FsyncPolicy",
    "TornTail",
    "repair_tail",
]

FsyncPolicy = Literal["always", "close", "never"]
_POLICIES = ("always", "close", "never")
_CHUNK = 1 << 16
MAX_RECORD_BYTES = 64 << 20
"""The longest record (one line, newline excluded) a log holds: 64 MiB, about
200,000 candidates. :class:`DecisionLog` refuses to write a longer one and the
readers (:func:`~feedrank.audit.verify`, ...) skip a longer line as unreadable
after reading it in bounded pieces; ``max_record_bytes=`` changes it for both."""


@dataclass(frozen=True)
class Appended:
    """Where :meth:`DecisionLog.append` put a record: its ``seq`` (1-based record
    number, also its line), ``request_id``, ``hash`` (publish it as an anchor)
    and ``leaf_hash``, the record's leaf in the log's Merkle tree (32 bytes,
    :func:`feedrank.audit.merkle.leaf_hash` of the line without its newline):
    with a checkpoint, ``feedrank audit prove --seq`` makes the viewer's receipt."""

    seq: int
    request_id: str
    hash: str
    leaf_hash: bytes = b""


@dataclass(frozen=True)
class TornTail:
    """An incomplete last record: ``size`` bytes from byte ``offset``, on ``line``
    (which would be record ``record``); ``reason`` says what is wrong."""

    record: int
    line: int
    offset: int
    size: int
    reason: str


def _sync(fd: int) -> None:
    if sys.platform == "darwin":  # pragma: no cover - fsync does not reach the platter there
        fcntl.fcntl(fd, getattr(fcntl, "F_FULLFSYNC", 51))
    elif hasattr(os, "fdatasync"):
        os.fdatasync(fd)
    else:  # pragma: no cover
        os.fsync(fd)


def _sync_dir(path: Path) -> None:
    try:
        dfd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - directories cannot be opened everywhere
        return
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


@contextmanager
def _locked(fd: int) -> Iterator[None]:
    if sys.platform == "win32":  # pragma: no cover
        raise AuditError(
            "this platform has no fcntl.flock, so appends cannot be serialised",
            expected="Linux, macOS or another POSIX system",
        )
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _last_line(fd: int, size: int, max_bytes: int) -> tuple[int, bytes | None]:
    """Offset and bytes (newline included if present) of the last line of a file;
    None for the bytes if the line is longer than ``max_bytes`` without its newline."""
    end = size
    if size and os.pread(fd, 1, size - 1) == b"\n":
        end = size - 1  # search before the final newline
    pos = end
    begin = 0
    while pos > 0:
        start = max(0, pos - _CHUNK)
        chunk = os.pread(fd, pos - start, start)
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            begin = start + cut + 1
            break
        pos = start
    if end - begin > max_bytes:
        return begin, None
    return begin, os.pread(fd, size - begin, begin)


def _tail_state(fd: int, size: int, max_bytes: int) -> tuple[int, str] | TornTail:
    """``(seq, hash)`` of the last record, or the torn tail that ends the file."""
    if size == 0:
        return 0, GENESIS
    offset, raw = _last_line(fd, size, max_bytes)
    reason = ""
    seq: object = None
    digest: object = None
    if raw is None:
        reason = f"the last line is longer than the maximum record size of {max_bytes} bytes"
    elif not raw.endswith(b"\n"):
        reason = "the last line has no final newline (an interrupted write)"
    else:
        try:
            data = decode_json(raw, source="", error=AuditError)
        except AuditError as err:
            reason = f"the last line is not a JSON object ({err.message})"
        else:
            if isinstance(data, dict):
                seq, digest = data.get("seq"), data.get("hash")
            else:
                reason = "the last line is not a JSON object"
        if not reason and not (type(seq) is int and seq >= 1 and is_hex64(digest)):
            reason = "the last line has no valid seq and hash"
    if reason:
        return TornTail(record=-1, line=-1, offset=offset, size=size - offset, reason=reason)
    assert isinstance(seq, int)
    assert isinstance(digest, str)
    return seq, digest


class DecisionLog:
    """An append-only, hash-chained JSON Lines log of ranking decisions.

    ``key`` pseudonymises viewer ids with HMAC-SHA256 and is never written.
    ``data_key`` seals (AES-256-GCM) every request that holds personal data: a
    viewer, or a context derived from one (see :mod:`feedrank.audit`). Without
    a data key such a request is refused with :class:`AuditError` and nothing
    is written: the log holds nothing personal in clear, so a log without a
    data key can only hold anonymous feeds. Both keys must be 32 random bytes
    or more (``secrets.token_bytes(32)``; :func:`~feedrank.audit.secret_check.check_secret`
    refuses short and patterned ones) and must differ. Keep both: the key
    finds a person's records again (an access request), the data key is needed
    to replay sealed records.

    ``pseudonym_period`` (``"none"``, ``"day"``, ``"month"``, ``"year"``):
    how long a viewer keeps one pseudonym (:func:`~feedrank.audit.viewer.pseudonym`).
    ``"none"`` lets anyone reading the log follow one pseudonym over all its
    records; a rotating period makes records of different periods unlinkable
    without the key, while the key holder still finds a person's records by
    computing one pseudonym per period.

    ``fsync`` is the durability policy (module docstring). A ranking of a
    viewer's choice (``ranking.choice``) is recorded with its ``choice``: the
    published spec, the alternative and the controls set (``spec`` is then the
    effective spec). ``embed_spec``
    writes the spec's canonical JSON into every record (else only its
    fingerprint, name and version). ``arrays`` writes bulk numeric arrays as
    typed base64 blobs ("binary", the default: exact and several times faster
    to write) or as JSON lists ("json": readable with any JSON tool); readers
    accept both. ``max_record_bytes`` (default :data:`MAX_RECORD_BYTES`)
    bounds one record: a longer one is refused, so every record the log holds
    can be read back with the same bound. ``signing_key`` (the Ed25519 key of
    ``feedrank audit keygen``, :func:`~feedrank.audit.load_signing_key`) signs
    every record's hash into its ``ed25519`` field, so that ``verify`` with the
    public key names any record changed by someone without the key. Use as a
    context manager, or call :meth:`close`.

    >>> import tempfile, pathlib
    >>> from datetime import datetime, timezone
    >>> from feedrank import Context, Post, PostBatch, Viewer, preset
    >>> from feedrank.audit import verify
    >>> key = bytes.fromhex("9d3a61c0f2e84b57a1c6e0d97f3b28a4c5e1f60b3d8a7294e6c0b5f1a3d7e982")
    >>> data_key = bytes.fromhex("47be0c1f9a3d6e28b5c4f7a01e9d3b6c82f5a4e7d0c3b6a9f2e5d8c1b4a7e0f3")
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> batch = PostBatch.from_posts([Post(id="p", author_id="a", created_at=t)])
    >>> ctx = Context.build(batch, now=t, viewer=Viewer(id="v"))
    >>> ranking = preset("chronological").rank(batch, ctx)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "decisions.jsonl")
    ...     with DecisionLog(path, key=key, data_key=data_key) as log:
    ...         first = log.append(ranking, ctx, request_id="req-1")
    ...         second = log.append(ranking, ctx)
    ...     report = verify(path)
    >>> first.seq, second.seq, report.ok, report.valid
    (1, 2, True, 2)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        key: bytes,
        data_key: bytes | None = None,
        pseudonym_period: PseudonymPeriod = "none",
        fsync: FsyncPolicy = "always",
        embed_spec: bool = True,
        arrays: ArrayEncoding = "binary",
        max_record_bytes: int = MAX_RECORD_BYTES,
        signing_key: Ed25519PrivateKey | None = None,
    ) -> None:
        self._key = check_secret(key, field="key")
        self._sign: Callable[[bytes], bytes] | None = None
        if signing_key is not None:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

            if not isinstance(signing_key, Ed25519PrivateKey):
                raise AuditError(
                    f"got a {type(signing_key).__name__}",
                    field="signing_key",
                    expected="an Ed25519 private key (feedrank.audit.load_signing_key)",
                )
            self._sign = signing_key.sign
        self._data_key = None if data_key is None else check_secret(data_key, field="data_key")
        if self._data_key is not None and hmac.compare_digest(self._key, self._data_key):
            raise AuditError(
                "the data key is the pseudonymisation key",
                field="data_key",
                expected="two separate random keys",
            )
        if pseudonym_period not in PERIODS:
            raise AuditError(
                f"pseudonym_period={pseudonym_period!r}",
                field="pseudonym_period",
                expected=" | ".join(PERIODS),
            )
        if fsync not in _POLICIES:
            raise AuditError(f"fsync={fsync!r}", field="fsync", expected=" | ".join(_POLICIES))
        if arrays not in ("binary", "json"):
            raise AuditError(f"arrays={arrays!r}", field="arrays", expected="binary | json")
        self._path = Path(path)
        self._period: PseudonymPeriod = pseudonym_period
        self._max_record = max_record_bytes
        self._fsync: FsyncPolicy = fsync
        self._embed = embed_spec
        self._arrays: ArrayEncoding = arrays
        self._lock = threading.Lock()
        self._specs: dict[str, str] = {}
        self._choices: dict[tuple[str, str | None, tuple[tuple[str, Any], ...]], str] = {}
        self._fd: int | None = None
        self._pid = 0
        self._cache: tuple[int, int, str] | None = None  # (file size, seq, hash) we left
        self._dirty = False
        self._open()

    def _open(self) -> None:
        existed = self._path.exists()
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        self._fd = os.open(self._path, flags, 0o640)
        self._pid = os.getpid()
        self._cache = None
        if not existed and self._fsync != "never":
            _sync_dir(self._path)

    @property
    def path(self) -> Path:
        """The log file."""
        return self._path

    @property
    def pseudonym_period(self) -> PseudonymPeriod:
        """How long a viewer keeps one pseudonym: "none", "day", "month" or "year"."""
        return self._period

    @property
    def seals(self) -> bool:
        """Whether the log has a data key, so it can hold requests with personal data."""
        return self._data_key is not None

    @property
    def fsync(self) -> FsyncPolicy:
        """The durability policy: "always", "close" or "never"."""
        return self._fsync

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._fd is None

    def _spec_json(self, ranking: Ranking) -> str:
        fp = ranking.pipeline.fingerprint
        text = self._specs.get(fp)
        if text is None:
            text = self._specs[fp] = spec_json(ranking.pipeline, embed=self._embed)
        return text

    def _choice_json(self, ranking: Ranking) -> str | None:
        stamp = ranking.choice
        if stamp is None:
            return None
        key = (stamp.published.fingerprint, stamp.alternative, stamp.settings)
        text = self._choices.get(key)
        if text is None:
            if len(self._choices) >= 4096:
                self._choices.clear()
            text = self._choices[key] = choice_json(ranking, embed=self._embed) or ""
        return text

    def append(self, ranking: Ranking, ctx: Context, request_id: str | None = None) -> Appended:
        """Append one record for ``ranking``, computed with ``ctx``.

        ``request_id`` defaults to a content hash of the request (see
        :func:`~feedrank.audit.encode.encode_request`). Raises
        :class:`AuditError` if the log ends with a torn record or the write fails
        (the log is then left as it was).
        """
        if self._fd is None:  # checked again under the lock; fail before the work
            raise AuditError("the decision log is closed", source=str(self._path))
        encoded = encode_request(
            ranking,
            ctx,
            key=self._key,
            data_key=self._data_key,
            pseudonym_period=self._period,
            request_id=request_id,
            spec=self._spec_json(ranking),
            arrays=self._arrays,
            choice=self._choice_json(ranking),
        )
        with self._lock:
            if self._fd is None:
                raise AuditError("the decision log is closed", source=str(self._path))
            if self._pid != os.getpid():  # forked: do not share the parent's lock
                os.close(self._fd)
                self._open()
            fd = self._fd
            assert fd is not None
            with _locked(fd):
                size = os.fstat(fd).st_size
                if self._cache is not None and self._cache[0] == size:
                    seq, prev = self._cache[1], self._cache[2]
                else:
                    state = _tail_state(fd, size, self._max_record)
                    if isinstance(state, TornTail):
                        raise AuditError(
                            f"the log ends with an incomplete record at byte {state.offset} "
                            f"({state.reason}); nothing was appended",
                            source=str(self._path),
                            expected="a log whose last line is a whole record: inspect it "
                            "with `feedrank audit verify`, then feedrank.audit.repair_tail()",
                        )
                    seq, prev = state
                line, digest = encoded.line(seq + 1, prev, self._sign)
                if len(line) - 1 > self._max_record:
                    raise AuditError(
                        f"the record is {len(line) - 1} bytes, more than the maximum record "
                        f"size of {self._max_record} bytes; nothing was appended",
                        source=str(self._path),
                        expected="a smaller request, or a log and readers opened with a "
                        "larger max_record_bytes",
                    )
                self._write(fd, line, size)
                if self._fsync == "always":
                    _sync(fd)
                else:
                    self._dirty = True
                self._cache = (size + len(line), seq + 1, digest)
        from feedrank.audit.merkle import leaf_hash

        return Appended(seq + 1, encoded.request_id, digest, leaf_hash(line[:-1]))

    def _write(self, fd: int, line: bytes, size: int) -> None:
        view = memoryview(line)
        done = 0
        try:
            while done < len(line):
                done += os.write(fd, view[done:])
        except BaseException as exc:
            with contextlib.suppress(OSError):  # if this fails too, verify reports the tail
                os.ftruncate(fd, size)
            if isinstance(exc, OSError):
                raise AuditError(
                    f"could not write the record: {exc.strerror}; the log was left as it was",
                    source=str(self._path),
                ) from exc
            raise

    def head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the last record (``(0, GENESIS)`` for an empty log).

        Publishing the head elsewhere (a transparency log, a daily notice) makes
        a later truncation of the log detectable: pass it to ``verify(anchor=)``.
        """
        with self._lock:
            if self._fd is None:
                raise AuditError("the decision log is closed", source=str(self._path))
            with _locked(self._fd):
                state = _tail_state(self._fd, os.fstat(self._fd).st_size, self._max_record)
        if isinstance(state, TornTail):
            raise AuditError(
                f"the log ends with an incomplete record ({state.reason})",
                source=str(self._path),
            )
        return state

    def close(self) -> None:
        """Close the file, syncing it first under the "close" policy. Idempotent."""
        with self._lock:
            if self._fd is None:
                return
            try:
                if self._fsync == "close" and self._dirty and self._pid == os.getpid():
                    _sync(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._fd is None else f"fsync={self._fsync}"
        return f"DecisionLog({str(self._path)!r}, {state})"


def repair_tail(
    path: str | os.PathLike[str], *, max_record_bytes: int = MAX_RECORD_BYTES
) -> TornTail | None:
    """Move a torn last line out of the log so appends can resume.

    The torn bytes are not dropped: they are copied in bounded pieces (and
    synced) to ``<log>.torn-<offset>`` next to the log before the log is
    truncated to its last whole record. A last line longer than
    ``max_record_bytes`` counts as torn. Returns what was moved, or None if
    the log was whole. Holds the writers' lock, so it is safe while other
    processes append.
    """
    log = Path(path)
    fd = os.open(log, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
    try:
        with _locked(fd):
            size = os.fstat(fd).st_size
            state = _tail_state(fd, size, max_record_bytes)
            if not isinstance(state, TornTail):
                return None
            side = log.with_name(f"{log.name}.torn-{state.offset}")
            with side.open("xb") as fh:
                for start in range(state.offset, size, _CHUNK):
                    fh.write(os.pread(fd, min(_CHUNK, size - start), start))
                fh.flush()
                os.fsync(fh.fileno())
            _sync_dir(side)
            os.ftruncate(fd, state.offset)
            os.fsync(fd)
            lines = 0
            if state.offset:
                for chunk in iter(lambda: os.read(fd, _CHUNK), b""):
                    lines += chunk.count(b"\n")
            return TornTail(
                record=lines + 1,
                line=lines + 1,
                offset=state.offset,
                size=state.size,
                reason=state.reason,
            )
    finally:
        os.close(fd)
