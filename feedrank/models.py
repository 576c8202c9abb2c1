"""Validated records at the boundary: posts, authors, interactions, viewers.

Every model is frozen, forbids unknown keys and is strict about numbers: a string is
never turned into a number, and timestamps must carry a timezone. A timestamp is a
datetime or ISO 8601 text; a number (or numeric text) is refused rather than read
as seconds or milliseconds by its size. Bad values raise
:class:`~feedrank.errors.InputError` (a FeedrankError), naming the field and the
record, whether the model is built by its constructor, ``model_validate`` or
``model_validate_json``.

>>> from datetime import datetime, timezone
>>> post = Post(id="p1", author_id="alice",
...             created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
...             counts={"like": 3})
>>> post.counts[InteractionKind.LIKE]
3
>>> Post.model_validate_json(
...     '{"id": "p2", "author_id": "bob", "created_at": "2026-01-01T12:00:00Z"}'
... ).created_at.isoformat()
'2026-01-01T12:00:00+00:00'
>>> try:
...     Post(id="p3", author_id="bob", created_at=post.created_at, counts={"like": -1})
... except InputError as err:
...     print(err)
post 'p3', field 'counts.like': Input should be greater than or equal to 0 (expected a value >= 0)
"""

from __future__ import annotations

import math
import re
import types
from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import from_json

from feedrank.errors import InputError, SpecError

__all__ = [
    "Author",
    "FeedRequest",
    "Interaction",
    "InteractionKind",
    "Post",
    "SpecModel",
    "Viewer",
    "input_error",
    "spec_error",
]

Id = Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=r"^[^\x00]*$")]
"""A non-empty identifier without NUL characters (NUL cannot survive columnar storage)."""
Tag = Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=r"^[^\x00]*$")]
_NUMERIC = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")


def _not_a_number(value: Any) -> Any:
    """Refuse a number where a timestamp belongs: pydantic would read it as seconds
    or milliseconds since the epoch, guessing which from its size."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if number or (isinstance(value, (str, bytes)) and _NUMERIC.fullmatch(_text(value))):
        raise ValueError(
            f"{value!r} is a number, not a time: seconds or milliseconds would be a guess; "
            "expected an ISO 8601 time with a timezone such as 2026-01-01T00:00:00Z"
        )
    return value


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("latin-1")


Timestamp = Annotated[AwareDatetime, BeforeValidator(_not_a_number)]
"""An aware datetime, from a datetime or ISO 8601 text (never from a number)."""
IdSet = Annotated[frozenset[str], PlainSerializer(sorted, return_type=list[str])]
"""A set of ids; serialised sorted so output is deterministic."""
Count = Annotated[int, Strict(), Field(ge=0, le=2**63 - 1)]
Number = Annotated[float, Strict()]


class InteractionKind(str, Enum):
    """What a viewer did to a post (or its author).

    The order of the members is the column order of ``PostBatch.counts``.
    """

    LIKE = "like"
    REPOST = "repost"
    REPLY = "reply"
    QUOTE = "quote"
    CLICK = "click"
    VIEW = "view"
    SHARE = "share"
    BOOKMARK = "bookmark"
    UPVOTE = "upvote"
    DOWNVOTE = "downvote"
    REPORT = "report"
    HIDE = "hide"
    MUTE = "mute"
    BLOCK = "block"
    FOLLOW = "follow"


NEGATIVE_KINDS: tuple[InteractionKind, ...] = (
    InteractionKind.DOWNVOTE,
    InteractionKind.REPORT,
    InteractionKind.HIDE,
    InteractionKind.MUTE,
    InteractionKind.BLOCK,
)
"""Kinds that express that a viewer wants less of a post or its author."""


_EXPECTED = {
    "timezone_aware": "a timezone-aware datetime such as 2026-01-01T00:00:00Z",
    "extra_forbidden": "only the documented fields",
    "missing": "this field to be present",
    "int_type": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "greater_than_equal": "a value >= {ge}",
    "less_than_equal": "a value <= {le}",
}
"""What a field was expected to hold, by pydantic error type (``{...}``: the
error's context)."""


def _record_id(data: object) -> str | None:
    """The id of the record ``data`` describes, when it can be read."""
    if isinstance(data, (str, bytes, bytearray)):
        try:
            data = from_json(data)
        except ValueError:  # not JSON, or nested too deep
            return None
    if not isinstance(data, Mapping):
        return None
    found = data.get("id")
    if found is None:
        found = data.get("post_id")
    return str(found) if isinstance(found, (str, int)) and not isinstance(found, bool) else None


def input_error(err: ValidationError, data: object) -> InputError:
    """The first problem of ``err`` as an InputError naming the field and the record
    (the id in ``data``, the input that failed: a mapping or JSON text), with the
    number of other problems. Every model of this module raises its errors so."""
    problems = err.errors(include_url=False, include_input=False)
    first = problems[0]
    more = len(problems) - 1
    message = first["msg"].removeprefix("Value error, ")
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    expected = _EXPECTED.get(first["type"])
    return InputError(
        message,
        post_id=_record_id(data),
        field=".".join(str(part) for part in first["loc"]) or None,
        expected=None if expected is None else expected.format(**first.get("ctx", {})),
    )


class _InputErrors:
    """Within it, a pydantic ValidationError about ``data`` becomes an InputError."""

    def __init__(self, data: object) -> None:
        self.data = data

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, err: BaseException | None, tb: object) -> None:
        if isinstance(err, ValidationError):
            raise input_error(err, self.data) from None


_R = TypeVar("_R", bound="_Record")


class _Record(BaseModel):
    """A boundary model: its constructor, ``model_validate``, ``model_validate_json``
    and ``model_validate_strings`` raise InputError for bad values."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    def __init__(self, /, **data: Any) -> None:
        with _InputErrors(data):
            super().__init__(**data)

    # Tells pydantic this constructor validates like BaseModel's, so validating a
    # nested record does not go through it (pydantic's RootModel does the same).
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls: type[_R], obj: Any, **kwargs: Any) -> _R:
        """Validate ``obj`` (a mapping or an instance); InputError if it is invalid."""
        with _InputErrors(obj):
            return super().model_validate(obj, **kwargs)

    @classmethod
    def model_validate_json(cls: type[_R], json_data: str | bytes | bytearray, **kwargs: Any) -> _R:
        """Validate a JSON document; InputError if it is invalid (not JSON included)."""
        with _InputErrors(json_data):
            return super().model_validate_json(json_data, **kwargs)

    @classmethod
    def model_validate_strings(cls: type[_R], obj: Any, **kwargs: Any) -> _R:
        """Validate a mapping of strings; InputError if it is invalid."""
        with _InputErrors(obj):
            return super().model_validate_strings(obj, **kwargs)


class Post(_Record):
    """A candidate post.

    ``counts`` holds aggregate interaction counts per kind (absent = 0).
    ``features`` holds platform model predictions or other numeric inputs keyed
    by name (e.g. ``p_reply``); each must be finite. ``topics`` and ``labels``
    are sets of strings; ``embedding`` is an optional dense vector.
    """

    id: Id
    author_id: Id
    created_at: Timestamp
    counts: dict[InteractionKind, Count] = Field(default_factory=dict)
    features: dict[str, Number] = Field(default_factory=dict)
    topics: tuple[Tag, ...] = ()
    labels: tuple[Tag, ...] = ()
    lang: Tag | None = None
    reply_to: Id | None = None
    repost_of: Id | None = None
    quote_of: Id | None = None
    url: str | None = None
    text: str | None = None
    embedding: tuple[Number, ...] | None = None

    @field_validator("features")
    @classmethod
    def _finite_features(cls, value: dict[str, Number]) -> dict[str, Number]:
        for name, x in value.items():
            if not math.isfinite(x):
                raise ValueError(f"feature {name!r} is {x}; expected a finite number")
        return value

    @field_validator("embedding")
    @classmethod
    def _finite_embedding(cls, value: tuple[Number, ...] | None) -> tuple[Number, ...] | None:
        if value is not None:
            if not value:
                raise ValueError("embedding is empty; expected at least one number or null")
            if not all(math.isfinite(x) for x in value):
                raise ValueError("embedding holds NaN or inf; expected finite numbers")
        return value


class Author(_Record):
    """A post author. ``attributes`` are free-form labels used for audit groups."""

    id: Id
    followers: Count = 0
    created_at: Timestamp | None = None
    attributes: dict[str, str] = Field(default_factory=dict)


class Interaction(_Record):
    """One logged action of a viewer on a post (``value``: e.g. dwell in ms).

    ``author_id`` names the post's author, so that a history of actions on posts
    that are no longer candidates still tells whose posts the viewer valued or
    hid; for a candidate post the batch's author is used, and a different
    ``author_id`` is an error.
    """

    viewer_id: Id
    post_id: Id
    kind: InteractionKind
    at: Timestamp
    value: Number | None = None
    author_id: Id | None = None

    @field_validator("value")
    @classmethod
    def _finite_value(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError(f"value is {value}; expected a finite number or null")
        return value


class Viewer(_Record):
    """The person a feed is ranked for.

    ``follows``, ``blocked`` and ``muted`` are author ids; ``seen`` post ids;
    ``interests`` topic weights; ``embedding`` an optional taste vector.
    """

    id: Id
    follows: IdSet = frozenset()
    blocked: IdSet = frozenset()
    muted: IdSet = frozenset()
    muted_words: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    seen: IdSet = frozenset()
    interests: dict[str, Number] = Field(default_factory=dict)
    embedding: tuple[Number, ...] | None = None

    @field_validator("muted_words")
    @classmethod
    def _words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for word in value:
            if not word.strip():
                raise ValueError("muted_words holds an empty word; expected non-blank words")
        return value


class FeedRequest(_Record):
    """A request for one page of a feed."""

    viewer: Viewer
    now: Timestamp
    limit: Annotated[int, Strict(), Field(ge=1, le=10_000)] = 50
    cursor: str | None = None


def _text_for_number(annotation: Any, value: Any) -> bool:
    """Whether ``value`` is a str or bool where ``annotation`` wants a number."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return _text_for_number(args[0], value)
    if annotation in (int, float):
        return isinstance(value, (str, bool))
    if origin in (Union, types.UnionType):
        numeric = any(a in (int, float) for a in args)
        textual = any(a in (str, bool) or get_origin(a) is not None for a in args)
        return numeric and not textual and isinstance(value, (str, bool))
    if origin is dict and len(args) == 2 and isinstance(value, Mapping):
        return any(_text_for_number(args[1], v) for v in value.values())
    if origin in (tuple, list) and args and isinstance(value, (list, tuple)):
        return any(_text_for_number(args[0], v) for v in value)
    return False


def _spec_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a spec path: ``terms[2].weight``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def spec_error(err: ValidationError) -> SpecError:
    """A SpecError naming the path of the deepest problem of ``err`` and listing
    the others. Follow-on errors at a prefix of a deeper error (a list failing
    because one of its items failed) are dropped: the deepest path is the one to
    fix."""
    every = err.errors()
    problems = [
        p
        for p in every
        if not any(q is not p and q["loc"][: len(p["loc"])] == p["loc"] for q in every)
    ]
    first = problems[0]
    message = first["msg"].removeprefix("Value error, ")
    if len(problems) > 1:
        rest = "; ".join(
            f"{_spec_path(p['loc'])}: {p['msg'].removeprefix('Value error, ')}"
            for p in problems[1:]
        )
        message += f" (also: {rest})"
    expected = {
        "extra_forbidden": "only the documented keys",
        "missing": "this key to be present",
    }.get(first["type"])
    path = (first.get("ctx") or {}).get("path") if first["type"] == "spec_path" else None
    if path is not None and first["loc"]:
        path = f"{_spec_path(first['loc'])}.{path}"
    return SpecError(message, field=path or _spec_path(first["loc"]) or None, expected=expected)


_S = TypeVar("_S", bound="SpecModel")


class SpecModel(BaseModel):
    """Base of every model a spec is made of: frozen, unknown keys rejected,
    numbers must be finite numbers (a string such as "1" is not silently read
    as one). Building one with bad values raises :class:`~feedrank.errors.SpecError`
    naming the field.

    >>> from feedrank.stages.filters import MaxAge
    >>> MaxAge(hours="72")
    Traceback (most recent call last):
    feedrank.errors.SpecError: field 'hours': expected a number, got str '72'
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as err:
            raise spec_error(err) from None

    # Nested models are validated by pydantic itself, not through this constructor.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls: type[_S], obj: Any, **kwargs: Any) -> _S:
        """Validate ``obj`` (a mapping or an instance); SpecError if it is invalid."""
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as err:
            raise spec_error(err) from None

    @classmethod
    def model_validate_json(cls: type[_S], json_data: str | bytes | bytearray, **kwargs: Any) -> _S:
        """Validate a JSON document; SpecError if it is invalid."""
        try:
            return super().model_validate_json(json_data, **kwargs)
        except ValidationError as err:
            raise spec_error(err) from None

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and _text_for_number(field.annotation, value):
            raise ValueError(f"expected a number, got {type(value).__name__} {value!r}")
        return value
