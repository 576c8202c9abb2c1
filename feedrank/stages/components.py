"""Serializable components and the registries that turn a spec's tables into them.

Every signal, filter and re-ranker is a frozen pydantic model with a ``type``
tag. A :class:`Registry` maps each tag to its class, so a spec can name any
registered component — including third-party ones added with ``register``.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from feedrank.errors import RegistryError

__all__ = ["Component", "Registry", "SpecModel"]


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


class SpecModel(BaseModel):
    """Base of every model a spec is made of: frozen, unknown keys rejected,
    numbers must be finite numbers (a string such as "1" is not silently read
    as one)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and _text_for_number(field.annotation, value):
            raise ValueError(f"expected a number, got {type(value).__name__} {value!r}")
        return value


class Component(SpecModel):
    """Base of every spec component, tagged by ``type``."""

    type: str

    def describe(self) -> str:
        """One line of plain language saying what the component does."""
        doc = (type(self).__doc__ or self.type).strip().splitlines()[0]
        return doc.rstrip(".")


C = TypeVar("C", bound=Component)


class Registry(Generic[C]):
    """Maps ``type`` tags to component classes of one kind.

    >>> reg: Registry[Component] = Registry("widget", Component)
    >>> @reg.register
    ... class Spinner(Component):
    ...     type: str = "spinner"
    >>> reg.parse({"type": "spinner"})
    Spinner(type='spinner')
    >>> reg.parse({"type": "nope"})
    Traceback (most recent call last):
    ...
    ValueError: unknown widget type 'nope'; known types: spinner
    """

    def __init__(self, kind: str, base: type[C]) -> None:
        self.kind = kind
        self.base = base
        self._classes: dict[str, type[C]] = {}

    def register(self, cls: type[C]) -> type[C]:
        """Class decorator: register ``cls`` under the default of its ``type`` field."""
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise RegistryError(
                f"{cls!r} is not a {self.base.__name__}", expected=f"a {self.base.__name__} class"
            )
        tag = cls.model_fields["type"].default
        if not isinstance(tag, str) or not tag:
            raise RegistryError(
                f"{cls.__name__} has no default for its 'type' field",
                field="type",
                expected='type: Literal["name"] = "name"',
            )
        existing = self._classes.get(tag)
        if existing is not None and existing is not cls:
            raise RegistryError(
                f"{self.kind} type {tag!r} is already registered by {existing.__qualname__}",
                field="type",
                expected="a unique type name",
            )
        self._classes[tag] = cls
        return cls

    def __contains__(self, tag: object) -> bool:
        return tag in self._classes

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._classes))

    def __getitem__(self, tag: str) -> type[C]:
        try:
            return self._classes[tag]
        except KeyError:
            raise RegistryError(
                f"unknown {self.kind} type {tag!r}",
                field="type",
                expected="one of " + ", ".join(self),
            ) from None

    def items(self) -> list[tuple[str, type[C]]]:
        """(tag, class) pairs sorted by tag."""
        return sorted(self._classes.items())

    def parse(self, value: Any) -> Any:
        """Pydantic before-validator: dispatch a mapping to the class its ``type`` names.

        Instances of the base class pass through unchanged.
        """
        if isinstance(value, self.base):
            return value
        if not isinstance(value, Mapping):
            raise ValueError(
                f"expected a table with a 'type' key naming a {self.kind}, "
                f"got {type(value).__name__}"
            )
        tag = value.get("type")
        if tag not in self._classes:
            raise ValueError(f"unknown {self.kind} type {tag!r}; known types: " + ", ".join(self))
        return self._classes[tag].model_validate(dict(value))

    def validator(self) -> Callable[[Any], Any]:
        """The bound :meth:`parse`, for ``Annotated[..., BeforeValidator(...)]``."""
        return self.parse
