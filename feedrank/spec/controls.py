"""Controls and alternatives: what a published spec lets its viewer change.

A spec may publish ``[[controls]]``: named parameters a viewer may set, each
pointing at one part of the spec (its ``target``), with a plain-language
``label``, a ``default`` (the value the spec holds) and, for a number, its
bounds and step:

- a number: ``target`` is a numeric value of a term, factor, filter or
  re-ranker, such as ``scorer.terms[interests].weight`` or
  ``filters[max_age].hours``; ``min``, ``max`` (and optionally ``step``) bound it;
- a switch: ``target`` is a whole term, factor, filter or re-ranker, such as
  ``scorer.terms[in_network]`` or ``filters[see_fewer]``; ``default = true``
  (it is in the published spec), and turning it off removes it.

Terms and factors are named by their ``name``, filters and re-rankers by their
``type`` (when only one has it) or by their 0-based index. ``[[alternatives]]``
is the menu of other published specs the viewer may switch to (a preset by
name, a spec file, and/or a pinned fingerprint); ``chronological`` is always on
the menu. A control that points at nothing, a default that is not the spec's
value or is out of bounds, or a bound the spec itself refuses is a
:class:`~feedrank.errors.SpecError` naming the control's path.

>>> from feedrank.presets import preset
>>> [c.name for c in preset("balanced").controls][:2]
['interests', 'in_network']
>>> spec = preset("balanced").to_spec()
>>> edit(spec, find(spec, "scorer.terms[interests].weight"), 0.5)["scorer"]["terms"][4]["weight"]
0.5
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from feedrank.errors import InputError
from feedrank.models import SpecModel

__all__ = [
    "CHRONOLOGICAL",
    "Alternative",
    "Control",
    "Place",
    "Value",
    "check_menu",
    "current",
    "edit",
    "find",
    "menu_of",
]

Value = bool | int | float
"""A control's value: a switch is a bool, a number an int or a float."""

_NAME = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"
_TARGET = re.compile(
    r"^(filters|rerankers|scorer\.terms|scorer\.factors)\[([^\[\]]+)\]"
    r"((?:\.[A-Za-z_][A-Za-z0-9_]*)*)$"
)
_PARTS = {
    "filters": ("filters", "type"),
    "rerankers": ("rerankers", "type"),
    "scorer.terms": ("terms", "name"),
    "scorer.factors": ("factors", "name"),
}


class Control(SpecModel):
    """One viewer-adjustable parameter of a spec (see the module docstring).

    >>> Control(name="interests", label="How much your interests count",
    ...         target="scorer.terms[interests].weight", default=2.0, min=0.0, max=4.0,
    ...         step=0.5).kind
    'number'
    """

    name: Annotated[str, Field(pattern=_NAME)]
    label: Annotated[str, Field(min_length=1, max_length=300)]
    target: Annotated[str, Field(min_length=1, max_length=300)]
    default: bool | float
    min: float | None = None
    max: float | None = None
    step: Annotated[float, Field(gt=0)] | None = None

    @property
    def kind(self) -> Literal["switch", "number"]:
        """``"switch"`` (on/off) or ``"number"``."""
        return "switch" if isinstance(self.default, bool) else "number"

    @model_validator(mode="after")
    def _well_formed(self) -> Control:
        if self.kind == "switch":
            if (self.min, self.max, self.step) != (None, None, None):
                raise ValueError(f"control {self.name!r}: a switch has no min, max or step")
            return self
        if self.min is None or self.max is None:
            raise ValueError(f"control {self.name!r}: a number needs min and max")
        if not self.min <= self.max:
            raise ValueError(f"control {self.name!r}: min {self.min} is above max {self.max}")
        return self

    def bounds_text(self) -> str:
        """The values the control accepts, in words."""
        if self.kind == "switch":
            return "on or off"
        step = "" if self.step is None else f" in steps of {_num(self.step)}"
        return f"a number from {_num(self.min)} to {_num(self.max)}{step}"

    def value(self, raw: Any, *, current: Any = None) -> Value:
        """``raw`` (a bool, a number, or text such as ``on``, ``off``, ``0.5``) as a
        value of this control, snapped to its step; InputError naming the
        control's target if it is not one. ``current``: the spec's value at the
        target (an int makes the value an int)."""
        if self.kind == "switch":
            if isinstance(raw, str) and raw.strip().lower() in _SWITCH:
                return _SWITCH[raw.strip().lower()]
            if isinstance(raw, bool):
                return raw
            raise self._refuse(raw)
        number = _number(raw)
        if number is None:
            raise self._refuse(raw)
        assert self.min is not None
        assert self.max is not None
        lo, hi = self.min, self.max
        if self.step is not None:
            k = (number - lo) / self.step
            near = round(k)
            if abs(k - near) > 1e-9 * max(1.0, abs(k)):
                raise self._refuse(raw, "is not on the control's steps")
            number = round(lo + near * self.step, 12)
        tolerance = 1e-12 * max(1.0, abs(lo), abs(hi))
        if not lo - tolerance <= number <= hi + tolerance:
            raise self._refuse(raw, "is out of bounds")
        number = min(max(number, lo), hi)
        if isinstance(current, int) and not isinstance(current, bool):
            if number != int(number):
                raise self._refuse(raw, "is not a whole number")
            return int(number)
        return float(number)

    def _refuse(self, raw: Any, why: str = "is not a value of this control") -> InputError:
        return InputError(
            f"{raw!r} for control {self.name!r} ({self.label}) {why}",
            field=self.target,
            expected=self.bounds_text(),
        )


_SWITCH = {"on": True, "off": False, "true": True, "false": False}


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def _num(x: float | None) -> str:
    return "?" if x is None else f"{x:g}"


class Alternative(SpecModel):
    """Another published spec on the menu: a ``preset`` by name, a spec ``file``
    (a path relative to where the spec is served from), and/or the
    ``fingerprint`` it must have (alone: looked up among the specs the ranker
    was given)."""

    name: Annotated[str, Field(pattern=_NAME)]
    label: Annotated[str, Field(min_length=1, max_length=300)]
    preset: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    file: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    fingerprint: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None

    @model_validator(mode="after")
    def _names_a_spec(self) -> Alternative:
        if self.preset is not None and self.file is not None:
            raise ValueError(f"alternative {self.name!r}: a preset or a file, not both")
        if self.preset is None and self.file is None and self.fingerprint is None:
            raise ValueError(f"alternative {self.name!r}: needs a preset, a file or a fingerprint")
        return self


CHRONOLOGICAL = Alternative(
    name="chronological",
    label="Newest first, the same for everyone: uses no personal data",
    preset="chronological",
)
"""The alternative every menu offers (EU DSA Art. 38: an option not based on profiling)."""


def menu_of(alternatives: Sequence[Alternative]) -> tuple[Alternative, ...]:
    """``alternatives`` with :data:`CHRONOLOGICAL` added when none is named so."""
    if any(a.name == CHRONOLOGICAL.name for a in alternatives):
        return tuple(alternatives)
    return (*alternatives, CHRONOLOGICAL)


@dataclass(frozen=True)
class Place:
    """Where a target is in a spec's data: entry ``index`` of ``section``, then ``keys``."""

    section: tuple[str, ...]
    index: int
    keys: tuple[str, ...]

    @property
    def whole(self) -> bool:
        """Whether the target is a whole part (a switch) rather than one value."""
        return not self.keys


def _section(data: Mapping[str, Any], section: tuple[str, ...]) -> list[Any]:
    items: Any = data
    for key in section:
        items = items.get(key, []) if isinstance(items, Mapping) else []
    return items if isinstance(items, list) else []


def find(data: Mapping[str, Any], target: str) -> Place:
    """The :class:`Place` of ``target`` in spec ``data`` (as from ``to_spec()``);
    ValueError saying why when it points at nothing."""
    match = _TARGET.match(target)
    if match is None:
        raise ValueError(
            f"target {target!r} is not a path such as scorer.terms[NAME].weight, "
            "scorer.factors[NAME], filters[TYPE].FIELD or rerankers[TYPE]"
        )
    where, selector, tail = match.groups()
    key, by = _PARTS[where]
    section = ("scorer", key) if where.startswith("scorer.") else (key,)
    items = _section(data, section)
    if selector.isdigit():
        index = int(selector)
        if index >= len(items):
            raise ValueError(f"target {target!r}: {where} has {len(items)} entries")
    else:
        hits = [i for i, item in enumerate(items) if item.get(by) == selector]
        if not hits:
            known = ", ".join(str(item.get(by)) for item in items) or "none"
            raise ValueError(f"target {target!r}: no {where} entry named {selector!r} ({known})")
        if len(hits) > 1:
            raise ValueError(f"target {target!r}: {len(hits)} {where} entries are {selector!r}")
        index = hits[0]
    keys = tuple(tail.split(".")[1:]) if tail else ()
    node: Any = items[index]
    for k in keys:
        if not isinstance(node, Mapping) or k not in node:
            raise ValueError(f"target {target!r}: there is no {k!r} there")
        node = node[k]
    if keys and (isinstance(node, bool) or not isinstance(node, (int, float))):
        raise ValueError(f"target {target!r} is {node!r}, not a number")
    return Place(section, index, keys)


def current(data: Mapping[str, Any], place: Place) -> Any:
    """The value at ``place`` (the whole part for a switch)."""
    node: Any = _section(data, place.section)[place.index]
    for k in place.keys:
        node = node[k]
    return node


def edit(
    data: Mapping[str, Any],
    place: Place | Sequence[tuple[Place, Value]],
    value: Value | None = None,
) -> dict[str, Any]:
    """A deep copy of spec ``data`` with the value at each place set (a switch
    set to False removes its part); one ``(place, value)`` or a sequence of pairs."""
    pairs = [(place, value)] if isinstance(place, Place) else list(place)
    out: dict[str, Any] = copy.deepcopy(dict(data))
    removals: dict[tuple[str, ...], set[int]] = {}
    for where, v in pairs:
        if where.whole:
            if v is False:
                removals.setdefault(where.section, set()).add(where.index)
            continue
        node: Any = _section(out, where.section)[where.index]
        for k in where.keys[:-1]:
            node = node[k]
        node[where.keys[-1]] = v
    for section, gone in removals.items():
        items = _section(out, section)
        items[:] = [item for i, item in enumerate(items) if i not in gone]
    return out


def _fail(path: str, message: str) -> PydanticCustomError:
    return PydanticCustomError("spec_path", "{message}", {"message": message, "path": path})


def check_menu(
    data: Mapping[str, Any],
    controls: Sequence[Control],
    alternatives: Sequence[Alternative],
    build: Callable[[dict[str, Any]], object],
) -> None:
    """Raise (a located error) unless every control points at a value of spec
    ``data`` whose default it is, within its bounds, and ``build`` (the spec's
    validation) accepts the spec at each bound and with each switch off; names
    of controls and alternatives are unique."""
    for what, names in (
        ("controls", [c.name for c in controls]),
        ("alternatives", [a.name for a in alternatives]),
    ):
        for i, name in enumerate(names):
            if name in names[:i]:
                raise _fail(f"{what}[{i}].name", f"{name!r} is given twice")
    for i, control in enumerate(controls):
        path = f"controls[{i}]"
        try:
            place = find(data, control.target)
        except ValueError as err:
            raise _fail(f"{path}.target", str(err)) from None
        if place.whole != (control.kind == "switch"):
            want = "a whole part (a switch)" if place.whole else "a number"
            raise _fail(f"{path}.default", f"the target is {want}; the default is not")
        if control.kind == "switch":
            if control.default is not True:
                raise _fail(f"{path}.default", "a switch is on in the published spec: true")
            trials: list[Value] = [False]
        else:
            value = current(data, place)
            try:
                control.value(control.default, current=value)
            except InputError as err:
                raise _fail(f"{path}.default", err.message) from None
            if control.default != value:
                raise _fail(
                    f"{path}.default", f"{control.default!r} is not the spec's value {value!r}"
                )
            assert control.min is not None
            assert control.max is not None
            trials = [control.value(x, current=value) for x in _ends(control)]
        for trial in trials:
            try:
                build(edit(data, place, trial))
            except ValueError as err:
                raise _fail(path, f"the spec is invalid at {trial!r}: {err}") from None


def _ends(control: Control) -> list[float]:
    """The smallest and largest value the control accepts."""
    assert control.min is not None
    assert control.max is not None
    lo, hi = control.min, control.max
    if control.step is not None:
        hi = lo + math.floor((hi - lo) / control.step + 1e-9) * control.step
    return [lo, round(hi, 12)]
