"""The pydantic boundary models: strict, frozen, closed, timezone-aware."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import feedrank as fr

T0 = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
NAIVE = datetime(2026, 1, 1, 12)

POST = {"id": "p1", "author_id": "alice", "created_at": T0}
AUTHOR = {"id": "alice"}
INTERACTION = {"viewer_id": "v", "post_id": "p1", "kind": "like", "at": T0}
VIEWER = {"id": "v"}


def invalid_locs(model: type[BaseModel], data: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Validate ``data`` expecting failure, by ``model_validate`` and by the
    constructor alike; return the location of the (only) problem."""
    with pytest.raises(fr.InputError) as info:
        model.model_validate(data)
    with pytest.raises(fr.InputError) as built:
        model(**data)
    err = info.value
    assert (str(built.value), built.value.field) == (str(err), err.field)
    assert "more problem" not in err.message, err.message
    assert err.field is not None
    return [tuple(int(p) if p.isdigit() else p for p in err.field.split("."))]


# ---------------------------------------------------------------- valid input
def test_post_with_every_field() -> None:
    tz = timezone(timedelta(hours=2))
    post = fr.Post(
        id="p1",
        author_id="alice",
        created_at=datetime(2026, 1, 1, 14, tzinfo=tz),
        counts={"like": 3, fr.InteractionKind.REPLY: 0},
        features={"p_reply": 0.25, "n": 2},
        topics=("news", "sport"),
        labels=("nsfw",),
        lang="en",
        reply_to="p0",
        repost_of="p-1",
        quote_of="p-2",
        url="https://example.org/p1",
        text="hello",
        embedding=(0.5, -1.0),
    )
    assert post.counts == {fr.InteractionKind.LIKE: 3, fr.InteractionKind.REPLY: 0}
    assert all(isinstance(k, fr.InteractionKind) for k in post.counts)
    assert post.features == {"p_reply": 0.25, "n": 2.0}
    assert post.created_at == T0  # same instant, other offset
    assert post.created_at.utcoffset() == timedelta(hours=2)
    assert post.embedding == (0.5, -1.0)


def test_defaults_are_empty() -> None:
    post = fr.Post(**POST)
    assert (post.counts, post.features, post.topics, post.embedding) == ({}, {}, (), None)
    author = fr.Author(**AUTHOR)
    assert (author.followers, author.created_at, author.attributes) == (0, None, {})
    viewer = fr.Viewer(**VIEWER)
    assert viewer.follows == frozenset()
    assert viewer.seen == frozenset()
    assert fr.FeedRequest(viewer=viewer, now=T0).limit == 50


def test_json_parses_iso_timestamps_and_kinds() -> None:
    post = fr.Post.model_validate_json(
        '{"id": "p", "author_id": "a", "created_at": "2026-01-01T12:00:00Z",'
        ' "counts": {"repost": 2}}'
    )
    assert post.created_at == T0
    assert post.counts == {fr.InteractionKind.REPOST: 2}
    inter = fr.Interaction.model_validate_json(
        '{"viewer_id": "v", "post_id": "p", "kind": "hide", "at": "2026-01-01T13:00:00+01:00"}'
    )
    assert inter.kind is fr.InteractionKind.HIDE
    assert inter.at == T0


def test_interaction_kind_order_is_the_documented_column_order() -> None:
    assert tuple(fr.InteractionKind) == fr.batch.KINDS
    assert fr.batch.KINDS[0] is fr.InteractionKind.LIKE
    assert len(fr.batch.KINDS) == 15


# ---------------------------------------------------------------- timestamps
@pytest.mark.parametrize(
    ("model", "data", "loc"),
    [
        (fr.Post, {**POST, "created_at": NAIVE}, ("created_at",)),
        (fr.Author, {**AUTHOR, "created_at": NAIVE}, ("created_at",)),
        (fr.Interaction, {**INTERACTION, "at": NAIVE}, ("at",)),
        (fr.FeedRequest, {"viewer": VIEWER, "now": NAIVE}, ("now",)),
    ],
)
def test_naive_datetime_rejected(model: type[BaseModel], data: dict[str, Any], loc: tuple) -> None:
    assert invalid_locs(model, data) == [loc]


def test_naive_iso_string_rejected() -> None:
    with pytest.raises(fr.InputError, match="timezone"):
        fr.Post.model_validate_json(
            '{"id": "p", "author_id": "a", "created_at": "2026-01-01T00:00:00"}'
        )


# ------------------------------------------------------------------- numbers
@pytest.mark.parametrize("bad", [-1, "3", True, False, 1.0, 2.5, None])
def test_bad_count_rejected(bad: Any) -> None:
    """Counts are strict non-negative ints: no strings, bools or floats."""
    assert invalid_locs(fr.Post, {**POST, "counts": {"like": bad}}) == [("counts", "like")]


@pytest.mark.parametrize("bad", [-1, "3", True, 2.0])
def test_bad_follower_count_rejected(bad: Any) -> None:
    assert invalid_locs(fr.Author, {**AUTHOR, "followers": bad}) == [("followers",)]


def test_string_count_rejected_in_json_too() -> None:
    with pytest.raises(fr.InputError) as info:
        fr.Post.model_validate_json(
            '{"id": "p", "author_id": "a", "created_at": "2026-01-01T00:00:00Z",'
            ' "counts": {"like": "3"}}'
        )
    assert (info.value.field, info.value.post_id) == ("counts.like", "p")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_feature_rejected(bad: float) -> None:
    with pytest.raises(fr.InputError, match="finite") as info:
        fr.Post(**POST, features={"ok": 1.0, "p_like": bad})
    assert info.value.field == "features"


@pytest.mark.parametrize("bad", ["0.5", True])
def test_non_number_feature_rejected(bad: Any) -> None:
    assert invalid_locs(fr.Post, {**POST, "features": {"p_like": bad}}) == [("features", "p_like")]


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_embedding_and_value_rejected(bad: float) -> None:
    assert invalid_locs(fr.Post, {**POST, "embedding": (1.0, bad)}) == [("embedding",)]
    assert invalid_locs(fr.Interaction, {**INTERACTION, "value": bad}) == [("value",)]


def test_empty_embedding_rejected() -> None:
    with pytest.raises(fr.InputError, match="embedding is empty"):
        fr.Post(**POST, embedding=())


def test_feed_request_limit_bounds() -> None:
    viewer = fr.Viewer(**VIEWER)
    assert fr.FeedRequest(viewer=viewer, now=T0, limit=1).limit == 1
    for bad in (0, 10_001, "5", True):
        assert invalid_locs(fr.FeedRequest, {"viewer": viewer, "now": T0, "limit": bad}) == [
            ("limit",)
        ]


# ----------------------------------------------------------------- closed sets
@pytest.mark.parametrize(
    ("model", "data"),
    [
        (fr.Post, POST),
        (fr.Author, AUTHOR),
        (fr.Interaction, INTERACTION),
        (fr.Viewer, VIEWER),
        (fr.FeedRequest, {"viewer": VIEWER, "now": T0}),
    ],
)
def test_unknown_key_rejected(model: type[BaseModel], data: dict[str, Any]) -> None:
    model.model_validate(data)  # the base record itself is valid
    assert invalid_locs(model, {**data, "likes": 3}) == [("likes",)]


def test_unknown_key_in_nested_viewer_rejected() -> None:
    locs = invalid_locs(fr.FeedRequest, {"viewer": {**VIEWER, "friends": []}, "now": T0})
    assert locs == [("viewer", "friends")]


def test_unknown_interaction_kind_rejected() -> None:
    assert invalid_locs(fr.Interaction, {**INTERACTION, "kind": "poke"}) == [("kind",)]
    locs = invalid_locs(fr.Post, {**POST, "counts": {"poke": 1}})
    assert locs
    assert locs[0][:2] == ("counts", "poke")


@pytest.mark.parametrize("field", ["id", "author_id"])
def test_empty_id_rejected(field: str) -> None:
    assert invalid_locs(fr.Post, {**POST, field: ""}) == [(field,)]


def test_blank_muted_word_rejected() -> None:
    assert invalid_locs(fr.Viewer, {**VIEWER, "muted_words": ["ok", "  "]}) == [("muted_words",)]


# -------------------------------------------------------------------- frozen
@pytest.mark.parametrize(
    ("record", "field", "value"),
    [
        (fr.Post(**POST), "id", "p2"),
        (fr.Author(**AUTHOR), "followers", 7),
        (fr.Interaction(**INTERACTION), "kind", fr.InteractionKind.HIDE),
        (fr.Viewer(**VIEWER), "follows", frozenset({"x"})),
    ],
)
def test_models_are_frozen(record: BaseModel, field: str, value: Any) -> None:
    before = getattr(record, field)
    with pytest.raises(ValidationError):
        setattr(record, field, value)
    assert getattr(record, field) == before


# ---------------------------------------------------------------- serialising
ids = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)


@settings(max_examples=50, deadline=None)
@given(
    follows=st.frozensets(ids, max_size=8),
    blocked=st.frozensets(ids, max_size=8),
    seen=st.frozensets(ids, max_size=8),
)
def test_viewer_sets_serialise_sorted_and_round_trip(
    follows: frozenset[str], blocked: frozenset[str], seen: frozenset[str]
) -> None:
    viewer = fr.Viewer(id="v", follows=follows, blocked=blocked, muted=follows, seen=seen)
    data = viewer.model_dump(mode="json")
    assert data["follows"] == sorted(follows)
    assert data["blocked"] == sorted(blocked)
    assert data["muted"] == sorted(follows)
    assert data["seen"] == sorted(seen)
    assert fr.Viewer.model_validate_json(viewer.model_dump_json()) == viewer


def test_viewer_accepts_any_iterable_for_sets() -> None:
    viewer = fr.Viewer(id="v", follows=["b", "a", "b"])
    assert viewer.follows == frozenset({"a", "b"})
    assert viewer.model_dump(mode="json")["follows"] == ["a", "b"]


# -------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("build", "field", "record"),
    [
        pytest.param(lambda: fr.Post(**POST, counts={"like": -1}), "counts.like", "p1", id="init"),
        pytest.param(
            lambda: fr.Post.model_validate({**POST, "created_at": NAIVE}),
            "created_at",
            "p1",
            id="model_validate",
        ),
        pytest.param(
            lambda: fr.Post.model_validate_json(
                '{"id": "p9", "author_id": "a", "created_at": "2026-01-01T00:00:00Z", "x": 1}'
            ),
            "x",
            "p9",
            id="model_validate_json",
        ),
        pytest.param(
            lambda: fr.Author.model_validate_strings({"id": "ann", "followers": "many"}),
            "followers",
            "ann",
            id="model_validate_strings",
        ),
        pytest.param(
            lambda: fr.Interaction(**{**INTERACTION, "kind": "poke"}),
            "kind",
            "p1",
            id="interaction",
        ),
        pytest.param(
            lambda: fr.Viewer.model_validate_json('{"id": "v", "muted_words": [" "]}'),
            "muted_words",
            "v",
            id="viewer",
        ),
        pytest.param(
            lambda: fr.FeedRequest(viewer={"id": "v", "seen": 5}, now=T0),
            "viewer.seen",
            None,
            id="nested",
        ),
    ],
)
def test_bad_records_raise_an_input_error_naming_field_and_record(
    build: Any, field: str, record: str | None
) -> None:
    """A platform catching FeedrankError at its boundary catches bad records too."""
    with pytest.raises(fr.FeedrankError) as info:
        build()
    err = info.value
    assert isinstance(err, fr.InputError)
    assert not isinstance(err, ValidationError)
    assert (err.field, err.post_id) == (field, record)
    assert f"field {field!r}" in str(err)
    assert "Value error" not in str(err)
    assert "errors.pydantic.dev" not in str(err)


def test_the_error_says_how_many_other_problems_there_are() -> None:
    with pytest.raises(fr.InputError) as info:
        fr.Post(id="", author_id="")  # type: ignore[call-arg]
    assert info.value.field == "id"
    assert "(and 2 more problems)" in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        '{"id": "p", "topics": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "[1, 2]",
    ],
    ids=["not-json", "deeply-nested", "array"],
)
def test_json_that_is_not_a_post_is_an_input_error(text: str) -> None:
    with pytest.raises(fr.InputError) as info:
        fr.Post.model_validate_json(text)
    assert len(str(info.value)) < 300


def test_records_still_build_their_schema_on_first_use_only() -> None:
    """The models keep ``defer_build``: importing feedrank builds no schema."""
    code = (
        "import feedrank, feedrank.io; from feedrank import models as m; "
        "print([getattr(m, n).__pydantic_complete__ "
        "for n in ('Post', 'Author', 'Interaction', 'Viewer', 'FeedRequest')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[False,", "False,", "False,", "False,", "False]"]


@pytest.mark.parametrize(
    "number", [1_767_268_800, 1_767_268_800_000, 1_767_268_800.5, 0, "1767268800"]
)
@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (fr.Post, POST, "created_at"),
        (fr.Author, AUTHOR, "created_at"),
        (fr.Interaction, INTERACTION, "at"),
        (fr.FeedRequest, {"viewer": VIEWER, "now": T0}, "now"),
    ],
)
def test_a_number_is_not_read_as_a_time(
    number: object, model: type[BaseModel], data: dict[str, Any], field: str
) -> None:
    """1767268800 and 1767268800000 used to be the same instant: the unit was guessed
    from the size of the number."""
    assert invalid_locs(model, {**data, field: number}) == [(field,)]
    text = json.dumps({**data, field: number}, default=str)
    with pytest.raises(fr.InputError, match="not a time") as info:
        model.model_validate_json(text)
    assert info.value.field == field


def test_iso_text_and_datetimes_are_still_times() -> None:
    post = fr.Post.model_validate_json(
        '{"id": "p", "author_id": "a", "created_at": "2026-01-01T13:00:00+01:00"}'
    )
    assert post.created_at == T0.replace(hour=12)
    assert fr.Interaction(**{**INTERACTION, "at": "2026-01-01T12:00:00Z"}).at == T0
