"""Statements of reasons (EU DSA Art. 17 and 24(5)) from a decision log.

:func:`statements` turns the visibility ledger (:mod:`feedrank.audit.ledger`)
into one statement per (post, visibility-restriction policy): every request in
which the policy removed or demoted the post is one decision of that policy
about that post, from the first such request (``application_date``) on. The
statement uses the attribute names and values of the DSA Transparency Database
API (``POST /api/v1/statement``, schema version 2): ``decision_visibility``
(``DECISION_VISIBILITY_CONTENT_REMOVED`` for a removal by a filter or a
re-ranker, ``DECISION_VISIBILITY_CONTENT_DEMOTED`` for a factor below 1),
``decision_ground`` with its ground-specific fields (``illegal_content_*`` on
the ground of a law, ``incompatible_content_*`` on the ground of the terms),
``decision_ground_reference_url``, ``category``, ``content_type``
(``CONTENT_TYPE_TEXT``: feedrank ranks posts), ``content_language`` (the
post's language, when it has a two-letter code), ``content_date`` (the post's
creation date), ``application_date``, ``territorial_scope``,
``decision_facts``, ``source_type``, ``automated_detection``,
``automated_decision`` and ``puid``. Only declared policies of kind
``visibility_restriction`` make statements; ranking preferences and the
viewers' own choices are not decisions about a post.

``puid`` is ``feedrank-`` and the first 48 hex digits of SHA-256 over the
canonical JSON of ``["feedrank statement of reasons", policy name, post id]``:
the same post and policy always get the same PUID, so exporting the log again
(or a longer log) never files a decision twice. The statements hold no
personal data: no author id, no viewer, only the post's id and the counts.

:func:`statement_schema` is the JSON Schema of a statement as exported
(``feedrank/audit/schemas/dsa_statement.schema.json``, shipped in the package).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from feedrank._time import iso
from feedrank.audit.ledger import Action, actions_of, logged_requests
from feedrank.canonical import canonical_json
from feedrank.errors import InputError

if TYPE_CHECKING:
    from feedrank.stages.policy import Policy

__all__ = [
    "PUID_PREFIX",
    "SCHEMA_FILE",
    "ExportResult",
    "puid",
    "statement_schema",
    "statements",
    "write_statements",
]

PUID_PREFIX = "feedrank-"
"""How every PUID feedrank makes starts."""
SCHEMA_FILE = "schemas/dsa_statement.schema.json"
"""Where the statement schema is, in the package :mod:`feedrank.audit`."""
_LANGUAGE = re.compile(r"^[a-z]{2}$")


def statement_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every exported statement follows.

    >>> statement_schema()["properties"]["decision_ground"]["enum"]
    ['DECISION_GROUND_ILLEGAL_CONTENT', 'DECISION_GROUND_INCOMPATIBLE_CONTENT']
    """
    text = resources.files("feedrank.audit").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def puid(policy: str, post_id: str) -> str:
    """The statement's Platform Unique Identifier for ``post_id`` under ``policy``.

    >>> puid("spam", "p1") == puid("spam", "p1") != puid("spam", "p2")
    True
    >>> puid("spam", "p1")[:9], len(puid("spam", "p1"))
    ('feedrank-', 57)
    """
    key = canonical_json(["feedrank statement of reasons", policy, post_id])
    return PUID_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:48]


@dataclass
class _Decision:
    policy: Policy
    post_id: str
    created_at: int
    lang: str
    spec: str
    spec_name: str
    actions: list[Action] = field(default_factory=list)


def _date(micros: int) -> str:
    return iso(micros)[:10]


def _facts(d: _Decision) -> str:
    removed = [a for a in d.actions if a.kind == "removed"]
    demoted = [a for a in d.actions if a.kind == "demoted"]
    first = min(a.now for a in d.actions)
    last = max(a.now for a in d.actions)
    parts = []
    if removed:
        how = sorted({f"{a.path} (reason {a.reason})" for a in removed})
        parts.append(f"removed from {len(removed)} feed(s) by " + ", ".join(how))
    if demoted:
        values = [a.value for a in demoted if a.value is not None]
        how = sorted({f"{a.path}" for a in demoted})
        parts.append(
            f"ranked lower in {len(demoted)} feed(s) by " + ", ".join(how) + ", its score "
            f"multiplied by {float(np.mean(values)):.3g} on average,"
        )
    text = (
        f"Post {d.post_id} was " + " and ".join(parts) + f" between {iso(first)} and "
        f"{iso(last)}, by the ranking algorithm {d.spec_name!r} (published spec "
        f"{d.spec[:16]}), under the policy {d.policy.name!r}: {d.policy.explanation}"
    )
    return text[:5000]


def _statement(d: _Decision) -> dict[str, Any]:
    p = d.policy
    assert p.category is not None
    visibility = []
    if any(a.kind == "removed" for a in d.actions):
        visibility.append("DECISION_VISIBILITY_CONTENT_REMOVED")
    if any(a.kind == "demoted" for a in d.actions):
        visibility.append("DECISION_VISIBILITY_CONTENT_DEMOTED")
    out: dict[str, Any] = {
        "decision_visibility": visibility,
        "decision_ground": p.decision_ground,
    }
    if p.url is not None:
        out["decision_ground_reference_url"] = p.url
    if p.ground == "law":
        out["illegal_content_legal_ground"] = p.reference
        out["illegal_content_explanation"] = p.explanation
    else:
        out["incompatible_content_ground"] = p.reference
        out["incompatible_content_explanation"] = p.explanation
        out["incompatible_content_illegal"] = "Yes" if p.illegal else "No"
    out["content_type"] = ["CONTENT_TYPE_TEXT"]
    out["category"] = p.category
    out["territorial_scope"] = list(p.territorial_scope)
    if _LANGUAGE.match(d.lang):
        out["content_language"] = d.lang.upper()
    out["content_date"] = _date(d.created_at)
    out["application_date"] = _date(min(a.now for a in d.actions))
    for name, earliest in (("content_date", "2000-01-01"), ("application_date", "2020-01-01")):
        if out[name] < earliest:
            raise InputError(
                f"post {d.post_id}: {name} {out[name]} is before {earliest}",
                field=name,
                expected=f"a date the DSA Transparency Database takes (>= {earliest})",
            )
    out["decision_facts"] = _facts(d)
    out["source_type"] = p.source_type
    out["automated_detection"] = "Yes" if p.automated_detection else "No"
    out["automated_decision"] = p.automated_decision_value
    out["puid"] = puid(p.name, d.post_id)
    return out


def statements(
    path: str | os.PathLike[str],
    *,
    policy: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    data_key: bytes | None = None,
) -> list[dict[str, Any]]:
    """One statement per (post, restriction policy) of the log at ``path``, sorted by
    PUID (``policy``: only that policy's; ``since``/``until``: only the requests
    ranked in that window; ``data_key`` opens sealed records). InputError if
    ``policy`` names no restriction policy of the log's specs."""
    decisions: dict[tuple[str, str], _Decision] = {}
    known: set[str] = set()
    for request in logged_requests(path, data_key=data_key, since=since, until=until):
        restricting = {
            u.policy.name
            for u in request.pipeline.policies
            if u.policy is not None and u.policy.kind == "visibility_restriction"
        }
        known |= restricting
        if policy is not None and policy not in restricting:
            continue
        batch = request.batch
        rows = np.arange(len(batch), dtype=np.intp)
        for action in actions_of(request, rows):
            p = action.policy
            if p is None or p.kind != "visibility_restriction":
                continue
            if policy is not None and p.name != policy:
                continue
            key = (p.name, action.post_id)
            if key not in decisions:
                row = int(batch.index_of([action.post_id])[0])
                decisions[key] = _Decision(
                    p,
                    action.post_id,
                    int(batch.created_at[row]),
                    str(batch.lang[row]),
                    request.record.spec.fingerprint,
                    request.record.spec.name,
                )
            decisions[key].actions.append(action)
    if policy is not None and policy not in known:
        raise InputError(
            f"no visibility-restriction policy named {policy!r} in the log's specs",
            field="--policy",
            expected="one of " + (", ".join(sorted(known)) or "(none declared)"),
        )
    return sorted((_statement(d) for d in decisions.values()), key=lambda s: s["puid"])


@dataclass(frozen=True)
class ExportResult:
    """What :func:`write_statements` did: ``written`` new statements, ``kept`` those
    already in the file (same PUID), ``path`` the file."""

    path: str
    written: int
    kept: int


def write_statements(found: list[dict[str, Any]], out: str | os.PathLike[str]) -> ExportResult:
    """Append to the JSON Lines file ``out`` the statements whose PUID it does not hold
    yet (the file is created if missing): exporting again never duplicates one."""
    target = Path(out)
    have: set[str] = set()
    if target.exists():
        for n, line in enumerate(target.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                have.add(str(json.loads(line)["puid"]))
            except (ValueError, KeyError, TypeError):
                raise InputError(
                    "not a statement of reasons", source=str(target), line=n, field="puid"
                ) from None
    new = [s for s in found if s["puid"] not in have]
    with target.open("a", encoding="utf-8") as fh:
        for s in new:
            fh.write(json.dumps(s, ensure_ascii=False, sort_keys=False) + "\n")
    return ExportResult(str(target), len(new), len(found) - len(new))
