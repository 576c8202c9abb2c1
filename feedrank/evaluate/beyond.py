"""Beyond accuracy: coverage, diversity, novelty, concentration and group exposure.

Data layout
-----------
Feeds come as columns with one row per (feed, slot) served, m rows in any order:

- ``feed``: ndarray (m,), any 1-D dtype (ints or strings): the feed (request,
  session) of the row. Results list feeds in ascending id order (``feeds``, (F,)).
- ``item``: ndarray (m,), integer: the row of the served item in the item tables
  (``vectors`` (N, d) embeddings or (N, T) tags, ``counts`` (N,)), 0 <= item < N.
- ``position``: ndarray (m,), integer >= 0: the 0-based slot, rank = position + 1
  (as :class:`feedrank.datasets.Impressions`); exposure weight
  v = 1 / log2(1 + rank) (:func:`feedrank.audit.reports.position_weights`).
- ``author`` / ``group``: ndarray (m,), any 1-D dtype: the label of each row.

With :class:`~feedrank.datasets.Impressions` ``imp`` and ground truth ``t``:
``feed=imp.session``, ``item=imp.post_index``, ``position=imp.position``,
``author=t.post_author[imp.post_index]``.

Measures (per feed f with n_f rows, then aggregated)
----------------------------------------------------
- Catalog coverage: |distinct items served| / |distinct items available|.
- Intra-list diversity (Ziegler 2005): ILD_f = 1 − (2 / (n_f (n_f − 1))) Σ_{i<j} sim(i, j)
  over the feed's rows (two rows of one item count as a pair of similarity 1).
  ``metric="cosine"``: sim = u_i·u_j / (|u_i| |u_j|) on embeddings (so ILD is in
  [0, 2]); with unit rows û, Σ_{i≠j} sim = |Σ_i û_i|² − Σ_i |û_i|², so no pair is
  formed;
  ``metric="jaccard"``: sim = |A ∩ B| / |A ∪ B| on tag sets, with sim(∅, ∅) = 1 (as
  scipy's Jaccard distance 0), ILD in [0, 1]. Feeds with fewer than 2 rows get NaN
  and are left out of the mean.
- Novelty (Castells 2011): nov(i) = −log2 p(i), p(i) = (c_i + s) / (T + s N), c the
  popularity counts, T = Σ c (or a given ``total``, e.g. the number of users for
  −log2(users who saw i / users)), s = ``smoothing``; the feed's mean over its rows.
- Author concentration over exposure e_a (Σ v over the author's rows, or row
  counts with ``weighting="uniform"``), shares s_a = e_a / Σ e: Gini
  Σ_i (2i − N − 1) e_(i) / (N Σ e) (:func:`feedrank.audit.reports.gini`, ascending,
  zero-exposure authors of ``authors`` included), HHI = Σ s_a², effective number of
  authors 1 / HHI. Per feed, over the authors present in the feed.
- Group exposure: Σ v of each group's rows per feed and overall, and shares.

The feed mean of a per-feed measure weighs every feed equally (macro average).

>>> import numpy as np
>>> feed = np.array([0, 0, 0, 1, 1])
>>> item = np.array([0, 1, 2, 0, 0])
>>> emb = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
>>> ild = intra_list_diversity(feed, item, emb)
>>> ild.per_feed.round(4).tolist(), round(ild.mean, 4)
([0.5286, 0.0], 0.2643)
>>> catalog_coverage(item, 4).coverage
0.75
>>> novelty(feed, item, np.array([6, 1, 1])).per_feed.round(3).tolist()
[2.138, 0.415]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from feedrank.audit.reports import gini, position_weights
from feedrank.errors import InputError

__all__ = [
    "AuthorConcentration",
    "Concentration",
    "Coverage",
    "GroupExposure",
    "PerFeed",
    "author_concentration",
    "catalog_coverage",
    "group_exposure",
    "intra_list_diversity",
    "novelty",
    "tag_matrix",
]

Weighting = Literal["position", "uniform"]
_CELLS = 1 << 22  # padded cells per block in the Jaccard pairs


# --------------------------------------------------------------------- results
@dataclass(frozen=True)
class Coverage:
    """Catalog coverage: distinct items served over distinct items available."""

    served: int
    available: int
    coverage: float

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True, eq=False)
class PerFeed:
    """A measure per feed and its mean over the feeds where it is defined."""

    measure: str
    """"ild_cosine", "ild_jaccard" or "novelty"."""
    feeds: NDArray[Any]
    """ndarray (F,): the feed ids, ascending."""
    per_feed: NDArray[np.float64]
    """ndarray (F,), float64 (NaN where undefined, e.g. ILD of a 1-item feed)."""
    mean: float
    """Mean of the defined per-feed values (each feed weighs the same); NaN if none."""
    n_defined: int
    """Feeds with a defined value."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "feeds": self.feeds.tolist(),
            "per_feed": [None if np.isnan(v) else v for v in self.per_feed.tolist()],
            "mean": self.mean,
            "n_defined": self.n_defined,
        }


@dataclass(frozen=True)
class Concentration:
    """Concentration of exposure over sources."""

    gini: float
    hhi: float
    effective: float
    """1 / HHI (0 when nothing was exposed)."""
    n_sources: int
    """Sources counted, zero-exposure ones included."""


@dataclass(frozen=True, eq=False)
class AuthorConcentration:
    """Author concentration per feed (over the authors in the feed) and overall."""

    feeds: NDArray[Any]
    """ndarray (F,): feed ids, ascending."""
    gini: NDArray[np.float64]
    """ndarray (F,), float64."""
    hhi: NDArray[np.float64]
    """ndarray (F,), float64."""
    effective_authors: NDArray[np.float64]
    """ndarray (F,), float64: 1 / HHI."""
    n_authors: NDArray[np.int64]
    """ndarray (F,), int64: distinct authors in each feed."""
    overall: Concentration
    """Over the summed exposure of every author (and of ``authors`` not served)."""
    authors: NDArray[Any]
    """ndarray (A,): author labels, ascending."""
    exposure: NDArray[np.float64]
    """ndarray (A,), float64: each author's total exposure."""
    weighting: Weighting

    def to_dict(self) -> dict[str, Any]:
        return {
            "feeds": self.feeds.tolist(),
            "gini": self.gini.tolist(),
            "hhi": self.hhi.tolist(),
            "effective_authors": self.effective_authors.tolist(),
            "n_authors": self.n_authors.tolist(),
            "overall": vars(self.overall),
            "exposure": dict(zip(self.authors.tolist(), self.exposure.tolist(), strict=True)),
            "weighting": self.weighting,
        }


@dataclass(frozen=True, eq=False)
class GroupExposure:
    """Exposure of each group per feed and overall (G groups, F feeds)."""

    groups: NDArray[Any]
    """ndarray (G,): group labels, ascending."""
    feeds: NDArray[Any]
    """ndarray (F,): feed ids, ascending."""
    per_feed: NDArray[np.float64]
    """ndarray (F, G), float64: Σ v of each group's rows in each feed."""
    per_feed_share: NDArray[np.float64]
    """ndarray (F, G), float64: rows of ``per_feed`` divided by their sums."""
    total: NDArray[np.float64]
    """ndarray (G,), float64: Σ v over all feeds."""
    share: NDArray[np.float64]
    """ndarray (G,), float64: ``total`` / Σ total."""
    mean_share: NDArray[np.float64]
    """ndarray (G,), float64: mean of ``per_feed_share`` over feeds."""
    weighting: Weighting

    def by_group(self) -> dict[Any, float]:
        """Group -> share of the total exposure."""
        return dict(zip(self.groups.tolist(), self.share.tolist(), strict=True))

    def to_dict(self) -> dict[str, Any]:
        g = self.groups.tolist()
        return {
            "groups": g,
            "total": dict(zip(g, self.total.tolist(), strict=True)),
            "share": dict(zip(g, self.share.tolist(), strict=True)),
            "mean_share": dict(zip(g, self.mean_share.tolist(), strict=True)),
            "weighting": self.weighting,
        }


# ------------------------------------------------------------------ validation


def _scalar(value: object) -> object:
    """A numpy scalar as the Python value (for readable error messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _labels(values: ArrayLike, field: str, m: int | None = None) -> NDArray[Any]:
    x = np.asarray(values)
    if x.ndim != 1 or (m is not None and x.shape[0] != m):
        want = "a 1-D array" if m is None else f"a 1-D array of {m} rows (one per feed row)"
        raise InputError(f"got shape {x.shape}", field=field, expected=want)
    return x


def _indices(values: ArrayLike, field: str, m: int | None, n: int) -> NDArray[np.intp]:
    x = _labels(values, field, m)
    if x.shape[0] and not np.issubdtype(x.dtype, np.integer):
        raise InputError(f"dtype {x.dtype}", field=field, expected="integer item rows")
    bad = (x < 0) | (x >= n)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(
            f"value {x[i]} at row {i}", field=field, expected=f"an item row in 0..{n - 1}"
        )
    return x.astype(np.intp)


def _ranks(position: ArrayLike, m: int) -> NDArray[np.int64]:
    p = _labels(position, "position", m)
    if m and not np.issubdtype(p.dtype, np.integer):
        raise InputError(f"dtype {p.dtype}", field="position", expected="integer positions")
    if (p < 0).any():
        i = int(np.argmax(p < 0))
        raise InputError(f"value {p[i]} at row {i}", field="position", expected="0-based >= 0")
    return p.astype(np.int64) + 1


def _segments(feed: ArrayLike) -> tuple[NDArray[Any], NDArray[np.intp], NDArray[np.int64]]:
    """Feed ids (F,), each row's feed index (m,) and the rows per feed (F,)."""
    f = _labels(feed, "feed")
    if f.shape[0] == 0:
        raise InputError("no rows", field="feed", expected="at least one served row")
    ids, code = np.unique(f, return_inverse=True)
    code = code.astype(np.intp).reshape(-1)
    return ids, code, np.bincount(code, minlength=ids.shape[0]).astype(np.int64)


def _row_weights(ranks: NDArray[np.int64], weighting: object) -> NDArray[np.float64]:
    if weighting == "position":
        return position_weights(ranks)
    if weighting == "uniform":
        return np.ones(ranks.shape[0], dtype=np.float64)
    raise InputError(f"got {weighting!r}", field="weighting", expected="'position' or 'uniform'")


def _table(values: ArrayLike, field: str) -> NDArray[Any]:
    x = np.asarray(values)
    if x.ndim != 2:
        raise InputError(f"got shape {x.shape}", field=field, expected="a 2-D (N, d) table")
    return x


def _per_feed(measure: str, ids: NDArray[Any], values: NDArray[np.float64]) -> PerFeed:
    ok = ~np.isnan(values)
    mean = float(values[ok].mean()) if ok.any() else float("nan")
    return PerFeed(measure, ids, values, mean, int(ok.sum()))


# ----------------------------------------------------------------------- coverage
def catalog_coverage(item: ArrayLike, available: int | ArrayLike) -> Coverage:
    """|distinct items served| / |distinct items available|.

    ``item``: ndarray (m,), integer item rows. ``available``: N (every item
    0..N−1 is available) or a bool mask (N,) of the available items. A served
    item outside the catalog (or not available) raises InputError.

    >>> catalog_coverage(np.array([0, 0, 2]), np.array([True, False, True, True])).coverage
    0.6666666666666666
    """
    if isinstance(available, (int, np.integer)) and not isinstance(available, bool):
        n = int(available)
        if n < 1:
            raise InputError(f"got {n}", field="available", expected="a catalog size >= 1")
        mask = np.ones(n, dtype=bool)
    else:
        mask = np.asarray(available)
        if mask.ndim != 1 or mask.dtype != np.bool_ or not mask.any():
            raise InputError(
                f"got shape {mask.shape}, dtype {mask.dtype}",
                field="available",
                expected="an integer N or a 1-D bool mask with some item available",
            )
    rows = _indices(item, "item", None, mask.shape[0])
    served = np.unique(rows)
    off = ~mask[served]
    if off.any():
        raise InputError(
            f"item {int(served[int(np.argmax(off))])} was served but is not available",
            field="item",
            expected="served items among the available ones",
        )
    n_avail = int(mask.sum())
    return Coverage(int(served.shape[0]), n_avail, served.shape[0] / n_avail)


# ---------------------------------------------------------------------- diversity
def tag_matrix(
    tag_sets: Sequence[Sequence[str] | set[str] | frozenset[str]],
) -> tuple[NDArray[np.bool_], tuple[str, ...]]:
    """An indicator matrix (N, T), bool, of N tag sets and its T tags (sorted).

    >>> m, tags = tag_matrix([{"news", "sport"}, {"sport"}, set()])
    >>> m.astype(int).tolist(), tags
    ([[1, 1], [0, 1], [0, 0]], ('news', 'sport'))
    """
    vocab = tuple(sorted({t for tags in tag_sets for t in tags}))
    index = {t: i for i, t in enumerate(vocab)}
    out = np.zeros((len(tag_sets), len(vocab)), dtype=bool)
    for row, tags in enumerate(tag_sets):
        out[row, [index[t] for t in tags]] = True
    return out, vocab


def intra_list_diversity(
    feed: ArrayLike,
    item: ArrayLike,
    vectors: ArrayLike,
    *,
    metric: Literal["cosine", "jaccard"] = "cosine",
) -> PerFeed:
    """ILD_f = 1 − mean pairwise similarity of the feed's items (module docstring).

    ``feed``, ``item``: (m,) as in the module layout. ``vectors``: (N, d) float
    embeddings for ``metric="cosine"`` (a served item with a zero or non-finite
    vector raises InputError), or (N, T) bool tag indicators for ``"jaccard"``
    (see :func:`tag_matrix`). Returns a :class:`PerFeed` (NaN for 1-row feeds).

    >>> tags, _ = tag_matrix([{"a"}, {"a", "b"}, {"c"}])
    >>> intra_list_diversity([0, 0, 0], [0, 1, 2], tags, metric="jaccard").per_feed.round(4)
    array([0.8333])
    """
    ids, code, sizes = _segments(feed)
    table = _table(vectors, "vectors")
    rows = _indices(item, "item", code.shape[0], table.shape[0])
    n_f = sizes.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        pairs = np.where(sizes >= 2, n_f * (n_f - 1.0), np.nan)
    if metric == "cosine":
        emb = np.asarray(table, dtype=np.float64)
        used = np.unique(rows)
        norms = np.linalg.norm(emb[used], axis=1)
        bad = ~np.isfinite(norms) | (norms == 0.0)
        if bad.any():
            raise InputError(
                f"item {int(used[int(np.argmax(bad))])} has a zero or non-finite vector",
                field="vectors",
                expected="finite, non-zero embeddings for cosine similarity",
            )
        unit = np.zeros_like(emb)
        unit[used] = emb[used] / norms[:, None]
        # Σ_i û_i per feed as a sparse (F, N) count matrix times the unit table,
        # without materialising the (m, d) rows
        counts = sparse.csr_matrix(
            (np.ones(rows.shape[0]), (code, rows)), shape=(ids.shape[0], emb.shape[0])
        )
        sums = np.asarray(counts @ unit, dtype=np.float64)
        sq_norm = (unit * unit).sum(axis=1)  # 1 up to rounding
        self_sim = np.bincount(code, weights=sq_norm[rows], minlength=ids.shape[0])
        off_diagonal = (sums * sums).sum(axis=1) - self_sim  # Σ_{i≠j} cos(i, j)
        return _per_feed("ild_cosine", ids, 1.0 - off_diagonal / pairs)
    if metric == "jaccard":
        if table.dtype != np.bool_:
            raise InputError(
                f"dtype {table.dtype}", field="vectors", expected="a bool (N, T) tag matrix"
            )
        off_diagonal = _jaccard_pair_sums(code, rows, table, ids.shape[0])
        return _per_feed("ild_jaccard", ids, 1.0 - off_diagonal / pairs)
    raise InputError(f"got {metric!r}", field="metric", expected="'cosine' or 'jaccard'")


def _jaccard_pair_sums(
    code: NDArray[np.intp], rows: NDArray[np.intp], tags: NDArray[np.bool_], n_feeds: int
) -> NDArray[np.float64]:
    """Σ_{i≠j} Jaccard(i, j) per feed, from feeds padded to (F, L, T) in blocks."""
    order = np.argsort(code, kind="stable")
    code_s, rows_s = code[order], rows[order]
    starts = np.searchsorted(code_s, np.arange(n_feeds))
    within = np.arange(code_s.shape[0]) - starts[code_s]
    length = int(within.max()) + 1
    t = max(tags.shape[1], 1)
    block = max(1, _CELLS // (length * (length + t)))
    out = np.zeros(n_feeds, dtype=np.float64)
    for lo in range(0, n_feeds, block):
        hi = min(lo + block, n_feeds)
        sel = (code_s >= lo) & (code_s < hi)
        x = np.zeros((hi - lo, length, tags.shape[1]), dtype=np.float64)
        present = np.zeros((hi - lo, length), dtype=bool)
        x[code_s[sel] - lo, within[sel]] = tags[rows_s[sel]]
        present[code_s[sel] - lo, within[sel]] = True
        inter = x @ x.transpose(0, 2, 1)
        size = x.sum(axis=2)
        union = size[:, :, None] + size[:, None, :] - inter
        sim = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 1.0)
        valid = present[:, :, None] & present[:, None, :]
        valid &= ~np.eye(length, dtype=bool)[None, :, :]
        out[lo:hi] = (sim * valid).sum(axis=(1, 2))
    return out


# ------------------------------------------------------------------------ novelty
def novelty(
    feed: ArrayLike,
    item: ArrayLike,
    counts: ArrayLike,
    *,
    total: float | None = None,
    smoothing: float = 0.0,
) -> PerFeed:
    """Mean novelty −log2 p(i) of each feed's items, p(i) = (c_i + s) / (T + s N).

    ``counts``: (N,) popularity counts >= 0 (interactions, or users who saw the
    item); ``total`` T (default Σ c) must be > 0 and >= every count; ``smoothing``
    s >= 0 (add-s). A served item with p(i) = 0 raises InputError (pass
    ``smoothing=1`` for Laplace smoothing). Returns a :class:`PerFeed` in bits.
    """
    ids, code, sizes = _segments(feed)
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 1 or c.shape[0] == 0 or not np.all(np.isfinite(c)) or (c < 0).any():
        raise InputError(
            f"got shape {c.shape}", field="counts", expected="a 1-D array of counts >= 0"
        )
    if not (np.isfinite(smoothing) and smoothing >= 0):
        raise InputError(f"got {smoothing!r}", field="smoothing", expected="a number >= 0")
    t = float(c.sum()) if total is None else float(total)
    if not (np.isfinite(t) and t > 0 and t >= float(c.max())):
        raise InputError(f"got {t!r}", field="total", expected="a number > 0 and >= every count")
    rows = _indices(item, "item", code.shape[0], c.shape[0])
    share = (c[rows] + smoothing) / (t + smoothing * c.shape[0])
    if (share <= 0).any():
        i = int(np.argmax(share <= 0))
        raise InputError(
            f"item {int(rows[i])} (row {i}) has popularity 0, novelty would be infinite",
            field="counts",
            expected="counts > 0 for served items, or smoothing > 0",
        )
    bits = -np.log2(share)
    return _per_feed("novelty", ids, np.bincount(code, weights=bits) / sizes)


# ------------------------------------------------------------------ concentration
def author_concentration(
    feed: ArrayLike,
    author: ArrayLike,
    position: ArrayLike,
    *,
    authors: ArrayLike | None = None,
    weighting: Weighting = "position",
) -> AuthorConcentration:
    """Gini, HHI and effective number of authors per feed and overall.

    ``feed``, ``author``, ``position``: (m,) as in the module layout.
    ``weighting="position"`` weighs a row by v = 1 / log2(1 + rank), ``"uniform"``
    by 1 (slot counts). ``authors``: (A,) the author universe, so that authors
    never served count with zero exposure in the overall Gini (a served author
    outside it raises InputError); per-feed measures cover the authors in the
    feed. Per-feed Gini uses the same formula as :func:`~feedrank.audit.reports.gini`
    applied to each feed (segmented, without a loop over feeds).

    >>> r = author_concentration([0, 0, 0], ["a", "a", "b"], [0, 1, 2], weighting="uniform")
    >>> round(float(r.hhi[0]), 4), round(float(r.effective_authors[0]), 2), r.overall.gini
    (0.5556, 1.8, 0.16666666666666666)
    """
    ids, code, _ = _segments(feed)
    m = code.shape[0]
    labels = _labels(author, "author", m)
    v = _row_weights(_ranks(position, m), weighting)
    if authors is None:
        names, a_code = np.unique(labels, return_inverse=True)
    else:
        names = np.unique(_labels(authors, "authors"))
        a_code = np.searchsorted(names, labels)
        slot = np.minimum(a_code, names.shape[0] - 1)
        bad = names[slot] != labels if names.shape[0] else np.ones(m, dtype=bool)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(
                f"author {_scalar(labels[i])!r} (row {i}) is not in authors",
                field="author",
                expected="served authors among the given authors",
            )
    a_code = a_code.astype(np.intp).reshape(-1)
    n_a = names.shape[0]
    exposure = np.asarray(np.bincount(a_code, weights=v, minlength=n_a), dtype=np.float64)
    grand = float(exposure.sum())
    s = exposure / grand if grand > 0 else exposure
    hhi_all = float((s * s).sum())
    overall = Concentration(gini(exposure), hhi_all, 1.0 / hhi_all if hhi_all > 0 else 0.0, n_a)

    # (feed, author) pairs present, with their exposure
    pair, pair_code = np.unique(code.astype(np.int64) * n_a + a_code, return_inverse=True)
    pair_exp = np.bincount(pair_code.reshape(-1), weights=v, minlength=pair.shape[0])
    pair_feed = (pair // n_a).astype(np.intp)
    f = ids.shape[0]
    feed_total = np.bincount(pair_feed, weights=pair_exp, minlength=f)
    n_auth = np.bincount(pair_feed, minlength=f).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = pair_exp / feed_total[pair_feed]
    share = np.where(np.isfinite(share), share, 0.0)
    hhi = np.bincount(pair_feed, weights=share * share, minlength=f)
    effective = np.where(hhi > 0, 1.0 / np.where(hhi > 0, hhi, 1.0), 0.0)
    # segmented Gini: Σ (2i − n − 1) x_(i) / (n Σ x), x ascending within each feed
    order = np.lexsort((pair_exp, pair_feed))
    sorted_feed = pair_feed[order]
    first = np.searchsorted(sorted_feed, np.arange(f))
    i = (np.arange(order.shape[0]) - first[sorted_feed] + 1).astype(np.float64)
    n_of = n_auth[sorted_feed].astype(np.float64)
    num = np.bincount(sorted_feed, weights=(2 * i - n_of - 1) * pair_exp[order], minlength=f)
    denom = n_auth * feed_total
    g = np.where(denom > 0, num / np.where(denom > 0, denom, 1.0), 0.0)
    return AuthorConcentration(
        feeds=ids,
        gini=g.astype(np.float64),
        hhi=hhi.astype(np.float64),
        effective_authors=effective.astype(np.float64),
        n_authors=n_auth,
        overall=overall,
        authors=names,
        exposure=exposure.astype(np.float64),
        weighting="position" if weighting == "position" else "uniform",
    )


def group_exposure(
    feed: ArrayLike,
    group: ArrayLike,
    position: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    weighting: Weighting = "position",
) -> GroupExposure:
    """Exposure Σ v, v = 1 / log2(1 + rank), of each group per feed and overall.

    ``feed``, ``group``, ``position``: (m,) as in the module layout. ``groups``:
    (G,) every group to report, so that groups never served show 0 (a served
    group outside it raises InputError). ``weighting="uniform"`` counts slots.

    >>> r = group_exposure([0, 0, 1], ["x", "y", "y"], [0, 1, 0], groups=["x", "y", "z"])
    >>> r.total.round(4).tolist(), r.share.round(4).tolist()
    ([1.0, 1.6309, 0.0], [0.3801, 0.6199, 0.0])
    """
    ids, code, _ = _segments(feed)
    m = code.shape[0]
    labels = _labels(group, "group", m)
    v = _row_weights(_ranks(position, m), weighting)
    if groups is None:
        names, g_code = np.unique(labels, return_inverse=True)
    else:
        names = np.unique(_labels(groups, "groups"))
        g_code = np.searchsorted(names, labels)
        slot = np.minimum(g_code, max(names.shape[0] - 1, 0))
        bad = names[slot] != labels if names.shape[0] else np.ones(m, dtype=bool)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(
                f"group {_scalar(labels[i])!r} (row {i}) is not in groups",
                field="group",
                expected="served groups among the given groups",
            )
    g_code = g_code.astype(np.intp).reshape(-1)
    n_g, f = names.shape[0], ids.shape[0]
    flat = np.bincount(code * n_g + g_code, weights=v, minlength=f * n_g)
    per_feed = np.asarray(flat, dtype=np.float64).reshape(f, n_g)
    row_sum = per_feed.sum(axis=1, keepdims=True)
    per_share = per_feed / np.where(row_sum > 0, row_sum, 1.0)
    total = per_feed.sum(axis=0)
    grand = float(total.sum())
    return GroupExposure(
        groups=names,
        feeds=ids,
        per_feed=per_feed,
        per_feed_share=per_share,
        total=total,
        share=total / grand if grand > 0 else total,
        mean_share=per_share.mean(axis=0),
        weighting="position" if weighting == "position" else "uniform",
    )
