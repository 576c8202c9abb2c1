"""A detection result: the coordinated groups with their evidence, the per-post
columns it attaches to a batch, and its JSON form."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from feedrank._time import iso, to_micros
from feedrank.batch.posts import PostBatch
from feedrank.bridging.columns import id_column, positions
from feedrank.errors import InputError
from feedrank.models import InteractionKind
from feedrank.stages.signals.coordination import coordination_feature_names

__all__ = ["FORMAT", "CoordinatedGroup", "CoordinationFit", "GroupEvidence", "Window"]

FORMAT = "feedrank.coordination/1"
"""The ``format`` tag of a saved detection result."""


@dataclass(frozen=True)
class Window:
    """Where a group acted together: on ``post``, ``action`` ("boost" for likes,
    reposts, replies..., "negative" for reports, hides, blocks...), with
    ``accounts`` of its members acting from ``start`` to ``end`` (µs since the
    epoch), ``coactions`` pairs of them within the detection window, with the
    ``kinds`` named."""

    post: str
    action: Literal["boost", "negative"]
    kinds: tuple[str, ...]
    start: int
    end: int
    accounts: int
    coactions: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "post": self.post,
            "action": self.action,
            "kinds": list(self.kinds),
            "start": iso(self.start),
            "end": iso(self.end),
            "minutes": round((self.end - self.start) / 60e6, 3),
            "accounts": self.accounts,
            "coactions": self.coactions,
        }


@dataclass(frozen=True)
class GroupEvidence:
    """Why a group was found: its ``edges`` (pairs of members whose co-actions
    passed the test), ``joined`` (members who passed no pair test but co-act with
    the group as a whole), the edges' ``coactions`` (Σ c_ab over the edges), the null model's
    ``expected`` (Σ E[c_ab] over the same edges), the largest (weakest) edge
    p-value ``max_p_value``, and the ``windows`` it acted in."""

    edges: int
    joined: int
    coactions: int
    expected: float
    max_p_value: float
    windows: tuple[Window, ...]

    @property
    def ratio(self) -> float:
        """coactions / expected: how many times more than chance."""
        return float(self.coactions / self.expected) if self.expected > 0 else float("inf")

    def to_dict(self) -> dict[str, Any]:
        return {
            "edges": self.edges,
            "joined": self.joined,
            "coactions": self.coactions,
            "expected": self.expected,
            "ratio": self.ratio if np.isfinite(self.ratio) else None,
            "max_p_value": self.max_p_value,
            "windows": [w.to_dict() for w in self.windows],
        }


@dataclass(frozen=True)
class CoordinatedGroup:
    """One detected group: its ``accounts`` (sorted), the ``posts`` it acted on
    together (sorted) and its ``evidence``."""

    accounts: tuple[str, ...]
    posts: tuple[str, ...]
    evidence: GroupEvidence

    def to_dict(self) -> dict[str, Any]:
        return {
            "accounts": list(self.accounts),
            "posts": list(self.posts),
            "evidence": self.evidence.to_dict(),
        }


@dataclass(frozen=True, eq=False)
class CoordinationFit:
    """The coordinated groups found in an interaction log.

    - ``groups``: tuple of :class:`CoordinatedGroup`, largest first (ties: first
      account id).
    - ``account_ids``: ndarray (A,), unicode, sorted: every account in a group;
      ``account_groups``: ndarray (A,), int64, the index of its group.
    - ``post_ids``: ndarray (P,), unicode, sorted: posts that group members acted
      on; ``kinds``: the kinds counted; ``actions``, ``group_counts``,
      ``account_counts``: ndarray (P, len(kinds)), int64 — per post and kind,
      the actions by group members, the distinct groups and accounts among them.
    - ``parameters``: the detection options; ``summary``: what was read and tested
      (``interactions``, ``actions`` considered, ``pairs`` tested, ``edges``,
      ``null_edges`` — edges found in the rewired logs, on average —,
      ``p_threshold``, ``null_rate`` S).
    """

    groups: tuple[CoordinatedGroup, ...]
    account_ids: NDArray[np.str_]
    account_groups: NDArray[np.int64]
    post_ids: NDArray[np.str_]
    kinds: tuple[InteractionKind, ...]
    actions: NDArray[np.int64]
    group_counts: NDArray[np.int64]
    account_counts: NDArray[np.int64]
    parameters: Mapping[str, Any]
    summary: Mapping[str, Any]

    def __repr__(self) -> str:
        sizes = [len(g.accounts) for g in self.groups]
        return f"CoordinationFit(groups={len(self.groups)}, sizes={sizes})"

    def group_of(self, accounts: Any) -> NDArray[np.int64]:
        """Index of each account's group, -1 for an account in none: ndarray (m,), int64."""
        ids = id_column(accounts, "accounts", None)
        pos = positions(self.account_ids, ids)
        out: NDArray[np.int64] = np.where(pos >= 0, self.account_groups[np.maximum(pos, 0)], -1)
        return out.astype(np.int64)

    def features(
        self, post_ids: Any = None, *, prefix: str = "coordination"
    ) -> dict[str, NDArray[np.float64]]:
        """Per-post feature columns, aligned with ``post_ids`` (default
        ``post_ids``): for every kind, ``{prefix}_{kind}_actions``,
        ``{prefix}_{kind}_groups`` and ``{prefix}_{kind}_accounts``, ndarray (m,),
        float64; 0 for a post no group acted on (detection looked at every post
        of the log, so an absent post had no coordinated activity)."""
        ids = self.post_ids if post_ids is None else id_column(post_ids, "post_ids", None)
        pos = positions(self.post_ids, ids)
        found = pos >= 0
        safe = np.maximum(pos, 0)
        out: dict[str, NDArray[np.float64]] = {}
        names = coordination_feature_names(self.kinds, prefix)
        for j in range(len(self.kinds)):
            tables = (self.actions, self.group_counts, self.account_counts)
            for t, table in enumerate(tables):
                column = table[safe, j] if table.shape[0] else np.zeros(ids.shape[0])
                out[names[3 * j + t]] = np.where(found, column, 0).astype(np.float64)
        return out

    def attach(self, batch: PostBatch, *, prefix: str = "coordination") -> PostBatch:
        """A copy of ``batch`` with the :meth:`features` columns of its posts added
        (replacing columns of the same names), for
        :class:`~feedrank.stages.signals.CoordinationDiscount`."""
        new = self.features(batch.ids, prefix=prefix)
        return dataclasses.replace(batch, features={**batch.features, **new})

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values: ``format``, ``parameters``, ``summary``, ``groups``
        (``[{accounts, posts, evidence}]``) and ``posts`` (the per-post counts)."""
        return {
            "format": FORMAT,
            "parameters": dict(self.parameters),
            "summary": dict(self.summary),
            "groups": [g.to_dict() for g in self.groups],
            "posts": {
                "ids": self.post_ids.tolist(),
                "kinds": [k.value for k in self.kinds],
                "actions": self.actions.tolist(),
                "groups": self.group_counts.tolist(),
                "accounts": self.account_counts.tolist(),
            },
        }

    def save(self, path: str | Path) -> None:
        """Write :meth:`to_dict` as JSON to ``path``."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n")

    @classmethod
    def from_dict(cls, data: Any) -> CoordinationFit:
        """Rebuild a result from :meth:`to_dict`; InputError naming the field when a
        part is missing or malformed."""
        try:
            return _from_dict(data)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(
                f"not a detection result ({type(exc).__name__}: {exc})",
                field="coordination",
                expected=f"the JSON written by CoordinationFit.save (format {FORMAT!r})",
            ) from None

    @classmethod
    def load(cls, path: str | Path) -> CoordinationFit:
        """Read a result written by :meth:`save`."""
        text = Path(path).read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{exc.msg} at line {exc.lineno}",
                source=str(path),
                line=exc.lineno,
                expected="JSON written by CoordinationFit.save",
            ) from None
        try:
            return cls.from_dict(data)
        except InputError as exc:
            raise exc.locate(source=str(path)) from None


def _table(data: Any, name: str, rows: int, cols: int) -> NDArray[np.int64]:
    problem = InputError(
        f"posts.{name} is not a table of {rows} × {cols}",
        field=f"posts.{name}",
        expected=f"{rows} rows of {cols} non-negative integers",
    )
    try:
        arr = np.asarray(data, dtype=np.int64) if rows else np.zeros((0, cols), dtype=np.int64)
    except (TypeError, ValueError):
        raise problem from None
    if arr.shape != (rows, cols) or (arr < 0).any():
        raise problem
    return arr


def _micros(text: str) -> int:
    from datetime import datetime

    return to_micros(datetime.fromisoformat(text.replace("Z", "+00:00")), field="window")


def _from_dict(data: Any) -> CoordinationFit:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(
            "format tag missing or unknown", field="format", expected=f"format {FORMAT!r}"
        )
    groups = []
    for g in data["groups"]:
        ev = g["evidence"]
        windows = tuple(
            Window(
                post=str(w["post"]),
                action=w["action"],
                kinds=tuple(str(k) for k in w["kinds"]),
                start=_micros(w["start"]),
                end=_micros(w["end"]),
                accounts=int(w["accounts"]),
                coactions=int(w["coactions"]),
            )
            for w in ev["windows"]
        )
        evidence = GroupEvidence(
            edges=int(ev["edges"]),
            joined=int(ev["joined"]),
            coactions=int(ev["coactions"]),
            expected=float(ev["expected"]),
            max_p_value=float(ev["max_p_value"]),
            windows=windows,
        )
        groups.append(
            CoordinatedGroup(
                accounts=tuple(str(a) for a in g["accounts"]),
                posts=tuple(str(p) for p in g["posts"]),
                evidence=evidence,
            )
        )
    members = [(a, i) for i, g in enumerate(groups) for a in g.accounts]
    members.sort()
    posts = data["posts"]
    kinds = tuple(InteractionKind(k) for k in posts["kinds"])
    ids = np.array([str(p) for p in posts["ids"]], dtype=np.str_)
    if ids.shape[0] and np.any(ids[1:] <= ids[:-1]):
        raise InputError("posts.ids are not sorted and unique", field="posts.ids")
    n, k = int(ids.shape[0]), len(kinds)
    return CoordinationFit(
        groups=tuple(groups),
        account_ids=np.array([a for a, _ in members], dtype=np.str_),
        account_groups=np.array([i for _, i in members], dtype=np.int64),
        post_ids=ids if n else np.zeros(0, dtype="U1"),
        kinds=kinds,
        actions=_table(posts["actions"], "actions", n, k),
        group_counts=_table(posts["groups"], "groups", n, k),
        account_counts=_table(posts["accounts"], "accounts", n, k),
        parameters=dict(data["parameters"]),
        summary=dict(data["summary"]),
    )
