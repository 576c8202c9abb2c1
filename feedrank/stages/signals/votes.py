"""Signals of community votes: the building blocks of the Reddit, Hacker News,
Mastodon and Lemmy reference rankings.

Every signal here returns ndarray of shape (n,), float64, computed in columns.
Vote counts come from ``PostBatch.counts`` (``upvote``, ``downvote``, ``like``,
``repost``, ``reply`` ...): a net vote score is Σ_k weights[k] · count_k, so
Reddit's ``ups − downs`` is ``weights={"upvote": 1, "downvote": -1}``.

>>> import math
>>> from datetime import datetime, timedelta, timezone
>>> from feedrank import Context, Post, PostBatch
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([
...     Post(id="p", author_id="a", created_at=t, counts={"upvote": 10, "downvote": 5})])
>>> ctx = Context.build(batch, now=t + timedelta(hours=1))
>>> round(float(Controversy().compute(batch, ctx)[0]), 6)  # 15 ** (5 / 10)
3.872983
>>> float(Points(offset=1.0, exponent=0.8).compute(batch, ctx)[0]) == 9 ** 0.8
True
>>> float(LogVotes(shift=2.0, floor=2.0).compute(batch, ctx)[0]) == math.log10(7)
True
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator, model_validator

from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.models import InteractionKind
from feedrank.stages.signals.base import Signal, register_signal
from feedrank.stages.signals.domain import NON_NEGATIVE, Domain
from feedrank.stages.signals.engagement import _nonempty, weighted_counts

__all__ = [
    "Controversy",
    "HackerNewsPenalty",
    "LogVotes",
    "Points",
    "SignedTimestamp",
    "Surprise",
    "WindowedGravityDecay",
]

K = InteractionKind


def _net_votes() -> dict[InteractionKind, float]:
    return {K.UPVOTE: 1.0, K.DOWNVOTE: -1.0}


def _terms(weights: dict[InteractionKind, float]) -> str:
    """``upvote − downvote`` style text for describe()."""
    out = ""
    for kind, w in weights.items():
        sign = "−" if w < 0 else "+"
        mag = abs(w)
        part = kind.value if mag == 1 else f"{mag:g}·{kind.value}"
        out += (f" {sign} " if out else ("−" if w < 0 else "")) + part
    return out


def _seconds_since(batch: PostBatch, origin: float) -> NDArray[np.float64]:
    """ndarray (n,), float64: creation time in seconds after epoch second ``origin``
    (whole seconds and the microseconds kept apart for full precision)."""
    seconds = batch.created_at // 1_000_000
    micros = batch.created_at - seconds * 1_000_000
    out: NDArray[np.float64] = (seconds.astype(np.float64) - origin) + micros / 1e6
    return out


def _no_blank(value: tuple[str, ...]) -> tuple[str, ...]:
    if any(not label for label in value):
        raise ValueError("holds an empty label; expected non-empty strings")
    return value


@register_signal
class Points(Signal):
    """Points with a power transform: b = Σ w_k · count_k − offset, then
    b ** exponent where b > 0, else b unchanged.

    Hacker News (news.arc): ``offset=1`` (the submitter's own vote), ``exponent=0.8``;
    the published simplification uses ``exponent=1`` (plain points − 1).

    >>> Points(offset=1.0, exponent=0.8).describe()
    '(upvote − 1)^0.8 if positive, else upvote − 1'
    """

    type: Literal["points"] = "points"
    weights: dict[InteractionKind, float] = Field(default_factory=lambda: {K.UPVOTE: 1.0})
    offset: float = 0.0
    exponent: Annotated[float, Field(gt=0)] = 1.0
    reads: ClassVar[tuple[str, ...]] = ("counts",)

    _check_weights = field_validator("weights")(_nonempty)

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        base = weighted_counts(batch, self.weights) - self.offset
        if self.exponent == 1.0:
            return base
        powered = np.power(np.maximum(base, 0.0), self.exponent)
        return np.where(base > 0, powered, base)

    def describe(self) -> str:
        x = _terms(self.weights)
        b = f"{x} − {self.offset:g}" if self.offset else x
        if self.exponent == 1.0:
            return b
        return f"({b})^{self.exponent:g} if positive, else {b}"


@register_signal
class LogVotes(Signal):
    """log10(max(floor, y + shift)) with y = Σ w_k · count_k, or |y| when ``absolute``.

    Lemmy's hot rank numerator is ``shift=2, floor=2``: log10(max(2, score + 2)).
    Reddit's 2013 hot vote term is ``absolute=True, floor=1``: log10(max(|s|, 1)).

    >>> LogVotes(shift=2.0, floor=2.0).describe()
    'log10(max(2, upvote − downvote + 2))'
    """

    type: Literal["log_votes"] = "log_votes"
    weights: dict[InteractionKind, float] = Field(default_factory=_net_votes)
    absolute: bool = False
    shift: float = 0.0
    floor: Annotated[float, Field(gt=0)] = 1.0
    reads: ClassVar[tuple[str, ...]] = ("counts",)

    _check_weights = field_validator("weights")(_nonempty)

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        y = weighted_counts(batch, self.weights)
        if self.absolute:
            y = np.abs(y)
        return np.log10(np.maximum(y + self.shift, self.floor))

    def describe(self) -> str:
        y = f"|{_terms(self.weights)}|" if self.absolute else _terms(self.weights)
        if self.shift:
            y += f" {'−' if self.shift < 0 else '+'} {abs(self.shift):g}"
        return f"log10(max({self.floor:g}, {y}))"


@register_signal
class SignedTimestamp(Signal):
    """sign(s) · (created_epoch − origin) / scale, s = Σ w_k · count_k.

    The time term of Reddit's 2013 hot formula (commit 8af4154), where the sign
    of ups − downs multiplies the age bonus: a post with more down- than upvotes
    sinks further the newer it is, one with s = 0 gets no time bonus at all.

    >>> SignedTimestamp(origin=1134028003.0, scale=45000.0).describe()
    'sign(upvote − downvote) · (created − 1134028003 s) / 45000 s'
    """

    type: Literal["signed_timestamp"] = "signed_timestamp"
    weights: dict[InteractionKind, float] = Field(default_factory=_net_votes)
    origin: float = 0.0
    scale: Annotated[float, Field(gt=0)] = 3600.0
    reads: ClassVar[tuple[str, ...]] = ("counts", "created_at")

    _check_weights = field_validator("weights")(_nonempty)

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        sign = np.sign(weighted_counts(batch, self.weights))
        return sign * _seconds_since(batch, self.origin) / self.scale

    def describe(self) -> str:
        return f"sign({_terms(self.weights)}) · (created − {self.origin:.0f} s) / {self.scale:g} s"


@register_signal
class Controversy(Signal):
    """Reddit's controversy: (ups + downs) ** (min / max), 0 unless both ups > 0
    and downs > 0. ``ups`` sums the ``positive`` kinds, ``downs`` the ``negative``.

    Many votes split evenly score highest; a one-sided post scores low.

    >>> Controversy().describe()
    '(up + down) ^ (smaller / larger); up = upvote, down = downvote'
    """

    type: Literal["controversy"] = "controversy"
    positive: Annotated[tuple[InteractionKind, ...], Field(min_length=1)] = (K.UPVOTE,)
    negative: Annotated[tuple[InteractionKind, ...], Field(min_length=1)] = (K.DOWNVOTE,)
    reads: ClassVar[tuple[str, ...]] = ("counts",)
    value_domain: ClassVar[Domain] = NON_NEGATIVE

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        ups = weighted_counts(batch, dict.fromkeys(self.positive, 1.0))
        downs = weighted_counts(batch, dict.fromkeys(self.negative, 1.0))
        valid = (ups > 0) & (downs > 0)
        safe_ups = np.where(valid, ups, 1.0)
        safe_downs = np.where(valid, downs, 1.0)
        balance = np.where(ups > downs, safe_downs / safe_ups, safe_ups / safe_downs)
        return np.where(valid, np.power(ups + downs, balance), 0.0)

    def describe(self) -> str:
        up = " + ".join(k.value for k in self.positive)
        down = " + ".join(k.value for k in self.negative)
        return f"(up + down) ^ (smaller / larger); up = {up}, down = {down}"


@register_signal
class Surprise(Signal):
    """Mastodon's trend score: observed = Σ w_k · count_k against ``expected``;
    0 if observed < threshold or expected > observed, else (observed − expected)² / expected.

    >>> Surprise().describe()
    '(observed − 1)² / 1 with observed = repost + like; 0 below 5'
    """

    type: Literal["surprise"] = "surprise"
    weights: dict[InteractionKind, float] = Field(
        default_factory=lambda: {K.REPOST: 1.0, K.LIKE: 1.0}
    )
    expected: Annotated[float, Field(gt=0)] = 1.0
    threshold: Annotated[float, Field(ge=0)] = 5.0
    reads: ClassVar[tuple[str, ...]] = ("counts",)
    value_domain: ClassVar[Domain] = NON_NEGATIVE

    _check_weights = field_validator("weights")(_nonempty)

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        observed = weighted_counts(batch, self.weights)
        zero = (observed < self.threshold) | (self.expected > observed)
        return np.where(zero, 0.0, (observed - self.expected) ** 2 / self.expected)

    def describe(self) -> str:
        return (
            f"(observed − {self.expected:g})² / {self.expected:g} with observed = "
            f"{_terms(self.weights)}; 0 below {self.threshold:g}"
        )


@register_signal
class WindowedGravityDecay(Signal):
    """1 / (age_hours + offset_hours) ** gravity for min_hours < age < max_hours
    (both bounds excluded), else 0.

    Lemmy's hot rank decay: posts older than a week, and posts dated at or after
    ``now`` (age ≤ 0), get 0 instead of an error or an unbounded boost.

    >>> WindowedGravityDecay().describe()
    '1/(age_h + 2)^1.8 for 0 < age_h < 168, else 0'
    """

    type: Literal["windowed_gravity_decay"] = "windowed_gravity_decay"
    gravity: Annotated[float, Field(gt=0)] = 1.8
    offset_hours: Annotated[float, Field(ge=0)] = 2.0
    min_hours: Annotated[float, Field(ge=0)] = 0.0
    max_hours: Annotated[float, Field(gt=0)] = 168.0
    reads: ClassVar[tuple[str, ...]] = ("created_at", "now")
    value_domain: ClassVar[Domain] = NON_NEGATIVE

    @model_validator(mode="after")
    def _ordered(self) -> WindowedGravityDecay:
        if self.max_hours <= self.min_hours:
            raise ValueError(
                f"max_hours {self.max_hours:g} must be larger than min_hours {self.min_hours:g}"
            )
        return self

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        age = batch.age_hours(requests.now_rows)
        inside = (age > self.min_hours) & (age < self.max_hours)
        base = np.where(inside, age + self.offset_hours, 1.0)
        return np.where(inside, np.power(base, -self.gravity), 0.0)

    def describe(self) -> str:
        return (
            f"1/(age_h + {self.offset_hours:g})^{self.gravity:g} for "
            f"{self.min_hours:g} < age_h < {self.max_hours:g}, else 0"
        )


Branch = Literal["all", "non_story", "no_url", "lightweight", "controversy"]
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


@register_signal
class HackerNewsPenalty(Signal):
    """The penalty multiplier of Hacker News' ``frontpage-rank`` (news.arc), as
    the first matching rule of:

    1. a post labelled with one of ``non_story_labels`` (not a story, e.g. a poll):
       ``non_story_factor`` (0.5);
    2. a story without URL (blank ``url``, e.g. Ask HN): ``no_url_factor`` (0.4);
    3. a lightweight story (a label in ``lightweight_labels``, or a URL ending in
       .png/.jpg/.jpeg): min(``lightweight_factor`` (0.3), contro);
    4. any other story: contro,

    where contro = min(1, (points / comments)²) if comments > ``min_comments``
    (20), else 1; points and comments are the ``points`` and ``comments`` counts.

    ``branch`` picks which rule the signal reports: ``all`` gives the whole
    multiplier; ``non_story``, ``no_url``, ``lightweight`` and ``controversy``
    give that rule's multiplier for the posts it applies to and 1 elsewhere, so
    four factors, one per branch, multiply to exactly the ``all`` value while an
    explanation shows which rule acted.

    >>> HackerNewsPenalty(branch="no_url").describe()
    '0.4 for a story without URL, else 1'
    """

    type: Literal["hn_penalty"] = "hn_penalty"
    branch: Branch = "all"
    points: InteractionKind = K.UPVOTE
    comments: InteractionKind = K.REPLY
    min_comments: Annotated[int, Field(ge=0)] = 20
    non_story_labels: tuple[str, ...] = ("poll",)
    lightweight_labels: tuple[str, ...] = ("lightweight", "rally", "image")
    non_story_factor: Annotated[float, Field(ge=0)] = 0.5
    no_url_factor: Annotated[float, Field(ge=0)] = 0.4
    lightweight_factor: Annotated[float, Field(ge=0)] = 0.3
    reads: ClassVar[tuple[str, ...]] = ("counts", "labels", "url")
    value_domain: ClassVar[Domain] = NON_NEGATIVE

    _check_labels = field_validator("non_story_labels", "lightweight_labels")(_no_blank)

    def contro(self, batch: PostBatch) -> NDArray[np.float64]:
        """ndarray (n,), float64: min(1, (points / comments)²) above ``min_comments``
        comments, else 1."""
        pts = batch.count(self.points).astype(np.float64)
        com = batch.count(self.comments).astype(np.float64)
        many = com > self.min_comments
        ratio = pts / np.where(many, com, 1.0)
        return np.where(many, np.minimum(1.0, ratio * ratio), 1.0)

    def compute_many(self, batch: PostBatch, requests: Requests) -> NDArray[np.float64]:
        non_story = batch.labels.contains_any(self.non_story_labels)
        blank = np.strings.str_len(np.strings.strip(batch.url)) == 0
        url = np.strings.lower(np.strings.strip(batch.url))
        image = np.zeros(len(batch), dtype=bool)
        for suffix in _IMAGE_SUFFIXES:
            image |= np.strings.endswith(url, suffix)
        light = batch.labels.contains_any(self.lightweight_labels) | image
        story_url = ~non_story & ~blank
        contro = self.contro(batch)
        one = np.ones(len(batch), dtype=np.float64)
        lightweight = np.where(story_url & light, np.minimum(self.lightweight_factor, contro), one)
        controversy = np.where(story_url & ~light, contro, one)
        non_story_part = np.where(non_story, self.non_story_factor, one)
        no_url_part = np.where(~non_story & blank, self.no_url_factor, one)
        parts = {
            "non_story": non_story_part,
            "no_url": no_url_part,
            "lightweight": lightweight,
            "controversy": controversy,
        }
        if self.branch == "all":
            return non_story_part * no_url_part * lightweight * controversy
        return parts[self.branch]

    def describe(self) -> str:
        contro = (
            f"min(1, ({self.points.value}/{self.comments.value})²) when "
            f"{self.comments.value} > {self.min_comments}"
        )
        labels = ", ".join(self.non_story_labels) or "no label"
        texts = {
            "non_story": f"{self.non_story_factor:g} for a non-story ({labels}), else 1",
            "no_url": f"{self.no_url_factor:g} for a story without URL, else 1",
            "lightweight": (
                f"min({self.lightweight_factor:g}, contro) for a lightweight story "
                f"(image URL or labels {', '.join(self.lightweight_labels) or 'none'}), "
                f"contro = {contro}; else 1"
            ),
            "controversy": f"contro-factor {contro} for other stories, else 1",
        }
        if self.branch == "all":
            return (
                f"HN penalty: {self.non_story_factor:g} non-story, {self.no_url_factor:g} "
                f"no URL, min({self.lightweight_factor:g}, contro) lightweight, else "
                f"contro = {contro}"
            )
        return texts[self.branch]
