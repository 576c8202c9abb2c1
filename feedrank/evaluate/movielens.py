"""MovieLens as an evaluation set: the qrels of its ratings.

>>> import tempfile, pathlib
>>> from feedrank.datasets import load_movielens
>>> path = pathlib.Path(tempfile.mkdtemp()) / "u.data"
>>> _ = path.write_text("1\\t10\\t5\\t881250949\\n2\\t10\\t3\\t891717742\\n")
>>> qrels = movielens_qrels(load_movielens(path))
>>> qrels.query_ids.tolist(), qrels.relevance.tolist()
(['1', '2'], [3, 1])
"""

from __future__ import annotations

from feedrank.datasets.movielens import MovieLensData, movielens_grade
from feedrank.evaluate.qrels import Qrels

__all__ = ["movielens_qrels"]


def movielens_qrels(data: MovieLensData) -> Qrels:
    """Graded relevance of every rated (user, item): query = user, document = item,
    grade = :func:`~feedrank.datasets.movielens_grade` of the rating (0..3)."""
    return Qrels(data.user_ids, data.item_ids, movielens_grade(data.ratings))
