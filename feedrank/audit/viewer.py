"""The viewer of a decision record: pseudonymised and cut down to what ranking used.

The viewer's id is written as :func:`pseudonym`, HMAC-SHA256 under a key the
platform keeps (never written to the log). The other fields keep only what can
change the ranking of the request's candidates (:func:`encode_viewer`):
``follows``, ``blocked`` and ``muted`` the candidates' authors, ``seen`` the
candidates' ids, ``interests`` the topics some candidate has, ``muted_words``
the words or phrases that occur in some candidate's text (matched as the
``muted_words`` filter matches them); ``languages`` and ``embedding`` are
written as given. Each of these cuts is exact: what it drops cannot match any
candidate, so the request ranks the same with or without it. In a version 2
record all of this but the pseudonym is sealed (:mod:`feedrank.audit.seal`).

Pseudonyms may rotate (``period``): the same viewer gets one pseudonym per UTC
day, month or year, or one for ever (``"none"``):

>>> key = bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0")
>>> pseudonym("alice", key)[:16]
'e92c244e9bce1a78'
>>> from datetime import datetime, timezone
>>> june = datetime(2026, 6, 30, tzinfo=timezone.utc)
>>> july = datetime(2026, 7, 1, tzinfo=timezone.utc)
>>> period_label("month", june), period_label("day", june), period_label("year", june)
('2026-06', '2026-06-30', '2026')
>>> by_month = [pseudonym("alice", key, period="month", now=t) for t in (june, july)]
>>> by_month[0] == by_month[1]
False
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import math
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Literal

import numpy as np

from feedrank._time import from_micros, to_micros
from feedrank.batch.posts import PostBatch
from feedrank.batch.text import word_pattern
from feedrank.errors import AuditError, InputError
from feedrank.models import Viewer

__all__ = [
    "PERIODS",
    "PseudonymPeriod",
    "decode_viewer",
    "encode_viewer",
    "period_label",
    "pseudonym",
]

PseudonymPeriod = Literal["none", "day", "month", "year"]
"""How long a viewer keeps one pseudonym: for ever, or one UTC day, month or year."""
PERIODS: tuple[PseudonymPeriod, ...] = ("none", "day", "month", "year")
"""Every :data:`PseudonymPeriod`."""

_AUTHOR_SETS = ("blocked", "follows", "muted")
_POST_SETS = ("seen",)


def period_label(period: PseudonymPeriod, now: int | datetime) -> str | None:
    """The label of the period holding ``now`` (int µs since the epoch, or an aware
    datetime), in UTC: ``"2026-06-30"`` (day), ``"2026-06"`` (month), ``"2026"``
    (year); None for ``"none"``."""
    if period not in PERIODS:
        raise AuditError(
            f"period {period!r}", field="pseudonym_period", expected=" | ".join(PERIODS)
        )
    if period == "none":
        return None
    try:
        moment = from_micros(to_micros(now) if isinstance(now, datetime) else now)
    except InputError as exc:
        raise AuditError(exc.message, field="now", expected=exc.expected) from None
    if period == "year":
        return f"{moment.year:04d}"
    if period == "month":
        return f"{moment.year:04d}-{moment.month:02d}"
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"


def pseudonym(
    viewer_id: str,
    key: bytes,
    *,
    period: PseudonymPeriod = "none",
    now: int | datetime | None = None,
) -> str:
    """Hex HMAC-SHA256 of the viewer's id under the platform ``key``.

    ``period="none"``: HMAC of the UTF-8 ``viewer_id``, the same for ever, so a
    platform holding the key can find all of a person's records (an access
    request), and so can anyone following one pseudonym through the log.
    ``"day"``, ``"month"``, ``"year"``: HMAC of the period's label
    (:func:`period_label` of ``now``, the record's ``now``), a 0x00 byte and the
    id, so records of different periods cannot be linked without the key; the
    key holder still finds a person's records by computing one pseudonym per
    period. Without the key a pseudonym reveals nothing about the id.
    """
    label = period_label(period, now if now is not None else _needs_now(period))
    message = viewer_id.encode("utf-8")
    if label is not None:
        message = label.encode("ascii") + b"\x00" + message
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _needs_now(period: PseudonymPeriod) -> int:
    if period != "none":
        raise AuditError(
            f"a {period} pseudonym needs the time", field="now", expected="now= the record's now"
        )
    return 0


def _plain(value: Any, where: str) -> Any:
    """Python values of a model dump as JSON values (sets sorted, enums by value)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AuditError(f"value {value}", field=where, expected="a finite number")
        return value
    if isinstance(value, Enum):
        return _plain(value.value, where)
    if isinstance(value, Mapping):
        return {str(_plain(k, where)): _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v, where) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    raise AuditError(f"cannot log a {type(value).__name__}", field=where)


def _words_in(words: tuple[str, ...], batch: PostBatch) -> list[str]:
    """The muted words or phrases that occur in some candidate's text."""
    if not words or not len(batch):
        return []
    text = batch.lowered_text
    out = []
    for word in words:
        pattern = word_pattern(word)
        if pattern is not None and text.rows_matching(pattern, 0, len(batch)).shape[0]:
            out.append(word)
    return out


def _interests_in(interests: Mapping[str, float], batch: PostBatch) -> dict[str, float]:
    """The interests in a topic some candidate has (looked up in the sorted vocabulary)."""
    tags = batch.topics
    if not interests or not tags.codes.shape[0]:
        return {}
    used = np.zeros(len(tags.vocabulary), dtype=bool)
    used[tags.codes] = True
    out = {}
    for name, weight in interests.items():
        at = bisect.bisect_left(tags.vocabulary, name)
        if at < len(tags.vocabulary) and tags.vocabulary[at] == name and used[at]:
            out[name] = weight
    return out


def encode_viewer(
    viewer: Viewer | None,
    batch: PostBatch,
    key: bytes,
    *,
    period: PseudonymPeriod = "none",
    now: int = 0,
) -> dict[str, Any] | None:
    """The record's viewer, pseudonymised (``id``) and minimised (None: anonymous).

    ``now`` is the record's time, which picks the pseudonym of a rotating ``period``.
    """
    if viewer is None:
        return None
    rest = viewer.model_dump(
        mode="python", exclude={*_AUTHOR_SETS, *_POST_SETS, "id", "interests", "muted_words"}
    )
    out: dict[str, Any] = _plain(rest, "viewer")
    authors = set(batch.author_ids.tolist())
    posts = set(batch.ids.tolist())
    for name in _AUTHOR_SETS:
        out[name] = sorted(getattr(viewer, name) & authors)
    for name in _POST_SETS:
        out[name] = sorted(getattr(viewer, name) & posts)
    out["interests"] = _plain(_interests_in(viewer.interests, batch), "viewer.interests")
    out["muted_words"] = _words_in(viewer.muted_words, batch)
    out["id"] = pseudonym(viewer.id, key, period=period, now=now)
    return out


def decode_viewer(stored: dict[str, Any] | None) -> Viewer | None:
    """The viewer of a record's ``inputs.viewer`` (None for an anonymous feed)."""
    if stored is None:
        return None
    try:
        return Viewer.model_validate(stored)
    except InputError as exc:
        where = f"inputs.viewer.{exc.field}" if exc.field else "inputs.viewer"
        raise AuditError(exc.message, field=where, expected=exc.expected) from None
