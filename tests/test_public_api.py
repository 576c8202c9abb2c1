"""The curated public surface: sorted, complete, importable, documented."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import feedrank


def _ruff_order(name: str) -> tuple[int, str]:
    # isort-style, as ruff's RUF022 keeps it: CONSTANTS, Classes, functions.
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted_and_unique() -> None:
    assert feedrank.__all__ == sorted(feedrank.__all__, key=_ruff_order)
    assert len(set(feedrank.__all__)) == len(feedrank.__all__)


def test_every_name_in_all_exists_and_is_documented() -> None:
    for name in feedrank.__all__:
        obj = getattr(feedrank, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"feedrank.{name} has no docstring"


def test_public_classes_and_functions_of_core_modules_are_exported() -> None:
    core = [
        "batch.posts",
        "batch.context",
        "engine.cursor",
        "ranking.explain",
        "models",
        "spec.pipeline",
        "ranking.ranking",
        "stages.scoring",
        "spec.files",
        "errors",
    ]
    exported = set(feedrank.__all__)
    # XrpcError is the AT Protocol adapter's: feedrank.adapters.atproto exports it.
    internal_ok = {"ScoreTable", "Moves", "TermPart", "FactorPart", "SpecChange", "NEGATIVE_KINDS"}
    internal_ok.add("XrpcError")
    for mod_name in core:
        module = importlib.import_module(f"feedrank.{mod_name}")
        for name in getattr(module, "__all__", []):
            if name in internal_ok or name.startswith(("explain_", "compare_")):
                continue
            if name in {"final_order", "combine", "kind_index", "LoadReport"}:
                continue
            assert name in exported, f"feedrank.{mod_name}.{name} is not exported"


def test_every_module_declares_all() -> None:
    for info in pkgutil.walk_packages(feedrank.__path__, "feedrank."):
        module = importlib.import_module(info.name)
        if info.name.rsplit(".", 1)[1].startswith("_") and info.name != "feedrank.__main__":
            continue
        assert hasattr(module, "__all__"), f"{info.name} has no __all__"
        for name in module.__all__:
            assert hasattr(module, name), f"{info.name}.__all__ names missing {name}"
