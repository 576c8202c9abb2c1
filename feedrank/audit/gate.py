"""A release gate: does a new spec change who gets seen, beyond a declared bound?

:func:`release_gate` ranks every logged request again under the old and the new
spec (the logged candidates, context, ``now`` and page size, from the top of
each feed) and measures, for each author group, its position-weighted exposure
per request, Σ 1 / log2(1 + rank) over the group's served posts. Per group:

- ``change``: the mean over requests of (new − old) exposure, and ``relative``
  = change / the old mean exposure;
- a paired 95 % confidence interval (Student's t over the per-request
  differences, divided by the old mean), and the paired t-test's two-sided
  p-value (``p`` = 1 when every difference is 0, 0 when they are all equal and
  not 0);
- ``p_holm``: the p-values adjusted for testing every group at once (Holm
  1979: the i-th smallest p times (m − i + 1), made monotone, at most 1).

A group **exceeds** the bound when |relative| > ``max_change`` and ``p_holm`` ≤
``alpha``: a change larger than declared that chance does not explain. The
gate trips when any group exceeds it (``feedrank diff OLD NEW --log LOG``
exits 1).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from feedrank.audit.reports import _served, position_weights
from feedrank.errors import InputError

if TYPE_CHECKING:
    from feedrank.ranking.ranking import Ranking
    from feedrank.spec.pipeline import Pipeline

__all__ = ["GateReport", "GroupChange", "holm", "release_gate"]


def holm(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Holm's step-down adjusted p-values, in the order given.

    >>> holm(np.array([0.01, 0.04, 0.03])).round(4).tolist()
    [0.03, 0.06, 0.06]
    """
    m = p.shape[0]
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, p[order] * (m - np.arange(m)))
    out = np.empty(m)
    out[order] = np.maximum.accumulate(scaled)
    return out


@dataclass(frozen=True)
class GroupChange:
    """The change in one group's exposure from the old spec to the new."""

    group: str
    exposure_old: float
    exposure_new: float
    change: float
    relative: float
    interval: tuple[float, float]
    p: float
    p_holm: float
    exceeds: bool


@dataclass(frozen=True)
class GateReport:
    """The gate over every logged request: one :class:`GroupChange` per group."""

    old: str
    new: str
    requests: int
    group_by: str
    max_change: float
    alpha: float
    groups: tuple[GroupChange, ...]

    @property
    def tripped(self) -> bool:
        """Whether some group's exposure changed beyond the bound."""
        return any(g.exceeds for g in self.groups)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "old": self.old,
            "new": self.new,
            "requests": self.requests,
            "group_by": self.group_by,
            "max_change": self.max_change,
            "alpha": self.alpha,
            "tripped": self.tripped,
            "groups": [vars(g) for g in self.groups],
        }

    def summary(self) -> str:
        """A table of the groups and the verdict."""
        lines = [
            f"exposure by {self.group_by} over {self.requests} logged request(s), "
            f"{self.old[:16]} -> {self.new[:16]} (position-weighted, per request; paired "
            "95% CI; Holm-adjusted p)",
            f"{'group':<16}{'old':>9}{'new':>9}{'change':>10}{'95% CI':>22}{'p':>9}"
            f"{'p (Holm)':>10}",
        ]
        for g in self.groups:
            ci = f"[{g.interval[0]:+.1%}, {g.interval[1]:+.1%}]"
            flag = "  EXCEEDS" if g.exceeds else ""
            lines.append(
                f"{g.group:<16}{g.exposure_old:>9.3f}{g.exposure_new:>9.3f}{g.relative:>+10.1%}"
                f"{ci:>22}{g.p:>9.3g}{g.p_holm:>10.3g}{flag}"
            )
        verdict = (
            f"FAIL: a group's exposure changes by more than {self.max_change:.1%} "
            f"(Holm-adjusted p <= {self.alpha:g})"
            if self.tripped
            else f"OK: no group's exposure changes by more than {self.max_change:.1%} "
            f"beyond chance (alpha {self.alpha:g})"
        )
        return "\n".join([*lines, verdict])


def _exposure(ranking: Ranking, names: list[str], groups: Mapping[str, str]) -> NDArray[np.float64]:
    out = np.zeros(len(names))
    index = {g: j for j, g in enumerate(names)}
    authors, ranks = _served(ranking, None)
    for author, w in zip(authors.tolist(), position_weights(ranks).tolist(), strict=True):
        out[index[groups.get(author, "unknown")]] += w
    return out


def _paired(d: NDArray[np.float64]) -> tuple[float, float, float]:
    """(mean, half-width of the 95 % t interval, two-sided p) of the differences."""
    from scipy import stats

    n = d.shape[0]
    mean = float(d.mean())
    sd = float(d.std(ddof=1)) if n > 1 else 0.0
    if sd == 0.0 or not math.isfinite(sd):
        return mean, 0.0, 1.0 if mean == 0.0 else 0.0
    se = sd / math.sqrt(n)
    half = float(stats.t.ppf(0.975, n - 1)) * se
    p = float(2.0 * stats.t.sf(abs(mean / se), n - 1))
    return mean, half, p


def release_gate(
    path: str | os.PathLike[str],
    old: Pipeline,
    new: Pipeline,
    groups: Mapping[str, str],
    *,
    group_by: str = "group",
    max_change: float = 0.1,
    alpha: float = 0.05,
    data_key: bytes | None = None,
) -> GateReport:
    """Replay the log at ``path`` under ``old`` and ``new`` and compare each author
    group's exposure (``groups``: author id -> group; others count as "unknown").
    ``max_change``: the bound on the relative change (0.1 = 10 %); ``alpha``: the
    level of the Holm-adjusted tests. See the module docstring."""
    from feedrank.audit.reports import _opened
    from feedrank.audit.secret_check import check_secret
    from feedrank.audit.verify import read_log

    if not (max_change >= 0 and math.isfinite(max_change)):
        raise InputError(f"{max_change}", field="--max-change", expected="a fraction >= 0")
    if not 0 < alpha < 1:
        raise InputError(f"{alpha}", field="--alpha", expected="a level between 0 and 1")
    key = None if data_key is None else check_secret(data_key, field="data_key")
    records = [_opened(r, key) for r in read_log(path).records]
    if len(records) < 2:
        raise InputError(
            f"the log holds {len(records)} valid record(s)",
            field="--log",
            expected="at least 2 logged requests to compare the specs on",
        )
    names = sorted({*groups.values(), "unknown"})
    before = np.zeros((len(records), len(names)))
    after = np.zeros((len(records), len(names)))
    for i, record in enumerate(records):
        batch = record.batch()
        ctx = record.context(batch)
        limit = record.page_input().limit
        before[i] = _exposure(old.rank(batch, ctx, limit=limit), names, groups)
        after[i] = _exposure(new.rank(batch, ctx, limit=limit), names, groups)
    present = [j for j in range(len(names)) if before[:, j].any() or after[:, j].any()]
    rows = []
    for j in present:
        mean, half, p = _paired(after[:, j] - before[:, j])
        base = float(before[:, j].mean())
        scale = base if base > 0 else float("nan")
        relative = mean / scale if base > 0 else (math.inf if mean > 0 else 0.0)
        rows.append((names[j], base, float(after[:, j].mean()), mean, relative, half / scale, p))
    adjusted = holm(np.array([r[-1] for r in rows])) if rows else np.zeros(0)
    changes = tuple(
        GroupChange(
            group=name,
            exposure_old=base,
            exposure_new=now,
            change=mean,
            relative=relative,
            interval=(relative - half, relative + half),
            p=p,
            p_holm=float(q),
            exceeds=bool(abs(relative) > max_change and q <= alpha),
        )
        for (name, base, now, mean, relative, half, p), q in zip(rows, adjusted, strict=True)
    )
    return GateReport(
        old.fingerprint, new.fingerprint, len(records), group_by, max_change, alpha, changes
    )
