"""The inputs of a decision record: the candidates and the context, as columns and back.

:func:`encode_batch` writes every column of a :class:`~feedrank.PostBatch` and
:func:`decode_batch` rebuilds it exactly with ``PostBatch.from_columns``;
:func:`encode_context` and :func:`decode_context` do the same for every
per-post array of a :class:`~feedrank.Context`, whatever its fields are. The
fields are described in :mod:`feedrank.audit`.

>>> from datetime import datetime, timezone
>>> from feedrank.models import Post
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> batch = PostBatch.from_posts([Post(id="p1", author_id="a", created_at=t, counts={"like": 3})])
>>> stored = encode_batch(batch, "json")
>>> stored["counts"], decode_batch(stored).counts.tolist() == batch.counts.tolist()
({'like': [3]}, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from feedrank.audit.arrays import (
    BLOB_DTYPES,
    ArrayEncoding,
    blob,
    check_shape,
    decode_array,
    decode_blob,
    decode_strings,
    encode_array,
    flatten,
)
from feedrank.batch._columns import KINDS, TEXT
from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.batch.tags import Tags
from feedrank.errors import AuditError, FeedrankError
from feedrank.models import Viewer

__all__ = [
    "BATCH_COLUMNS",
    "decode_batch",
    "decode_context",
    "encode_batch",
    "encode_context",
    "is_blank",
]

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
        "author_attributes",
        *_STRING_COLUMNS,
        *_TEXT_COLUMNS,
    }
)
"""Every :class:`PostBatch` field a record stores (a test keeps this complete)."""


# ------------------------------------------------------------ candidates
def _encode_tags(tags: Tags, arrays: ArrayEncoding) -> dict[str, Any]:
    return {
        "codes": encode_array(tags.codes, arrays),
        "indptr": encode_array(tags.indptr, arrays),
        "vocabulary": list(tags.vocabulary),
    }


def _decode_tags(stored: Any, n: int, where: str) -> Tags:
    if not isinstance(stored, Mapping) or set(stored) != {"codes", "indptr", "vocabulary"}:
        raise AuditError("malformed tags", field=where, expected="{codes, indptr, vocabulary}")
    vocab = decode_strings(stored["vocabulary"], f"{where}.vocabulary")
    indptr = decode_array(stored["indptr"], f"{where}.indptr", "iu").astype(np.int64)
    codes = decode_array(stored["codes"], f"{where}.codes", "iu").astype(np.int64)
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


def encode_batch(batch: PostBatch, arrays: ArrayEncoding) -> dict[str, Any]:
    """The record's ``inputs.batch``: every column of ``batch``."""
    unknown = {f.name for f in fields(PostBatch)} - BATCH_COLUMNS
    if unknown:
        raise AuditError(
            f"PostBatch has columns the decision log does not know: {sorted(unknown)}",
            field="inputs.batch",
            expected="feedrank.audit.inputs to store every column",
        )
    counts = batch.counts
    used = np.flatnonzero(counts.any(axis=0)).tolist() if len(batch) else []
    out: dict[str, Any] = {
        "author_followers": encode_array(batch.author_followers, arrays),
        "author_ids": batch.author_ids.tolist(),
        "counts": {KINDS[j].value: encode_array(counts[:, j], arrays) for j in used},
        "created_at": encode_array(batch.created_at, arrays),
        "embeddings": None,
        "features": {name: encode_array(col, arrays) for name, col in batch.features.items()},
        "ids": batch.ids.tolist(),
        "labels": _encode_tags(batch.labels, arrays),
        "topics": _encode_tags(batch.topics, arrays),
    }
    if batch.embeddings is not None:
        out["embeddings"] = {
            "dim": int(batch.embeddings.shape[1]),
            "has": encode_array(batch.has_embedding, arrays),
            "values": encode_array(batch.embeddings, arrays),
        }
    for name in (*_STRING_COLUMNS, *_TEXT_COLUMNS):
        column = getattr(batch, name)
        if column.shape[0] and not bool(np.all(column == "")):
            out[name] = column.tolist()
    attributes = batch.author_attributes
    if len(attributes) == len(batch) and attributes.codes.shape[0]:
        out["author_attributes"] = _encode_tags(attributes, arrays)
    return out


def decode_batch(stored: Mapping[str, Any]) -> PostBatch:
    """The :class:`PostBatch` of a record's ``inputs.batch`` (AuditError if malformed)."""
    w = "inputs.batch"
    required = {"author_followers", "author_ids", "counts", "created_at", "embeddings"}
    required |= {"features", "ids", "labels", "topics"}
    missing, extra = required - set(stored), set(stored) - required - BATCH_COLUMNS
    if missing or extra:
        raise AuditError(f"missing {sorted(missing)}, unknown {sorted(extra)}", field=w)
    ids = decode_strings(stored["ids"], f"{w}.ids")
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
        has = decode_array(emb["has"], f"{w}.embeddings.has", "b", (n,))
        values = decode_array(emb["values"], f"{w}.embeddings.values", "f", (n, dim))
        embeddings = values.astype(np.float64)
        embeddings[~has] = np.nan
    optional: dict[str, Any] = {}
    for name in (*_STRING_COLUMNS, *_TEXT_COLUMNS):
        if name in stored:
            values_s = decode_strings(stored[name], f"{w}.{name}")
            optional[name] = np.array(values_s, dtype=TEXT if name in _TEXT_COLUMNS else np.str_)

    def col(name: str, kinds: str, value: Any) -> NDArray[Any]:
        return decode_array(value, f"{w}.{name}", kinds, (n,))

    try:
        return PostBatch.from_columns(
            ids=np.array(ids, dtype=np.str_) if n else np.zeros(0, dtype="U1"),
            author_ids=np.array(
                decode_strings(stored["author_ids"], f"{w}.author_ids"), dtype=np.str_
            )
            if n
            else np.zeros(0, dtype="U1"),
            created_at=col("created_at", "iu", stored["created_at"]),
            counts={str(k): col(f"counts.{k}", "iu", v) for k, v in counts.items()},
            features={str(k): col(f"features.{k}", "f", v) for k, v in features.items()},
            topics=_decode_tags(stored["topics"], n, f"{w}.topics"),
            labels=_decode_tags(stored["labels"], n, f"{w}.labels"),
            embeddings=embeddings,
            author_followers=col("author_followers", "f", stored["author_followers"]),
            author_attributes=_decode_tags(stored["author_attributes"], n, f"{w}.author_attributes")
            if "author_attributes" in stored
            else None,
            **optional,
        )
    except FeedrankError as exc:
        if isinstance(exc, AuditError):
            raise
        raise AuditError(str(exc), field=w) from None


# ------------------------------------------------------------ context
_FIXED_CONTEXT = ("now", "viewer")


def encode_context(ctx: Context, arrays: ArrayEncoding) -> dict[str, Any]:
    """The record's ``inputs.context``: every per-post array of ``ctx``."""
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
            out[f.name] = blob(value)
        else:
            dtype = value.dtype.newbyteorder("<").str
            out[f.name] = {
                "data": encode_array(value, arrays),
                "dtype": dtype,
                "shape": list(value.shape),
            }
    return out


def _decode_context_array(stored: Any, where: str) -> NDArray[Any]:
    if isinstance(stored, Mapping) and "b64" in stored:
        return decode_blob(stored, where)
    if not isinstance(stored, Mapping) or set(stored) != {"data", "dtype", "shape"}:
        raise AuditError("malformed array", field=where, expected="{b64 | data, dtype, shape}")
    dtype = stored["dtype"]
    shape = check_shape(stored["shape"], where)
    if isinstance(dtype, str) and dtype == "str":
        flat = decode_strings(flatten(_strings_or_lists(stored["data"], where)), where)
        arr = np.array(flat, dtype=np.str_) if flat else np.zeros(0, dtype="U1")
        return arr.reshape(shape)
    if not isinstance(dtype, str) or dtype not in BLOB_DTYPES:
        shown = dtype if isinstance(dtype, str) else type(dtype).__name__
        raise AuditError(f"dtype {shown!r}", field=where, expected=", ".join(sorted(BLOB_DTYPES)))
    dt = np.dtype(str(dtype))
    kinds = "f" if dt.kind == "f" else "b" if dt.kind == "b" else "iu"
    return decode_array(stored["data"], where, kinds, shape).astype(dt.newbyteorder("="))


def _strings_or_lists(data: Any, where: str) -> list[Any]:
    if not isinstance(data, list):
        raise AuditError("not a list", field=where)
    return data


def _blank(now: int, n: int) -> Context:
    """The context of an anonymous feed of ``n`` candidates: every array's shape and
    dtype, and the values a context derived from no one holds."""
    return Context(now, None, np.zeros(n, bool), np.zeros(n, bool), np.zeros(n), np.zeros(n))


def is_blank(ctx: Context) -> bool:
    """Whether ``ctx`` holds nothing derived from a person: no viewer, and every
    per-post array what an anonymous feed's context holds (no follows, seen
    posts, affinities, ...)."""
    if ctx.viewer is not None:
        return False
    blank = _blank(ctx.now, len(ctx))
    for f in fields(Context):
        if f.name in _FIXED_CONTEXT:
            continue
        mine, theirs = getattr(ctx, f.name), getattr(blank, f.name)
        if mine.shape != theirs.shape or not np.array_equal(mine, theirs):
            return False
    return True


def decode_context(stored: Mapping[str, Any], now: int, viewer: Viewer | None, n: int) -> Context:
    """The :class:`Context` of a record's ``inputs.context`` for ``n`` candidates
    (AuditError naming the array if one has another shape or kind than Context's)."""
    blank = _blank(now, n)
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
        like = getattr(blank, f.name)
        if arr.shape != like.shape:
            raise AuditError(f"has shape {arr.shape}", field=where, expected=f"shape {like.shape}")
        kinds = "iu" if like.dtype.kind in "iu" else like.dtype.kind
        if arr.dtype.kind not in kinds:
            raise AuditError(f"has dtype {arr.dtype}", field=where, expected=f"{like.dtype} values")
        arrays[f.name] = arr.astype(like.dtype, copy=False)
    extra = set(stored) - known
    if extra:
        raise AuditError(
            f"arrays this version of Context does not have: {sorted(extra)}",
            field="inputs.context",
        )
    return Context(now=now, viewer=viewer, **arrays)
