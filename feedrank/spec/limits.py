"""How large a spec may be: the limits every spec is checked against before it is
validated.

A spec is data that anyone may hand to a ranker, so loading one takes bounded
time and memory whatever its content. The limits are far above what an
algorithm needs (the largest built-in preset is 9 KB with 14 terms):

- :data:`MAX_SPEC_BYTES`: the text or file, in UTF-8 bytes;
- :data:`MAX_SPEC_PARTS`: entries of each of ``filters``, ``scorer.terms``,
  ``scorer.factors`` and ``rerankers``;
- :data:`MAX_SPEC_CONTROLS`: entries of each of ``controls`` and
  ``alternatives`` (loading checks the spec at both bounds of every control);
- :data:`MAX_SPEC_STRING`: characters in any key or string;
- :data:`MAX_SPEC_VALUES`: values in the whole spec, counting every table,
  array and leaf;
- :data:`MAX_SPEC_DEPTH`: nesting of tables and arrays (in TOML, dotted keys
  count too).

Breaking one raises :class:`~feedrank.errors.SpecError` that names the limit
and the key where it was broken.

>>> spec = {"name": "x", "scorer": {"terms": [{"name": "t" * 20_000}]}}
>>> try:
...     check_spec_limits(spec)
... except SpecError as err:
...     print(err.field, "|", err.message)
scorer.terms[0].name | a string of 20000 characters, more than MAX_SPEC_STRING = 10000
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from feedrank.errors import SpecError

__all__ = [
    "MAX_SPEC_BYTES",
    "MAX_SPEC_CONTROLS",
    "MAX_SPEC_DEPTH",
    "MAX_SPEC_PARTS",
    "MAX_SPEC_STRING",
    "MAX_SPEC_VALUES",
    "check_spec_limits",
    "check_spec_size",
]

MAX_SPEC_BYTES = 1 << 20
"""The largest spec text or file: 1 MiB, in UTF-8 bytes."""

MAX_SPEC_DEPTH = 16
"""The deepest nesting of tables and arrays in a spec (the presets nest 6 deep)."""

MAX_SPEC_PARTS = 1000
"""The most entries in each of ``filters``, ``scorer.terms``, ``scorer.factors``
and ``rerankers``."""

MAX_SPEC_CONTROLS = 64
"""The most entries in each of ``controls`` and ``alternatives``."""

MAX_SPEC_STRING = 10_000
"""The most characters in one key or string of a spec."""

MAX_SPEC_VALUES = 100_000
"""The most values in a whole spec: every table, array and leaf counts one."""

_PARTS = (
    ("filters", ("filters",), "MAX_SPEC_PARTS"),
    ("scorer.terms", ("scorer", "terms"), "MAX_SPEC_PARTS"),
    ("scorer.factors", ("scorer", "factors"), "MAX_SPEC_PARTS"),
    ("rerankers", ("rerankers",), "MAX_SPEC_PARTS"),
    ("controls", ("controls",), "MAX_SPEC_CONTROLS"),
    ("alternatives", ("alternatives",), "MAX_SPEC_CONTROLS"),
)


def _utf8_size_over(text: str, limit: int) -> int | None:
    """The UTF-8 size of ``text`` if it is over ``limit``, else None (cheap when short)."""
    if len(text) > limit:
        return len(text.encode("utf-8", "surrogatepass"))
    if 4 * len(text) <= limit:
        return None
    size = len(text.encode("utf-8", "surrogatepass"))
    return size if size > limit else None


def check_spec_size(text: str, *, source: str | None = None) -> None:
    """Raise :class:`SpecError` if spec ``text`` is larger than :data:`MAX_SPEC_BYTES`."""
    size = _utf8_size_over(text, MAX_SPEC_BYTES)
    if size is not None:
        raise SpecError(
            f"the spec is {size} bytes, more than MAX_SPEC_BYTES = {MAX_SPEC_BYTES}",
            source=source,
            expected=f"a spec of at most {MAX_SPEC_BYTES} bytes",
        )


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def check_spec_limits(data: Mapping[str, Any]) -> None:
    """Raise :class:`SpecError` if parsed spec ``data`` breaks a limit of this module.

    Takes time proportional to the spec, up to the first broken limit.
    """
    for where, keys, name in _PARTS:
        most: int = globals()[name]  # read now: a limit may be changed at run time
        items: Any = data
        for key in keys:
            items = items.get(key) if isinstance(items, Mapping) else None
        if isinstance(items, (list, tuple)) and len(items) > most:
            raise SpecError(
                f"{len(items)} entries, more than {name} = {most}",
                field=where,
                expected=f"at most {most} entries",
            )
    seen = 0
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        seen += 1
        if isinstance(value, str):
            if len(value) > MAX_SPEC_STRING:
                raise SpecError(
                    f"a string of {len(value)} characters, more than "
                    f"MAX_SPEC_STRING = {MAX_SPEC_STRING}",
                    field=where or None,
                    expected=f"strings of at most {MAX_SPEC_STRING} characters",
                )
            continue
        if not isinstance(value, (Mapping, list, tuple)):
            continue
        if depth >= MAX_SPEC_DEPTH:
            raise SpecError(
                f"tables and arrays nested more than MAX_SPEC_DEPTH = {MAX_SPEC_DEPTH} deep",
                field=where or None,
                expected=f"at most {MAX_SPEC_DEPTH} levels of nesting",
            )
        if seen + len(stack) + len(value) > MAX_SPEC_VALUES:
            raise SpecError(
                f"more than MAX_SPEC_VALUES = {MAX_SPEC_VALUES} values in the spec",
                field=where or None,
                expected=f"a spec of at most {MAX_SPEC_VALUES} tables, arrays and values",
            )
        if isinstance(value, Mapping):
            for key in value:
                if isinstance(key, str) and len(key) > MAX_SPEC_STRING:
                    raise SpecError(
                        f"a key of {len(key)} characters, more than "
                        f"MAX_SPEC_STRING = {MAX_SPEC_STRING}",
                        field=where or None,
                        expected=f"keys of at most {MAX_SPEC_STRING} characters",
                    )
            children: list[tuple[Any, str | int]] = [(v, str(k)) for k, v in value.items()]
        else:
            children = [(v, i) for i, v in enumerate(value)]
        stack.extend((child, _path(where, key), depth + 1) for child, key in reversed(children))
