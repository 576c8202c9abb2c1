"""Canonical JSON and SHA-256 fingerprints of specs.

The canonical form is the JSON of the fully-expanded spec (every default
written out), keys sorted, no insignificant whitespace, UTF-8, floats in
shortest round-trip form. Two specs that mean the same have the same bytes.

>>> canonical_json({"b": 1.0, "a": [True, None]})
'{"a":[true,null],"b":1.0}'
>>> fingerprint({"a": 1})[:16]
'015abd7f5cc57a2d'
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["canonical_json", "fingerprint"]


def canonical_json(data: Any) -> str:
    """The canonical JSON text of ``data`` (plain JSON values)."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def fingerprint(data: Any) -> str:
    """Hex SHA-256 of the UTF-8 canonical JSON of ``data``."""
    import hashlib  # loaded when a fingerprint is first taken

    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()
