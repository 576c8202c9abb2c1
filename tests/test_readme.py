"""The README stays true: its quick start is what CI runs, and it lists every
built-in component and preset."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from feedrank.presets import PRESETS
from feedrank.stages.filters import FILTERS
from feedrank.stages.rerank import RERANKERS
from feedrank.stages.signals import SIGNALS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_has_two_commands_and_ci_runs_the_test_one() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.+?)\n```", quick, flags=re.S)
    assert len(commands) == 2
    assert commands[0].strip().endswith("feedrank demo")
    assert commands[1].strip() in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _built_in(cls: type) -> bool:
    # Tests and doctests register their own examples; only the library's count.
    module = sys.modules.get(cls.__module__)
    return cls.__module__.startswith("feedrank.") and getattr(module, cls.__name__, None) is cls


def test_every_registered_component_is_documented() -> None:
    for registry in (SIGNALS, FILTERS, RERANKERS):
        for tag, cls in registry.items():
            if _built_in(cls):
                assert f"`{tag}`" in README, f"README does not mention {registry.kind} `{tag}`"


def test_every_preset_is_documented() -> None:
    table = README.split("## Reference algorithms", 1)[1].split("\n## ", 1)[0]
    for name in PRESETS:
        family = re.sub(r"-(hour|week|month|year|all|estimated)$", "", name)
        assert f"`{name}`" in table or f"`{family}" in table, name
