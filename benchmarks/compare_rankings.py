"""Bit-for-bit comparison of two :class:`~feedrank.Ranking` objects (benchmarks)."""

from __future__ import annotations

from feedrank.ranking.ranking import Ranking

__all__ = ["assert_same"]


def assert_same(a: Ranking, b: Ranking) -> None:
    """Every array and field of two rankings is equal (floats bit for bit)."""
    assert a.candidates.ids.tolist() == b.candidates.ids.tolist()
    assert a.now == b.now
    assert a.removed_reasons.tolist() == b.removed_reasons.tolist()
    assert a.kept.tolist() == b.kept.tolist()
    assert (a.term_names, a.factor_names, a.factor_stages) == (
        b.term_names,
        b.factor_names,
        b.factor_stages,
    )
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
