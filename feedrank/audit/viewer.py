"""The viewer of a decision record: pseudonymised and cut down to what ranking used.

The viewer's id is written as :func:`pseudonym`, HMAC-SHA256 under a key the
platform keeps (never written to the log). ``follows``, ``blocked`` and
``muted`` keep only the candidates' authors and ``seen`` only the candidates'
ids, which is all filters and signals can read; the other fields are written as
given.

>>> pseudonym("alice", b"0123456789abcdef")[:16]
'fdbf8b1cacd3d578'
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Mapping
from enum import Enum
from typing import Any

from feedrank.batch.posts import PostBatch
from feedrank.errors import AuditError, InputError
from feedrank.models import Viewer

__all__ = ["decode_viewer", "encode_viewer", "pseudonym"]

_AUTHOR_SETS = ("blocked", "follows", "muted")
_POST_SETS = ("seen",)


def pseudonym(viewer_id: str, key: bytes) -> str:
    """Hex HMAC-SHA256 of the UTF-8 ``viewer_id`` under the platform ``key``.

    The same viewer gets the same pseudonym under the same key, so a platform
    holding the key can find a person's records (an access request); without
    the key the pseudonym reveals nothing about the id.
    """
    return hmac.new(key, viewer_id.encode("utf-8"), hashlib.sha256).hexdigest()


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


def encode_viewer(viewer: Viewer | None, batch: PostBatch, key: bytes) -> dict[str, Any] | None:
    """The record's ``inputs.viewer``: pseudonymised and minimised (None: anonymous)."""
    if viewer is None:
        return None
    rest = viewer.model_dump(mode="python", exclude={*_AUTHOR_SETS, *_POST_SETS, "id"})
    out: dict[str, Any] = _plain(rest, "viewer")
    authors = set(batch.author_ids.tolist())
    posts = set(batch.ids.tolist())
    for name in _AUTHOR_SETS:
        out[name] = sorted(getattr(viewer, name) & authors)
    for name in _POST_SETS:
        out[name] = sorted(getattr(viewer, name) & posts)
    out["id"] = pseudonym(viewer.id, key)
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
