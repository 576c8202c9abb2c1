"""Time signals against their formulas: exponential and power-law (gravity)
decay, timestamps and ages."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr
from feedrank.errors import SpecError
from feedrank.stages.signals import AgeHours, ExponentialDecay, GravityDecay, Timestamp

UTC = timezone.utc
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def batch_at(ages_hours: list[float]) -> tuple[fr.PostBatch, fr.Context]:
    """One post per age (hours before NOW; negative = after NOW)."""
    posts = [
        fr.Post(id=f"p{i}", author_id="a", created_at=NOW - timedelta(hours=age))
        for i, age in enumerate(ages_hours)
    ]
    batch = fr.PostBatch.from_posts(posts)
    return batch, fr.Context.build(batch, now=NOW)


AGES = [0.0, 0.5, 1.0, 3.0, 6.0, 24.0, 100.25]


@pytest.mark.parametrize("half_life", [1.0, 3.0, 24.0, 0.5])
def test_exponential_decay_halves_every_half_life(half_life: float) -> None:
    batch, ctx = batch_at(AGES)
    got = ExponentialDecay(half_life_hours=half_life).compute(batch, ctx)
    expected = [0.5 ** (age / half_life) for age in AGES]
    assert got.dtype == np.float64
    assert got.shape == (len(AGES),)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_exponential_decay_defaults_to_a_day_and_exact_halvings() -> None:
    batch, ctx = batch_at([0.0, 24.0, 48.0, 72.0])
    assert ExponentialDecay().compute(batch, ctx).tolist() == [1.0, 0.5, 0.25, 0.125]


def test_gravity_decay_is_one_over_age_plus_two_to_the_1_8() -> None:
    batch, ctx = batch_at(AGES)
    got = GravityDecay().compute(batch, ctx)
    expected = [1.0 / (age + 2.0) ** 1.8 for age in AGES]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_gravity_decay_worked_values_from_the_references() -> None:
    batch, ctx = batch_at([3.0, 1.0])
    got = GravityDecay().compute(batch, ctx)
    # Bluesky What's Hot: 50 likes at 3 h -> 50 / 5^1.8 = 2.759459
    assert round(50 * float(got[0]), 6) == 2.759459
    # Hacker News simplified: (100 - 1) / (1 + 2)^1.8 = 13.70304
    assert round(99 * float(got[1]), 5) == 13.70304


def test_gravity_decay_custom_gravity_and_offset() -> None:
    batch, ctx = batch_at(AGES)
    got = GravityDecay(gravity=1.5, offset_hours=0.5).compute(batch, ctx)
    np.testing.assert_allclose(got, [(age + 0.5) ** -1.5 for age in AGES], rtol=1e-12)
    # Lemmy-like offset with HN's timebase of 2 hours and gravity 1
    got = GravityDecay(gravity=1.0, offset_hours=2.0).compute(batch, ctx)
    np.testing.assert_allclose(got, [1 / (age + 2) for age in AGES], rtol=1e-12)


def test_gravity_decay_of_age_zero_with_offset_zero_is_not_finite() -> None:
    # The signal itself reports the singularity; the scorer turns it into an error
    # (see tests/test_scoring.py).
    batch, ctx = batch_at([0.0, 1.0])
    got = GravityDecay(offset_hours=0.0).compute(batch, ctx)
    assert not math.isfinite(got[0])
    assert got[1] == 1.0


def test_timestamp_is_epoch_seconds_over_scale_with_microseconds() -> None:
    moments = [
        datetime(2026, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC),
        datetime(2005, 12, 8, 21, 46, 43, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 250_000, tzinfo=UTC),
    ]
    posts = [fr.Post(id=f"p{i}", author_id="a", created_at=m) for i, m in enumerate(moments)]
    batch = fr.PostBatch.from_posts(posts)
    ctx = fr.Context.build(batch, now=NOW)

    def epoch_seconds(m: datetime) -> float:
        d = m - EPOCH
        return d.days * 86_400 + d.seconds + d.microseconds / 1e6

    got = Timestamp().compute(batch, ctx)
    np.testing.assert_allclose(got, [epoch_seconds(m) / 3600 for m in moments], rtol=1e-15)
    got = Timestamp(origin=1_000_000_000, scale=1.0).compute(batch, ctx)
    np.testing.assert_allclose(
        got, [epoch_seconds(m) - 1_000_000_000 for m in moments], rtol=0, atol=1e-6
    )


def test_timestamp_reddit_time_term() -> None:
    # Reddit hot's time term: (created - 1134028003) / 45000
    t0 = datetime.fromtimestamp(1134028003, tz=UTC)
    posts = [
        fr.Post(id="a", author_id="x", created_at=t0),
        fr.Post(id="b", author_id="x", created_at=t0 + timedelta(seconds=45000)),
        fr.Post(id="c", author_id="x", created_at=t0 + timedelta(seconds=4500)),
    ]
    batch = fr.PostBatch.from_posts(posts)
    got = Timestamp(origin=1134028003, scale=45000).compute(batch, fr.Context.build(batch, now=NOW))
    assert got.tolist() == [0.0, 1.0, 0.1]


def test_age_hours_counts_from_now_and_is_negative_in_the_future() -> None:
    ages = [0.0, 1.5, 48.0, -2.0, 1 / 3600]
    batch, ctx = batch_at(ages)
    np.testing.assert_allclose(AgeHours().compute(batch, ctx), ages, rtol=1e-12, atol=1e-15)


def test_time_signals_declare_what_they_read() -> None:
    for signal in (ExponentialDecay(), GravityDecay(), AgeHours()):
        assert {"created_at", "now"} <= set(type(signal).reads)
    assert "created_at" in Timestamp.reads


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (ExponentialDecay, {"half_life_hours": 0}),
        (ExponentialDecay, {"half_life_hours": -1}),
        (GravityDecay, {"gravity": 0}),
        (GravityDecay, {"offset_hours": -0.5}),
        (GravityDecay, {"gravity": float("nan")}),
        (Timestamp, {"scale": 0}),
        (ExponentialDecay, {"half_life_hours": "24"}),
    ],
)
def test_invalid_parameters_are_rejected(cls: type, kwargs: dict[str, object]) -> None:
    with pytest.raises(SpecError):
        cls(**kwargs)


def test_empty_batch_gives_empty_arrays() -> None:
    batch = fr.PostBatch.empty()
    ctx = fr.Context.build(batch, now=NOW)
    for signal in (ExponentialDecay(), GravityDecay(), Timestamp(), AgeHours()):
        out = signal.compute(batch, ctx)
        assert out.shape == (0,)
        assert out.dtype == np.float64


@settings(max_examples=60, deadline=None)
@given(
    minutes=st.lists(st.integers(0, 60 * 24 * 30), min_size=1, max_size=20),
    half_life=st.floats(0.25, 500),
    gravity=st.floats(0.1, 3),
    offset=st.floats(0.5, 5),
)
def test_decays_match_formulas_and_never_rise_with_age(
    minutes: list[int], half_life: float, gravity: float, offset: float
) -> None:
    batch, ctx = batch_at([m / 60 for m in minutes])
    exp = ExponentialDecay(half_life_hours=half_life).compute(batch, ctx)
    grav = GravityDecay(gravity=gravity, offset_hours=offset).compute(batch, ctx)
    ages = [m / 60 for m in minutes]
    np.testing.assert_allclose(exp, [0.5 ** (a / half_life) for a in ages], rtol=1e-9)
    np.testing.assert_allclose(grav, [(a + offset) ** -gravity for a in ages], rtol=1e-9)
    order = np.argsort(minutes, kind="stable")
    assert np.all(np.diff(exp[order]) <= 0)
    assert np.all(np.diff(grav[order]) <= 0)
    assert np.all((exp >= 0) & (exp <= 1))
