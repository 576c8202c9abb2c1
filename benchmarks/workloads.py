"""Deterministic inputs of ``bench_engine.py`` and ``bench_scale.py``.

Everything comes from ``numpy.random.default_rng(seed)``: no clock, files or
network. Candidates look like a social feed: about one author per five posts
(popular authors post more), ages up to 96 h, counts with views, text made of
a Zipf-distributed vocabulary in which the viewer's muted words (in any case,
sometimes after a ``#``) and near misses (``category`` for ``cat``) appear,
0-3 topics of 24, labels (3% ``spam``), 20% replies, and 2% of posts in pairs
identical in every input that scores them (same time, counts, topics, text), so
exact score ties are broken by created_at and post id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank import Interaction, InteractionKind, PostBatch, Viewer
from feedrank.batch.requests import Requests
from feedrank.batch.tags import Tags
from feedrank.models import NEGATIVE_KINDS

__all__ = [
    "EPOCH",
    "HOUR_US",
    "MUTED_WORDS",
    "NOW",
    "NOW_US",
    "TOPICS",
    "ManyWorkload",
    "Request",
    "make_many",
    "make_posts",
    "make_request",
]

NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
NOW_US = (NOW - EPOCH) // timedelta(microseconds=1)
HOUR_US = 3_600_000_000
TOPICS = tuple(f"topic{j:02d}" for j in range(24))
LABELS = ("bot", "news", "nsfw", "satire", "spam")
LABEL_P = (0.01, 0.10, 0.02, 0.01, 0.03)
MUTED_WORDS = ("crypto", "election", "spoiler", "giveaway", "cat")
NEAR_MISSES = ("cryptography", "elections", "spoilers", "giveaways", "category", "cats")
ALL_MUTED = (*MUTED_WORDS, "football", "diet", "stocks", "celebrity", "war", "ai", "weather")
"""Muted words of the many-request workload's viewers (each picks 1-5)."""


def _vocabulary(rng: np.random.Generator, size: int) -> list[str]:
    onset = [*"bcdfghjklmnprstvwz", "br", "ch", "cl", "dr", "fl", "gr", "pl", "sh", "st", "th"]
    vowel = [*"aeiou", "ai", "ea", "ee", "oo", "ou"]
    coda = ["", "", "n", "r", "s", "t", "l", "nd", "st", "ck"]
    words: list[str] = []
    seen = set(MUTED_WORDS) | set(NEAR_MISSES) | set(ALL_MUTED)
    while len(words) < size:
        k = int(rng.integers(1, 4))
        w = "".join(
            onset[int(rng.integers(len(onset)))]
            + vowel[int(rng.integers(len(vowel)))]
            + coda[int(rng.integers(len(coda)))]
            for _ in range(k)
        )
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def _texts(rng: np.random.Generator, n: int, muted: tuple[str, ...]) -> list[str]:
    """n texts of 6-28 vocabulary words; each muted word takes the place of a word
    in about 2% of them (lower, Title or UPPER case, sometimes as a hashtag), a
    near miss in 2%, and 30% end with punctuation."""
    vocab = np.array(_vocabulary(rng, 600), dtype=object)
    zipf = 1.0 / np.arange(1, vocab.shape[0] + 1) ** 1.1
    lengths = rng.integers(6, 29, n)
    cuts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=cuts[1:])
    words = vocab[rng.choice(vocab.shape[0], int(cuts[-1]), p=zipf / zipf.sum())]

    def some_word(p: float) -> NDArray[np.int64]:
        rows = np.flatnonzero(rng.random(n) < p)
        return cuts[rows] + rng.integers(0, lengths[rows])

    for word in muted:
        at = some_word(0.02)
        styles = np.array([word, word.title(), word.upper(), "#" + word], dtype=object)
        words[at] = styles[rng.integers(0, 4, at.shape[0])]
    at = some_word(0.02)
    words[at] = np.array(NEAR_MISSES, dtype=object)[rng.integers(0, len(NEAR_MISSES), at.shape[0])]
    last = cuts[1:][rng.random(n) < 0.3] - 1
    words[last] = (
        words[last] + np.array(list("!?."), dtype=object)[rng.integers(0, 3, last.shape[0])]
    )
    flat = words.tolist()
    size = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat)) + 1
    start = np.cumsum(size) - size
    big = " ".join(flat)
    begin = start[cuts[:-1]].tolist()
    end = (start[cuts[1:] - 1] + size[cuts[1:] - 1] - 1).tolist()
    return [big[i:j] for i, j in zip(begin, end, strict=True)]


def _csr(chosen: NDArray[np.int64], k: NDArray[np.int64], vocabulary: tuple[str, ...]) -> Tags:
    """Tags whose row i holds ``vocabulary[chosen[i, :k[i]]]`` (codes sorted)."""
    width = chosen.shape[1]
    keep = np.arange(width) < k[:, None]
    codes = np.sort(np.where(keep, chosen, len(vocabulary)), axis=1)[keep]
    indptr = np.zeros(k.shape[0] + 1, dtype=np.int64)
    np.cumsum(k, out=indptr[1:])
    return Tags(vocabulary, indptr, codes.astype(np.int64))


def make_posts(n: int, seed: int, *, tie_pairs: bool = True) -> dict[str, Any]:
    """The columns of ``n`` candidate posts (see the module docstring) and the
    author popularity used to pick them, deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    n_authors = max(n // 5, 2)
    popularity = 1.0 / np.arange(1, n_authors + 1) ** 0.8
    popularity /= popularity.sum()
    author_idx = rng.choice(n_authors, n, p=popularity)
    authors = np.char.add("u", author_idx.astype(str)).astype(object)
    age_us = rng.integers(0, 96 * HOUR_US, n)
    created = NOW_US - age_us
    reach = rng.lognormal(5.0, 1.5, n)
    view = rng.poisson(reach).astype(np.int64)
    like = rng.binomial(view, rng.beta(2.0, 30.0, n)).astype(np.int64)
    counts = {
        "view": view,
        "like": like,
        "repost": rng.binomial(like, 0.1).astype(np.int64),
        "reply": rng.binomial(like, 0.05).astype(np.int64),
        "bookmark": rng.binomial(like, 0.03).astype(np.int64),
        "quote": rng.binomial(like, 0.02).astype(np.int64),
        "click": rng.binomial(view, 0.02).astype(np.int64),
        "upvote": rng.poisson(reach * 0.05).astype(np.int64),
        "downvote": rng.poisson(reach * 0.02).astype(np.int64),
    }
    n_topics = rng.integers(0, 4, n)
    topic_pick = rng.random((n, len(TOPICS))).argsort(axis=1)[:, :3]
    has_label = rng.random((n, len(LABELS))) < np.array(LABEL_P)
    reply_to = np.where(
        rng.random(n) < 0.2, np.char.add("p", rng.integers(0, n, n).astype(str)), ""
    ).astype(object)
    texts = _texts(rng, n, MUTED_WORDS)

    solo: list[int] = []
    if tie_pairs:
        # Pairs identical in every scored input, by authors of their own (not
        # followed, no history): their scores tie exactly.
        young = np.flatnonzero(age_us < 60 * HOUR_US)
        k = min(max(n // 100, 1), young.shape[0] // 2)
        pick = rng.choice(young, 2 * k, replace=False)
        src, dst = pick[0::2], pick[1::2]
        created[dst] = created[src]
        for col in counts.values():
            col[dst] = col[src]
        n_topics[dst] = n_topics[src]
        topic_pick[dst] = topic_pick[src]
        has_label[dst] = has_label[src]
        reply_to[dst] = reply_to[src]
        for i, j in zip(src.tolist(), dst.tolist(), strict=True):
            texts[j] = texts[i]
        authors[src] = [f"solo{2 * j}" for j in range(k)]
        authors[dst] = [f"solo{2 * j + 1}" for j in range(k)]
        solo = pick.tolist()
    label_rows, label_codes = np.nonzero(has_label)
    label_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(label_rows, minlength=n), out=label_ptr[1:])
    return {
        "ids": np.char.add("p", np.arange(n).astype(str)),
        "author_ids": np.array(authors.tolist()),
        "created_at": created,
        "counts": counts,
        "topics": _csr(topic_pick, n_topics, TOPICS),
        "labels": Tags(LABELS, label_ptr, label_codes.astype(np.int64)),
        "reply_to": np.array(reply_to.tolist()),
        "text": np.array(texts, dtype=np.dtypes.StringDType()),
        "n_authors": n_authors,
        "popularity": popularity,
        "solo_rows": solo,
    }


def batch_of(cols: dict[str, Any]) -> PostBatch:
    """The :class:`PostBatch` of ``make_posts`` columns."""
    return PostBatch.from_columns(
        ids=cols["ids"],
        author_ids=cols["author_ids"],
        created_at=cols["created_at"],
        counts=cols["counts"],
        topics=cols["topics"],
        labels=cols["labels"],
        reply_to=cols["reply_to"],
        text=cols["text"],
    )


@dataclass(frozen=True)
class Request:
    """One balanced request: candidates, viewer and the viewer's interaction log."""

    batch: PostBatch
    viewer: Viewer
    interactions: list[Interaction]
    post_authors: dict[str, str]


def make_request(n: int, seed: int, *, log_size: int = 300) -> Request:
    """``n`` candidates and a viewer with 50 follows, 3 blocked and 2 muted
    authors, the 5 muted words, 10% of the candidates seen, interests in 10
    topics, and ``log_size`` interactions: likes, replies, reposts and some hides
    (concentrated on a few authors, so some scores are negative); 10% are on
    older posts known only from ``post_authors``."""
    cols = make_posts(n, seed)
    rng = np.random.default_rng(seed + 1)
    n_authors = cols["n_authors"]
    pop = cols["popularity"]
    solo = set(cols["solo_rows"])
    others = np.array([i for i in range(n) if i not in solo], dtype=np.intp)
    flat = np.sqrt(pop) / np.sqrt(pop).sum()  # people follow popular accounts, not only those
    follows_idx = rng.choice(n_authors, min(50, n_authors), replace=False, p=flat)
    rest = np.setdiff1d(np.arange(n_authors), follows_idx)
    hidden = rng.choice(rest, 5, replace=False)
    ids = cols["ids"]
    viewer = Viewer(
        id="viewer-1",
        follows=frozenset(f"u{a}" for a in follows_idx.tolist()),
        blocked=frozenset(f"u{a}" for a in hidden[:3].tolist()),
        muted=frozenset(f"u{a}" for a in hidden[3:].tolist()),
        muted_words=MUTED_WORDS,
        seen=frozenset(ids[rng.choice(others, n // 10, replace=False)].tolist()),
        interests={
            TOPICS[j]: float(w)
            for j, w in zip(
                rng.choice(len(TOPICS), 10, replace=False).tolist(),
                rng.uniform(-0.5, 2.0, 10).tolist(),
                strict=True,
            )
        },
    )
    n_old = log_size // 10
    n_hide = log_size // 12
    n_pos = log_size - n_old - n_hide
    post_authors = {
        f"old{j}": f"u{a}" for j, a in enumerate(rng.choice(n_authors, n_old, p=pop).tolist())
    }
    pos_kinds = rng.choice(["like", "reply", "repost"], n_pos + n_old, p=[0.6, 0.2, 0.2])
    targets = ids[rng.choice(others, n_pos)].tolist() + list(post_authors)
    kinds = pos_kinds.tolist()
    ages = rng.integers(0, 30 * 24 * HOUR_US, n_pos + n_old).tolist()
    disliked = rng.choice(others, max(n_hide // 6, 1), replace=False)
    for j in range(n_hide):
        targets.append(str(ids[disliked[j % disliked.shape[0]]]))
        kinds.append("hide")
        ages.append(int(rng.integers(0, 48 * HOUR_US)))
    order = rng.permutation(len(targets)).tolist()
    interactions = [
        Interaction(
            viewer_id=viewer.id,
            post_id=targets[i],
            kind=InteractionKind(kinds[i]),
            at=EPOCH + timedelta(microseconds=NOW_US - ages[i]),
        )
        for i in order
    ]
    return Request(batch_of(cols), viewer, interactions, post_authors)


def _weighted_distinct(rng: np.random.Generator, cdf: NDArray[np.float64], k: int) -> Any:
    """k distinct indices drawn one after another with probabilities ``diff(cdf)``."""
    draws = np.minimum(np.searchsorted(cdf, rng.random(8 * k + 16)), cdf.shape[0] - 1)
    _, first = np.unique(draws, return_index=True)
    return draws[np.sort(first)][:k]


@dataclass(frozen=True)
class ManyWorkload:
    """S requests over one stacked batch, with their contexts as one Requests."""

    batch: PostBatch
    offsets: NDArray[np.intp]
    requests: Requests
    facts: dict[str, Any]


def make_many(
    requests: int,
    candidates: int,
    seed: int,
    pool_bits: int = 18,
    in_network_share: float = 0.35,
) -> ManyWorkload:
    """``requests`` requests of ``candidates`` posts each, drawn without repeats
    from a pool of 2**pool_bits posts by pool/5 authors (Zipf popularity,
    so authors repeat within a request); about ``in_network_share`` of each
    request's candidates are posts of authors its viewer follows.

    Every viewer follows 50 authors (the context's in-network flags follow from
    them), has interests in 10 topics, has seen 10% of its candidates, an
    affinity for 20 authors and negative feedback on 2; 20% of viewers mute 1-5
    words, 20% block or mute 1-3 authors. Contexts are built as arrays (like a
    platform's feature store), outside any timed region.
    """
    pool = 1 << pool_bits
    cols = make_posts(pool, seed, tie_pairs=False)
    rng = np.random.default_rng(seed + 1)
    n_authors = cols["n_authors"]
    pop = cols["popularity"]
    flat = np.sqrt(pop) / np.sqrt(pop).sum()
    author_of_pool = np.char.lstrip(cols["author_ids"], "u").astype(np.int64)
    by_author = np.argsort(author_of_pool, kind="stable")
    author_ptr = np.searchsorted(author_of_pool[by_author], np.arange(n_authors + 1))
    cdf = np.cumsum(flat)
    follows = [_weighted_distinct(rng, cdf, 50) for _ in range(requests)]
    want_in = round(in_network_share * candidates)
    parts: list[NDArray[np.int64]] = []
    for s in range(requests):
        # Candidate sources: posts of followed authors, then the rest of the pool
        # (an odd step from a random start visits every pool row once).
        lo, hi = author_ptr[follows[s]], author_ptr[follows[s] + 1]
        mine = by_author[
            np.repeat(lo - np.cumsum(hi - lo) + (hi - lo), hi - lo)
            + np.arange(int((hi - lo).sum()))
        ]
        mine = rng.choice(mine, min(want_in, mine.shape[0]), replace=False)
        start, step = int(rng.integers(pool)), int(rng.integers(pool // 2)) * 2 + 1
        other = (start + np.arange(candidates + want_in) * step) % pool
        other = other[~np.isin(other, mine)][: candidates - mine.shape[0]]
        parts.append(np.concatenate([mine, other]))
    rows = np.concatenate(parts)
    offsets = np.arange(requests + 1, dtype=np.intp) * candidates
    # The pool's rows taken request after request (ids repeat across requests only).
    batch = batch_of(cols).take(rows)
    author_row = author_of_pool[rows]
    n = rows.shape[0]
    seg = np.repeat(np.arange(requests), candidates)

    def keyed(values_per_viewer: list[NDArray[np.int64]]) -> NDArray[np.int64]:
        keys = np.concatenate([s * n_authors + v for s, v in enumerate(values_per_viewer)]).astype(
            np.int64
        )
        return np.sort(keys)

    def lookup(keys: NDArray[np.int64]) -> NDArray[np.intp]:
        want = seg.astype(np.int64) * n_authors + author_row
        pos = np.minimum(np.searchsorted(keys, want), keys.shape[0] - 1)
        return np.where(keys[pos] == want, pos, -1)

    flat = np.sqrt(pop) / np.sqrt(pop).sum()
    in_network = lookup(keyed(follows)) >= 0
    liked = [np.concatenate([f[:15], rng.choice(n_authors, 5, replace=False)]) for f in follows]
    like_keys = keyed(liked)
    like_val = rng.lognormal(0.0, 1.0, like_keys.shape[0])
    hit = lookup(like_keys)
    affinity = np.where(hit >= 0, like_val[hit], 0.0)
    pop_cdf = np.cumsum(pop)
    disliked = keyed([_weighted_distinct(rng, pop_cdf, 2) for _ in range(requests)])
    dis_val = rng.lognormal(1.0, 0.5, disliked.shape[0])
    hit = lookup(disliked)
    negative = np.where(hit >= 0, dis_val[hit], 0.0)
    seen = rng.random(n) < 0.1

    viewers: list[Viewer] = []
    for s in range(requests):
        chosen = rng.choice(len(TOPICS), 10, replace=False).tolist()
        weights = rng.uniform(-0.5, 2.0, 10).tolist()
        blocked: frozenset[str] = frozenset()
        muted: frozenset[str] = frozenset()
        words: tuple[str, ...] = ()
        if rng.random() < 0.2:
            pick = _weighted_distinct(rng, pop_cdf, int(rng.integers(1, 4)))
            names = [f"u{a}" for a in pick.tolist()]
            cut = int(rng.integers(0, len(names) + 1))
            blocked, muted = frozenset(names[:cut]), frozenset(names[cut:])
        if rng.random() < 0.2:
            k = int(rng.integers(1, 6))
            words = tuple(ALL_MUTED[j] for j in rng.choice(len(ALL_MUTED), k, replace=False))
        viewers.append(
            Viewer(
                id=f"viewer-{s}",
                follows=frozenset(f"u{a}" for a in follows[s].tolist()),
                blocked=blocked,
                muted=muted,
                muted_words=words,
                interests={TOPICS[j]: w for j, w in zip(chosen, weights, strict=True)},
            )
        )
    reqs = Requests(
        offsets=offsets,
        now=np.full(requests, NOW_US, dtype=np.int64),
        viewers=tuple(viewers),
        in_network=in_network,
        seen=seen,
        affinity=affinity,
        negative=negative,
        last_negative_at=np.full((n, len(NEGATIVE_KINDS)), -1, dtype=np.int64),
        social_proof_count=np.zeros(n, dtype=np.int64),
    )
    facts = {
        "pool_posts": pool,
        "authors": n_authors,
        "in_network_share": float(in_network.mean()),
        "viewers_with_muted_words": sum(bool(v.muted_words) for v in viewers),
        "viewers_blocking_or_muting": sum(bool(v.blocked or v.muted) for v in viewers),
    }
    return ManyWorkload(batch, offsets, reqs, facts)
