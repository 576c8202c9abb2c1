"""A viewer's choice: an alternative from the published menu and values for its controls.

The effective algorithm of a request is the published spec, or the alternative
the viewer picked from its menu, with the viewer's control values written in
(:mod:`feedrank.spec.controls`). It is an ordinary spec without controls or
alternatives: the same spec a platform would get by editing those values into
the published file, with the same fingerprint. :func:`choose` computes it once
per (published spec, choice) and keeps it.

>>> from datetime import datetime, timezone
>>> from feedrank import Context, Post, PostBatch, preset
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([Post(id="p1", author_id="a", created_at=t)])
>>> chosen = choose(preset("balanced"), Choice(settings={"interests": 0.5, "in_network": "off"}))
>>> weights = {t.name: t.weight for t in chosen.effective.scorer.terms}
>>> weights["interests"], "in_network" in weights
(0.5, False)
>>> ranking = chosen.rank(batch, Context.build(batch, now=t))
>>> ranking.choice.to_dict()["settings"]
{'in_network': False, 'interests': 0.5}
>>> ranking.fingerprint == chosen.effective.fingerprint != preset("balanced").fingerprint
True
>>> choose(preset("balanced"), Choice(alternative="chronological")).effective.name
'chronological'
>>> try:
...     choose(preset("balanced"), Choice(settings={"interests": 9}))
... except InputError as err:
...     print(err.field, "|", err.expected)
scorer.terms[interests].weight | a number from 0 to 4 in steps of 0.5
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedrank.canonical import canonical_json
from feedrank.errors import InputError, RankingError, SpecError
from feedrank.ranking.stamp import ChoiceStamp
from feedrank.spec.controls import Alternative, Value, current, edit, find
from feedrank.spec.files import load_spec
from feedrank.spec.pipeline import DecisionSink, Pipeline

if TYPE_CHECKING:
    from feedrank.batch.context import Context
    from feedrank.batch.posts import PostBatch
    from feedrank.engine.cursor import Cursor
    from feedrank.ranking.ranking import Ranking

__all__ = [
    "Choice",
    "Chosen",
    "choice_from_args",
    "choice_from_json",
    "choose",
    "resolve_alternative",
    "viewer_reads",
]


@dataclass(frozen=True)
class Choice:
    """What a viewer chose: ``alternative`` (a name on the published menu, None:
    the published spec) and ``settings`` (control name -> value: a number, a
    bool, or text such as ``"0.5"``, ``"on"``, ``"off"``)."""

    alternative: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.alternative is not None and not isinstance(self.alternative, str):
            raise InputError(
                f"got {type(self.alternative).__name__}",
                field="choice.alternative",
                expected="the name of an alternative on the menu, or None",
            )
        if not isinstance(self.settings, Mapping):
            raise InputError(
                f"got {type(self.settings).__name__}",
                field="choice.settings",
                expected="a mapping of control name -> value",
            )
        for name, value in self.settings.items():
            ok = isinstance(value, (bool, int, str)) or (
                isinstance(value, float) and math.isfinite(value)
            )
            if not isinstance(name, str) or not ok:
                raise InputError(
                    f"{name!r}: {value!r}",
                    field=f"choice.settings.{name}",
                    expected="a control name and a number, a bool, or text such as on/off",
                )

    @property
    def key(self) -> str:
        """Canonical JSON of the choice (what :func:`choose` caches by)."""
        return canonical_json([self.alternative, {k: self.settings[k] for k in self.settings}])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values, the form :func:`choice_from_json` reads."""
        return {"alternative": self.alternative, "settings": dict(self.settings)}

    def apply(
        self,
        published: Pipeline,
        *,
        specs: Mapping[str, Pipeline] | None = None,
        base_dir: str | Path | None = None,
    ) -> Chosen:
        """:func:`choose` this choice on ``published``."""
        return choose(published, self, specs=specs, base_dir=base_dir)


def choice_from_json(data: Any, *, field: str = "choice") -> Choice:
    """The :class:`Choice` of a request's ``choice`` JSON object:
    ``{"alternative": NAME or null, "settings": {CONTROL: value}}`` (both keys
    optional); InputError naming the field otherwise. A service passes the
    object of its request body here.

    >>> choice_from_json({"settings": {"interests": 0.5}})
    Choice(alternative=None, settings={'interests': 0.5})
    """
    if data is None:
        return Choice()
    if not isinstance(data, Mapping):
        raise InputError(f"got {type(data).__name__}", field=field, expected="a JSON object")
    extra = sorted(set(data) - {"alternative", "settings"})
    if extra:
        raise InputError(
            f"unknown key {extra[0]!r}",
            field=f"{field}.{extra[0]}",
            expected="alternative, settings",
        )
    alternative = data.get("alternative")
    if alternative is not None and not isinstance(alternative, str):
        raise InputError(
            f"got {type(alternative).__name__}",
            field=f"{field}.alternative",
            expected="the name of an alternative on the menu, or null",
        )
    settings = data.get("settings") or {}
    if not isinstance(settings, Mapping):
        raise InputError(
            f"got {type(settings).__name__}",
            field=f"{field}.settings",
            expected="an object of control name -> value",
        )
    for name, value in settings.items():
        if not isinstance(value, (bool, int, float, str)):
            raise InputError(
                f"got {type(value).__name__}",
                field=f"{field}.settings.{name}",
                expected="a number, true/false, or on/off",
            )
    return Choice(alternative, dict(settings))


def choice_from_args(choose: str | None, sets: Sequence[str] = ()) -> Choice:
    """The :class:`Choice` of a command line's ``--choose NAME`` and ``--set
    CONTROL=VALUE`` options (a control set twice is an error).

    >>> choice_from_args("chronological", ["interests=0.5", "in_network=off"]).settings
    {'interests': '0.5', 'in_network': 'off'}
    """
    settings: dict[str, str] = {}
    for item in sets:
        name, eq, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name or not value:
            raise InputError(f"cannot read {item!r}", field="--set", expected="CONTROL=VALUE")
        if name in settings:
            raise InputError(f"control {name!r} is set twice", field="--set")
        settings[name] = value
    return Choice(choose, settings)


def resolve_alternative(
    alternative: Alternative,
    *,
    specs: Mapping[str, Pipeline] | None = None,
    base_dir: str | Path | None = None,
) -> Pipeline:
    """The spec an alternative names: its preset, its file (relative to
    ``base_dir``), or the spec with its fingerprint among ``specs``
    (fingerprint -> Pipeline). SpecError if it has another fingerprint than the
    one the menu pins, or cannot be found."""
    # imported here: the presets load specs through this package
    from feedrank.presets.registry import preset

    where = f"alternatives[{alternative.name}]"
    if alternative.preset is not None:
        spec = preset(alternative.preset)
    elif alternative.file is not None:
        spec = load_spec(Path(base_dir or ".") / alternative.file)
    else:
        found = (specs or {}).get(alternative.fingerprint or "")
        if found is None:
            raise SpecError(
                f"no spec with fingerprint {alternative.fingerprint} was given",
                field=where,
                expected="the spec among specs={fingerprint: Pipeline}",
            )
        spec = found
    if alternative.fingerprint is not None and spec.fingerprint != alternative.fingerprint:
        raise SpecError(
            f"the spec found has fingerprint {spec.fingerprint}, the menu pins "
            f"{alternative.fingerprint}",
            field=f"{where}.fingerprint",
        )
    return spec


@dataclass(frozen=True, eq=False)
class Chosen:
    """A choice applied: ``published`` (the spec offering the menu), ``base``
    (the published spec or the alternative picked), ``effective`` (``base``
    with the control values written in, without controls or alternatives) and
    ``stamp`` (what a ranking and the decision log record)."""

    published: Pipeline
    base: Pipeline
    effective: Pipeline
    stamp: ChoiceStamp

    @property
    def alternative(self) -> str | None:
        """The alternative picked, or None."""
        return self.stamp.alternative

    @property
    def settings(self) -> dict[str, Value]:
        """Control name -> the value set (validated, in name order)."""
        return dict(self.stamp.settings)

    def rank(
        self,
        batch: PostBatch,
        ctx: Context,
        *,
        limit: int | None = None,
        cursor: str | Cursor | None = None,
        audit: DecisionSink | None = None,
        request_id: str | None = None,
    ) -> Ranking:
        """:meth:`Pipeline.rank` with the effective spec; the ranking carries
        :attr:`stamp` as ``ranking.choice``, and so does its decision record."""
        if request_id is not None and audit is None:
            raise RankingError(
                "request_id without a decision log", field="request_id", expected="audit=log"
            )
        ranking = self.effective.rank(batch, ctx, limit=limit, cursor=cursor)
        ranking.choice = self.stamp
        if audit is not None:
            ranking.logged = audit.append(ranking, ctx, request_id)
        return ranking


_CACHE: OrderedDict[tuple[str, str, str], Chosen] = OrderedDict()
_CACHE_SIZE = 4096
_LOCK = threading.Lock()


def choose(
    published: Pipeline,
    choice: Choice | None = None,
    *,
    specs: Mapping[str, Pipeline] | None = None,
    base_dir: str | Path | None = None,
) -> Chosen:
    """The :class:`Chosen` of ``choice`` on ``published`` (None: no choice).

    The alternative must be on ``published.menu``; each setting must name a
    control of the spec it applies to (the alternative's, when one is picked)
    and be one of its values, else InputError naming the control's target (or
    ``choice.alternative`` / ``choice.settings.NAME``). The result is cached by
    the published fingerprint and the choice (the last 4096), so a choice costs
    one validation of the effective spec the first time it is seen and a
    lookup after; an alternative given as an unpinned file is read every time.
    """
    choice = choice or Choice()
    key = (published.fingerprint, choice.key, str(base_dir or ""))
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    chosen, cacheable = _apply(published, choice, specs, base_dir)
    if cacheable:
        with _LOCK:
            _CACHE[key] = chosen
            if len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return chosen


def _apply(
    published: Pipeline,
    choice: Choice,
    specs: Mapping[str, Pipeline] | None,
    base_dir: str | Path | None,
) -> tuple[Chosen, bool]:
    base, cacheable = published, True
    if choice.alternative is not None:
        menu = {a.name: a for a in published.menu}
        alternative = menu.get(choice.alternative)
        if alternative is None:
            raise InputError(
                f"{choice.alternative!r} is not on the menu of {published.name!r}",
                field="choice.alternative",
                expected="one of " + ", ".join(menu),
            )
        base = resolve_alternative(alternative, specs=specs, base_dir=base_dir)
        cacheable = alternative.file is None or alternative.fingerprint is not None
    controls = {c.name: c for c in base.controls}
    data = base.algorithm_spec()
    values: list[tuple[str, Value]] = []
    edits = []
    for name in sorted(choice.settings):
        control = controls.get(name)
        if control is None:
            raise InputError(
                f"{base.name!r} has no control {name!r}",
                field=f"choice.settings.{name}",
                expected="one of " + (", ".join(controls) or "no controls"),
            )
        place = find(data, control.target)
        value = control.value(choice.settings[name], current=current(data, place))
        values.append((name, value))
        edits.append((place, value))
    try:
        effective = Pipeline.model_validate(edit(data, edits))
    except SpecError as err:
        raise InputError(
            f"these settings together make an invalid spec: {err}",
            field="choice.settings",
            expected="settings the spec accepts together",
        ) from None
    stamp = ChoiceStamp(published, choice.alternative, tuple(values), effective.fingerprint)
    return Chosen(published, base, effective, stamp), cacheable


def viewer_reads(pipeline: Pipeline) -> tuple[str, ...]:
    """What of the viewer ``pipeline`` may read: the ``viewer.*`` columns its
    signals declare, and every filter and re-ranker (they declare no columns, so
    each counts as reading the viewer). Empty for a spec that uses no personal
    data, such as ``chronological``.

    >>> from feedrank.presets import preset
    >>> viewer_reads(preset("chronological"))
    ()
    >>> viewer_reads(preset("balanced"))[:2]
    ('filters[blocked_authors]', 'filters[muted_authors]')
    """
    out: list[str] = [f"filters[{f.type}]" for f in pipeline.filters]
    parts = [*pipeline.scorer.terms, *pipeline.scorer.factors]
    for part in parts:
        out.extend(f"{part.name}: {c}" for c in part.signal.reads if c.startswith("viewer."))
    out.extend(f"rerankers[{r.type}]" for r in pipeline.rerankers)
    return tuple(out)
