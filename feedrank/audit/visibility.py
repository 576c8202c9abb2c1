"""An author's visibility report: for every post of theirs in a decision log, how
often it was a candidate and served, what removed or demoted it and under which
policy, and what the same requests would have served under a control.

Counts (candidate, served, position, removals and their reasons) are read from
the log records themselves; which component and policy made each removal and
the factor values of demotions come from the ledger (:mod:`feedrank.audit.ledger`).

**Counterfactual.** Every logged request in which the author had a candidate is
ranked again under the control spec (``chronological`` unless told otherwise)
on the same candidates, context and ``now``, for the page size the request was
served (from the top of the control feed). For each post the report gives the
control's served count and mean position, and ``served − control served`` with
a 95 % percentile bootstrap interval over those requests (resampled with
replacement, :data:`~feedrank.audit.bootstrap.DEFAULT_RESAMPLES` resamples,
``numpy.random.default_rng(seed)``, seed 0 unless given): the same log always
gives the same interval.

Positions are 1-based positions in the whole feed (a post served on a second
page has the position it had in the feed).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from feedrank._time import iso, to_micros
from feedrank.audit.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED, sum_interval
from feedrank.audit.ledger import Action, actions_of, logged_requests
from feedrank.errors import InputError

if TYPE_CHECKING:
    from feedrank.spec.pipeline import Pipeline

__all__ = [
    "VIEWER_CHOICES",
    "Demotion",
    "PostVisibility",
    "Removal",
    "VisibilityReport",
    "visibility_report",
]

_EFFECT_WORDS = {
    "visibility_restriction": "visibility restriction",
    "ranking_preference": "ranking preference",
    "viewer_choice": "the viewer's own choice",
    None: "no component of the spec",
}


VIEWER_CHOICES = "viewer_choices"
"""The reason of the one removal line that counts every removal by the viewers'
own choices (blocks, mutes, muted words, posts already seen, "see fewer"); the
report never says which, so it tells the author nothing about a viewer."""


@dataclass(frozen=True)
class Removal:
    """How often one component removed the post, with one logged reason."""

    path: str
    reason: str
    effect: str | None
    policy: str | None
    times: int

    def text(self) -> str:
        """One line for a person to read."""
        if self.reason == VIEWER_CHOICES:
            return (
                f"not shown {self.times}× because of the viewers' own choices (their blocks, "
                "mutes, muted words and posts they had already seen; which one is not said)"
            )
        who = f"{self.path} " if self.path else ""
        under = (
            f"under policy {self.policy!r}"
            if self.policy
            else f"({_EFFECT_WORDS.get(self.effect, str(self.effect))})"
        )
        return f"removed {self.times}× by {who}(reason {self.reason}) {under}"


@dataclass(frozen=True)
class Demotion:
    """How often one restricting factor lowered the post's score, and by how much."""

    path: str
    factor: str
    policy: str | None
    times: int
    mean_value: float
    min_value: float

    def text(self) -> str:
        """One line for a person to read."""
        return (
            f"demoted {self.times}× by {self.path} (score × {self.mean_value:.3g} on average, "
            f"lowest {self.min_value:.3g}) under policy {self.policy!r}"
        )


@dataclass(frozen=True)
class PostVisibility:
    """One post of the author over the requests of the report."""

    post_id: str
    created_at: int
    candidate: int
    served: int
    mean_position: float | None
    removals: tuple[Removal, ...]
    demotions: tuple[Demotion, ...]
    control_served: int
    control_mean_position: float | None
    served_difference: int
    interval: tuple[float, float]

    @property
    def removed(self) -> int:
        """Requests in which the post was removed (by any component)."""
        return sum(r.times for r in self.removals)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "post_id": self.post_id,
            "created_at": iso(self.created_at),
            "candidate": self.candidate,
            "served": self.served,
            "mean_position": self.mean_position,
            "removed": self.removed,
            "removals": [vars(r) for r in self.removals],
            "demotions": [vars(d) for d in self.demotions],
            "control": {"served": self.control_served, "mean_position": self.control_mean_position},
            "served_minus_control": self.served_difference,
            "interval": list(self.interval),
        }


@dataclass(frozen=True)
class VisibilityReport:
    """Every post of ``author`` in the log, with the totals over them."""

    author: str
    log: str
    requests: int
    since: int | None
    until: int | None
    specs: tuple[str, ...]
    control: str
    control_fingerprint: str
    posts: tuple[PostVisibility, ...]
    served_difference: int
    interval: tuple[float, float]
    seed: int
    resamples: int
    policies: dict[str, str] = field(default_factory=dict)
    """Policy name -> its published description, for every policy named."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "author": self.author,
            "log": self.log,
            "requests": self.requests,
            "since": None if self.since is None else iso(self.since),
            "until": None if self.until is None else iso(self.until),
            "specs": list(self.specs),
            "control": self.control,
            "control_fingerprint": self.control_fingerprint,
            "bootstrap": {"resamples": self.resamples, "seed": self.seed, "level": 0.95},
            "served_minus_control": self.served_difference,
            "interval": list(self.interval),
            "policies": self.policies,
            "posts": [p.to_dict() for p in self.posts],
        }

    def _head(self) -> list[str]:
        window = ""
        if self.since is not None or self.until is not None:
            start = "the start" if self.since is None else iso(self.since)
            end = "the end" if self.until is None else iso(self.until)
            window = f" from {start} to {end}"
        return [
            f"Visibility of the posts of {self.author}: {len(self.posts)} post(s) in "
            f"{self.requests} logged request(s){window} of {self.log}",
            "ranked by spec "
            + ", ".join(s[:16] for s in self.specs)
            + f"; control: {self.control} ({self.control_fingerprint[:16]}), the same "
            "requests ranked again",
            f"served − control: {self.served_difference:+d} "
            f"[95% bootstrap interval {_span(self.interval)}; {self.resamples} resamples of "
            f"the requests, seed {self.seed}]",
        ]

    def table(self) -> str:
        """The report as a text table, then what lowered each post's reach."""
        cols = (
            f"{'post':<16}{'candidate':>10}{'served':>8}{'mean pos':>10}{'removed':>9}"
            f"{'demoted':>9}{'control':>9}{'ctl pos':>9}  served − control [95% CI]"
        )
        out = [*self._head(), "", cols]
        for p in self.posts:
            out.append(
                f"{p.post_id:<16}{p.candidate:>10}{p.served:>8}{_pos(p.mean_position):>10}"
                f"{p.removed:>9}{sum(d.times for d in p.demotions):>9}{p.control_served:>9}"
                f"{_pos(p.control_mean_position):>9}  {p.served_difference:+d} "
                f"[{_span(p.interval)}]"
            )
        reasons = [(p, line) for p in self.posts for line in _lines(p)]
        out += ["", "What lowered the reach:" if reasons else "Nothing removed or demoted a post."]
        out += [f"  {p.post_id}: {line}" for p, line in reasons]
        if self.policies:
            out += ["", "Policies:"]
            out += [f"  {text}" for text in self.policies.values()]
        return "\n".join(out)

    def html(self) -> str:
        """The report as one self-contained HTML page (no script, nothing to fetch)."""
        esc = html.escape
        rows = []
        for p in self.posts:
            what = "<br>".join(esc(line) for line in _lines(p)) or "—"
            cells = [
                f"<code>{esc(p.post_id)}</code>",
                esc(iso(p.created_at)),
                str(p.candidate),
                str(p.served),
                _pos(p.mean_position),
                str(p.control_served),
                _pos(p.control_mean_position),
                f"{p.served_difference:+d} [{_span(p.interval)}]",
                what,
            ]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        heads = [
            "post",
            "written",
            "times a candidate",
            "times served",
            "mean position",
            "served by the control",
            "control's mean position",
            "served − control [95% interval]",
            "what lowered its reach",
        ]
        policies = "".join(f"<li>{esc(t)}</li>" for t in self.policies.values())
        head = self._head()
        style = (
            "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;"
            "padding:0 1em;color:#1a202c;line-height:1.5}"
            "table{border-collapse:collapse;width:100%;margin:1em 0}"
            "th,td{border:1px solid #cbd5e0;padding:.35em .6em;text-align:left;"
            "vertical-align:top}th{background:#edf2f7}code{background:#edf2f7}"
        )
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{esc('Visibility of the posts of ' + self.author)}</title>"
            f"<style>{style}</style></head><body>\n"
            f"<h1>{esc('Visibility of the posts of ' + self.author)}</h1>\n"
            + "".join(f"<p>{esc(line)}</p>\n" for line in head)
            + "<p>Each row is one of your posts. <em>Times a candidate</em>: the logged "
            "feeds it could have appeared in; <em>times served</em>: the feeds it was shown "
            "in; the <em>control</em> ranks the same feeds again with the control algorithm. "
            "The last column names every removal and demotion and the policy behind it.</p>\n"
            "<table><tr>"
            + "".join(f"<th>{esc(h)}</th>" for h in heads)
            + "</tr>\n"
            + "\n".join(rows)
            + "\n</table>\n"
            + (f"<h2>Policies</h2><ul>{policies}</ul>\n" if policies else "")
            + "</body></html>\n"
        )


def _pos(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _span(interval: tuple[float, float]) -> str:
    return f"{interval[0]:+.0f}, {interval[1]:+.0f}"


def _lines(p: PostVisibility) -> list[str]:
    return [r.text() for r in p.removals] + [d.text() for d in p.demotions]


@dataclass
class _Tally:
    created_at: int = 0
    candidate: int = 0
    positions: list[int] = field(default_factory=list)
    control_positions: list[int] = field(default_factory=list)
    difference: list[float] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)


def _served_positions(ids: list[str], start: int) -> dict[str, int]:
    return {pid: start + i + 1 for i, pid in enumerate(ids)}


def visibility_report(
    path: str | os.PathLike[str],
    author: str,
    *,
    control: Pipeline | str = "chronological",
    since: datetime | None = None,
    until: datetime | None = None,
    data_key: bytes | None = None,
    seed: int = DEFAULT_SEED,
    n_boot: int = DEFAULT_RESAMPLES,
) -> VisibilityReport:
    """The visibility report of ``author`` over the log at ``path`` (see the module
    docstring). ``control``: a Pipeline, a spec file or a preset name;
    ``since``/``until``: keep the requests ranked in that window (inclusive);
    ``data_key`` opens sealed records; ``seed`` and ``n_boot`` set the bootstrap."""
    from feedrank.presets.registry import spec_or_preset
    from feedrank.spec.pipeline import Pipeline

    if not author:
        raise InputError("empty author id", field="--author", expected="an author id")
    baseline = control if isinstance(control, Pipeline) else spec_or_preset(control)
    tallies: dict[str, _Tally] = {}
    requests = 0
    specs: dict[str, None] = {}
    policies: dict[str, str] = {}
    for request in logged_requests(path, data_key=data_key, since=since, until=until):
        batch = request.batch
        rows = np.flatnonzero(batch.author_ids == author)
        if not rows.shape[0]:
            continue
        requests += 1
        record = request.record
        specs[record.spec.fingerprint] = None
        page = record.require_outputs().page
        served = _served_positions(page.ids, page.start)
        ctrl = baseline.rank(batch, request.ctx, limit=record.page_input().limit)
        ctrl_served = _served_positions(ctrl.post_ids, 0)
        for row in rows.tolist():
            pid = str(batch.ids[row])
            tally = tallies.setdefault(pid, _Tally(created_at=int(batch.created_at[row])))
            tally.candidate += 1
            if pid in served:
                tally.positions.append(served[pid])
            if pid in ctrl_served:
                tally.control_positions.append(ctrl_served[pid])
            tally.difference.append(float((pid in served) - (pid in ctrl_served)))
            tally.seqs.append(record.seq)
        for action in actions_of(request, rows):
            tallies[action.post_id].actions.append(action)
            if action.policy is not None:
                policies[action.policy.name] = action.policy.describe()
    posts = tuple(
        _post(pid, tally, seed, n_boot)
        for pid, tally in sorted(tallies.items(), key=lambda kv: (kv[1].created_at, kv[0]))
    )
    per_request = _per_request_totals(tallies)
    return VisibilityReport(
        author=author,
        log=str(path),
        requests=requests,
        since=None if since is None else to_micros(since, field="since"),
        until=None if until is None else to_micros(until, field="until"),
        specs=tuple(specs),
        control=baseline.name,
        control_fingerprint=baseline.fingerprint,
        posts=posts,
        served_difference=int(per_request.sum()),
        interval=sum_interval(per_request, rng=seed, n_boot=n_boot),
        seed=seed,
        resamples=n_boot,
        policies=dict(sorted(policies.items())),
    )


def _per_request_totals(tallies: dict[str, _Tally]) -> NDArray[np.float64]:
    """The author's served − control summed per request (by record number), in
    log order: the total's interval resamples requests, not post appearances."""
    totals: dict[int, float] = {}
    for tally in tallies.values():
        for seq, d in zip(tally.seqs, tally.difference, strict=True):
            totals[seq] = totals.get(seq, 0.0) + d
    return np.array([totals[k] for k in sorted(totals)], dtype=np.float64)


def _post(pid: str, tally: _Tally, seed: int, n_boot: int) -> PostVisibility:
    removals: dict[tuple[str, str], list[Action]] = {}
    demotions: dict[tuple[str, str], list[Action]] = {}
    for a in tally.actions:
        if a.kind == "demoted":
            demotions.setdefault((a.path, a.reason), []).append(a)
        elif a.effect == "viewer_choice":
            # Which viewer blocked or muted the author, or had seen the post, is the
            # viewer's own business: one count for all their choices, no reasons.
            removals.setdefault(("", VIEWER_CHOICES), []).append(a)
        else:
            removals.setdefault((a.path, a.reason), []).append(a)
    diff = np.array(tally.difference, dtype=np.float64)
    return PostVisibility(
        post_id=pid,
        created_at=tally.created_at,
        candidate=tally.candidate,
        served=len(tally.positions),
        mean_position=float(np.mean(tally.positions)) if tally.positions else None,
        removals=tuple(
            Removal(
                path,
                reason,
                acts[0].effect,
                None if acts[0].policy is None else acts[0].policy.name,
                len(acts),
            )
            for (path, reason), acts in sorted(removals.items())
        ),
        demotions=tuple(
            Demotion(
                path,
                name,
                None if acts[0].policy is None else acts[0].policy.name,
                len(acts),
                float(np.mean([a.value for a in acts if a.value is not None])),
                float(min(a.value for a in acts if a.value is not None)),
            )
            for (path, name), acts in sorted(demotions.items())
        ),
        control_served=len(tally.control_positions),
        control_mean_position=(
            float(np.mean(tally.control_positions)) if tally.control_positions else None
        ),
        served_difference=int(diff.sum()),
        interval=sum_interval(diff, rng=seed, n_boot=n_boot),
    )
