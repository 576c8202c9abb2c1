"""Content signals: topic match, embedding cosine similarity, platform features."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
import pytest

import feedrank as fr
from feedrank.errors import SpecError
from feedrank.stages.signals import EmbeddingSimilarity, Feature, TopicMatch

UTC = timezone.utc
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def ctx_for(batch: fr.PostBatch, viewer: fr.Viewer | None) -> fr.Context:
    return fr.Context.build(batch, now=NOW, viewer=viewer)


def topic_batch() -> fr.PostBatch:
    rows = [("jazz", "film"), ("news",), (), ("sport",), ("jazz", "news", "sport")]
    posts = [
        fr.Post(id=f"p{i}", author_id="a", created_at=NOW, topics=t) for i, t in enumerate(rows)
    ]
    return fr.PostBatch.from_posts(posts)


INTERESTS = {"jazz": 2.0, "film": -0.5, "news": 1.0, "cooking": 9.0}


def test_topic_match_sums_interest_weights_over_topics() -> None:
    batch = topic_batch()
    got = TopicMatch().compute(batch, ctx_for(batch, fr.Viewer(id="v", interests=INTERESTS)))
    assert got.tolist() == [1.5, 1.0, 0.0, 0.0, 3.0]


def test_topic_match_mean_divides_by_the_number_of_topics() -> None:
    batch = topic_batch()
    viewer = fr.Viewer(id="v", interests=INTERESTS)
    got = TopicMatch(normalize="mean").compute(batch, ctx_for(batch, viewer))
    assert got.tolist() == [1.5 / 2, 1.0, 0.0, 0.0, 3.0 / 3]


def test_topic_match_without_interests_is_zero() -> None:
    batch = topic_batch()
    assert TopicMatch().compute(batch, ctx_for(batch, None)).tolist() == [0.0] * 5
    assert TopicMatch().compute(batch, ctx_for(batch, fr.Viewer(id="v"))).tolist() == [0.0] * 5


def cosine(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


EMBEDDINGS: list[tuple[float, ...] | None] = [
    (1.0, 0.0, 0.0),
    (0.0, 2.0, 0.0),
    None,
    (-3.0, 0.0, 0.0),
    (1.0, 1.0, 1.0),
    (0.0, 0.0, 0.0),
    (0.5, -0.25, 2.0),
]


def embedding_batch() -> fr.PostBatch:
    posts = [
        fr.Post(id=f"p{i}", author_id="a", created_at=NOW, embedding=e)
        for i, e in enumerate(EMBEDDINGS)
    ]
    return fr.PostBatch.from_posts(posts)


def test_embedding_similarity_is_cosine_and_missing_for_posts_without_one() -> None:
    batch = embedding_batch()
    me = (2.0, 1.0, -1.0)
    ctx = ctx_for(batch, fr.Viewer(id="v", embedding=me))
    got = EmbeddingSimilarity().compute(batch, ctx)
    expected = [
        0.0 if e is None or not any(e) else cosine(me, e)  # no embedding / zero vector
        for e in EMBEDDINGS
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    custom = EmbeddingSimilarity(missing=-1.0).compute(batch, ctx)
    assert custom[2] == -1.0
    assert custom[5] == -1.0
    np.testing.assert_allclose(custom[[0, 1, 3, 4, 6]], np.array(expected)[[0, 1, 3, 4, 6]])


def test_embedding_similarity_when_viewer_or_posts_have_none() -> None:
    batch = embedding_batch()
    assert EmbeddingSimilarity(missing=0.25).compute(
        batch, ctx_for(batch, fr.Viewer(id="v"))
    ).tolist() == [0.25] * len(EMBEDDINGS)
    assert EmbeddingSimilarity().compute(batch, ctx_for(batch, None)).tolist() == [0.0] * len(
        EMBEDDINGS
    )
    plain = fr.PostBatch.from_posts([fr.Post(id="x", author_id="a", created_at=NOW)])
    viewer = fr.Viewer(id="v", embedding=(1.0, 2.0))
    assert EmbeddingSimilarity(missing=0.5).compute(plain, ctx_for(plain, viewer)).tolist() == [0.5]
    zero_viewer = fr.Viewer(id="v", embedding=(0.0, 0.0, 0.0))
    assert EmbeddingSimilarity().compute(batch, ctx_for(batch, zero_viewer)).tolist() == [
        0.0
    ] * len(EMBEDDINGS)


def test_embedding_similarity_rejects_a_viewer_of_another_dimension() -> None:
    batch = embedding_batch()
    with pytest.raises(fr.RankingError) as info:
        EmbeddingSimilarity().compute(batch, ctx_for(batch, fr.Viewer(id="v", embedding=(1.0,))))
    assert info.value.field == "viewer.embedding"


def feature_batch() -> fr.PostBatch:
    features = [{"p_like": 0.25, "p_reply": 0.5}, {"p_like": 0.75}, {}, {"p_reply": 0.125}]
    posts = [
        fr.Post(id=f"p{i}", author_id="a", created_at=NOW, features=f)
        for i, f in enumerate(features)
    ]
    return fr.PostBatch.from_posts(posts)


def test_feature_returns_the_column() -> None:
    batch = fr.PostBatch.from_columns(
        ids=np.array(["a", "b"]),
        author_ids=np.array(["x", "y"]),
        created_at=np.array([0, 1]),
        features={"score": np.array([1.5, -2.0])},
    )
    got = Feature(name="score").compute(batch, ctx_for(batch, None))
    assert got.dtype == np.float64
    assert got.tolist() == [1.5, -2.0]


def test_missing_feature_raises_naming_the_first_post_without_it() -> None:
    batch = feature_batch()
    with pytest.raises(fr.RankingError) as info:
        Feature(name="p_like").compute(batch, ctx_for(batch, None))
    assert info.value.post_id == "p2"
    assert info.value.field == "features.p_like"
    assert "'p2'" in str(info.value)
    with pytest.raises(fr.RankingError) as info:
        Feature(name="p_reply").compute(batch, ctx_for(batch, None))
    assert info.value.post_id == "p1"


def test_missing_feature_takes_the_default_when_given() -> None:
    batch = feature_batch()
    got = Feature(name="p_like", default=0.0).compute(batch, ctx_for(batch, None))
    assert got.tolist() == [0.25, 0.75, 0.0, 0.0]
    got = Feature(name="p_reply", default=-1.0).compute(batch, ctx_for(batch, None))
    assert got.tolist() == [0.5, -1.0, -1.0, 0.125]


def test_feature_absent_from_every_post() -> None:
    batch = feature_batch()
    with pytest.raises(fr.RankingError) as info:
        Feature(name="nope").compute(batch, ctx_for(batch, None))
    assert info.value.post_id == "p0"
    got = Feature(name="nope", default=3.0).compute(batch, ctx_for(batch, None))
    assert got.tolist() == [3.0] * 4


def test_feature_does_not_alias_the_batch_column() -> None:
    batch = feature_batch()
    got = Feature(name="p_like", default=0.0).compute(batch, ctx_for(batch, None))
    got[:] = 99.0
    assert batch.features["p_like"][0] == 0.25


@pytest.mark.parametrize(
    "kwargs", [{"name": ""}, {"name": "x", "default": float("nan")}, {"name": "x", "default": "1"}]
)
def test_feature_rejects_invalid_parameters(kwargs: dict[str, object]) -> None:
    with pytest.raises(SpecError):
        Feature(**kwargs)


def test_topic_match_rejects_unknown_normalisation() -> None:
    with pytest.raises(SpecError):
        TopicMatch(normalize="max")


def test_equal_embeddings_get_equal_similarities_wherever_they_stand() -> None:
    """Similarity is computed row by row, so posts with the same embedding tie
    exactly (and the documented tie-break decides), whatever their position."""
    rng = np.random.default_rng(5)
    same = rng.normal(size=48)
    rows = rng.normal(size=(40, 48))
    rows[::3] = same
    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    batch = fr.PostBatch.from_columns(
        ids=np.array([f"p{i}" for i in range(40)]),
        author_ids=np.array(["a"] * 40),
        created_at=np.full(40, 0, dtype=np.int64),
        embeddings=rows,
    )
    viewer = fr.Viewer(id="v", embedding=tuple(rng.normal(size=48).tolist()))
    values = EmbeddingSimilarity().compute(batch, fr.Context.build(batch, now=t, viewer=viewer))
    assert len(set(values[::3].tolist())) == 1
    flipped = batch.take(np.arange(39, -1, -1))
    again = EmbeddingSimilarity().compute(flipped, fr.Context.build(flipped, now=t, viewer=viewer))
    assert again[::-1].tobytes() == values.tobytes()
