"""Serializable components and the registries that turn a spec's tables into them.

Every signal, filter and re-ranker is a frozen pydantic model with a ``type``
tag. A :class:`Registry` maps each tag to its class, so a spec can name any
registered component — including third-party ones added with ``register``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from feedrank.errors import RegistryError
from feedrank.models import SpecModel

__all__ = ["Component", "Registry", "SpecModel"]


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
