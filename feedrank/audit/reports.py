"""Reports over many requests: what each term does, who gets seen, who is amplified.

- :func:`influence`: each term's share of the mean |contribution| and the mean
  Kendall tau between the served order and the order without the term.
- :func:`exposure`: position-weighted exposure by author and by author group,
  v(rank) = 1 / log2(1 + rank) (Singh & Joachims 2018), with concentration:
  Gini (zero-exposure authors included), HHI = Σ s², effective number 1 / HHI.
- :func:`amplification`: each group's amplification by a treatment algorithm
  versus a control (``chronological``), two ways side by side. Reach-based
  (Huszár et al. 2022): a(T) = ((|U_T ∩ treat| + 1) / (ratio · |U_T ∩ control|
  + 1) − 1) × 100 %, ratio = |treat| / |control|, U_T the people whose page
  shows the group; position-weighted: (mean exposure per feed under the
  treatment / under the control − 1) × 100 %. 0 % means no amplification; each
  has a bootstrap interval over the feeds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from feedrank.audit.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED, percentile, resamples
from feedrank.audit.choices import ChoiceCounts, published_fingerprint
from feedrank.errors import AuditError, InputError
from feedrank.ranking.ranking import Ranking

if TYPE_CHECKING:
    from feedrank.audit.record import AuditRecord

__all__ = [
    "Amplification",
    "ExposureReport",
    "LogReport",
    "TermInfluence",
    "amplification",
    "exposure",
    "gini",
    "influence",
    "json_values",
    "log_report",
    "position_weights",
]


def position_weights(ranks: NDArray[np.int64]) -> NDArray[np.float64]:
    """v(rank) = 1 / log2(1 + rank) for 1-based ranks.

    >>> position_weights(np.array([1, 2, 3])).round(4).tolist()
    [1.0, 0.6309, 0.5]
    """
    return 1.0 / np.log2(1.0 + ranks.astype(np.float64))


def gini(values: NDArray[np.float64]) -> float:
    """Gini index Σ_i (2i − N − 1) x_(i) / (N Σ x), x ascending, i from 1.

    >>> gini(np.array([1.0, 1.0, 1.0])), gini(np.array([0.0, 0.0, 3.0]))
    (0.0, 0.6666666666666666)
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.shape[0]
    total = float(x.sum())
    if n == 0 or total == 0.0:
        return 0.0
    i = np.arange(1, n + 1, dtype=np.float64)
    return float(((2 * i - n - 1) * x).sum() / (n * total))


@dataclass(frozen=True)
class TermInfluence:
    """One term's influence over a set of requests."""

    term: str
    share: float
    """Share of the mean |contribution| over all ranked posts (terms sum to 1)."""
    kendall_tau: float
    """Mean Kendall tau between the served order and the order without the term."""


def influence(rankings: Sequence[Ranking]) -> list[TermInfluence]:
    """Each term's share of mean |contribution| and mean Kendall tau (all rankings
    must come from one spec)."""
    if not rankings:
        raise InputError("no rankings", field="rankings", expected="at least one ranking")
    prints = {r.fingerprint for r in rankings}
    if len(prints) != 1:
        raise InputError(
            f"rankings come from {len(prints)} different specs",
            field="rankings",
            expected="rankings of one spec",
        )
    names = rankings[0].term_names
    totals = np.zeros(len(names))
    count = 0
    taus = np.zeros(len(names))
    for ranking in rankings:
        totals += np.abs(ranking.contributions).sum(axis=0)
        count += ranking.contributions.shape[0]
        tau = ranking.ablation().kendall_tau()
        taus += np.array([tau[n] for n in names])
    mean_abs = totals / max(count, 1)
    share = mean_abs / mean_abs.sum() if mean_abs.sum() > 0 else np.zeros(len(names))
    return [
        TermInfluence(name, float(s), float(t / len(rankings)))
        for name, s, t in zip(names, share, taus, strict=True)
    ]


@dataclass(frozen=True)
class ExposureReport:
    """Position-weighted exposure of authors and groups over the served pages."""

    by_author: dict[str, float]
    by_group: dict[str, float]
    share_by_group: dict[str, float]
    gini: float
    hhi: float
    effective_authors: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "by_author": self.by_author,
            "by_group": self.by_group,
            "share_by_group": self.share_by_group,
            "gini": self.gini,
            "hhi": self.hhi,
            "effective_authors": self.effective_authors,
        }


def _served(ranking: Ranking, k: int | None) -> tuple[NDArray[np.str_], NDArray[np.int64]]:
    rows = ranking.page if k is None else ranking.order[:k]
    ranks = (
        ranking.ranks.astype(np.int64)
        if k is None
        else np.arange(1, rows.shape[0] + 1, dtype=np.int64)
    )
    authors = ranking.candidates.author_ids[ranking.kept[rows]]
    return authors, ranks


def exposure(
    rankings: Sequence[Ranking],
    groups: Mapping[str, str] | None = None,
    *,
    k: int | None = None,
) -> ExposureReport:
    """Exposure over the served pages (or the top ``k`` of each feed).

    ``groups`` maps author id -> group (e.g. an Author attribute); authors
    without a group count under "unknown". Every candidate author is included,
    so authors who were never shown count with zero exposure in the Gini.
    """
    groups = groups or {}
    authors_seen: list[NDArray[np.str_]] = []
    weights: list[NDArray[np.float64]] = []
    every_author: set[str] = set()
    for ranking in rankings:
        authors, ranks = _served(ranking, k)
        authors_seen.append(authors)
        weights.append(position_weights(ranks))
        every_author.update(ranking.candidates.author_ids.tolist())
    names = np.array(sorted(every_author), dtype=np.str_)
    total = np.zeros(names.shape[0])
    if authors_seen:
        flat = np.concatenate(authors_seen)
        w = np.concatenate(weights)
        if flat.shape[0]:
            total += np.bincount(np.searchsorted(names, flat), weights=w, minlength=names.shape[0])
    by_author = dict(zip(names.tolist(), total.tolist(), strict=True))
    by_group: dict[str, float] = {}
    for author, value in by_author.items():
        group = groups.get(author, "unknown")
        by_group[group] = by_group.get(group, 0.0) + value
    grand = float(total.sum())
    shares = total / grand if grand > 0 else total
    hhi = float((shares**2).sum())
    return ExposureReport(
        by_author=by_author,
        by_group=dict(sorted(by_group.items())),
        share_by_group={g: (v / grand if grand > 0 else 0.0) for g, v in sorted(by_group.items())},
        gini=gini(total),
        hhi=hhi,
        effective_authors=1.0 / hhi if hhi > 0 else 0.0,
    )


@dataclass(frozen=True)
class Amplification:
    """One group's amplification, treatment vs control, measured two ways.

    **Reach-based** (Huszár et al. 2022): ``reached_treatment`` and
    ``reached_control`` count the feeds (people) whose page holds at least one
    post of the group; ``percent`` = ((t + 1) / (ratio · c + 1) − 1) × 100,
    ``ratio`` = |treatment| / |control|. It sees only *whether* a group is on a
    page: with pages of 10 posts every group may be on every page, and it reads
    0 % however the group's posts are ranked.

    **Position-weighted**: ``exposure_treatment`` and ``exposure_control`` are the
    group's mean exposure per feed, Σ 1 / log2(1 + rank) over its served posts
    (Singh & Joachims 2018); ``position_weighted`` = (treatment / control − 1) ×
    100 (inf when only the treatment exposes the group, 0 when neither does). It
    counts how many of the group's posts are served and how high.

    Each comes with a 95 % percentile bootstrap interval over the feeds
    (``reach_interval``, ``position_weighted_interval``; NaN when not computed).
    """

    group: str
    reached_treatment: int
    reached_control: int
    ratio: float
    percent: float
    reach_interval: tuple[float, float] = (float("nan"), float("nan"))
    exposure_treatment: float = float("nan")
    exposure_control: float = float("nan")
    position_weighted: float = float("nan")
    position_weighted_interval: tuple[float, float] = (float("nan"), float("nan"))


def _per_feed(
    rankings: Sequence[Ranking], names: list[str], groups: Mapping[str, str], k: int | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(reach, exposure): arrays (feeds, groups), 1 where a feed shows the group and
    the group's position-weighted exposure in the feed."""
    index = {g: j for j, g in enumerate(names)}
    reach = np.zeros((len(rankings), len(names)))
    expo = np.zeros((len(rankings), len(names)))
    for i, ranking in enumerate(rankings):
        authors, ranks = _served(ranking, k)
        weights = position_weights(ranks)
        for author, w in zip(authors.tolist(), weights.tolist(), strict=True):
            j = index[groups.get(author, "unknown")]
            reach[i, j] = 1.0
            expo[i, j] += w
    return reach, expo


def _reach_percent(
    t: NDArray[np.float64], c: NDArray[np.float64], ratio: float
) -> NDArray[np.float64]:
    out: NDArray[np.float64] = ((t + 1.0) / (ratio * c + 1.0) - 1.0) * 100.0
    return out


def _exposure_percent(t: NDArray[np.float64], c: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        out: NDArray[np.float64] = np.where(
            c > 0, (t / np.where(c > 0, c, 1.0) - 1.0) * 100.0, np.where(t > 0, np.inf, 0.0)
        )
    return out


def amplification(
    treatment: Sequence[Ranking],
    control: Sequence[Ranking],
    groups: Mapping[str, str],
    *,
    k: int | None = None,
    paired: bool = False,
    rng: np.random.Generator | int | None = None,
    n_boot: int = DEFAULT_RESAMPLES,
) -> dict[str, Amplification]:
    """Amplification of each author group, treatment vs control: reach-based
    (Huszár et al.) and position-weighted, each with a bootstrap interval
    (:class:`Amplification`).

    Each ranking is one person's feed; a person is reached by a group when at
    least one post of an author of that group is on their page (or top ``k``).
    ``ratio`` = |treatment| / |control| corrects for populations of different
    size. With the same people ranked both ways (a counterfactual audit),
    ratio = 1 and ``paired=True`` resamples each person's two feeds together.
    ``rng`` (seed 0 when None) and ``n_boot`` drive the bootstrap.
    """
    if not treatment or not control:
        raise InputError(
            "treatment and control need at least one feed each",
            field="rankings",
            expected="non-empty lists of rankings",
        )
    if paired and len(treatment) != len(control):
        raise InputError(
            f"paired feeds: {len(treatment)} treated, {len(control)} control",
            field="control",
            expected="one control feed per treated feed",
        )
    ratio = len(treatment) / len(control)
    seen = {
        groups.get(a, "unknown") for r in (*treatment, *control) for a in _served(r, k)[0].tolist()
    }
    names = sorted(set(groups.values()) | seen)
    reach_t, expo_t = _per_feed(treatment, names, groups, k)
    reach_c, expo_c = _per_feed(control, names, groups, k)
    idx_t = resamples(len(treatment), rng, n_boot)
    idx_c = idx_t if paired else resamples(len(control), _next(rng), n_boot)
    boot_reach = _reach_percent(reach_t[idx_t].sum(1), reach_c[idx_c].sum(1), ratio)
    boot_expo = _exposure_percent(expo_t[idx_t].mean(1), expo_c[idx_c].mean(1))
    mean_t, mean_c = expo_t.mean(0), expo_c.mean(0)
    point_expo = _exposure_percent(mean_t, mean_c)
    out: dict[str, Amplification] = {}
    for j, group in enumerate(names):
        t, c = int(reach_t[:, j].sum()), int(reach_c[:, j].sum())
        out[group] = Amplification(
            group,
            t,
            c,
            ratio,
            float(
                _reach_percent(np.array(t, dtype=np.float64), np.array(c, dtype=np.float64), ratio)
            ),
            percentile(boot_reach[:, j]),
            float(mean_t[j]),
            float(mean_c[j]),
            float(point_expo[j]),
            percentile(boot_expo[:, j]),
        )
    return out


def _next(rng: np.random.Generator | int | None) -> np.random.Generator | int:
    """A second stream for an independent control resample (seed + 1 for a seed)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return (DEFAULT_SEED if rng is None else rng) + 1


@dataclass(frozen=True)
class LogReport:
    """Influence, exposure and amplification over the requests of a decision log."""

    requests: int
    spec_fingerprint: str
    control: str
    influence: tuple[TermInfluence, ...]
    exposure: ExposureReport
    control_exposure: ExposureReport
    amplification: dict[str, Amplification]
    choices: ChoiceCounts | None = None
    """Requests per alternative and control value (of a log of viewers' choices)."""
    influence_by_spec: dict[str, tuple[TermInfluence, ...]] = field(default_factory=dict)
    """Term influence per effective spec, when viewers' choices made several."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "spec_fingerprint": self.spec_fingerprint,
            "control": self.control,
            "choices": None if self.choices is None else self.choices.to_dict(),
            "influence_by_spec": {
                fp: [vars(i) for i in terms] for fp, terms in self.influence_by_spec.items()
            },
            "influence": [vars(i) for i in self.influence],
            "exposure": self.exposure.to_dict(),
            "control_exposure": self.control_exposure.to_dict(),
            "amplification": {g: json_values(vars(a)) for g, a in self.amplification.items()},
        }

    def summary(self) -> str:
        lines = [
            f"{self.requests} requests ranked by spec {self.spec_fingerprint[:16]}, "
            f"control: {self.control}",
            "",
            f"{'term':<24}{'share':>8}{'order kept':>12}",
        ]
        for i in sorted(self.influence, key=lambda i: -i.share):
            lines.append(f"{i.term:<24}{i.share:>8.1%}{i.kendall_tau:>12.2f}")
        lines += [
            "",
            "amplification of each group, personalised vs control (95% bootstrap intervals "
            "over the feeds):",
            "  reach-based (Huszár et al. 2022): how many people see the group at all",
            "  position-weighted: the group's exposure 1/log2(1 + rank), summed over its "
            "served posts",
            "",
            f"{'group':<16}{'exposure':>10}{'control':>10}"
            f"{'reach-based [95% CI]':>30}{'position-weighted [95% CI]':>34}",
        ]
        for group, amp in self.amplification.items():
            lines.append(
                f"{group:<16}{self.exposure.share_by_group.get(group, 0.0):>10.1%}"
                f"{self.control_exposure.share_by_group.get(group, 0.0):>10.1%}"
                f"{_pct(amp.percent, amp.reach_interval):>30}"
                f"{_pct(amp.position_weighted, amp.position_weighted_interval):>34}"
            )
        e, c = self.exposure, self.control_exposure
        lines += [
            "",
            f"author concentration: Gini {e.gini:.3f} (control {c.gini:.3f}), "
            f"effective authors {e.effective_authors:.1f} (control {c.effective_authors:.1f})",
        ]
        if self.choices is not None:
            lines += ["", "viewers' choices:", self.choices.summary()]
        return "\n".join(lines)


def json_values(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with every float that JSON cannot hold (inf, NaN), also inside
    tuples, written as None.

    >>> json_values({"a": float("inf"), "b": (1.0, float("nan")), "c": "x"})
    {'a': None, 'b': [1.0, None], 'c': 'x'}
    """

    def one(x: Any) -> Any:
        if isinstance(x, float) and not np.isfinite(x):
            return None
        if isinstance(x, tuple):
            return [one(v) for v in x]
        return x

    return {k: one(v) for k, v in data.items()}


def _pct(value: float, interval: tuple[float, float]) -> str:
    def one(x: float) -> str:
        return "inf" if np.isinf(x) else f"{x:+.1f}%"

    return f"{one(value)} [{one(interval[0])}, {one(interval[1])}]"


def _opened(record: AuditRecord, data_key: bytes | None) -> AuditRecord:
    if record.is_open:
        return record
    if data_key is None:
        raise AuditError(
            f"record {record.seq} is sealed: needs the data key",
            field="data_key",
            expected="the data key of the log",
        )
    try:
        return record.unseal(data_key)
    except AuditError as err:
        raise AuditError(f"record {record.seq}: {err.message}", field=err.field) from None


def log_report(
    path: str | os.PathLike[str],
    groups: Mapping[str, str] | None = None,
    *,
    control: str = "chronological",
    data_key: bytes | None = None,
) -> LogReport:
    """Rank every valid request of a decision log again, with its logged spec and
    with ``control`` on the same inputs, and report influence, exposure and the
    amplification of each author group (``groups``: author id -> group).

    The requests must share one published spec; where viewers' choices made
    several effective specs, ``influence`` is that of the most-served one
    (``spec_fingerprint``), ``influence_by_spec`` gives each, and ``choices``
    counts requests per alternative and control value.

    ``data_key`` opens sealed records; a sealed record without it (or that it
    does not open) is an AuditError naming the record.
    """
    from feedrank.audit.replay import _rank_again
    from feedrank.audit.secret_check import check_secret
    from feedrank.audit.verify import read_log
    from feedrank.presets import preset

    key = None if data_key is None else check_secret(data_key, field="data_key")
    records = tuple(_opened(r, key) for r in read_log(path).records)
    if not records:
        raise InputError("the log holds no valid record", field="log", expected="a decision log")
    prints = {published_fingerprint(r) for r in records}
    if len(prints) != 1:
        raise InputError(
            f"the log mixes {len(prints)} specs",
            field="log",
            expected="records of one published spec (split the log by spec fingerprint)",
        )
    baseline = preset(control)
    treated: list[Ranking] = []
    controlled: list[Ranking] = []
    for record in records:
        batch = record.batch()
        ctx = record.context(batch)
        treated.append(_rank_again(record, record.pipeline(), batch, ctx))
        controlled.append(baseline.rank(batch, ctx, limit=record.page_input().limit))
    by_spec: dict[str, list[Ranking]] = {}
    for ranking in treated:
        by_spec.setdefault(ranking.fingerprint, []).append(ranking)
    served = max(by_spec, key=lambda fp: len(by_spec[fp]))
    chosen = any(r.choice is not None for r in records)
    return LogReport(
        requests=len(records),
        spec_fingerprint=served,
        control=control,
        influence=tuple(influence(by_spec[served])),
        exposure=exposure(treated, groups),
        control_exposure=exposure(controlled, groups),
        amplification=amplification(treated, controlled, groups or {}, paired=True),
        choices=ChoiceCounts.of(records) if chosen else None,
        influence_by_spec=(
            {fp: tuple(influence(rs)) for fp, rs in by_spec.items()} if len(by_spec) > 1 else {}
        ),
    )
