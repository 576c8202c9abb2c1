"""Datasets with ground truth for benchmarking rankers.

:func:`simulate` builds a social network (people, follows, posts, interactions,
logged feeds) whose relevance of every post to every person is known; see
:mod:`feedrank.datasets.simulator` for the generative model.

>>> from feedrank.datasets import simulate_demo
>>> net = simulate_demo()
>>> len(net.viewers), len(net.posts)
(30, 150)
"""

from __future__ import annotations

from feedrank.datasets.loaders import (
    HackerNewsData,
    HackerNewsSnapshot,
    MovieLensData,
    PostsData,
    load_hacker_news,
    load_movielens,
    load_reddit,
    load_twitter,
    movielens_grade,
)
from feedrank.datasets.network import GRADE_THRESHOLDS, GroundTruth, Impressions, SimulatedNetwork
from feedrank.datasets.simulator import simulate, simulate_demo
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
