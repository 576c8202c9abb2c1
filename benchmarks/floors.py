"""Hand-written numpy floors of the ``reddit-hot`` and ``balanced`` presets.

Each floor is the straightforward numpy for exactly the preset's algorithm and
the outputs the benchmarks compare: the same keep/remove decisions, every
signal, the weighted sum keeping the (m, T) contributions, the factors, the
sort with the documented ties (score desc, created_at desc, post id asc), the
preset's re-rankers and the page. It produces no reason strings, no moves and
no explanation arrays beyond contributions and factors, and runs no checks.

The floors read only the plain columns of a :class:`~feedrank.PostBatch`
(``ids``, ``author_ids``, ``created_at``, ``counts``, ``text``, the CSR arrays
of ``topics`` and ``labels``, ``reply_to``), the viewer models and the
interaction log, never anything feedrank derives or caches. Every formula is
evaluated in the same floating-point order as the preset's documented formula,
so scores, contributions and factors come out bit for bit equal to feedrank's
(row sums over T <= 8 columns are left to right in numpy, as in feedrank).

Where the two presets leave a choice, a floor takes the cheaper one that gives
the same outputs: the muted-word filter runs last, only on the posts the other
filters kept (removals do not depend on filter order; only reasons would), and
tests words with Python's ``in`` on lower-cased ``str`` before the whole-word
pattern (the same test as feedrank's ``np.strings.find`` prefilter, faster on
this data); reddit-hot's page is a partial sort of the top 50.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank import Interaction, InteractionKind, PostBatch, Viewer
from feedrank.batch.requests import Requests
from feedrank.models import NEGATIVE_KINDS

__all__ = [
    "Floor",
    "Prepared",
    "balanced_many",
    "balanced_one",
    "prepare",
    "reddit_hot",
]

K = InteractionKind
_COL = {kind: j for j, kind in enumerate(K)}
LIKE, REPOST, REPLY, VIEW = _COL[K.LIKE], _COL[K.REPOST], _COL[K.REPLY], _COL[K.VIEW]
BOOKMARK, UPVOTE, DOWNVOTE = _COL[K.BOOKMARK], _COL[K.UPVOTE], _COL[K.DOWNVOTE]
HOUR = 3_600_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MICRO = timedelta(microseconds=1)

# reddit-hot (feedrank/presets/reddit.py)
REDDIT_EPOCH = 1134028003.0
HOT_SCALE = 45000.0

# balanced (feedrank/presets/basic.py) and the default AffinityModel
MAX_AGE_H = 72.0
SEE_FEWER_DAYS = 14.0
"""balanced removes an author's posts for 14 days after the viewer hid one."""
DAY_US = 86_400_000_000
HIDE_COLUMN = NEGATIVE_KINDS.index(InteractionKind.HIDE)
RATE_PRIOR_RATE = 0.05
"""like_rate of a post without a view count: the prior rate."""
EXCLUDE_LABEL = "spam"
W_ENGAGEMENT, W_RATE, W_AFFINITY, W_IN_NETWORK, W_INTERESTS, W_NEGATIVE = (
    1.0,
    4.0,
    1.5,
    1.0,
    2.0,
    -2.0,
)
RATE_PRIOR = 0.05 * 20.0  # prior_rate · prior_strength, as EngagementRate computes it
RATE_STRENGTH = 20.0
GRAVITY, GRAVITY_OFFSET_H = 1.2, 2.0
REPLY_FACTOR = 0.75
DIVERSITY_DECAY, DIVERSITY_FLOOR = 0.5, 0.25
CAP_IN, CAP_OUT = 25, 25
AFFINITY_HALF_LIFE_H = 168.0
AFFINITY_WEIGHTS = {
    K.LIKE: 1.0,
    K.REPOST: 2.0,
    K.REPLY: 3.0,
    K.QUOTE: 2.0,
    K.CLICK: 0.5,
    K.SHARE: 2.0,
    K.BOOKMARK: 2.0,
    K.UPVOTE: 1.0,
}
NEGATIVE = frozenset(NEGATIVE_KINDS)
TERMS = ("engagement", "like_rate", "affinity", "in_network", "interests", "negative")


@dataclass(frozen=True, eq=False)
class Floor:
    """A floor's result. ``kept``: candidate rows kept, ascending; ``contributions``
    (m, T), ``factors`` (m, F), ``scores`` (m,) aligned with ``kept``; ``page``:
    candidate rows served, best first, request after request; ``page_offsets``
    (S + 1,) where each request's page starts."""

    kept: NDArray[np.intp]
    contributions: NDArray[np.float64]
    factors: NDArray[np.float64]
    scores: NDArray[np.float64]
    page: NDArray[np.intp]
    page_scores: NDArray[np.float64]
    page_offsets: NDArray[np.intp]


# ------------------------------------------------------------------ sorting
def _break_ties(
    order: NDArray[np.intp],
    eq: NDArray[np.bool_],
    created: NDArray[np.int64],
    ids_of: Callable[[NDArray[np.intp]], NDArray[Any]],
) -> NDArray[np.intp]:
    """Re-sort each run of equal scores (``eq[i]``: order[i] ties order[i + 1]) by
    created_at desc, then id asc; ids are read only for the tied rows."""
    in_run = np.zeros(order.shape[0], dtype=bool)
    in_run[:-1] |= eq
    in_run[1:] |= eq
    pos = np.flatnonzero(in_run)
    start = np.ones(pos.shape[0], dtype=bool)
    start[1:] = ~eq[pos[1:] - 1]
    run = np.cumsum(start)
    rows = order[pos]
    order[pos] = rows[np.lexsort((ids_of(rows), -created[rows], run))]
    return order


def _order(
    score: NDArray[np.float64],
    created: NDArray[np.int64],
    ids_of: Callable[[NDArray[np.intp]], NDArray[Any]],
) -> NDArray[np.intp]:
    """Rows by score desc, created_at desc, id asc (one request)."""
    order = np.argsort(-score)
    s = score[order]
    eq = s[1:] == s[:-1]
    if eq.any():
        order = _break_ties(order, eq, created, ids_of)
    return order


def _segmented_order(
    score: NDArray[np.float64],
    created: NDArray[np.int64],
    ids_of: Callable[[NDArray[np.intp]], NDArray[Any]],
    lengths: NDArray[np.intp],
    starts: NDArray[np.intp],
    seg: NDArray[np.intp],
    local: NDArray[np.intp],
) -> NDArray[np.intp]:
    """:func:`_order` within every request, requests one after another: one
    padded (S, longest) argsort."""
    width = int(lengths.max()) if lengths.shape[0] else 0
    grid = np.full((lengths.shape[0], width), np.inf)
    grid[seg, local] = -score
    by = np.argsort(grid, axis=1)
    order = (by + starts[:, None])[np.arange(width) < lengths[:, None]]
    s = score[order]
    eq = s[1:] == s[:-1]
    cuts = starts[1:]
    cuts = cuts[(cuts > 0) & (cuts < order.shape[0])]
    eq[cuts - 1] = False
    if eq.any():
        order = _break_ties(order, eq, created, ids_of)
    return order


def _group_rank(groups: NDArray[np.int64], order: NDArray[np.intp]) -> NDArray[np.int64]:
    """0-based rank of every row among the rows with the same group key, in ``order``."""
    g = groups[order]
    by = np.argsort(g, kind="stable")
    sg = g[by]
    start = np.ones(g.shape[0], dtype=bool)
    start[1:] = sg[1:] != sg[:-1]
    idx = np.arange(g.shape[0])
    k = np.empty(g.shape[0], dtype=np.int64)
    k[order[by]] = idx - np.maximum.accumulate(np.where(start, idx, 0))
    return k


def _diversity(k: NDArray[np.int64], score: NDArray[np.float64]) -> NDArray[np.float64]:
    m = (1.0 - DIVERSITY_FLOOR) * np.power(DIVERSITY_DECAY, k.astype(np.float64)) + (
        DIVERSITY_FLOOR
    )
    out: NDArray[np.float64] = np.where(score >= 0, m, 1.0 / m)
    return out


def round_like_python(values: NDArray[np.float64], digits: int) -> NDArray[np.float64]:
    """``round(x, digits)`` for every x: numpy's round, with the values close to a
    half-way point of the scaled value rounded again by Python."""
    out = np.round(values, digits)
    scaled = values * 10.0**digits
    frac = np.abs(scaled - np.floor(scaled) - 0.5)
    near = np.flatnonzero(~np.isfinite(frac) | (frac < 1e-6))
    if near.shape[0]:
        out[near] = [round(float(v), digits) for v in values[near]]
    return out


# -------------------------------------------------------------- reddit-hot
def reddit_hot(batch: PostBatch, limit: int = 50, *, full_sort: bool = False) -> Floor:
    """hot = round(sign(s)·log10(max(|s|, 1)) + (created − 1134028003 s) / 45000, 7),
    s = ups − downs; page = the top ``limit`` (a partial sort, or with
    ``full_sort`` the first ``limit`` of every post in order)."""
    counts = batch.counts
    n = counts.shape[0]
    s = counts[:, UPVOTE].astype(np.float64) - counts[:, DOWNVOTE].astype(np.float64)
    created = batch.created_at
    seconds = created // 1_000_000
    micros = created - seconds * 1_000_000
    contributions = np.empty((n, 2))
    contributions[:, 0] = np.sign(s) * np.log10(np.maximum(np.abs(s), 1.0))
    contributions[:, 1] = ((seconds.astype(np.float64) - REDDIT_EPOCH) + micros / 1e6) / HOT_SCALE
    scores = round_like_python(contributions[:, 0] + contributions[:, 1], 7)
    if full_sort:
        page = _order(scores, created, batch.ids.__getitem__)[:limit]
        return Floor(
            np.arange(n),
            contributions,
            np.empty((n, 0)),
            scores,
            page,
            scores[page],
            np.array([0, page.shape[0]]),
        )
    neg = -scores
    if n > limit:
        cand = np.flatnonzero(neg <= np.partition(neg, limit - 1)[limit - 1])
    else:
        cand = np.arange(n)
    page = cand[np.lexsort((batch.ids[cand], -created[cand], neg[cand]))][:limit]
    return Floor(
        np.arange(n),
        contributions,
        np.empty((n, 0)),
        scores,
        page,
        scores[page],
        np.array([0, page.shape[0]]),
    )


# ---------------------------------------------------------------- balanced
@dataclass(frozen=True, eq=False)
class Prepared:
    """What a floor derives from a batch's columns before ranking it: author codes,
    author id -> code, post id -> row, and (optionally) the lower-cased texts."""

    author_codes: NDArray[np.intp]
    author_index: dict[str, int]
    row_of: dict[str, int]
    text_lower: list[str] | None


def prepare(batch: PostBatch, *, text: bool = False) -> Prepared:
    """Per-batch lookups for :func:`balanced_one` (a fresh batch derives them in the
    request; ``text`` also lower-cases every text, for a batch ranked repeatedly)."""
    index: dict[str, int] = {}
    authors = batch.author_ids.tolist()
    codes = np.fromiter(
        (index.setdefault(a, len(index)) for a in authors), dtype=np.intp, count=len(authors)
    )
    row_of = dict(zip(batch.ids.tolist(), range(len(authors)), strict=True))
    lower = [t.lower() for t in batch.text.tolist()] if text else None
    return Prepared(codes, index, row_of, lower)


@lru_cache(maxsize=1024)
def _word(word: str) -> tuple[str, re.Pattern[str]] | None:
    """(first part, whole-word pattern) of a muted word or phrase, as MutedWords reads it."""
    parts = [p for p in re.split(r"\W+", word.lower()) if p]
    if not parts:
        return None
    return parts[0], re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, parts)) + r"(?!\w)")


def _muted_hits(texts: Sequence[str], words: Iterable[str]) -> list[int]:
    """Positions in ``texts`` (lower-cased) holding a muted word or phrase."""
    hit: set[int] = set()
    for word in words:
        found = _word(word)
        if found is None:
            continue
        first, pattern = found
        for j in [j for j, t in enumerate(texts) if first in t]:
            if j not in hit and pattern.search(texts[j]) is not None:
                hit.add(j)
    return sorted(hit)


def _author_mask(index: dict[str, int], size: int, names: Iterable[str]) -> NDArray[np.bool_]:
    mask = np.zeros(size, dtype=bool)
    mask[[c for a in names if (c := index.get(a)) is not None]] = True
    return mask


def _label_rows(batch: PostBatch, label: str) -> NDArray[np.intp]:
    tags = batch.labels
    if label not in tags.vocabulary:
        return np.zeros(0, dtype=np.intp)
    at = np.flatnonzero(tags.codes == tags.vocabulary.index(label))
    return np.searchsorted(tags.indptr, at, side="right") - 1


def _viewer_sums(
    prep: Prepared,
    viewer: Viewer,
    interactions: Iterable[Interaction],
    post_authors: dict[str, str],
    now_us: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Decayed positive and negative interaction sums per author code, and
    whether the viewer hid a post of the author less than 14 days ago."""
    codes, index, row_of = prep.author_codes, prep.author_index, prep.row_of
    size = len(index)
    mine = [i for i in interactions if i.viewer_id == viewer.id]
    extra: dict[str, int] = {}
    owner: list[int] = []
    for item in mine:
        row = row_of.get(item.post_id)
        if row is not None:
            owner.append(int(codes[row]))
        else:
            author = post_authors[item.post_id]
            code = index.get(author)
            owner.append(code if code is not None else extra.setdefault(author, size + len(extra)))
    at = np.array([(i.at - EPOCH) // MICRO for i in mine], dtype=np.int64)
    w_pos = np.array([AFFINITY_WEIGHTS.get(i.kind, 0.0) for i in mine])
    w_neg = np.array([1.0 if i.kind in NEGATIVE else 0.0 for i in mine])
    age_h = (now_us - at) / HOUR
    decay = np.where(age_h >= 0, 0.5 ** (np.maximum(age_h, 0) / AFFINITY_HALF_LIFE_H), 0.0)
    total = size + len(extra)
    pos = np.bincount(owner, weights=w_pos * decay, minlength=total)
    neg = np.bincount(owner, weights=w_neg * decay, minlength=total)
    latest = np.full(total, -1, dtype=np.int64)
    hides = np.array([i.kind == InteractionKind.HIDE for i in mine], dtype=bool) & (at <= now_us)
    np.maximum.at(latest, np.array(owner, dtype=np.intp)[hides], at[hides])
    recent = (latest >= 0) & ((now_us - latest).astype(np.float64) / DAY_US < SEE_FEWER_DAYS)
    return pos, neg, recent


def _interests(batch: PostBatch, table: NDArray[np.float64], owner_of_row: Any) -> Any:
    """Σ interest weight over each row's topics / number of topics, for all rows;
    ``table[owner_of_row[row], topic]`` is the weight of the row's viewer."""
    tags = batch.topics
    per_row = np.diff(tags.indptr)
    row_of_tag = np.repeat(np.arange(per_row.shape[0]), per_row)
    owner = owner_of_row if np.ndim(owner_of_row) == 0 else owner_of_row[row_of_tag]
    w = table[owner, tags.codes]
    return np.bincount(row_of_tag, weights=w, minlength=per_row.shape[0]), per_row


def balanced_one(
    batch: PostBatch,
    viewer: Viewer,
    interactions: Iterable[Interaction],
    post_authors: dict[str, str],
    now_us: int,
    prep: Prepared | None = None,
    limit: int = 50,
) -> Floor:
    """The balanced preset for one request, its context built from the viewer and
    the interaction log (``prep`` None: derived from the batch here)."""
    if prep is None:
        prep = prepare(batch)
    codes = prep.author_codes
    size = len(prep.author_index)
    pos_a, neg_a, hidden = _viewer_sums(prep, viewer, interactions, post_authors, now_us)
    follows = _author_mask(prep.author_index, size, viewer.follows)
    dropped = _author_mask(prep.author_index, size, viewer.blocked | viewer.muted)

    # Filters: blocked/muted authors, seen, max age (and dated after now), spam label,
    # then muted words on what is left.
    created = batch.created_at
    age_h = (now_us - created).astype(np.float64) / 3_600_000_000.0
    removed = dropped[codes] | hidden[codes] | (age_h > MAX_AGE_H) | (created > now_us)
    removed[[r for p in viewer.seen if (r := prep.row_of.get(p)) is not None]] = True
    removed[_label_rows(batch, EXCLUDE_LABEL)] = True
    if viewer.muted_words:
        alive = np.flatnonzero(~removed)
        if prep.text_lower is not None:
            texts = [prep.text_lower[i] for i in alive.tolist()]
        else:
            texts = [t.lower() for t in batch.text[alive].tolist()]
        removed[alive[_muted_hits(texts, viewer.muted_words)]] = True
    kept = np.flatnonzero(~removed)

    # Signals and the weighted sum.
    m = kept.shape[0]
    c = batch.counts[kept]
    like, repost = c[:, LIKE].astype(np.float64), c[:, REPOST].astype(np.float64)
    reply, bookmark = c[:, REPLY].astype(np.float64), c[:, BOOKMARK].astype(np.float64)
    view = c[:, VIEW].astype(np.float64)
    author = codes[kept]
    vocab = {t: j for j, t in enumerate(batch.topics.vocabulary)}
    table = np.zeros((1, max(len(vocab), 1)))
    for name, w in viewer.interests.items():
        if name in vocab:
            table[0, vocab[name]] = w
    topic_sum, topic_n = _interests(batch, table, 0)
    contributions = np.empty((m, 6))
    contributions[:, 0] = W_ENGAGEMENT * np.log1p(
        like + 2.0 * repost + 3.0 * reply + 2.0 * bookmark
    )
    rate = (like + repost + RATE_PRIOR) / (view + RATE_STRENGTH)
    contributions[:, 1] = W_RATE * np.where(view == 0, RATE_PRIOR_RATE, rate)
    contributions[:, 2] = W_AFFINITY * np.log1p(np.maximum(pos_a[author], 0.0))
    contributions[:, 3] = W_IN_NETWORK * follows[author]
    contributions[:, 4] = W_INTERESTS * (topic_sum[kept] / np.maximum(topic_n[kept], 1))
    contributions[:, 5] = W_NEGATIVE * np.log1p(neg_a[author])
    sums = contributions.sum(axis=1)
    factors = np.empty((m, 3))
    factors[:, 0] = np.power(age_h[kept] + GRAVITY_OFFSET_H, -GRAVITY)
    factors[:, 1] = np.where(batch.reply_to[kept] != "", REPLY_FACTOR, 1.0)
    product = factors[:, 0] * factors[:, 1]
    score = sums * product

    # Re-rankers: author diversity (a multiplier), then the network caps (a tier).
    ck = created[kept]

    def ids_of(rows: NDArray[np.intp]) -> NDArray[Any]:
        return batch.ids[kept[rows]]

    k = _group_rank(author.astype(np.int64), _order(score, ck, ids_of))
    factors[:, 2] = _diversity(k, score)
    score = sums * (product * factors[:, 2])
    order = _order(score, ck, ids_of)
    inn = follows[author][order]
    rank_in = np.cumsum(inn) - 1
    rank_out = np.cumsum(~inn) - 1
    over = np.where(inn, rank_in >= CAP_IN, rank_out >= CAP_OUT)
    page = np.concatenate([order[~over], order[over]])[:limit]
    return Floor(
        kept,
        contributions,
        factors,
        score,
        kept[page],
        score[page],
        np.array([0, page.shape[0]]),
    )


# ------------------------------------------------------ many requests at once
def author_codes(values: NDArray[np.str_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Exact dense codes of equal strings (codes (n,), one row per code): a hash of
    the code points, grouped by one argsort, every string checked against its
    group's neighbour (``np.unique`` on a collision)."""
    n = values.shape[0]
    width = values.dtype.itemsize // 4
    if n <= 4096 or width == 0:
        _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        return inverse.reshape(-1).astype(np.intp), first.astype(np.intp)
    chars = np.ascontiguousarray(values).view(np.uint32).reshape(n, width)
    h = np.zeros(n, dtype=np.uint64)
    mult = np.uint64(0x9E3779B97F4A7C15)
    for j in range(width):
        h *= mult
        h ^= chars[:, j]
    by = np.argsort(h)
    sh = h[by]
    new = np.ones(n, dtype=bool)
    new[1:] = sh[1:] != sh[:-1]
    same = np.flatnonzero(~new)
    if same.shape[0] and not np.array_equal(values[by[same]], values[by[same - 1]]):
        _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        return inverse.reshape(-1).astype(np.intp), first.astype(np.intp)
    codes = np.empty(n, dtype=np.intp)
    codes[by] = np.cumsum(new) - 1
    return codes, by[new]


def balanced_many(
    batch: PostBatch, requests: Requests, limit: int = 50, chunk_rows: int = 1 << 16
) -> Floor:
    """The balanced preset for S requests stacked in one batch (contexts given as
    arrays): filters over all rows, then scoring and re-ranking in chunks of
    whole requests of about ``chunk_rows`` kept rows."""
    offsets = requests.offsets
    lengths = np.diff(offsets)
    nreq = lengths.shape[0]
    seg = np.repeat(np.arange(nreq), lengths)
    codes, first = author_codes(batch.author_ids)
    index = dict(zip(batch.author_ids[first].tolist(), range(first.shape[0]), strict=True))
    vocab = {t: j for j, t in enumerate(batch.topics.vocabulary)}
    rows_i: list[int] = []
    cols_i: list[int] = []
    vals: list[float] = []
    drops: list[tuple[int, list[int]]] = []
    muted: list[tuple[int, tuple[str, ...]]] = []
    for s, viewer in enumerate(requests.viewers):
        if viewer is None:
            continue
        for name, w in viewer.interests.items():
            if name in vocab:
                rows_i.append(s)
                cols_i.append(vocab[name])
                vals.append(w)
        gone = [c for a in viewer.blocked | viewer.muted if (c := index.get(a)) is not None]
        if gone:
            drops.append((s, gone))
        if viewer.muted_words:
            muted.append((s, viewer.muted_words))
    table = np.zeros((nreq, max(len(vocab), 1)))
    table[rows_i, cols_i] = vals

    # Filters over all rows; muted words last, on what the others kept.
    created = batch.created_at
    now = requests.now[seg]
    age_h = (now - created).astype(np.float64) / 3_600_000_000.0
    latest_hide = requests.last_negative_at[:, HIDE_COLUMN]
    hidden = (latest_hide >= 0) & ((now - latest_hide).astype(np.float64) / DAY_US < SEE_FEWER_DAYS)
    removed = requests.seen | hidden | (age_h > MAX_AGE_H) | (created > now)
    removed[_label_rows(batch, EXCLUDE_LABEL)] = True
    cuts = offsets.tolist()
    for s, gone in drops:
        a, b = cuts[s], cuts[s + 1]
        for c in gone:
            removed[a:b] |= codes[a:b] == c
    text = batch.text
    for s, words in muted:
        a, b = cuts[s], cuts[s + 1]
        alive = a + np.flatnonzero(~removed[a:b])
        texts = [t.lower() for t in text[alive].tolist()]
        removed[alive[_muted_hits(texts, words)]] = True
    kept = np.flatnonzero(~removed)
    kseg = seg[kept]
    klen = np.bincount(kseg, minlength=nreq)
    koff = np.zeros(nreq + 1, dtype=np.intp)
    np.cumsum(klen, out=koff[1:])
    m = kept.shape[0]
    topic_sum, topic_n = _interests(batch, table, seg)

    contributions = np.empty((m, 6))
    factors = np.empty((m, 3))
    scores = np.empty(m)
    pages: list[NDArray[np.intp]] = []
    bounds = np.searchsorted(koff, np.arange(chunk_rows, m, chunk_rows), side="right") - 1
    chunk_cuts = sorted({0, nreq, *(int(b) for b in bounds if 0 < b < nreq)})
    for s0, s1 in itertools.pairwise(chunk_cuts):
        ka, kb = int(koff[s0]), int(koff[s1])
        rows = kept[ka:kb]
        ln = klen[s0:s1]
        st = koff[s0:s1] - ka
        sg = kseg[ka:kb] - s0
        local = np.arange(kb - ka) - np.repeat(st, ln)
        c = batch.counts[rows]
        like, repost = c[:, LIKE].astype(np.float64), c[:, REPOST].astype(np.float64)
        reply, bookmark = c[:, REPLY].astype(np.float64), c[:, BOOKMARK].astype(np.float64)
        view = c[:, VIEW].astype(np.float64)
        cc = contributions[ka:kb]
        cc[:, 0] = W_ENGAGEMENT * np.log1p(like + 2.0 * repost + 3.0 * reply + 2.0 * bookmark)
        rate = (like + repost + RATE_PRIOR) / (view + RATE_STRENGTH)
        cc[:, 1] = W_RATE * np.where(view == 0, RATE_PRIOR_RATE, rate)
        cc[:, 2] = W_AFFINITY * np.log1p(np.maximum(requests.affinity[rows], 0.0))
        inn = requests.in_network[rows]
        cc[:, 3] = W_IN_NETWORK * inn
        cc[:, 4] = W_INTERESTS * (topic_sum[rows] / np.maximum(topic_n[rows], 1))
        cc[:, 5] = W_NEGATIVE * np.log1p(requests.negative[rows])
        sums = cc.sum(axis=1)
        ff = factors[ka:kb]
        ff[:, 0] = np.power(age_h[rows] + GRAVITY_OFFSET_H, -GRAVITY)
        ff[:, 1] = np.where(batch.reply_to[rows] != "", REPLY_FACTOR, 1.0)
        product = ff[:, 0] * ff[:, 1]
        score = sums * product
        ck = created[rows]

        def ids_of(r: NDArray[np.intp], rows: NDArray[np.intp] = rows) -> NDArray[Any]:
            return batch.ids[rows[r]]

        order = _segmented_order(score, ck, ids_of, ln, st, sg, local)
        key = sg.astype(np.int64) * first.shape[0] + codes[rows]
        ff[:, 2] = _diversity(_group_rank(key, order), score)
        score = sums * (product * ff[:, 2])
        scores[ka:kb] = score
        order = _segmented_order(score, ck, ids_of, ln, st, sg, local)
        g = inn[order]
        before = np.repeat(st, ln)
        seen_in = np.cumsum(g)
        in_incl = seen_in - np.concatenate([[0], seen_in])[before]
        over = np.where(g, in_incl - 1 >= CAP_IN, local - in_incl >= CAP_OUT)
        final = order[np.argsort(sg[order] * 2 + over, kind="stable")]
        pages.append(final[local < limit] + ka)
    page = np.concatenate(pages) if pages else np.zeros(0, dtype=np.intp)
    page_offsets = np.zeros(nreq + 1, dtype=np.intp)
    np.cumsum(np.minimum(klen, limit), out=page_offsets[1:])
    return Floor(kept, contributions, factors, scores, kept[page], scores[page], page_offsets)
