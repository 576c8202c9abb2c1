"""The balanced preset on data as open networks deliver it: no view counts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

import feedrank as fr
from feedrank.adapters.mastodon import load_timeline

NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
TIMELINE = Path(__file__).resolve().parents[2] / "examples" / "mastodon_timeline.json"
PRIOR_NOTE = "no view count: the prior rate 0.05"


def mastodon_ranking() -> fr.Ranking:
    """``balanced`` over the example home timeline, as examples/mastodon_home.py ranks it."""
    timeline = load_timeline(TIMELINE, boosts="original")
    batch = timeline.batch()
    now = max(p.created_at for p in timeline.posts) + timedelta(minutes=12)
    viewer = fr.Viewer(
        id="1000",
        follows=timeline.timeline_accounts - {"1000"},
        interests={"music": 1.0, "openscience": 0.5},
    )
    ctx = fr.Context.build(batch, now=now, viewer=viewer, network=timeline.network)
    return fr.preset("balanced").rank(batch, ctx, limit=100)


def test_a_mastodon_timeline_without_views_gets_the_prior_rate_and_says_so() -> None:
    ranking = mastodon_ranking()
    assert not ranking.kept_batch.count(fr.InteractionKind.VIEW).any()  # Mastodon reports none
    assert ranking.kept_batch.count(fr.InteractionKind.LIKE).max() > 20
    j = ranking.term_names.index("like_rate")
    assert ranking.inputs[:, j].tolist() == [0.05] * len(ranking.kept_batch)
    assert np.all(ranking.contributions[:, j] == 4 * 0.05)
    for post_id in ranking.post_ids:
        (part,) = [t for t in ranking.explain(post_id).terms if t.name == "like_rate"]
        assert part.note == PRIOR_NOTE
        assert PRIOR_NOTE in ranking.explain(post_id).to_text()


def test_missing_views_move_no_post() -> None:
    ranking = mastodon_ranking()
    j = ranking.term_names.index("like_rate")
    assert not ranking.ablation().rank_changes[:, j].any()


def test_like_rate_is_bounded_where_views_are_missing_and_a_rate_where_they_are_not() -> None:
    posts = [
        fr.Post(id="viral", author_id="a", created_at=NOW, counts={"like": 500_000, "repost": 9}),
        fr.Post(id="quiet", author_id="b", created_at=NOW, counts={"like": 2}),
        fr.Post(id="seen", author_id="c", created_at=NOW, counts={"like": 30, "view": 100}),
    ]
    batch = fr.PostBatch.from_posts(posts)
    ranking = fr.preset("balanced").rank(batch, fr.Context.build(batch, now=NOW))
    rate = dict(zip(ranking.kept_batch.ids.tolist(), ranking.inputs[:, 1].tolist(), strict=True))
    assert ranking.term_names[1] == "like_rate"
    assert rate["viral"] == rate["quiet"] == 0.05
    assert rate["seen"] == (30 + 0.05 * 20) / (100 + 20)
    viral = ranking.explain("viral")
    (part,) = [t for t in viral.terms if t.name == "like_rate"]
    assert part.contribution == 4 * 0.05
    assert part.share < 0.02  # the likes count through engagement, once


def hidden_feed() -> tuple[fr.PostBatch, fr.Viewer, fr.Interaction]:
    """The viewer hid the most engaging post of a followed author 20 minutes ago."""
    posts = [
        fr.Post(
            id="loud",
            author_id="ann",
            created_at=NOW - timedelta(hours=1),
            counts={"like": 400, "repost": 80, "reply": 30},
        ),
        fr.Post(
            id="ann2", author_id="ann", created_at=NOW - timedelta(hours=3), counts={"like": 5}
        ),
        fr.Post(
            id="calm", author_id="bob", created_at=NOW - timedelta(hours=2), counts={"like": 20}
        ),
        fr.Post(
            id="new", author_id="cat", created_at=NOW - timedelta(minutes=30), counts={"like": 3}
        ),
    ]
    viewer = fr.Viewer(id="v", follows={"ann", "bob"})
    hide = fr.Interaction(
        viewer_id="v", post_id="loud", kind="hide", at=NOW - timedelta(minutes=20)
    )
    return fr.PostBatch.from_posts(posts), viewer, hide


def test_a_post_the_viewer_hid_is_not_served() -> None:
    batch, viewer, hide = hidden_feed()
    pipe = fr.preset("balanced")
    before = pipe.rank(batch, fr.Context.build(batch, now=NOW, viewer=viewer))
    assert before.post_ids[0] == "loud"  # without the hide it would lead the feed
    ranking = pipe.rank(batch, fr.Context.build(batch, now=NOW, viewer=viewer, interactions=[hide]))
    assert "loud" not in ranking.all_post_ids
    assert ranking.post_ids == ["calm", "new"]
    assert ranking.removed() == {"loud": "see_fewer:14d", "ann2": "see_fewer:14d"}
    assert ranking.removal_counts() == {"see_fewer:14d": 2}
    assert ranking.explain("loud").removed_by == "see_fewer:14d"


def test_a_hidden_post_never_returns_while_it_is_a_candidate() -> None:
    batch, viewer, hide = hidden_feed()
    for hours in (1, 24, 71):
        now = NOW + timedelta(hours=hours)
        ctx = fr.Context.build(batch, now=now, viewer=viewer, interactions=[hide])
        ranking = fr.preset("balanced").rank(batch, ctx)
        assert ranking.removed()["loud"] in ("see_fewer:14d", "older_than:72h"), hours
        assert "loud" not in ranking.post_ids


@pytest.mark.parametrize("name", ["balanced", "x-for-you-2023", "x-for-you-2023-estimated"])
def test_presets_that_read_the_viewers_feedback_remove_what_the_viewer_hid(name: str) -> None:
    batch, viewer, hide = hidden_feed()
    ctx = fr.Context.build(batch, now=NOW, viewer=viewer, interactions=[hide])
    ranking = fr.preset(name).rank(batch, ctx)
    assert ranking.removed()["loud"] == "see_fewer:14d"
