"""MovieLens as an evaluation set: the qrels of its ratings and the benchmark's
temporal split of them.

The cut is the ``split`` quantile of the rating times. Candidates are the items
rated before the cut (counts and ``mean_rating`` from those ratings only); a
user's request holds the items they had not rated before the cut; relevance is
:func:`~feedrank.datasets.movielens_grade` of their ratings after the cut
(unrated items are judged 0).

>>> import tempfile, pathlib
>>> from feedrank.datasets import load_movielens
>>> path = pathlib.Path(tempfile.mkdtemp()) / "u.data"
>>> _ = path.write_text("1\\t10\\t5\\t881250949\\n2\\t10\\t3\\t891717742\\n")
>>> qrels = movielens_qrels(load_movielens(path))
>>> qrels.query_ids.tolist(), qrels.relevance.tolist()
(['1', '2'], [3, 1])
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np

from feedrank._time import EPOCH
from feedrank.datasets.movielens import MovieLensData, movielens_grade
from feedrank.errors import InputError
from feedrank.evaluate.qrels import Qrels
from feedrank.evaluate.split import BenchmarkData, BenchRequest, cut_data, split_fraction
from feedrank.models import Viewer

__all__ = ["movielens_qrels", "movielens_split"]


def movielens_qrels(data: MovieLensData) -> Qrels:
    """Graded relevance of every rated (user, item): query = user, document = item,
    grade = :func:`~feedrank.datasets.movielens_grade` of the rating (0..3)."""
    return Qrels(data.user_ids, data.item_ids, movielens_grade(data.ratings))


def movielens_split(
    data: MovieLensData,
    *,
    split: float = 0.8,
    relevance_threshold: int = 2,
    max_queries: int | None = None,
    seed: int = 0,
) -> BenchmarkData:
    """Cut MovieLens ratings at the ``split`` quantile of their times; see the module.

    One request per user with a held-out rating after the cut of grade >=
    ``relevance_threshold`` (2: 4 stars or more) on an item visible at the cut
    and not rated before it.
    """
    m = len(data)
    if m < 2:
        raise InputError(f"{m} ratings", field="path", expected="at least 2 ratings")
    times = np.sort(data.rated_at)
    cut_us = int(times[min(m - 1, max(1, math.floor(split_fraction(split) * m)))])
    if cut_us <= int(times[0]):
        raise InputError(
            "every rating has the same time", field="path", expected="ratings at different times"
        )
    cut = EPOCH + timedelta(microseconds=cut_us)
    train = data.rated_at < cut_us
    before = MovieLensData(
        user_ids=data.user_ids[train],
        item_ids=data.item_ids[train],
        ratings=data.ratings[train],
        rated_at=data.rated_at[train],
        lines=data.lines[train],
        like_threshold=data.like_threshold,
        errors=[],
        source=data.source,
    )
    batch = before.batch()
    ids = batch.ids  # the items rated before the cut, sorted
    rated: dict[str, list[int]] = {}
    for row, user in enumerate(before.user_ids.tolist()):
        rated.setdefault(user, []).append(row)
    test = ~train & np.isin(data.item_ids, ids)
    grades_all = movielens_grade(data.ratings)
    held: dict[str, list[int]] = {}
    for row in np.flatnonzero(test).tolist():
        held.setdefault(str(data.user_ids[row]), []).append(row)
    requests: list[BenchRequest] = []
    for user in sorted(held):
        rows_test = np.array(held[user], dtype=np.intp)
        if not np.any(grades_all[rows_test] >= relevance_threshold):
            continue
        mine = rated.get(user, [])
        seen_items = before.item_ids[mine]
        rows = np.flatnonzero(~np.isin(ids, seen_items)).astype(np.intp)
        cand = ids[rows]
        grades = np.zeros(rows.shape[0], dtype=np.int64)
        where = np.searchsorted(cand, data.item_ids[rows_test])  # ids are sorted
        grades[where] = grades_all[rows_test]
        requests.append(
            BenchRequest(
                query_id=user,
                viewer=Viewer(id=user, seen=frozenset(seen_items.tolist())),
                interactions=tuple(before.interactions[r] for r in mine),
                rows=rows,
                judged_ids=cand,
                grades=grades,
            )
        )
    return cut_data(
        "movielens",
        cut=cut,
        batch=batch,
        requests=requests,
        post_authors={item: item for item in ids.tolist()},
        relevance_threshold=relevance_threshold,
        max_queries=max_queries,
        seed=seed,
        facts={"source": data.source, "ratings": m, "ratings_before_cut": int(train.sum())},
        relevance="movielens_grade of the ratings after the cut, relevant if >= "
        f"{relevance_threshold}",
    )
