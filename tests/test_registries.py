"""The registries name every built-in type, load its module on first use, and
keep third-party names from clashing with built-in ones."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from typing import Literal

import pytest

import feedrank as fr
import feedrank.stages.filters as filters
import feedrank.stages.rerank as rerank
import feedrank.stages.signals as signals
from feedrank.presets import PRESETS

PACKAGES = [(signals, signals.SIGNALS), (filters, filters.FILTERS), (rerank, rerank.RERANKERS)]


@pytest.mark.parametrize(("package", "registry"), PACKAGES)
def test_declared_types_and_classes_match_their_modules(package: object, registry: object) -> None:
    name = package.__name__  # type: ignore[attr-defined]
    for info in pkgutil.iter_modules(package.__path__):  # type: ignore[attr-defined]
        importlib.import_module(f"{name}.{info.name}")
    built_in = {
        tag: cls.__module__
        for tag, cls in registry.items()  # type: ignore[attr-defined]
        if cls.__module__.startswith(name + ".")
    }
    declared = {tag: f"{name}.{module}" for tag, module in package._TYPES.items()}  # type: ignore[attr-defined]
    assert declared == built_in
    for cls_name, module in package._CLASSES.items():  # type: ignore[attr-defined]
        cls = getattr(importlib.import_module(f"{name}.{module}"), cls_name)
        assert getattr(package, cls_name) is cls
        assert cls.__module__ == f"{name}.{module}"


def test_presets_are_declared_where_they_are_registered() -> None:
    declared = dict(PRESETS._lazy)
    assert set(declared) == set(PRESETS)
    for name in PRESETS:
        assert PRESETS[name].__module__ == declared[name], name
        assert isinstance(PRESETS[name](), fr.Pipeline)


def test_naming_a_type_imports_its_module_only_then() -> None:
    code = (
        "import sys, feedrank as fr\n"
        "assert 'feedrank.stages.signals.votes' not in sys.modules\n"
        "assert 'feedrank.presets.reddit' not in sys.modules\n"
        "fr.load_spec({'name': 'x', 'scorer': {'terms': [{'name': 'p', 'weight': 1.0,"
        " 'signal': {'type': 'points'}}]}})\n"
        "assert 'feedrank.stages.signals.votes' in sys.modules\n"
        "fr.preset('reddit-hot')\n"
        "assert 'feedrank.presets.reddit' in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_a_third_party_type_cannot_take_a_built_in_name() -> None:
    with pytest.raises(fr.RegistryError, match="already registered"):

        @fr.register_signal
        class Impostor(fr.Signal):
            type: Literal["points"] = "points"

    with pytest.raises(fr.SpecError, match="already registered"):
        fr.presets.register_preset("balanced")(lambda: fr.preset("chronological"))
