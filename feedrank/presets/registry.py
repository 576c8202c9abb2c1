"""The preset registry: named, built-in ranking algorithms, each an ordinary spec."""

from __future__ import annotations

from collections.abc import Callable

from feedrank.errors import SpecError
from feedrank.spec.pipeline import Pipeline

__all__ = ["PRESETS", "preset", "register_preset"]

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
