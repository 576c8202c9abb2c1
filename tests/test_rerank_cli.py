"""The diversity and fairness re-rankers from a TOML spec through `feedrank rank`:
the served order is the library's, and every move's reason is in the JSON."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

import feedrank as fr
import feedrank.io as fio
from feedrank.cli.app import main

T0 = datetime(2026, 5, 1, 12, tzinfo=timezone.utc)

SPEC = """
name = "diverse-and-fair"
version = "1"
description = "Likes, then calibrated to the viewer, fair to group b, diverse by DPP and MMR."
limit = 40

[[scorer.terms]]
name = "likes"
signal = { type = "interactions", weights = { like = 1.0 }, transform = "log1p" }
weight = 1.0

[[rerankers]]
type = "calibrated"
lam = 0.5
k = 30

[[rerankers]]
type = "fair_topk"
attribute = "group"
value = "b"
p = 0.5
alpha = 0.1
k = 20

[[rerankers]]
type = "dpp"
theta = 0.65
similarity = "embedding"
k = 20
window = 8

[[rerankers]]
type = "mmr"
lam = 0.6
similarity = "topics"
k = 10
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(16)
    topics = ["art", "jazz", "news", "sport"]
    posts = [
        fr.Post(
            id=f"p{i}",
            author_id=f"a{i % 10}",
            created_at=T0 - timedelta(minutes=7 * i),
            counts={"like": int(rng.integers(0, 200)), "view": 1000},
            topics=tuple(t for t in topics if rng.random() < 0.4),
            embedding=tuple(float(x) for x in rng.normal(size=5)),
        )
        for i in range(40)
    ]
    authors = [
        fr.Author(id=f"a{i}", attributes={"group": "b" if i >= 8 else "a"}) for i in range(10)
    ]
    viewer = fr.Viewer(id="v", interests={"jazz": 2.0, "art": 1.0})
    paths = {
        "spec": tmp_path / "my.toml",
        "posts": tmp_path / "posts.jsonl",
        "authors": tmp_path / "authors.jsonl",
        "viewer": tmp_path / "viewer.json",
    }
    paths["spec"].write_text(SPEC)
    fio.write_jsonl(posts, paths["posts"])
    fio.write_jsonl(authors, paths["authors"])
    paths["viewer"].write_text(viewer.model_dump_json())
    return paths


def args(files: dict[str, Path]) -> list[str]:
    return [
        "rank",
        "--spec",
        str(files["spec"]),
        "--posts",
        str(files["posts"]),
        "--authors",
        str(files["authors"]),
        "--viewer",
        str(files["viewer"]),
        "--now",
        "2026-05-01T12:00:00Z",
        "--format",
        "json",
        "--moves",
        "all",
    ]


def test_rank_with_a_toml_spec_serves_the_library_order_and_every_reason(
    files: dict[str, Path],
) -> None:
    out = io.StringIO()
    assert main(args(files), out=out) == 0
    doc = json.loads(out.getvalue())
    pipe = fr.load_spec(files["spec"])
    assert [r.type for r in pipe.rerankers] == ["calibrated", "fair_topk", "dpp", "mmr"]
    assert doc["spec"]["fingerprint"] == pipe.fingerprint
    batch = fr.PostBatch.from_posts(
        fio.read_posts(files["posts"]), fio.read_authors(files["authors"])
    )
    viewer = fr.Viewer.model_validate_json(files["viewer"].read_text())
    ranking = pipe.rank(batch, fr.Context.build(batch, now=T0, viewer=viewer))
    assert [item["post_id"] for item in doc["items"]] == list(ranking.post_ids)
    stages = {m["stage"] for m in doc["moves"]}
    assert stages == {"calibrated", "fair_topk", "dpp", "mmr"}
    own = [m for m in doc["moves"] if not m["reason"].startswith("shifted_by:")]
    assert {m["stage"] for m in own} == stages
    for move in own:
        assert move["reason"].startswith(
            f"placed at {move['after'] + 1} instead of {move['before'] + 1}"
        )
    # The items carry their own moves, with the same reasons.
    served = {item["post_id"]: item for item in doc["items"]}
    for move in doc["moves"]:
        if move["post_id"] in served:
            reasons = [m["reason"] for m in served[move["post_id"]]["moves"]]
            assert move["reason"] in reasons


def test_the_command_runs_as_a_subprocess(files: dict[str, Path]) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(fr.__file__).parent.parent)}
    done = subprocess.run(
        [sys.executable, "-m", "feedrank.cli.app", *args(files)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert any(m["stage"] == "dpp" for m in doc["moves"])


def test_a_bad_parameter_in_the_spec_names_it(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    files["spec"].write_text(SPEC.replace("theta = 0.65", "theta = 1.5"))
    code = main(args(files), out=io.StringIO())
    assert code != 0
    assert "theta" in capsys.readouterr().err


def test_the_readme_example_spec_loads_and_ranks(files: dict[str, Path], tmp_path: Path) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    blocks = readme.split("```toml\n")[1:]
    text = next(b.split("```")[0] for b in blocks if 'name = "diverse-and-fair"' in b)
    path = tmp_path / "readme.toml"
    path.write_text(text)
    pipe = fr.load_spec(path)
    assert [r.type for r in pipe.rerankers] == ["calibrated", "fair_topk", "dpp"]
    spec_args = args(files)
    spec_args[spec_args.index("--spec") + 1] = str(path)
    out = io.StringIO()
    assert main(spec_args, out=out) == 0
    assert json.loads(out.getvalue())["spec"]["fingerprint"] == pipe.fingerprint


def test_the_table_summarises_many_reasons_per_stage(files: dict[str, Path]) -> None:
    table = [*args(files)[:-4], "--limit", "5"]  # no --format json --moves all
    out = io.StringIO()
    assert main(table, out=out) == 0
    moved = next(line for line in out.getvalue().splitlines() if line.startswith("moved: "))
    assert "other reasons (--moves all lists them)" in moved
    for stage in moved[len("moved: ") :].split("; "):
        assert stage.count(" placed at ") + stage.count(" shifted_by:") <= 3
