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
from numbers import Integral

import numpy as np
from numpy.typing import NDArray

from feedrank._time import EPOCH, from_micros, to_micros
from feedrank.datasets.arguments import as_generator, as_groups, as_integer, as_real
from feedrank.datasets.behaviour import actions, reactions
from feedrank.datasets.campaigns import Campaigns, plant_campaigns
from feedrank.datasets.feeds import sessions
from feedrank.datasets.follows import follow_graph
from feedrank.datasets.network import (
    LANGUAGES,
    GroundTruth,
    Impressions,
    SimulatedNetwork,
)
from feedrank.datasets.sampling import categorical, dirichlet
from feedrank.datasets.vocabulary import GREETINGS, SPAM_WORDS, TOPICS, VOCABULARY
from feedrank.errors import InputError
from feedrank.models import Author, Interaction, InteractionKind, Post, Viewer

__all__ = ["DEFAULT_START", "simulate", "simulate_demo"]

DEFAULT_START = datetime(2026, 1, 1, tzinfo=timezone.utc)
"""Start of the simulated window unless ``start`` is given."""

_LANGUAGE_SHARES = np.array([0.80, 0.12, 0.08])
_SECOND_TOPIC, _REPLY_DEPTH_POWER = 0.35, 0.25
_POPULARITY_CORRELATION, _QUALITY_CONCENTRATION, _QUALITY_NOISE = 0.5, 10.0, 0.1
_SPAM_QUALITY, _SPAM_RECALL, _NSFW_SHARE = 0.2, 0.8, 0.02
_EMBEDDING_NOISE = 0.05
_MUTE_AFTER_HIDE, _MUTED_WORD_SHARE = 0.15, 0.05
_MAX_DWELL_US = 5_000_000


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
    campaigns: Campaigns | None = None,
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
    - ``campaigns``: coordinated campaigns and a reporting brigade to plant
      (:class:`~feedrank.datasets.campaigns.Campaigns`; their ground truth is
      ``SimulatedNetwork.campaigns``), or None for an organic network only. The
      organic network of a seed is the same either way.
    """
    gen = as_generator(rng)
    n_u = as_integer("n_users", n_users, 2)
    n_a = n_u if n_authors is None else as_integer("n_authors", n_authors, 1, n_u)
    n_k = as_integer("n_topics", n_topics, 1, len(TOPICS))
    n_p = as_integer("n_posts", n_posts, 1)
    span_us = round(as_real("hours", hours, 0.0, math.inf, open_low=True) * 3_600_000_000)
    n_feed = as_integer("feed_size", feed_size, 1)
    n_out = as_integer("out_of_network", out_of_network, 0, n_feed)
    n_sess = as_integer("sessions_per_user", sessions_per_user, 0)
    dim = None if embedding_dim is None else as_integer("embedding_dim", embedding_dim, 1)
    names, shares = as_groups(groups, group_shares)
    h = as_real("homophily", homophily, 0.0, 1.0)
    follows_mean = as_real("mean_follows", mean_follows, 0.0, math.inf, open_low=True)
    conc = as_real("interest_concentration", interest_concentration, 0.0, math.inf, open_low=True)
    eta = as_real("position_bias", position_bias, 0.0, math.inf)
    replies = as_real("reply_share", reply_share, 0.0, 1.0)
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
        "campaigns": None if campaigns is None else dict(vars(campaigns)),
    }
    if campaigns is not None and not isinstance(campaigns, Campaigns):
        raise InputError(
            f"got {type(campaigns).__name__}",
            field="campaigns",
            expected="a Campaigns plan or None",
        )

    # 1-3: groups, interests, languages, author traits
    group = gen.choice(len(names), size=n_u, p=shares).astype(np.intp)
    profiles = dirichlet(gen, np.ones((len(names), n_k)))
    interests = dirichlet(gen, conc * profiles[group])
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
    follows = follow_graph(gen, interests, group, popularity, follows_mean, h)

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
    log = sessions(gen, truth, created, session_at, n_feed, n_out)
    order = np.lexsort((log["position"], log["viewer"], log["session_at"]))
    log = {k: v[order] for k, v in log.items()}
    m = len(order)
    viewer, post, position = (log[k].astype(np.intp) for k in ("viewer", "post", "position"))
    propensity = np.asarray((position + 1.0) ** (-eta), dtype=np.float64)
    examined, outcome = reactions(gen, truth.relevance(viewer, post), propensity)
    hidden = outcome[InteractionKind.HIDE]
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
    imp, kind_code, at = actions(outcome, shown_at, dwell, viewer)
    planted = None
    if campaigns is not None:
        planted = plant_campaigns(
            gen.spawn(1)[0], campaigns, user_ids, post_ids, post_author, created, now_us
        )

    # 8: state at now
    before = at < now_us
    counts = np.zeros((n_p, len(kinds)), dtype=np.int64)
    np.add.at(counts, (post[imp[before]], kind_code[before]), 1)
    if planted is not None:
        np.add.at(counts, (planted.post, planted.kind), 1)
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
            VOCABULARY[topic_names[word_topic[i, j]]][word_pick[i, j]] for j in range(n_words[i])
        )
        text = f"{GREETINGS[post_lang[i]]} {words} #{tops[0]}"
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
                text=f"{SPAM_WORDS} {text}" if spam[i] else text,
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
            muted_words=(VOCABULARY[topic_names[int(np.argmin(interests[u]))]][0],)
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
    if planted is not None:  # merged into the organic log by time (stable)
        order = np.argsort(np.concatenate([at, planted.at]), kind="stable")
        iv = np.array(iv + user_ids[planted.viewer].tolist(), dtype=object)[order].tolist()
        ip = np.array(ip + post_ids[planted.post].tolist(), dtype=object)[order].tolist()
        kind_code = np.concatenate([kind_code, planted.kind])[order]
        at = np.concatenate([at, planted.at])[order]
        imp = np.zeros(len(order), dtype=np.intp)
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
        campaigns=None if planted is None else planted.truth,
    )


def simulate_demo(*, rng: np.random.Generator | int = 7) -> SimulatedNetwork:
    """A small network for demos and doctests: 30 users, 150 posts over 24 hours.

    Same as ``simulate(rng=rng, n_users=30, n_posts=150, hours=24.0)``.
    """
    return simulate(rng=rng, n_users=30, n_posts=150, hours=24.0)


# ---------------------------------------------------------------------- pieces
def _post_topics(gen: np.random.Generator, theta: NDArray[np.float64]) -> NDArray[np.intp]:
    """(P, 2) intp: each post's first topic ~ θ row and, w.p. .35, a distinct second
    one (-1 = none)."""
    n_p, n_k = theta.shape
    first = categorical(gen, theta)
    if n_k == 1:
        second = np.full(n_p, -1, dtype=np.intp)
    else:
        rest = theta.copy()
        rest[np.arange(n_p), first] = 0.0
        second = np.where(gen.random(n_p) < _SECOND_TOPIC, categorical(gen, rest), -1)
    return np.stack([first, second], axis=1).astype(np.intp)


def _ids(prefix: str, n: int) -> NDArray[np.str_]:
    """ndarray (n,), str: zero-padded ids that sort in index order (``u007``)."""
    width = len(str(max(n - 1, 0)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(n)], dtype=np.str_)
