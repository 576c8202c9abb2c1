"""``POST /v1/rank``: feedrank's own JSON request in, ``feedrank rank --format json`` out.

The body is one JSON object::

    {"posts": [Post, ...],                      required
     "authors": [Author, ...], "viewer": Viewer, "interactions": [Interaction, ...],
     "network": [Interaction, ...], "follow_graph": {"account": ["id", ...]},
     "now": "2026-03-01T12:00:00Z",             required unless a cursor is given
     "limit": 20, "cursor": "...",
     "choice": {"alternative": "chronological", "settings": {"interests": 0.5}},
     "removed": "counts" | "all", "moves": "counts" | "all"}

``choice`` is the viewer's choice among the spec's published controls and
alternatives (:func:`feedrank.spec.choice.choice_from_json`): the effective spec
ranks, and the answer and the decision record name both fingerprints and the
overlay, as ``feedrank rank --choose/--set`` does.

:func:`parse_v1_request` is the one place the body is read (a new field is added
there and nowhere else); it builds the request with the same
:func:`~feedrank.spec.request.assemble_request` as ``feedrank rank``, and the
answer is the same :meth:`~feedrank.Ranking.to_dict`. Every error names the
field, and the record (``posts[3]``, its id) when there is one.

>>> from feedrank import preset
>>> body = {"posts": [{"id": "p1", "author_id": "a", "created_at": "2026-01-01T00:00:00Z"}],
...         "now": "2026-01-01T01:00:00Z"}
>>> parsed = parse_v1_request(body, preset("chronological"))
>>> parsed.request.pipeline.rank(parsed.request.batch, parsed.request.ctx).post_ids
['p1']
>>> try:
...     parse_v1_request({"posts": [{"id": "p1", "author_id": "a"}],
...                       "now": "2026-01-01T01:00:00Z"}, preset("chronological"))
... except InputError as err:
...     print(err)
post 'p1', field 'posts[0].created_at': Field required (expected this field to be present)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from feedrank.adapters.json_access import json_type
from feedrank.errors import InputError
from feedrank.models import Author, Interaction, Post, Viewer
from feedrank.spec.choice import choice_from_json, choose
from feedrank.spec.pipeline import Pipeline
from feedrank.spec.request import Request, assemble_request, request_now

__all__ = ["MAX_V1_ITEMS", "V1Request", "parse_v1_request"]

MAX_V1_ITEMS = 100_000
"""The most records one list of a ``/v1/rank`` body may hold."""

Detail = Literal["counts", "all"]
_FIELDS = (
    "posts",
    "authors",
    "viewer",
    "interactions",
    "network",
    "follow_graph",
    "now",
    "limit",
    "cursor",
    "choice",
    "removed",
    "moves",
)
_R = TypeVar("_R", Post, Author, Interaction)


@dataclass(frozen=True, eq=False)
class V1Request:
    """A parsed ``/v1/rank`` body: the request and how to page and answer it."""

    request: Request
    limit: int | None
    cursor: str | None
    removed: Detail
    moves: Detail


def _records(body: Mapping[str, Any], field: str, model: type[_R]) -> list[_R]:
    raw = body.get(field)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(f"got a JSON {json_type(raw)}", field=field, expected="a JSON array")
    if len(raw) > MAX_V1_ITEMS:
        raise InputError(f"{len(raw)} records", field=field, expected=f"at most {MAX_V1_ITEMS}")
    out: list[_R] = []
    for i, item in enumerate(raw):
        where = f"{field}[{i}]"
        if not isinstance(item, Mapping):
            raise InputError(f"got a JSON {json_type(item)}", field=where, expected="a JSON object")
        try:
            out.append(model.model_validate(item))
        except InputError as err:
            raise err.locate(within=where) from None
    return out


def _string(body: Mapping[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise InputError(f"got a JSON {json_type(value)}", field=field, expected="a string")
    return value


def _detail(body: Mapping[str, Any], field: str) -> Detail:
    value = body.get(field, "counts")
    if value == "counts":
        return "counts"
    if value == "all":
        return "all"
    raise InputError(f"got {value!r}", field=field, expected="'counts' or 'all'")


def _follow_graph(body: Mapping[str, Any]) -> dict[str, list[str]] | None:
    raw = body.get("follow_graph")
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in raw.values()
    ):
        raise InputError(
            "not a follow graph",
            field="follow_graph",
            expected='a JSON object mapping an account id to the ids it follows, {"a": ["b"]}',
        )
    return {str(k): list(v) for k, v in raw.items()}


def parse_v1_request(body: object, pipeline: Pipeline) -> V1Request:
    """Validate a ``/v1/rank`` body (decoded JSON) and build its request for ``pipeline``.

    Raises :class:`~feedrank.errors.InputError` naming the field (and the record)
    of the first problem; unknown top-level fields are refused.
    """
    if not isinstance(body, Mapping):
        raise InputError(f"the body is a JSON {json_type(body)}", expected="a JSON object")
    unknown = sorted(set(body) - set(_FIELDS))
    if unknown:
        raise InputError(
            f"unknown field {unknown[0]!r}", field=unknown[0], expected=", ".join(_FIELDS)
        )
    if "posts" not in body:
        raise InputError("missing", field="posts", expected="a JSON array of posts")
    limit = body.get("limit")
    if limit is not None and (type(limit) is not int or not 1 <= limit <= 10_000):
        raise InputError(f"got {limit!r}", field="limit", expected="an integer from 1 to 10000")
    cursor = _string(body, "cursor")
    viewer_raw = body.get("viewer")
    viewer = None
    if viewer_raw is not None:
        if not isinstance(viewer_raw, Mapping):
            raise InputError(
                f"got a JSON {json_type(viewer_raw)}", field="viewer", expected="a JSON object"
            )
        try:
            viewer = Viewer.model_validate(viewer_raw)
        except InputError as err:
            raise err.locate(within="viewer") from None
    authors = _records(body, "authors", Author) if "authors" in body else None
    chosen = None
    if body.get("choice") is not None:
        chosen = choose(pipeline, choice_from_json(body["choice"]))
    request = assemble_request(
        pipeline,
        _records(body, "posts", Post),
        now=request_now(_string(body, "now"), cursor, field="now", cursor_field="cursor"),
        authors=authors,
        viewer=viewer,
        interactions=_records(body, "interactions", Interaction),
        network=_records(body, "network", Interaction),
        follow_graph=_follow_graph(body),
        chosen=chosen,
    )
    return V1Request(request, limit, cursor, _detail(body, "removed"), _detail(body, "moves"))
