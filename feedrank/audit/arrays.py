"""Bulk numeric arrays of a decision record: typed base64 blobs or JSON lists.

A blob ``{"b64", "dtype", "shape"}`` holds an array's little-endian bytes
(integers in the narrowest of int8/16/32/64 that holds them). It is rendered
once as :class:`Raw` canonical JSON, which :func:`emit` splices verbatim into
the record, so every array is converted whole (one ``tobytes()`` or
``tolist()`` per column, never a loop over posts). As JSON lists, floats keep
their shortest round-trip ``repr``, NaN is null and the infinities are
``"Infinity"`` and ``"-Infinity"``. Readers accept both forms and check dtype
and shape.

>>> emit({"rows": encode_array(np.array([3, 1]), "binary"), "n": 2})
'{"n":2,"rows":{"b64":"AwE=","dtype":"|i1","shape":[2]}}'
>>> decode_array([1.5, None, "-Infinity"], "x", "f").tolist()
[1.5, nan, -inf]
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import AuditError

__all__ = [
    "BLOB_DTYPES",
    "MAX_DIMS",
    "MAX_VALUES",
    "ArrayEncoding",
    "Raw",
    "blob",
    "check_shape",
    "decode_array",
    "decode_blob",
    "decode_strings",
    "emit",
    "encode_array",
    "flatten",
    "json_floats",
]

ArrayEncoding = Literal["binary", "json"]
"""How bulk arrays are written: typed base64 blobs (fast, exact) or JSON lists."""

BLOB_DTYPES = frozenset(
    {"<f8", "<f4", "<i8", "<i4", "<i2", "|i1", "<u8", "<u4", "<u2", "|u1", "|b1"}
)
"""The numpy dtype strings a blob may name."""

_SMALL_INTS = (np.int8, np.int16, np.int32)
MAX_DIMS = 8
"""The most dimensions a stored array may have (feedrank stores at most 2)."""
MAX_VALUES = 1 << 32
"""The most values a stored shape may declare: checked before anything is allocated
(a record is at most :data:`~feedrank.audit.log.MAX_RECORD_BYTES` anyway)."""


# ------------------------------------------------------------ JSON emission
@dataclass(frozen=True)
class Raw:
    """Pre-rendered canonical JSON, emitted verbatim (only as a dict value)."""

    text: str


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
"""Encodes exactly as :func:`feedrank.canonical.canonical_json` (one shared instance)."""


def _has_raw(value: dict[str, Any]) -> bool:
    return any(isinstance(v, Raw) or (isinstance(v, dict) and _has_raw(v)) for v in value.values())


def emit(value: Any) -> str:
    """Canonical JSON of ``value``, whose dict values may be :class:`Raw`."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict) and _has_raw(value):
        items = [_ENCODER.encode(str(k)) + ":" + emit(value[k]) for k in sorted(value)]
        return "{" + ",".join(items) + "}"
    text: str = _ENCODER.encode(value)
    return text


# ------------------------------------------------------------ writing
def json_floats(values: NDArray[Any]) -> list[Any]:
    """Float array as nested lists; NaN -> null, ±inf -> "Infinity"/"-Infinity".

    Finite values become Python floats, which JSON writes with ``repr`` (the
    shortest text that reads back to the same double): they round-trip exactly.
    """
    arr = np.asarray(values, dtype=np.float64)
    if np.isfinite(arr).all():
        out: list[Any] = arr.tolist()
        return out
    obj = arr.astype(object)
    obj[np.isnan(arr)] = None
    obj[np.isposinf(arr)] = "Infinity"
    obj[np.isneginf(arr)] = "-Infinity"
    result: list[Any] = obj.tolist()
    return result


def blob(values: NDArray[Any]) -> Raw:
    """Little-endian bytes, base64; integers in the narrowest type holding them."""
    arr = np.ascontiguousarray(values)
    if arr.dtype.kind in "iu" and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        for small in _SMALL_INTS:  # the narrowest type that holds every value
            info = np.iinfo(small)
            if info.min <= lo and hi <= info.max:
                arr = arr.astype(small)
                break
    little = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
    data = base64.b64encode(little.tobytes()).decode("ascii")
    shape = ",".join(str(s) for s in arr.shape)
    return Raw(f'{{"b64":"{data}","dtype":"{little.dtype.str}","shape":[{shape}]}}')


def encode_array(values: NDArray[Any], arrays: ArrayEncoding) -> Any:
    """A numeric array: a blob ``{"b64", "dtype", "shape"}`` or a JSON list."""
    if arrays == "binary":
        return blob(values)
    if values.dtype.kind == "f":
        return json_floats(values)
    return values.tolist()


# ------------------------------------------------------------ reading
_SPECIAL = {"Infinity": math.inf, "-Infinity": -math.inf}


def _unfloat(value: Any, where: str) -> float:
    if type(value) is float:
        return value
    if type(value) is int:
        try:
            return float(value)
        except OverflowError:
            raise AuditError(
                f"integer of {len(str(value))} digits", field=where, expected="a float64"
            ) from None
    if value is None:
        return math.nan
    if isinstance(value, str) and value in _SPECIAL:
        return _SPECIAL[value]
    raise AuditError(f"got {value!r}", field=where, expected="a number, null or ±Infinity")


def flatten(data: list[Any]) -> list[Any]:
    """The leaves of nested lists, in order."""
    out: list[Any] = []
    for item in data:
        if isinstance(item, list):
            out.extend(flatten(item))
        else:
            out.append(item)
    return out


def _shape_of(data: list[Any]) -> tuple[int, ...]:
    shape = [len(data)]
    while data and isinstance(data[0], list):
        data = data[0]
        shape.append(len(data))
    return tuple(shape)


def check_shape(shape: Any, where: str) -> tuple[int, ...]:
    """A stored shape as a tuple, if it is a list of at most :data:`MAX_DIMS` sizes
    whose product is at most :data:`MAX_VALUES` (AuditError otherwise)."""
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_DIMS
        or not all(type(s) is int and 0 <= s <= MAX_VALUES for s in shape)
        or math.prod(shape) > MAX_VALUES
    ):
        text = repr(shape) if len(repr(shape)) <= 80 else "of " + str(type(shape).__name__)
        raise AuditError(
            f"bad shape {text}",
            field=where,
            expected=f"a list of at most {MAX_DIMS} sizes, at most {MAX_VALUES} values in all",
        )
    return tuple(shape)


def decode_blob(stored: Mapping[str, Any], where: str) -> NDArray[Any]:
    """The array of a blob ``{"b64", "dtype", "shape"}`` (AuditError if malformed)."""
    dtype, shape, text = stored.get("dtype"), stored.get("shape"), stored.get("b64")
    if (
        set(stored) != {"b64", "dtype", "shape"}
        or not isinstance(dtype, str)
        or dtype not in BLOB_DTYPES
    ):
        shown = dtype if isinstance(dtype, str) else type(dtype).__name__
        raise AuditError(
            f"malformed array ({shown!r})", field=where, expected="{b64, dtype, shape}"
        )
    dims = check_shape(shape, where)
    if not isinstance(text, str):
        raise AuditError(f"b64 is a {type(text).__name__}", field=where, expected="base64 text")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise AuditError("bad base64", field=where) from None
    dt = np.dtype(str(dtype))
    if len(raw) != math.prod(dims) * dt.itemsize:
        raise AuditError(f"has {len(raw)} bytes", field=where, expected=f"shape {dims} of {dt}")
    if dt.kind == "b" and raw and max(raw) > 1:
        raise AuditError("boolean bytes other than 0 and 1", field=where)
    arr = np.frombuffer(raw, dtype=dt).reshape(dims)
    # Integers were stored in the narrowest type that holds them; every integer
    # array feedrank logs is int64, so they widen back to it.
    return arr.astype(np.int64 if dt.kind in "iu" else dt.newbyteorder("="))


def decode_array(
    stored: Any, where: str, kinds: str, shape: tuple[int, ...] | None = None
) -> NDArray[Any]:
    """Inverse of :func:`encode_array`; ``kinds``: accepted dtype kinds ("f", "iu", "b")."""
    if isinstance(stored, Mapping):
        arr = decode_blob(stored, where)
        if arr.dtype.kind not in kinds:
            raise AuditError(f"has dtype {arr.dtype}", field=where, expected=f"kind {kinds}")
    elif isinstance(stored, list):
        flat = flatten(stored)
        if "f" in kinds:
            arr = np.array([_unfloat(x, where) for x in flat], dtype=np.float64)
        else:
            want = bool if kinds == "b" else int
            if not all(type(x) is want for x in flat):
                raise AuditError(f"not all {want.__name__}", field=where)
            try:
                arr = np.array(flat, dtype=np.bool_ if want is bool else np.int64)
            except OverflowError:
                raise AuditError("integer out of the int64 range", field=where) from None
        target = _shape_of(stored) if shape is None else shape
        if arr.size != math.prod(target):
            raise AuditError(f"has {arr.size} values", field=where, expected=f"shape {target}")
        arr = arr.reshape(target)
    else:
        raise AuditError(f"got {type(stored).__name__}", field=where, expected="an array")
    if shape is not None and arr.shape != shape:
        raise AuditError(f"has shape {arr.shape}", field=where, expected=f"shape {shape}")
    return arr


def decode_strings(stored: Any, where: str) -> list[str]:
    """A JSON list of strings (AuditError if it is anything else)."""
    if not isinstance(stored, list) or not all(isinstance(x, str) for x in stored):
        raise AuditError("not a list of strings", field=where, expected="a list of strings")
    return stored
