"""Beyond-accuracy measures against plain-Python computations."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from typing import TypeVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedrank.audit.reports import gini
from feedrank.datasets import simulate_demo
from feedrank.errors import InputError
from feedrank.evaluate.beyond import (
    author_concentration,
    catalog_coverage,
    group_exposure,
    intra_list_diversity,
    novelty,
    tag_matrix,
)

T = TypeVar("T")
N_ITEMS = 6
EMB = np.array(
    [
        [1.0, 0.0, 0.0],
        [0.0, 2.0, 0.0],
        [1.0, 1.0, 0.0],
        [-1.0, 0.5, 0.3],
        [0.2, 0.2, 3.0],
        [1, 1, 1],
    ]
)
TAGS = [{"news"}, {"news", "sport"}, set(), {"art", "music", "news"}, {"music"}, set()]
COUNTS = np.array([50, 20, 10, 5, 1, 0])
AUTHORS = ["ann", "bob", "ann", "cat", "dan", "bob"]  # author of each item
GROUPS = ["g1", "g2", "g1", "g2", "g3", "g2"]


@st.composite
def feeds(draw: st.DrawFn) -> tuple[list[int], list[int], list[int]]:
    """Rows (feed, item, position) in any order; feeds hold 1 to 6 rows."""
    rows: list[tuple[int, int, int]] = []
    for f in draw(st.lists(st.integers(0, 30), min_size=1, max_size=6, unique=True)):
        n = draw(st.integers(1, 6))
        items = draw(st.lists(st.integers(0, N_ITEMS - 1), min_size=n, max_size=n))
        rows += [(f, item, pos) for pos, item in enumerate(items)]
    rows = draw(st.permutations(rows))
    feed, item, position = (list(c) for c in zip(*rows, strict=True))
    return feed, item, position


def by_feed(f: list[int], values: list[T]) -> dict[int, list[T]]:
    out: dict[int, list[T]] = defaultdict(list)
    for fi, v in zip(f, values, strict=True):
        out[fi].append(v)
    return dict(sorted(out.items()))


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def jaccard(a: set[str], b: set[str]) -> float:
    return 1.0 if not a | b else len(a & b) / len(a | b)


def plain_ild(items: list[int], sim: str) -> float:
    if len(items) < 2:
        return math.nan
    pairs = list(itertools.combinations(items, 2))
    if sim == "cosine":
        sims = [cosine(EMB[i].tolist(), EMB[j].tolist()) for i, j in pairs]
    else:
        sims = [jaccard(TAGS[i], TAGS[j]) for i, j in pairs]
    return 1.0 - sum(sims) / len(sims)


def plain_gini(x: list[float]) -> float:
    x = sorted(x)
    n, total = len(x), sum(x)
    return 0.0 if total == 0 else sum((2 * k - n + 1) * v for k, v in enumerate(x)) / (n * total)


# ------------------------------------------------------------------- hand-made
def test_hand_made_feed() -> None:
    feed = ["b", "a", "a", "a", "b"]
    item = [0, 0, 1, 2, 0]
    pos = [1, 0, 1, 2, 0]
    ild = intra_list_diversity(feed, item, EMB)
    assert ild.feeds.tolist() == ["a", "b"]
    # a: cos(0,1) = 0, cos(0,2) = cos(1,2) = 1/√2; b: the same item twice
    assert ild.per_feed.tolist() == pytest.approx([1 - (2 / math.sqrt(2)) / 3, 0.0])
    assert ild.mean == pytest.approx((1 - math.sqrt(2) / 3) / 2)
    jac = intra_list_diversity(feed, item, tag_matrix(TAGS)[0], metric="jaccard")
    # a: J({news},{news,sport}) = .5, J(·, ∅) = 0 twice
    assert jac.per_feed.tolist() == pytest.approx([1 - 0.5 / 3, 0.0])
    nov = novelty(feed, item, COUNTS)
    share = COUNTS / 86
    assert nov.per_feed.tolist() == pytest.approx(
        [-np.log2(share[[0, 1, 2]]).mean(), -math.log2(50 / 86)]
    )
    assert catalog_coverage(item, N_ITEMS).to_dict() == {
        "served": 3,
        "available": 6,
        "coverage": 0.5,
    }
    authors = np.array(AUTHORS)[item]
    conc = author_concentration(feed, authors, pos, authors=AUTHORS)
    v = [1.0, 1 / math.log2(3), 0.5]  # ranks 1, 2, 3
    # feed a: ann at ranks 1 and 3 (item 0, item 2), bob at rank 2
    ann, bob = v[0] + v[2], v[1]
    s = [ann / (ann + bob), bob / (ann + bob)]
    assert conc.hhi[0] == pytest.approx(s[0] ** 2 + s[1] ** 2)
    assert conc.effective_authors[0] == pytest.approx(1 / (s[0] ** 2 + s[1] ** 2))
    assert conc.gini[0] == pytest.approx(plain_gini([ann, bob]))
    assert conc.n_authors.tolist() == [2, 1]
    assert conc.hhi[1] == 1.0
    assert conc.gini[1] == 0.0
    # overall: ann = a's ann + b's two ann rows (ranks 1, 2), bob, cat 0, dan 0
    total = {"ann": ann + v[0] + v[1], "bob": bob, "cat": 0.0, "dan": 0.0}
    assert dict(zip(conc.authors.tolist(), conc.exposure.tolist(), strict=True)) == pytest.approx(
        total
    )
    assert conc.overall.gini == pytest.approx(plain_gini(list(total.values())))
    assert conc.overall.n_sources == 4
    grp = group_exposure(feed, np.array(GROUPS)[item], pos, groups=["g1", "g2", "g3"])
    assert grp.total.tolist() == pytest.approx([ann + v[0] + v[1], bob, 0.0])
    assert grp.per_feed_share[1].tolist() == [1.0, 0.0, 0.0]
    assert grp.by_group()["g3"] == 0.0


# -------------------------------------------------------------------- Hypothesis
@settings(max_examples=60, deadline=None)
@given(feeds())
def test_intra_list_diversity_matches_plain_python(data: tuple[list[int], ...]) -> None:
    f, i, _ = data
    items = by_feed(f, list(i))
    for metric, table in (("cosine", EMB), ("jaccard", tag_matrix(TAGS)[0])):
        res = intra_list_diversity(f, i, table, metric=metric)  # type: ignore[arg-type]
        expected = [plain_ild(v, metric) for v in items.values()]
        assert res.feeds.tolist() == list(items)
        np.testing.assert_allclose(res.per_feed, expected, atol=1e-12)
        defined = [x for x in expected if not math.isnan(x)]
        assert res.n_defined == len(defined)
        if defined:
            assert res.mean == pytest.approx(sum(defined) / len(defined), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(feeds(), st.sampled_from([0.0, 1.0, 0.5]))
def test_novelty_matches_plain_python(data: tuple[list[int], ...], s: float) -> None:
    f, i, _ = data
    if s == 0.0 and N_ITEMS - 1 in i:  # item 5 was never seen: infinite novelty
        with pytest.raises(InputError, match="smoothing"):
            novelty(f, i, COUNTS, smoothing=s)
        return
    res = novelty(f, i, COUNTS, smoothing=s)
    total = sum(COUNTS.tolist())
    counts = COUNTS.tolist()
    for row, items in zip(res.per_feed, by_feed(f, list(i)).values(), strict=True):
        bits = [-math.log2((counts[k] + s) / (total + s * N_ITEMS)) for k in items]
        assert row == pytest.approx(sum(bits) / len(bits))


@settings(max_examples=60, deadline=None)
@given(feeds(), st.sampled_from(["position", "uniform"]))
def test_concentration_and_group_exposure_match_plain_python(
    data: tuple[list[int], ...], weighting: str
) -> None:
    f, i, p = data
    w = [1 / math.log2(2 + k) if weighting == "position" else 1.0 for k in p]
    authors = [AUTHORS[k] for k in i]
    groups = [GROUPS[k] for k in i]
    conc = author_concentration(f, authors, p, weighting=weighting)  # type: ignore[arg-type]
    grp = group_exposure(f, groups, p, weighting=weighting)  # type: ignore[arg-type]
    per_feed: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    per_group: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    overall: dict[str, float] = defaultdict(float)
    for fi, a, g, wi in zip(f, authors, groups, w, strict=True):
        per_feed[fi][a] += wi
        per_group[fi][g] += wi
        overall[a] += wi
    for k, fi in enumerate(sorted(per_feed)):
        e = list(per_feed[fi].values())
        shares = [x / sum(e) for x in e]
        hhi = sum(x * x for x in shares)
        assert conc.hhi[k] == pytest.approx(hhi)
        assert conc.effective_authors[k] == pytest.approx(1 / hhi)
        assert conc.gini[k] == pytest.approx(plain_gini(e), abs=1e-12)
        assert conc.gini[k] == pytest.approx(gini(np.array(e)), abs=1e-12)
        assert conc.n_authors[k] == len(e)
        for j, g in enumerate(grp.groups.tolist()):
            assert grp.per_feed[k, j] == pytest.approx(per_group[fi].get(g, 0.0))
        assert grp.per_feed_share[k].sum() == pytest.approx(1.0)
    assert conc.overall.gini == pytest.approx(plain_gini(list(overall.values())), abs=1e-12)
    assert conc.exposure.sum() == pytest.approx(sum(w))
    assert grp.total.sum() == pytest.approx(sum(w))
    assert grp.share.sum() == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(feeds(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(data: tuple[list[int], ...], rnd: object) -> None:
    f, i, p = data
    order = list(range(len(f)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    g, j, q = ([x[k] for k in order] for x in (f, i, p))
    a = intra_list_diversity(f, i, EMB)
    b = intra_list_diversity(g, j, EMB)
    np.testing.assert_allclose(a.per_feed, b.per_feed, atol=1e-12)
    authors = np.array(AUTHORS)
    c1 = author_concentration(f, authors[i], p)
    c2 = author_concentration(g, authors[j], q)
    np.testing.assert_allclose(c1.gini, c2.gini, atol=1e-12)
    np.testing.assert_allclose(c1.hhi, c2.hhi, atol=1e-12)


# -------------------------------------------------------------- simulated feeds
def test_on_simulated_impressions() -> None:
    net = simulate_demo()
    imp, truth = net.impressions, net.truth
    topics = truth.post_topics
    res = intra_list_diversity(imp.session, imp.post_index, topics)
    assert res.feeds.shape[0] == int(imp.session.max()) + 1
    # a slow per-feed reference on a few feeds
    for s in (0, 5, res.feeds.shape[0] - 1):
        rows = imp.post_index[imp.session == s]
        assert res.per_feed[s] == pytest.approx(plain_ild_table(rows.tolist(), topics))
    counts = np.bincount(imp.post_index, minlength=len(net.posts))
    nov = novelty(imp.session, imp.post_index, counts)
    assert np.all(nov.per_feed > 0)
    cov = catalog_coverage(imp.post_index, len(net.posts))
    assert cov.served == len(set(imp.post_index.tolist()))
    author_group = np.array([a.attributes["group"] for a in net.authors])
    grp = group_exposure(imp.session, author_group[truth.post_author[imp.post_index]], imp.position)
    assert set(grp.groups.tolist()) <= set(net.groups)
    assert grp.share.sum() == pytest.approx(1.0)


def plain_ild_table(items: list[int], table: np.ndarray) -> float:
    sims = [
        cosine(table[a].tolist(), table[b].tolist()) for a, b in itertools.combinations(items, 2)
    ]
    return 1.0 - sum(sims) / len(sims)


# ------------------------------------------------------------------------ errors
def test_input_errors() -> None:
    with pytest.raises(InputError, match="zero or non-finite"):
        intra_list_diversity([0, 0], [0, 1], np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(InputError, match="bool"):
        intra_list_diversity([0, 0], [0, 1], EMB, metric="jaccard")
    with pytest.raises(InputError, match="metric"):
        intra_list_diversity([0, 0], [0, 1], EMB, metric="euclid")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"item row in 0\.\.5"):
        intra_list_diversity([0, 0], [0, 6], EMB)
    with pytest.raises(InputError, match="2 rows"):
        novelty([0, 0], [0, 1, 2], COUNTS)
    with pytest.raises(InputError, match="not available"):
        catalog_coverage([0, 1], np.array([True, False, True]))
    with pytest.raises(InputError, match="not in authors"):
        author_concentration([0], ["zed"], [0], authors=AUTHORS)
    with pytest.raises(InputError, match="not in groups"):
        group_exposure([0], ["g9"], [0], groups=["g1"])
    with pytest.raises(InputError, match="0-based"):
        group_exposure([0], ["g1"], [-1])
    with pytest.raises(InputError, match="weighting"):
        group_exposure([0], ["g1"], [0], weighting="log")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="at least one"):
        novelty([], [], COUNTS)
    with pytest.raises(InputError, match="total"):
        novelty([0], [0], COUNTS, total=10)
