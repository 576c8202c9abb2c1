"""The curated public surface: small, sorted, complete, importable, documented."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import feedrank


def _ruff_order(name: str) -> tuple[int, str]:
    # isort-style, as ruff's RUF022 keeps it: CONSTANTS, Classes, functions.
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def _modules() -> list[ModuleType]:
    found = [feedrank]
    for info in pkgutil.walk_packages(feedrank.__path__, "feedrank."):
        found.append(importlib.import_module(info.name))
    return found


def test_the_package_surface_fits_on_a_screen() -> None:
    assert len(feedrank.__all__) <= 40
    assert feedrank.__all__ == sorted(feedrank.__all__, key=_ruff_order)
    assert len(set(feedrank.__all__)) == len(feedrank.__all__)


def test_all_is_exactly_the_package_public_names() -> None:
    public = {
        name
        for name, value in vars(feedrank).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert set(feedrank.__all__) == public | {"__version__"}


def test_every_name_in_all_exists_and_is_documented() -> None:
    for name in feedrank.__all__:
        obj = getattr(feedrank, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"feedrank.{name} has no docstring"


def test_every_module_declares_a_sorted_complete_all() -> None:
    """Every class and function a module defines without a leading underscore is
    in its ``__all__``, and everything in ``__all__`` exists."""
    for module in _modules():
        name = module.__name__
        assert hasattr(module, "__all__"), f"{name} has no __all__"
        exported = list(module.__all__)
        assert exported == sorted(exported, key=_ruff_order), f"{name}.__all__ is not sorted"
        for item in exported:
            assert hasattr(module, item), f"{name}.__all__ names missing {item}"
        for item, value in vars(module).items():
            if item.startswith("_") or not (inspect.isclass(value) or inspect.isfunction(value)):
                continue
            if getattr(value, "__module__", None) == name:
                assert item in exported, f"{name}.{item} is public but not in __all__"
