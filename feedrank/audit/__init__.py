"""Audit: a verifiable, replayable log of every ranking decision.

``Pipeline.rank(batch, ctx, audit=log)`` appends one record per request to a
:class:`DecisionLog`: a JSON Lines file where each line is one record and each
record carries the hash of the one before (a hash chain). :func:`verify`
checks the chain; :func:`replay` ranks every request again from the stored
inputs and reports every difference; :func:`read_log` returns the records.

Record format (version 1)
-------------------------
Each line is the canonical JSON of one record (keys sorted, no whitespace,
UTF-8; ``hash`` sorts first), ending in ``\\n``. Numbers written as JSON
numbers are ints or floats in Python's shortest round-trip ``repr``, so every
float reads back to the same double; NaN and infinities never appear as JSON
numbers (where a JSON array may hold them they are ``null``, ``"Infinity"``,
``"-Infinity"``). Bulk numeric arrays ("ARRAY" below) are, by default,
typed binary blobs ``{"b64", "dtype", "shape"}``: the array's little-endian
bytes in base64 (numpy ``dtype`` string such as ``"<f8"``; integers in the
narrowest of int8/16/32/64 that holds them): exact by construction and
several times faster to write than decimal floats. A log opened with
``arrays="json"`` writes them as JSON lists instead; readers accept both.
"Candidate rows" index ``inputs.batch.ids``. Fields:

- ``hash``: hex SHA-256 of the UTF-8 canonical JSON of the record without
  ``hash``.
- ``prev``: the ``hash`` of the previous record; 64 zeros for the first.
- ``seq``: the record number, 1-based, one more than the previous record's;
  record N is line N.
- ``v``: the format version, 1.
- ``request_id``: given by the caller, or derived without clock or randomness:
  the first 32 hex digits of SHA-256 over the canonical JSON of ``[spec
  fingerprint, now, viewer pseudonym or null, page start, candidate ids]``.
- ``now``: the ranking time, int microseconds since 1970-01-01 UTC.
- ``spec``: ``fingerprint`` (hex SHA-256 of the spec's canonical JSON),
  ``name``, ``version`` and, unless the log was opened with
  ``embed_spec=False``, ``canonical``: the spec itself with every default
  written out (:func:`verify` checks that it hashes to ``fingerprint``).
- ``inputs``: what ranking read.

  - ``batch``: the candidates as columns, rebuilt exactly by
    ``PostBatch.from_columns``: ``ids`` and ``author_ids`` (strings);
    ``created_at`` (ARRAY, int µs); ``counts`` (kind -> ARRAY, only the kinds
    with a non-zero count); ``features`` (name -> ARRAY of floats, NaN =
    missing); ``topics`` and ``labels`` (the :class:`~feedrank.Tags` table:
    ``vocabulary`` strings, ``indptr`` and ``codes`` ARRAYs); ``embeddings``
    (null, or ``dim``, ``has`` ARRAY of bools and ``values`` ARRAY (n, dim));
    ``author_followers`` (ARRAY of floats, NaN = unknown author); ``lang``,
    ``reply_to``, ``repost_of``, ``quote_of``, ``url``, ``text`` (strings, each
    omitted when empty for every post).
  - ``context``: every per-post array of :class:`~feedrank.Context`, whatever
    its fields are (``in_network``, ``seen``, ``affinity``, ``negative``, ...),
    as an ARRAY blob, or ``{"data", "dtype", "shape"}`` in JSON mode. The
    viewer's interactions are not stored: the arrays derived from them are.
  - ``viewer``: null for an anonymous feed, else the viewer's fields with data
    minimisation: ``id`` is the pseudonym HMAC-SHA256(key, id) in hex (the key
    is given when the log is opened and never written); ``follows``,
    ``blocked`` and ``muted`` keep only the candidates' authors, ``seen`` only
    the candidates' ids (all that filters and signals can use); the other
    fields (``muted_words``, ``languages``, ``interests``, ``embedding``) as given.
  - ``page``: ``limit``, the number of posts served (at least 1; if the page
    reached the end of the feed the requested limit may have been larger) and
    ``after``: null on a first page, else the key (``tier``, ``score``,
    ``created_at``, ``post_id``) of the post just before the page, which
    replays as the cursor the request came with.

- ``outputs``: what ranking computed and served.

  - ``term_names``, ``factor_names``, ``factor_stages`` (-1 for a scorer
    factor, else the index of the re-ranker that multiplied the score);
  - ``feed``: the whole feed: ``order`` (candidate rows of every kept post,
    best first), ``scores`` and ``tier`` aligned with it (ARRAYs);
  - ``page``: the served page, always as JSON numbers: ``start`` and ``stop``
    (its positions in ``feed.order``), ``ids``, ``scores``, ``contributions``
    (k x T) and ``factors`` (k x F), one row per served post in page order;
  - ``removed``: ``rows`` (ARRAY) and ``reasons`` of the candidates filters
    removed;
  - ``moves``: every re-ranker move: ``rows``, ``stages``, ``before``,
    ``after`` (0-based positions; ARRAYs) and ``reasons``;
  - ``next_cursor``: the cursor returned for the next page, or null.

Durability and concurrency (see :mod:`feedrank.audit.log`)
------------------------------------------------------------
Each record is written with one ``write`` on an ``O_APPEND`` descriptor under
an exclusive ``flock`` held from reading the previous hash to the end of the
write, so concurrent writers (threads, processes) serialise and the chain stays
intact. ``fsync="always"`` (default) syncs every record before ``append``
returns; ``"close"`` syncs once on close; ``"never"`` leaves it to the OS. A
crash mid-write can only leave a torn last line: every earlier record is
intact, :func:`verify` reports the tail separately, appends refuse to continue
after it, and :func:`repair_tail` moves it to a side file.

>>> import tempfile, pathlib
>>> from datetime import datetime, timezone
>>> from feedrank import Context, Post, PostBatch, Viewer, preset
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([Post(id="p1", author_id="a", created_at=t)])
>>> ctx = Context.build(batch, now=t, viewer=Viewer(id="alice", follows={"a", "b"}))
>>> ranking = preset("balanced").rank(batch, ctx)
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = pathlib.Path(tmp, "log.jsonl")
...     with DecisionLog(path, key=b"platform-secret-key-32-bytes!!!!") as log:
...         done = log.append(ranking, ctx)
...     record = read_log(path).records[0]
...     report = replay(path, "balanced")
>>> record.inputs.viewer["follows"], record.inputs.viewer["id"][:12]
(['a'], '865c49583ca1')
>>> report.ok, report.records[0].diffs
(True, ())
"""

from __future__ import annotations

from feedrank.audit.checkpoint import (
    Checkpoint,
    SignedCheckpoint,
    parse_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
)
from feedrank.audit.keys import (
    KeyFiles,
    check_secret,
    keygen,
    load_public_key,
    load_secret,
    load_signing_key,
)
from feedrank.audit.log import Appended, DecisionLog, FsyncPolicy, TornTail, repair_tail
from feedrank.audit.note import VerifierKey
from feedrank.audit.record import GENESIS, RECORD_VERSION, AuditRecord
from feedrank.audit.replay import PostDiff, RecordReplay, ReplayReport, replay, replay_record
from feedrank.audit.verify import LogContents, Problem, VerifyReport, read_log, verify
from feedrank.audit.viewer import pseudonym
from feedrank.errors import AuditError

__all__ = [
    "GENESIS",
    "RECORD_VERSION",
    "Appended",
    "AuditError",
    "AuditRecord",
    "Checkpoint",
    "DecisionLog",
    "FsyncPolicy",
    "KeyFiles",
    "LogContents",
    "PostDiff",
    "Problem",
    "RecordReplay",
    "ReplayReport",
    "SignedCheckpoint",
    "TornTail",
    "VerifierKey",
    "VerifyReport",
    "check_secret",
    "keygen",
    "load_public_key",
    "load_secret",
    "load_signing_key",
    "parse_checkpoint",
    "pseudonym",
    "read_log",
    "repair_tail",
    "replay",
    "replay_record",
    "sign_checkpoint",
    "verify",
    "verify_checkpoint",
]
