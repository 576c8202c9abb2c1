"""What a replay of a decision log reports: per post, per record and for the log.

:func:`feedrank.audit.replay.replay` fills these; each has ``to_dict`` (plain
JSON values) and the report a ``summary`` in plain words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from feedrank.audit.verify import Problem, ProblemKind, VerifyReport

__all__ = ["Pair", "PostDiff", "RecordReplay", "ReplayReport"]

Pair = tuple[float | None, float | None]


@dataclass(frozen=True)
class PostDiff:
    """How one post differs between the log (first of each pair) and the replay.

    ``position``: 0-based position in the whole feed (None: not kept);
    ``served``: on the page; ``score``; ``removed``: filter reason ("" = kept);
    ``contributions`` and ``factors``: only the names whose values differ
    (compared for posts of the logged page; None where a side has no value);
    ``tier``: the feed's tier of the post (None: not kept).
    """

    post_id: str
    position: tuple[int | None, int | None]
    served: tuple[bool, bool]
    score: Pair
    removed: tuple[str, str]
    contributions: Mapping[str, Pair] = field(default_factory=dict)
    factors: Mapping[str, Pair] = field(default_factory=dict)
    tier: tuple[int | None, int | None] = (None, None)

    @property
    def score_diff(self) -> float | None:
        """Replayed minus logged score (None unless both were kept)."""
        a, b = self.score
        return None if a is None or b is None else b - a

    def __str__(self) -> str:
        parts = []
        if self.position[0] != self.position[1]:
            parts.append(f"position {_pos(self.position[0])} -> {_pos(self.position[1])}")
        if self.served[0] != self.served[1]:
            parts.append("now served" if self.served[1] else "no longer served")
        if self.removed[0] != self.removed[1]:
            parts.append(f"removed {self.removed[0] or '-'!r} -> {self.removed[1] or '-'!r}")
        if self.tier[0] != self.tier[1]:
            parts.append(f"tier {_pos(self.tier[0])} -> {_pos(self.tier[1])}")
        if self.score[0] != self.score[1]:
            diff = self.score_diff
            extra = f" ({diff:+.6g})" if diff is not None else ""
            parts.append(f"score {_num(self.score[0])} -> {_num(self.score[1])}{extra}")
        for label, items in (("term", self.contributions), ("factor", self.factors)):
            for name, (a, b) in items.items():
                parts.append(f"{label} {name} {_num(a)} -> {_num(b)}")
        return f"post {self.post_id!r}: " + "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "post_id": self.post_id,
            "position": list(self.position),
            "served": list(self.served),
            "score": list(self.score),
            "score_diff": self.score_diff,
            "removed": list(self.removed),
            "tier": list(self.tier),
            "contributions": {k: list(v) for k, v in self.contributions.items()},
            "factors": {k: list(v) for k, v in self.factors.items()},
        }


def _pos(p: int | None) -> str:
    return "-" if p is None else str(p)


def _num(x: float | None) -> str:
    return "-" if x is None else repr(x)


@dataclass(frozen=True)
class RecordReplay:
    """The replay of one record (``record``: its record number, ``line``: its line)."""

    record: int
    line: int
    request_id: str
    logged_fingerprint: str
    replay_fingerprint: str | None
    diffs: tuple[PostDiff, ...] = ()
    moves_changed: int = 0
    error: str | None = None
    error_kind: ProblemKind | None = None
    published_fingerprint: str | None = None
    """For a record of a viewer's choice: the published spec the replaying spec
    was derived from (published + the logged choice), so ``spec_matches`` says
    whether the choice was honoured."""

    @property
    def problem(self) -> Problem | None:
        """The record's error as a named :class:`~feedrank.audit.verify.Problem`
        (kind ``sealed``, ``seal``, ``malformed``, ``spec`` or ``internal``), or None."""
        if self.error is None:
            return None
        kind: ProblemKind = self.error_kind or "malformed"
        detail = self.error.removeprefix(f"{kind}: ")
        return Problem(self.record, self.line, kind, detail, self.record)

    @property
    def spec_matches(self) -> bool:
        """Whether the replaying spec is the one the log names."""
        return self.logged_fingerprint == self.replay_fingerprint

    @property
    def ok(self) -> bool:
        """Same spec, no error, no difference."""
        return (
            self.spec_matches and self.error is None and not self.diffs and not self.moves_changed
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "record": self.record,
            "line": self.line,
            "request_id": self.request_id,
            "ok": self.ok,
            "spec_matches": self.spec_matches,
            "logged_fingerprint": self.logged_fingerprint,
            "replay_fingerprint": self.replay_fingerprint,
            "error": self.error,
            "error_kind": self.error_kind if self.error is None else self.error_kind or "malformed",
            "moves_changed": self.moves_changed,
            "diffs": [d.to_dict() for d in self.diffs],
            "published_fingerprint": self.published_fingerprint,
        }


@dataclass(frozen=True)
class ReplayReport:
    """Every record replayed, with the integrity report of the log."""

    path: str
    verify: VerifyReport
    records: tuple[RecordReplay, ...]

    @property
    def mismatched(self) -> tuple[RecordReplay, ...]:
        """Records whose replay differs (spec, error or any post)."""
        return tuple(r for r in self.records if not r.ok)

    @property
    def ok(self) -> bool:
        """The log verifies and every record replays identically."""
        return self.verify.ok and not self.mismatched

    def summary(self, max_records: int = 10, max_diffs: int = 5) -> str:
        """A short human-readable account."""
        bad = self.mismatched
        out = [
            f"{self.path}: replayed {len(self.records)} record(s); "
            f"{len(self.records) - len(bad)} identical, {len(bad)} differ"
        ]
        if not self.verify.ok:
            out.append("integrity: " + self.verify.summary().replace("\n", "\n  "))
        for rec in bad[:max_records]:
            head = f"record {rec.record} (line {rec.line}, request {rec.request_id})"
            if not rec.spec_matches and rec.published_fingerprint is not None:
                out.append(
                    f"{head}: the viewer's choice on {rec.published_fingerprint[:16]}... gives "
                    f"the effective spec {(rec.replay_fingerprint or '?')[:16]}...; the log "
                    f"names {rec.logged_fingerprint[:16]}...: the choice was not honoured"
                )
            elif not rec.spec_matches:
                out.append(
                    f"{head}: spec fingerprint {rec.logged_fingerprint[:16]}... in the log, "
                    f"{(rec.replay_fingerprint or '?')[:16]}... replayed"
                )
            if rec.problem is not None:
                out.append(f"{head}: cannot replay ({rec.problem.kind}): {rec.error}")
            if rec.diffs:
                out.append(f"{head}: {len(rec.diffs)} post(s) differ")
                out.extend(f"  {d}" for d in rec.diffs[:max_diffs])
                if len(rec.diffs) > max_diffs:
                    out.append(f"  ... and {len(rec.diffs) - max_diffs} more")
            if rec.moves_changed:
                out.append(f"{head}: {rec.moves_changed} re-ranker move(s) differ")
        if len(bad) > max_records:
            out.append(f"... and {len(bad) - max_records} more record(s) differ")
        if self.ok:
            out.append("OK: every request ranks exactly as logged")
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "path": self.path,
            "ok": self.ok,
            "replayed": len(self.records),
            "mismatched": len(self.mismatched),
            "verify": self.verify.to_dict(),
            "records": [r.to_dict() for r in self.records],
        }
