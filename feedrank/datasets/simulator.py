"""A simulated social network with ground-truth relevance and logged, position-biased feeds.

:func:`simulate` draws people with latent topic interests, a homophilous follow graph,
posts, a latent relevance of every post to every person, and the interactions people
had with a reverse-chronological feed, plus the impression log (with examination
propensities) that off-policy estimators need. Everything random comes from the
``rng`` argument; the wall clock is never read, so a seed fixes the whole network.

>>> import numpy as np
>>> from feedrank.datasets import simulate
>>> net = simulate(rng=7, n_users=30, n_posts=150, hours=24.0)
>>> len(net.viewers), len(net.posts), net.now.isoformat()
(30, 150, '2026-01-02T00:00:00+00:00')
>>> ids = [p.id for p in net.posts[:4]]
>>> r = net.relevance("u00", ids)
>>> r.shape, r.dtype, bool(np.all((r >= 0) & (r <= 1)))
((4,), dtype('float64'), True)
>>> net.relevance_grades("u00", ids).dtype
dtype('int64')
>>> ctx = net.context("u00")
>>> len(ctx) == len(net.batch())
True

Generative model
----------------
Notation: U users (``u``), the first A of them authors (``a``), K topics, G groups,
P posts (``p``), the window ``[start, now)`` of H hours, ``now = start + H``.

1. **Groups and interests.** ``g_u ~ Categorical(group_shares)`` (uniform by
   default). Each group has a topic profile ``β_g ~ Dirichlet(1_K)``; interests are
   ``θ_u ~ Dirichlet(c · β_{g_u})`` with ``c = interest_concentration``, so people of
   one group share tastes and homophily by group is also homophily by interest.
2. **Languages.** ``ℓ_u ~ Categorical(en .80, es .12, fr .08)``; the languages a
   person reads are ``L_u = {ℓ_u}`` plus ``en`` with probability .6.
3. **Author traits.** ``z_a, z'_a ~ N(0, 1)``; activity ``α_a = exp(z_a)``
   (log-normal, heavy-tailed), popularity ``φ_a = exp(.5 z_a + .866 z'_a)``
   (correlated with activity), mean quality ``μ_a ~ Beta(3, 1.5)``.
4. **Follows.** ``k_u ~ Poisson(mean_follows)`` clipped to ``[1, #candidates]``.
   Base weight ``w_ua = φ_a · exp(3 · cos(θ_u, θ_a))`` for ``a ≠ u``; group weight
   ``w'_ua = h · w_ua / Σ_{a': g_a' = g_u} w_ua'`` for same-group authors and
   ``(1 − h) · w_ua / Σ_{a': g_a' ≠ g_u} w_ua'`` otherwise (``h = homophily``), so
   a single draw lands in the own group with probability h (an empty pool is
   skipped). ``k_u`` authors are drawn without replacement ``∝ w'`` (Gumbel
   top-k). Popular authors (large φ) attract more followers; ``Author.followers``
   is the in-degree.
5. **Posts.** Creation times uniform on the window (distinct microseconds, post
   ids in time order). Author ``a_p ~ Categorical(α / Σα)``. First topic
   ``~ Categorical(θ_{a_p})``; with probability .35 a second, distinct topic from
   ``θ_{a_p}``. Topic weights ``τ_p`` are uniform over the post's topics. With
   probability ``reply_share`` a post replies to the earlier post
   ``j = ⌊p · V^{1/4}⌋`` (``V ~ U(0, 1)``, favouring recent posts) and carries
   the topics of its thread's root. Quality ``q_p ~ Beta(10 μ_{a_p}, 10 (1 − μ_{a_p}))``.
   Language ``ℓ_{a_p}`` with probability .9, else ``en``. Labels: ``spam`` with
   probability .8 when ``q_p < .2``; ``nsfw`` with probability .02. Feature
   ``quality_estimate = clip(q_p + N(0, .1²), 0, 1)`` (a platform classifier's
   noisy view of quality). Embedding ``e_p = W τ_p + N(0, .05² I_d)`` with
   ``W_ij ~ N(0, 1/d)``; the viewer's embedding is ``W θ_u``. Text: 3 to 6 words
   of the topics' vocabularies, a hashtag, and spam words for spam.
6. **Ground-truth relevance** of post p to user u, in [0, 1]::

       r(u, p) = λ_up · (0.5 · m_up + 0.3 · q_p + 0.2 · f_up)
       m_up    = Σ_k τ_pk θ_uk / max_k θ_uk        (interest match, in [0, 1])
       f_up    = 1 if u follows a_p else 0
       λ_up    = 1 if lang_p ∈ L_u else 0.2

   Graded relevance is the number of thresholds (0.3, 0.5, 0.7) that r reaches
   (0 to 3).
7. **Sessions (the logging policy).** Each user opens ``sessions_per_user``
   sessions at times uniform on the window. The feed holds the ``feed_size −
   out_of_network`` newest posts of followed authors created before the session
   and not shown to u before (never u's own), plus ``out_of_network`` posts drawn
   uniformly from the other such posts, all ordered newest first. Every shown
   post is logged as a ``view``. Position i (0-based) is examined with
   probability ``e_i = (i + 1)^(−η)`` (position-based model, ``η =
   position_bias``); an examined post is hidden with probability ``.3 (1 − r)³``,
   otherwise, independently, clicked ``.05 + .55 r``, liked ``.6 r²``, reposted
   ``.2 r³``, replied to ``.1 r²``. Position i is shown at ``s + i δ``, actions
   follow within δ, ``δ = min(5 s, H / (4 (feed_size + 1)))``; sessions end before
   ``now``.
8. **State at now.** Each (viewer, author) pair with a hide becomes a mute with
   probability .15; 5 % of users mute the first word of their least liked topic.
   ``Viewer.seen`` holds every post shown to the viewer. ``Post.counts`` counts the
   interactions of each kind with ``at < now``.

A small network for a command-line demo is :func:`simulate_demo`
(``simulate(rng=7, n_users=30, n_posts=150, hours=24.0)``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from numbers import Integral, Real

import numpy as np
from numpy.typing import NDArray

from feedrank._time import EPOCH, from_micros, to_micros
from feedrank.datasets.network import (
    LANGUAGES,
    GroundTruth,
    Impressions,
    SimulatedNetwork,
)
from feedrank.errors import InputError
from feedrank.models import Author, Interaction, InteractionKind, Post, Viewer

__all__ = ["DEFAULT_START", "TOPICS", "simulate", "simulate_demo"]

DEFAULT_START = datetime(2026, 1, 1, tzinfo=timezone.utc)
"""Start of the simulated window unless ``start`` is given."""

_VOCABULARY: dict[str, tuple[str, ...]] = {
    "politics": ("election", "senate", "policy", "vote", "debate", "campaign"),
    "sport": ("match", "goal", "league", "coach", "season", "striker"),
    "music": ("album", "concert", "guitar", "chorus", "vinyl", "festival"),
    "science": ("experiment", "telescope", "genome", "physics", "research", "lab"),
    "tech": ("software", "startup", "chip", "python", "cloud", "robot"),
    "film": ("cinema", "director", "trailer", "premiere", "actor", "screenplay"),
    "food": ("recipe", "bakery", "noodles", "spices", "brunch", "chef"),
    "travel": ("flight", "hostel", "island", "passport", "itinerary", "beach"),
    "art": ("painting", "gallery", "sculpture", "canvas", "museum", "sketch"),
    "books": ("novel", "poetry", "chapter", "library", "memoir", "bookshop"),
    "gaming": ("console", "speedrun", "quest", "arcade", "esports", "controller"),
    "health": ("fitness", "sleep", "nutrition", "yoga", "clinic", "running"),
    "finance": ("market", "stocks", "inflation", "budget", "crypto", "savings"),
    "climate": ("emissions", "solar", "wildfire", "drought", "renewables", "glacier"),
    "fashion": ("runway", "denim", "sneakers", "tailoring", "vintage", "couture"),
    "pets": ("puppy", "kitten", "aquarium", "parrot", "leash", "adoption"),
}
TOPICS: tuple[str, ...] = tuple(_VOCABULARY)
"""Topic names in order; a network with ``n_topics = K`` uses the first K."""

_LANGUAGE_SHARES = np.array([0.80, 0.12, 0.08])
_GREETING = ("today", "hoy", "aujourd'hui")
_SPAM_WORDS = "giveaway free followers click link"
_SECOND_TOPIC, _REPLY_DEPTH_POWER, _SIMILARITY_STRENGTH = 0.35, 0.25, 3.0
_POPULARITY_CORRELATION, _QUALITY_CONCENTRATION, _QUALITY_NOISE = 0.5, 10.0, 0.1
_SPAM_QUALITY, _SPAM_RECALL, _NSFW_SHARE = 0.2, 0.8, 0.02
_EMBEDDING_NOISE = 0.05
_MUTE_AFTER_HIDE, _MUTED_WORD_SHARE = 0.15, 0.05
_MAX_DWELL_US = 5_000_000
# Interaction kinds the sessions produce, in the order of their time offsets (× δ/5).
_ACTIONS = (
    (InteractionKind.VIEW, 0),
    (InteractionKind.HIDE, 1),
    (InteractionKind.CLICK, 1),
    (InteractionKind.LIKE, 2),
    (InteractionKind.REPOST, 3),
    (InteractionKind.REPLY, 4),
)
_CHUNK_CELLS = 1 << 22  # users per block × columns kept under ~4M cells


def simulate(
    *,
    rng: np.random.Generator | int = 0,
    n_users: int = 200,
    n_authors: int | None = None,
    n_topics: int = 8,
    n_posts: int = 1000,
    hours: float = 72.0,
    start: datetime = DEFAULT_START,
    groups: Sequence[str] = ("group_a", "group_b"),
    group_shares: Sequence[float] | None = None,
    homophily: float = 0.8,
    mean_follows: float = 15.0,
    interest_concentration: float = 4.0,
    sessions_per_user: int = 3,
    feed_size: int = 20,
    out_of_network: int = 4,
    position_bias: float = 0.8,
    reply_share: float = 0.15,
    embedding_dim: int | None = 8,
) -> SimulatedNetwork:
    """Simulate a network over ``[start, start + hours)``; the module states the model.

    Parameters (all keyword-only; a bad value raises :class:`~feedrank.InputError`, a
    ValueError naming the parameter):

    - ``rng``: a numpy Generator (used and advanced) or a seed ``>= 0``.
    - ``n_users >= 2`` people; the first ``n_authors`` (default all, ``1..n_users``)
      post. ``n_topics`` in ``1..16`` (names from :data:`TOPICS`); ``n_posts >= 1``.
    - ``hours > 0`` and tz-aware ``start``: the window; ``now = start + hours``.
    - ``groups``: distinct non-empty names (``Author.attributes["group"]``);
      ``group_shares``: their positive shares (default equal).
    - ``homophily`` in [0, 1]: probability that a follow draw picks the own group
      (``1 / len(groups)``: no group preference beyond shared interests).
    - ``mean_follows > 0``: Poisson mean of follows per user;
      ``interest_concentration > 0``: Dirichlet mass c (small: narrow interests).
    - ``sessions_per_user >= 0``, ``feed_size >= 1``, ``0 <= out_of_network <=
      feed_size``: the logged feeds; ``position_bias >= 0``: η of ``(i + 1)^(−η)``.
    - ``reply_share`` in [0, 1]: share of posts that reply to an earlier one.
    - ``embedding_dim``: dimension of post and viewer embeddings, or None for none.
    """
    gen = _generator(rng)
    n_u = _integer("n_users", n_users, 2)
    n_a = n_u if n_authors is None else _integer("n_authors", n_authors, 1, n_u)
    n_k = _integer("n_topics", n_topics, 1, len(TOPICS))
    n_p = _integer("n_posts", n_posts, 1)
    span_us = round(_real("hours", hours, 0.0, math.inf, open_low=True) * 3_600_000_000)
    n_feed = _integer("feed_size", feed_size, 1)
    n_out = _integer("out_of_network", out_of_network, 0, n_feed)
    n_sess = _integer("sessions_per_user", sessions_per_user, 0)
    dim = None if embedding_dim is None else _integer("embedding_dim", embedding_dim, 1)
    names, shares = _groups(groups, group_shares)
    h = _real("homophily", homophily, 0.0, 1.0)
    follows_mean = _real("mean_follows", mean_follows, 0.0, math.inf, open_low=True)
    conc = _real("interest_concentration", interest_concentration, 0.0, math.inf, open_low=True)
    eta = _real("position_bias", position_bias, 0.0, math.inf)
    replies = _real("reply_share", reply_share, 0.0, 1.0)
    if not isinstance(start, datetime) or start.utcoffset() is None:
        raise InputError(f"got {start!r}", field="start", expected="a timezone-aware datetime")
    dwell = min(_MAX_DWELL_US, span_us // (4 * (n_feed + 1)))
    if dwell < 5 or span_us < 2 * n_p:
        raise InputError(
            f"a window of {hours} h is too short for {n_p} posts and feeds of {n_feed}",
            field="hours",
            expected=f"at least {max(20 * (n_feed + 1), 2 * n_p) / 3.6e9:.3g} hours",
        )
    t0 = to_micros(start, field="start")
    parameters: dict[str, object] = {
        "rng": int(rng) if isinstance(rng, Integral) else None,
        "n_users": n_u,
        "n_authors": n_a,
        "n_topics": n_k,
        "n_posts": n_p,
        "hours": float(hours),
        "start": start.isoformat(),
        "groups": names,
        "group_shares": tuple(float(x) for x in shares),
        "homophily": h,
        "mean_follows": follows_mean,
        "interest_concentration": conc,
        "sessions_per_user": n_sess,
        "feed_size": n_feed,
        "out_of_network": n_out,
        "position_bias": eta,
        "reply_share": replies,
        "embedding_dim": dim,
    }

    # 1-3: groups, interests, languages, author traits
    group = gen.choice(len(names), size=n_u, p=shares).astype(np.intp)
    profiles = _dirichlet(gen, np.ones((len(names), n_k)))
    interests = _dirichlet(gen, conc * profiles[group])
    first_lang = gen.choice(len(LANGUAGES), size=n_u, p=_LANGUAGE_SHARES).astype(np.intp)
    speaks = np.zeros((n_u, len(LANGUAGES)), dtype=bool)
    speaks[np.arange(n_u), first_lang] = True
    speaks[:, 0] |= gen.random(n_u) < 0.6
    z = gen.standard_normal((2, n_a))
    activity = np.exp(z[0])
    rho = _POPULARITY_CORRELATION
    popularity = np.exp(rho * z[0] + math.sqrt(1 - rho * rho) * z[1])
    author_quality = gen.beta(3.0, 1.5, size=n_a)

    # 4: follows
    follows = _follow_graph(gen, interests, group, popularity, follows_mean, h)

    # 5: posts
    created = np.sort(gen.integers(0, span_us - n_p, size=n_p)) + np.arange(n_p) + t0
    post_author = gen.choice(n_a, size=n_p, p=activity / activity.sum()).astype(np.intp)
    is_reply = (gen.random(n_p) < replies) & (np.arange(n_p) > 0)
    parent = np.floor(np.arange(n_p) * gen.random(n_p) ** _REPLY_DEPTH_POWER).astype(np.intp)
    root = np.where(is_reply, parent, np.arange(n_p))
    while np.any(root[root] != root):
        root = root[root]
    topic_pairs = _post_topics(gen, interests[post_author])[root]
    post_topics = np.zeros((n_p, n_k))
    n_top = 2 - (topic_pairs[:, 1] < 0)
    rows = np.arange(n_p)
    post_topics[rows, topic_pairs[:, 0]] += 1.0 / n_top
    second = topic_pairs[:, 1] >= 0
    post_topics[rows[second], topic_pairs[second, 1]] += 0.5
    mu = author_quality[post_author]
    kq = _QUALITY_CONCENTRATION
    quality = np.clip(gen.beta(kq * mu, kq * (1 - mu)), 1e-6, 1 - 1e-6)
    post_lang = np.where(gen.random(n_p) < 0.9, first_lang[post_author], 0).astype(np.intp)
    spam = (quality < _SPAM_QUALITY) & (gen.random(n_p) < _SPAM_RECALL)
    nsfw = gen.random(n_p) < _NSFW_SHARE
    estimate = np.clip(quality + gen.normal(0.0, _QUALITY_NOISE, n_p), 0.0, 1.0)
    post_emb: NDArray[np.float64] | None = None
    viewer_emb: NDArray[np.float64] | None = None
    if dim is not None:
        proj = gen.normal(0.0, 1.0 / math.sqrt(dim), (dim, n_k))
        post_emb = post_topics @ proj.T + gen.normal(0.0, _EMBEDDING_NOISE, (n_p, dim))
        viewer_emb = interests @ proj.T
    n_words = gen.integers(3, 7, size=n_p)
    word_topic = np.where(
        second[:, None] & (gen.random((n_p, 6)) < 0.5), topic_pairs[:, 1:2], topic_pairs[:, 0:1]
    )
    word_pick = gen.integers(0, 6, size=(n_p, 6))
    truth = GroundTruth(
        interests=interests,
        group=group,
        follows=follows,
        speaks=speaks,
        activity=activity,
        popularity=popularity,
        author_quality=author_quality,
        post_author=post_author,
        post_topics=post_topics,
        quality=quality,
        post_lang=post_lang,
    )

    # 7: sessions
    now_us = t0 + span_us
    span = (n_feed + 1) * dwell
    session_at = np.sort(gen.integers(t0, now_us - span, size=(n_u, n_sess)), axis=1)
    log = _sessions(gen, truth, created, session_at, n_feed, n_out)
    order = np.lexsort((log["position"], log["viewer"], log["session_at"]))
    log = {k: v[order] for k, v in log.items()}
    m = len(order)
    viewer, post, position = (log[k].astype(np.intp) for k in ("viewer", "post", "position"))
    propensity = np.asarray((position + 1.0) ** (-eta), dtype=np.float64)
    r = truth.relevance(viewer, post)
    examined = gen.random(m) < propensity
    draws = gen.random((m, 5))
    hidden = examined & (draws[:, 0] < 0.3 * (1 - r) ** 3)
    kept = examined & ~hidden
    outcome = {
        InteractionKind.VIEW: np.ones(m, dtype=bool),
        InteractionKind.HIDE: hidden,
        InteractionKind.CLICK: kept & (draws[:, 1] < 0.05 + 0.55 * r),
        InteractionKind.LIKE: kept & (draws[:, 2] < 0.6 * r**2),
        InteractionKind.REPOST: kept & (draws[:, 3] < 0.2 * r**3),
        InteractionKind.REPLY: kept & (draws[:, 4] < 0.1 * r**2),
    }
    shown_at = log["session_at"] + position * dwell
    new_feed = np.ones(m, dtype=bool)
    new_feed[1:] = (np.diff(viewer) != 0) | (np.diff(log["session_at"]) != 0)
    session = np.cumsum(new_feed) - 1
    user_ids = _ids("u", n_u)
    post_ids = _ids("p", n_p)
    impressions = Impressions(
        viewer_index=viewer,
        viewer_id=user_ids[viewer],
        post_index=post,
        post_id=post_ids[post],
        session=session.astype(np.intp),
        session_at=log["session_at"],
        position=position.astype(np.int64),
        propensity=propensity,
        in_network=log["in_network"] == 1,
        examined=examined,
        clicked=outcome[InteractionKind.CLICK],
        liked=outcome[InteractionKind.LIKE],
        hidden=hidden,
    )
    kinds = list(InteractionKind)
    parts = [
        (np.flatnonzero(mask), kinds.index(kind), shown_at + offset * dwell // 5)
        for (kind, offset), mask in ((a, outcome[a[0]]) for a in _ACTIONS)
    ]
    imp = np.concatenate([p[0] for p in parts])
    kind_code = np.concatenate([np.full(len(p[0]), p[1]) for p in parts])
    at = np.concatenate([p[2][p[0]] for p in parts])
    order = np.lexsort((kind_code, viewer[imp], at))
    imp, kind_code, at = imp[order], kind_code[order], at[order]

    # 8: state at now
    before = at < now_us
    counts = np.zeros((n_p, len(kinds)), dtype=np.int64)
    np.add.at(counts, (post[imp[before]], kind_code[before]), 1)
    hides = imp[kind_code == kinds.index(InteractionKind.HIDE)]
    mute = gen.random(len(hides)) < _MUTE_AFTER_HIDE
    muted_pairs = {
        (int(u), int(a))
        for u, a in zip(viewer[hides[mute]], post_author[post[hides[mute]]], strict=True)
    }
    mutes_word = gen.random(n_u) < _MUTED_WORD_SHARE
    seen = np.zeros((n_u, n_p), dtype=bool)
    seen[viewer, post] = True

    # models
    created_dt = [from_micros(int(t)) for t in created]
    post_models = []
    topic_names = TOPICS[:n_k]
    for i in range(n_p):
        tops = tuple(topic_names[t] for t in topic_pairs[i] if t >= 0)
        words = " ".join(
            _VOCABULARY[topic_names[word_topic[i, j]]][word_pick[i, j]] for j in range(n_words[i])
        )
        text = f"{_GREETING[post_lang[i]]} {words} #{tops[0]}"
        labels = ("spam",) * bool(spam[i]) + ("nsfw",) * bool(nsfw[i])
        post_models.append(
            Post(
                id=str(post_ids[i]),
                author_id=str(user_ids[post_author[i]]),
                created_at=created_dt[i],
                counts={kinds[k]: int(c) for k, c in enumerate(counts[i]) if c},
                features={"quality_estimate": float(estimate[i])},
                topics=tops,
                labels=labels,
                lang=LANGUAGES[post_lang[i]],
                reply_to=str(post_ids[parent[i]]) if is_reply[i] else None,
                text=f"{_SPAM_WORDS} {text}" if spam[i] else text,
                embedding=None if post_emb is None else tuple(post_emb[i].tolist()),
            )
        )
    followers = follows.sum(axis=0)
    account_age = gen.uniform(30.0, 3650.0, size=n_a)
    authors = [
        Author(
            id=str(user_ids[a]),
            followers=int(followers[a]),
            created_at=start - timedelta(days=round(float(account_age[a]), 3)),
            attributes={"group": names[group[a]], "lang": LANGUAGES[first_lang[a]]},
        )
        for a in range(n_a)
    ]
    muted: dict[int, set[str]] = {}
    for u, a in muted_pairs:
        muted.setdefault(u, set()).add(str(user_ids[a]))
    viewers = [
        Viewer(
            id=str(user_ids[u]),
            follows=frozenset(user_ids[np.flatnonzero(follows[u])].tolist()),
            muted=frozenset(muted.get(u, ())),
            muted_words=(_VOCABULARY[topic_names[int(np.argmin(interests[u]))]][0],)
            if mutes_word[u]
            else (),
            languages=tuple(lang for lang, ok in zip(LANGUAGES, speaks[u], strict=True) if ok),
            seen=frozenset(post_ids[seen[u]].tolist()),
            interests={t: float(x) for t, x in zip(topic_names, interests[u], strict=True)},
            embedding=None if viewer_emb is None else tuple(viewer_emb[u].tolist()),
        )
        for u in range(n_u)
    ]
    iv, ip = user_ids[viewer[imp]].tolist(), post_ids[post[imp]].tolist()
    interactions = [
        Interaction(
            viewer_id=iv[j],
            post_id=ip[j],
            kind=kinds[kind_code[j]],
            at=EPOCH + timedelta(microseconds=int(at[j])),
        )
        for j in range(len(imp))
    ]
    return SimulatedNetwork(
        posts=post_models,
        authors=authors,
        viewers=viewers,
        interactions=interactions,
        impressions=impressions,
        now=from_micros(now_us),
        start=start,
        topics=topic_names,
        groups=names,
        truth=truth,
        parameters=parameters,
    )


def simulate_demo(*, rng: np.random.Generator | int = 7) -> SimulatedNetwork:
    """A small network for demos and doctests: 30 users, 150 posts over 24 hours.

    Same as ``simulate(rng=rng, n_users=30, n_posts=150, hours=24.0)``.
    """
    return simulate(rng=rng, n_users=30, n_posts=150, hours=24.0)


# ---------------------------------------------------------------------- pieces
def _dirichlet(gen: np.random.Generator, alpha: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rows ~ Dirichlet(alpha row), via normalised gammas (no zero entries)."""
    x = np.maximum(gen.standard_gamma(alpha), 1e-12)
    return np.asarray(x / x.sum(axis=1, keepdims=True), dtype=np.float64)


def _follow_graph(
    gen: np.random.Generator,
    interests: NDArray[np.float64],
    group: NDArray[np.intp],
    popularity: NDArray[np.float64],
    mean: float,
    homophily: float,
) -> NDArray[np.bool_]:
    """(U, A) bool follow matrix of step 4, drawn by Gumbel top-k per user."""
    n_u, n_a = interests.shape[0], popularity.shape[0]
    unit = interests / np.linalg.norm(interests, axis=1, keepdims=True)
    want = np.asarray(gen.poisson(mean, size=n_u), dtype=np.int64)
    out = np.zeros((n_u, n_a), dtype=bool)
    step = max(1, _CHUNK_CELLS // n_a)
    for lo in range(0, n_u, step):
        users = np.arange(lo, min(lo + step, n_u))
        base = popularity * np.exp(_SIMILARITY_STRENGTH * (unit[users] @ unit[:n_a].T))
        base[users < n_a, users[users < n_a]] = 0.0  # nobody follows themselves
        same = group[users][:, None] == group[:n_a][None, :]
        w_same = np.where(same, base, 0.0).sum(axis=1, keepdims=True)
        w_other = np.where(same, 0.0, base).sum(axis=1, keepdims=True)
        scale = np.where(
            same,
            homophily / np.where(w_same > 0, w_same, 1.0),
            (1 - homophily) / np.where(w_other > 0, w_other, 1.0),
        )
        weight = base * scale
        weight = np.where(weight.sum(axis=1, keepdims=True) > 0, weight, base)
        k = np.clip(want[users], 1, None)
        k = np.minimum(k, (weight > 0).sum(axis=1))
        keys = np.where(
            weight > 0,
            np.log(np.where(weight > 0, weight, 1.0)) + gen.gumbel(size=weight.shape),
            -np.inf,
        )
        rank = np.empty_like(users, shape=keys.shape)
        np.put_along_axis(
            rank, np.argsort(-keys, axis=1, kind="stable"), np.arange(n_a)[None, :], axis=1
        )
        out[users] = rank < k[:, None]
    return out


def _post_topics(gen: np.random.Generator, theta: NDArray[np.float64]) -> NDArray[np.intp]:
    """(P, 2) intp: each post's first topic ~ θ row and, w.p. .35, a distinct second
    one (-1 = none)."""
    n_p, n_k = theta.shape
    first = _categorical(gen, theta)
    if n_k == 1:
        second = np.full(n_p, -1, dtype=np.intp)
    else:
        rest = theta.copy()
        rest[np.arange(n_p), first] = 0.0
        second = np.where(gen.random(n_p) < _SECOND_TOPIC, _categorical(gen, rest), -1)
    return np.stack([first, second], axis=1).astype(np.intp)


def _categorical(gen: np.random.Generator, weights: NDArray[np.float64]) -> NDArray[np.intp]:
    """One draw per row ∝ ``weights`` (rows need not sum to 1), by inverse CDF."""
    cum = np.cumsum(weights, axis=1)
    u = np.asarray(gen.random(weights.shape[0]))[:, None] * cum[:, -1:]
    return np.asarray(np.minimum((cum <= u).sum(axis=1), weights.shape[1] - 1), dtype=np.intp)


def _top_k(score: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """(rows, min(k, n)) intp: columns of the k largest scores per row (any order)."""
    n = score.shape[1]
    if k <= 0:
        return np.zeros((score.shape[0], 0), dtype=np.intp)
    if k >= n:
        return np.asarray(np.broadcast_to(np.arange(n, dtype=np.intp), score.shape).copy())
    return np.argpartition(-score, k - 1, axis=1)[:, :k].astype(np.intp)


def _sessions(
    gen: np.random.Generator,
    truth: GroundTruth,
    created: NDArray[np.int64],
    session_at: NDArray[np.int64],
    feed_size: int,
    out_of_network: int,
) -> dict[str, NDArray[np.int64]]:
    """The logging policy of step 7: columns viewer, post, position, session,
    session_at, in_network (one int64 entry per shown post), in draw order."""
    n_u, n_sess = session_at.shape
    n_p = created.shape[0]
    n_in = feed_size - out_of_network
    cols: dict[str, list[NDArray[np.int64]]] = {
        k: [] for k in ("viewer", "post", "position", "session", "session_at", "in_network")
    }
    post_rank = np.arange(n_p, dtype=np.float64)  # posts are in creation order
    step = max(1, _CHUNK_CELLS // n_p)
    for lo in range(0, n_u, step):
        users = np.arange(lo, min(lo + step, n_u), dtype=np.intp)
        seen = np.zeros((len(users), n_p), dtype=bool)
        own = truth.post_author[None, :] == users[:, None]
        followed = truth.follows[users][:, truth.post_author]
        for s in range(n_sess):
            when = session_at[users, s]
            open_ = (created[None, :] < when[:, None]) & ~seen & ~own
            inn = open_ & followed
            score_in = np.where(inn, post_rank, -1.0)
            score_out = np.where(open_ & ~inn, gen.random(open_.shape), -1.0)
            pick_in, pick_out = _top_k(score_in, n_in), _top_k(score_out, out_of_network)
            ok_in = np.take_along_axis(score_in, pick_in, axis=1) >= 0
            ok_out = np.take_along_axis(score_out, pick_out, axis=1) >= 0
            cand = np.concatenate([np.where(ok_in, pick_in, -1), np.where(ok_out, pick_out, -1)], 1)
            flag = np.concatenate([ok_in, np.zeros_like(ok_out)], axis=1)
            order = np.argsort(-cand, axis=1, kind="stable")  # newest first, gaps last
            cand = np.take_along_axis(cand, order, axis=1)
            flag = np.take_along_axis(flag, order, axis=1)
            row, pos = np.nonzero(cand >= 0)
            post = cand[row, pos]
            seen[row, post] = True
            for name, col in (
                ("viewer", users[row]),
                ("post", post),
                ("position", pos),
                ("session", np.full(len(row), s)),
                ("session_at", when[row]),
                ("in_network", flag[row, pos]),
            ):
                cols[name].append(np.asarray(col, dtype=np.int64))
    return {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for k, v in cols.items()}


def _ids(prefix: str, n: int) -> NDArray[np.str_]:
    """ndarray (n,), str: zero-padded ids that sort in index order (``u007``)."""
    width = len(str(max(n - 1, 0)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(n)], dtype=np.str_)


# ---------------------------------------------------------------------- checks
def _generator(rng: object) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, Integral) and not isinstance(rng, bool) and int(rng) >= 0:
        return np.random.default_rng(int(rng))
    raise InputError(
        f"got {rng!r}", field="rng", expected="a numpy.random.Generator or an integer seed >= 0"
    )


def _integer(name: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, Integral) and not isinstance(value, bool):
        x = int(value)
        if low <= x and (high is None or x <= high):
            return x
    bound = f">= {low}" if high is None else f"in {low}..{high}"
    raise InputError(f"{name}={value!r}", field=name, expected=f"an integer {bound}")


def _real(name: str, value: object, low: float, high: float, *, open_low: bool = False) -> float:
    if isinstance(value, Real) and not isinstance(value, bool):
        x = float(value)
        if math.isfinite(x) and (x > low if open_low else x >= low) and x <= high:
            return x
    if math.isinf(high):
        bound = f"{'>' if open_low else '>='} {low:g}"
    else:
        bound = f"in {'(' if open_low else '['}{low:g}, {high:g}]"
    raise InputError(f"{name}={value!r}", field=name, expected=f"a finite number {bound}")


def _groups(groups: object, shares: object) -> tuple[tuple[str, ...], NDArray[np.float64]]:
    if isinstance(groups, str) or not isinstance(groups, Sequence):
        raise InputError(f"groups={groups!r}", field="groups", expected="a sequence of group names")
    names = tuple(groups)
    if not names or not all(isinstance(g, str) and g.strip() for g in names):
        raise InputError(
            f"groups={groups!r}", field="groups", expected="one or more non-blank names"
        )
    if len(set(names)) != len(names):
        raise InputError(f"groups={groups!r}", field="groups", expected="distinct names")
    if shares is None:
        return names, np.full(len(names), 1.0 / len(names))
    if isinstance(shares, str) or not isinstance(shares, Sequence):
        raise InputError(
            f"group_shares={shares!r}", field="group_shares", expected="a sequence of numbers"
        )
    values = [_real("group_shares", x, 0.0, math.inf, open_low=True) for x in shares]
    if len(values) != len(names):
        raise InputError(
            f"{len(values)} shares for {len(names)} groups",
            field="group_shares",
            expected=f"{len(names)} positive numbers, one per group",
        )
    arr = np.array(values, dtype=np.float64)
    return names, arr / arr.sum()
