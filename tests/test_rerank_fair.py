"""FA*IR: the minimum-protected table equals fairsearchcore's (the authors'
implementation) on a grid of k, p, α, and every prefix condition holds on
random inputs."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import fairsearchcore
import numpy as np
import pytest
from fairsearchcore import fail_prob as _fail_prob
from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr
from feedrank.stages.rerank import FairTopK
from feedrank.stages.rerank.fair import fail_probability, fair_mtable, fair_picks, fair_table
from tests.strategies import NOW
from tests.test_rerank_mmr import pipeline


@pytest.fixture(scope="module")
def reference() -> Iterator[type]:
    """fairsearchcore.Fair, with the one repair it needs on current numpy: its
    memo key's ``__hash__`` returns a numpy integer, which Python refuses; the
    same value as a Python int changes nothing else."""
    original = _fail_prob.LegalAssignmentKey.__hash__
    _fail_prob.LegalAssignmentKey.__hash__ = lambda self: int(original(self))  # type: ignore[method-assign]
    yield fairsearchcore.Fair
    _fail_prob.LegalAssignmentKey.__hash__ = original  # type: ignore[method-assign]


GRID = [
    (k, p, alpha)
    for k in (10, 25, 50)
    for p in (0.1, 0.3, 0.5, 0.7, 0.9)
    for alpha in (0.01, 0.05, 0.1, 0.15)
]


@pytest.mark.parametrize(("k", "p", "alpha"), GRID)
def test_mtable_equals_fairsearchcore(reference: type, k: int, p: float, alpha: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fair = reference(k, p, alpha)
        adjusted = fair.create_adjusted_mtable()
        unadjusted = fair.create_unadjusted_mtable()
    assert fair_mtable(k, p, alpha).tolist() == adjusted
    assert fair_mtable(k, p, alpha, adjust=False).tolist() == unadjusted


def brute_force_fail(mtable: list[int], p: float) -> float:
    """Σ over all 2^k protected/unprotected sequences that fail some prefix."""
    k = len(mtable)
    total = 0.0
    for bits in range(2**k):
        seq = [(bits >> i) & 1 for i in range(k)]
        ok = all(sum(seq[: i + 1]) >= mtable[i] for i in range(k))
        if not ok:
            ones = sum(seq)
            total += p**ones * (1 - p) ** (k - ones)
    return total


@pytest.mark.parametrize(("k", "p"), [(6, 0.5), (10, 0.3), (12, 0.7)])
def test_fail_probability_is_exact(k: int, p: float) -> None:
    mtable = fair_mtable(k, p, 0.1, adjust=False)
    assert fail_probability(mtable, p) == pytest.approx(brute_force_fail(mtable.tolist(), p))


def test_adjustment_lowers_alpha_and_stays_near_it() -> None:
    table = fair_table(50, 0.5, 0.1)
    assert 0 < table.alpha_c < 0.1
    assert fair_table(50, 0.5, 0.1, adjust=False).fail > 0.1  # unadjusted fails too often
    assert abs(table.fail - 0.1) < 0.05


@settings(max_examples=200, deadline=None)
@given(
    flags=st.lists(st.booleans(), min_size=0, max_size=60),
    k=st.integers(1, 40),
    p=st.floats(0.05, 0.95),
    alpha=st.sampled_from([0.01, 0.05, 0.1, 0.15]),
)
def test_every_prefix_condition_holds(flags: list[bool], k: int, p: float, alpha: float) -> None:
    protected = np.array(flags, dtype=bool)
    mtable = fair_mtable(k, p, alpha)
    picks = fair_picks(protected, mtable)
    n = protected.shape[0]
    assert picks.shape[0] == min(k, n)
    assert len(set(picks.tolist())) == picks.shape[0]
    placed = protected[picks]
    counts = np.cumsum(placed)
    available = int(protected.sum())
    for i in range(picks.shape[0]):
        # Met wherever enough protected posts exist at all.
        assert counts[i] >= min(int(mtable[i]), available)
    # Within each group the current order is kept.
    for group in (True, False):
        ranks = picks[placed == group]
        assert (np.diff(ranks) > 0).all()


def fair_batch(groups: list[str], scores: list[float]) -> fr.PostBatch:
    posts = [
        fr.Post(id=f"p{i}", author_id=f"a{i}", created_at=NOW, features={"s": s})
        for i, s in enumerate(scores)
    ]
    authors = [
        fr.Author(id=f"a{i}", attributes={"group": g} if g else {}) for i, g in enumerate(groups)
    ]
    return fr.PostBatch.from_posts(posts, authors)


def test_the_pipeline_enforces_the_table_and_explains_each_lift() -> None:
    n = 30
    groups = ["b" if i >= 22 else "a" for i in range(n)]
    batch = fair_batch(groups, [float(n - i) for i in range(n)])
    stage = FairTopK(attribute="group", value="b", p=0.5, alpha=0.1, k=20)
    ranking = pipeline(stage).rank(batch, fr.Context.build(batch, now=NOW), limit=n)
    served = list(ranking.post_ids)
    protected = [int(p[1:]) >= 22 for p in served]
    mtable = stage.table().m
    for i in range(20):
        assert sum(protected[: i + 1]) >= mtable[i]
    lifts = [
        m for m in ranking.to_dict(moves="all")["moves"] if m["reason"] != "shifted_by:fair_topk"
    ]
    assert lifts
    for move in lifts:
        found = re.fullmatch(
            r"placed at (\d+) instead of (\d+) to keep at least (\d+) posts? by protected "
            r"authors \(group=b\) in the first (\d+)",
            move["reason"],
        )
        assert found, move["reason"]
        at = int(found[1])
        assert at == move["after"] + 1
        assert int(found[2]) == move["before"] + 1
        assert int(found[4]) == at
        assert int(found[3]) == mtable[at - 1]
        assert sum(protected[: at - 1]) < mtable[at - 1]  # short without it
    assert lifts[0]["reason"] in ranking.explain(lifts[0]["post_id"]).to_text()


def test_authors_without_the_attribute_are_not_protected() -> None:
    batch = fair_batch(["", "", "b"], [3.0, 2.0, 1.0])
    assert batch.author_attribute("group").tolist() == ["", "", "b"]
    ranking = pipeline(FairTopK(attribute="group", value="b", p=0.9, alpha=0.15, k=3)).rank(
        batch, fr.Context.build(batch, now=NOW)
    )
    assert ranking.post_ids[0] == "p2"


def test_bad_parameters_are_spec_errors() -> None:
    with pytest.raises(fr.errors.SpecError):
        FairTopK(attribute="group", value="b", p=1.5)
    with pytest.raises(fr.errors.SpecError):
        FairTopK(attribute="a=b", value="b", p=0.5)


def test_a_logged_fair_ranking_replays_with_its_authors_attributes(tmp_path: Path) -> None:
    from feedrank.audit import DecisionLog, read_log, replay_record
    from tests.audit._helpers import DATA_KEY, KEY, assert_same_batch

    n = 30
    batch = fair_batch(
        ["b" if i % 5 == 4 else "a" for i in range(n)], [float(n - i) for i in range(n)]
    )
    pipe = pipeline(FairTopK(attribute="group", value="b", p=0.5, k=20))
    ctx = fr.Context.build(batch, now=NOW)
    ranking = pipe.rank(batch, ctx)
    assert ranking.move_counts()
    path = tmp_path / "log.jsonl"
    with DecisionLog(path, key=KEY, data_key=DATA_KEY) as log:
        log.append(ranking, ctx)
    record = read_log(path).records[0]
    assert_same_batch(batch, record.batch())
    assert replay_record(record, pipe).ok


@settings(max_examples=40, deadline=None)
@given(
    groups=st.lists(st.sampled_from(["a", "b", ""]), min_size=1, max_size=40),
    seed=st.integers(0, 2**16),
    k=st.integers(1, 30),
    p=st.sampled_from([0.2, 0.5, 0.8]),
)
def test_served_feeds_meet_every_prefix_after_other_rerankers(
    groups: list[str], seed: int, k: int, p: float
) -> None:
    from feedrank.stages.rerank import OnePerAuthor

    rng = np.random.default_rng(seed)
    n = len(groups)
    posts = [
        fr.Post(
            id=f"p{i}",
            author_id=f"a{i % 7}",
            created_at=NOW,
            features={"s": float(rng.random())},
        )
        for i in range(n)
    ]
    authors = [fr.Author(id=f"a{j}", attributes={"group": groups[j]}) for j in range(min(7, n))]
    batch = fr.PostBatch.from_posts(posts, authors)
    stage = FairTopK(attribute="group", value="b", p=p, k=k)
    ranking = pipeline(OnePerAuthor(), stage).rank(batch, fr.Context.build(batch, now=NOW), limit=n)
    protected = batch.author_attribute("group") == "b"
    served = protected[batch.index_of(list(ranking.post_ids))]
    counts = np.cumsum(served)
    mtable = stage.table().m
    for i in range(min(k, n)):
        assert counts[i] >= min(int(mtable[i]), int(protected.sum()))
