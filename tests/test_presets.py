"""Presets are ordinary specs and behave as their docstrings say."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import feedrank as fr
from feedrank.presets import PRESETS, register_preset

T0 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def test_chronological_orders_newest_first_and_ignores_engagement() -> None:
    posts = [
        fr.Post(
            id=f"p{i}",
            author_id=f"a{i}",
            created_at=T0 - timedelta(minutes=7 * i),
            counts={"like": 1000 * i},
        )
        for i in range(6)
    ]
    batch = fr.PostBatch.from_posts(posts)
    viewer = fr.Viewer(id="v", follows={"a5"}, interests={"x": 1.0})
    ranking = fr.preset("chronological").rank(batch, fr.Context.build(batch, now=T0, viewer=viewer))
    assert ranking.post_ids == [
        p.id for p in sorted(posts, key=lambda p: p.created_at, reverse=True)
    ]


def test_chronological_is_the_same_for_every_viewer() -> None:
    posts = [
        fr.Post(id=f"p{i}", author_id=f"a{i % 3}", created_at=T0 - timedelta(hours=i))
        for i in range(10)
    ]
    batch = fr.PostBatch.from_posts(posts)
    pipe = fr.preset("chronological")
    a = pipe.rank(batch, fr.Context.build(batch, now=T0, viewer=fr.Viewer(id="a", follows={"a1"})))
    b = pipe.rank(batch, fr.Context.build(batch, now=T0, viewer=fr.Viewer(id="b")))
    assert a.post_ids == b.post_ids


def test_every_preset_is_built_from_registered_components() -> None:
    for name in PRESETS:
        pipe = fr.preset(name)
        assert pipe.name == name
        assert pipe.description
        for part in (*pipe.scorer.terms, *pipe.scorer.factors):
            assert part.why, f"{name}: {part.name} has no published rationale"


def test_unknown_preset_and_duplicate_registration() -> None:
    with pytest.raises(fr.SpecError, match="chronological"):
        fr.preset("reverse-alphabetical")
    with pytest.raises(fr.SpecError, match="already registered"):
        register_preset("balanced")(fr.preset("balanced").__class__)  # type: ignore[arg-type]
