"""feedrank.evaluate reproduces NIST trec_eval's own expected outputs.

For each reference output in tests/data/trec_eval_tests (see its ATTRIBUTION.md
and quicktest_commands.txt), every measure feedrank offers is recomputed with
the options of the trec_eval command behind the file and compared per query and
under ``all``, to trec_eval's printed precision (4 decimals, counts exact). The
printed text of those lines is compared too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from feedrank.errors import InputError
from feedrank.evaluate.measures import parse_measure
from feedrank.evaluate.metrics import evaluate
from feedrank.evaluate.qrels import Qrels
from feedrank.evaluate.run import Run
from feedrank.evaluate.trec import read_trec_qrels, read_trec_run

DATA = Path(__file__).resolve().parents[1] / "data" / "trec_eval_tests"


@dataclass(frozen=True)
class Case:
    expected: str
    qrels: str
    run: str
    options: dict[str, Any]
    per_query: bool


CASES = [
    # ./trec_eval qrels.test results.test
    Case("out.test", "qrels.test", "results.test", {}, per_query=False),
    # ./trec_eval -m all_trec qrels.test results.test
    Case("out.test.a", "qrels.test", "results.test", {}, per_query=False),
    # ./trec_eval -m all_trec -q qrels.test results.test
    Case("out.test.aq", "qrels.test", "results.test", {}, per_query=True),
    # ./trec_eval -m all_trec -q -c qrels.test results.trunc
    Case("out.test.aqc", "qrels.test", "results.trunc", {"queries": "qrels"}, per_query=True),
    # ./trec_eval -m all_trec -q -c -M100 qrels.test results.trunc
    Case(
        "out.test.aqcM",
        "qrels.test",
        "results.trunc",
        {"queries": "qrels", "depth": 100},
        per_query=True,
    ),
    # ./trec_eval -m all_trec -mrelstring.20 -q -l2 qrels.rel_level results.test
    Case(
        "out.test.aql",
        "qrels.rel_level",
        "results.test",
        {"relevance_threshold": 2},
        per_query=True,
    ),
    # ./trec_eval -q -m P.5,7,3 -m recall.20,2000 -mndcg_cut.10,20,23.4 -msuccess.2,5,20 ...
    Case("out.test.meas_params", "qrels.test", "results.test", {}, per_query=True),
]


def _offered(name: str) -> bool:
    try:
        parse_measure(name)
    except InputError:
        return False
    return True


def _expected(path: Path) -> tuple[list[str], dict[tuple[str, str], str], list[str]]:
    """Offered measures in trec_eval's ``all`` order, {(measure, qid): text}, and
    the file's lines for offered measures (normalised: measure name stripped)."""
    values: dict[tuple[str, str], str] = {}
    order: list[str] = []
    lines: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name, qid, text = (part.strip() for part in line.split("\t"))
        if not _offered(name):
            continue
        values[(name, qid)] = text
        lines.append(f"{name}\t{qid}\t{text}")
        if qid == "all":
            order.append(name)
    return order, values, lines


@pytest.fixture(scope="module")
def files() -> dict[str, Run | Qrels]:
    return {
        "qrels.test": read_trec_qrels(DATA / "qrels.test"),
        "qrels.rel_level": read_trec_qrels(DATA / "qrels.rel_level"),
        "results.test": read_trec_run(DATA / "results.test"),
        "results.trunc": read_trec_run(DATA / "results.trunc"),
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.expected)
def test_matches_trec_eval(case: Case, files: dict[str, Any]) -> None:
    order, expected, lines = _expected(DATA / case.expected)
    assert {"map", "num_q"} <= set(order) or case.expected == "out.test.meas_params"
    result = evaluate(files[case.run], files[case.qrels], order, **case.options)
    summary = result.summary()
    checked = 0
    for (name, qid), text in expected.items():
        if qid == "all":
            ours = summary[name]
        else:
            row = result.query_ids.tolist().index(qid)
            ours = float(result.per_query[name][row])
        if parse_measure(name).is_count:
            assert ours == int(text), (name, qid)
        else:
            assert abs(ours - float(text)) <= 5e-5 + 1e-12, (name, qid, ours, text)
        checked += 1
    assert checked == len(expected) > 0
    # the printed lines are trec_eval's, in its order
    printed = [
        "\t".join(part.strip() for part in line.split("\t"))
        for line in result.to_trec(per_query=case.per_query).splitlines()
    ]
    assert printed == lines


def test_every_offered_family_is_checked() -> None:
    kinds = set()
    for case in CASES:
        order, _, _ = _expected(DATA / case.expected)
        kinds |= {parse_measure(name).kind for name in order}
    assert kinds >= {
        "P",
        "recall",
        "success",
        "map",
        "recip_rank",
        "Rprec",
        "ndcg",
        "num_q",
        "num_ret",
        "num_rel",
        "num_rel_ret",
    }


def test_known_means_of_out_test(files: dict[str, Any]) -> None:
    """The headline numbers of SOURCE.md, with feedrank's names."""
    result = evaluate(
        files["results.test"], files["qrels.test"], ["map", "P@10", "mrr", "ndcg", "ndcg@10"]
    )
    assert [round(result[name], 4) for name in result.measures] == [
        0.1785,
        0.3,
        0.4064,
        0.4021,
        0.3016,
    ]


def test_missing_query_scores_zero_with_complete(files: dict[str, Any]) -> None:
    result = evaluate(files["results.trunc"], files["qrels.test"], "map,num_rel", queries="qrels")
    assert result.query_ids.tolist() == ["301", "302", "303"]
    assert result.per_query["map"][1] == 0.0
    assert result.per_query["num_rel"][1] == 77
    partial = evaluate(files["results.trunc"], files["qrels.test"], "map")
    assert partial.query_ids.tolist() == ["301", "303"]
    assert result["map"] == pytest.approx(partial["map"] * 2 / 3)
