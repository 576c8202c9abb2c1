"""``feedrank coordination detect`` and ``feedrank rank --coordination``, in-process
and as a real subprocess."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

import feedrank.io as fio
from feedrank.cli.app import main
from feedrank.datasets import SimulatedNetwork, simulate
from feedrank.datasets.campaigns import Campaigns


@cache
def network() -> SimulatedNetwork:
    return simulate(rng=1, n_users=120, n_posts=500, campaigns=Campaigns(n_campaigns=1))


def run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return main(argv, out=out), out.getvalue()


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "interactions.jsonl"
    fio.write_jsonl(network().interactions, path)
    return path


def test_detect_json_gives_groups_with_accounts_posts_and_evidence(log: Path) -> None:
    code, text = run(["coordination", "detect", "--interactions", str(log), "--format", "json"])
    assert code == 0
    data = json.loads(text)
    truth = network().campaigns
    assert truth is not None
    groups = {tuple(g["accounts"]): g for g in data["groups"]}
    assert set(groups) == {truth.members[0], truth.brigade}
    boost = groups[truth.members[0]]
    assert set(boost["posts"]) & set(truth.targets[0])
    ev = boost["evidence"]
    assert ev["coactions"] > ev["expected"] > 0
    assert {w["action"] for w in ev["windows"]} == {"boost"}
    assert all(w["minutes"] <= 10 for w in ev["windows"] if w["post"] in truth.targets[0])


def test_table_output_and_options(log: Path) -> None:
    code, text = run(["coordination", "detect", "--interactions", str(log)])
    assert code == 0
    assert "2 coordinated groups" in text
    assert "negative report" in text
    code, text = run(["coordination", "detect", "--interactions", str(log), "--min-group", "11"])
    assert code == 0
    assert "0 coordinated groups" in text


def test_a_saved_detection_feeds_the_coordination_aware_ranking(log: Path, tmp_path: Path) -> None:
    fit = tmp_path / "fit.json"
    posts = tmp_path / "posts.jsonl"
    fio.write_jsonl(network().posts, posts)
    code, _ = run(["coordination", "detect", "--interactions", str(log), "--output", str(fit)])
    assert code == 0
    assert fit.exists()
    now = network().now.isoformat()
    base = ["rank", "--spec", "balanced-coordination-aware", "--posts", str(posts), "--now", now]
    code, text = run([*base, "--coordination", str(fit), "--limit", "100", "--explain"])
    assert code == 0
    assert "counted once" in text
    code, text = run(base)
    assert code == 2


def test_bad_input_is_one_line_naming_the_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"viewer_id": "u", "post_id": "p", "kind": "cheer", "at": "2026-01-01T00:00:00Z"}\n'
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "feedrank.cli.app",
            "coordination",
            "detect",
            "--interactions",
            str(bad),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("feedrank: error:")
    assert f"{bad}:1" in last
    assert "'kind'" in last
    assert "Traceback" not in proc.stderr
