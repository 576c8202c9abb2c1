"""The conformance suite over every registered component and preset, and what it
catches in components that break the contract."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Literal

import numpy as np
import pytest
from numpy.typing import NDArray

import feedrank as fr
import feedrank.engine.rerank
import feedrank.engine.run
from feedrank.batch.requests import Requests
from feedrank.errors import ConformanceError
from feedrank.presets import PRESETS
from feedrank.stages.filters import FILTERS, Filter, register_filter
from feedrank.stages.filters.base import Codes
from feedrank.stages.rerank import RERANKERS, Reranker, RerankStep, register_reranker
from feedrank.stages.signals import SIGNALS, Signal, register_signal
from feedrank.testing import CHECKS, SampleData, check_component, checks_for, sample_data
from feedrank.testing.examples import (
    FILTER_EXAMPLES,
    RERANKER_EXAMPLES,
    SIGNAL_EXAMPLES,
    is_built_in,
)
from feedrank.testing.subjects import ENGAGEMENT

TABLES: tuple[tuple[Any, Any], ...] = (
    (SIGNALS, SIGNAL_EXAMPLES),
    (FILTERS, FILTER_EXAMPLES),
    (RERANKERS, RERANKER_EXAMPLES),
)

KNOWN_BUGS: dict[str, tuple[str, str]] = {}
"""Case id -> (the check a built-in component fails, why): the case is an
xfail(strict=True) of that check alone; every other check must pass."""


def param(kind: str, tag: str, component: Any, case: str) -> Any:
    if case not in KNOWN_BUGS:
        return pytest.param(kind, tag, component, None, id=case)
    check, why = KNOWN_BUGS[case]
    mark = pytest.mark.xfail(strict=True, raises=ConformanceError, reason=f"{check}: {why}")
    return pytest.param(kind, tag, component, check, id=case, marks=[mark])


def cases() -> Iterator[Any]:
    for registry, table in TABLES:
        for tag, cls in registry.items():
            if not is_built_in(cls):
                continue  # registered by a test module, not part of the library
            found = table.get(tag, ())
            if not found:
                yield param(registry.kind, tag, None, f"{registry.kind}:{tag}")
            for i, example in enumerate(found):
                yield param(registry.kind, tag, example, f"{registry.kind}:{tag}:{i}")
    for name, factory in sorted(PRESETS.items()):
        if factory.__module__.startswith("feedrank."):
            yield param("preset", name, factory(), f"preset:{name}")


@pytest.mark.parametrize(("kind", "tag", "component", "bug"), list(cases()))
def test_every_registered_component_conforms(
    kind: str, tag: str, component: Any, bug: str | None
) -> None:
    assert component is not None, f"registered {kind} type {tag!r} has no example"
    if kind == "preset":
        assert component.name == tag
    else:
        assert component.type == tag
    if bug is None:
        assert check_component(component) == checks_for(component)
        return
    others = [name for name in checks_for(component) if name != bug]
    try:
        check_component(component, checks=others)
    except ConformanceError as err:
        raise AssertionError(f"fails beyond its known bug: {err}") from None
    check_component(component, checks=[bug])


def test_every_example_is_of_a_registered_built_in_type() -> None:
    for registry, table in TABLES:
        for tag, items in table.items():
            assert is_built_in(registry[tag])
            assert items
            assert all(type(item) is registry[tag] for item in items)
    assert len({c.name for c in CHECKS}) == len(CHECKS)


def test_the_sample_data_exercises_the_built_in_components() -> None:
    """The default sample removes and moves posts with every kind of reason."""
    data = sample_data()
    reasons: set[str] = set()
    for items in FILTER_EXAMPLES.values():
        for filt in items:
            for batch, ctx in data.requests:
                reasons |= {r.split(":")[0] for r in filt.reasons(batch, ctx).tolist()}
    assert reasons >= {
        "blocked_author",
        "muted_author",
        "muted_word",
        "seen",
        "older_than",
        "not_newer_than",
        "created_after_now",
        "label",
        "language",
        "min_interactions",
        "see_fewer",
        "no_social_proof",
        "reply",
        "repost",
    }
    moved: set[str] = set()
    removed: set[str] = set()
    alone = [
        fr.Pipeline(name="one-reranker", scorer=ENGAGEMENT, rerankers=[r])
        for items in RERANKER_EXAMPLES.values()
        for r in items
    ]
    for pipe in (*alone, fr.preset("x-for-you-2023")):
        for batch, ctx in data.requests:
            ranking = pipe.rank(batch, ctx)
            for counts in ranking.move_counts().values():
                moved |= {reason.split(":")[0] for reason in counts}
            removed |= set(ranking.removal_counts())
    assert "one_per_author" in removed  # a re-ranker's removal
    assert moved >= {
        "author_diversity",
        "one_per_author",
        "in_network_cap",
        "out_of_network_cap",
        "shifted_by",
    }
    for branch in ("non_story", "no_url", "lightweight", "controversy"):
        (penalty,) = (s for s in SIGNAL_EXAMPLES["hn_penalty"] if s.branch == branch)
        values = np.concatenate([penalty.compute(b, c) for b, c in data.requests])
        assert (values < 1).any(), branch
    gated = SIGNAL_EXAMPLES["bridging"][1]
    values = np.concatenate([gated.compute(b, c) for b, c in data.requests])
    intercepts = np.concatenate([b.features["bridging_intercept"] for b, _ in data.requests])
    assert (values == intercepts).any()
    assert (values == 0).any()
    assert (values < 0).any()


# ------------------------------------------------ third-party components
@register_signal
class RepliesPerView(Signal):
    """Replies per view: correct, with only the per-request method."""

    type: Literal["test_conformance_replies_per_view"] = "test_conformance_replies_per_view"
    reads: ClassVar[tuple[str, ...]] = ("counts",)

    def compute(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.float64]:
        return batch.count("reply") / (batch.count("view") + 1.0)


@register_filter
class NoLinks(Filter):
    """Removes posts with a URL: correct, with only the per-request method."""

    type: Literal["test_conformance_no_links"] = "test_conformance_no_links"

    def reasons(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.str_]:
        return np.where(np.strings.str_len(batch.url) > 0, "link", "")


@register_reranker
class HalveFollowed(Reranker):
    """Halves the score of posts by followed authors: correct, per request."""

    type: Literal["test_conformance_halve_followed"] = "test_conformance_halve_followed"

    def adjust(
        self,
        batch: fr.PostBatch,
        ctx: fr.Context,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> RerankStep:
        mult = np.where(ctx.in_network, 0.5, 1.0)
        return RerankStep(mult, None, np.where(ctx.in_network, "followed", ""))


@pytest.mark.parametrize("component", [RepliesPerView(), NoLinks(), HalveFollowed()])
def test_a_correct_third_party_component_with_only_the_per_request_method_passes(
    component: Any,
) -> None:
    assert check_component(component) == checks_for(component)
    pipe = fr.Pipeline(
        name="third-party",
        filters=[NoLinks()],
        scorer=fr.Scorer(terms=[fr.Term(name="replies", signal=RepliesPerView(), weight=1.0)]),
        rerankers=[HalveFollowed()],
    )
    assert check_component(pipe) == checks_for(pipe)


@register_signal
class CountsViews(Signal):
    """Adds one to the view counts it reads: writes into its input."""

    type: Literal["test_conformance_counts_views"] = "test_conformance_counts_views"

    def compute(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.float64]:
        batch.counts[:, fr.batch.kind_index("view")] += 1
        return batch.count("view").astype(np.float64)


@register_filter
class AboveMedian(Filter):
    """Removes posts with more likes than the median: not idempotent."""

    type: Literal["test_conformance_above_median"] = "test_conformance_above_median"

    def reasons(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.str_]:
        likes = batch.count("like")
        median = np.median(likes) if len(likes) else 0.0
        return np.where(likes > median, "popular", "")


@register_signal
class ShareOfAllLikes(Signal):
    """Likes over the likes of every row it is given, across requests too."""

    type: Literal["test_conformance_share_of_likes"] = "test_conformance_share_of_likes"

    def compute_many(self, batch: fr.PostBatch, requests: Requests) -> NDArray[np.float64]:
        likes = batch.count("like").astype(np.float64)
        return likes / max(float(likes.sum()), 1.0)


@register_signal
class RowNumber(Signal):
    """The position of the row in the batch."""

    type: Literal["test_conformance_row_number"] = "test_conformance_row_number"

    def compute(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.float64]:
        return np.arange(len(batch), dtype=np.float64)


CALLS = [0]


@register_signal
class Drifting(Signal):
    """Returns a little more on every call."""

    type: Literal["test_conformance_drifting"] = "test_conformance_drifting"

    def compute(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.float64]:
        CALLS[0] += 1
        return np.full(len(batch), float(CALLS[0]))


@register_signal
class Normalised(Signal):
    """Likes over the most liked post: fails without candidates."""

    type: Literal["test_conformance_normalised"] = "test_conformance_normalised"

    def compute(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.float64]:
        likes = batch.count("like").astype(np.float64)
        return likes / max(float(likes.max()), 1.0)


@register_signal
class IntegerLikes(Signal):
    """Returns int64 values."""

    type: Literal["test_conformance_integer_likes"] = "test_conformance_integer_likes"

    def compute(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.float64]:
        return batch.count("like")


@register_signal
class ShortNotes(Signal):
    """Its notes have one row too few."""

    type: Literal["test_conformance_short_notes"] = "test_conformance_short_notes"

    def compute(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.float64]:
        return np.zeros(len(batch))

    def notes(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.str_]:
        return np.full(max(len(batch) - 1, 0), "estimated")


class Unregistered(Signal):
    """A signal nobody registered."""

    type: Literal["test_conformance_unregistered"] = "test_conformance_unregistered"

    def compute(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.float64]:
        return np.zeros(len(batch))


@register_filter
class TwoStories(Filter):
    """Its per-request reasons and its codes disagree."""

    type: Literal["test_conformance_two_stories"] = "test_conformance_two_stories"

    def reasons(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.str_]:
        return np.where(batch.count("like") > 2, "liked", "")

    def codes_many(self, batch: fr.PostBatch, requests: Requests) -> Codes:
        return Codes((batch.count("like") > 3).astype(np.intp), ("liked",))


@register_filter
class EmptyReason(Filter):
    """Codes with an empty reason in the table."""

    type: Literal["test_conformance_empty_reason"] = "test_conformance_empty_reason"

    def codes_many(self, batch: fr.PostBatch, requests: Requests) -> Codes:
        return Codes((batch.count("like") > 3).astype(np.intp), ("",))


@register_reranker
class ZeroFirst(Reranker):
    """Multiplies the first post by zero."""

    type: Literal["test_conformance_zero_first"] = "test_conformance_zero_first"

    def adjust(
        self,
        batch: fr.PostBatch,
        ctx: fr.Context,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> RerankStep:
        mult = np.ones(len(batch))
        mult[order[:1]] = 0.0
        return RerankStep(mult, None, np.full(len(batch), ""))


@register_reranker
class DemoteRowZero(Reranker):
    """Demotes whichever post is in row 0, ignoring the order."""

    type: Literal["test_conformance_demote_row_zero"] = "test_conformance_demote_row_zero"

    def adjust(
        self,
        batch: fr.PostBatch,
        ctx: fr.Context,
        order: NDArray[np.intp],
        scores: NDArray[np.float64],
    ) -> RerankStep:
        tier = np.zeros(len(batch), dtype=np.int64)
        tier[:1] = 1
        return RerankStep(None, tier, np.where(tier > 0, "row_zero", ""))


@pytest.mark.parametrize(
    ("component", "check", "says"),
    [
        (Unregistered(), "spec_round_trip", "not registered"),
        (IntegerLikes(), "output_shape", "dtype int64"),
        (ShortNotes(), "output_shape", "notes() returned shape"),
        (EmptyReason(), "output_shape", "non-empty strings"),
        (ZeroFirst(), "output_shape", "multiplier 0.0; expected finite and > 0"),
        (CountsViews(), "inputs_not_mutated", "the call changed batch.counts"),
        (Drifting(), "determinism", "second call"),
        (Normalised(), "empty_batch", "ValueError"),
        (RowNumber(), "order_invariance", "permuted"),
        (DemoteRowZero(), "order_invariance", "permuted"),
        (TwoStories(), "codes_reasons", "says 'liked', codes_many() ''"),
        (AboveMedian(), "filter_idempotence", "removes"),
        (ShareOfAllLikes(), "many_requests", "stacked requests differ"),
    ],
    ids=lambda x: x if isinstance(x, str) else type(x).__name__,
)
def test_a_broken_component_is_caught_by_the_named_check(
    component: Any, check: str, says: str
) -> None:
    with pytest.raises(ConformanceError) as info:
        check_component(component)
    err = info.value
    assert err.check == check, str(err)
    assert repr(component) in err.component
    assert says in str(err)
    assert str(err).startswith(f"{err.component} failed check {check!r}: ")
    assert isinstance(err, AssertionError)
    assert isinstance(err, fr.FeedrankError)


def test_a_broken_engine_is_caught_by_rank_many_and_score_decomposition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pipe = fr.preset("balanced")
    real = feedrank.engine.rerank.combine_sums

    def without_factors(sums: Any, factors: Any, digits: Any = None) -> Any:
        return real(sums, factors[:, :0], digits)

    monkeypatch.setattr(feedrank.engine.rerank, "combine_sums", without_factors)
    with pytest.raises(ConformanceError) as info:
        check_component(pipe, checks=["score_decomposition"])
    assert "Σ contributions × Π factors" in str(info.value)
    monkeypatch.setattr(feedrank.engine.run, "CHUNK_ROWS", 7)
    monkeypatch.setattr(feedrank.engine.rerank, "combine_sums", real)
    check_component(pipe, checks=["rank_many"])


def test_checks_can_be_chosen_and_data_given() -> None:
    assert check_component(NoLinks(), checks=["codes_reasons"]) == ("codes_reasons",)
    with pytest.raises(ValueError, match="do not apply to a signal"):
        check_component(RepliesPerView(), checks=["codes_reasons"])
    with pytest.raises(TypeError, match="not a Signal"):
        check_component(fr.Viewer(id="v"))  # type: ignore[arg-type]
    data = sample_data(seed=3, requests=2, posts=6)
    assert [len(b) for b, _ in data.requests] == [9, 1]
    assert check_component(
        fr.stages.signals.Feature(name="mine"),
        data=data.with_features(mine=lambda b: b.count("like") * 0.5),
    )
    with pytest.raises(ConformanceError, match="feature 'mine' is missing"):
        check_component(fr.stages.signals.Feature(name="mine"), data=data)
    one = SampleData((data.requests[1],))
    assert check_component(fr.preset("balanced"), data=one)
    with pytest.raises(fr.InputError):
        SampleData(())
