"""Specs: the published form of a ranking algorithm.

A spec is a TOML or JSON document that validates into a
:class:`~feedrank.Pipeline`. Loading rejects unknown keys and unknown component
types with the path of the offending key; dumping writes every default out, so
``load(dump(p))`` has the same canonical JSON and the same SHA-256 fingerprint.

>>> from feedrank.presets import preset
>>> pipe = preset("chronological")
>>> again = load_spec(dump_spec(pipe, "toml"))
>>> again.fingerprint == pipe.fingerprint
True
>>> try:
...     load_spec('name = "x"\\n[scorer]\\nterms = [{name = "t", weight = 1.0, '
...               'signal = {type = "timestamp", scael = 2.0}}]')
... except SpecError as err:
...     print(err.field, "|", err.message)
scorer.terms[0].signal.scael | Extra inputs are not permitted

Text and files are read as UTF-8, a key given twice is an error (with its line),
and a spec must keep to the limits of :mod:`feedrank.spec.limits` (size,
number of parts, string length, values, nesting).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from feedrank.canonical import canonical_json
from feedrank.errors import SpecError
from feedrank.io.decoding import check_nesting, decode_json, read_text
from feedrank.spec.limits import (
    MAX_SPEC_BYTES,
    MAX_SPEC_DEPTH,
    check_spec_limits,
    check_spec_size,
)
from feedrank.spec.pipeline import Pipeline
from feedrank.stages.filters import FILTERS
from feedrank.stages.rerank import RERANKERS
from feedrank.stages.signals import SIGNALS

__all__ = [
    "SpecChange",
    "diff_specs",
    "dump_spec",
    "load_spec",
    "loads_spec",
    "parse_spec",
    "spec_schema",
]


def _toml() -> Any:
    """The TOML reader (imported on first use)."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli  # type: ignore[import-not-found, unused-ignore]  # Python 3.10 only

    return tomli  # pragma: no cover


Format = Literal["toml", "json"]


def parse_spec(data: Mapping[str, Any]) -> Pipeline:
    """Validate plain data (from TOML or JSON) into a :class:`Pipeline`.

    The data must keep to the limits of :mod:`feedrank.spec.limits`.
    """
    if not isinstance(data, Mapping):
        raise SpecError(f"got {type(data).__name__}", expected="a table at the top level")
    check_spec_limits(data)
    return Pipeline.model_validate(dict(data))


_TOML_PLACE = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


def _toml_error(exc: Exception, text: str, source: str | None) -> SpecError:
    """A located SpecError from a TOMLDecodeError (its place is in its message)."""
    message = str(exc)
    place = _TOML_PLACE.search(message)
    if place is None:
        return SpecError(f"not valid TOML: {message}", source=source)
    lines = text.splitlines()
    if place.group(1) is not None:
        line = int(place.group(1))
        message = f"{message[: place.start()]} at column {place.group(2)}"
    else:
        line = len(lines) or 1
        message = f"{message[: place.start()]} at the end"
    if message.startswith("Cannot overwrite a value") and line <= len(lines):
        key = lines[line - 1].split("=", 1)[0].strip()
        if key:
            message += f" (duplicate key {key!r})"
    return SpecError(f"not valid TOML: {message}", source=source, line=line)


def _loads(text: str, format: Format, source: str | None) -> Pipeline:
    where = source if source is not None else "<spec>"
    check_spec_size(text, source=source)
    if format == "json":
        data = decode_json(
            text,
            source=where,
            error=SpecError,
            expected="a JSON spec",
            max_depth=MAX_SPEC_DEPTH,
        )
    else:
        check_nesting(text, source=where, error=SpecError, max_depth=MAX_SPEC_DEPTH, syntax="toml")
        toml = _toml()
        try:
            data = toml.loads(text)
        except toml.TOMLDecodeError as exc:
            raise _toml_error(exc, text, source) from None
    return parse_spec(data)


def loads_spec(text: str, format: Format) -> Pipeline:
    """Parse spec text in ``format`` ("toml" or "json")."""
    return _loads(text, format, None)


def load_spec(source: str | Path | Mapping[str, Any], *, format: Format | None = None) -> Pipeline:
    """The :class:`~feedrank.Pipeline` of a spec given as a file, a mapping or text.

    - a :class:`~pathlib.Path`, or a one-line string ending in ``.toml`` or
      ``.json``: the file (its suffix gives the format);
    - a mapping: the parsed spec (as from ``json.load``);
    - other text: TOML, or JSON when it starts with ``{`` (``format`` says
      which, if given).

    Built-in algorithms are :func:`feedrank.preset`; a string here is never
    looked up among them, so no file can stand in for a preset by its name.

    >>> load_spec('name = "newest"\\n[[scorer.terms]]\\nname = "t"\\n'
    ...           'signal = { type = "timestamp" }\\nweight = 1.0').name
    'newest'
    """
    if isinstance(source, Mapping):
        return parse_spec(source)
    if isinstance(source, Path):
        return _load_file(source)
    if not isinstance(source, str):
        raise SpecError(
            f"cannot load a spec from {type(source).__name__}",
            field="spec",
            expected="a path, a mapping, or TOML or JSON text",
        )
    if format is not None:
        return loads_spec(source, format)
    one_line = "\n" not in source
    if one_line and source.strip().lower().endswith((".toml", ".json")):
        return _load_file(Path(source))
    if source.lstrip().startswith("{"):
        return loads_spec(source, "json")
    if one_line and "=" not in source:
        raise SpecError(
            f"{source!r} is neither a .toml or .json file name nor spec text "
            "(built-in algorithms are feedrank.preset(name))",
            field="spec",
            expected="a path to a .toml or .json file, a mapping, or TOML or JSON text",
        )
    return loads_spec(source, "toml")


def _load_file(path: Path) -> Pipeline:
    if not path.is_file():
        raise SpecError(
            f"no spec file {str(path)!r}", field="spec", expected="an existing .toml or .json file"
        )
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise SpecError(
            f"cannot tell the format of {path.name!r}",
            field="spec",
            expected="a .toml or .json file",
        )
    text = read_text(
        path,
        max_bytes=MAX_SPEC_BYTES,
        error=SpecError,
        what="a spec",
        limit="MAX_SPEC_BYTES",
    )
    try:
        return _loads(text, "toml" if suffix == ".toml" else "json", str(path))
    except SpecError as err:
        if err.source is None:
            err.source = str(path)
            err.args = (err._render(),)
        raise


def dump_spec(pipeline: Pipeline, format: Format | Literal["canonical"] = "toml") -> str:
    """The spec as TOML, indented JSON, or canonical JSON (the fingerprinted bytes)."""
    data = pipeline.to_spec()
    if format == "canonical":
        return canonical_json(data)
    if format == "json":
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    text = _toml_document(data)
    if parse_spec(_toml().loads(text)).fingerprint != pipeline.fingerprint:
        raise SpecError(
            "this spec has a value TOML cannot express (such as null where the default differs)",
            expected="a spec written as JSON",
        )
    return text


# ----------------------------------------------------------------- TOML out
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and every control character escaped."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _key(key: str) -> str:
    return key if _BARE.match(key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise SpecError(f"cannot write {type(value).__name__} as TOML")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _needs_section(value: Any) -> bool:
    return isinstance(value, dict) and any(
        _is_table_array(v) or _needs_section(v) for v in value.values()
    )


def _toml_table(path: str, table: dict[str, Any], out: list[str], *, array: bool) -> None:
    header = f"[[{path}]]" if array else f"[{path}]"
    simple = [
        (k, v)
        for k, v in table.items()
        if v is not None and not _is_table_array(v) and not _needs_section(v)
    ]
    if path and (simple or array):
        out.append("")
        out.append(header)
    for key, value in simple:
        out.append(f"{_key(key)} = {_value(value)}")
    for key, value in table.items():
        sub = f"{path}.{_key(key)}" if path else _key(key)
        if _needs_section(value):
            _toml_table(sub, value, out, array=False)
        elif _is_table_array(value):
            for item in value:
                _toml_table(sub, item, out, array=True)


def _toml_document(data: dict[str, Any]) -> str:
    out: list[str] = []
    _toml_table("", data, out, array=False)
    return "\n".join(out).lstrip("\n") + "\n"


# ------------------------------------------------------------------- schema
def spec_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a spec, with every registered component type."""
    schema = Pipeline.model_json_schema()
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    for registry in (SIGNALS, FILTERS, RERANKERS):
        refs = []
        for tag, cls in registry.items():
            sub = cls.model_json_schema(ref_template="#/$defs/{model}")
            defs.update(sub.pop("$defs", {}))
            sub["properties"]["type"] = {"const": tag, "type": "string", "title": "Type"}
            sub.setdefault("required", [])
            if "type" not in sub["required"]:
                sub["required"].insert(0, "type")
            defs[cls.__name__] = sub
            refs.append({"$ref": f"#/$defs/{cls.__name__}"})
        defs[registry.base.__name__] = {
            "oneOf": refs,
            "description": f"A {registry.kind}; its 'type' key names one of the registered types.",
        }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "feedrank ranking spec"
    return schema


# --------------------------------------------------------------------- diff
@dataclass(frozen=True)
class SpecChange:
    """One difference between two specs at a dotted ``path``."""

    path: str
    before: Any
    after: Any

    def __str__(self) -> str:
        if self.before is _ABSENT:
            return f"+ {self.path} = {json.dumps(self.after, ensure_ascii=False)}"
        if self.after is _ABSENT:
            return f"- {self.path} (was {json.dumps(self.before, ensure_ascii=False)})"
        before = json.dumps(self.before, ensure_ascii=False)
        after = json.dumps(self.after, ensure_ascii=False)
        return f"~ {self.path}: {before} -> {after}"


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Any = _Absent()


def diff_specs(old: Pipeline, new: Pipeline) -> list[SpecChange]:
    """Every leaf that differs between two specs (lists of named parts match by name)."""
    changes: list[SpecChange] = []
    _diff(old.to_spec(), new.to_spec(), "", changes)
    return changes


def _named(items: list[Any]) -> dict[str, Any] | None:
    if items and all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items):
        names = [i["name"] for i in items]
        if len(set(names)) == len(names):
            return dict(zip(names, items, strict=True))
    return None


def _diff(a: Any, b: Any, path: str, out: list[SpecChange]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            sub = f"{path}.{key}" if path else key
            _diff(a.get(key, _ABSENT), b.get(key, _ABSENT), sub, out)
        return
    if isinstance(a, list) and isinstance(b, list):
        na, nb = _named(a), _named(b)
        if na is not None and nb is not None:
            for name in [*na, *(n for n in nb if n not in na)]:
                _diff(na.get(name, _ABSENT), nb.get(name, _ABSENT), f"{path}[{name}]", out)
            return
        if len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                _diff(x, y, f"{path}[{i}]", out)
            return
    if a != b or type(a) is not type(b):
        out.append(SpecChange(path, a, b))
