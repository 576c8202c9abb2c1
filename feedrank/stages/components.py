"""Serializable components and the registries that turn a spec's tables into them.

Every signal, filter and re-ranker is a frozen pydantic model with a ``type``
tag. A :class:`Registry` maps each tag to its class, so a spec can name any
registered component — including third-party ones added with ``register``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from feedrank.errors import RegistryError
from feedrank.models import SpecModel

__all__ = ["Component", "Registry", "SpecModel", "lazy_attributes"]


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
        self._lazy: dict[str, str] = {}

    def register_lazy(self, modules: Mapping[str, str]) -> None:
        """Types whose classes are defined (and registered) in modules imported on
        first use: ``tag -> module``. Importing the package stays cheap; naming a
        type, iterating or listing the registry imports what it needs."""
        self._lazy.update(modules)

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
        if tag in self._lazy and tag not in self._classes and cls.__module__ != self._lazy[tag]:
            self._load(tag)  # the built-in of that name comes first
        existing = self._classes.get(tag)
        if existing is not None and existing is not cls:
            raise RegistryError(
                f"{self.kind} type {tag!r} is already registered by {existing.__qualname__}",
                field="type",
                expected="a unique type name",
            )
        self._classes[tag] = cls
        return cls

    def _load(self, tag: object) -> type[C] | None:
        cls = self._classes.get(tag) if isinstance(tag, str) else None
        if cls is None and isinstance(tag, str) and tag in self._lazy:
            importlib.import_module(self._lazy[tag])
            cls = self._classes.get(tag)
            if cls is None:
                raise RegistryError(
                    f"module {self._lazy[tag]} does not register {self.kind} type {tag!r}",
                    field="type",
                )
        return cls

    def __contains__(self, tag: object) -> bool:
        return tag in self._classes or tag in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(set(self._classes) | set(self._lazy)))

    def __getitem__(self, tag: str) -> type[C]:
        cls = self._load(tag)
        if cls is None:
            raise RegistryError(
                f"unknown {self.kind} type {tag!r}",
                field="type",
                expected="one of " + ", ".join(self),
            )
        return cls

    def items(self) -> list[tuple[str, type[C]]]:
        """(tag, class) pairs sorted by tag (every lazily declared type imported)."""
        for tag in list(self._lazy):
            self._load(tag)
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
        cls = self._load(value.get("type"))
        if cls is None:
            raise ValueError(
                f"unknown {self.kind} type {value.get('type')!r}; known types: " + ", ".join(self)
            )
        # pydantic's own validator: its errors nest under the caller's path.
        return cls.__pydantic_validator__.validate_python(dict(value))

    def validator(self) -> Callable[[Any], Any]:
        """The bound :meth:`parse`, for ``Annotated[..., BeforeValidator(...)]``."""
        return self.parse


def lazy_attributes(package: str, classes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``package.<module>`` for the class
    names in ``classes`` (class name -> module) on first access."""

    def get(name: str) -> Any:
        module = classes.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return get
