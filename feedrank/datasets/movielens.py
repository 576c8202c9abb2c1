"""MovieLens ratings in their published formats: ``u.data`` (ml-100k),
``ratings.csv`` (ml-latest, ml-25m) and ``ratings.dat`` (ml-1m), read into
columns, with the posts and interactions they stand for.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "u.data").write_text("1\\t10\\t5\\t881250949\\n2\\t10\\t3\\t891717742\\n")
>>> ml = load_movielens(folder / "u.data")
>>> len(ml), [p.id for p in ml.posts], ml.posts[0].counts[InteractionKind.LIKE]
(2, ['10'], 1)
>>> [(i.viewer_id, i.kind.value, i.value) for i in ml.interactions]
[('1', 'like', 5.0), ('2', 'view', 3.0)]
>>> movielens_grade(ml.ratings).tolist()
[3, 1]
>>> _ = (folder / "bad.data").write_text("1\\t10\\tfive\\t881250949\\n")
>>> try:
...     load_movielens(folder / "bad.data")
... except InputError as err:
...     print(err.line, err.field, err.message)
1 rating 'five' is not a number
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import IO, Literal

import numpy as np
from numpy.typing import NDArray

from feedrank._time import EPOCH
from feedrank.batch.posts import PostBatch
from feedrank.datasets._rows import MICROS, Errors, PathLike, Rows, bad, open_text
from feedrank.errors import InputError
from feedrank.models import Interaction, InteractionKind, Post

__all__ = ["MovieLensData", "MovieLensFormat", "load_movielens", "movielens_grade"]

MovieLensFormat = Literal["auto", "u.data", "ratings.csv", "ratings.dat"]


@dataclass(frozen=True, eq=False)
class MovieLensData:
    """MovieLens ratings as columns, with the posts and interactions derived from
    them.

    Columns (m = number of valid ratings, in file order):

    - ``user_ids``, ``item_ids``: ndarray (m,), str.
    - ``ratings``: ndarray (m,), float64 (stars, 0.5 to 5).
    - ``rated_at``: ndarray (m,), int64 microseconds since the epoch (UTC).
    - ``lines``: ndarray (m,), int64, the 1-based line of each rating.

    Derived (see :func:`load_movielens` for the mapping):

    - ``posts``: one :class:`~feedrank.Post` per item, sorted by item id.
    - ``interactions``: one :class:`~feedrank.Interaction` per rating (built on
      first access).
    """

    user_ids: NDArray[np.str_]
    item_ids: NDArray[np.str_]
    ratings: NDArray[np.float64]
    rated_at: NDArray[np.int64]
    lines: NDArray[np.int64]
    like_threshold: float
    errors: list[InputError]
    source: str

    def __len__(self) -> int:
        return int(self.ratings.shape[0])

    @cached_property
    def posts(self) -> list[Post]:
        """One post per item: id and author = the item id, ``created_at`` = the
        first rating, counts ``view`` = ratings and ``like`` = ratings >=
        ``like_threshold``, feature ``mean_rating``."""
        if not len(self):
            return []
        items, inverse = np.unique(self.item_ids, return_inverse=True)
        k = items.shape[0]
        first = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, inverse, self.rated_at)
        views = np.bincount(inverse, minlength=k)
        likes = np.bincount(inverse, weights=self.ratings >= self.like_threshold, minlength=k)
        mean = np.bincount(inverse, weights=self.ratings, minlength=k) / views
        return [
            Post(
                id=str(items[j]),
                author_id=str(items[j]),
                created_at=EPOCH + timedelta(microseconds=int(first[j])),
                counts={InteractionKind.VIEW: int(views[j]), InteractionKind.LIKE: int(likes[j])},
                features={"mean_rating": float(mean[j])},
            )
            for j in range(k)
        ]

    @cached_property
    def interactions(self) -> list[Interaction]:
        """One interaction per rating, in file order: kind ``like`` when the
        rating is >= ``like_threshold``, else ``view``; ``value`` = the rating."""
        like = self.ratings >= self.like_threshold
        return [
            Interaction(
                viewer_id=str(u),
                post_id=str(i),
                kind=InteractionKind.LIKE if liked else InteractionKind.VIEW,
                at=EPOCH + timedelta(microseconds=int(t)),
                value=float(r),
            )
            for u, i, r, t, liked in zip(
                self.user_ids.tolist(),
                self.item_ids.tolist(),
                self.ratings.tolist(),
                self.rated_at.tolist(),
                like.tolist(),
                strict=True,
            )
        ]

    def batch(self) -> PostBatch:
        """:attr:`posts` as a :class:`~feedrank.PostBatch`."""
        return PostBatch.from_posts(self.posts)


def movielens_grade(ratings: NDArray[np.float64]) -> NDArray[np.int64]:
    """Graded relevance of star ratings: ``clip(floor(r) − 2, 0, 3)``.

    ndarray (m,), float64 → ndarray (m,), int64: 5 → 3, 4 and 4.5 → 2, 3 and
    3.5 → 1, below 3 → 0. "Relevant" in the binary sense (grade >= 2) is a
    rating of 4 or more, the usual MovieLens convention.

    >>> movielens_grade(np.array([5.0, 4.5, 4.0, 3.0, 2.5, 0.5])).tolist()
    [3, 2, 2, 1, 0, 0]
    """
    grades = np.clip(np.floor(np.asarray(ratings, dtype=np.float64)) - 2.0, 0.0, 3.0)
    return grades.astype(np.int64)


_ML_COLUMNS = ("userId", "movieId", "rating", "timestamp")


def _ml_format(path: Path, fmt: MovieLensFormat) -> MovieLensFormat:
    if fmt != "auto":
        if fmt not in ("u.data", "ratings.csv", "ratings.dat"):
            raise InputError(
                f"format={fmt!r}",
                field="format",
                expected="'auto', 'u.data', 'ratings.csv' or 'ratings.dat'",
            )
        return fmt
    name = path.name.removesuffix(".gz")
    if name.endswith(".csv"):
        return "ratings.csv"
    if name.endswith(".dat") and name != "u.data":
        return "ratings.dat"
    return "u.data"


def _ml_lines(
    fh: IO[str], where: str, fmt: MovieLensFormat, rows: Rows
) -> Iterator[tuple[int, list[str]]]:
    if fmt == "ratings.csv":
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != list(_ML_COLUMNS):
            rows.fail(
                bad(
                    f"header is {header!r}",
                    where,
                    1,
                    None,
                    expected="userId,movieId,rating,timestamp",
                )
            )
            return
        last = reader.line_num
        for values in reader:
            start, last = last + 1, reader.line_num
            if values:
                yield start, values
        return
    sep = "\t" if fmt == "u.data" else "::"
    for number, line in enumerate(fh, start=1):
        text = line.rstrip("\r\n")
        if text.strip():
            yield number, text.split(sep)


def load_movielens(
    path: PathLike,
    *,
    format: MovieLensFormat = "auto",
    like_threshold: float = 4.0,
    errors: Errors = "raise",
) -> MovieLensData:
    """Read MovieLens ratings: ``u.data`` (ml-100k: ``user<TAB>item<TAB>rating<TAB>
    timestamp``, no header), ``ratings.csv`` (ml-latest / ml-25m: header
    ``userId,movieId,rating,timestamp``) or ``ratings.dat`` (ml-1m:
    ``user::item::rating::timestamp``); ``format="auto"`` picks by file name
    (``.csv`` → ratings.csv, other ``.dat`` → ratings.dat, else u.data).

    Validation per row: 4 fields; non-empty user and item ids; rating a finite
    number in [0.5, 5]; timestamp integer epoch seconds >= 0; each (user, item)
    rated once.

    Mapping (documented choices, nothing dropped):

    - every rating is one :class:`~feedrank.Interaction` of the user
      (``viewer_id`` = userId) on the item (``post_id`` = movieId) at the rating
      time: kind ``like`` if ``rating >= like_threshold`` (default 4 stars), else
      ``view``; ``value`` is always the rating, so the full information survives.
    - every item is one :class:`~feedrank.Post`: ``author_id`` is a placeholder
      equal to the item id (MovieLens has no authors; one author per item keeps
      author-diversity re-rankers neutral), ``created_at`` the item's first
      rating (the release date is not in the ratings file), counts ``view`` =
      number of ratings and ``like`` = ratings >= ``like_threshold``, feature
      ``mean_rating``.
    - graded relevance: ``grade = clip(floor(rating) − 2, 0, 3)``
      (:func:`movielens_grade`); :func:`~feedrank.evaluate.movielens.movielens_qrels`
      gives the qrels of every rating.
    """
    file = Path(path)
    where = str(file)
    fmt = _ml_format(file, format)
    if not (isinstance(like_threshold, (int, float)) and math.isfinite(like_threshold)):
        raise InputError(
            f"like_threshold={like_threshold!r}", field="like_threshold", expected="a number"
        )
    rows = Rows(errors)
    users: list[str] = []
    items: list[str] = []
    ratings: list[float] = []
    times: list[int] = []
    lines: list[int] = []
    seen: dict[tuple[str, str], int] = {}
    with open_text(file, "utf-8") as fh:
        for number, values in _ml_lines(fh, where, fmt, rows):
            try:
                parsed = _ml_row(values, where, number)
            except InputError as problem:
                rows.fail(problem)
                continue
            key = (parsed[0], parsed[1])
            if key in seen:
                rows.fail(
                    bad(
                        f"user {key[0]!r} rated item {key[1]!r} again (first on line {seen[key]})",
                        where,
                        number,
                        "movieId" if fmt == "ratings.csv" else "item",
                        record=key[1],
                        expected="one rating per user and item",
                    )
                )
                continue
            seen[key] = number
            users.append(parsed[0])
            items.append(parsed[1])
            ratings.append(parsed[2])
            times.append(parsed[3])
            lines.append(number)
    return MovieLensData(
        user_ids=_strings(users),
        item_ids=_strings(items),
        ratings=np.array(ratings, dtype=np.float64),
        rated_at=np.array(times, dtype=np.int64),
        lines=np.array(lines, dtype=np.int64),
        like_threshold=float(like_threshold),
        errors=rows.problems,
        source=where,
    )


def _ml_row(values: list[str], where: str, line: int) -> tuple[str, str, float, int]:
    names = ("user", "item", "rating", "timestamp")
    if len(values) != 4:
        raise bad(
            f"row has {len(values)} fields",
            where,
            line,
            None,
            expected="4 fields: user, item, rating, timestamp",
        )
    user, item, rating_text, stamp = (v.strip() for v in values)
    for name, value in zip(names[:2], (user, item), strict=True):
        if not value or "\x00" in value:
            raise bad("is empty", where, line, name, expected="a non-empty id")
    try:
        rating = float(rating_text)
    except ValueError:
        raise bad(
            f"{rating_text!r} is not a number",
            where,
            line,
            "rating",
            record=item,
            expected="stars from 0.5 to 5",
        ) from None
    if not (math.isfinite(rating) and 0.5 <= rating <= 5.0):
        raise bad(
            f"rating {rating_text} is out of range",
            where,
            line,
            "rating",
            record=item,
            expected="stars from 0.5 to 5",
        )
    if not re.fullmatch(r"[0-9]+", stamp):
        raise bad(
            f"{stamp!r} is not a timestamp",
            where,
            line,
            "timestamp",
            record=item,
            expected="integer epoch seconds >= 0",
        )
    seconds = int(stamp)
    if seconds > 253_402_300_799:  # 9999-12-31T23:59:59Z
        raise bad(
            f"{stamp} is out of range",
            where,
            line,
            "timestamp",
            record=item,
            expected="epoch seconds before year 10000",
        )
    return user, item, rating, seconds * MICROS


def _strings(values: list[str]) -> NDArray[np.str_]:
    return np.array(values, dtype=np.str_) if values else np.zeros(0, dtype="U1")
