"""Pipeline.rank_many: many requests at once, identical to ranking each alone."""

from __future__ import annotations

import itertools
from typing import Any, ClassVar, Literal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import feedrank as fr
from feedrank.batch.requests import ROW_FIELDS, Requests
from feedrank.batch.segments import (
    group_codes,
    segmented_flag_rank,
    segmented_group_rank,
    segmented_order,
    string_hash,
    top_rows,
)
from feedrank.presets import PRESETS
from feedrank.ranking.ranking import Ranking, RankingBatch
from feedrank.stages.filters import Filter, register_filter
from feedrank.stages.rerank import OnePerAuthor, Reranker, RerankStep, register_reranker
from feedrank.stages.rerank.base import rank_within_groups
from feedrank.stages.scoring import Scorer, Term
from feedrank.stages.signals import Interactions, Signal, register_signal
from tests.strategies import NOW, Feed, feeds, rich_pipeline, simple_pipeline


# ------------------------------------------------------- third-party parts
@register_signal
class _ViewerLength(Signal):
    """Reads the viewer (not row-wise): rank_many runs it request by request."""

    type: Literal["test_viewer_length"] = "test_viewer_length"
    reads: ClassVar[tuple[str, ...]] = ("viewer",)

    def compute(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.float64]:
        size = len(ctx.viewer.follows) if ctx.viewer is not None else 0
        return np.full(len(batch), float(size)) + np.arange(len(batch)) % 3


@register_filter
class _OddCounts(Filter):
    """Removes posts with an odd number of likes, with a per-row reason."""

    type: Literal["test_odd_likes"] = "test_odd_likes"

    def reasons(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.str_]:
        likes = batch.count("like")
        return np.where(likes % 2 == 1, np.char.add("odd:", likes.astype(str)), "")


@register_reranker
class _BumpSecond(Reranker):
    """Multiplies the post in second place by 0.5."""

    type: Literal["test_bump_second"] = "test_bump_second"

    def adjust(
        self,
        batch: fr.PostBatch,
        ctx: fr.Context,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> RerankStep:
        mult = np.ones(len(batch))
        reasons = np.full(len(batch), "", dtype="U6")
        if len(batch) > 1:
            mult[order[1]] = 0.5
            reasons[order[1]] = "second"
        return RerankStep(mult, None, reasons)


@register_reranker
class _DropLast(Reranker):
    """Removes the post in last place of a request of three or more (reason ``last``)."""

    type: Literal["test_drop_last"] = "test_drop_last"

    def adjust(
        self,
        batch: fr.PostBatch,
        ctx: fr.Context,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> RerankStep:
        gone = np.zeros(len(batch), dtype=bool)
        if len(batch) > 2:
            gone[order[-1]] = True
        return RerankStep(None, None, np.where(gone, "last", ""), gone)


def third_party_pipeline(limit: int) -> fr.Pipeline:
    return fr.Pipeline(
        name="third_party",
        filters=[_OddCounts()],
        scorer=Scorer(
            terms=[
                Term(name="likes", signal=Interactions(), weight=1.0),
                Term(name="viewer", signal=_ViewerLength(), weight=0.25),
            ]
        ),
        rerankers=[_BumpSecond(), _DropLast(), OnePerAuthor()],
        limit=limit,
    )


# ------------------------------------------------------------- comparing
def assert_same(a: Ranking, b: Ranking) -> None:
    """Every array and field of two rankings is equal (floats bit for bit)."""
    assert a.candidates.ids.tolist() == b.candidates.ids.tolist()
    assert a.now == b.now
    assert a.removed_reasons.tolist() == b.removed_reasons.tolist()
    assert a.kept.tolist() == b.kept.tolist()
    assert a.term_names == b.term_names
    assert a.factor_names == b.factor_names
    assert a.factor_stages == b.factor_stages
    for name in ("inputs", "contributions", "factors", "scores"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), name
    assert a.tier.tolist() == b.tier.tolist()
    assert a.order.tolist() == b.order.tolist()
    for name in ("rows", "stages", "before", "after", "reasons"):
        assert getattr(a.moves, name).tolist() == getattr(b.moves, name).tolist(), name
    assert (a.page_start, a.page_stop, a.next_cursor) == (b.page_start, b.page_stop, b.next_cursor)
    assert a.post_ids == b.post_ids
    assert a.removed() == b.removed()
    assert a.to_dict() == b.to_dict()
    assert a.context.now == b.context.now
    assert a.context.viewer == b.context.viewer
    for name in ROW_FIELDS:
        assert getattr(a.context, name).tolist() == getattr(b.context, name).tolist(), name


def check_many(pipe: fr.Pipeline, requests: list[Feed], limit: int | None) -> RankingBatch | None:
    batch, offsets = fr.PostBatch.stack([f.batch for f in requests])
    contexts = [f.ctx for f in requests]
    singles: list[Ranking] = []
    error: Exception | None = None
    for f in requests:
        try:
            singles.append(pipe.rank(f.batch, f.ctx, limit=limit))
        except fr.FeedrankError as exc:
            error = exc
            break
    if error is not None:
        with pytest.raises(type(error)):
            pipe.rank_many(batch, contexts, offsets, limit=limit)
        return None
    many = pipe.rank_many(batch, contexts, offsets, limit=limit)
    assert len(many) == len(requests)
    for i, single in enumerate(singles):
        assert_same(many[i], single)
        assert many.post_ids(i) == single.post_ids
    # Slices give the same Rankings as a list of them would, in request order.
    assert [r.post_ids for r in many[1:]] == [s.post_ids for s in singles[1:]]
    assert [r.post_ids for r in many[::-1]] == [s.post_ids for s in singles[::-1]]
    assert many.page_post_ids.tolist() == [p for s in singles for p in s.post_ids]
    pages = np.concatenate([s.page_scores for s in singles]) if singles else np.zeros(0)
    assert many.page_scores.tobytes() == pages.tobytes()
    # The same through Requests, and with the post ids checked per request.
    again = pipe.rank_many(batch, Requests.from_contexts(contexts), offsets, limit=limit)
    for i, single in enumerate(singles):
        assert_same(again[i], single)
    return many


requests_lists = st.lists(feeds(max_size=25), min_size=1, max_size=5)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(requests=requests_lists, limit=st.sampled_from([None, 1, 3, 50]))
def test_rich_pipeline_matches_rank(requests: list[Feed], limit: int | None) -> None:
    check_many(rich_pipeline(), requests, limit)


@SETTINGS
@given(requests=requests_lists, limit=st.sampled_from([None, 2]))
def test_third_party_components_match_rank(requests: list[Feed], limit: int | None) -> None:
    check_many(third_party_pipeline(limit or 50), requests, limit)


@settings(max_examples=60, deadline=None)
@given(requests=st.lists(feeds(max_size=12), min_size=1, max_size=4))
def test_simple_pipeline_matches_rank(requests: list[Feed]) -> None:
    check_many(simple_pipeline(), requests, None)


@settings(max_examples=25, deadline=None)
@given(
    requests=st.lists(feeds(max_size=30), min_size=1, max_size=3),
    name=st.sampled_from(sorted(PRESETS)),
)
def test_presets_match_rank(requests: list[Feed], name: str) -> None:
    check_many(fr.preset(name), requests, None)


@settings(max_examples=30, deadline=None)
@given(feed=feeds(min_size=5, max_size=20, anonymous=False))
def test_many_requests_share_posts(feed: Feed) -> None:
    # The same candidates for three requests: ids repeat across requests.
    check_many(rich_pipeline(), [feed, feed, feed], 4)


def test_empty_requests_and_no_requests() -> None:
    empty = fr.PostBatch.empty()
    ctx = fr.Context.build(empty, now=NOW)
    feed = Feed([], empty, None, ctx)
    many = check_many(rich_pipeline(), [feed, feed], None)
    assert many is not None
    assert many.page_post_ids.tolist() == []
    batch, offsets = fr.PostBatch.stack([])
    result = rich_pipeline().rank_many(batch, [], offsets)
    assert len(result) == 0
    assert list(result) == []


@settings(max_examples=5, deadline=None)
@given(feed=feeds(min_size=3, max_size=5))
def test_offsets_must_match_contexts(feed: Feed) -> None:
    batch, offsets = fr.PostBatch.stack([feed.batch, feed.batch])
    with pytest.raises(fr.RankingError, match="contexts"):
        simple_pipeline().rank_many(batch, [feed.ctx], offsets)
    with pytest.raises(fr.BatchError):
        simple_pipeline().rank_many(batch, [feed.ctx, feed.ctx], [0, 1])
    with pytest.raises(fr.RankingError, match="limit"):
        simple_pipeline().rank_many(batch, [feed.ctx, feed.ctx], offsets, limit=0)
    many = simple_pipeline().rank_many(batch, [feed.ctx, feed.ctx], offsets)
    with pytest.raises(IndexError):
        many[2]
    assert_same(many[-1], many[1])


def test_from_columns_with_offsets_checks_ids_per_request() -> None:
    ids = np.array(["a", "b", "a", "c"])
    cols: dict[str, Any] = {
        "author_ids": np.array(["x", "y", "x", "z"]),
        "created_at": np.arange(4, dtype=np.int64),
    }
    batch = fr.PostBatch.from_columns(ids=ids, offsets=[0, 2, 4], **cols)
    assert len(batch) == 4
    with pytest.raises(fr.BatchError, match="duplicate"):
        fr.PostBatch.from_columns(ids=ids, **cols)
    with pytest.raises(fr.BatchError, match="duplicate"):
        fr.PostBatch.from_columns(ids=ids, offsets=[0, 3, 4], **cols)
    with pytest.raises(fr.BatchError, match="offsets"):
        fr.PostBatch.from_columns(ids=ids, offsets=[0, 5], **cols)


# --------------------------------------------------------- the primitives
@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 12), min_size=1, max_size=6),
    data=st.data(),
)
def test_segmented_order_is_the_total_order(lengths: list[int], data: st.DataObject) -> None:
    n = sum(lengths)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.intp)
    tier = np.array(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), np.int64)
    if data.draw(st.booleans()):
        tier[:] = 0
    scores = np.array(
        data.draw(st.lists(st.sampled_from([-1.0, -0.0, 0.0, 0.5, 2.0]), min_size=n, max_size=n))
    )
    created = np.array(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), np.int64)
    ids = np.array([f"id{data.draw(st.integers(0, 50)):02d}-{i}" for i in range(n)])
    got = segmented_order(offsets, tier, scores, created, ids.__getitem__)
    want = []
    for a, b in itertools.pairwise(offsets.tolist()):
        rows = list(range(a, b))
        rows.sort(key=lambda r: (tier[r], -scores[r], -created[r], ids[r]))
        want.extend(rows)
    assert got.tolist() == want
    groups = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), np.intp)
    ranks = segmented_group_rank(offsets, groups, got)
    for a, b in itertools.pairwise(offsets.tolist()):
        local = got[a:b] - a
        assert ranks[a:b].tolist() == rank_within_groups(groups[a:b], local).tolist()
    flags = groups % 2 == 1
    assert segmented_flag_rank(offsets, flags, got).tolist() == (
        segmented_group_rank(offsets, flags.astype(np.intp), got).tolist()
    )


def test_string_hash_ignores_width_and_group_codes_are_exact() -> None:
    narrow = np.array(["ab", "c"])
    wide = np.array(["ab", "c", "longer-one"])
    assert string_hash(narrow).tolist() == string_hash(wide)[:2].tolist()
    values = np.array([f"u{i % 5000}" for i in range(20_000)])
    codes, first = group_codes(values)
    assert np.array_equal(values[first[codes]], values)
    assert len(first) == 5000


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests=st.lists(feeds(max_size=15), min_size=1, max_size=6), rows=st.integers(1, 30))
def test_chunked_processing_matches_rank(requests: list[Feed], rows: int) -> None:
    import feedrank.engine.run

    saved = feedrank.engine.run.CHUNK_ROWS
    feedrank.engine.run.CHUNK_ROWS = rows
    try:
        check_many(rich_pipeline(limit=3), requests, None)
        check_many(third_party_pipeline(2), requests, None)
        check_many(fr.preset("mastodon-trends"), requests, 2)
    finally:
        feedrank.engine.run.CHUNK_ROWS = saved


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n=st.integers(0, 40), k=st.integers(0, 45))
def test_top_rows_is_the_head_of_the_total_order(data: st.DataObject, n: int, k: int) -> None:
    """The page found by partial selection is the head of the full order, ties included."""
    scores = np.array(
        data.draw(st.lists(st.sampled_from([-1.0, -0.0, 0.0, 0.5, 2.0]), min_size=n, max_size=n))
    )
    created = np.array(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), np.int64)
    ids = np.array([f"id{data.draw(st.integers(0, 50)):02d}-{i}" for i in range(n)])
    full = segmented_order(
        np.array([0, n]), np.zeros(n, np.int64), scores, created, ids.__getitem__
    )
    assert top_rows(scores, created, ids.__getitem__, k).tolist() == full[:k].tolist()
    pool = np.array(sorted(data.draw(st.sets(st.integers(0, max(n - 1, 0)))) if n else []), np.intp)
    want = [r for r in full.tolist() if r in set(pool.tolist())][:k]
    assert top_rows(scores, created, ids.__getitem__, k, pool).tolist() == want
