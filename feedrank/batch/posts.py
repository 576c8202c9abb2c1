"""PostBatch: the candidate posts as columns with fixed dtypes, validated once.

>>> from datetime import datetime, timezone
>>> import numpy as np
>>> batch = PostBatch.from_columns(
...     ids=np.array(["a", "b"]), author_ids=np.array(["x", "y"]),
...     created_at=np.array(["2026-01-01T00:00", "2026-01-01T01:00"], dtype="datetime64[us]"),
...     counts={"like": np.array([3, 5])})
>>> len(batch), batch.count("like").tolist()
(2, [3, 5])
>>> batch.take(np.array([1])).ids.tolist()
['b']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from feedrank._time import from_micros, to_micros
from feedrank.batch._columns import (
    _KIND_INDEX,
    KINDS,
    TEXT,
    _attribute_tags,
    _check_unique,
    _count_matrix,
    _embedding_matrix,
    _float_column,
    _followers,
    _optional_strings,
    _string_column,
    _tags_column,
    _text_column,
    _time_column,
    _unicode,
    kind_index,
)
from feedrank.batch.segments import check_offsets, group_codes
from feedrank.batch.tags import Tags
from feedrank.batch.text import LowerText
from feedrank.errors import BatchError, InputError
from feedrank.models import Author, InteractionKind, Post

__all__ = ["KINDS", "PostBatch", "kind_index"]


@dataclass(frozen=True, eq=False)
class PostBatch:
    """Candidate posts as a struct of numpy arrays (one row per post).

    Columns (n = number of posts):

    - ``ids``, ``author_ids``: ndarray (n,), unicode; ids are unique and non-empty.
    - ``created_at``: ndarray (n,), int64 microseconds since 1970-01-01 UTC.
    - ``counts``: ndarray (n, len(KINDS)), int64 >= 0, one column per InteractionKind.
    - ``features``: name -> ndarray (n,), float64; NaN marks a post without that feature.
    - ``topics``, ``labels``: :class:`~feedrank.batch.tags.Tags` (sets of strings per post).
    - ``lang``, ``reply_to``, ``repost_of``, ``quote_of``: ndarray (n,), unicode, "" = none.
    - ``url``, ``text``: ndarray (n,), StringDType, "" = none.
    - ``embeddings``: ndarray (n, d), float64 or None; ``has_embedding`` (n,), bool.
    - ``author_followers``: ndarray (n,), float64, NaN where the author is unknown.
    - ``author_attributes``: :class:`~feedrank.batch.tags.Tags`, the attributes of
      each post's author as ``"key=value"`` strings (none where the author is
      unknown); :meth:`author_attribute` reads one key.

    Build with :meth:`from_posts` (validated models) or :meth:`from_columns`
    (arrays, checked without a Python loop). Instances are treated as immutable.
    """

    ids: NDArray[np.str_]
    author_ids: NDArray[np.str_]
    created_at: NDArray[np.int64]
    counts: NDArray[np.int64]
    features: Mapping[str, NDArray[np.float64]] = field(default_factory=dict)
    topics: Tags = field(default_factory=lambda: Tags.empty(0))
    labels: Tags = field(default_factory=lambda: Tags.empty(0))
    lang: NDArray[np.str_] = field(default_factory=lambda: np.zeros(0, dtype="U1"))
    reply_to: NDArray[np.str_] = field(default_factory=lambda: np.zeros(0, dtype="U1"))
    repost_of: NDArray[np.str_] = field(default_factory=lambda: np.zeros(0, dtype="U1"))
    quote_of: NDArray[np.str_] = field(default_factory=lambda: np.zeros(0, dtype="U1"))
    url: NDArray[Any] = field(default_factory=lambda: np.zeros(0, dtype=TEXT))
    text: NDArray[Any] = field(default_factory=lambda: np.zeros(0, dtype=TEXT))
    embeddings: NDArray[np.float64] | None = None
    has_embedding: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    author_followers: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    author_attributes: Tags = field(default_factory=lambda: Tags.empty(0))

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def __repr__(self) -> str:
        feats = ", ".join(sorted(self.features)) or "none"
        return f"PostBatch(n={len(self)}, features=[{feats}])"

    # ------------------------------------------------------------------ access
    def count(self, kind: InteractionKind | str) -> NDArray[np.int64]:
        """ndarray of shape (n,), int64: the count column of ``kind``."""
        return self.counts[:, kind_index(kind)]

    def index_of(self, post_ids: Iterable[str]) -> NDArray[np.intp]:
        """Row of each id in ``post_ids``, or -1 for ids not in the batch."""
        wanted = np.asarray(list(post_ids) if not isinstance(post_ids, np.ndarray) else post_ids)
        if len(self) == 0 or wanted.size == 0:
            return np.full(wanted.shape, -1, dtype=np.intp)
        small = len(self) <= _DICT_ROWS or "_id_index" in self.__dict__
        if small and wanted.ndim == 1 and wanted.shape[0] <= 4096:
            lookup = self._id_index
            return np.fromiter(
                (lookup.get(x, -1) for x in wanted.tolist()), dtype=np.intp, count=wanted.shape[0]
            )
        order, sorted_ids = self._id_sorted
        pos = np.minimum(np.searchsorted(sorted_ids, wanted), len(self) - 1)
        found = sorted_ids[pos] == wanted
        return np.where(found, order[pos], -1).astype(np.intp)

    # ------------------------------------------------- derived, cached per batch
    # The batch is immutable, so indexes derived from its columns are computed once,
    # on first use, and kept on the instance (never serialised: not dataclass fields).
    @cached_property
    def _id_sorted(self) -> tuple[NDArray[np.intp], NDArray[np.str_]]:
        order = np.argsort(self.ids, kind="stable").astype(np.intp)
        return order, self.ids[order]

    @cached_property
    def _id_index(self) -> dict[str, int]:
        return dict(zip(self.ids.tolist(), range(len(self)), strict=True))

    @cached_property
    def _author_groups(self) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """(dense author code of every row, first row of every code)."""
        return group_codes(self.author_ids)

    @cached_property
    def _author_codes(self) -> NDArray[np.intp]:
        """Author group label of every row (equal labels = equal author ids)."""
        return self._author_groups[0]

    @cached_property
    def _author_lookup(self) -> dict[str, int]:
        """Author id -> its code in :attr:`_author_codes`."""
        first = self._author_groups[1]
        return dict(zip(self.author_ids[first].tolist(), range(first.shape[0]), strict=True))

    @cached_property
    def lowered_text(self) -> LowerText:
        """:attr:`text` lower-cased as one searchable string (computed once per batch)."""
        return LowerText.of(self.text)

    def _ids_at(self, rows: NDArray[np.intp]) -> NDArray[np.str_]:
        return self.ids[rows]

    def _authors_in(self, authors: Iterable[str]) -> NDArray[np.bool_]:
        """ndarray (n,), bool: is the post's author in ``authors`` (looked up once
        per distinct author of the batch, not per post)."""
        wanted = authors if isinstance(authors, (set, frozenset)) else set(authors)
        if not wanted or len(self) == 0:
            return np.zeros(len(self), dtype=bool)
        if len(self) > _DICT_ROWS and "_author_groups" not in self.__dict__:
            return np.isin(self.author_ids, _sorted_strings(wanted))
        lookup = self._author_lookup
        hit = np.zeros(len(lookup), dtype=bool)
        hit[[code for a in wanted if (code := lookup.get(a)) is not None]] = True
        out: NDArray[np.bool_] = hit[self._author_codes]
        return out

    def _ids_in(self, post_ids: Iterable[str]) -> NDArray[np.bool_]:
        """ndarray (n,), bool: is the post's id in ``post_ids``."""
        wanted = post_ids if isinstance(post_ids, (set, frozenset)) else set(post_ids)
        if not wanted or len(self) == 0:
            return np.zeros(len(self), dtype=bool)
        if len(self) > _DICT_ROWS and "_id_index" not in self.__dict__:
            return np.isin(self.ids, _sorted_strings(wanted))
        lookup = self._id_index
        out = np.zeros(len(self), dtype=bool)
        out[[row for p in wanted if (row := lookup.get(p)) is not None]] = True
        return out

    def author_attribute(self, key: str) -> NDArray[np.str_]:
        """ndarray (n,), str: the value of author attribute ``key`` of every post
        ("" where its author has none).

        >>> from datetime import datetime, timezone
        >>> from feedrank import Author, Post
        >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
        >>> posts = [Post(id=i, author_id=a, created_at=t) for i, a in (("p", "a"), ("q", "b"))]
        >>> batch = PostBatch.from_posts(posts, [Author(id="a", attributes={"group": "x"})])
        >>> batch.author_attribute("group").tolist()
        ['x', '']
        """
        tags = self.author_attributes
        out = np.zeros(len(self), dtype=np.str_)
        if len(tags) != len(self) or not tags.vocabulary:
            return out
        prefix = key + "="
        values = [t[len(prefix) :] if t.startswith(prefix) else "" for t in tags.vocabulary]
        names = np.array(values, dtype=np.str_)
        hit = names[tags.codes] != ""
        out = np.zeros(len(self), dtype=names.dtype)
        out[tags.row_ids[hit]] = names[tags.codes[hit]]
        return out

    def _slice(self, start: int, stop: int) -> PostBatch:
        """Rows ``start:stop`` as a batch of views (no copy)."""
        return PostBatch(
            ids=self.ids[start:stop],
            author_ids=self.author_ids[start:stop],
            created_at=self.created_at[start:stop],
            counts=self.counts[start:stop],
            features={k: v[start:stop] for k, v in self.features.items()},
            topics=self.topics._slice(start, stop),
            labels=self.labels._slice(start, stop),
            lang=self.lang[start:stop],
            reply_to=self.reply_to[start:stop],
            repost_of=self.repost_of[start:stop],
            quote_of=self.quote_of[start:stop],
            url=self.url[start:stop],
            text=self.text[start:stop],
            embeddings=None if self.embeddings is None else self.embeddings[start:stop],
            has_embedding=self.has_embedding[start:stop],
            author_followers=self.author_followers[start:stop],
            author_attributes=self.author_attributes._slice(start, stop),
        )

    def age_hours(self, now_micros: int | NDArray[np.int64]) -> NDArray[np.float64]:
        """ndarray of shape (n,), float64: hours from creation to ``now`` (negative if
        the post is dated after ``now``); ``now_micros`` may be an array that
        broadcasts against the rows (each row's request time)."""
        return (now_micros - self.created_at).astype(np.float64) / 3_600_000_000.0

    # -------------------------------------------------------------- builders
    @classmethod
    def empty(cls) -> PostBatch:
        """A batch without posts."""
        return cls.from_posts([])

    @classmethod
    def from_posts(
        cls, posts: Sequence[Post], authors: Iterable[Author] | None = None
    ) -> PostBatch:
        """Columns from validated :class:`~feedrank.Post` models.

        ``authors`` fill ``author_followers`` (posts whose author is not given get
        NaN) and ``author_attributes``.
        Duplicate post ids raise :class:`~feedrank.errors.BatchError`.
        """
        n = len(posts)
        known = list(authors) if authors is not None else []
        for i, post in enumerate(posts):
            if not isinstance(post, Post):
                raise BatchError(
                    f"row {i} is a {type(post).__name__}", field="posts", expected="Post models"
                )
        counts = np.zeros((n, len(KINDS)), dtype=np.int64)
        for i, post in enumerate(posts):
            for kind, value in post.counts.items():
                counts[i, _KIND_INDEX[kind]] = value
        names = sorted({name for post in posts for name in post.features})
        features = {
            name: np.fromiter(
                (post.features.get(name, np.nan) for post in posts), dtype=np.float64, count=n
            )
            for name in names
        }
        dims = {len(p.embedding) for p in posts if p.embedding is not None}
        embeddings: NDArray[np.float64] | None = None
        has_embedding = np.fromiter((p.embedding is not None for p in posts), bool, count=n)
        if dims:
            dim = len(next(p.embedding for p in posts if p.embedding is not None) or ())
            embeddings = np.zeros((n, dim), dtype=np.float64)
            for i, post in enumerate(posts):
                if post.embedding is not None:
                    if len(post.embedding) != dim:
                        raise BatchError(
                            f"embedding has {len(post.embedding)} dimensions",
                            field="embedding",
                            post_id=post.id,
                            expected=f"{dim} dimensions like the first embedded post",
                        )
                    embeddings[i] = post.embedding
        created = np.empty(n, dtype=np.int64)
        for i, post in enumerate(posts):
            try:
                created[i] = to_micros(post.created_at, field="created_at")
            except InputError as err:
                raise err.locate(post_id=post.id) from None
        batch = cls(
            ids=_unicode([p.id for p in posts]),
            author_ids=_unicode([p.author_id for p in posts]),
            created_at=created,
            counts=counts,
            features=features,
            topics=Tags.from_lists([p.topics for p in posts]),
            labels=Tags.from_lists([p.labels for p in posts]),
            lang=_unicode([p.lang or "" for p in posts]),
            reply_to=_unicode([p.reply_to or "" for p in posts]),
            repost_of=_unicode([p.repost_of or "" for p in posts]),
            quote_of=_unicode([p.quote_of or "" for p in posts]),
            url=np.array([p.url or "" for p in posts], dtype=TEXT),
            text=np.array([p.text or "" for p in posts], dtype=TEXT),
            embeddings=embeddings,
            has_embedding=has_embedding,
            author_followers=_followers([p.author_id for p in posts], known),
            author_attributes=_attribute_tags([p.author_id for p in posts], known),
        )
        _check_unique(batch.ids)
        return batch

    @classmethod
    def from_columns(
        cls,
        *,
        ids: Any,
        author_ids: Any,
        created_at: Any,
        counts: Mapping[str, Any] | NDArray[np.int64] | None = None,
        features: Mapping[str, Any] | None = None,
        topics: Tags | Sequence[Iterable[str]] | None = None,
        labels: Tags | Sequence[Iterable[str]] | None = None,
        lang: Any = None,
        reply_to: Any = None,
        repost_of: Any = None,
        quote_of: Any = None,
        url: Any = None,
        text: Any = None,
        embeddings: Any = None,
        author_followers: Any = None,
        author_attributes: Tags | Sequence[Iterable[str]] | None = None,
        offsets: Any = None,
        created_at_unit: Literal["s", "ms", "us"] | None = None,
    ) -> PostBatch:
        """Columns from arrays, validated without a Python loop over posts.

        ``created_at`` is integer microseconds since the epoch (UTC), or
        datetime64 of any unit. The unit of integer times is never guessed from
        their values: ``created_at_unit="s"`` or ``"ms"`` reads them as seconds or
        milliseconds. Float times, NaT, times no datetime can hold (before
        0001-01-01 or after 9999-12-31, UTC) and datetime64 finer than a
        microsecond that is not whole microseconds are refused.
        ``counts`` is a mapping kind -> integer array, or an (n, len(KINDS)) array;
        every count is an integer from 0 to 2**63 - 1 (integral floats accepted).
        ``features`` map to float arrays; NaN marks a missing value, inf is rejected.
        ``topics`` and ``labels`` hold one list of strings per post (a string in
        its place is refused, not read as its characters).
        String columns refuse NUL characters; pass lists (or object or StringDType
        arrays) to have that checked for trailing NULs too: a fixed-width numpy
        array has already dropped them.
        ``embeddings`` is (n, d) with a row of NaN for posts without one.
        ``author_attributes`` holds one list of ``"key=value"`` strings per post.
        Errors name the column and the first offending post id.

        ``offsets``: for the candidates of many requests stored one request after
        another (see :meth:`Pipeline.rank_many`), the (S + 1,) start of each
        request's rows; ids must then be unique within each request only (the
        same post may be a candidate of several requests).
        """
        id_arr = _string_column(ids, "ids", None)
        n = id_arr.shape[0]
        segments = None if offsets is None else check_offsets(offsets, n)
        if n and not (np.char.str_len(id_arr) > 0).all():
            raise BatchError(
                "empty post id",
                field="ids",
                expected="non-empty strings",
                post_id=f"<row {int(np.argmin(np.char.str_len(id_arr) > 0))}>",
            )
        _check_unique(id_arr, segments)
        authors = _string_column(author_ids, "author_ids", id_arr)
        if n and not (np.char.str_len(authors) > 0).all():
            bad = int(np.argmin(np.char.str_len(authors) > 0))
            raise BatchError(
                "empty author id",
                field="author_ids",
                post_id=str(id_arr[bad]),
                expected="non-empty strings",
            )
        created = _time_column(created_at, id_arr, created_at_unit)
        count_arr = _count_matrix(counts, id_arr)
        feats = {
            str(name): _float_column(values, f"features.{name}", id_arr, allow_nan=True)
            for name, values in (features or {}).items()
        }
        emb, has_emb = _embedding_matrix(embeddings, id_arr)
        followers = (
            np.full(n, np.nan)
            if author_followers is None
            else _float_column(author_followers, "author_followers", id_arr, allow_nan=True)
        )
        if (followers < 0).any():
            bad = int(np.argmax(followers < 0))
            raise BatchError(
                f"negative follower count {followers[bad]}",
                field="author_followers",
                post_id=str(id_arr[bad]),
                expected="a number >= 0 or NaN for unknown",
            )
        return cls(
            ids=id_arr,
            author_ids=authors,
            created_at=created,
            counts=count_arr,
            features=feats,
            topics=_tags_column(topics, "topics", id_arr),
            labels=_tags_column(labels, "labels", id_arr),
            lang=_optional_strings(lang, "lang", id_arr),
            reply_to=_optional_strings(reply_to, "reply_to", id_arr),
            repost_of=_optional_strings(repost_of, "repost_of", id_arr),
            quote_of=_optional_strings(quote_of, "quote_of", id_arr),
            url=_text_column(url, "url", id_arr),
            text=_text_column(text, "text", id_arr),
            embeddings=emb,
            has_embedding=has_emb,
            author_followers=followers,
            author_attributes=_tags_column(author_attributes, "author_attributes", id_arr),
        )

    # ------------------------------------------------------------ reshaping
    def take(self, index: Any) -> PostBatch:
        """Rows ``index`` (integer positions in any order, or a boolean mask of
        length n) as a new batch."""
        raw = np.asarray(index)
        if raw.dtype == bool:
            if raw.shape != (len(self),):
                raise BatchError(
                    f"boolean mask has shape {raw.shape}",
                    field="index",
                    expected=f"shape ({len(self)},)",
                )
            raw = np.flatnonzero(raw)
        elif raw.size and raw.dtype.kind not in "iu":
            raise BatchError(
                f"index has dtype {raw.dtype}", field="index", expected="integer row positions"
            )
        idx = raw.astype(np.intp)
        out = PostBatch(
            ids=self.ids[idx],
            author_ids=self.author_ids[idx],
            created_at=self.created_at[idx],
            counts=self.counts[idx],
            features={k: v[idx] for k, v in self.features.items()},
            topics=self.topics.take(idx),
            labels=self.labels.take(idx),
            lang=self.lang[idx],
            reply_to=self.reply_to[idx],
            repost_of=self.repost_of[idx],
            quote_of=self.quote_of[idx],
            url=self.url[idx],
            text=self.text[idx],
            embeddings=None if self.embeddings is None else self.embeddings[idx],
            has_embedding=self.has_embedding[idx],
            author_followers=self.author_followers[idx],
            author_attributes=self.author_attributes.take(idx),
        )
        return out

    @classmethod
    def concat(cls, batches: Sequence[PostBatch]) -> PostBatch:
        """Stack batches row-wise. Ids must stay unique across them.

        A feature absent from one batch is NaN (missing) for its rows; embeddings
        must share their dimension.
        """
        return cls._stack(batches, unique=True)

    @classmethod
    def stack(cls, batches: Sequence[PostBatch]) -> tuple[PostBatch, NDArray[np.intp]]:
        """The candidates of many requests, one batch per request, stacked for
        :meth:`Pipeline.rank_many`: (batch, offsets (S + 1,), intp).

        Like :meth:`concat`, but an id may repeat across batches (the same post
        can be a candidate of several requests); each batch keeps its ids unique.
        """
        offsets = np.zeros(len(batches) + 1, dtype=np.intp)
        np.cumsum([len(b) for b in batches], out=offsets[1:])
        return cls._stack(batches, unique=False), offsets

    @classmethod
    def _stack(cls, batches: Sequence[PostBatch], *, unique: bool) -> PostBatch:
        if not batches:
            return cls.empty()
        names = sorted({name for b in batches for name in b.features})
        features = {
            name: np.concatenate([b.features.get(name, np.full(len(b), np.nan)) for b in batches])
            for name in names
        }
        dims = {b.embeddings.shape[1] for b in batches if b.embeddings is not None}
        if len(dims) > 1:
            raise BatchError(
                f"embedding dimensions differ across batches: {sorted(dims)}",
                field="embeddings",
                expected="one dimension",
            )
        embeddings: NDArray[np.float64] | None = None
        if dims:
            dim = dims.pop()
            embeddings = np.concatenate(
                [
                    b.embeddings if b.embeddings is not None else np.zeros((len(b), dim))
                    for b in batches
                ]
            )
        ids = np.concatenate([b.ids for b in batches])
        if unique:
            _check_unique(ids)
        return cls(
            ids=ids,
            author_ids=np.concatenate([b.author_ids for b in batches]),
            created_at=np.concatenate([b.created_at for b in batches]),
            counts=np.concatenate([b.counts for b in batches]),
            features=features,
            topics=Tags.concat([b.topics for b in batches]),
            labels=Tags.concat([b.labels for b in batches]),
            lang=np.concatenate([b.lang for b in batches]),
            reply_to=np.concatenate([b.reply_to for b in batches]),
            repost_of=np.concatenate([b.repost_of for b in batches]),
            quote_of=np.concatenate([b.quote_of for b in batches]),
            url=np.concatenate([b.url for b in batches]).astype(TEXT),
            text=np.concatenate([b.text for b in batches]).astype(TEXT),
            embeddings=embeddings,
            has_embedding=np.concatenate([b.has_embedding for b in batches]),
            author_followers=np.concatenate([b.author_followers for b in batches]),
            author_attributes=Tags.concat([b.author_attributes for b in batches]),
        )

    def to_posts(self) -> list[Post]:
        """The rows back as :class:`~feedrank.Post` models (timestamps in UTC)."""
        topics = self.topics.to_lists()
        labels = self.labels.to_lists()
        posts: list[Post] = []
        for i in range(len(self)):
            row_counts = {KINDS[k]: int(c) for k, c in enumerate(self.counts[i]) if c}
            feats = {
                name: float(col[i]) for name, col in self.features.items() if not np.isnan(col[i])
            }
            emb = (
                tuple(float(x) for x in self.embeddings[i])
                if self.embeddings is not None and self.has_embedding[i]
                else None
            )
            posts.append(
                Post(
                    id=str(self.ids[i]),
                    author_id=str(self.author_ids[i]),
                    created_at=from_micros(int(self.created_at[i])),
                    counts=row_counts,
                    features=feats,
                    topics=topics[i],
                    labels=labels[i],
                    lang=str(self.lang[i]) or None,
                    reply_to=str(self.reply_to[i]) or None,
                    repost_of=str(self.repost_of[i]) or None,
                    quote_of=str(self.quote_of[i]) or None,
                    url=str(self.url[i]) or None,
                    text=str(self.text[i]) or None,
                    embedding=emb,
                )
            )
        return posts


_DICT_ROWS = 200_000
"""Above this many rows, membership tests sort strings instead of building a
Python dict of the batch's ids or authors."""


def _sorted_strings(values: Iterable[str]) -> NDArray[np.str_]:
    items = sorted(values)
    return np.array(items, dtype=np.str_) if items else np.zeros(0, dtype="U1")
