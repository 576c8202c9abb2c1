"""The preset registry: named, built-in ranking algorithms, each an ordinary spec."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from feedrank.errors import SpecError
from feedrank.spec.files import load_spec
from feedrank.spec.pipeline import Pipeline

__all__ = ["PRESETS", "preset", "register_preset", "spec_or_preset"]

PRESETS: dict[str, Callable[[], Pipeline]] = {}
"""Preset name -> function building its :class:`Pipeline`."""


def register_preset(name: str) -> Callable[[Callable[[], Pipeline]], Callable[[], Pipeline]]:
    """Decorator adding a preset under ``name``."""

    def add(factory: Callable[[], Pipeline]) -> Callable[[], Pipeline]:
        if name in PRESETS:
            raise SpecError(f"preset {name!r} is already registered", field="preset")
        PRESETS[name] = factory
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
