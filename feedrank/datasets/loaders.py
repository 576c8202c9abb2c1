"""Loaders for real data in its published formats: MovieLens ratings, the Hacker
News front-page snapshots, the Reddit top-posts CSVs and the FiveThirtyEight
Twitter-ratio CSVs.

Every loader takes a path (files are read, nothing is ever downloaded), opens
``.gz`` files transparently, validates every row and turns it into the
boundary models (:class:`~feedrank.Post`, :class:`~feedrank.Author`,
:class:`~feedrank.Interaction`). A bad row raises
:class:`~feedrank.errors.InputError` naming the file (``source``), the 1-based
line the row starts on (``line``), the record id when it could be read
(``post_id``) and the column (``field``). With ``errors="collect"`` the loader
skips bad rows and returns every problem in the result's ``errors`` list
instead; a file whose header lacks a required column is one error and is
skipped. Timestamps are converted exactly (integer microseconds, never through
a float).

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "u.data").write_text("1\\t10\\t5\\t881250949\\n2\\t10\\t3\\t891717742\\n")
>>> ml = load_movielens(folder / "u.data")
>>> len(ml), [p.id for p in ml.posts], ml.posts[0].counts[InteractionKind.LIKE]
(2, ['10'], 1)
>>> [(i.viewer_id, i.kind.value, i.value) for i in ml.interactions]
[('1', 'like', 5.0), ('2', 'view', 3.0)]
>>> ml.qrels.grades.tolist()
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
import gzip
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import IO, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError

from feedrank._time import EPOCH
from feedrank.batch.posts import PostBatch
from feedrank.errors import InputError
from feedrank.models import Author, Interaction, InteractionKind, Post

__all__ = [
    "HackerNewsData",
    "HackerNewsSnapshot",
    "MovieLensData",
    "PostsData",
    "Qrels",
    "load_hacker_news",
    "load_movielens",
    "load_reddit",
    "load_twitter",
    "movielens_grade",
]

Errors = Literal["raise", "collect"]
PathLike = str | Path
MovieLensFormat = Literal["auto", "u.data", "ratings.csv", "ratings.dat"]

_MICROS = 1_000_000


# ---------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class PostsData:
    """Posts read from one or more files.

    - ``posts``: the valid rows as :class:`~feedrank.Post`, in file order.
    - ``authors``: :class:`~feedrank.Author` records where the data has facts
      about authors (Reddit with a manifest: subreddit subscriber counts), else
      empty — an author without a known follower count is left out rather than
      given a made-up 0.
    - ``errors``: one :class:`~feedrank.errors.InputError` per bad row or file
      (only with ``errors="collect"``; empty otherwise).
    - ``sources``: the files read, in order.
    """

    posts: list[Post]
    authors: list[Author]
    errors: list[InputError]
    sources: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.posts)

    def batch(self) -> PostBatch:
        """The posts as a :class:`~feedrank.PostBatch` (authors fill ``author_followers``)."""
        return PostBatch.from_posts(self.posts, self.authors)


@dataclass(frozen=True, eq=False)
class HackerNewsSnapshot:
    """One Hacker News front page as captured on ``date``.

    ``taken_at`` is the capture time (UTC); ``taken_at_reliable`` is False when
    the source flags the capture time as unreliable (backfilled files) and None
    when the file has no such column. ``posts`` are the stories on that page.
    """

    date: date
    taken_at: datetime
    taken_at_reliable: bool | None
    posts: list[Post]

    def __len__(self) -> int:
        return len(self.posts)

    def batch(self) -> PostBatch:
        """The stories as a :class:`~feedrank.PostBatch`."""
        return PostBatch.from_posts(self.posts)


@dataclass(frozen=True, eq=False)
class HackerNewsData:
    """Front-page snapshots in date order, plus collected ``errors``."""

    snapshots: list[HackerNewsSnapshot]
    errors: list[InputError]
    sources: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.snapshots)

    def snapshot(self, day: date | str) -> HackerNewsSnapshot:
        """The snapshot of ``day`` (a date or ``YYYY-MM-DD``); InputError if absent."""
        wanted = date.fromisoformat(day) if isinstance(day, str) else day
        for snap in self.snapshots:
            if snap.date == wanted:
                return snap
        raise InputError(
            f"no snapshot dated {wanted.isoformat()}",
            field="snapshot_date",
            expected=f"one of the {len(self.snapshots)} loaded dates",
        )


@dataclass(frozen=True, eq=False)
class Qrels:
    """Graded relevance judgements, one row per (user, item), like TREC qrels
    (query = user, document = item).

    - ``user_ids``, ``item_ids``: ndarray (m,), str.
    - ``grades``: ndarray (m,), int64 in 0..3 (see :func:`movielens_grade`).
    """

    user_ids: NDArray[np.str_]
    item_ids: NDArray[np.str_]
    grades: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.grades.shape[0])

    def grades_for(
        self, user_id: str, item_ids: Sequence[str] | NDArray[np.str_]
    ) -> NDArray[np.int64]:
        """ndarray (len(item_ids),), int64: the grade of each item for ``user_id``,
        0 for items the user did not rate (unjudged = not relevant, as trec_eval)."""
        mine = self.user_ids == user_id
        items, grades = self.item_ids[mine], self.grades[mine]
        wanted = np.asarray(item_ids, dtype=np.str_)
        out = np.zeros(wanted.shape, dtype=np.int64)
        if items.size and wanted.size:
            order = np.argsort(items, kind="stable")
            slot = np.minimum(np.searchsorted(items[order], wanted), items.size - 1)
            found = items[order][slot] == wanted
            out[found] = grades[order][slot[found]]
        return out


@dataclass(frozen=True, eq=False)
class MovieLensData:
    """MovieLens ratings as columns, with posts, interactions and qrels derived
    from them.

    Columns (m = number of valid ratings, in file order):

    - ``user_ids``, ``item_ids``: ndarray (m,), str.
    - ``ratings``: ndarray (m,), float64 (stars, 0.5 to 5).
    - ``rated_at``: ndarray (m,), int64 microseconds since the epoch (UTC).
    - ``lines``: ndarray (m,), int64, the 1-based line of each rating.

    Derived (see :func:`load_movielens` for the mapping):

    - ``posts``: one :class:`~feedrank.Post` per item, sorted by item id.
    - ``interactions``: one :class:`~feedrank.Interaction` per rating (built on
      first access).
    - ``qrels``: :class:`Qrels` with ``grade = movielens_grade(rating)``.
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

    @cached_property
    def qrels(self) -> Qrels:
        """Graded relevance of every rated (user, item): :func:`movielens_grade`."""
        return Qrels(self.user_ids, self.item_ids, movielens_grade(self.ratings))

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


# ------------------------------------------------------------ row machinery
class _Rows:
    """Collects good records and problems of one load."""

    def __init__(self, errors: Errors) -> None:
        if errors not in ("raise", "collect"):
            raise InputError(f"errors={errors!r}", field="errors", expected="'raise' or 'collect'")
        self.mode = errors
        self.problems: list[InputError] = []

    def fail(self, problem: InputError) -> None:
        if self.mode == "raise":
            raise problem
        self.problems.append(problem)


def _bad(
    message: str,
    where: str,
    line: int,
    field: str | None,
    *,
    record: str | None = None,
    expected: str | None = None,
) -> InputError:
    return InputError(
        message, source=where, line=line, field=field, post_id=record, expected=expected
    )


@contextmanager
def _open(path: Path, encoding: str) -> Iterator[IO[str]]:
    if not path.is_file():
        raise InputError(f"no such file: {str(path)!r}", field="path", expected="an existing file")
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding=encoding, newline="") as fh:
            yield fh
    else:
        with path.open(encoding=encoding, newline="") as fh:
            yield fh


def _csv_rows(
    fh: IO[str], where: str, required: Sequence[str], rows: _Rows
) -> Iterator[tuple[int, dict[str, str]]]:
    """(start line, row) for every data row of a CSV file with a header; a header
    without a ``required`` column or a row of the wrong width is reported."""
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        rows.fail(_bad("the file is empty", where, 1, None, expected="a CSV header line"))
        return
    except (csv.Error, UnicodeDecodeError) as exc:
        rows.fail(_bad(f"unreadable header: {exc}", where, 1, None, expected="a CSV header"))
        return
    missing = [name for name in required if name not in header]
    if missing:
        rows.fail(
            _bad(
                f"header lacks column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                where,
                1,
                missing[0],
                expected="columns " + ", ".join(required),
            )
        )
        return
    last = reader.line_num
    while True:
        start = last + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            rows.fail(_bad(f"unreadable row: {exc}", where, start, None, expected="a CSV row"))
            if isinstance(exc, UnicodeDecodeError):
                return  # the decoder cannot resynchronise
            last = reader.line_num
            continue
        last = reader.line_num
        if not values:
            continue
        if len(values) != len(header):
            rows.fail(
                _bad(
                    f"row has {len(values)} fields",
                    where,
                    start,
                    None,
                    expected=f"{len(header)} fields like the header",
                )
            )
            continue
        yield start, dict(zip(header, values, strict=True))


class _Field:
    """Typed access to the cells of one row; errors name file, line, record and column."""

    def __init__(self, row: Mapping[str, str], where: str, line: int) -> None:
        self.row, self.where, self.line = row, where, line
        self.record: str | None = None

    def error(self, name: str, message: str, expected: str) -> InputError:
        return _bad(message, self.where, self.line, name, record=self.record, expected=expected)

    def text(self, name: str, *, required: bool = True) -> str:
        value = self.row.get(name, "")
        if required and not value.strip():
            raise self.error(name, "is empty", "a non-empty value")
        return value

    def count(self, name: str) -> int:
        value = self.row.get(name, "")
        if not re.fullmatch(r"[0-9]+", value):
            raise self.error(name, f"{value!r} is not a count", "an integer >= 0")
        return int(value)

    def flag(self, name: str) -> bool:
        value = self.row.get(name, "")
        if value not in ("True", "False"):
            raise self.error(name, f"{value!r} is not a boolean", "True or False")
        return value == "True"

    def epoch(self, name: str) -> datetime:
        value = self.row.get(name, "")
        return _epoch(value, lambda message, expected: self.error(name, message, expected))

    def iso(self, name: str) -> datetime:
        value = self.row.get(name, "")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value):
            raise self.error(name, f"{value!r} is not a UTC timestamp", "YYYY-MM-DDTHH:MM:SSZ")
        try:
            return datetime.fromisoformat(value[:-1] + "+00:00")
        except ValueError:
            raise self.error(
                name, f"{value!r} is not a valid date and time", "YYYY-MM-DDTHH:MM:SSZ"
            ) from None


def _epoch(value: str, error: Callable[[str, str], InputError]) -> datetime:
    """Exact UTC datetime of decimal epoch seconds (``1370746482.0``)."""
    expected = "epoch seconds, e.g. 1370746482.0"
    try:
        seconds = Decimal(value.strip())
    except InvalidOperation:
        raise error(f"{value!r} is not a number", expected) from None
    if not seconds.is_finite() or seconds < 0:
        raise error(f"{value!r} is not a time", expected)
    micros = seconds * _MICROS
    if micros != micros.to_integral_value():
        raise error(f"{value!r} has a fraction below a microsecond", expected)
    try:
        return EPOCH + timedelta(microseconds=int(micros))
    except OverflowError:
        raise error(f"{value!r} is out of range", expected) from None


def _model_error(exc: ValidationError, where: str, line: int, record: str | None) -> InputError:
    first = exc.errors()[0]
    name = ".".join(str(p) for p in first["loc"]) or None
    return _bad(first["msg"], where, line, name, record=record, expected=None)


def _paths(paths: PathLike | Iterable[PathLike], pattern: str) -> list[Path]:
    """A file, a folder (its ``pattern`` files, sorted) or several of them."""
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    out: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.glob(pattern) if p.is_file())
            if not found:
                raise InputError(
                    f"no {pattern} files in {str(path)!r}", field="path", expected="data files"
                )
            out.extend(found)
        else:
            out.append(path)
    if not out:
        raise InputError("no files given", field="path", expected="a file or a folder")
    return out


# ---------------------------------------------------------------- MovieLens
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
    fh: IO[str], where: str, fmt: MovieLensFormat, rows: _Rows
) -> Iterator[tuple[int, list[str]]]:
    if fmt == "ratings.csv":
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != list(_ML_COLUMNS):
            rows.fail(
                _bad(
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
    - qrels: ``grade = clip(floor(rating) − 2, 0, 3)`` (:func:`movielens_grade`).
    """
    file = Path(path)
    where = str(file)
    fmt = _ml_format(file, format)
    if not (isinstance(like_threshold, (int, float)) and math.isfinite(like_threshold)):
        raise InputError(
            f"like_threshold={like_threshold!r}", field="like_threshold", expected="a number"
        )
    rows = _Rows(errors)
    users: list[str] = []
    items: list[str] = []
    ratings: list[float] = []
    times: list[int] = []
    lines: list[int] = []
    seen: dict[tuple[str, str], int] = {}
    with _open(file, "utf-8") as fh:
        for number, values in _ml_lines(fh, where, fmt, rows):
            try:
                parsed = _ml_row(values, where, number)
            except InputError as problem:
                rows.fail(problem)
                continue
            key = (parsed[0], parsed[1])
            if key in seen:
                rows.fail(
                    _bad(
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
        raise _bad(
            f"row has {len(values)} fields",
            where,
            line,
            None,
            expected="4 fields: user, item, rating, timestamp",
        )
    user, item, rating_text, stamp = (v.strip() for v in values)
    for name, value in zip(names[:2], (user, item), strict=True):
        if not value or "\x00" in value:
            raise _bad("is empty", where, line, name, expected="a non-empty id")
    try:
        rating = float(rating_text)
    except ValueError:
        raise _bad(
            f"{rating_text!r} is not a number",
            where,
            line,
            "rating",
            record=item,
            expected="stars from 0.5 to 5",
        ) from None
    if not (math.isfinite(rating) and 0.5 <= rating <= 5.0):
        raise _bad(
            f"rating {rating_text} is out of range",
            where,
            line,
            "rating",
            record=item,
            expected="stars from 0.5 to 5",
        )
    if not re.fullmatch(r"[0-9]+", stamp):
        raise _bad(
            f"{stamp!r} is not a timestamp",
            where,
            line,
            "timestamp",
            record=item,
            expected="integer epoch seconds >= 0",
        )
    seconds = int(stamp)
    if seconds > 253_402_300_799:  # 9999-12-31T23:59:59Z
        raise _bad(
            f"{stamp} is out of range",
            where,
            line,
            "timestamp",
            record=item,
            expected="epoch seconds before year 10000",
        )
    return user, item, rating, seconds * _MICROS


def _strings(values: list[str]) -> NDArray[np.str_]:
    return np.array(values, dtype=np.str_) if values else np.zeros(0, dtype="U1")


# ---------------------------------------------------------------- Hacker News
_HN_REQUIRED = (
    "snapshot_date",
    "snapshot_time_utc",
    "item_id",
    "by",
    "score",
    "comments",
    "submission_time_utc",
)


def load_hacker_news(
    path: PathLike,
    *,
    dates: Iterable[date | str] | None = None,
    errors: Errors = "raise",
) -> HackerNewsData:
    """Read the Hacker News front-page snapshots (``frontpage_snapshots.csv.gz`` of
    ``hn_frontpage_daily``, or an extract with the same columns) into one
    :class:`HackerNewsSnapshot` per ``snapshot_date``, in date order.

    Required columns: snapshot_date, snapshot_time_utc, item_id, by, score,
    comments, submission_time_utc; optional: snapshot_time_reliable (0/1),
    title, url. Each story becomes a :class:`~feedrank.Post`: ``id`` = item_id,
    ``author_id`` = by, ``created_at`` = submission_time_utc (already corrected
    to UTC upstream), counts ``upvote`` = score (HN points, including the
    submitter's own point) and ``reply`` = comments (HN ``descendants``),
    ``url`` and ``text`` = title when present. Validation: integer counts,
    ``...Z`` UTC timestamps, one capture time per date, an item at most once per
    snapshot. ``dates`` keeps only those snapshots (other rows are skipped
    unvalidated).
    """
    file = Path(path)
    where = str(file)
    wanted = None if dates is None else {_as_date(d) for d in dates}
    rows = _Rows(errors)
    pages: dict[date, tuple[datetime, bool | None, list[Post], dict[str, int]]] = {}
    with _open(file, "utf-8") as fh:
        for line, row in _csv_rows(fh, where, _HN_REQUIRED, rows):
            get = _Field(row, where, line)
            get.record = row.get("item_id") or None
            try:
                day = _day(get)
                if wanted is not None and day not in wanted:
                    continue
                taken = get.iso("snapshot_time_utc")
                reliable: bool | None = None
                if "snapshot_time_reliable" in row:
                    flag = row["snapshot_time_reliable"]
                    if flag not in ("0", "1"):
                        raise get.error(
                            "snapshot_time_reliable", f"{flag!r} is not a flag", "0 or 1"
                        )
                    reliable = flag == "1"
                post_id = get.text("item_id")
                post = _post(
                    where,
                    line,
                    post_id,
                    author_id=get.text("by"),
                    created_at=get.iso("submission_time_utc"),
                    counts={
                        InteractionKind.UPVOTE: get.count("score"),
                        InteractionKind.REPLY: get.count("comments"),
                    },
                    url=row.get("url") or None,
                    text=row.get("title") or None,
                )
                page = pages.setdefault(day, (taken, reliable, [], {}))
                if page[0] != taken or page[1] != reliable:
                    raise get.error(
                        "snapshot_time_utc" if page[0] != taken else "snapshot_time_reliable",
                        f"differs from the other rows of snapshot {day.isoformat()}",
                        f"{page[0].isoformat()} (reliable={page[1]}) like them",
                    )
                if post_id in page[3]:
                    raise get.error(
                        "item_id",
                        f"appears twice in snapshot {day.isoformat()} (first on line "
                        f"{page[3][post_id]})",
                        "each story once per snapshot",
                    )
            except InputError as problem:
                rows.fail(problem)
                continue
            page[3][post_id] = line
            page[2].append(post)
    snapshots = [
        HackerNewsSnapshot(day, taken, reliable, posts)
        for day, (taken, reliable, posts, _) in sorted(pages.items())
    ]
    return HackerNewsData(snapshots, rows.problems, (where,))


def _as_date(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InputError(f"{value!r}", field="dates", expected="dates or YYYY-MM-DD") from None


def _day(get: _Field) -> date:
    value = get.row.get("snapshot_date", "")
    try:
        if not re.fullmatch(r"\d{4}-\d\d-\d\d", value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise get.error("snapshot_date", f"{value!r} is not a date", "YYYY-MM-DD") from None


def _post(where: str, line: int, post_id: str, **fields: object) -> Post:
    try:
        return Post.model_validate({"id": post_id, **fields})
    except ValidationError as exc:
        raise _model_error(exc, where, line, post_id) from None


# ---------------------------------------------------------------- Reddit
_REDDIT_REQUIRED = ("id", "created_utc", "ups", "downs", "num_comments")


def load_reddit(
    paths: PathLike | Iterable[PathLike],
    *,
    manifest: PathLike | None = None,
    errors: Errors = "raise",
) -> PostsData:
    """Read Reddit top-post CSVs (``reddit_top_2013/data/*.csv``, one file per
    subreddit, or an extract with a ``subreddit`` column); ``paths`` is a file, a
    folder (its ``*.csv`` files, sorted by name) or a list of them.

    Required columns: id, created_utc, ups, downs, num_comments; optional:
    subreddit (default: the file name without ``.csv``), score (checked to equal
    ups − downs), title, selftext, url, over_18, is_self. Each row becomes a
    :class:`~feedrank.Post`: ``id`` = id, ``created_at`` = created_utc (exact),
    counts ``upvote`` = ups, ``downvote`` = downs, ``reply`` = num_comments;
    ``author_id`` = the subreddit (a documented placeholder: the dataset has no
    author column), ``topics`` = (subreddit,); labels ``nsfw`` when over_18 is
    True and ``self`` when is_self is True; ``url`` = url; ``text`` = title, then
    selftext after a blank line when there is one. Ids must be unique across
    all files.

    ``manifest``: the upstream ``manifest.json``; when given, ``authors`` holds one
    :class:`~feedrank.Author` per subreddit read, with ``followers`` = its
    subscriber count and ``attributes`` ``{"kind": "subreddit"}``.

    The 2013 corpus has one invalid row (``MachineLearning.csv`` line 323, post
    ``boqf9``, ``num_comments = -1``): loading the whole folder raises on it;
    pass ``errors="collect"`` to load the other 19,995 rows and get that one
    reported (a negative count is never clamped to 0).
    """
    files = _paths(paths, "*.csv")
    rows = _Rows(errors)
    subscribers = _manifest(Path(manifest)) if manifest is not None else None
    posts: list[Post] = []
    first_line: dict[str, tuple[str, int]] = {}
    subreddits: dict[str, None] = {}
    for file in files:
        where = str(file)
        default_sub = file.name.removesuffix(".gz").removesuffix(".csv")
        with _open(file, "utf-8") as fh:
            for line, row in _csv_rows(fh, where, _REDDIT_REQUIRED, rows):
                get = _Field(row, where, line)
                get.record = row.get("id") or None
                try:
                    post = _reddit_post(get, default_sub)
                    if post.id in first_line:
                        other = first_line[post.id]
                        raise get.error(
                            "id",
                            f"duplicate id (first in {other[0]} line {other[1]})",
                            "ids unique across the files",
                        )
                    if subscribers is not None and post.author_id not in subscribers:
                        raise get.error(
                            "subreddit",
                            f"r/{post.author_id} is not in the manifest",
                            "a subreddit listed in manifest.json",
                        )
                except InputError as problem:
                    rows.fail(problem)
                    continue
                first_line[post.id] = (where, line)
                subreddits[post.author_id] = None
                posts.append(post)
    authors = (
        []
        if subscribers is None
        else [
            Author(id=name, followers=subscribers[name], attributes={"kind": "subreddit"})
            for name in subreddits
        ]
    )
    return PostsData(posts, authors, rows.problems, tuple(str(f) for f in files))


def _reddit_post(get: _Field, default_sub: str) -> Post:
    row = get.row
    post_id = get.text("id")
    ups, downs = get.count("ups"), get.count("downs")
    if "score" in row:
        score = row["score"]
        if not re.fullmatch(r"-?[0-9]+", score) or int(score) != ups - downs:
            raise get.error("score", f"{score!r} is not ups − downs", f"{ups - downs}")
    sub = get.text("subreddit") if "subreddit" in row else default_sub
    labels = []
    if "over_18" in row and get.flag("over_18"):
        labels.append("nsfw")
    if "is_self" in row and get.flag("is_self"):
        labels.append("self")
    title, body = row.get("title", ""), row.get("selftext", "")
    text = f"{title}\n\n{body}" if title and body else (title or body)
    return _post(
        get.where,
        get.line,
        post_id,
        author_id=sub,
        created_at=get.epoch("created_utc"),
        counts={
            InteractionKind.UPVOTE: ups,
            InteractionKind.DOWNVOTE: downs,
            InteractionKind.REPLY: get.count("num_comments"),
        },
        topics=(sub,),
        labels=tuple(labels),
        url=row.get("url") or None,
        text=text or None,
    )


def _manifest(path: Path) -> dict[str, int]:
    """Subreddit name -> subscribers from the upstream manifest.json."""
    where = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"no such file: {where!r}", field="manifest", expected="manifest.json"
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", source=where, line=exc.lineno) from None
    if not isinstance(data, list):
        raise InputError("not a list", source=where, expected="a JSON list of subreddits")
    out: dict[str, int] = {}
    for i, entry in enumerate(data):
        uri = entry.get("uri") if isinstance(entry, dict) else None
        subs = entry.get("subscribers") if isinstance(entry, dict) else None
        found = re.search(r"/r/([^/]+)/?$", uri) if isinstance(uri, str) else None
        if found is None or not isinstance(subs, int) or isinstance(subs, bool) or subs < 0:
            raise InputError(
                f"entry {i} is {entry!r}",
                source=where,
                field=f"[{i}]",
                expected='{"uri": ".../r/<name>/", "subscribers": <integer >= 0>}',
            )
        out[found.group(1)] = subs
    return out


# ---------------------------------------------------------------- Twitter
_TWITTER_REQUIRED = ("created_at", "text", "url", "replies", "retweets", "favorites", "user")
_TWEET_URL = re.compile(r"https?://(?:www\.)?twitter\.com/([A-Za-z0-9_]+)/status/([0-9]+)")
_TWEET_TIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d\d) (\d{1,2}):(\d\d)")


def load_twitter(
    paths: PathLike | Iterable[PathLike],
    *,
    encoding: str = "mac_roman",
    errors: Errors = "raise",
) -> PostsData:
    """Read FiveThirtyEight's twitter-ratio CSVs (``twitter_ratio_2017/*.csv``);
    ``paths`` is a file, a folder (its ``*.csv`` files) or a list.

    The files are not UTF-8: they are decoded as ``encoding`` (default
    ``mac_roman``, which maps every byte, so decoding never fails). Columns:
    created_at (``M/D/YY H:MM``; the time zone is not stated and is read as
    UTC), text, url, replies, retweets, favorites, user. Each row becomes a
    :class:`~feedrank.Post`: ``id`` = the status number at the end of ``url``
    (checked to belong to ``user``), ``author_id`` = user, counts ``reply`` =
    replies, ``repost`` = retweets, ``like`` = favorites, ``url``, ``text``.
    Ids must be unique across the files. The data has no follower counts, so
    ``authors`` is empty.
    """
    files = _paths(paths, "*.csv")
    rows = _Rows(errors)
    posts: list[Post] = []
    first_line: dict[str, tuple[str, int]] = {}
    for file in files:
        where = str(file)
        with _open(file, encoding) as fh:
            for line, row in _csv_rows(fh, where, _TWITTER_REQUIRED, rows):
                get = _Field(row, where, line)
                try:
                    post = _tweet(get)
                    if post.id in first_line:
                        other = first_line[post.id]
                        raise get.error(
                            "url",
                            f"duplicate tweet (first in {other[0]} line {other[1]})",
                            "each tweet once",
                        )
                except InputError as problem:
                    rows.fail(problem)
                    continue
                first_line[post.id] = (where, line)
                posts.append(post)
    return PostsData(posts, [], rows.problems, tuple(str(f) for f in files))


def _tweet(get: _Field) -> Post:
    url = get.text("url")
    found = _TWEET_URL.fullmatch(url.strip())
    if found is None:
        raise get.error(
            "url", f"{url!r} is not a tweet URL", "https://twitter.com/<user>/status/<id>"
        )
    get.record = found.group(2)
    user = get.text("user")
    if found.group(1).lower() != user.lower():
        raise get.error("user", f"{user!r} is not the account of the URL", found.group(1))
    stamp = get.row.get("created_at", "")
    when = _TWEET_TIME.fullmatch(stamp)
    if when is None:
        raise get.error("created_at", f"{stamp!r} is not a date and time", "M/D/YY H:MM")
    try:
        created = datetime.strptime(stamp, "%m/%d/%y %H:%M").replace(tzinfo=EPOCH.tzinfo)
    except ValueError:
        raise get.error("created_at", f"{stamp!r} is not a valid date", "M/D/YY H:MM") from None
    return _post(
        get.where,
        get.line,
        found.group(2),
        author_id=user,
        created_at=created,
        counts={
            InteractionKind.REPLY: get.count("replies"),
            InteractionKind.REPOST: get.count("retweets"),
            InteractionKind.LIKE: get.count("favorites"),
        },
        url=url,
        text=get.row.get("text") or None,
    )
