"""The examples run and say what they claim."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import feedrank as fr

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(name: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_example_spec_validates_and_round_trips() -> None:
    pipe = fr.load_spec(EXAMPLES / "my_feed.toml")
    assert fr.load_spec(fr.dump_spec(pipe), format="toml").fingerprint == pipe.fingerprint


def test_rank_from_python_explains_and_removes_old_posts() -> None:
    out = _run("rank_from_python.py")
    assert "removed: {'old-news': 'older_than:48h'}" in out
    assert out.index("#1 match-report") < out.index("#2 jazz-review")


def test_custom_signal_ranks_the_sourced_post_first() -> None:
    assert "['sourced', 'opinion']" in _run("custom_signal.py")
