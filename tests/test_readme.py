"""The README stays true: its quick start is what CI runs, and it lists every
built-in component and preset."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

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


def _formats_section() -> str:
    return README.split("## Ranking your own posts", 1)[1].split("\n## ", 1)[0]


def _example(marker: str) -> str:
    """The ```json block that follows the paragraph naming ``marker``."""
    section = _formats_section()
    after = section.split(marker, 1)[1]
    return re.findall(r"```json\n(.+?)\n```", after, flags=re.S)[0] + "\n"


def test_documented_input_formats_rank_as_described(tmp_path: Path) -> None:
    import json
    from io import StringIO

    from feedrank.cli.app import main
    from feedrank.io import read_authors, read_interactions, read_posts, read_viewer

    files = {
        "posts": _example("Posts are JSON Lines"),
        "viewer": _example("(`viewer.json`)"),
        "interactions": _example("(`interactions.jsonl`)"),
        "authors": _example("(`authors.jsonl`, `--authors`)"),
    }
    paths = {}
    for name, text in files.items():
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(text, encoding="utf-8")
    # Posts by the blocked author and by the author of the hidden post, to see
    # the viewer's settings at work.
    with paths["posts"].open("a", encoding="utf-8") as out:
        out.write('{"id": "p2", "author_id": "spam1", "created_at": "2026-01-01T11:00:00Z"}\n')
        out.write('{"id": "p3", "author_id": "carl", "created_at": "2026-01-01T11:30:00Z"}\n')

    viewer = read_viewer(paths["viewer"])
    assert viewer.follows == {"ann", "bob"}
    assert viewer.interests == {"jazz": 1.0, "chess": 0.5}
    kinds = [i.kind.value for i in read_interactions(paths["interactions"])]
    assert kinds == ["like", "hide", "view"]
    authors = read_authors(paths["authors"])
    assert [a.attributes for a in authors] == [{"group": "musicians"}, {}]
    assert [p.id for p in read_posts(paths["posts"])] == ["p1", "p2", "p3"]

    out = StringIO()
    argv = ["rank", "--spec", "balanced", "--now", "2026-01-01T12:00:00Z", "--format", "json"]
    for name in ("posts", "viewer", "interactions", "authors"):
        argv += [f"--{name}", str(paths[name])]
    assert main([*argv, "--removed", "all"], out=out) == 0
    answer = json.loads(out.getvalue())
    assert [item["post_id"] for item in answer["items"]] == ["p1"]
    removed = {r["post_id"]: r["reason"] for r in answer["removed"]}
    assert set(removed) == {"p2", "p3"}
    assert "block" in removed["p2"]
    assert removed["p3"] == "see_fewer:14d"


def test_documented_limits_of_the_input_formats_hold(tmp_path: Path) -> None:
    from feedrank.errors import InputError
    from feedrank.io import MAX_LINE_BYTES, read_authors

    assert "1 MiB" in _formats_section()
    assert MAX_LINE_BYTES == 1 << 20
    bad = tmp_path / "authors.jsonl"
    bad.write_text('{"id": "ann", "followers": 1, "followers": 2}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"authors\.jsonl:1, field 'followers': duplicate key"):
        read_authors(bad)
