"""Audit: a verifiable, replayable log of every ranking decision.

``Pipeline.rank(batch, ctx, audit=log)`` appends one record per request to a
:class:`DecisionLog`: a JSON Lines file where each line is one record and each
record carries the hash of the one before (a hash chain). :func:`verify`
checks the chain; :func:`replay` ranks every request again from the stored
inputs and reports every difference; :func:`read_log` returns the records.

What is sealed, what stays in clear
-----------------------------------
A request ranked for a viewer tells a lot about a person: whom they follow,
block and mute, what they have seen, what they like (the affinities), what
they were shown and why (a removal reason ``blocked_author`` names an account
they blocked; an ``in_network`` contribution an account they follow); even the
candidates may be the posts of the accounts they follow. So a record of such a
request (a viewer, or a context derived from a person) keeps all of it
*sealed*: encrypted and authenticated with AES-256-GCM under the log's data
key (``DecisionLog(..., data_key=...)``, see :mod:`feedrank.audit.seal`). What
stays in clear is what identifies and orders the record, and nothing about
the person beyond a keyed pseudonym: ``v``, ``seq``, ``prev``, ``hash``,
``request_id`` (caller-given ids must not carry personal data), ``now``, the
spec (public), the viewer's pseudonym and its period. That is enough for
:func:`verify` (the hash covers the sealed blob: no data key needed), for
counting requests per spec and time, and for the holder of the key to find a
person's records (an access or erasure request); replaying needs the data key.
Before sealing, the viewer is minimised to what can change the ranking of the
request's candidates (:mod:`feedrank.audit.viewer`), an exact cut.

A log without a data key refuses every request with personal data
(AuditError naming ``data_key``), so nothing personal is ever in clear. A
request without a viewer whose context holds nothing derived from a person (an
anonymous feed) is written in clear, whether or not the log has a data key:
anyone can replay it.

Record format (version 2)
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
- ``v``: the format version, 2 (version 1 records, below, are still read).
- ``request_id``: given by the caller, or derived without clock or randomness:
  the first 32 hex digits of SHA-256 over the canonical JSON of ``[spec
  fingerprint, now, viewer pseudonym or null, page start, candidate ids]``.
- ``now``: the ranking time, int microseconds since 1970-01-01 UTC (a time a
  datetime can hold).
- ``spec``: ``fingerprint`` (hex SHA-256 of the spec's canonical JSON),
  ``name``, ``version`` and, unless the log was opened with
  ``embed_spec=False``, ``canonical``: the spec itself with every default
  written out (:func:`verify` checks that it hashes to ``fingerprint``).
- ``choice`` (only in the record of a request that carried a viewer's choice,
  :mod:`feedrank.spec.choice`; in clear, before ``hash``): ``published``
  (the spec whose menu and controls the viewer used, written like ``spec``),
  ``alternative`` (the name picked from its menu, or null) and ``settings``
  (control name -> value). ``spec`` is then the effective spec; :func:`replay`
  derives it again from ``published`` and the choice and checks that it is.
- ``inputs``: what ranking read. In a sealed record only ``viewer`` (``{"id":
  pseudonym}``, or null), ``pseudonym_period`` (with a pseudonym) and
  ``sealed``; in a clear record ``batch``, ``context``, ``page`` and ``viewer``
  (null).

  - ``sealed``: ``{"alg": "A256GCM", "nonce", "ct"}``, a fresh random 12-byte
    nonce and the ciphertext with its 16-byte tag, both base64. It holds the
    canonical JSON of ``{"inputs": {"batch", "context", "page", "viewer"},
    "outputs"}``: the fields below, with the viewer's fields but its ``id``.
    The associated data is the canonical JSON of ``["feedrank.audit.sealed",
    v, spec fingerprint, now, request_id, pseudonym or null, pseudonym_period
    or null]``, so a seal moved to another record does not open.
  - ``pseudonym_period``: ``"none"``, ``"day"``, ``"month"`` or ``"year"``,
    which pseudonym the viewer got (:func:`pseudonym`).
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
  - ``viewer``: null for an anonymous feed, else ``id``, the pseudonym
    HMAC-SHA256 under the key (given when the log is opened and never
    written), and, in the seal, the viewer's fields cut to what touches the
    candidates: ``follows``, ``blocked`` and ``muted`` the candidates' authors,
    ``seen`` the candidates' ids, ``interests`` the topics of some candidate,
    ``muted_words`` the words found in some candidate's text; ``languages``
    and ``embedding`` as given.
  - ``page``: ``limit``, the number of posts served (at least 1; if the page
    reached the end of the feed the requested limit may have been larger) and
    ``after``: null on a first page, else the key (``tier``, ``score``,
    ``created_at``, ``post_id``) of the post just before the page, which
    replays as the cursor the request came with.

- ``outputs``: what ranking computed and served (null in a sealed record: it is
  in the seal).

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

Version 1 records (``"v": 1``) have no seal and no ``pseudonym_period``: they
hold ``batch``, ``context``, ``page`` and ``outputs`` in clear and the viewer's
minimised fields next to its stable pseudonym (``muted_words`` and
``interests`` as given). :func:`verify` and :func:`replay` read them as before.

Reading a log never raises on its content: :func:`verify` reports every fault
as a :class:`Problem` naming its record and line, and :func:`replay` reports
a record it cannot rank again with its problem (``sealed``, ``seal``,
``malformed``, ``spec``; see :data:`~feedrank.audit.verify.ProblemKind`).

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
>>> key = bytes.fromhex("c3a1f0e94d7b2a6581e0fd3c9b74a2e6105f8d3b7c9e1a4f62d08b5e3c7f9a10")
>>> data_key = bytes.fromhex("2b9e4d71a6c03f58e1b7d49a0c6f2e85b3d1a7f94e0c6b2d58a3f1e7c9b40d26")
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = pathlib.Path(tmp, "log.jsonl")
...     with DecisionLog(path, key=key, data_key=data_key) as log:
...         done = log.append(ranking, ctx)
...     record = read_log(path).records[0]
...     report = replay(path, "balanced", data_key=data_key)
...     blind = replay(path, "balanced")
>>> record.is_sealed, record.inputs.batch, record.pseudonym == pseudonym("alice", key)
(True, None, True)
>>> record.unseal(data_key).inputs.viewer["follows"]
['a']
>>> report.ok, report.records[0].diffs
(True, ())
>>> blind.ok, str(blind.records[0].problem)
(False, 'record 1 (line 1): sealed: needs the data key')
"""

from __future__ import annotations

from feedrank.audit.checkpoint import (
    Checkpoint,
    SignedCheckpoint,
    parse_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
)
from feedrank.audit.choices import ChoiceCounts, choice_counts
from feedrank.audit.keys import (
    KeyFiles,
    keygen,
    load_public_key,
    load_secret,
    load_signing_key,
)
from feedrank.audit.log import Appended, DecisionLog, FsyncPolicy, TornTail, repair_tail
from feedrank.audit.note import VerifierKey
from feedrank.audit.record import GENESIS, RECORD_VERSION, AuditRecord
from feedrank.audit.replay import PostDiff, RecordReplay, ReplayReport, replay, replay_record
from feedrank.audit.secret_check import check_secret
from feedrank.audit.verify import LogContents, Problem, VerifyReport, read_log, verify
from feedrank.audit.viewer import PseudonymPeriod, period_label, pseudonym
from feedrank.audit.visibility import VisibilityReport, visibility_report
from feedrank.errors import AuditError

__all__ = [
    "GENESIS",
    "RECORD_VERSION",
    "Appended",
    "AuditError",
    "AuditRecord",
    "Checkpoint",
    "ChoiceCounts",
    "DecisionLog",
    "FsyncPolicy",
    "KeyFiles",
    "LogContents",
    "PostDiff",
    "Problem",
    "PseudonymPeriod",
    "RecordReplay",
    "ReplayReport",
    "SignedCheckpoint",
    "TornTail",
    "VerifierKey",
    "VerifyReport",
    "VisibilityReport",
    "check_secret",
    "choice_counts",
    "keygen",
    "load_public_key",
    "load_secret",
    "load_signing_key",
    "parse_checkpoint",
    "period_label",
    "pseudonym",
    "read_log",
    "repair_tail",
    "replay",
    "replay_record",
    "sign_checkpoint",
    "verify",
    "verify_checkpoint",
    "visibility_report",
]
