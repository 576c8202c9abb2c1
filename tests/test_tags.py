"""Tags (CSR sets of strings) behave exactly like a plain list of Python sets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedrank import BatchError, Tags

FAST = settings(max_examples=50, deadline=None)

# Short tags from a small alphabet so rows overlap; a few arbitrary ones for coverage.
# NUL is covered by its own test below.
tag = st.sampled_from(["a", "b", "ab", "news", "sport", "Zed", "é", "😀"]) | st.text(
    st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), min_size=1, max_size=4
)
rows = st.lists(st.lists(tag, max_size=5), max_size=8)
weights = st.dictionaries(tag, st.floats(-100, 100, allow_nan=False), max_size=8)


def check_invariants(tags: Tags) -> None:
    assert list(tags.vocabulary) == sorted(set(tags.vocabulary))
    assert tags.indptr.dtype == np.int64
    assert tags.codes.dtype == np.int64
    assert tags.indptr[0] == 0
    assert (np.diff(tags.indptr) >= 0).all()
    assert tags.indptr[-1] == len(tags.codes)
    for i in range(len(tags)):
        row = tags.codes[tags.indptr[i] : tags.indptr[i + 1]]
        assert (np.diff(row) > 0).all()  # sorted and unique within the row
        assert ((row >= 0) & (row < len(tags.vocabulary))).all()


def as_sets(tags: Tags) -> list[set[str]]:
    return [set(row) for row in tags.to_lists()]


# ---------------------------------------------------------------- construction
def test_from_lists_dedups_within_a_row_and_sorts() -> None:
    tags = Tags.from_lists([["sport", "news", "sport"], [], ("news",), iter(["b", "a", "a"])])
    assert tags.vocabulary == ("a", "b", "news", "sport")
    assert tags.to_lists() == [("news", "sport"), (), ("news",), ("a", "b")]
    assert tags.counts().tolist() == [2, 0, 1, 2]
    assert tags.row_ids.tolist() == [0, 0, 2, 3, 3]
    check_invariants(tags)


def test_empty_table() -> None:
    tags = Tags.empty(3)
    assert len(tags) == 3
    assert tags.to_lists() == [(), (), ()]
    assert tags.contains_any(["a"]).tolist() == [False] * 3
    assert tags.weighted_sum({"a": 1.0}).tolist() == [0.0] * 3
    assert tags.first_of(["a"]).tolist() == [-1] * 3
    assert len(Tags.from_lists([])) == 0
    assert len(Tags.concat([])) == 0


@FAST
@given(rows)
def test_from_lists_is_a_list_of_sets(data: list[list[str]]) -> None:
    tags = Tags.from_lists(data)
    check_invariants(tags)
    assert len(tags) == len(data)
    assert tags.to_lists() == [tuple(sorted(set(row))) for row in data]
    assert set(tags.vocabulary) == {t for row in data for t in row}
    assert tags.counts().tolist() == [len(set(row)) for row in data]


# -------------------------------------------------------------------- reshaping
def test_take_with_repeats_and_reorder() -> None:
    tags = Tags.from_lists([["a"], ["b", "c"], [], ["c"]])
    taken = tags.take(np.array([3, 1, 1, 2, 0]))
    assert taken.to_lists() == [("c",), ("b", "c"), ("b", "c"), (), ("a",)]
    check_invariants(taken)
    assert len(tags.take(np.array([], dtype=np.intp))) == 0


@FAST
@given(st.data(), rows)
def test_take_matches_list_indexing(data: st.DataObject, source: list[list[str]]) -> None:
    tags = Tags.from_lists(source)
    index = data.draw(
        st.lists(st.integers(0, len(source) - 1), max_size=12) if source else st.just([])
    )
    taken = tags.take(np.array(index, dtype=np.intp))
    check_invariants(taken)
    model = [set(row) for row in source]
    assert as_sets(taken) == [model[i] for i in index]


def test_concat_merges_vocabularies() -> None:
    left = Tags.from_lists([["b", "d"], []])
    right = Tags.from_lists([["a", "d"], ["c"]])
    joined = Tags.concat([left, right])
    assert joined.vocabulary == ("a", "b", "c", "d")
    assert joined.to_lists() == [("b", "d"), (), ("a", "d"), ("c",)]
    check_invariants(joined)


@FAST
@given(st.lists(rows, max_size=4))
def test_concat_matches_list_concatenation(parts: list[list[list[str]]]) -> None:
    joined = Tags.concat([Tags.from_lists(p) for p in parts])
    check_invariants(joined)
    model = [set(row) for part in parts for row in part]
    assert as_sets(joined) == model
    assert set(joined.vocabulary) == {t for row in model for t in row}


# ---------------------------------------------------------------------- queries
def test_contains_any() -> None:
    tags = Tags.from_lists([["news", "sport"], [], ["sport"], ["art"]])
    assert tags.contains_any(["sport", "zzz"]).tolist() == [True, False, True, False]
    assert tags.contains_any(["art", "news"]).tolist() == [True, False, False, True]
    assert tags.contains_any([]).tolist() == [False] * 4
    assert tags.contains_any(["aaa", "zzz"]).tolist() == [False] * 4


@FAST
@given(rows, st.lists(tag, max_size=6))
def test_contains_any_matches_set_intersection(data: list[list[str]], names: list[str]) -> None:
    result = Tags.from_lists(data).contains_any(names)
    assert result.dtype == np.bool_
    assert result.tolist() == [bool(set(row) & set(names)) for row in data]


def test_first_of_follows_the_order_of_names() -> None:
    tags = Tags.from_lists([["a", "b"], ["b"], ["c"], []])
    assert tags.first_of(["b", "a"]).tolist() == [0, 0, -1, -1]
    assert tags.first_of(["a", "b"]).tolist() == [0, 1, -1, -1]
    assert tags.first_of(["c", "x", "b"]).tolist() == [2, 2, 0, -1]
    assert tags.first_of([]).tolist() == [-1] * 4


@FAST
@given(rows, st.lists(tag, max_size=6))
def test_first_of_matches_a_linear_scan(data: list[list[str]], names: list[str]) -> None:
    """The index of the first name (in ``names`` order) that the row holds, else -1;
    ``names`` may repeat a name, as any user-supplied priority list can."""
    result = Tags.from_lists(data).first_of(names)
    assert result.dtype == np.int64
    expected = [next((k for k, name in enumerate(names) if name in row), -1) for row in data]
    assert result.tolist() == expected


def test_weighted_sum() -> None:
    tags = Tags.from_lists([["a", "b"], [], ["b", "z"]])
    result = tags.weighted_sum({"a": 2.0, "b": -0.5, "unknown": 100.0})
    assert result.dtype == np.float64
    assert result.tolist() == [1.5, 0.0, -0.5]
    assert tags.weighted_sum({}).tolist() == [0.0, 0.0, 0.0]


@FAST
@given(rows, weights)
def test_weighted_sum_matches_python(data: list[list[str]], w: dict[str, float]) -> None:
    result = Tags.from_lists(data).weighted_sum(w)
    expected = [sum(w.get(t, 0.0) for t in set(row)) for row in data]
    assert result.shape == (len(data),)
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-9)


@FAST
@given(st.lists(rows, min_size=1, max_size=3), weights)
def test_queries_after_concat_and_take(parts: list[list[list[str]]], w: dict[str, float]) -> None:
    """Remapped codes after concat/take still point at the right strings."""
    joined = Tags.concat([Tags.from_lists(p) for p in parts])
    model = [set(row) for part in parts for row in part]
    index = np.arange(len(model))[::-1]
    taken = joined.take(index)
    reversed_model = model[::-1]
    expected = [sum(w.get(t, 0.0) for t in row) for row in reversed_model]
    np.testing.assert_allclose(taken.weighted_sum(w), expected, rtol=1e-12, atol=1e-9)
    names = sorted(w)
    assert taken.contains_any(names).tolist() == [bool(row & set(names)) for row in reversed_model]


def test_tags_with_nul_or_empty_strings_are_refused() -> None:
    """A NUL would be stripped by columnar lookups and merge 's' with 's\\x00'."""
    with pytest.raises(BatchError, match="NUL"):
        Tags.from_lists([["s"], ["s\x00"]])
    with pytest.raises(BatchError, match="empty"):
        Tags.from_lists([[""]])


@pytest.mark.parametrize("bad_row", [5, -6])
def test_take_out_of_range_raises(bad_row: int) -> None:
    tags = Tags.from_lists([["a"], [], ["b"], ["c"], []])
    with pytest.raises(IndexError):
        tags.take(np.array([0, bad_row]))
