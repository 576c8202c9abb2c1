"""Errors name where the problem is, and stay short whatever the input holds."""

from __future__ import annotations

import numpy as np
import pytest

import feedrank as fr
from feedrank.errors import BatchError, ConformanceError, InputError

HUGE = "x" * 1_000_000


def test_a_megabyte_id_is_shown_by_its_start_and_length() -> None:
    with pytest.raises(fr.BatchError) as info:
        fr.PostBatch.from_columns(
            ids=np.array([HUGE, "b", HUGE]), author_ids=["a", "b", "c"], created_at=[1, 2, 3]
        )
    text = str(info.value)
    assert len(text) < 300
    assert f"post {'x' * 64!r}… (1000000 characters)" in text
    assert "duplicate post id" in text
    assert info.value.post_id == HUGE  # the attribute keeps the whole id


def test_a_long_value_quoted_in_the_message_is_shortened() -> None:
    with pytest.raises(fr.BatchError) as info:
        fr.PostBatch.from_columns(
            ids=["a"], author_ids=["x"], created_at=[1], counts={HUGE: np.array([1])}
        )
    text = str(info.value)
    assert len(text) < 500
    assert f"unknown interaction kind {'x' * 64!r}… (1000000 characters)" in text
    assert f"field {'counts.' + 'x' * 57!r}… (1000007 characters)" in text


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("a\nb" * 50, repr(("a\nb" * 50)[:64]) + "… (150 characters)"),
        ("it's " * 30, repr(("it's " * 30)[:64]) + "… (150 characters)"),
    ],
    ids=["escapes", "apostrophes"],
)
def test_a_shortened_string_shows_its_start_and_its_true_length(value: str, shown: str) -> None:
    text = str(InputError(f"unknown word {value!r} in the list"))
    assert text == f"unknown word {shown} in the list"


def test_long_text_without_quotes_is_shortened_too() -> None:
    err = InputError("got " + "y" * 5000, expected="z " * 5000)
    assert str(err) == (
        f"got {'y' * 64}… (5000 characters) (expected {('z ' * 5000)[:1000]}… (10000 characters))"
    )


def test_short_values_are_shown_whole() -> None:
    err = BatchError("negative count", field="counts.like", post_id="p1", expected="n >= 0")
    assert str(err) == "post 'p1', field 'counts.like': negative count (expected n >= 0)"
    exact = "q" * 80
    assert repr(exact) in str(InputError("bad", post_id=exact))


def test_shortening_holds_for_every_kind_of_error() -> None:
    err = ConformanceError(f"row {HUGE!r} changed", component=f"signal {HUGE!r}", check=HUGE)
    assert len(str(err)) < 400
    registry = fr.RegistryError(f"unknown type {HUGE!r}")
    assert len(str(registry)) < 200


def test_locate_adds_the_file_line_and_record() -> None:
    err = InputError("got -1", field="like", expected="a count >= 0")
    assert err.locate(source="posts.jsonl", line=4, post_id=HUGE, within="counts") is err
    text = str(err)
    assert text.startswith(f"posts.jsonl:4, post {'x' * 64!r}… (1000000 characters)")
    assert text.endswith("field 'counts.like': got -1 (expected a count >= 0)")
    assert (err.source, err.line, err.post_id, err.field) == ("posts.jsonl", 4, HUGE, "counts.like")


@pytest.mark.parametrize("kind", ["signal", "filter", "reranker"])
def test_building_any_registered_component_with_a_bad_key_is_a_spec_error(kind: str) -> None:
    from feedrank.stages.filters import FILTERS
    from feedrank.stages.rerank import RERANKERS
    from feedrank.stages.signals import SIGNALS

    registry = {"signal": SIGNALS, "filter": FILTERS, "reranker": RERANKERS}[kind]
    for tag, cls in registry.items():
        with pytest.raises(fr.SpecError) as info:
            cls(no_such_parameter=1)
        assert "no_such_parameter" in str(info.value), tag
        with pytest.raises(fr.SpecError) as info:
            cls.model_validate({"type": tag, "no_such_parameter": 1})
        assert "no_such_parameter" in str(info.value), tag
