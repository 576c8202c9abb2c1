"""feedrank.evaluate agrees with pytrec_eval (trec_eval's C code) to 1e-9, per query.

Hypothesis draws small runs and qrels built to hit the conventions: many equal
scores (ties broken by document id, compared as strings: "d10" < "d2"), graded
and negative grades, queries without relevant documents, retrieved documents
that are not judged, judged queries missing from the run and run queries
missing from the qrels. Both query-set modes are checked: pytrec_eval has no
``-c``, so in "qrels" mode the queries it evaluates must agree and the others
must score 0.

Scores are drawn as float32 values: pytrec_eval's bundled trec_eval stores a
score in a C float, so 1 + 1e-12 and 1 tie there, while trec_eval 9.x (whose
outputs tests/data/trec_eval_tests holds) and feedrank compare doubles.

Qrels queries whose every grade is negative are left out: pytrec_eval then
reports num_ret 0 for a query that retrieved documents (trec_eval reads an
empty table of relevance levels), which is not a convention worth copying.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedrank.evaluate.metrics import evaluate
from feedrank.evaluate.qrels import Qrels
from feedrank.evaluate.run import Run
from feedrank.evaluate.trec import read_trec_qrels, read_trec_run

pytrec_eval = pytest.importorskip("pytrec_eval")

CUTS = (1, 2, 3, 5, 10)
PYTREC_MEASURES = {
    "map",
    "recip_rank",
    "Rprec",
    "ndcg",
    "num_ret",
    "num_rel",
    "num_rel_ret",
    *(f"{family}.{','.join(map(str, CUTS))}" for family in ("P", "recall", "success")),
    *(f"{family}.{','.join(map(str, CUTS))}" for family in ("map_cut", "ndcg_cut")),
}
# trec_eval names as pytrec_eval reports them, each with the feedrank name asked for
NAMES = {
    "map": "map",
    "recip_rank": "mrr",
    "Rprec": "r_precision",
    "ndcg": "ndcg",
    "num_ret": "num_ret",
    "num_rel": "num_rel",
    "num_rel_ret": "num_rel_ret",
}
for k in CUTS:
    NAMES |= {
        f"P_{k}": f"P@{k}",
        f"recall_{k}": f"recall@{k}",
        f"success_{k}": f"hit_rate@{k}",
        f"map_cut_{k}": f"map@{k}",
        f"ndcg_cut_{k}": f"ndcg@{k}",
    }

QUERIES = ["q1", "q2", "q10", "q3"]
DOCS = ["d1", "d2", "d10", "d3", "d20", "d100", "e", "x9", "d11", "d02"]
SCORES = st.one_of(
    st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0]),
    st.floats(-5, 5, allow_nan=False, allow_infinity=False, width=32),
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, int]]]:
    run: dict[str, dict[str, float]] = {}
    for qid in draw(st.lists(st.sampled_from(QUERIES), min_size=1, unique=True)):
        docs = draw(st.lists(st.sampled_from(DOCS), min_size=1, unique=True))
        run[qid] = {doc: draw(SCORES) for doc in docs}
    qrels: dict[str, dict[str, int]] = {}
    for qid in draw(st.lists(st.sampled_from(QUERIES), min_size=1, unique=True)):
        docs = draw(st.lists(st.sampled_from(DOCS), min_size=1, unique=True))
        grades = {doc: draw(st.integers(-1, 3)) for doc in docs}
        if max(grades.values()) < 0:
            grades[docs[0]] = draw(st.integers(0, 3))
        qrels[qid] = grades
    return run, qrels


def _pytrec(run: dict[str, Any], qrels: dict[str, Any], level: int) -> dict[str, Any]:
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, PYTREC_MEASURES, relevance_level=level)
    result: dict[str, Any] = evaluator.evaluate(run)
    return result


@settings(max_examples=300, deadline=None)
@given(cases(), st.sampled_from([1, 2]), st.sampled_from(["trec", "feedrank"]))
def test_agrees_with_pytrec_eval(
    case: tuple[dict[str, Any], dict[str, Any]], level: int, spelling: str
) -> None:
    run, qrels = case
    expected = _pytrec(run, qrels, level)
    names = list(NAMES) if spelling == "trec" else list(NAMES.values())
    trec_of = dict(zip(names, NAMES, strict=True))
    both = set(run) & set(qrels)
    for mode in ("intersection", "qrels"):
        if mode == "intersection" and not both:
            continue
        result = evaluate(
            Run.from_dict(run),
            Qrels.from_dict(qrels),
            names,
            queries=mode,
            relevance_threshold=level,
        )
        wanted = both if mode == "intersection" else set(qrels)
        assert result.query_ids.tolist() == sorted(wanted)
        for name in names:
            values = result.per_query[name]
            for i, qid in enumerate(result.query_ids.tolist()):
                if qid in expected:
                    assert values[i] == pytest.approx(
                        expected[qid][trec_of[name]], abs=1e-9, rel=0
                    ), (mode, name, qid)
                elif trec_of[name] == "num_rel":
                    assert values[i] == sum(g >= level for g in qrels[qid].values())
                else:
                    assert values[i] == 0.0, (mode, name, qid)
            assert result.means[name] == pytest.approx(values.sum() / len(wanted), abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(cases())
def test_row_order_does_not_matter_with_trec_eval_ties(
    case: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    run, qrels = case
    if not set(run) & set(qrels):
        return
    forward = Run.from_dict(run)
    flipped = Run(forward.query_ids[::-1], forward.doc_ids[::-1], forward.scores[::-1])
    measures = list(NAMES.values())
    a = evaluate(forward, Qrels.from_dict(qrels), measures)
    b = evaluate(flipped, Qrels.from_dict(qrels), measures)
    for name in measures:
        np.testing.assert_array_equal(a.per_query[name], b.per_query[name])


def _plain_read(path: Path, grade: bool) -> dict[str, dict[str, Any]]:
    """A TREC file read the plain Python way, line by line, as pytrec_eval takes it."""
    out: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8", newline=None) as fh:
        for line in fh:
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            value = int(fields[3]) if grade else float(fields[4])
            out.setdefault(fields[0], {})[fields[2]] = value
    return out


def test_trec_files_agree_with_a_plain_reader_and_pytrec_eval(tmp_path: Path) -> None:
    """Generated files (scores of float32 precision written by repr, some tied,
    tabs and CRLF line ends, comment and blank lines, queries judged but not in
    the run and the other way round) read by feedrank's readers and evaluated
    give pytrec_eval's values for the files read line by line."""
    rng = np.random.default_rng(21)
    run_lines, qrels_lines = ["# a run"], []
    for i in range(300):
        docs = rng.choice(10_000, 50, replace=False)
        scores = rng.normal(0, 4, 40).astype(np.float32)
        scores[::9] = scores[0]  # ties, broken by document id
        if i % 25:
            sep = "\t" if i % 3 == 0 else " "
            run_lines += [
                sep.join([f"q{i}", "Q0", f"d{d}", str(r), repr(float(s)), "run"])
                for r, (d, s) in enumerate(zip(docs[:40].tolist(), scores.tolist(), strict=True))
            ]
            run_lines.append("")
        if i % 30:
            judged = rng.choice(50, 12, replace=False)
            grades = rng.choice([-1, 0, 1, 1, 2, 3], 12)
            if grades.max() < 0:
                grades[0] = 1
            qrels_lines += [
                f"q{i} 0 d{docs[j]} {g}"
                for j, g in zip(judged.tolist(), grades.tolist(), strict=True)
            ]
    (tmp_path / "run").write_bytes("\r\n".join(run_lines).encode())
    (tmp_path / "qrels").write_text("\n".join(qrels_lines) + "\n")
    expected = _pytrec(
        _plain_read(tmp_path / "run", False), _plain_read(tmp_path / "qrels", True), 1
    )
    result = evaluate(
        read_trec_run(tmp_path / "run"), read_trec_qrels(tmp_path / "qrels"), list(NAMES)
    )
    assert result.query_ids.tolist() == sorted(expected)
    for name in NAMES:
        for qid, value in zip(
            result.query_ids.tolist(), result.per_query[name].tolist(), strict=True
        ):
            assert value == pytest.approx(expected[qid][name], abs=1e-12, rel=0), (name, qid)
