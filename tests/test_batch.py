"""PostBatch: fixed dtypes, validation that names the post and column, lossless reshaping."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
N_KINDS = len(fr.InteractionKind)


def epoch_micros(moment: datetime) -> int:
    """Microseconds since 1970-01-01 UTC, by calendar arithmetic on whole units."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def sample_posts() -> list[fr.Post]:
    return [
        fr.Post(
            id="p1",
            author_id="alice",
            created_at=datetime(2026, 1, 1, 11, 59, 59, 999_999, tzinfo=UTC),
            counts={"like": 3, "follow": 2},
            features={"p_like": 0.5},
            topics=("news", "sport"),
            lang="en",
            embedding=(1.0, 2.0),
        ),
        fr.Post(
            id="p2",
            author_id="bob",
            created_at=datetime(1969, 12, 31, 18, 59, 59, 1, tzinfo=timezone(timedelta(hours=-5))),
            counts={"reply": 1},
            features={"p_reply": 0.25},
            labels=("nsfw",),
            url="https://example.org",
            text="hi ✓",
        ),
        fr.Post(
            id="post-three",
            author_id="alice",
            created_at=T0,
            reply_to="p1",
            repost_of="p0",
            quote_of="p2",
            embedding=(-3.0, 0.5),
        ),
    ]


def columns(n: int = 3, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ids": np.array([f"p{i}" for i in range(n)]),
        "author_ids": np.array([f"a{i % 2}" for i in range(n)]),
        "created_at": np.arange(n, dtype=np.int64) * 1_000_000,
    }
    base.update(overrides)
    return base


# ----------------------------------------------------------------- from_posts
def test_from_posts_columns_and_dtypes() -> None:
    posts = sample_posts()
    authors = [fr.Author(id="alice", followers=10)]
    batch = fr.PostBatch.from_posts(posts, authors)
    assert len(batch) == 3
    assert batch.ids.dtype.kind == "U"
    assert batch.author_ids.dtype.kind == "U"
    assert batch.ids.tolist() == [p.id for p in posts]
    assert batch.author_ids.tolist() == [p.author_id for p in posts]

    assert batch.created_at.dtype == np.int64
    assert batch.created_at.tolist() == [epoch_micros(p.created_at) for p in posts]
    assert batch.created_at[1] == -999_999  # one second before the epoch, plus 1 µs

    assert batch.counts.dtype == np.int64
    assert batch.counts.shape == (3, N_KINDS)
    for i, post in enumerate(posts):
        for j, kind in enumerate(fr.InteractionKind):
            assert batch.counts[i, j] == post.counts.get(kind, 0)
    assert batch.count("like").tolist() == [3, 0, 0]
    assert batch.count(fr.InteractionKind.FOLLOW).tolist() == [2, 0, 0]

    assert sorted(batch.features) == ["p_like", "p_reply"]
    for name, col in batch.features.items():
        assert col.dtype == np.float64
        for i, post in enumerate(posts):
            if name in post.features:
                assert col[i] == post.features[name]
            else:
                assert math.isnan(col[i])

    assert batch.topics.to_lists() == [("news", "sport"), (), ()]
    assert batch.labels.to_lists() == [(), ("nsfw",), ()]
    assert batch.lang.tolist() == ["en", "", ""]
    assert batch.reply_to.tolist() == ["", "", "p1"]
    assert batch.repost_of.tolist() == ["", "", "p0"]
    assert batch.quote_of.tolist() == ["", "", "p2"]
    assert batch.url.tolist() == ["", "https://example.org", ""]
    assert batch.text.tolist() == ["", "hi ✓", ""]
    assert batch.has_embedding.tolist() == [True, False, True]
    assert batch.embeddings is not None
    assert batch.embeddings.shape == (3, 2)
    assert batch.embeddings[[0, 2]].tolist() == [[1.0, 2.0], [-3.0, 0.5]]
    np.testing.assert_array_equal(batch.author_followers, [10.0, np.nan, 10.0])


def test_from_posts_without_embeddings_or_authors() -> None:
    batch = fr.PostBatch.from_posts([fr.Post(id="a", author_id="x", created_at=T0)])
    assert batch.embeddings is None
    assert batch.has_embedding.tolist() == [False]
    assert np.isnan(batch.author_followers).all()
    assert batch.features == {}
    assert batch.counts.tolist() == [[0] * N_KINDS]


def test_unknown_kind_in_count_raises_batch_error() -> None:
    batch = fr.PostBatch.from_posts(sample_posts())
    with pytest.raises(fr.BatchError, match="poke"):
        batch.count("poke")


def test_from_posts_rejects_mixed_embedding_dimensions() -> None:
    posts = [
        fr.Post(id="a", author_id="x", created_at=T0, embedding=(1.0, 2.0)),
        fr.Post(id="b", author_id="x", created_at=T0, embedding=(1.0, 2.0, 3.0)),
    ]
    with pytest.raises(fr.BatchError) as info:
        fr.PostBatch.from_posts(posts)
    assert (info.value.post_id, info.value.field) == ("b", "embedding")


def test_from_posts_rejects_non_post_rows() -> None:
    with pytest.raises(fr.BatchError, match="row 1"):
        fr.PostBatch.from_posts([sample_posts()[0], {"id": "p2"}])  # type: ignore[list-item]


def test_count_beyond_int64_is_a_feedrank_error() -> None:
    """The model accepts any int >= 0; the batch stores int64. One of them must say no
    with a validation error, not an OverflowError from numpy."""

    def build() -> fr.PostBatch:
        post = fr.Post(id="big", author_id="x", created_at=T0, counts={"like": 2**63})
        return fr.PostBatch.from_posts([post])

    with pytest.raises(fr.FeedrankError):
        build()


# ------------------------------------------------------------------ duplicates
def test_duplicate_ids_rejected_everywhere() -> None:
    post = fr.Post(id="dup", author_id="x", created_at=T0)
    other = fr.Post(id="other", author_id="x", created_at=T0)
    with pytest.raises(fr.BatchError) as info:
        fr.PostBatch.from_posts([post, other, post])
    assert (info.value.post_id, info.value.field) == ("dup", "ids")
    assert "'dup'" in str(info.value)

    with pytest.raises(fr.BatchError) as info:
        fr.PostBatch.from_columns(**columns(ids=np.array(["z", "dup", "dup"])))
    assert info.value.post_id == "dup"

    a = fr.PostBatch.from_posts([post])
    b = fr.PostBatch.from_posts([other, post])
    with pytest.raises(fr.BatchError) as info:
        fr.PostBatch.concat([a, b])
    assert info.value.post_id == "dup"


def test_nul_characters_are_refused_rather_than_silently_dropped() -> None:
    """Columnar storage would strip a trailing NUL and merge 'a' with 'a\\x00'."""
    with pytest.raises(fr.InputError, match="id"):
        fr.Post(id="a\x00", author_id="x", created_at=T0)
    with pytest.raises(fr.InputError, match="lang"):
        fr.Post(id="a", author_id="x", created_at=T0, lang="en\x00")
    with pytest.raises(fr.BatchError, match="NUL") as info:
        fr.PostBatch.from_columns(
            ids=np.array(["a", "a\x00"], dtype=object),
            author_ids=np.array(["x", "y"]),
            created_at=np.array([1, 2]),
        )
    assert info.value.field == "ids"


# ------------------------------------------------------------------ from_columns
def test_from_columns_accepts_datetime64_and_nan_features() -> None:
    stamps = np.array(["2026-01-01T00:00:00.000001", "1960-06-01T12:00"], dtype="datetime64[us]")
    batch = fr.PostBatch.from_columns(
        ids=["a", "b"],
        author_ids=np.array(["x", "y"], dtype=object),
        created_at=stamps,
        counts={"like": np.array([1.0, 4.0]), fr.InteractionKind.HIDE: [0, 2]},
        features={"f": np.array([np.nan, 0.5]), "g": np.array([1, 2])},
        embeddings=np.array([[1.0, 2.0], [np.nan, np.nan]]),
        author_followers=[5, np.nan],
        topics=[["t", "t", "u"], []],
        lang=np.array(["en", None], dtype=object),
    )
    expected = [
        epoch_micros(datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC)),
        epoch_micros(datetime(1960, 6, 1, 12, tzinfo=UTC)),
    ]
    assert batch.created_at.dtype == np.int64
    assert batch.created_at.tolist() == expected
    assert batch.counts.dtype == np.int64
    assert batch.count("like").tolist() == [1, 4]
    assert batch.count("hide").tolist() == [0, 2]
    assert batch.features["g"].dtype == np.float64
    assert batch.has_embedding.tolist() == [True, False]
    assert batch.topics.to_lists() == [("t", "u"), ()]
    assert batch.lang.tolist() == ["en", ""]
    posts = batch.to_posts()
    assert posts[0].features == {"g": 1.0}  # NaN means "no such feature"
    assert posts[1].features == {"f": 0.5, "g": 2.0}
    assert posts[0].embedding == (1.0, 2.0)
    assert posts[1].embedding is None
    assert posts[0].created_at == datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC)


def test_from_columns_count_matrix() -> None:
    counts = np.arange(3 * N_KINDS).reshape(3, N_KINDS)
    batch = fr.PostBatch.from_columns(**columns(counts=counts))
    np.testing.assert_array_equal(batch.counts, counts)
    assert batch.count("follow").tolist() == counts[:, -1].tolist()


def test_from_columns_matches_from_posts() -> None:
    posts = sample_posts()
    ref = fr.PostBatch.from_posts(posts)
    batch = fr.PostBatch.from_columns(
        ids=ref.ids,
        author_ids=ref.author_ids,
        created_at=ref.created_at,
        counts=ref.counts,
        features=ref.features,
        topics=ref.topics,
        labels=ref.labels,
        lang=ref.lang,
        reply_to=ref.reply_to,
        repost_of=ref.repost_of,
        quote_of=ref.quote_of,
        url=ref.url,
        text=ref.text,
        embeddings=np.where(ref.has_embedding[:, None], ref.embeddings, np.nan),
    )
    assert batch.to_posts() == ref.to_posts()


NAT = np.array([0, 0, 0], dtype="datetime64[us]")
NAT[1] = np.datetime64("NaT")
PARTIAL = np.array([[1.0, 2.0], [np.nan, np.nan], [3.0, np.nan]])
COUNTS_2D = np.zeros((3, N_KINDS), dtype=np.int64)
COUNTS_2D[2, 2] = -1  # reply


@pytest.mark.parametrize(
    ("overrides", "field", "post_id"),
    [
        pytest.param({"author_ids": np.array(["a", "b"])}, "author_ids", None, id="author-length"),
        pytest.param({"created_at": np.arange(4)}, "created_at", None, id="time-length"),
        pytest.param({"counts": {"like": [1, 2]}}, "counts.like", None, id="count-length"),
        pytest.param({"features": {"f": [1.0]}}, "features.f", None, id="feature-length"),
        pytest.param({"created_at": NAT}, "created_at", "p1", id="nat"),
        pytest.param({"created_at": np.array([0.0, np.nan, 1.0])}, "created_at", None, id="float"),
        pytest.param({"counts": {"like": [0, 2, -1]}}, "counts.like", "p2", id="negative"),
        pytest.param({"counts": COUNTS_2D}, "counts.reply", "p2", id="negative-2d"),
        pytest.param({"counts": {"view": [1.0, np.nan, 2.0]}}, "counts.view", "p1", id="nan"),
        pytest.param({"counts": {"view": [1.0, np.inf, 2.0]}}, "counts.view", "p1", id="inf"),
        pytest.param({"counts": {"like": [1.0, 2.0, 2.5]}}, "counts.like", "p2", id="fraction"),
        pytest.param({"counts": {"like": [True, False, True]}}, "counts.like", None, id="bool"),
        pytest.param({"counts": {"poke": [1, 2, 3]}}, "counts.poke", None, id="unknown-kind"),
        pytest.param({"counts": np.zeros((3, N_KINDS - 1))}, "counts", None, id="shape-2d"),
        pytest.param({"counts": np.zeros((2, N_KINDS))}, "counts", None, id="rows-2d"),
        pytest.param({"features": {"f": [0.0, np.inf, 1.0]}}, "features.f", "p1", id="inf-f"),
        pytest.param({"features": {"f": [0.0, 1.0, -np.inf]}}, "features.f", "p2", id="-inf-f"),
        pytest.param({"features": {"f": ["a", "b", "c"]}}, "features.f", None, id="str-f"),
        pytest.param({"ids": np.array([1, 2, 3])}, "ids", None, id="int-ids"),
        pytest.param({"ids": np.array(["p0", "", "p2"])}, "ids", None, id="empty-id"),
        pytest.param({"ids": np.array([["p0", "p1", "p2"]])}, "ids", None, id="2d-ids"),
        pytest.param({"author_ids": np.array(["a", "b", ""])}, "author_ids", "p2", id="no-author"),
        pytest.param({"embeddings": PARTIAL}, "embeddings", "p2", id="partial-nan"),
        pytest.param({"embeddings": [[1.0], [np.inf], [0.0]]}, "embeddings", "p1", id="inf-emb"),
        pytest.param({"embeddings": np.zeros(3)}, "embeddings", None, id="1d-emb"),
        pytest.param({"author_followers": [1.0, -2.0, 3.0]}, "author_followers", "p1", id="fol"),
        pytest.param({"topics": [["x"], []]}, "topics", None, id="topics-length"),
    ],
)
def test_from_columns_rejects(overrides: dict[str, Any], field: str, post_id: str | None) -> None:
    with pytest.raises(fr.BatchError) as info:
        fr.PostBatch.from_columns(**columns(**overrides))
    err = info.value
    assert err.field == field
    assert f"field {field!r}" in str(err)
    if post_id is not None:
        assert err.post_id == post_id
        assert f"post {post_id!r}" in str(err)
    assert err.expected is not None


def test_from_columns_rejects_two_dimensional_created_at() -> None:
    """created_at is documented as shape (n,); an (n, 1) column must not slip through."""
    with pytest.raises(fr.BatchError) as info:
        fr.PostBatch.from_columns(**columns(created_at=np.arange(3).reshape(3, 1)))
    assert info.value.field == "created_at"


@pytest.mark.parametrize(
    "counts",
    [
        {"like": np.array([0, 2**63, 1], dtype=np.uint64)},
        np.full((3, N_KINDS), 2**63, dtype=np.uint64),
    ],
    ids=["column", "matrix"],
)
def test_from_columns_rejects_counts_beyond_int64(counts: Any) -> None:
    """uint64 counts beyond int64 must be rejected, not wrapped to negative numbers."""
    with pytest.raises(fr.BatchError):
        fr.PostBatch.from_columns(**columns(counts=counts))


BEYOND_INT64 = np.zeros((3, N_KINDS))
BEYOND_INT64[1, 0] = 2.0**63  # like


@pytest.mark.parametrize(
    ("counts", "post_id"),
    [
        pytest.param({"like": [0, 2**63, 1]}, "p1", id="int-2**63"),
        pytest.param({"like": np.array([0.0, 1.0, 2.0**63])}, "p2", id="float-2**63"),
        pytest.param({"like": [2**64, 0, 1]}, "p0", id="int-2**64"),
        pytest.param({"like": [0, 1, 1e300]}, "p2", id="float-1e300"),
        pytest.param({"like": np.array([0, 1, 2**63], dtype=object)}, "p2", id="object"),
        pytest.param({"like": [0, -(2**63), 1]}, "p1", id="int64-min"),
        pytest.param(BEYOND_INT64, "p1", id="matrix"),
    ],
)
def test_counts_outside_int64_are_refused_not_wrapped(counts: Any, post_id: str) -> None:
    """2**63 used to be stored as -9223372036854775808."""
    with pytest.raises(fr.BatchError) as info:
        fr.PostBatch.from_columns(**columns(counts=counts))
    assert (info.value.field, info.value.post_id) == ("counts.like", post_id)
    assert "9223372036854775807" in str(info.value)


def test_counts_up_to_the_int64_limit_are_kept_exactly() -> None:
    top = 2**63 - 1
    largest_float = 2.0**63 - 1024  # the largest float below 2**63
    batch = fr.PostBatch.from_columns(
        **columns(counts={"like": [top, 0, 1], "view": np.array([largest_float, 0.0, 3.0])})
    )
    assert batch.count("like").tolist() == [top, 0, 1]
    assert batch.count("view").tolist() == [2**63 - 1024, 0, 3]


@pytest.mark.parametrize("field", ["topics", "labels"])
@pytest.mark.parametrize(
    ("rows", "post_id"),
    [
        pytest.param([["jazz"], "rock", []], "p1", id="str-row"),
        pytest.param(np.array(["jazz", "rock", "pop"]), "p0", id="array-of-str"),
        pytest.param([[], [], b"jazz"], "p2", id="bytes-row"),
        pytest.param([[], [7], []], "p1", id="int-tag"),
        pytest.param([None, [], []], "p0", id="none-row"),
    ],
)
def test_a_string_in_place_of_a_list_of_tags_is_refused(
    field: str, rows: Any, post_id: str
) -> None:
    """A string where a list of tags belongs used to be split into its characters."""
    with pytest.raises(fr.BatchError) as info:
        fr.PostBatch.from_columns(**columns(**{field: rows}))
    assert (info.value.field, info.value.post_id) == (field, post_id)
    with pytest.raises(fr.BatchError) as info:
        fr.PostBatch.from_columns(**columns(**{field: "jazz"}))
    assert info.value.field == field


@pytest.mark.parametrize(
    "column", ["ids", "author_ids", "lang", "reply_to", "repost_of", "quote_of"]
)
@pytest.mark.parametrize(
    "make",
    [
        pytest.param(list, id="list-trailing"),
        pytest.param(lambda cells: [c.replace("\x00", "\x00z") for c in cells], id="list-inner"),
        pytest.param(
            lambda cells: np.array([c.replace("\x00", "\x00z") for c in cells]), id="array-inner"
        ),
        pytest.param(
            lambda cells: np.array(cells, dtype=np.dtypes.StringDType()), id="stringdtype"
        ),
    ],
)
def test_a_nul_in_an_id_is_refused_not_cut(column: str, make: Any) -> None:
    """numpy's fixed-width unicode drops a trailing NUL (and an id would end at any
    NUL): 'p1\x00' must not quietly become 'p1'."""
    cells = ["p0", "p1", "p2\x00"] if column == "ids" else ["x", "y", "z\x00"]
    with pytest.raises(fr.BatchError, match="NUL") as info:
        fr.PostBatch.from_columns(**columns(**{column: make(cells)}))
    assert info.value.field == column
    assert info.value.post_id == ("<row 2>" if column == "ids" else "p2")


def test_a_non_string_in_a_string_column_is_refused() -> None:
    """numpy would quietly turn 7 into '7'."""
    with pytest.raises(fr.BatchError) as info:
        fr.PostBatch.from_columns(**columns(author_ids=["a", 7, "b"]))
    assert (info.value.field, info.value.post_id) == ("author_ids", "p1")


def test_trailing_nul_in_text_survives_list_input() -> None:
    batch = fr.PostBatch.from_columns(**columns(text=["a\x00", None, "b"]))
    assert batch.text.tolist() == ["a\x00", "", "b"]


def test_integer_times_are_microseconds_unless_a_unit_is_given() -> None:
    """Integer times are never read as seconds or milliseconds by their size."""
    seconds = [1_767_268_800, 1_767_268_801, 0]
    as_micros = fr.PostBatch.from_columns(**columns(created_at=seconds))
    assert as_micros.created_at.tolist() == seconds
    in_seconds = fr.PostBatch.from_columns(**columns(created_at=seconds), created_at_unit="s")
    assert in_seconds.created_at.tolist() == [s * 1_000_000 for s in seconds]
    assert in_seconds.to_posts()[0].created_at == datetime(2026, 1, 1, 12, tzinfo=UTC)
    millis = fr.PostBatch.from_columns(**columns(created_at=[-1, 0, 5]), created_at_unit="ms")
    assert millis.created_at.tolist() == [-1000, 0, 5000]
    micros = fr.PostBatch.from_columns(**columns(created_at=[-1, 0, 5]), created_at_unit="us")
    assert micros.created_at.tolist() == [-1, 0, 5]


def test_the_whole_datetime_range_is_kept_exactly() -> None:
    first = datetime(1, 1, 1, tzinfo=UTC)
    last = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    batch = fr.PostBatch.from_columns(
        **columns(created_at=[epoch_micros(first), 0, epoch_micros(last)])
    )
    assert [p.created_at for p in batch.to_posts()] == [first, EPOCH, last]
    stamps = np.array(["0001-01-01", "1970-01-01", "9999-12-31T23:59:59.999999"], "M8[us]")
    assert fr.PostBatch.from_columns(**columns(created_at=stamps)).created_at.tolist() == [
        epoch_micros(first),
        0,
        epoch_micros(last),
    ]


@pytest.mark.parametrize(
    ("created_at", "unit", "post_id"),
    [
        pytest.param([0, 2**63 - 1, 0], None, "p1", id="int64-max"),
        pytest.param([0, 0, -(2**63)], None, "p2", id="int64-min"),
        pytest.param([253_402_300_800, 0, 0], "s", "p0", id="year-10000-in-seconds"),
        pytest.param([0, 2**70, 0], None, "p1", id="beyond-64-bits"),
        pytest.param(np.array(["1", "2", "200000"], "M8[Y]"), None, "p2", id="datetime64-year"),
        pytest.param(np.array([0, 10**18, 0], "M8[D]"), None, "p1", id="datetime64-overflow"),
        pytest.param(np.array([0, 1, 0], "M8[ns]"), None, "p1", id="sub-microsecond"),
        pytest.param(np.array([0.0, 1.5, 2.0]), None, None, id="float"),
        pytest.param(np.array([0.0, 1.0, 2.0]), "s", None, id="float-seconds"),
        pytest.param([0, 1, 2], "h", None, id="unknown-unit"),
        pytest.param(np.array([0, 1, 2], "M8[s]"), "s", None, id="unit-with-datetime64"),
    ],
)
def test_times_out_of_range_or_not_integers_are_refused(
    created_at: Any, unit: str | None, post_id: str | None
) -> None:
    unit_given = {} if unit is None else {"created_at_unit": unit}
    with pytest.raises(fr.BatchError) as info:
        fr.PostBatch.from_columns(**columns(created_at=created_at), **unit_given)
    assert info.value.field in {"created_at", "created_at_unit"}
    assert info.value.post_id == post_id
    assert info.value.expected is not None


# ----------------------------------------------------------- strategies
finite = st.floats(-1e6, 1e6, allow_nan=False)
text = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=8)
AWARE = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
)


@st.composite
def post_lists(
    draw: st.DrawFn, prefix: str = "p", max_size: int = 6, dim: int | None = None
) -> list[fr.Post]:
    """Posts in canonical form: what to_posts returns for them is exactly them."""
    ids = draw(st.lists(text.filter(bool), unique=True, max_size=max_size))
    dim = dim if dim is not None else draw(st.integers(1, 3))
    features = st.dictionaries(st.sampled_from(["f", "g", "h"]), finite)
    tags = st.sets(st.sampled_from(["a", "b", "c", "dd"]), max_size=3).map(sorted).map(tuple)
    optional = st.none() | text.filter(bool)
    return [
        fr.Post(
            id=prefix + post_id,
            author_id=draw(st.sampled_from(["ann", "bob", "carol"])),
            created_at=draw(AWARE),
            counts=draw(st.dictionaries(st.sampled_from(fr.batch.KINDS), st.integers(1, 2**62))),
            features=draw(features),
            topics=draw(tags),
            labels=draw(tags),
            lang=draw(st.none() | st.sampled_from(["en", "de"])),
            reply_to=draw(optional),
            repost_of=draw(optional),
            quote_of=draw(optional),
            url=draw(optional),
            text=draw(optional),
            embedding=draw(st.none() | st.tuples(*[finite] * dim)),
        )
        for post_id in ids
    ]


# ------------------------------------------------------------- round trips
@settings(max_examples=50, deadline=None)
@given(post_lists())
def test_to_posts_inverts_from_posts(posts: list[fr.Post]) -> None:
    batch = fr.PostBatch.from_posts(posts)
    assert batch.to_posts() == posts
    assert batch.created_at.tolist() == [epoch_micros(p.created_at) for p in posts]


def test_to_posts_normalises_only_what_carries_no_information() -> None:
    post = fr.Post(id="p", author_id="a", created_at=T0, counts={"like": 0}, topics=("b", "a", "b"))
    (back,) = fr.PostBatch.from_posts([post]).to_posts()
    assert back.counts == {}
    assert back.topics == ("a", "b")
    assert back.created_at.utcoffset() == timedelta(0)


@settings(max_examples=50, deadline=None)
@given(data=st.data(), posts=post_lists(max_size=8))
def test_take_keeps_every_column(data: st.DataObject, posts: list[fr.Post]) -> None:
    authors = [fr.Author(id="ann", followers=3), fr.Author(id="bob", followers=0)]
    batch = fr.PostBatch.from_posts(posts, authors)
    index = data.draw(
        st.lists(st.integers(0, len(posts) - 1), max_size=10) if posts else st.just([])
    )
    taken = batch.take(np.array(index, dtype=np.intp))
    assert len(taken) == len(index)
    assert taken.to_posts() == [posts[i] for i in index]
    followers = {"ann": 3.0, "bob": 0.0}
    expected = [followers.get(posts[i].author_id, math.nan) for i in index]
    np.testing.assert_array_equal(taken.author_followers, np.array(expected, dtype=np.float64))
    assert taken.counts.dtype == np.int64
    assert taken.created_at.dtype == np.int64
    assert taken.counts.shape == (len(index), N_KINDS)


@settings(max_examples=50, deadline=None)
@given(dim=st.integers(1, 3), data=st.data())
def test_concat_equals_the_joined_lists(dim: int, data: st.DataObject) -> None:
    left = data.draw(post_lists(prefix="L", dim=dim))
    right = data.draw(post_lists(prefix="R", dim=dim))
    joined = fr.PostBatch.concat([fr.PostBatch.from_posts(left), fr.PostBatch.from_posts(right)])
    assert joined.to_posts() == left + right
    assert sorted(joined.features) == sorted({f for p in left + right for f in p.features})


def test_concat_fills_missing_features_and_embeddings() -> None:
    a = fr.PostBatch.from_posts(
        [fr.Post(id="a", author_id="x", created_at=T0, features={"f": 1.0}, embedding=(1.0, 1.0))]
    )
    b = fr.PostBatch.from_posts(
        [
            fr.Post(id="b", author_id="y", created_at=T0, features={"g": 2.0}),
            fr.Post(id="c", author_id="y", created_at=T0),
        ],
        [fr.Author(id="y", followers=4)],
    )
    joined = fr.PostBatch.concat([a, b])
    assert joined.ids.tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(joined.features["f"], [1.0, np.nan, np.nan])
    np.testing.assert_array_equal(joined.features["g"], [np.nan, 2.0, np.nan])
    assert joined.has_embedding.tolist() == [True, False, False]
    np.testing.assert_array_equal(joined.author_followers, [np.nan, 4.0, 4.0])
    assert joined.to_posts() == a.to_posts() + b.to_posts()


def test_concat_rejects_different_embedding_dimensions() -> None:
    a = fr.PostBatch.from_posts([fr.Post(id="a", author_id="x", created_at=T0, embedding=(1.0,))])
    b = fr.PostBatch.from_posts(
        [fr.Post(id="b", author_id="x", created_at=T0, embedding=(1.0, 2.0))]
    )
    with pytest.raises(fr.BatchError) as info:
        fr.PostBatch.concat([a, b])
    assert info.value.field == "embeddings"


# ---------------------------------------------------------------- empty batch
def test_empty_batch_works_everywhere() -> None:
    empty = fr.PostBatch.empty()
    assert len(empty) == 0
    assert empty.counts.shape == (0, N_KINDS)
    assert empty.created_at.dtype == np.int64
    assert len(empty.take(np.array([], dtype=np.intp))) == 0
    assert empty.to_posts() == []
    assert empty.index_of(["x"]).tolist() == [-1]
    assert empty.age_hours(0).shape == (0,)
    assert len(fr.PostBatch.concat([])) == 0
    assert len(fr.PostBatch.concat([empty, empty])) == 0
    posts = sample_posts()
    full = fr.PostBatch.from_posts(posts)
    assert fr.PostBatch.concat([empty, full, empty]).to_posts() == posts
    assert len(full.take(np.array([], dtype=np.intp))) == 0
    no_time = np.zeros(0, dtype=np.int64)
    assert len(fr.PostBatch.from_columns(ids=[], author_ids=[], created_at=no_time)) == 0


# ------------------------------------------------------------------- lookups
@settings(max_examples=50, deadline=None)
@given(
    ids=st.lists(text.filter(bool), unique=True, max_size=10),
    probes=st.lists(text, max_size=10),
)
def test_index_of_matches_a_dict_lookup(ids: list[str], probes: list[str]) -> None:
    batch = fr.PostBatch.from_columns(
        ids=ids, author_ids=["a"] * len(ids), created_at=np.zeros(len(ids), dtype=np.int64)
    )
    wanted = ids[::2] + probes
    row = {post_id: i for i, post_id in enumerate(ids)}
    result = batch.index_of(wanted)
    assert result.tolist() == [row.get(w, -1) for w in wanted]
    assert batch.index_of(np.array(wanted, dtype=np.str_)).tolist() == result.tolist()


def test_index_of_unknown_ids_is_minus_one() -> None:
    batch = fr.PostBatch.from_posts(sample_posts())
    assert batch.index_of(["post-three", "zzz", "p1", "", "p"]).tolist() == [2, -1, 0, -1, -1]
    assert batch.index_of([]).tolist() == []


def test_age_hours() -> None:
    posts = sample_posts()
    batch = fr.PostBatch.from_posts(posts)
    now = T0 + timedelta(minutes=90)
    ages = batch.age_hours(epoch_micros(now))
    assert ages.dtype == np.float64
    expected = [(now - p.created_at) / timedelta(hours=1) for p in posts]
    np.testing.assert_allclose(ages, expected, rtol=1e-12)
    assert ages[2] == 1.5
    future = batch.age_hours(epoch_micros(T0 - timedelta(hours=2)))
    assert future[2] == -2.0


def test_a_post_later_than_a_utc_datetime_can_hold_is_refused() -> None:
    """9999-12-31T23:00-05:00 is 10000-01-01T04:00Z: no UTC datetime holds it."""
    late = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))
    posts = [
        fr.Post(id="ok", author_id="a", created_at=T0),
        fr.Post(id="late", author_id="a", created_at=late),
    ]
    with pytest.raises(fr.InputError) as info:
        fr.PostBatch.from_posts(posts)
    assert (info.value.field, info.value.post_id) == ("created_at", "late")
