"""The Hacker News front-page snapshots (``hn_frontpage_daily``), one
:class:`HackerNewsSnapshot` per captured day."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from feedrank.batch.posts import PostBatch
from feedrank.datasets._rows import (
    Errors,
    Field,
    PathLike,
    Rows,
    csv_rows,
    open_text,
    validated_post,
)
from feedrank.errors import InputError
from feedrank.models import InteractionKind, Post

__all__ = ["HackerNewsData", "HackerNewsSnapshot", "load_hacker_news"]


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
    rows = Rows(errors)
    pages: dict[date, tuple[datetime, bool | None, list[Post], dict[str, int]]] = {}
    with open_text(file, "utf-8") as fh:
        for line, row in csv_rows(fh, where, _HN_REQUIRED, rows):
            get = Field(row, where, line)
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
                post = validated_post(
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


def _day(get: Field) -> date:
    value = get.row.get("snapshot_date", "")
    try:
        if not re.fullmatch(r"\d{4}-\d\d-\d\d", value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise get.error("snapshot_date", f"{value!r} is not a date", "YYYY-MM-DD") from None
