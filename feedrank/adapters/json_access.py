"""Untrusted JSON, read with checked types: what the network adapters parse input with.

A :class:`JsonObject` wraps one JSON object; each accessor checks the JSON type
of one member and raises :class:`~feedrank.errors.InputError` naming the
record (the post id), the dotted field path, the element (``source``) and what
was expected. :func:`build_model` locates the error of a model built from it
the same way.

>>> status = JsonObject({"id": "109", "reblog": {"favourites_count": "5"}}, record="109")
>>> try:
...     status.req_obj("reblog").count("favourites_count")
... except InputError as err:
...     print(err)
post '109', field 'reblog.favourites_count': got a JSON string (expected an integer >= 0)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from pydantic import AwareDatetime, BaseModel, TypeAdapter, ValidationError

from feedrank.errors import InputError

__all__ = ["JsonObject", "build_model", "json_array", "json_type"]

_M = TypeVar("_M", bound=BaseModel)
_COUNT = "an integer >= 0"
_DATETIME: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


class JsonObject:
    """One object of untrusted JSON. Every accessor checks the JSON type and raises
    :class:`InputError` naming ``record`` (the post id), the dotted field path and
    what was expected."""

    __slots__ = ("data", "path", "record", "source")

    def __init__(
        self, data: object, *, path: str = "", record: str | None = None, source: str | None = None
    ) -> None:
        if not isinstance(data, Mapping):
            raise InputError(
                f"got a JSON {json_type(data)}",
                field=path or None,
                post_id=record,
                source=source,
                expected="a JSON object",
            )
        self.data: Mapping[str, Any] = data
        self.path = path
        self.record = record
        self.source = source

    def name(self, key: str) -> str:
        """The dotted path of ``key`` inside this object."""
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, message: str, expected: str | None) -> InputError:
        """An InputError about ``key`` of this object."""
        return InputError(
            message,
            field=self.name(key),
            post_id=self.record,
            source=self.source,
            expected=expected,
        )

    def _value(self, key: str, expected: str, required: bool) -> object:
        if key not in self.data:
            if required:
                raise self.error(key, "missing", expected)
            return None
        return self.data[key]

    def _wrong(self, key: str, value: object, expected: str) -> InputError:
        return self.error(key, f"got a JSON {json_type(value)}", expected)

    def req_str(self, key: str, *, nonempty: bool = True) -> str:
        """A required string (non-empty unless ``nonempty`` is false)."""
        expected = "a non-empty string" if nonempty else "a string"
        value = self._value(key, expected, True)
        if not isinstance(value, str):
            raise self._wrong(key, value, expected)
        if nonempty and not value:
            raise self.error(key, "is empty", expected)
        return value

    def opt_str(self, key: str) -> str | None:
        """A string that may be absent or null (then None); "" also gives None."""
        value = self._value(key, "a string or null", False)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._wrong(key, value, "a string or null")
        return value or None

    def count(self, key: str, *, required: bool = True) -> int:
        """A non-negative integer (not a boolean); 0 when absent and not required."""
        value = self._value(key, _COUNT, required)
        if value is None and not required:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, value, _COUNT)
        if value < 0 or value > 2**63 - 1:
            raise self.error(key, f"is {value}", _COUNT)
        return value

    def flag(self, key: str, *, required: bool = True) -> bool:
        """A boolean; False when absent (or null) and not required."""
        value = self._value(key, "true or false", required)
        if value is None and not required:
            return False
        if not isinstance(value, bool):
            raise self._wrong(key, value, "true or false")
        return value

    def time(self, key: str, *, required: bool = True) -> datetime | None:
        """An ISO 8601 datetime with a timezone; None when absent or null and not required."""
        expected = "an ISO 8601 datetime with a timezone, such as 2026-01-01T12:00:00.000Z"
        value = self._value(key, expected, required)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            raise self._wrong(key, value, expected)
        if not _ISO.match(value):  # pydantic would also read "1772407800" as a Unix time
            raise self.error(key, f"cannot read {value[:40]!r} as a datetime", expected)
        try:
            return _DATETIME.validate_python(value)
        except ValidationError:
            raise self.error(key, f"cannot read {value[:40]!r} as a datetime", expected) from None

    def req_time(self, key: str) -> datetime:
        """A required datetime (see :meth:`time`)."""
        moment = self.time(key)
        assert moment is not None
        return moment

    def obj(self, key: str, *, required: bool = True) -> JsonObject | None:
        """A nested object; None when absent or null and not required."""
        value = self._value(key, "a JSON object", required)
        if value is None and not required:
            return None
        return JsonObject(value, path=self.name(key), record=self.record, source=self.source)

    def req_obj(self, key: str) -> JsonObject:
        """A required nested object."""
        inner = self.obj(key)
        assert inner is not None
        return inner

    def array(self, key: str, *, required: bool = False) -> list[Any]:
        """A JSON array; [] when absent or null and not required."""
        value = self._value(key, "a JSON array", required)
        if value is None and not required:
            return []
        if not isinstance(value, (list, tuple)):
            raise self._wrong(key, value, "a JSON array")
        return list(value)

    def item(self, key: str, index: int, value: object) -> JsonObject:
        """Element ``index`` of the array ``key`` as an object."""
        return JsonObject(
            value, path=f"{self.name(key)}[{index}]", record=self.record, source=self.source
        )


def build_model(
    build: Callable[[], _M], record: str | None, source: str | None, prefix: str = ""
) -> _M:
    """Construct a model of :mod:`feedrank.models`, its InputError located: in the
    record ``record``, element ``source``, the field below ``prefix``."""
    try:
        return build()
    except InputError as err:
        raise err.locate(source=source, post_id=record, within=prefix or None) from None


def json_array(value: object, field: str, expected: str) -> Iterable[Any]:
    """``value`` if it is a JSON array (any iterable but a string, bytes or a
    mapping), else an InputError about ``field``."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InputError(f"got a {json_type(value)}", field=field, expected=expected)
    return value
