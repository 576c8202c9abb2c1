"""Dataframes in and out (pandas, pyarrow): the same batch as from_posts, clear errors,
and a ranking table whose parts rebuild every score."""

from __future__ import annotations

import importlib
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import feedrank as fr
from feedrank.adapters.dataframes import batch_from_arrow, batch_from_pandas, ranking_to_pandas
from feedrank.adapters.mastodon import load_timeline

ROOT = Path(__file__).resolve().parent.parent.parent
UTC = timezone.utc
T = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def pd() -> Any:
    return pytest.importorskip("pandas")


@pytest.fixture
def pa() -> Any:
    return pytest.importorskip("pyarrow")


def sample_posts() -> list[fr.Post]:
    posts = list(load_timeline(ROOT / "examples" / "mastodon_timeline.json").posts)
    # add what a timeline lacks: an embedding on some posts, a missing feature
    posts[0] = posts[0].model_copy(update={"embedding": (0.1, 0.2, 0.3), "features": {}})
    posts[1] = posts[1].model_copy(update={"embedding": (1.0, 0.0, -1.0)})
    return posts


def frame_of(pd: Any, posts: list[fr.Post]) -> Any:
    records = [p.model_dump(mode="json") for p in posts]
    for record in records:
        record["counts"] = record["counts"] or {"like": 0}  # json_normalize drops empty dicts
    df = pd.json_normalize(records)
    df["created_at"] = pd.to_datetime(df["created_at"], utc=True)
    counts = [c for c in df.columns if c.startswith("counts.")]
    df[counts] = df[counts].fillna(0).astype("int64")  # a missing count is refused, not 0
    return df


def assert_same(a: fr.PostBatch, b: fr.PostBatch) -> None:
    assert a.ids.tolist() == b.ids.tolist()
    assert a.author_ids.tolist() == b.author_ids.tolist()
    np.testing.assert_array_equal(a.created_at, b.created_at)
    np.testing.assert_array_equal(a.counts, b.counts)
    assert sorted(a.features) == sorted(b.features)
    for name in a.features:
        np.testing.assert_array_equal(a.features[name], b.features[name])
    assert a.topics.to_lists() == b.topics.to_lists()
    assert a.labels.to_lists() == b.labels.to_lists()
    for name in ("lang", "reply_to", "repost_of", "quote_of", "url", "text"):
        assert getattr(a, name).tolist() == getattr(b, name).tolist(), name
    np.testing.assert_array_equal(a.has_embedding, b.has_embedding)
    assert a.embeddings is not None
    assert b.embeddings is not None
    np.testing.assert_array_equal(a.embeddings, b.embeddings)
    np.testing.assert_array_equal(a.author_followers, b.author_followers)


def test_pandas_frame_gives_the_same_batch_as_from_posts(pd: Any) -> None:
    posts = sample_posts()
    df = frame_of(pd, posts)
    assert_same(batch_from_pandas(df), fr.PostBatch.from_posts(posts))
    followers = np.arange(len(posts), dtype=np.float64)
    followers[2] = np.nan
    df["author_followers"] = followers
    np.testing.assert_array_equal(batch_from_pandas(df).author_followers, followers)


def test_arrow_table_gives_the_same_batch_as_from_posts(pd: Any, pa: Any) -> None:
    posts = sample_posts()
    table = pa.Table.from_pandas(frame_of(pd, posts), preserve_index=False)
    assert_same(batch_from_arrow(table), fr.PostBatch.from_posts(posts))
    assert_same(batch_from_arrow(table.to_batches()[0]), fr.PostBatch.from_posts(posts))


def test_microsecond_integers_and_other_time_zones(pd: Any, pa: Any) -> None:
    us = np.array([1_772_442_000_000_000, 1_772_442_000_000_001], dtype=np.int64)
    df = pd.DataFrame({"id": ["a", "b"], "author_id": ["x", "y"], "created_at": us})
    np.testing.assert_array_equal(batch_from_pandas(df).created_at, us)
    table = pa.table({"id": ["a", "b"], "author_id": ["x", "y"], "created_at": us})
    np.testing.assert_array_equal(batch_from_arrow(table).created_at, us)
    local = pd.DataFrame(
        {
            "id": ["a"],
            "author_id": ["x"],
            "created_at": pd.to_datetime(["2026-03-02T10:00:00"]).tz_localize("Europe/Berlin"),
        }
    )
    expected = int((datetime(2026, 3, 2, 9, tzinfo=UTC).timestamp()) * 1_000_000)
    assert int(batch_from_pandas(local).created_at[0]) == expected


def base(pd: Any) -> Any:
    return pd.DataFrame(
        {
            "id": ["a", "b"],
            "author_id": ["x", "y"],
            "created_at": pd.to_datetime(["2026-03-01T10:00Z", "2026-03-01T11:00Z"]),
            "counts.like": [1, 2],
        }
    )


@pytest.mark.parametrize(
    ("change", "field", "post_id", "message"),
    [
        (lambda df: df.drop(columns=["created_at"]), "created_at", None, "missing"),
        (lambda df: df.assign(likes=[1, 2]), "likes", None, "unknown column"),
        (lambda df: df.assign(**{"counts.likes": [1, 2]}), "counts.likes", None, "unknown"),
        (lambda df: df.assign(**{"counts.like": [1.0, np.nan]}), "counts.like", "b", "NaN"),
        (lambda df: df.assign(**{"counts.like": [1, -3]}), "counts.like", "b", "negative"),
        (lambda df: df.assign(**{"counts.like": ["1", "2"]}), "counts.like", None, "dtype"),
        (lambda df: df.assign(**{"features.q": [True, False]}), "features.q", None, "dtype"),
        (lambda df: df.assign(**{"features.q": [1.0, np.inf]}), "features.q", "b", "inf"),
        (lambda df: df.assign(id=["a", "a"]), "ids", "a", "duplicate"),
        (lambda df: df.assign(id=["a", None]), "id", "<row 1>", "empty"),
        (lambda df: df.assign(lang=["en", 5]), "lang", "<row 1>", "int"),
        (lambda df: df.assign(topics=["jazz", None]), "topics", "a", "str"),
        (lambda df: df.assign(topics=[["jazz"], [""]]), "topics", "b", "non-empty"),
        (lambda df: df.assign(embedding=[[1.0, 2.0], [1.0]]), "embedding", "b", "dimensions"),
        (lambda df: df.assign(embedding=[[1.0], ["x"]]), "embedding", "b", "not a number"),
        (
            lambda df: df.assign(created_at=["2026-03-01", "2026-03-02"]),
            "created_at",
            None,
            "dtype",
        ),
    ],
)
def test_bad_frames_name_the_column_and_post(
    pd: Any, change: Any, field: str, post_id: str | None, message: str
) -> None:
    with pytest.raises(fr.BatchError) as info:
        batch_from_pandas(change(base(pd)))
    assert info.value.field == field
    assert info.value.post_id == post_id
    assert message in str(info.value)


def test_naive_timestamps_and_ignored_columns(pd: Any, pa: Any) -> None:
    naive = base(pd).assign(created_at=pd.to_datetime(["2026-03-01T10:00", "2026-03-01T11:00"]))
    with pytest.raises(fr.BatchError, match="no timezone"):
        batch_from_pandas(naive)
    with pytest.raises(fr.BatchError, match="no timezone"):
        batch_from_arrow(pa.Table.from_pandas(naive, preserve_index=False))
    extra = base(pd).assign(note=["n1", "n2"])
    assert len(batch_from_pandas(extra, ignore=["note"])) == 2
    with pytest.raises(fr.BatchError, match="a pandas DataFrame"):
        batch_from_pandas({"id": ["a"]})
    with pytest.raises(fr.BatchError, match="a pyarrow Table"):
        batch_from_arrow(base(pd))
    null_count = pa.table(
        {
            "id": ["a"],
            "author_id": ["x"],
            "created_at": [T],
            "counts.like": pa.array([None], pa.int64()),
        }
    )
    with pytest.raises(fr.BatchError, match="NaN or inf count"):
        batch_from_arrow(null_count)


def test_nullable_integer_counts_with_missing_values_are_refused(pd: Any) -> None:
    df = base(pd)
    df["counts.like"] = pd.array([1, None], dtype="Int64")
    with pytest.raises(fr.BatchError) as info:
        batch_from_pandas(df)
    assert (info.value.field, info.value.post_id) == ("counts.like", "b")
    df["counts.like"] = pd.array([1, 4], dtype="Int64")
    assert batch_from_pandas(df).count("like").tolist() == [1, 4]


# ------------------------------------------------------------------ out
def ranked(limit: int = 5) -> fr.Ranking:
    timeline = load_timeline(ROOT / "examples" / "mastodon_timeline.json", boosts="original")
    batch = timeline.batch()
    viewer = fr.Viewer(id="1000", follows=timeline.timeline_accounts, interests={"music": 1.0})
    ctx = fr.Context.build(batch, now=T, viewer=viewer, network=timeline.network)
    return fr.preset("balanced").rank(batch, ctx, limit=limit)


def test_ranking_table_rebuilds_every_score(pd: Any) -> None:
    ranking = ranked()
    df = ranking_to_pandas(ranking)
    assert df["post_id"].tolist() == ranking.post_ids
    assert df["rank"].tolist() == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(df["score"], ranking.page_scores, rtol=0)
    terms = [c for c in df.columns if c.startswith("contribution.")]
    factors = [c for c in df.columns if c.startswith("factor.")]
    assert [c.split(".", 1)[1] for c in terms] == list(ranking.term_names)
    assert [c.split(".", 1)[1] for c in factors] == list(ranking.factor_names)
    rebuilt = df[terms].sum(axis=1) * df[factors].prod(axis=1)
    np.testing.assert_allclose(rebuilt, df["score"], rtol=1e-9)
    assert str(df["created_at"].dt.tz) == "UTC"


def test_whole_feed_and_removed_posts(pd: Any) -> None:
    ranking = ranked(limit=3)
    whole = ranking_to_pandas(ranking, whole_feed=True)
    assert whole["post_id"].tolist() == ranking.all_post_ids
    table = ranking_to_pandas(ranking, include_removed=True)
    assert len(table) == 3 + len(ranking.removed())
    gone = table[table["removed_by"].notna()]
    assert dict(zip(gone["post_id"], gone["removed_by"], strict=True)) == ranking.removed()
    assert gone["rank"].isna().all()
    assert gone["score"].isna().all()
    assert table["rank"].iloc[:3].tolist() == [1, 2, 3]


def test_missing_extra_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def fake(name: str, package: str | None = None) -> Any:
        if name in ("pandas", "pyarrow"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(ImportError, match=r"feedrank\[pandas\]"):
        batch_from_pandas(object())
    with pytest.raises(ImportError, match=r"feedrank\[arrow\]"):
        batch_from_arrow(object())
    with pytest.raises(ImportError, match=r"feedrank\[pandas\]"):
        ranking_to_pandas(ranked())


def test_module_imports_without_the_extras() -> None:
    code = (
        "import sys; sys.modules['pandas'] = None; sys.modules['pyarrow'] = None; "
        "import feedrank.adapters.dataframes as d; print(d.COLUMNS[0])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "id"
