"""Hypothesis strategies and small builders shared by the ranking tests.

Import as ``from tests.strategies import ...`` (the repository root is on
``sys.path`` through the editable install and ``python -m pytest``).

The strategies draw from small pools on purpose: few authors (so author
diversity and network caps act), coarse timestamps and small counts (so scores
and creation times tie and the tie-break order is exercised), a handful of
words with varied case and separators (so muted words hit and miss).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

import feedrank as fr
from feedrank.stages.filters import (
    BlockedAuthors,
    Labels,
    Language,
    MaxAge,
    MutedAuthors,
    MutedWords,
    Seen,
)
from feedrank.stages.policy import Policy
from feedrank.stages.rerank import AuthorDiversity, NetworkCaps
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals import (
    AuthorAffinity,
    EmbeddingSimilarity,
    EngagementRate,
    ExponentialDecay,
    Feature,
    GravityDecay,
    InNetwork,
    Interactions,
    IsReply,
    TopicMatch,
    WilsonLowerBound,
)

UTC = timezone.utc
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
"""The ``now`` every generated feed is ranked at."""

AUTHORS = ("ann", "bob", "cy", "dee", "eve", "fox")
TOPICS = ("art", "jazz", "news", "sport", "tech")
LABELS = ("nsfw", "spam", "gore", "satire")
LABEL_SETS = ((),) * 12 + (("satire",), ("nsfw",), ("gore", "spam"), ("nsfw", "satire"))
LANGS = ("", "en", "en", "de", "fr")
WORDS = (
    "cat",
    "Cat",
    "CATS",
    "category",
    "dog",
    "new",
    "New",
    "york",
    "YORK",
    "hello",
    "world",
    "news",
)
SEPARATORS = (" ", "  ", "-", "! ", ", ", "...", "_")
MUTABLE_WORDS = ("cat", "new york", "hello", "dog!")
ID_ALPHABET = "abcxyzAB019_-"
COUNT_KINDS = ("like", "repost", "reply", "view", "upvote", "downvote", "hide")
EMBED_DIM = 3

small_floats = st.integers(-8, 8).map(lambda k: k / 4)
"""Floats on a quarter grid: exact, varied, and prone to ties."""

ADULT_POLICY = Policy(
    name="adult-content",
    kind="visibility_restriction",
    ground="terms",
    reference="Test terms: adult and graphic content stays out of feeds",
    url="https://example.org/terms#adult",
    explanation="The post carries a label for adult or graphic content.",
    category="STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
)
"""The policy of the label filters of the test pipelines."""


@st.composite
def texts(draw: st.DrawFn) -> str:
    """A short text of pool words joined by assorted separators (maybe empty)."""
    words = draw(st.lists(st.sampled_from(WORDS), max_size=6))
    out = ""
    for i, word in enumerate(words):
        if i:
            out += draw(st.sampled_from(SEPARATORS))
        out += word
    return out


@st.composite
def posts_lists(
    draw: st.DrawFn, *, min_size: int = 0, max_size: int = 40, allow_future: bool = True
) -> list[fr.Post]:
    """A list of valid posts with unique random ids.

    Creation times are whole multiples of 30 minutes before ``NOW`` (up to about
    80 h, so some are older than 48 h) and, when ``allow_future``, up to 1.5 h
    after it. Counts are small, so scores tie often.
    """
    ids = draw(
        st.lists(
            st.text(ID_ALPHABET, min_size=1, max_size=4),
            min_size=min_size,
            max_size=max_size,
            unique=True,
        )
    )
    lowest = -3 if allow_future else 0
    posts = []
    for pid in ids:
        steps = draw(st.integers(lowest, 160))
        counts = draw(st.dictionaries(st.sampled_from(COUNT_KINDS), st.integers(0, 30), max_size=4))
        features = draw(
            st.one_of(st.just({}), st.fixed_dictionaries({"quality": st.integers(0, 8)}))
        )
        embedding = draw(st.one_of(st.none(), st.tuples(*[small_floats] * EMBED_DIM)))
        reply_to = draw(st.one_of(st.none(), st.sampled_from(("root1", "root2"))))
        posts.append(
            fr.Post(
                id=pid,
                author_id=draw(st.sampled_from(AUTHORS)),
                created_at=NOW - timedelta(minutes=30 * steps),
                counts=counts,
                features={k: float(v) for k, v in features.items()},
                topics=tuple(draw(st.lists(st.sampled_from(TOPICS), max_size=3))),
                labels=draw(st.sampled_from(LABEL_SETS)),
                lang=draw(st.sampled_from(LANGS)) or None,
                text=draw(texts()) or None,
                reply_to=reply_to,
                embedding=embedding,
            )
        )
    return posts


KNOWN_AUTHORS = tuple(fr.Author(id=a, followers=100 * (i + 1)) for i, a in enumerate(AUTHORS))
"""An Author record (follower count 100, 200, ...) for every author of the pool."""


def batch_of(posts: Sequence[fr.Post]) -> fr.PostBatch:
    """PostBatch of ``posts`` with every pool author known."""
    return fr.PostBatch.from_posts(list(posts), KNOWN_AUTHORS)


def batches(*, min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[fr.PostBatch]:
    """Random PostBatch of up to ``max_size`` posts."""
    return posts_lists(min_size=min_size, max_size=max_size).map(batch_of)


@st.composite
def viewers(draw: st.DrawFn, post_ids: Sequence[str] = ()) -> fr.Viewer:
    """A random viewer; ``seen`` is drawn from ``post_ids``."""
    subset = st.frozensets(st.sampled_from(AUTHORS), max_size=3)
    seen = (
        draw(st.frozensets(st.sampled_from(list(post_ids)), max_size=3))
        if post_ids
        else frozenset()
    )
    return fr.Viewer(
        id="viewer",
        follows=draw(subset),
        blocked=draw(st.frozensets(st.sampled_from(AUTHORS), max_size=1)),
        muted=draw(st.frozensets(st.sampled_from(AUTHORS), max_size=1)),
        muted_words=tuple(draw(st.lists(st.sampled_from(MUTABLE_WORDS), max_size=2))),
        languages=draw(st.sampled_from(((), ("en",), ("en", "de")))),
        seen=seen,
        interests=draw(st.dictionaries(st.sampled_from(TOPICS), small_floats, max_size=3)),
        embedding=draw(st.one_of(st.none(), st.tuples(*[small_floats] * EMBED_DIM))),
    )


@dataclass(frozen=True)
class Feed:
    """One generated request: the posts, their batch, the viewer and its context."""

    posts: list[fr.Post]
    batch: fr.PostBatch
    viewer: fr.Viewer | None
    ctx: fr.Context

    def context_for(self, batch: fr.PostBatch) -> fr.Context:
        """A context for another batch (e.g. a subset) with the same viewer and now."""
        return fr.Context.build(batch, now=NOW, viewer=self.viewer)


@st.composite
def feeds(
    draw: st.DrawFn,
    *,
    min_size: int = 0,
    max_size: int = 40,
    allow_future: bool = True,
    anonymous: bool | None = None,
) -> Feed:
    """Posts, a viewer (or None when ``anonymous`` allows it) and their context."""
    posts = draw(posts_lists(min_size=min_size, max_size=max_size, allow_future=allow_future))
    batch = batch_of(posts)
    anon = draw(st.booleans()) if anonymous is None else anonymous
    viewer = None if anon else draw(viewers([p.id for p in posts]))
    return Feed(posts, batch, viewer, fr.Context.build(batch, now=NOW, viewer=viewer))


def rich_pipeline(*, limit: int = 50, likes_weight: float = 1.5) -> fr.Pipeline:
    """A pipeline with several terms, factors, filters, AuthorDiversity and NetworkCaps.

    The only signal reading the ``like`` count is the ``likes`` term (log1p,
    weight ``likes_weight``), so adding likes to a post can only raise its input.
    """
    return fr.Pipeline(
        name="rich",
        filters=(
            BlockedAuthors(),
            MutedAuthors(),
            MutedWords(),
            Seen(),
            MaxAge(hours=72),
            Language(),
            Labels(exclude=("nsfw", "gore"), policy=ADULT_POLICY),
        ),
        scorer=Scorer(
            terms=(
                Term(
                    name="likes",
                    signal=Interactions(weights={"like": 1.0}, transform="log1p"),
                    weight=likes_weight,
                ),
                Term(
                    name="shares",
                    signal=Interactions(weights={"repost": 2.0, "reply": 1.0}, transform="log1p"),
                    weight=0.75,
                ),
                Term(
                    name="votes",
                    signal=Interactions(
                        weights={"upvote": 1.0, "downvote": -1.0}, transform="signed_log10"
                    ),
                    weight=0.5,
                ),
                Term(name="best", signal=WilsonLowerBound(), weight=2.0),
                Term(
                    name="reply_rate",
                    signal=EngagementRate(weights={"reply": 1.0}, base="view"),
                    weight=1.0,
                ),
                Term(name="topics", signal=TopicMatch(), weight=0.5),
                Term(name="taste", signal=EmbeddingSimilarity(), weight=0.25),
                Term(name="affinity", signal=AuthorAffinity(), weight=0.3),
                Term(name="quality", signal=Feature(name="quality", default=1.0), weight=0.1),
                Term(name="hidden", signal=Interactions(weights={"hide": 1.0}), weight=-0.2),
            ),
            factors=(
                Factor(name="gravity", signal=GravityDecay()),
                Factor(name="fresh", signal=ExponentialDecay(half_life_hours=36)),
                Factor(name="out_of_network", signal=InNetwork(false_value=0.75)),
                Factor(name="reply", signal=IsReply(true_value=0.75, false_value=1.0)),
            ),
        ),
        rerankers=(AuthorDiversity(), NetworkCaps(max_in_network=4, max_out_of_network=5)),
        limit=limit,
    )


def simple_pipeline(**kwargs: Any) -> fr.Pipeline:
    """A likes-only pipeline without filters (``kwargs`` override Pipeline fields)."""
    fields: dict[str, Any] = {
        "name": "likes",
        "scorer": Scorer(terms=(Term(name="likes", signal=Interactions(), weight=1.0),)),
    }
    fields.update(kwargs)
    return fr.Pipeline(**fields)
