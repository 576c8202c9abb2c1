"""The signal registry: built-ins, unknown types, third-party signals, duplicates."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import ClassVar, Literal

import numpy as np
import pytest
from numpy.typing import NDArray

import feedrank as fr
from feedrank.stages.scoring import Scorer, Term
from feedrank.stages.signals import SIGNALS, Signal, Timestamp, register_signal
from feedrank.testing import check_component

UTC = timezone.utc
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


@register_signal
class TextLengthBonus(Signal):
    """Characters of text times ``per_char`` (a third-party signal for these tests)."""

    type: Literal["test_registry_text_length"] = "test_registry_text_length"
    per_char: float = 1.0
    reads: ClassVar[tuple[str, ...]] = ("text",)

    def compute(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.float64]:
        return np.strings.str_len(batch.text).astype(np.float64) * self.per_char


def test_the_registry_lists_types_in_order_under_their_own_tag() -> None:
    assert list(SIGNALS) == sorted(SIGNALS)
    for tag, cls in SIGNALS.items():
        assert issubclass(cls, Signal)
        assert cls.model_fields["type"].default == tag


def test_unknown_type_lookup_raises_registry_error_listing_known_types() -> None:
    with pytest.raises(fr.RegistryError) as info:
        SIGNALS["nope"]
    text = str(info.value)
    assert "'nope'" in text
    for tag in SIGNALS:
        assert tag in text
    assert isinstance(info.value, fr.FeedrankError)


def test_unknown_type_in_a_spec_is_rejected_listing_known_types() -> None:
    data = {
        "name": "x",
        "scorer": {"terms": [{"name": "t", "weight": 1.0, "signal": {"type": "nope"}}]},
    }
    with pytest.raises(fr.SpecError) as info:
        fr.load_spec(data)
    assert info.value.field == "scorer.terms[0].signal"
    assert "'nope'" in str(info.value)
    for tag in SIGNALS:
        assert tag in str(info.value)
    with pytest.raises(fr.SpecError, match="known types"):
        Term.model_validate({"name": "t", "weight": 1.0, "signal": {"type": "nope"}})


def test_a_signal_table_without_type_is_rejected() -> None:
    with pytest.raises(fr.SpecError):
        Term.model_validate({"name": "t", "weight": 1.0, "signal": {"scale": 2.0}})
    with pytest.raises(fr.SpecError):
        Term.model_validate({"name": "t", "weight": 1.0, "signal": "timestamp"})


def test_third_party_signal_ranks_inside_a_pipeline_built_from_a_spec() -> None:
    spec = {
        "name": "longest-first",
        "scorer": {
            "terms": [
                {
                    "name": "length",
                    "weight": 1.0,
                    "signal": {"type": "test_registry_text_length", "per_char": 0.5},
                }
            ]
        },
    }
    pipe = fr.load_spec(spec)
    assert isinstance(pipe.scorer.terms[0].signal, TextLengthBonus)
    posts = [
        fr.Post(id="short", author_id="a", created_at=NOW, text="hi"),
        fr.Post(id="long", author_id="a", created_at=NOW, text="hello there"),
        fr.Post(id="none", author_id="a", created_at=NOW),
    ]
    batch = fr.PostBatch.from_posts(posts)
    ranking = pipe.rank(batch, fr.Context.build(batch, now=NOW))
    assert ranking.post_ids == ["long", "short", "none"]
    assert ranking.page_scores.tolist() == [5.5, 1.0, 0.0]
    explanation = ranking.explain("long")
    assert explanation.terms[0].signal == "test_registry_text_length"
    assert explanation.terms[0].reads == ("text",)
    # and it passes the conformance suite, alone and in its pipeline
    assert check_component(TextLengthBonus(per_char=0.5))
    assert check_component(pipe)


def test_third_party_signal_works_in_a_directly_built_scorer() -> None:
    posts = [fr.Post(id=f"p{i}", author_id="a", created_at=NOW, text="x" * i) for i in range(3)]
    batch = fr.PostBatch.from_posts(posts)
    scorer = Scorer(terms=[Term(name="len", signal=TextLengthBonus(per_char=2.0), weight=1.5)])
    table = scorer.score(batch, fr.Context.build(batch, now=NOW - timedelta(hours=1)))
    assert table.scores.tolist() == [0.0, 3.0, 6.0]


def test_registering_another_class_under_an_existing_type_raises() -> None:
    class Impostor(Signal):
        type: Literal["timestamp"] = "timestamp"

    with pytest.raises(fr.RegistryError) as info:
        register_signal(Impostor)
    assert "timestamp" in str(info.value)
    assert SIGNALS["timestamp"] is Timestamp

    class SecondTextLength(Signal):
        type: Literal["test_registry_text_length"] = "test_registry_text_length"

    with pytest.raises(fr.RegistryError):
        register_signal(SecondTextLength)
    assert SIGNALS["test_registry_text_length"] is TextLengthBonus


def test_registering_something_that_is_not_a_signal_raises() -> None:
    class NotASignal(fr.Filter):
        type: Literal["test_registry_not_a_signal"] = "test_registry_not_a_signal"

    with pytest.raises(fr.RegistryError):
        register_signal(NotASignal)  # type: ignore[type-var]
    assert "test_registry_not_a_signal" not in SIGNALS


def test_registering_a_signal_without_a_type_default_raises() -> None:
    class Untyped(Signal):
        pass

    with pytest.raises(fr.RegistryError):
        register_signal(Untyped)
