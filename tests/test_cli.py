"""The feedrank command, run in-process and as a real subprocess."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import feedrank as fr
import feedrank.io as fio
from feedrank.cli.app import BROKEN_PIPE_STATUS, main
from feedrank.cli.request import read_follow_graph

T0 = datetime(2026, 5, 1, 12, tzinfo=timezone.utc)


def run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    code = main(argv, out=out)
    return code, out.getvalue()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    posts = [
        fr.Post(
            id=f"p{i}",
            author_id=f"a{i % 4}",
            created_at=T0 - timedelta(hours=i),
            counts={"like": 3 * i, "view": 50 + i},
            topics=("music",) if i % 2 else ("news",),
            text=f"post number {i}",
        )
        for i in range(12)
    ]
    authors = [fr.Author(id=f"a{i}", followers=10 * i) for i in range(4)]
    viewer = fr.Viewer(id="v", follows={"a1"}, seen={"p2"}, interests={"music": 1.0})
    interactions = [
        fr.Interaction(viewer_id="v", post_id="p5", kind="like", at=T0 - timedelta(hours=1))
    ]
    paths = {
        "posts": tmp_path / "posts.jsonl",
        "authors": tmp_path / "authors.jsonl",
        "viewer": tmp_path / "viewer.json",
        "interactions": tmp_path / "interactions.jsonl",
    }
    fio.write_jsonl(posts, paths["posts"])
    fio.write_jsonl(authors, paths["authors"])
    fio.write_jsonl(interactions, paths["interactions"])
    paths["viewer"].write_text(viewer.model_dump_json())
    return paths


def _rank_args(files: dict[str, Path], *extra: str) -> list[str]:
    return [
        "rank",
        "--spec",
        "balanced",
        "--posts",
        str(files["posts"]),
        "--authors",
        str(files["authors"]),
        "--viewer",
        str(files["viewer"]),
        "--interactions",
        str(files["interactions"]),
        "--now",
        "2026-05-01T12:00:00Z",
        *extra,
    ]


def test_rank_json_has_every_part_of_every_score(files: dict[str, Path]) -> None:
    code, out = run(_rank_args(files, "--format", "json", "--limit", "5", "--removed", "all"))
    assert code == 0
    doc = json.loads(out)
    assert doc["spec"]["fingerprint"] == fr.preset("balanced").fingerprint
    assert [item["rank"] for item in doc["items"]] == [1, 2, 3, 4, 5]
    for item in doc["items"]:
        factors = 1.0
        for value in item["factors"].values():
            factors *= value
        rebuilt = sum(item["contributions"].values()) * factors
        assert rebuilt == pytest.approx(item["score"], rel=1e-9, abs=1e-12)
        assert set(item["contributions"]) == set(doc["terms"])
    assert {"post_id": "p2", "reason": "seen"} in doc["removed"]
    assert doc["removed_counts"]["seen"] == sum(r["reason"] == "seen" for r in doc["removed"])


def test_rank_json_matches_the_library(files: dict[str, Path]) -> None:
    code, out = run(_rank_args(files, "--format", "json", "--limit", "50"))
    assert code == 0
    posts = fio.read_posts(files["posts"])
    batch = fr.PostBatch.from_posts(posts, fio.read_authors(files["authors"]))
    ctx = fr.Context.build(
        batch,
        now=T0,
        viewer=fio.read_viewer(files["viewer"]),
        interactions=fio.read_interactions(files["interactions"]),
    )
    expected = fr.preset("balanced").rank(batch, ctx, limit=50)
    assert [i["post_id"] for i in json.loads(out)["items"]] == expected.post_ids


def test_paging_with_the_printed_cursor_covers_the_feed_once(files: dict[str, Path]) -> None:
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(20):
        extra = ["--format", "json", "--limit", "3"]
        if cursor:
            extra += ["--cursor", cursor]
        code, out = run(_rank_args(files, *extra))
        assert code == 0
        doc = json.loads(out)
        seen += [i["post_id"] for i in doc["items"]]
        cursor = doc["next_cursor"]
        if cursor is None:
            break
    _, full = run(_rank_args(files, "--format", "json", "--limit", "100"))
    assert seen == [i["post_id"] for i in json.loads(full)["items"]]
    assert len(seen) == len(set(seen))


def test_rank_table_explains(files: dict[str, Path]) -> None:
    code, out = run(_rank_args(files, "--limit", "3", "--explain"))
    assert code == 0
    assert "fingerprint " + fr.preset("balanced").fingerprint in out
    assert "filtered out: 1 seen" in out
    assert "engagement" in out
    assert "next page: --cursor" in out


def test_bad_post_line_is_reported_with_line_and_field(files: dict[str, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    lines = files["posts"].read_text().splitlines()
    lines[3] = json.dumps({**json.loads(lines[3]), "created_at": "yesterday"})
    files["posts"].write_text("\n".join(lines) + "\n")
    code, _ = run(_rank_args(files))
    assert code == 2
    err = capsys.readouterr().err
    assert f"{files['posts']}:4" in err
    assert "post 'p3'" in err
    assert "field 'created_at'" in err
    assert "Traceback" not in err


def test_naive_now_and_missing_files_are_clear_errors(files: dict[str, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    args = _rank_args(files)
    args[args.index("--now") + 1] = "2026-05-01T12:00:00"
    assert run(args)[0] == 2
    assert "has no timezone" in capsys.readouterr().err
    args = _rank_args(files)
    args[args.index("--posts") + 1] = str(files["posts"].with_name("nope.jsonl"))
    assert run(args)[0] == 2
    assert "nope.jsonl" in capsys.readouterr().err


def test_spec_commands(tmp_path: Path) -> None:
    code, toml_text = run(["spec", "show", "balanced"])
    assert code == 0
    path = tmp_path / "mine.toml"
    path.write_text(toml_text)
    code, out = run(["spec", "validate", str(path)])
    assert code == 0
    assert fr.preset("balanced").fingerprint in out
    code, out = run(["spec", "show", "balanced", "--format", "canonical"])
    assert out.strip() == fr.dump_spec(fr.preset("balanced"), "canonical")
    code, out = run(["spec", "schema"])
    assert json.loads(out)["title"] == "feedrank ranking spec"
    code, out = run(["presets"])
    assert "chronological" in out
    assert "balanced" in out


def test_demo_shows_explained_feeds() -> None:
    code, out = run(["demo", "--viewers", "2", "--limit", "3"])
    assert code == 0
    assert out.count("── feed of") == 2
    assert "fingerprint " + fr.preset("balanced").fingerprint in out
    assert "+ engagement" in out  # each post's terms are listed under it
    code2, out2 = run(["demo", "--viewers", "2", "--limit", "3"])
    assert code2 == 0
    assert out2 == out  # seeded: the same network and the same feeds


@pytest.mark.parametrize("module", ["feedrank", "feedrank.cli.app"])
def test_console_script_runs_as_a_subprocess(files: dict[str, Path], module: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-m", module, *_rank_args(files, "--format", "json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no warning, e.g. runpy's about a module imported twice
    assert json.loads(proc.stdout)["items"]


def _explain_args(files: dict[str, Path], *extra: str) -> list[str]:
    args = _rank_args(files, *extra)
    args[0] = "explain"
    return args


def test_explain_command_shows_parts_comparison_ablation_and_counterfactuals(
    files: dict[str, Path],
) -> None:
    _, full = run(_rank_args(files, "--format", "json", "--limit", "100"))
    order = [i["post_id"] for i in json.loads(full)["items"]]
    first, fourth = order[0], order[3]
    code, out = run(
        _explain_args(files, "--post", fourth, "--compare", first, "--ablation", "--top-k", "2")
    )
    assert code == 0
    assert out.startswith(f"#4 {fourth}")
    assert f"{fourth} (" in out
    assert "smallest weight change that reorders" in out
    assert "rank without each term:" in out
    assert "smallest change of one input that reaches the top 2:" in out
    code, out = run(_explain_args(files, "--post", fourth, "--format", "json", "--top-k", "1"))
    doc = json.loads(out)
    assert doc["explanation"]["rank"] == 4
    assert doc["input_to_top_k"]
    code, out = run(_explain_args(files, "--post", "p2", "--format", "markdown"))
    assert "Removed by a filter: `seen`" in out


def test_network_and_follow_graph_give_out_of_network_posts_social_proof(tmp_path: Path) -> None:
    posts = [
        fr.Post(id="inn", author_id="friend", created_at=T0 - timedelta(hours=1)),
        fr.Post(id="vouched", author_id="stranger", created_at=T0 - timedelta(hours=1)),
        fr.Post(id="unknown", author_id="other", created_at=T0 - timedelta(hours=1)),
        fr.Post(id="followed-by-friend", author_id="star", created_at=T0 - timedelta(hours=1)),
    ]
    fio.write_jsonl(posts, tmp_path / "p.jsonl")
    (tmp_path / "v.json").write_text(fr.Viewer(id="me", follows={"friend"}).model_dump_json())
    like = fr.Interaction(
        viewer_id="friend", post_id="vouched", kind="like", at=T0 - timedelta(minutes=5)
    )
    fio.write_jsonl([like], tmp_path / "net.jsonl")
    (tmp_path / "graph.json").write_text(json.dumps({"friend": ["star"]}))
    base = ["rank", "--spec", "x-for-you-2023", "--posts", str(tmp_path / "p.jsonl"),
            "--viewer", str(tmp_path / "v.json"), "--now", "2026-05-01T12:00:00Z",
            "--format", "json", "--removed", "all"]  # fmt: skip
    code, out = run(base)
    assert code == 0
    assert {r["post_id"] for r in json.loads(out)["removed"]} == {
        "vouched",
        "unknown",
        "followed-by-friend",
    }
    social = ["--network", str(tmp_path / "net.jsonl")]
    social += ["--follow-graph", str(tmp_path / "graph.json")]
    code, out = run([*base, *social])
    doc = json.loads(out)
    assert code == 0
    assert {i["post_id"] for i in doc["items"]} == {"inn", "vouched", "followed-by-friend"}
    assert doc["removed"] == [{"post_id": "unknown", "reason": "no_social_proof"}]
    (tmp_path / "bad.json").write_text("[1, 2]")
    assert run([*base, "--follow-graph", str(tmp_path / "bad.json")])[0] == 2


def test_a_follow_graph_with_an_account_twice_is_refused_at_its_line(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = tmp_path / "graph.json"
    graph.write_text('{\n "a1": ["a2"],\n "a1": []\n}\n', encoding="utf-8")
    argv = ["rank", "--spec", "balanced", "--posts", str(files["posts"]),
            "--now", "2026-05-01T12:00:00Z", "--follow-graph", str(graph)]  # fmt: skip
    assert run(argv)[0] == 2
    assert f"feedrank: error: {graph}:3, field 'a1': duplicate key 'a1'" in capsys.readouterr().err
    graph.write_text('{"a1": ["a2"]}', encoding="utf-8")
    assert run(argv)[0] == 0
    with pytest.raises(fr.InputError, match="larger than the maximum of 5 bytes"):
        read_follow_graph(graph, max_bytes=5)


def test_rank_answers_are_proportional_to_the_page(tmp_path: Path) -> None:
    """Over many candidates a short page lists its posts, and counts (not lists)
    every removal and move by reason; --removed all / --moves all list them."""
    t = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    posts = [
        fr.Post(
            id=f"p{i}",
            author_id=f"a{i % 7}",
            created_at=t - timedelta(hours=i % 100),
            counts={"like": i % 13},
        )
        for i in range(2000)
    ]
    fio.write_jsonl(posts, tmp_path / "p.jsonl")
    base = ["rank", "--spec", "balanced", "--posts", str(tmp_path / "p.jsonl")]
    base += ["--now", t.isoformat(), "--format", "json", "--limit", "5"]
    code, out = run(base)
    assert code == 0
    doc = json.loads(out)
    assert len(doc["items"]) == 5
    assert "removed" not in doc
    assert "moves" not in doc
    older = sum(1 for i in range(2000) if i % 100 > 72)
    assert doc["removed_counts"] == {"older_than:72h": older}
    assert doc["candidates"] == 2000
    moved = doc["move_counts"]["author_diversity"]
    assert sum(moved.values()) > 0
    assert len(out) < 20_000
    code, full = run([*base, "--removed", "all", "--moves", "all"])
    every = json.loads(full)
    assert len(every["removed"]) == older
    assert sum(1 for m in every["moves"] if m["stage"] == "author_diversity") == sum(moved.values())
    for item in doc["items"]:
        mine = [m for m in every["moves"] if m["post_id"] == item["post_id"]]
        assert item["moves"] == mine


COMMAND = "import sys; from feedrank.cli import main; sys.exit(main())"


@pytest.mark.parametrize("argv", [["demo"], ["spec", "schema"]], ids=["demo", "schema"])
def test_output_to_a_closed_pipe_ends_quietly_with_the_sigpipe_status(argv: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte is written
    try:
        proc = subprocess.run(
            [sys.executable, "-c", COMMAND, *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (proc.returncode, proc.stderr) == (BROKEN_PIPE_STATUS, "")
    assert BROKEN_PIPE_STATUS == 141


def test_a_reader_that_stops_after_three_lines_ends_the_command_quietly(tmp_path: Path) -> None:
    # `feedrank rank ... | head -3`, with more output than a pipe holds.
    posts = [
        fr.Post(id=f"p{i}", author_id=f"a{i % 50}", created_at=T0 - timedelta(minutes=i))
        for i in range(2000)
    ]
    fio.write_jsonl(posts, tmp_path / "posts.jsonl")
    argv = ["rank", "--spec", "chronological", "--posts", str(tmp_path / "posts.jsonl"),
            "--now", "2026-05-01T12:00:00Z", "--limit", "2000", "--format", "json"]  # fmt: skip
    with subprocess.Popen(
        [sys.executable, "-c", COMMAND, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        head = [proc.stdout.readline() for _ in range(3)]
        proc.stdout.close()
        status = proc.wait()
        error = proc.stderr.read()
    assert head[0] == "{\n"
    assert (status, error) == (BROKEN_PIPE_STATUS, "")


def test_explain_markdown_is_markdown_throughout(files: dict[str, Path]) -> None:
    """Every part renders as a CommonMark heading and table, with the JSON's numbers."""
    from markdown_it import MarkdownIt

    _, full = run(_rank_args(files, "--format", "json", "--limit", "100"))
    order = [i["post_id"] for i in json.loads(full)["items"]]
    first, fourth = order[0], order[3]
    extra = ("--post", fourth, "--compare", first, "--ablation", "--top-k", "2")
    code, text = run(_explain_args(files, *extra, "--format", "markdown"))
    assert code == 0
    _, doc = run(_explain_args(files, *extra, "--format", "json"))
    report = json.loads(doc)
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == [
        f"`{fourth}` — rank 4, score {report['explanation']['score']:.6g}",
        f"Compared with `{first}`",
        f"Smallest weight change that reorders `{fourth}` and `{first}`",
        "Rank without each term (now 4)",
        "Smallest change of one input that reaches the top 2",
    ]
    tables: list[list[list[str]]] = []
    for i, t in enumerate(tokens):
        if t.type == "table_open":
            tables.append([])
        elif t.type == "tr_open":
            tables[-1].append([])
        elif t.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            tables[-1][-1].append(t.content)
    assert len(tables) == 5
    # No line of plain text outside the headings, tables and their one-line lead-ins.
    paragraphs = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "paragraph_open"]
    assert all(not p.startswith(" ") and "\n" not in p for p in paragraphs), paragraphs
    without = {row[0]: int(row[1]) for row in tables[3][1:]}
    assert without == report["without_term"]
    swaps = [row[0] for row in tables[2][1:]]
    assert swaps == [c["term"] for c in report["weight_to_swap"]]
    terms = [row[0] for row in tables[0][1:] if not row[0].startswith("×")]
    assert terms == [t["name"] for t in report["explanation"]["terms"]]
