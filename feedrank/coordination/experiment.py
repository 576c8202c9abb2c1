"""Measuring detection and the discount on a simulated network with planted campaigns.

:func:`campaign_report` detects on the network's interaction log, scores the
detection against the ground truth, ranks every viewer's feed with ``balanced``
and ``balanced-coordination-aware`` and compares exposure (position exposure
1 / log2(1 + rank), summed over viewers' pages; Singh & Joachims 2018).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from feedrank.coordination.detect import detect_coordination, detect_interactions
from feedrank.coordination.result import CoordinationFit
from feedrank.datasets.network import SimulatedNetwork
from feedrank.errors import InputError
from feedrank.presets import preset
from feedrank.spec.pipeline import Pipeline

__all__ = ["CampaignReport", "campaign_report", "exposure", "no_coordination"]


def no_coordination() -> CoordinationFit:
    """A detection result with no group: attached, every count stays as it is."""
    return detect_coordination([], [], [], np.zeros(0, dtype=np.int64), rng=0, n_null=0)


def exposure(net: SimulatedNetwork, pipeline: Pipeline, fit: CoordinationFit) -> dict[str, float]:
    """Post id -> Σ over the network's viewers of 1 / log2(1 + rank) on their page
    of ``pipeline`` (over every post, with ``fit`` attached); posts never shown
    are absent."""
    batch = fit.attach(net.batch())
    out: dict[str, float] = {}
    for viewer in net.viewers:
        page = pipeline.rank(batch, net.context(viewer.id, batch)).post_ids
        weights = 1.0 / np.log2(np.arange(2, len(page) + 2))
        for post, w in zip(page, weights.tolist(), strict=True):
            out[post] = out.get(post, 0.0) + w
    return out


def _total(exp: dict[str, float], posts: Iterable[str]) -> float:
    return float(sum(exp.get(p, 0.0) for p in posts))


def _top(exp: dict[str, float], posts: set[str], k: int) -> set[str]:
    ranked = sorted(((-v, p) for p, v in exp.items() if p in posts))
    return {p for _, p in ranked[:k]}


@dataclass(frozen=True)
class CampaignReport:
    """Detection and exposure on one network with planted campaigns.

    - ``precision``, ``recall``: of the accounts in detected groups against the
      campaign and brigade accounts.
    - ``target_balanced``, ``target_aware``: exposure of the campaign targets
      under ``balanced`` and ``balanced-coordination-aware``.
    - ``organic_overlap``: share of the ``k`` most exposed organic posts (neither
      targets nor by the brigaded author) that both feeds have in their top ``k``.
    - ``brigaded_organic``, ``brigaded_raw``, ``brigaded_aware``: exposure of the
      brigaded author's posts under ``balanced-coordination-aware`` without the
      brigade (the same network, organic only), with the brigade counted account
      by account (no detection attached), and with the brigade counted once.
    """

    precision: float
    recall: float
    groups: int
    target_balanced: float
    target_aware: float
    organic_overlap: float
    brigaded_organic: float
    brigaded_raw: float
    brigaded_aware: float

    @property
    def target_ratio(self) -> float:
        """target_aware / target_balanced (≤ 0.5: at least halved)."""
        return self.target_aware / self.target_balanced if self.target_balanced else float("nan")

    @property
    def brigaded_restored(self) -> float:
        """brigaded_aware / brigaded_organic (1: fully restored)."""
        return (
            self.brigaded_aware / self.brigaded_organic if self.brigaded_organic else float("nan")
        )


def campaign_report(
    net: SimulatedNetwork,
    organic: SimulatedNetwork,
    *,
    rng: np.random.Generator | int = 0,
    k: int = 100,
) -> CampaignReport:
    """Detect on ``net`` (simulated with campaigns) with the default options and
    measure against ``organic`` (the same seed simulated without them)."""
    truth = net.campaigns
    if truth is None:
        raise InputError("the network has no planted campaigns", field="net")
    fit = detect_interactions(net.interactions, rng=rng)
    found = set(fit.account_ids.tolist())
    true = truth.coordinated_accounts
    hits = len(found & true)
    balanced, aware = preset("balanced"), preset("balanced-coordination-aware")
    none = no_coordination()
    exp_balanced = exposure(net, balanced, fit)
    exp_aware = exposure(net, aware, fit)
    brigaded = set(truth.brigaded_posts)
    organic_posts = {p.id for p in net.posts} - truth.target_posts - brigaded
    top_b = _top(exp_balanced, organic_posts, k)
    top_a = _top(exp_aware, organic_posts, k)
    return CampaignReport(
        precision=hits / len(found) if found else 1.0,
        recall=hits / len(true) if true else 1.0,
        groups=len(fit.groups),
        target_balanced=_total(exp_balanced, truth.target_posts),
        target_aware=_total(exp_aware, truth.target_posts),
        organic_overlap=len(top_b & top_a) / max(1, min(k, len(top_b))),
        brigaded_organic=_total(exposure(organic, aware, none), brigaded),
        brigaded_raw=_total(exposure(net, aware, none), brigaded),
        brigaded_aware=_total(exp_aware, brigaded),
    )
