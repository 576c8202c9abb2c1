"""Does the control work? The share of targeted exposure a viewer's control removes.

Mozilla's study of YouTube's buttons ("Does This Button Work?", 2022) measured
a control by the share of unwanted recommendations it prevented. Here, on the
simulator (:func:`~feedrank.datasets.simulate`): each viewer makes ``requests``
requests in a row, each after the posts served before are seen (so the feed
moves on), once with the published spec and once with the control turned. The
*targeted exposure* is the position-weighted exposure, v(rank) = 1 / log2(1 +
rank) summed over the served pages, of the posts the control is about;
effectiveness = 1 − (targeted exposure with the control turned) / (targeted
exposure without), pooled over viewers (a ratio of sums), with a percentile
bootstrap interval over viewers. 100 % means the targeted posts are gone from
the next requests; 0 % means the control changed nothing; a negative share
means they got more exposure.

What each control of a spec targets (:data:`TARGETS`), by the part it sets:

- ``scorer.terms[interests]`` / a topic term: posts on the viewer's strongest
  stated interest;
- ``scorer.terms[in_network]``: posts by accounts the viewer follows;
- ``scorer.terms[engagement]``: the 10 % most engaged-with candidates;
- ``filters[max_age]``: posts older than the control's smallest value;
- ``filters[see_fewer]``: the "see fewer" button: after the viewer hides the
  first post of their first page, that author's posts (measured with the switch
  on, as published, and off).

Numbers are turned to their smallest value, switches off (for ``see_fewer``:
the hide is the turn, with the filter as published).

>>> from feedrank.datasets import simulate
>>> from feedrank.presets import preset
>>> net = simulate(rng=1, n_users=30, n_posts=200, hours=72.0)
>>> effect = control_effect(preset("balanced"), net, "max_age", viewers=10, requests=3)
>>> effect.control, effect.value, effect.share
('max_age', 12.0, 1.0)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank._time import MICROS_PER_HOUR, to_micros
from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.datasets.network import SimulatedNetwork
from feedrank.errors import InputError
from feedrank.evaluate.stats import _bootstrap, _percentile_interval
from feedrank.models import Interaction, InteractionKind, Viewer
from feedrank.spec.choice import Choice, choose
from feedrank.spec.controls import Control
from feedrank.spec.pipeline import Pipeline

__all__ = ["TARGETS", "ControlEffect", "control_effect", "control_effects"]

Target = Callable[["_Request"], NDArray[np.bool_]]


@dataclass(frozen=True)
class _Request:
    """What a target is computed from: the network, the batch, the viewer, the turn."""

    net: SimulatedNetwork
    batch: PostBatch
    viewer: Viewer
    control: Control
    hidden_author: str | None


def _top_interest(r: _Request) -> NDArray[np.bool_]:
    if not r.viewer.interests:
        return np.zeros(len(r.batch), dtype=bool)
    top = max(sorted(r.viewer.interests), key=lambda t: r.viewer.interests[t])
    posts = r.net.posts
    if [p.id for p in posts] != r.batch.ids.tolist():
        raise InputError("the batch is not the network's posts in order", field="batch")
    return np.array([top in p.topics for p in posts], dtype=bool)


def _followed(r: _Request) -> NDArray[np.bool_]:
    return np.isin(r.batch.author_ids, np.array(sorted(r.viewer.follows), dtype=np.str_))


def _most_engaged(r: _Request) -> NDArray[np.bool_]:
    k = InteractionKind
    total = sum(r.batch.count(kind).astype(np.float64) for kind in (k.LIKE, k.REPOST, k.REPLY))
    assert isinstance(total, np.ndarray)
    cut = np.quantile(total, 0.9)
    flag: NDArray[np.bool_] = total >= cut
    return flag


def _older(r: _Request) -> NDArray[np.bool_]:
    hours = float(r.control.min if r.control.min is not None else 0.0)
    age = to_micros(r.net.now) - r.batch.created_at
    flag: NDArray[np.bool_] = age > hours * MICROS_PER_HOUR
    return flag


def _hidden_author(r: _Request) -> NDArray[np.bool_]:
    flag: NDArray[np.bool_] = r.batch.author_ids == (r.hidden_author or "")
    return flag


TARGETS: dict[str, Target] = {
    "scorer.terms[interests]": _top_interest,
    "scorer.terms[in_network]": _followed,
    "scorer.terms[engagement]": _most_engaged,
    "filters[max_age]": _older,
    "filters[see_fewer]": _hidden_author,
}
"""The targeted posts of a control, by the part of the spec it sets (its target
without the field)."""


@dataclass(frozen=True)
class ControlEffect:
    """The measured effectiveness of turning one control.

    ``share``: 1 − exposure with / without the turn, pooled over ``viewers``
    (``low``, ``high``: its percentile bootstrap interval at ``confidence``);
    ``before`` and ``after``: the mean targeted exposure per viewer over the
    ``requests`` requests; ``setting``: what was turned."""

    control: str
    label: str
    value: Any
    setting: str
    share: float
    low: float
    high: float
    before: float
    after: float
    viewers: int
    requests: int
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return dataclasses.asdict(self)


def _part(target: str) -> str:
    return target[: target.index("]") + 1]


def _pages(
    pipeline: Pipeline, batch: PostBatch, ctx: Context, requests: int, limit: int
) -> list[tuple[NDArray[np.intp], NDArray[np.intp]]]:
    """The candidate rows and 1-based ranks served by ``requests`` requests in a row,
    each after the pages before are seen."""
    seen = ctx.seen.copy()
    out = []
    for _ in range(requests):
        ranking = pipeline.rank(batch, dataclasses.replace(ctx, seen=seen), limit=limit)
        rows = ranking.kept[ranking.page]
        out.append((rows, ranking.ranks.astype(np.intp)))
        seen = seen.copy()
        seen[rows] = True
    return out


def _exposure(pages: list[tuple[NDArray[np.intp], NDArray[np.intp]]], target: Any) -> float:
    total = 0.0
    for rows, ranks in pages:
        weights = 1.0 / np.log2(1.0 + ranks.astype(np.float64))
        total += float(weights[target[rows]].sum())
    return total


def control_effect(
    pipeline: Pipeline,
    net: SimulatedNetwork | Sequence[SimulatedNetwork],
    control: str,
    *,
    under: Mapping[str, Any] | None = None,
    viewers: int | None = None,
    requests: int = 5,
    limit: int = 20,
    rng: np.random.Generator | int = 0,
    n_resamples: int = 2000,
    confidence: float = 0.95,
) -> ControlEffect:
    """Measure turning ``control`` of ``pipeline`` for the first ``viewers`` people
    of ``net`` (all when None; of each network, pooled, when several), over
    ``requests`` requests of ``limit`` posts, with the other controls as
    published or as ``under`` sets them (in both arms). ``rng`` draws the
    bootstrap resamples only. InputError if the spec has no such control or no
    target is defined for it (:data:`TARGETS`)."""
    found = {c.name: c for c in pipeline.controls}.get(control)
    if found is None:
        raise InputError(
            f"{pipeline.name!r} has no control {control!r}",
            field="control",
            expected="one of " + ", ".join(c.name for c in pipeline.controls),
        )
    target_of = TARGETS.get(_part(found.target))
    if target_of is None:
        raise InputError(
            f"no targeted exposure is defined for {found.target!r}",
            field="control",
            expected="a control of " + ", ".join(TARGETS),
        )
    hide = _part(found.target) == "filters[see_fewer]"
    value: Any = False if found.kind == "switch" else found.min
    others = dict(under or {})
    base = choose(pipeline, Choice(settings=others)).effective
    turned = (
        base if hide else choose(pipeline, Choice(settings={**others, control: value})).effective
    )
    pairs: list[tuple[float, float]] = []
    for network in [net] if isinstance(net, SimulatedNetwork) else net:
        pairs += _measure(network, base, turned, found, target_of, hide, viewers, requests, limit)
    return _summarise(found, value, hide, others, pairs, requests, rng, n_resamples, confidence)


def _measure(
    net: SimulatedNetwork,
    base: Pipeline,
    turned: Pipeline,
    found: Control,
    target_of: Target,
    hide: bool,
    viewers: int | None,
    requests: int,
    limit: int,
) -> list[tuple[float, float]]:
    """(targeted exposure with the turn, without) for each viewer of ``net``."""
    batch = net.batch()
    people = net.viewers if viewers is None else net.viewers[:viewers]
    pairs: list[tuple[float, float]] = []
    for person in people:
        ctx = net.context(person.id, batch)
        hidden = None
        after_ctx = ctx
        if hide:
            first = _first(base, batch, ctx, limit)
            if not first.size:
                continue
            post = int(first[0])
            hidden = str(batch.author_ids[post])
            shown = np.zeros(len(batch), dtype=bool)
            shown[first] = True
            ctx = dataclasses.replace(ctx, seen=ctx.seen | shown)
            hid = _with_hide(net, batch, person, str(batch.ids[post]))
            after_ctx = dataclasses.replace(hid, seen=hid.seen | shown)
        target = target_of(_Request(net, batch, person, found, hidden))
        before = _pages(base, batch, ctx, requests, limit)
        after = _pages(turned, batch, after_ctx, requests, limit)
        pairs.append((_exposure(after, target), _exposure(before, target)))
    return pairs


def _first(pipeline: Pipeline, batch: PostBatch, ctx: Context, limit: int) -> NDArray[np.intp]:
    ranking = pipeline.rank(batch, ctx, limit=limit)
    rows: NDArray[np.intp] = ranking.kept[ranking.page]
    return rows


def _with_hide(net: SimulatedNetwork, batch: PostBatch, person: Viewer, post_id: str) -> Context:
    """The viewer's context with a hide of ``post_id`` at ``now``."""
    hide = Interaction(viewer_id=person.id, post_id=post_id, kind=InteractionKind.HIDE, at=net.now)
    return Context.build(
        batch,
        now=net.now,
        viewer=person,
        interactions=[*net.interactions_of(person.id), hide],
        post_authors=net.post_authors(),
    )


def _summarise(
    control: Control,
    value: Any,
    hide: bool,
    under: dict[str, Any],
    pairs: list[tuple[float, float]],
    requests: int,
    rng: np.random.Generator | int,
    n_resamples: int,
    confidence: float,
) -> ControlEffect:
    data = np.array([p for p in pairs if p[1] > 0], dtype=np.float64).reshape(-1, 2)
    if not data.shape[0]:
        raise InputError(
            "no viewer was served a targeted post", field="viewers", expected="more viewers"
        )
    share = 1.0 - float(data[:, 0].sum() / data[:, 1].sum())
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    reps = _bootstrap(data, lambda m: 1.0 - m[:, 0] / m[:, 1], rng=gen, n_resamples=n_resamples)
    low, high = _percentile_interval(reps, confidence)
    if hide:
        setting = "hide one post (see fewer from this author)"
    elif control.kind == "switch":
        setting = f"{control.name}=off"
    else:
        setting = f"{control.name}={value:g}"
    if under:
        setting += " with " + ", ".join(f"{k}={_shown(v)}" for k, v in sorted(under.items()))
    return ControlEffect(
        control=control.name,
        label=control.label,
        value=value,
        setting=setting,
        share=share,
        low=low,
        high=high,
        before=float(data[:, 1].mean()),
        after=float(data[:, 0].mean()),
        viewers=int(data.shape[0]),
        requests=requests,
        confidence=confidence,
    )


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def control_effects(
    pipeline: Pipeline,
    net: SimulatedNetwork | Sequence[SimulatedNetwork],
    controls: Sequence[str] | None = None,
    **options: Any,
) -> list[ControlEffect]:
    """:func:`control_effect` of each of ``controls`` (default: every control of
    ``pipeline`` with a target in :data:`TARGETS`)."""
    names = (
        [c.name for c in pipeline.controls if _part(c.target) in TARGETS]
        if controls is None
        else list(controls)
    )
    return [control_effect(pipeline, net, name, **options) for name in names]
