"""CoordinationDiscount: each coordinated group counts once in the counts a
signal reads, the explanation says so, and missing or impossible columns are
errors naming the post."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

import feedrank as fr
from feedrank.errors import RankingError
from feedrank.stages.signals import CoordinationDiscount, EngagementRate, Interactions, Timestamp
from feedrank.stages.signals.coordination import coordination_feature_names

T = datetime(2026, 1, 1, tzinfo=timezone.utc)


def batch(reposts: int, actions: float, groups: float, accounts: float) -> fr.PostBatch:
    cols = dict.fromkeys(coordination_feature_names(), 0.0)
    cols["coordination_repost_actions"] = actions
    cols["coordination_repost_groups"] = groups
    cols["coordination_repost_accounts"] = accounts
    return fr.PostBatch.from_posts(
        [
            fr.Post(
                id="p",
                author_id="a",
                created_at=T,
                counts={"repost": reposts, "view": 100},
                features=cols,
            ),
            fr.Post(
                id="q",
                author_id="b",
                created_at=T,
                counts={"repost": reposts, "view": 100},
                features=dict.fromkeys(coordination_feature_names(), 0.0),
            ),
        ]
    )


def test_a_group_counts_once_and_the_explanation_says_how_much() -> None:
    b = batch(40, 12.0, 1.0, 9.0)
    ctx = fr.Context.build(b, now=T)
    signal = CoordinationDiscount(signal=Interactions(weights={"repost": 2.0}))
    assert signal.compute(b, ctx).tolist() == [2.0 * 29, 2.0 * 40]
    notes = signal.notes(b, ctx)
    assert notes is not None
    assert notes.tolist() == [
        "12 of 40 reposts came from 1 coordinated group of 9 accounts: counted once",
        "",
    ]


def test_two_groups_count_twice_and_rates_are_discounted_too() -> None:
    b = batch(30, 20.0, 2.0, 18.0)
    ctx = fr.Context.build(b, now=T)
    rate = EngagementRate(weights={"repost": 1.0}, prior_strength=10.0)
    wrapped = CoordinationDiscount(signal=rate)
    assert wrapped.compute(b, ctx).tolist() == pytest.approx([12 / 110, 30 / 110])
    notes = wrapped.notes(b, ctx)
    assert notes is not None
    assert "counted as 2" in str(notes[0])


def test_missing_columns_and_impossible_counts_are_errors_naming_the_post() -> None:
    plain = fr.PostBatch.from_posts([fr.Post(id="p", author_id="a", created_at=T)])
    ctx = fr.Context.build(plain, now=T)
    signal = CoordinationDiscount(signal=Interactions(weights={"like": 1.0}))
    with pytest.raises(RankingError) as err:
        signal.compute(plain, ctx)
    assert err.value.post_id == "p"
    assert "CoordinationFit.attach" in str(err.value)
    b = batch(5, 9.0, 1.0, 9.0)  # more coordinated reposts than the post has
    with pytest.raises(RankingError) as err:
        CoordinationDiscount(signal=Interactions(weights={"repost": 1.0})).compute(
            b, fr.Context.build(b, now=T)
        )
    assert err.value.post_id == "p"
    assert err.value.field == "features.coordination_repost_actions"


def test_only_signals_of_counts_can_be_wrapped_and_the_spec_round_trips() -> None:
    with pytest.raises(ValueError, match="does not read counts"):
        CoordinationDiscount(signal=Timestamp())
    with pytest.raises(ValueError, match="twice"):
        CoordinationDiscount(signal=Interactions(), kinds=("like", "like"))
    pipe = fr.preset("balanced-coordination-aware")
    for fmt in ("toml", "json"):
        again = fr.load_spec(fr.dump_spec(pipe, fmt), format=fmt)  # type: ignore[arg-type]
        assert again == pipe
        assert again.fingerprint == pipe.fingerprint


def test_discount_only_lowers_and_never_below_one_per_group() -> None:
    gen = np.random.default_rng(0)
    for _ in range(50):
        count = int(gen.integers(0, 60))
        actions = int(gen.integers(0, count + 1))
        groups = int(gen.integers(min(1, actions), max(1, actions) + 1)) if actions else 0
        b = batch(count, float(actions), float(groups), float(max(groups, actions)))
        value = CoordinationDiscount(signal=Interactions(weights={"repost": 1.0})).compute(
            b, fr.Context.build(b, now=T)
        )
        assert value[1] == count
        assert groups <= value[0] - (count - actions) <= value[1]
