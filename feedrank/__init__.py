"""feedrank: rank social feeds with an algorithm anyone can read, replay and audit.

>>> from datetime import datetime, timezone
>>> import feedrank as fr
>>> t = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
>>> posts = [fr.Post(id="a", author_id="ann", created_at=t, counts={"like": 5}),
...          fr.Post(id="b", author_id="bob", created_at=t, counts={"like": 9})]
>>> pipeline = fr.preset("balanced")
>>> batch = fr.PostBatch.from_posts(posts)
>>> ranking = pipeline.rank(batch, fr.Context.build(batch, now=t, viewer=fr.Viewer(id="v")))
>>> ranking.post_ids
['b', 'a']
>>> print(ranking.explain("b").terms[0].name, round(ranking.explain("b").terms[0].contribution, 4))
engagement 2.3026
"""

from feedrank._version import __version__
from feedrank.batch import AffinityModel, Context, PostBatch, Tags
from feedrank.batch.requests import Requests
from feedrank.engine.cursor import Cursor
from feedrank.engine.result import Move
from feedrank.errors import (
    BatchError,
    CursorError,
    FeedrankError,
    InputError,
    RankingError,
    RegistryError,
    SpecError,
)
from feedrank.models import Author, FeedRequest, Interaction, InteractionKind, Post, Viewer
from feedrank.presets import preset
from feedrank.ranking import Comparison, Explanation, Ranking, RankingBatch
from feedrank.spec import Pipeline, dump_spec, load_spec
from feedrank.stages.filters import Filter, register_filter
from feedrank.stages.rerank import Reranker, RerankStep, register_reranker
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals import Signal, register_signal

__all__ = [
    "AffinityModel",
    "Author",
    "BatchError",
    "Comparison",
    "Context",
    "Cursor",
    "CursorError",
    "Explanation",
    "Factor",
    "FeedRequest",
    "FeedrankError",
    "Filter",
    "InputError",
    "Interaction",
    "InteractionKind",
    "Move",
    "Pipeline",
    "Post",
    "PostBatch",
    "Ranking",
    "RankingBatch",
    "RankingError",
    "RegistryError",
    "Requests",
    "RerankStep",
    "Reranker",
    "Scorer",
    "Signal",
    "SpecError",
    "Tags",
    "Term",
    "Viewer",
    "__version__",
    "dump_spec",
    "load_spec",
    "preset",
    "register_filter",
    "register_reranker",
    "register_signal",
]
