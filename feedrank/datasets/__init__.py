"""Datasets for benchmarking rankers: a simulated network with ground truth, and
loaders of real data.

:func:`simulate` builds a social network (people, follows, posts, interactions,
logged feeds) whose relevance of every post to every person is known; see
:mod:`feedrank.datasets.simulator` for the generative model.

>>> from feedrank.datasets import simulate_demo
>>> net = simulate_demo()
>>> len(net.viewers), len(net.posts)
(30, 150)

The loaders read real data in its published formats: MovieLens ratings
(:func:`load_movielens`), the Hacker News front-page snapshots
(:func:`load_hacker_news`), the Reddit top-posts CSVs (:func:`load_reddit`) and
the FiveThirtyEight Twitter-ratio CSVs (:func:`load_twitter`). Every loader
takes a path (files are read, nothing is ever downloaded), opens ``.gz`` files
transparently, validates every row and turns it into the boundary models
(:class:`~feedrank.Post`, :class:`~feedrank.Author`,
:class:`~feedrank.Interaction`). A bad row raises
:class:`~feedrank.errors.InputError` naming the file (``source``), the 1-based
line the row starts on (``line``), the record id when it could be read
(``post_id``) and the column (``field``). With ``errors="collect"`` the loader
skips bad rows and returns every problem in the result's ``errors`` list
instead; a file whose header lacks a required column is one error and is
skipped. Timestamps are converted exactly (integer microseconds, never through
a float).
"""

from __future__ import annotations

from feedrank.datasets.hacker_news import HackerNewsData, HackerNewsSnapshot, load_hacker_news
from feedrank.datasets.movielens import MovieLensData, load_movielens, movielens_grade
from feedrank.datasets.network import GRADE_THRESHOLDS, GroundTruth, Impressions, SimulatedNetwork
from feedrank.datasets.posts_data import PostsData
from feedrank.datasets.reddit import load_reddit
from feedrank.datasets.simulator import simulate, simulate_demo
from feedrank.datasets.twitter import load_twitter
from feedrank.datasets.vocabulary import TOPICS

__all__ = [
    "GRADE_THRESHOLDS",
    "TOPICS",
    "GroundTruth",
    "HackerNewsData",
    "HackerNewsSnapshot",
    "Impressions",
    "MovieLensData",
    "PostsData",
    "SimulatedNetwork",
    "load_hacker_news",
    "load_movielens",
    "load_reddit",
    "load_twitter",
    "movielens_grade",
    "simulate",
    "simulate_demo",
]
