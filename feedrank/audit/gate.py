"""A release gate: does a new spec change who gets seen, beyond a declared bound?

:func:`release_gate` ranks every logged request again under the old and the new
spec (the logged candidates, context, ``now`` and page size, from the top of
each feed) and measures, for each author group, its position-weighted exposure
per request, Σ 1 / log2(1 + rank) over the group's served posts. Per group:

- ``change``: the mean over requests of (new − old) exposure, and ``relative``
  = change / the old mean exposure;
- a paired 95 % interval of ``relative``: the percentile bootstrap over the
  requests, each resample taking a request's old and new feeds together
  (:data:`~feedrank.audit.bootstrap.DEFAULT_RESAMPLES` resamples,
  ``numpy.random.default_rng(seed)``, seed 0 unless given), so it stays within
  what exposure can do (never below −100 %);
- the paired t-test's two-sided p-value over the per-request differences (``p``
  = 1 when every difference is 0, 0 when they are all equal and not 0);
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

from feedrank.audit.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED, percentile, resamples
from feedrank.audit.reports import _served, json_values, position_weights
from feedrank.errors import InputError
from feedrank.evaluate.stats import holm, paired_t_test

if TYPE_CHECKING:
    from feedrank.ranking.ranking import Ranking
    from feedrank.spec.pipeline import Pipeline

__all__ = ["GateReport", "GroupChange", "release_gate"]


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
            "groups": [json_values(vars(g)) for g in self.groups],
        }

    def summary(self) -> str:
        """A table of the groups and the verdict."""
        lines = [
            f"exposure by {self.group_by} over {self.requests} logged request(s), "
            f"{self.old[:16]} -> {self.new[:16]} (position-weighted, per request; paired "
            "bootstrap 95% CI; paired t-test p, Holm-adjusted)",
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


def _relative(new: NDArray[np.float64], old: NDArray[np.float64]) -> NDArray[np.float64]:
    """new / old − 1 of mean exposures along the last axis (0 when both are 0, inf
    when only the new one is > 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: NDArray[np.float64] = np.where(
            old > 0, new / np.where(old > 0, old, 1.0) - 1.0, np.where(new > 0, np.inf, 0.0)
        )
    return out


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
    seed: int = DEFAULT_SEED,
    n_boot: int = DEFAULT_RESAMPLES,
) -> GateReport:
    """Replay the log at ``path`` under ``old`` and ``new`` and compare each author
    group's exposure (``groups``: author id -> group; others count as "unknown").
    ``max_change``: the bound on the relative change (0.1 = 10 %); ``alpha``: the
    level of the Holm-adjusted tests; ``seed`` and ``n_boot``: the bootstrap of the
    intervals. See the module docstring."""
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
    idx = resamples(len(records), seed, n_boot)
    boot = _relative(after[idx].mean(axis=1), before[idx].mean(axis=1))
    relative = _relative(after.mean(axis=0), before.mean(axis=0))
    ps = np.array([paired_t_test(after[:, j], before[:, j]).p_value for j in present])
    adjusted = holm(ps) if present else np.zeros(0)
    changes = tuple(
        GroupChange(
            group=names[j],
            exposure_old=float(before[:, j].mean()),
            exposure_new=float(after[:, j].mean()),
            change=float((after[:, j] - before[:, j]).mean()),
            relative=float(relative[j]),
            interval=percentile(boot[:, j]),
            p=float(p),
            p_holm=float(q),
            exceeds=bool(abs(relative[j]) > max_change and q <= alpha),
        )
        for j, p, q in zip(present, ps, adjusted, strict=True)
    )
    return GateReport(
        old.fingerprint, new.fingerprint, len(records), group_by, max_change, alpha, changes
    )
