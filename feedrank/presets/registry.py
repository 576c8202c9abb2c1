"""The preset registry: named, built-in ranking algorithms, each an ordinary spec."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from feedrank.errors import SpecError
from feedrank.spec.files import load_spec
from feedrank.spec.pipeline import Pipeline

__all__ = ["PRESETS", "Presets", "preset", "register_preset", "spec_or_preset"]

Factory = Callable[[], Pipeline]


class Presets(Mapping[str, Factory]):
    """Preset name -> function building its :class:`Pipeline`.

    The built-in presets' modules are imported when a preset is first named or
    the presets are listed, so importing feedrank stays cheap.
    """

    def __init__(self) -> None:
        self._factories: dict[str, Factory] = {}
        self._lazy: dict[str, str] = {}

    def declare(self, modules: Mapping[str, str]) -> None:
        """Presets registered by modules imported on first use: ``name -> module``."""
        self._lazy.update(modules)

    def add(self, name: str, factory: Factory) -> None:
        """Register ``factory`` under ``name``; SpecError if the name is taken."""
        known = self._factories.get(name)
        if known is not None or (name in self._lazy and factory.__module__ != self._lazy[name]):
            raise SpecError(f"preset {name!r} is already registered", field="preset")
        self._factories[name] = factory

    def __getitem__(self, name: str) -> Factory:
        factory = self._factories.get(name)
        if factory is None and name in self._lazy:
            importlib.import_module(self._lazy[name])
            factory = self._factories.get(name)
        if factory is None:
            raise KeyError(name)
        return factory

    def __contains__(self, name: object) -> bool:
        return name in self._factories or name in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(set(self._factories) | set(self._lazy)))

    def __len__(self) -> int:
        return len(set(self._factories) | set(self._lazy))


PRESETS = Presets()
"""Every preset by name (see :class:`Presets`)."""


def register_preset(name: str) -> Callable[[Factory], Factory]:
    """Decorator adding a preset under ``name``."""

    def add(factory: Factory) -> Factory:
        PRESETS.add(name, factory)
        return factory

    return add


def preset(name: str) -> Pipeline:
    """The pipeline of preset ``name``; SpecError lists the known names otherwise."""
    try:
        return PRESETS[name]()
    except KeyError:
        raise SpecError(
            f"unknown preset {name!r}",
            field="spec",
            expected="one of " + ", ".join(sorted(PRESETS)),
        ) from None


def spec_or_preset(value: str | Path | Pipeline) -> Pipeline:
    """What a command line's ``--spec VALUE`` names: a preset by its name, or a
    ``.toml``/``.json`` file by its path.

    A name that is both a preset and an existing file is refused rather than
    one silently shadowing the other (write ``./NAME`` for the file).
    """
    if isinstance(value, Pipeline):
        return value
    text = str(value)
    if isinstance(value, str) and text in PRESETS:
        if Path(text).exists():
            raise SpecError(
                f"{text!r} is both a preset and a file here",
                field="spec",
                expected=f"the preset's name, or ./{text} for the file",
            )
        return preset(text)
    path = Path(value)
    if not path.is_file():
        raise SpecError(
            f"no spec file or preset named {text!r}",
            field="spec",
            expected="a .toml or .json file, or a preset: " + ", ".join(sorted(PRESETS)),
        )
    return load_spec(path)
