"""Decision records: one ranked request as canonical JSON, and back again.

The format is described field by field in :mod:`feedrank.audit`. This module
turns a :class:`~feedrank.Ranking` and its :class:`~feedrank.Context` into the
canonical JSON text of a record (:func:`encode_request`; every array is
converted whole — one ``tobytes()`` or ``tolist()`` per column, never a loop
over posts) and parses a record back into a validated :class:`AuditRecord`
that rebuilds the exact :class:`~feedrank.PostBatch`, :class:`~feedrank.Context`
and viewer the request was ranked with.

>>> pseudonym("alice", b"0123456789abcdef")[:16]
'fdbf8b1cacd3d578'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from feedrank.batch._columns import KINDS, TEXT
from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.batch.tags import Tags
from feedrank.canonical import canonical_json, fingerprint
from feedrank.errors import AuditError, FeedrankError
from feedrank.models import Viewer
from feedrank.ranking.ranking import Ranking

if TYPE_CHECKING:
    from feedrank.spec.pipeline import Pipeline

__all__ = [
    "BATCH_COLUMNS",
    "GENESIS",
    "RECORD_VERSION",
    "ArrayEncoding",
    "AuditError",
    "AuditRecord",
    "EncodedRequest",
    "encode_request",
    "is_hex64",
    "parse_record",
    "pseudonym",
    "record_hash",
    "spec_json",
    "spec_matches",
]

RECORD_VERSION = 1
"""Value of the ``v`` field of every record this version writes."""
GENESIS = "0" * 64
"""The ``prev`` of the first record of a log."""

ArrayEncoding = Literal["binary", "json"]
"""How bulk arrays are written: typed base64 blobs (fast, exact) or JSON lists."""

_AUTHOR_SETS = ("blocked", "follows", "muted")
_POST_SETS = ("seen",)
_STRING_COLUMNS = ("lang", "quote_of", "reply_to", "repost_of")
_TEXT_COLUMNS = ("text", "url")
BATCH_COLUMNS = frozenset(
    {
        "ids",
        "author_ids",
        "created_at",
        "counts",
        "features",
        "topics",
        "labels",
        "embeddings",
        "has_embedding",
        "author_followers",
        *_STRING_COLUMNS,
        *_TEXT_COLUMNS,
    }
)
"""Every :class:`PostBatch` field a record stores (a test keeps this complete)."""

_BLOB_DTYPES = frozenset(
    {"<f8", "<f4", "<i8", "<i4", "<i2", "|i1", "<u8", "<u4", "<u2", "|u1", "|b1"}
)
_SMALL_INTS = (np.int8, np.int16, np.int32)
_HEX = frozenset("0123456789abcdef")


def pseudonym(viewer_id: str, key: bytes) -> str:
    """Hex HMAC-SHA256 of the UTF-8 ``viewer_id`` under the platform ``key``.

    The same viewer gets the same pseudonym under the same key, so a platform
    holding the key can find a person's records (an access request); without
    the key the pseudonym reveals nothing about the id.
    """
    return hmac.new(key, viewer_id.encode("utf-8"), hashlib.sha256).hexdigest()


def is_hex64(value: Any) -> bool:
    """Whether ``value`` is a lowercase 64-digit hex string."""
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


# ------------------------------------------------------------ JSON emission
@dataclass(frozen=True)
class _Raw:
    """Pre-rendered canonical JSON, emitted verbatim (only as a dict value)."""

    text: str


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
"""Encodes exactly as :func:`feedrank.canonical.canonical_json` (one shared instance)."""


def _has_raw(value: dict[str, Any]) -> bool:
    return any(isinstance(v, _Raw) or (isinstance(v, dict) and _has_raw(v)) for v in value.values())


def _emit(value: Any) -> str:
    """Canonical JSON of ``value``, whose dict values may be :class:`_Raw`."""
    if isinstance(value, _Raw):
        return value.text
    if isinstance(value, dict) and _has_raw(value):
        items = [_ENCODER.encode(str(k)) + ":" + _emit(value[k]) for k in sorted(value)]
        return "{" + ",".join(items) + "}"
    text: str = _ENCODER.encode(value)
    return text


# ------------------------------------------------------------ array codecs
def _floats(values: NDArray[Any]) -> list[Any]:
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


def _blob(values: NDArray[Any]) -> _Raw:
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
    return _Raw(f'{{"b64":"{data}","dtype":"{little.dtype.str}","shape":[{shape}]}}')


def _num(values: NDArray[Any], arrays: ArrayEncoding) -> Any:
    """A numeric array: a blob ``{"b64", "dtype", "shape"}`` or a JSON list."""
    if arrays == "binary":
        return _blob(values)
    if values.dtype.kind == "f":
        return _floats(values)
    return values.tolist()


_SPECIAL = {"Infinity": math.inf, "-Infinity": -math.inf}


def _unfloat(value: Any, where: str) -> float:
    if type(value) is float:
        return value
    if type(value) is int:
        return float(value)
    if value is None:
        return math.nan
    if isinstance(value, str) and value in _SPECIAL:
        return _SPECIAL[value]
    raise AuditError(f"got {value!r}", field=where, expected="a number, null or ±Infinity")


def _flatten(data: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in data:
        if isinstance(item, list):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def _shape_of(data: list[Any]) -> tuple[int, ...]:
    shape = [len(data)]
    while data and isinstance(data[0], list):
        data = data[0]
        shape.append(len(data))
    return tuple(shape)


def _unblob(stored: Mapping[str, Any], where: str) -> NDArray[Any]:
    dtype, shape, text = stored.get("dtype"), stored.get("shape"), stored.get("b64")
    if set(stored) != {"b64", "dtype", "shape"} or dtype not in _BLOB_DTYPES:
        raise AuditError(
            f"malformed array ({dtype!r})", field=where, expected="{b64, dtype, shape}"
        )
    if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
        raise AuditError(f"bad shape {shape!r}", field=where, expected="a list of sizes")
    try:
        raw = base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        raise AuditError("bad base64", field=where) from None
    dt = np.dtype(str(dtype))
    if len(raw) != math.prod(shape) * dt.itemsize:
        raise AuditError(f"has {len(raw)} bytes", field=where, expected=f"shape {shape} of {dt}")
    if dt.kind == "b" and raw and max(raw) > 1:
        raise AuditError("boolean bytes other than 0 and 1", field=where)
    arr = np.frombuffer(raw, dtype=dt).reshape(shape)
    # Integers were stored in the narrowest type that holds them; every integer
    # array feedrank logs is int64, so they widen back to it.
    return arr.astype(np.int64 if dt.kind in "iu" else dt.newbyteorder("="))


def _unnum(
    stored: Any, where: str, kinds: str, shape: tuple[int, ...] | None = None
) -> NDArray[Any]:
    """Inverse of :func:`_num`; ``kinds``: accepted dtype kinds ("f", "iu", "b")."""
    if isinstance(stored, Mapping):
        arr = _unblob(stored, where)
        if arr.dtype.kind not in kinds:
            raise AuditError(f"has dtype {arr.dtype}", field=where, expected=f"kind {kinds}")
    elif isinstance(stored, list):
        flat = _flatten(stored)
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


def _strings(stored: Any, where: str) -> list[str]:
    if not isinstance(stored, list) or not all(isinstance(x, str) for x in stored):
        raise AuditError("not a list of strings", field=where, expected="a list of strings")
    return stored


def _plain(value: Any, where: str) -> Any:
    """Python values of a model dump as JSON values (sets sorted, enums by value)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AuditError(f"value {value}", field=where, expected="a finite number")
        return value
    if isinstance(value, Enum):
        return _plain(value.value, where)
    if isinstance(value, Mapping):
        return {str(_plain(k, where)): _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v, where) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    raise AuditError(f"cannot log a {type(value).__name__}", field=where)


# ------------------------------------------------------ batch, context, viewer
def _encode_tags(tags: Tags, arrays: ArrayEncoding) -> dict[str, Any]:
    return {
        "codes": _num(tags.codes, arrays),
        "indptr": _num(tags.indptr, arrays),
        "vocabulary": list(tags.vocabulary),
    }


def _decode_tags(stored: Any, n: int, where: str) -> Tags:
    if not isinstance(stored, Mapping) or set(stored) != {"codes", "indptr", "vocabulary"}:
        raise AuditError("malformed tags", field=where, expected="{codes, indptr, vocabulary}")
    vocab = _strings(stored["vocabulary"], f"{where}.vocabulary")
    indptr = _unnum(stored["indptr"], f"{where}.indptr", "iu").astype(np.int64)
    codes = _unnum(stored["codes"], f"{where}.codes", "iu").astype(np.int64)
    ok = (
        vocab == sorted(set(vocab))
        and all(vocab)
        and indptr.shape == (n + 1,)
        and codes.ndim == 1
        and indptr[0] == 0
        and bool(np.all(np.diff(indptr) >= 0))
        and indptr[-1] == codes.shape[0]
        and bool(np.all((codes >= 0) & (codes < len(vocab))))
    )
    if ok and codes.shape[0] > 1:
        row_start = np.zeros(codes.shape[0], dtype=bool)
        row_start[indptr[:-1][indptr[:-1] < codes.shape[0]]] = True
        ok = bool(np.all((np.diff(codes) > 0) | row_start[1:]))
    if not ok:
        raise AuditError(
            "inconsistent tag table",
            field=where,
            expected="a sorted vocabulary, n + 1 row offsets, sorted codes within each row",
        )
    return Tags(tuple(vocab), indptr, codes)


def _encode_batch(batch: PostBatch, arrays: ArrayEncoding) -> dict[str, Any]:
    unknown = {f.name for f in fields(PostBatch)} - BATCH_COLUMNS
    if unknown:
        raise AuditError(
            f"PostBatch has columns the decision log does not know: {sorted(unknown)}",
            field="inputs.batch",
            expected="feedrank.audit.record to store every column",
        )
    counts = batch.counts
    used = np.flatnonzero(counts.any(axis=0)).tolist() if len(batch) else []
    out: dict[str, Any] = {
        "author_followers": _num(batch.author_followers, arrays),
        "author_ids": batch.author_ids.tolist(),
        "counts": {KINDS[j].value: _num(counts[:, j], arrays) for j in used},
        "created_at": _num(batch.created_at, arrays),
        "embeddings": None,
        "features": {name: _num(col, arrays) for name, col in batch.features.items()},
        "ids": batch.ids.tolist(),
        "labels": _encode_tags(batch.labels, arrays),
        "topics": _encode_tags(batch.topics, arrays),
    }
    if batch.embeddings is not None:
        out["embeddings"] = {
            "dim": int(batch.embeddings.shape[1]),
            "has": _num(batch.has_embedding, arrays),
            "values": _num(batch.embeddings, arrays),
        }
    for name in (*_STRING_COLUMNS, *_TEXT_COLUMNS):
        column = getattr(batch, name)
        if column.shape[0] and not bool(np.all(column == "")):
            out[name] = column.tolist()
    return out


def _decode_batch(stored: Mapping[str, Any]) -> PostBatch:
    w = "inputs.batch"
    required = {"author_followers", "author_ids", "counts", "created_at", "embeddings"}
    required |= {"features", "ids", "labels", "topics"}
    missing, extra = required - set(stored), set(stored) - required - BATCH_COLUMNS
    if missing or extra:
        raise AuditError(f"missing {sorted(missing)}, unknown {sorted(extra)}", field=w)
    ids = _strings(stored["ids"], f"{w}.ids")
    n = len(ids)
    counts, features = stored["counts"], stored["features"]
    if not isinstance(counts, Mapping) or not isinstance(features, Mapping):
        raise AuditError("counts and features must be objects", field=w)
    embeddings: NDArray[np.float64] | None = None
    emb = stored["embeddings"]
    if emb is not None:
        if not isinstance(emb, Mapping) or set(emb) != {"dim", "has", "values"}:
            raise AuditError("malformed", field=f"{w}.embeddings", expected="{dim, has, values}")
        dim = emb["dim"]
        if type(dim) is not int or dim < 1:
            raise AuditError(f"dim {dim!r}", field=f"{w}.embeddings.dim")
        has = _unnum(emb["has"], f"{w}.embeddings.has", "b", (n,))
        values = _unnum(emb["values"], f"{w}.embeddings.values", "f", (n, dim))
        embeddings = values.astype(np.float64)
        embeddings[~has] = np.nan
    optional: dict[str, Any] = {}
    for name in (*_STRING_COLUMNS, *_TEXT_COLUMNS):
        if name in stored:
            values_s = _strings(stored[name], f"{w}.{name}")
            optional[name] = np.array(values_s, dtype=TEXT if name in _TEXT_COLUMNS else np.str_)

    def col(name: str, kinds: str, value: Any) -> NDArray[Any]:
        return _unnum(value, f"{w}.{name}", kinds, (n,))

    try:
        return PostBatch.from_columns(
            ids=np.array(ids, dtype=np.str_) if n else np.zeros(0, dtype="U1"),
            author_ids=np.array(_strings(stored["author_ids"], f"{w}.author_ids"), dtype=np.str_)
            if n
            else np.zeros(0, dtype="U1"),
            created_at=col("created_at", "iu", stored["created_at"]),
            counts={str(k): col(f"counts.{k}", "iu", v) for k, v in counts.items()},
            features={str(k): col(f"features.{k}", "f", v) for k, v in features.items()},
            topics=_decode_tags(stored["topics"], n, f"{w}.topics"),
            labels=_decode_tags(stored["labels"], n, f"{w}.labels"),
            embeddings=embeddings,
            author_followers=col("author_followers", "f", stored["author_followers"]),
            **optional,
        )
    except FeedrankError as exc:
        if isinstance(exc, AuditError):
            raise
        raise AuditError(str(exc), field=w) from None


_FIXED_CONTEXT = ("now", "viewer")


def _encode_context(ctx: Context, arrays: ArrayEncoding) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(ctx):
        if f.name in _FIXED_CONTEXT:
            continue
        value = getattr(ctx, f.name)
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "biufUT":
            raise AuditError(
                f"cannot log a {type(value).__name__}",
                field=f"ctx.{f.name}",
                expected="per-post numpy arrays (bool, int, float, str) in Context",
            )
        if value.dtype.kind in "UT":
            out[f.name] = {"data": value.tolist(), "dtype": "str", "shape": list(value.shape)}
        elif arrays == "binary":
            out[f.name] = _blob(value)
        else:
            dtype = value.dtype.newbyteorder("<").str
            out[f.name] = {"data": _num(value, arrays), "dtype": dtype, "shape": list(value.shape)}
    return out


def _decode_context_array(stored: Any, where: str) -> NDArray[Any]:
    if isinstance(stored, Mapping) and "b64" in stored:
        return _unblob(stored, where)
    if not isinstance(stored, Mapping) or set(stored) != {"data", "dtype", "shape"}:
        raise AuditError("malformed array", field=where, expected="{b64 | data, dtype, shape}")
    dtype, shape = stored["dtype"], stored["shape"]
    if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
        raise AuditError(f"bad shape {shape!r}", field=where)
    if dtype == "str":
        flat = _strings(_flatten(_strings_or_lists(stored["data"], where)), where)
        arr = np.array(flat, dtype=np.str_) if flat else np.zeros(0, dtype="U1")
        return arr.reshape(shape)
    if dtype not in _BLOB_DTYPES:
        raise AuditError(f"dtype {dtype!r}", field=where, expected=", ".join(sorted(_BLOB_DTYPES)))
    dt = np.dtype(str(dtype))
    kinds = "f" if dt.kind == "f" else "b" if dt.kind == "b" else "iu"
    return _unnum(stored["data"], where, kinds, tuple(shape)).astype(dt.newbyteorder("="))


def _strings_or_lists(data: Any, where: str) -> list[Any]:
    if not isinstance(data, list):
        raise AuditError("not a list", field=where)
    return data


def _decode_context(stored: Mapping[str, Any], now: int, viewer: Viewer | None, n: int) -> Context:
    arrays: dict[str, Any] = {}
    known: set[str] = set()
    for f in fields(Context):
        if f.name in _FIXED_CONTEXT:
            continue
        known.add(f.name)
        where = f"inputs.context.{f.name}"
        if f.name not in stored:
            if f.default is MISSING and f.default_factory is MISSING:
                raise AuditError(
                    "missing: the record predates this Context array",
                    field=where,
                    expected="every per-post array of Context",
                )
            continue
        arr = _decode_context_array(stored[f.name], where)
        if arr.ndim >= 1 and arr.shape[0] != n:
            raise AuditError(f"has {arr.shape[0]} rows", field=where, expected=f"{n} rows")
        arrays[f.name] = arr
    extra = set(stored) - known
    if extra:
        raise AuditError(
            f"arrays this version of Context does not have: {sorted(extra)}",
            field="inputs.context",
        )
    return Context(now=now, viewer=viewer, **arrays)


def _encode_viewer(viewer: Viewer | None, batch: PostBatch, key: bytes) -> dict[str, Any] | None:
    if viewer is None:
        return None
    rest = viewer.model_dump(mode="python", exclude={*_AUTHOR_SETS, *_POST_SETS, "id"})
    out: dict[str, Any] = _plain(rest, "viewer")
    authors = set(batch.author_ids.tolist())
    posts = set(batch.ids.tolist())
    for name in _AUTHOR_SETS:
        out[name] = sorted(getattr(viewer, name) & authors)
    for name in _POST_SETS:
        out[name] = sorted(getattr(viewer, name) & posts)
    out["id"] = pseudonym(viewer.id, key)
    return out


# ----------------------------------------------------------------- writing
def _utf8(text: str, where: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AuditError(
            f"text that is not valid Unicode ({exc.reason})",
            field=where,
            expected="strings without lone surrogates",
        ) from None


@dataclass(frozen=True)
class EncodedRequest:
    """A request serialised outside the log lock: the UTF-8 canonical JSON of
    every field except ``seq``, ``prev`` and ``hash``, which :meth:`line` adds."""

    now: int
    request_id: str
    inputs: bytes
    outputs: bytes
    spec: bytes

    def _pieces(self, seq: int, prev: str) -> list[bytes]:
        # The members after "{" in sorted key order; every value is canonical.
        return [
            b'"inputs":',
            self.inputs,
            b',"now":%d,"outputs":' % self.now,
            self.outputs,
            b',"prev":"%s","request_id":' % prev.encode("ascii"),
            _utf8(canonical_json(self.request_id), "request_id"),
            b',"seq":%d,"spec":' % seq,
            self.spec,
            b',"v":%d}' % RECORD_VERSION,
        ]

    def body(self, seq: int, prev: str) -> bytes:
        """The canonical JSON of the record without ``hash``: the bytes it hashes."""
        return b"{" + b"".join(self._pieces(seq, prev))

    def line(self, seq: int, prev: str) -> tuple[bytes, str]:
        """The record as one canonical JSON line (``hash`` sorts first) and its hash."""
        pieces = self._pieces(seq, prev)
        digest = hashlib.sha256(b"{")
        for piece in pieces:
            digest.update(piece)
        hexdigest = digest.hexdigest()
        head = b'{"hash":"%s",' % hexdigest.encode("ascii")
        return b"".join([head, *pieces, b"\n"]), hexdigest


def spec_json(pipeline: Pipeline, *, embed: bool = True) -> str:
    """Canonical JSON of a record's ``spec`` field for ``pipeline``."""
    ref: dict[str, Any] = {
        "fingerprint": pipeline.fingerprint,
        "name": pipeline.name,
        "version": pipeline.version,
    }
    if embed:
        ref["canonical"] = pipeline.to_spec()
    return canonical_json(ref)


def _cursor_key(ranking: Ranking) -> dict[str, Any] | None:
    """Key of the post just before the page: a cursor that reproduces the page."""
    if ranking.page_start == 0:
        return None
    row = int(ranking.order[ranking.page_start - 1])
    cand = int(ranking.kept[row])
    return {
        "created_at": int(ranking.candidates.created_at[cand]),
        "post_id": str(ranking.candidates.ids[cand]),
        "score": float(ranking.scores[row]),
        "tier": int(ranking.tier[row]),
    }


def _encode_outputs(r: Ranking, arrays: ArrayEncoding) -> dict[str, Any]:
    order = r.kept[r.order]
    page = r.page
    removed = np.flatnonzero(r.removed_reasons != "")
    k = page.shape[0]
    return {
        "factor_names": list(r.factor_names),
        "factor_stages": list(r.factor_stages),
        "feed": {
            "order": _num(order, arrays),
            "scores": _num(r.scores[r.order], arrays),
            "tier": _num(r.tier[r.order], arrays),
        },
        "moves": {
            "after": _num(r.moves.after, arrays),
            "before": _num(r.moves.before, arrays),
            "reasons": r.moves.reasons.tolist(),
            "rows": _num(r.kept[r.moves.rows], arrays),
            "stages": _num(r.moves.stages, arrays),
        },
        "next_cursor": r.next_cursor,
        "page": {
            "contributions": _floats(r.contributions[page].reshape(k, len(r.term_names))),
            "factors": _floats(r.factors[page].reshape(k, len(r.factor_names))),
            "ids": r.candidates.ids[order[r.page_start : r.page_stop]].tolist(),
            "scores": _floats(r.scores[page]),
            "start": r.page_start,
            "stop": r.page_stop,
        },
        "removed": {"reasons": r.removed_reasons[removed].tolist(), "rows": _num(removed, arrays)},
        "term_names": list(r.term_names),
    }


def encode_request(
    ranking: Ranking,
    ctx: Context,
    *,
    key: bytes,
    request_id: str | None = None,
    spec: str | None = None,
    arrays: ArrayEncoding = "binary",
) -> EncodedRequest:
    """Serialise one request (everything but ``seq``, ``prev`` and ``hash``).

    ``ctx`` must be the context ``ranking`` was computed with (same rows, same
    ``now``). ``spec`` is :func:`spec_json` of the ranking's pipeline (computed
    if not given). Without a ``request_id`` one is derived from the request:
    the first 32 hex digits of SHA-256 over the canonical JSON of ``[spec
    fingerprint, now, viewer pseudonym or null, page start, candidate ids]``.
    """
    batch = ranking.candidates
    if len(ctx) != len(batch) or ctx.now != ranking.now:
        raise AuditError(
            f"context has {len(ctx)} rows at now={ctx.now}; the ranking has "
            f"{len(batch)} candidates at now={ranking.now}",
            field="ctx",
            expected="the Context the ranking was computed with",
        )
    if request_id is not None and (
        not isinstance(request_id, str) or not 0 < len(request_id) <= 256 or "\x00" in request_id
    ):
        raise AuditError(
            f"request id {request_id!r}",
            field="request_id",
            expected="a non-empty string of at most 256 characters without NUL",
        )
    inputs = {
        "batch": _encode_batch(batch, arrays),
        "context": _encode_context(ctx, arrays),
        "page": {
            "after": _cursor_key(ranking),
            "limit": max(ranking.page_stop - ranking.page_start, 1),
        },
        "viewer": _encode_viewer(ctx.viewer, batch, key),
    }
    try:
        inputs_json = _emit(inputs)
        outputs_json = _emit(_encode_outputs(ranking, arrays))
    except ValueError as exc:  # a non-finite float outside the arrays
        raise AuditError(str(exc), field="request", expected="finite numbers") from None
    pipeline = ranking.pipeline
    if request_id is None:
        viewer = inputs["viewer"]
        seed = [
            pipeline.fingerprint,
            ranking.now,
            None if viewer is None else viewer["id"],
            ranking.page_start,
            batch.ids.tolist(),
        ]
        digest = hashlib.sha256(_utf8(_ENCODER.encode(seed), "request_id"))
        request_id = digest.hexdigest()[:32]
    return EncodedRequest(
        now=int(ranking.now),
        request_id=request_id,
        inputs=_utf8(inputs_json, "inputs"),
        outputs=_utf8(outputs_json, "outputs"),
        spec=_utf8(spec if spec is not None else spec_json(pipeline), "spec"),
    )


# ----------------------------------------------------------------- reading
Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpecRef(_Model):
    """Which spec ranked the request; ``canonical`` is the spec itself when embedded."""

    fingerprint: Hex64
    name: str
    version: str
    canonical: dict[str, Any] | None = None


class CursorKey(_Model):
    """Key of the post served just before the page."""

    tier: int
    score: float
    created_at: int
    post_id: str


class PageInput(_Model):
    """Page size (posts served, at least 1) and the key the page started after."""

    limit: Annotated[int, Field(ge=1)]
    after: CursorKey | None = None


class RequestInputs(_Model):
    """Everything needed to rank the request again."""

    batch: dict[str, Any]
    context: dict[str, Any]
    page: PageInput
    viewer: dict[str, Any] | None


class FeedData(_Model):
    """The whole feed: candidate rows best first, their scores and tiers."""

    order: Any
    scores: Any
    tier: Any


class PageData(_Model):
    """The served page: positions ``[start, stop)`` of the feed, ids, scores and parts."""

    start: Annotated[int, Field(ge=0)]
    stop: Annotated[int, Field(ge=0)]
    ids: list[str]
    scores: list[Any]
    contributions: list[list[Any]]
    factors: list[list[Any]]


class RemovedData(_Model):
    """Candidate rows removed by filters, with the reason of the first filter."""

    rows: Any
    reasons: list[str]


class MovesData(_Model):
    """Every re-ranker move: candidate row, stage index, positions and reason."""

    rows: Any
    stages: Any
    before: Any
    after: Any
    reasons: list[str]


class RequestOutputs(_Model):
    """What the ranker computed and served."""

    term_names: list[str]
    factor_names: list[str]
    factor_stages: list[int]
    feed: FeedData
    page: PageData
    removed: RemovedData
    moves: MovesData
    next_cursor: str | None


class AuditRecord(_Model):
    """One validated record of a decision log (see :mod:`feedrank.audit`).

    :meth:`batch`, :meth:`context` and :meth:`viewer` rebuild the request's
    inputs exactly; the other methods give the outputs as numpy arrays.
    """

    hash: Hex64
    v: Literal[1]
    seq: Annotated[int, Field(ge=1)]
    request_id: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    prev: Hex64
    now: int
    spec: SpecRef
    inputs: RequestInputs
    outputs: RequestOutputs

    def viewer(self) -> Viewer | None:
        """The pseudonymised, minimised viewer, or None for an anonymous feed."""
        if self.inputs.viewer is None:
            return None
        try:
            return Viewer.model_validate(self.inputs.viewer)
        except ValidationError as exc:
            raise AuditError(str(exc.errors()[0]["msg"]), field="inputs.viewer") from None

    def batch(self) -> PostBatch:
        """The candidates: the :class:`PostBatch` that was ranked."""
        return _decode_batch(self.inputs.batch)

    def context(self, batch: PostBatch | None = None) -> Context:
        """The :class:`Context` the request was ranked with (``batch``: from :meth:`batch`)."""
        n = len(batch if batch is not None else self.batch())
        return _decode_context(self.inputs.context, self.now, self.viewer(), n)

    def pipeline(self) -> Pipeline:
        """The embedded spec as a :class:`~feedrank.Pipeline` (AuditError if absent)."""
        from feedrank.spec.files import parse_spec

        if self.spec.canonical is None:
            raise AuditError(
                "the record does not embed its spec",
                field="spec.canonical",
                expected="a spec passed to replay",
            )
        return parse_spec(self.spec.canonical)

    def order(self) -> NDArray[np.intp]:
        """ndarray (m,), intp: candidate rows of the kept posts, best first."""
        return _unnum(self.outputs.feed.order, "outputs.feed.order", "iu").astype(np.intp)

    def scores(self) -> NDArray[np.float64]:
        """ndarray (m,), float64: scores of the kept posts, aligned with :meth:`order`."""
        return _unnum(self.outputs.feed.scores, "outputs.feed.scores", "f").astype(np.float64)

    def page_scores(self) -> NDArray[np.float64]:
        """ndarray (k,), float64: scores of the served page, best first."""
        shape = (len(self.outputs.page.ids),)
        return _unnum(self.outputs.page.scores, "outputs.page.scores", "f", shape)

    def contributions(self) -> NDArray[np.float64]:
        """ndarray (k, T), float64: term contributions of the served page."""
        shape = (len(self.outputs.page.ids), len(self.outputs.term_names))
        return _unnum(self.outputs.page.contributions, "outputs.page.contributions", "f", shape)

    def factors(self) -> NDArray[np.float64]:
        """ndarray (k, F), float64: factors of the served page."""
        shape = (len(self.outputs.page.ids), len(self.outputs.factor_names))
        return _unnum(self.outputs.page.factors, "outputs.page.factors", "f", shape)

    def removed_rows(self) -> NDArray[np.intp]:
        """ndarray (r,), intp: candidate rows removed by filters (reasons aligned)."""
        return _unnum(self.outputs.removed.rows, "outputs.removed.rows", "iu").astype(np.intp)

    def moves(self) -> list[tuple[int, int, int, int, str]]:
        """Every move as (candidate row, stage, before, after, reason)."""
        m = self.outputs.moves
        cols = [
            _unnum(getattr(m, name), f"outputs.moves.{name}", "iu").tolist()
            for name in ("rows", "stages", "before", "after")
        ]
        if any(len(c) != len(m.reasons) for c in cols):
            raise AuditError("columns of different lengths", field="outputs.moves")
        return list(zip(*cols, m.reasons, strict=True))


def parse_record(data: Mapping[str, Any]) -> AuditRecord:
    """Validate a parsed JSON line into an :class:`AuditRecord` (AuditError if not)."""
    try:
        return AuditRecord.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or None
        raise AuditError(first["msg"], field=where) from None


def record_hash(data: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the canonical JSON of ``data`` without its ``hash`` field."""
    body = {k: v for k, v in data.items() if k != "hash"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def spec_matches(ref: SpecRef) -> bool:
    """Whether an embedded spec (if any) hashes to the fingerprint the record names."""
    return ref.canonical is None or fingerprint(ref.canonical) == ref.fingerprint
