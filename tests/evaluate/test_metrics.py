"""feedrank.evaluate.metrics, .run, .qrels and .trec: containers, TREC files,
measure names and every convention (ties, query set, threshold, no-relevant rule, depth, gains),
checked against a plain per-query Python reference written from the definitions."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedrank.errors import FeedrankError, InputError
from feedrank.evaluate import _hashing
from feedrank.evaluate.eval_result import EvalResult
from feedrank.evaluate.measures import Measure, parse_measure
from feedrank.evaluate.metrics import evaluate
from feedrank.evaluate.ordering import order_rows
from feedrank.evaluate.qrels import Qrels
from feedrank.evaluate.run import Run
from feedrank.evaluate.trec import (
    read_trec_qrels,
    read_trec_run,
    write_trec_qrels,
    write_trec_run,
)

# ---------------------------------------------------------------------------
# a per-query reference, straight from the definitions


def _ranked(rows: list[tuple[str, str, float]], qid: str, ties: str) -> list[str]:
    mine = [(doc, score) for q, doc, score in rows if q == qid]
    if ties == "trec_eval":
        mine.sort(key=lambda r: r[0], reverse=True)
    mine.sort(key=lambda r: -r[1])  # stable: equal scores keep the previous order
    return [doc for doc, _ in mine]


def reference(
    rows: list[tuple[str, str, float]],
    judged: dict[str, dict[str, int]],
    measure: Measure,
    *,
    ties: str = "trec_eval",
    queries: str = "intersection",
    threshold: int = 1,
    no_relevant: str = "zero",
    depth: int | None = None,
) -> dict[str, float]:
    in_run = {q for q, _, _ in rows}
    chosen = [q for q in judged if queries == "qrels" or q in in_run]
    out: dict[str, float] = {}
    for qid in sorted(chosen):
        grades_of = judged[qid]
        num_rel = sum(g >= threshold for g in grades_of.values())
        if no_relevant == "drop" and num_rel == 0:
            continue
        docs = _ranked(rows, qid, ties)[:depth]
        grades = [grades_of.get(doc, -1) for doc in docs]
        rel = [g >= threshold for g in grades]
        k = measure.k if measure.k is not None else len(docs) + len(grades_of) + 1
        exp = measure.kind == "ndcg_exp"

        def gain(g: int, exp: bool = exp) -> float:
            return 0.0 if g <= 0 else (2.0**g - 1.0 if exp else float(g))

        def ratio(num: float, den: float) -> float:
            if den > 0:
                return num / den
            return 1.0 if no_relevant == "one" else 0.0

        kind = measure.kind
        if kind == "num_q":
            value = 1.0
        elif kind == "num_ret":
            value = len(docs)
        elif kind == "num_rel":
            value = num_rel
        elif kind == "num_rel_ret":
            value = sum(rel)
        elif kind == "P":
            value = sum(rel[:k]) / k
        elif kind == "success":
            value = float(any(rel[:k]))
        elif kind == "recall":
            value = ratio(sum(rel[:k]), num_rel)
        elif kind == "Rprec":
            value = ratio(sum(rel[:num_rel]), num_rel)
        elif kind == "recip_rank":
            first = [i for i, r in enumerate(rel[:k]) if r]
            value = 1.0 / (first[0] + 1) if first else 0.0
        elif kind == "map":
            total, hits = 0.0, 0
            for i, r in enumerate(rel[:k]):
                if r:
                    hits += 1
                    total += hits / (i + 1)
            value = ratio(total, num_rel)
        else:
            dcg = sum(gain(g) / math.log2(i + 2) for i, g in enumerate(grades[:k]))
            ideal = sorted((g for g in grades_of.values() if g > 0), reverse=True)[:k]
            idcg = sum(gain(g) / math.log2(i + 2) for i, g in enumerate(ideal))
            value = ratio(dcg, idcg)
        out[qid] = float(value)
    return out


QIDS = ["q1", "q2", "q10", "q3"]
DOCS = ["d1", "d2", "d10", "d3", "d20", "d100", "e", "x9", "d11", "d02", "é", "Z"]
SCORES = st.one_of(
    st.sampled_from([-1.0, -0.0, 0.0, 0.5, 1.0, 2.0, math.inf, -math.inf]),
    st.floats(-1e6, 1e6, allow_nan=False),
)
MEASURES = [
    Measure(kind, k)
    for kind in ("P", "recall", "success", "map", "recip_rank", "ndcg", "ndcg_exp")
    for k in (1, 2, 5)
] + [
    Measure(kind)
    for kind in (
        "map",
        "recip_rank",
        "Rprec",
        "ndcg",
        "ndcg_exp",
        "num_q",
        "num_ret",
        "num_rel",
        "num_rel_ret",
    )
]


@st.composite
def data(draw: st.DrawFn) -> tuple[list[tuple[str, str, float]], dict[str, dict[str, int]]]:
    rows: list[tuple[str, str, float]] = []
    for qid in draw(st.lists(st.sampled_from(QIDS), unique=True)):
        for doc in draw(st.lists(st.sampled_from(DOCS), min_size=1, unique=True)):
            rows.append((qid, doc, draw(SCORES)))
    rows = draw(st.permutations(rows))
    judged = {
        qid: draw(st.dictionaries(st.sampled_from(DOCS), st.integers(-1, 4), min_size=1))
        for qid in draw(st.lists(st.sampled_from(QIDS), min_size=1, unique=True))
    }
    return rows, judged


def _containers(
    rows: list[tuple[str, str, float]], judged: dict[str, dict[str, int]]
) -> tuple[Run, Qrels]:
    run = Run([r[0] for r in rows], [r[1] for r in rows], np.array([r[2] for r in rows]))
    return run, Qrels.from_dict(judged)


@settings(max_examples=250, deadline=None)
@given(
    data(),
    st.sampled_from(["trec_eval", "stable"]),
    st.sampled_from(["intersection", "qrels"]),
    st.integers(0, 3),
    st.sampled_from(["zero", "one", "drop"]),
    st.sampled_from([None, 1, 3]),
)
def test_matches_reference(
    case: Any, ties: str, queries: str, threshold: int, no_relevant: str, depth: int | None
) -> None:
    rows, judged = case
    run, qrels = _containers(rows, judged)
    options: dict[str, Any] = {
        "ties": ties,
        "queries": queries,
        "relevance_threshold": threshold,
        "no_relevant": no_relevant,
        "depth": depth,
    }
    expected = {m: reference(rows, judged, m, **_ref(options)) for m in MEASURES}
    wanted = sorted(expected[MEASURES[0]])
    if not wanted:
        with pytest.raises(InputError, match="no query to evaluate"):
            evaluate(run, qrels, "map", **options)
        return
    result = evaluate(run, qrels, [m.name for m in MEASURES], **options)
    assert result.query_ids.tolist() == wanted
    for m in MEASURES:
        np.testing.assert_allclose(
            result.per_query[m.name], [expected[m][q] for q in wanted], rtol=0, atol=1e-9
        )


def _ref(options: dict[str, Any]) -> dict[str, Any]:
    out = dict(options)
    out["threshold"] = out.pop("relevance_threshold")
    return out


# ---------------------------------------------------------------------------
# conventions on small hand-made cases


def test_ties_trec_eval_is_doc_id_descending_as_strings() -> None:
    run = Run(["q"] * 3, ["d2", "d10", "d9"], [1.0, 1.0, 1.0])
    assert run.doc_ids[run.order()].tolist() == ["d9", "d2", "d10"]
    assert run.doc_ids[run.order("stable")].tolist() == ["d2", "d10", "d9"]
    qrels = Qrels(["q"], ["d10"], [1])
    assert evaluate(run, qrels, "mrr")["mrr"] == pytest.approx(1 / 3)
    assert evaluate(run, qrels, "mrr", ties="stable")["mrr"] == pytest.approx(1 / 2)


def test_negative_zero_ties_with_zero() -> None:
    run = Run(["q", "q"], ["a", "b"], [-0.0, 0.0])
    assert run.doc_ids[run.order()].tolist() == ["b", "a"]
    flipped = Run(["q", "q"], ["b", "a"], [0.0, -0.0])
    assert flipped.doc_ids[flipped.order()].tolist() == ["b", "a"]


def test_order_groups_queries_by_id_then_score() -> None:
    run = Run(["b", "a", "b", "a"], ["x", "y", "z", "w"], [1.0, -np.inf, 3.0, np.inf])
    assert run.order().tolist() == [3, 1, 2, 0]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(1, 8)), min_size=1, max_size=12),
    st.booleans(),
    st.sampled_from(["trec_eval", "stable"]),
    st.one_of(st.none(), st.integers(0, 6)),
    st.randoms(use_true_random=False),
)
def test_order_rows_matches_a_sort_by_code_score_and_tie_rule(
    blocks: list[tuple[int, int]], shuffle: bool, ties: str, below: int | None, rnd: Any
) -> None:
    """Blocks of rows of one code each (a code may come back later), of equal or
    uneven lengths, in file order or shuffled; rows at or above ``below`` left out."""
    codes = [code for code, length in blocks for _ in range(length)]
    if shuffle:
        rnd.shuffle(codes)
    n = len(codes)
    scores = [float(rnd.choice([0.0, 1.0, 2.0, rnd.random()])) for _ in range(n)]
    docs = [f"d{rnd.randrange(40)}" for _ in range(n)]
    got = order_rows(
        np.asarray(codes, dtype=np.intp),
        np.asarray(scores),
        np.asarray(docs),
        ties,  # type: ignore[arg-type]
        below=below,
    ).tolist()
    rows = [i for i in range(n) if below is None or codes[i] < below]
    if ties == "trec_eval":
        rows.sort(key=lambda i: docs[i], reverse=True)  # stable: equal docs keep row order
    rows.sort(key=lambda i: (codes[i], -scores[i]))
    if ties == "trec_eval":  # equal (code, score, doc): any order; compare without it
        assert [(codes[i], scores[i], docs[i]) for i in got] == [
            (codes[i], scores[i], docs[i]) for i in rows
        ]
    else:
        assert got == rows


def test_no_relevant_rules() -> None:
    run = Run(["q1", "q1", "q2"], ["a", "b", "a"], [2.0, 1.0, 1.0])
    qrels = Qrels(["q1", "q2"], ["b", "a"], [1, 0])
    names = ["map", "ndcg", "recall@1", "r_precision", "P@1", "mrr", "hit_rate@1"]
    zero = evaluate(run, qrels, names)
    one = evaluate(run, qrels, names, no_relevant="one")
    drop = evaluate(run, qrels, names, no_relevant="drop")
    assert [zero.per_query[n][1] for n in names] == [0, 0, 0, 0, 0, 0, 0]
    assert [one.per_query[n][1] for n in names] == [1, 1, 1, 1, 0, 0, 0]
    assert drop.query_ids.tolist() == ["q1"]
    assert drop["map"] == pytest.approx(0.5)
    assert zero["map"] == pytest.approx(0.25)


def test_ndcg_gains_linear_and_exponential() -> None:
    run = Run(["q"] * 3, ["a", "b", "c"], [3.0, 2.0, 1.0])
    qrels = Qrels(["q"] * 3, ["a", "b", "z"], [1, 3, 2])
    result = evaluate(run, qrels, ["ndcg", "ndcg_exp", "ndcg@1", "ndcg_exp@2"])
    disc = 1 / np.log2(np.arange(2, 5))
    assert result["ndcg"] == pytest.approx(
        (1 * disc[0] + 3 * disc[1]) / (3 + 2 * disc[1] + 1 * disc[2])
    )
    assert result["ndcg_exp"] == pytest.approx((1 + 7 * disc[1]) / (7 + 3 * disc[1] + 1 * disc[2]))
    assert result["ndcg@1"] == pytest.approx(1 / 3)
    assert result["ndcg_exp@2"] == pytest.approx((1 + 7 * disc[1]) / (7 + 3 * disc[1]))


def test_threshold_changes_relevance_not_ndcg_gains() -> None:
    run = Run(["q"] * 2, ["a", "b"], [2.0, 1.0])
    qrels = Qrels(["q"] * 2, ["a", "b"], [1, 2])
    low = evaluate(run, qrels, "map,ndcg,num_rel")
    high = evaluate(run, qrels, "map,ndcg,num_rel", relevance_threshold=2)
    assert (low["map"], high["map"]) == (1.0, 0.5)
    assert low["ndcg"] == high["ndcg"]
    assert (low["num_rel"], high["num_rel"]) == (2, 1)


def test_depth_cuts_each_query() -> None:
    run = Run(["q"] * 3, ["a", "b", "c"], [3.0, 2.0, 1.0])
    qrels = Qrels(["q"], ["c"], [1])
    assert evaluate(run, qrels, "map,num_ret", depth=2).per_query["num_ret"].tolist() == [2]
    assert evaluate(run, qrels, "map", depth=2)["map"] == 0.0
    assert evaluate(run, qrels, "map", depth=3)["map"] == pytest.approx(1 / 3)


def test_query_sets() -> None:
    run = Run(["q1", "q9"], ["a", "a"], [1.0, 1.0])
    qrels = Qrels(["q1", "q2"], ["a", "a"], [1, 1])
    both = evaluate(run, qrels, "map,num_q")
    every = evaluate(run, qrels, "map,num_q", queries="qrels")
    assert both.query_ids.tolist() == ["q1"]
    assert every.query_ids.tolist() == ["q1", "q2"]
    assert every["map"] == 0.5
    assert every.summary()["num_q"] == 2
    empty = Run([], [], [])
    assert evaluate(empty, qrels, "map", queries="qrels")["map"] == 0.0
    with pytest.raises(InputError, match="no query to evaluate"):
        evaluate(empty, qrels, "map")


def test_result_accessors_and_layouts() -> None:
    run = Run(["q1", "q1", "q2"], ["a", "b", "a"], [2.0, 1.0, 1.0])
    qrels = Qrels(["q1", "q2"], ["b", "a"], [1, 1])
    result = evaluate(run, qrels, "P@1,map, P@1 ,num_ret")
    assert isinstance(result, EvalResult)
    assert result.measures == ("P@1", "map", "num_ret")
    assert result["P_1"] == result["P@1"] == 0.5
    assert result.means["num_ret"] == 1.5
    assert result.summary()["num_ret"] == 3
    with pytest.raises(KeyError):
        result["ndcg"]
    with pytest.raises(ValueError, match="read-only"):
        result.per_query["map"][0] = 1.0
    data = json.loads(result.to_json(per_query=True))
    assert data["all"] == {"P@1": 0.5, "map": 0.75, "num_ret": 3.0}
    assert data["per_query"]["q2"] == {"P@1": 1.0, "map": 1.0, "num_ret": 1.0}
    assert data["options"]["ties"] == "trec_eval"
    assert result.to_trec(per_query=True).splitlines() == [
        "P@1                   \tq1\t0.0000",
        "map                   \tq1\t0.5000",
        "num_ret               \tq1\t2",
        "P@1                   \tq2\t1.0000",
        "map                   \tq2\t1.0000",
        "num_ret               \tq2\t1",
        "P@1                   \tall\t0.5000",
        "map                   \tall\t0.7500",
        "num_ret               \tall\t3",
    ]


# ---------------------------------------------------------------------------
# measure names


@pytest.mark.parametrize(
    ("feedrank", "trec_name"),
    [
        ("P@10", "P_10"),
        ("recall@100", "recall_100"),
        ("hit_rate@10", "success_10"),
        ("map", "map"),
        ("map@10", "map_cut_10"),
        ("mrr", "recip_rank"),
        ("r_precision", "Rprec"),
        ("ndcg", "ndcg"),
        ("ndcg@10", "ndcg_cut_10"),
        ("num_rel_ret", "num_rel_ret"),
    ],
)
def test_both_spellings(feedrank: str, trec_name: str) -> None:
    assert parse_measure(feedrank) == parse_measure(trec_name)
    assert parse_measure(trec_name).name == feedrank
    assert parse_measure(feedrank).trec_name == trec_name


def test_feedrank_only_measures_have_no_trec_name() -> None:
    assert parse_measure("ndcg_exp@5").trec_name is None
    assert parse_measure("mrr@10").trec_name is None
    assert parse_measure("precision@3") == Measure("P", 3)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bpref", "unknown measure"),
        ("P", "takes a cutoff"),
        ("Rprec@5", "takes no cutoff"),
        ("P@0", "cutoff"),
        ("", "unknown measure"),
    ],
)
def test_bad_measure_names(name: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_measure(name)
    assert info.value.field == "measures"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"ties": "random"}, "ties"),
        ({"queries": "run"}, "queries"),
        ({"no_relevant": "nan"}, "no_relevant"),
        ({"relevance_threshold": -1}, "relevance_threshold"),
        ({"relevance_threshold": 1.5}, "relevance_threshold"),
        ({"depth": 0}, "depth"),
    ],
)
def test_bad_options(options: dict[str, Any], field: str) -> None:
    run, qrels = Run(["q"], ["a"], [1.0]), Qrels(["q"], ["a"], [1])
    with pytest.raises(InputError) as info:
        evaluate(run, qrels, "map", **options)
    assert info.value.field == field


def test_no_measure() -> None:
    with pytest.raises(InputError, match="no measure"):
        evaluate(Run(["q"], ["a"], [1.0]), Qrels(["q"], ["a"], [1]), " , ")


# ---------------------------------------------------------------------------
# containers


def test_containers_coerce_and_validate() -> None:
    run = Run(np.array(["q"], dtype=object), np.array(["a"], dtype=np.dtypes.StringDType()), [1])
    assert run.query_ids.dtype.kind == run.doc_ids.dtype.kind == "U"
    assert run.scores.dtype == np.float64
    assert repr(run) == "Run(1 rows, 1 queries)"
    qrels = Qrels.from_dict({"q": {"a": 2}})
    assert qrels.relevance.dtype == np.int64
    assert qrels.to_dict() == {"q": {"a": 2}}
    assert Run.from_dict({"q": {"a": 1.5}}).to_dict() == {"q": {"a": 1.5}}
    assert repr(qrels) == "Qrels(1 rows, 1 queries)"


@pytest.mark.parametrize(
    ("build", "field", "message"),
    [
        (lambda: Run(["q", "q"], ["a"], [1.0, 2.0]), "doc_ids", "has shape"),
        (lambda: Run(["q"], ["a"], [1.0, 2.0]), "scores", "has shape"),
        (lambda: Run(["q", "q"], ["a", "b"], [1.0, np.nan]), "scores", "NaN.*row 1"),
        (lambda: Run([1, 2], ["a", "b"], [1.0, 2.0]), "query_ids", "int"),
        (lambda: Run([["q"]], [["a"]], [[1.0]]), "query_ids", "shape"),
        (lambda: Run(["q"], ["a"], ["x"]), "scores", "holds"),
        (
            lambda: Run(["q", "r", "q"], ["a", "a", "a"], [1.0, 2.0, 3.0]),
            "doc_ids",
            "'q', document 'a' appears twice in the run \\(rows 0 and 2\\)",
        ),
        (lambda: Qrels(["q"], ["a"], [1.5]), "relevance", "integer"),
        (lambda: Qrels(["q", "q"], ["a", "a"], [1, 0]), "doc_ids", "twice in the qrels"),
    ],
)
def test_container_errors(build: Any, field: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        build()
    assert info.value.field == field
    assert isinstance(info.value, FeedrankError)


def test_interleaved_queries_and_hash_collisions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows of a query need not be contiguous; a colliding hash changes nothing."""
    rng = np.random.default_rng(3)
    q = rng.choice([f"q{i}" for i in range(7)], size=400)
    d = np.array([f"d{i}" for i in rng.integers(0, 60, size=400)])
    keep = np.unique(np.char.add(np.char.add(q, "|"), d), return_index=True)[1]
    q, d = q[keep], d[keep]
    scores = rng.integers(0, 4, size=q.shape[0]).astype(float)
    gq = rng.choice([f"q{i}" for i in range(9)], size=300)
    gd = np.array([f"d{i}" for i in rng.integers(0, 60, size=300)])
    keep = np.unique(np.char.add(np.char.add(gq, "|"), gd), return_index=True)[1]
    grades = rng.integers(-1, 3, size=keep.shape[0])
    names = "map,P@5,ndcg@10,mrr,Rprec,num_rel_ret"
    expected = evaluate(Run(q, d, scores), Qrels(gq[keep], gd[keep], grades), names)

    def by_length(values: Any) -> Any:
        return np.char.str_len(values).astype(np.uint64)

    for bad_hash in (by_length, lambda v: np.zeros(v.shape[0], dtype=np.uint64)):
        monkeypatch.setattr(_hashing, "hash_strings", bad_hash)
        got = evaluate(Run(q, d, scores), Qrels(gq[keep], gd[keep], grades), names)
        assert got.query_ids.tolist() == expected.query_ids.tolist()
        for name in got.measures:
            np.testing.assert_array_equal(got.per_query[name], expected.per_query[name])
        with pytest.raises(InputError, match="appears twice"):
            Run(np.append(q, q[5]), np.append(d, d[5]), np.append(scores, 0.0))


# ---------------------------------------------------------------------------
# TREC files


def test_trec_round_trip(tmp_path: Path) -> None:
    run = Run(["q2", "q1", "q1"], ["b", "a", "c"], [0.1 + 0.2, -1e-300, 7.0])
    qrels = Qrels(["q1", "q2"], ["a", "b"], [2, -1])
    write_trec_run(run, tmp_path / "run.txt", tag="mine")
    write_trec_qrels(qrels, tmp_path / "qrels.txt")
    assert (tmp_path / "run.txt").read_text().splitlines() == [
        "q1 Q0 c 1 7.0 mine",
        "q1 Q0 a 2 -1e-300 mine",
        "q2 Q0 b 1 0.30000000000000004 mine",
    ]
    back = read_trec_run(tmp_path / "run.txt")
    assert back.to_dict() == {"q1": {"c": 7.0, "a": -1e-300}, "q2": {"b": 0.1 + 0.2}}
    assert read_trec_qrels(tmp_path / "qrels.txt").to_dict() == qrels.to_dict()


def test_trec_readers_skip_blank_comment_lines_and_extra_fields(tmp_path: Path) -> None:
    path = tmp_path / "run.txt"
    path.write_text("# a comment\n\nq Q0 a 1 2.5 tag more junk\n  \nq Q0 b 2 1 tag\n")
    assert read_trec_run(path).to_dict() == {"q": {"a": 2.5, "b": 1.0}}


@pytest.mark.parametrize(
    ("reader", "text", "line", "message"),
    [
        (read_trec_run, "q Q0 a 1 1.0 t\nq Q0 b 2 1.0\n", 2, "has 5 fields"),
        (read_trec_run, "q Q0 a 1 1.0 t\n\nq Q0 b 2 high t\n", 3, "score 'high'"),
        (read_trec_run, "q Q0 a 1 nan t\n", 1, "NaN"),
        (read_trec_run, "q Q0 a 1 1 t\n# c\nq Q0 a 2 0 t\n", 3, "lines 1 and 3"),
        (read_trec_qrels, "q 0 a 1\nq 0 b\n", 2, "has 3 fields"),
        (read_trec_qrels, "q 0 a 1 extra\n", 1, "has 5 fields"),
        (read_trec_qrels, "q 0 a 1\nq 0 b 0.5\n", 2, "relevance '0.5'"),
        (read_trec_qrels, "q 0 a 1\nr 0 a 1\nq 0 a 0\n", 3, "lines 1 and 3"),
    ],
)
def test_trec_reader_errors_name_file_and_line(
    tmp_path: Path, reader: Any, text: str, line: int, message: str
) -> None:
    path = tmp_path / "input.txt"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        reader(path)
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}")


@pytest.mark.parametrize(
    ("run", "tag", "field"),
    [
        (Run(["q 1"], ["a"], [1.0]), "t", "query_ids"),
        (Run(["q"], [""], [1.0]), "t", "doc_ids"),
        (Run(["q"], ["a"], [1.0]), "my tag", "tag"),
    ],
)
def test_trec_writer_rejects_unwritable_ids(tmp_path: Path, run: Run, tag: str, field: str) -> None:
    with pytest.raises(InputError) as info:
        write_trec_run(run, tmp_path / "run.txt", tag=tag)
    assert info.value.field == field


@pytest.mark.parametrize("width", [1, 2, 3, 7, 8, 40])
def test_id_hash_ignores_the_array_itemsize(width: int) -> None:
    ids = ["", "a", "ab", "abc", "é√x", "d10", "d1"]
    ids = [i[:width] for i in ids]
    narrow = _hashing.hash_strings(np.array(ids))
    wide = _hashing.hash_strings(np.array(ids, dtype=f"U{width + 5}"))
    np.testing.assert_array_equal(narrow, wide)
    assert np.unique(narrow).shape[0] == len(set(ids))


def test_a_colliding_run_id_is_caught_by_the_id_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Qrels keys are distinct, but an unjudged run doc shares a judged doc's hash."""

    def by_length(values: Any) -> Any:
        return np.char.str_len(values).astype(np.uint64) * np.uint64(2**40)

    monkeypatch.setattr(_hashing, "hash_strings", by_length)
    run = Run(["q", "q", "q"], ["ab", "cd", "x"], [3.0, 2.0, 1.0])
    qrels = Qrels(["q", "q"], ["cd", "x"], [1, 1])
    result = evaluate(run, qrels, "map,num_rel_ret")
    assert result["num_rel_ret"] == 2
    assert result["map"] == pytest.approx((1 / 2 + 2 / 3) / 2)


@pytest.mark.parametrize("ties", ["trec_eval", "stable"])
def test_very_uneven_queries_match_reference(ties: str) -> None:
    """One long query and many one-row queries: the sort falls back from the
    padded matrix to a global sort; rows are shuffled, scores often tie."""
    rng = np.random.default_rng(11)
    rows = [("big", f"d{i}", float(rng.integers(0, 50))) for i in range(3000)]
    rows += [(f"s{i}", "d1", float(rng.integers(0, 3))) for i in range(100)]
    rows = [rows[i] for i in rng.permutation(len(rows))]
    judged = {"big": {f"d{i}": int(rng.integers(0, 3)) for i in range(0, 3000, 7)}}
    judged |= {f"s{i}": {"d1": i % 2} for i in range(100)}
    run, qrels = _containers(rows, judged)
    measures = [Measure("map"), Measure("ndcg", 10), Measure("recip_rank"), Measure("P", 5)]
    result = evaluate(run, qrels, [m.name for m in measures], ties=ties)  # type: ignore[arg-type]
    for m in measures:
        expected = reference(rows, judged, m, ties=ties)
        np.testing.assert_allclose(
            result.per_query[m.name], [expected[q] for q in result.query_ids.tolist()], atol=1e-12
        )
