"""The ``feedrank eval`` command, through a parser built the way ``feedrank.cli.app``
builds its own (``add_eval_command(subparsers)``, then ``args.run(args, out)``)."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from feedrank.cli.eval import DEFAULT_MEASURES, add_eval_command
from feedrank.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "trec_eval_tests"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="feedrank")
    sub = parser.add_subparsers(dest="command", required=True)
    add_eval_command(sub)
    return parser


def _eval(*argv: str) -> tuple[int, str]:
    args = _parser().parse_args(["eval", *argv])
    out = io.StringIO()
    status = args.run(args, out)
    return status, out.getvalue()


def _normalised(text: str, names: set[str] | None = None) -> list[str]:
    lines = []
    for line in text.splitlines():
        name, qid, value = (part.strip() for part in line.split("\t"))
        if names is None or name in names:
            lines.append(f"{name}\t{qid}\t{value}")
    return lines


def _measures(expected: str) -> list[str]:
    """The measures of an expected file that feedrank offers, in trec_eval's order."""
    from feedrank.evaluate.measures import parse_measure

    names = []
    for line in (DATA / expected).read_text().splitlines():
        name, qid, _ = (part.strip() for part in line.split("\t"))
        if qid != "all":
            continue
        try:
            parse_measure(name)
        except InputError:
            continue
        names.append(name)
    return names


@pytest.mark.parametrize(
    ("expected", "argv"),
    [
        ("out.test.aq", ["--qrels", "qrels.test", "--run", "results.test", "-q"]),
        ("out.test.aqc", ["--qrels", "qrels.test", "--run", "results.trunc", "-q", "-c"]),
        (
            "out.test.aqcM",
            ["--qrels", "qrels.test", "--run", "results.trunc", "-q", "-c", "-M", "100"],
        ),
        ("out.test.aql", ["--qrels", "qrels.rel_level", "--run", "results.test", "-q", "-l", "2"]),
    ],
)
def test_prints_trec_eval_lines(expected: str, argv: list[str]) -> None:
    names = _measures(expected)
    paths = [str(DATA / a) if a.startswith(("qrels", "results")) else a for a in argv]
    half = len(names) // 2  # -m may repeat
    status, text = _eval(*paths, "-m", ",".join(names[:half]), "-m", ",".join(names[half:]))
    assert status == 0
    assert _normalised(text) == _normalised((DATA / expected).read_text(), set(names))


def test_default_measures_are_trec_eval_defaults() -> None:
    status, text = _eval("--qrels", str(DATA / "qrels.test"), "--run", str(DATA / "results.test"))
    assert status == 0
    names = set(DEFAULT_MEASURES.split(","))
    assert _normalised(text) == _normalised((DATA / "out.test").read_text(), names)
    assert len(text.splitlines()) == len(names)


def test_feedrank_names_and_json() -> None:
    status, text = _eval(
        "--qrels",
        str(DATA / "qrels.test"),
        "--run",
        str(DATA / "results.test"),
        "-m",
        "map,P@10,ndcg@10,mrr",
        "-q",
        "--format",
        "json",
    )
    assert status == 0
    data = json.loads(text)
    assert {k: round(v, 4) for k, v in data["all"].items()} == {
        "map": 0.1785,
        "P@10": 0.3,
        "ndcg@10": 0.3016,
        "mrr": 0.4064,
    }
    assert sorted(data["per_query"]) == ["301", "302", "303"]
    assert data["options"] == {
        "ties": "trec_eval",
        "queries": "intersection",
        "relevance_threshold": 1,
        "no_relevant": "zero",
        "depth": None,
    }


def test_options_reach_evaluate(tmp_path: Path) -> None:
    (tmp_path / "qrels").write_text("q1 0 a 1\nq2 0 b 0\n")
    (tmp_path / "run").write_text("q1 Q0 a 1 1.0 t\nq1 Q0 b 2 1.0 t\nq2 Q0 b 1 1 t\n")
    common = ["--qrels", str(tmp_path / "qrels"), "--run", str(tmp_path / "run"), "-m", "map"]
    assert _eval(*common)[1] == "map                   \tall\t0.2500\n"
    assert _eval(*common, "--ties", "stable")[1].endswith("\t0.5000\n")
    assert _eval(*common, "--no-relevant", "one")[1].endswith("\t0.7500\n")
    assert _eval(*common, "--no-relevant", "drop")[1].endswith("\t0.5000\n")


def test_bad_input_raises_input_error_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "run").write_text("q1 Q0 a 1 1.0 t\nq1 Q0 b 2 x t\n")
    with pytest.raises(InputError) as info:
        _eval("--qrels", str(DATA / "qrels.test"), "--run", str(tmp_path / "run"))
    assert str(info.value).startswith(f"{tmp_path / 'run'}:2")
    with pytest.raises(InputError, match="unknown measure 'bpref'"):
        _eval(
            "--qrels", str(DATA / "qrels.test"), "--run", str(DATA / "results.test"), "-m", "bpref"
        )


def test_bad_option_values_are_usage_errors() -> None:
    for argv in (["-M", "0"], ["-l", "-1"], ["--ties", "random"]):
        with pytest.raises(SystemExit):
            _parser().parse_args(["eval", "--qrels", "q", "--run", "r", *argv])


def test_through_feedrank_main(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``feedrank eval`` through ``feedrank.cli.app.main`` (registered here if the
    package's parser does not register it yet): output, and exit 2 on errors."""
    from feedrank.cli import app as cli

    build = cli.build_parser

    def with_eval() -> argparse.ArgumentParser:
        parser = build()
        action = parser._subparsers._group_actions[0]  # type: ignore[union-attr]
        if "eval" not in action.choices:  # type: ignore[operator]
            add_eval_command(action)
        return parser

    monkeypatch.setattr(cli, "build_parser", with_eval)
    out = io.StringIO()
    argv = ["eval", "--qrels", str(DATA / "qrels.test"), "--run", str(DATA / "results.test")]
    assert cli.main([*argv, "-m", "P_10"], out) == 0
    assert out.getvalue() == "P_10                  \tall\t0.3000\n"
    assert cli.main([*argv, "-m", "bpref"], io.StringIO()) == 2
    assert "unknown measure" in capsys.readouterr().err
