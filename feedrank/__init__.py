"""feedrank: rank social feeds with an algorithm anyone can read, replay and audit.

>>> from datetime import datetime, timezone
>>> import feedrank as fr
>>> t = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
>>> posts = [fr.Post(id="a", author_id="ann", created_at=t, counts={"like": 5}),
...          fr.Post(id="b", author_id="bob", created_at=t, counts={"like": 9})]
>>> pipeline = fr.load_spec("balanced")
>>> batch = fr.PostBatch.from_posts(posts)
>>> ranking = pipeline.rank(batch, fr.Context.build(batch, now=t, viewer=fr.Viewer(id="v")))
>>> ranking.post_ids
['b', 'a']
>>> print(ranking.explain("b").terms[0].name, round(ranking.explain("b").terms[0].contribution, 4))
engagement 2.3026
"""

from __future__ import annotations

from feedrank.audit import AuditError, DecisionLog, read_log, replay, verify
from feedrank.batch.context import AffinityModel, Context
from feedrank.batch.posts import KINDS, PostBatch
from feedrank.batch.tags import Tags
from feedrank.bridging import BridgingFit, StatusRule, fit_bridging
from feedrank.engine.cursor import Cursor
from feedrank.engine.many import ContextBatch, RankingBatch
from feedrank.errors import (
    BatchError,
    CursorError,
    FeedrankError,
    InputError,
    RankingError,
    RegistryError,
    SpecError,
)
from feedrank.io.jsonl import (
    read_authors,
    read_interactions,
    read_jsonl,
    read_posts,
    read_viewer,
    write_jsonl,
)
from feedrank.learn import LoggedRequest, WeightFit, fit_logistic, fit_ranknet
from feedrank.models import Author, FeedRequest, Interaction, InteractionKind, Post, Viewer
from feedrank.presets import PRESETS, preset
from feedrank.ranking.explain import Comparison, Explanation
from feedrank.ranking.ranking import Move, Ranking
from feedrank.spec.files import (
    diff_specs,
    dump_spec,
    load_spec,
    loads_spec,
    parse_spec,
    spec_schema,
)
from feedrank.spec.pipeline import Pipeline
from feedrank.stages.filters import Filter, register_filter
from feedrank.stages.rerank import Reranker, RerankStep, register_reranker
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals import Signal, register_signal

__version__ = "0.1.0"

__all__ = [
    "KINDS",
    "PRESETS",
    "AffinityModel",
    "AuditError",
    "Author",
    "BatchError",
    "BridgingFit",
    "Comparison",
    "Context",
    "ContextBatch",
    "Cursor",
    "CursorError",
    "DecisionLog",
    "Explanation",
    "Factor",
    "FeedRequest",
    "FeedrankError",
    "Filter",
    "InputError",
    "Interaction",
    "InteractionKind",
    "LoggedRequest",
    "Move",
    "Pipeline",
    "Post",
    "PostBatch",
    "Ranking",
    "RankingBatch",
    "RankingError",
    "RegistryError",
    "RerankStep",
    "Reranker",
    "Scorer",
    "Signal",
    "SpecError",
    "StatusRule",
    "Tags",
    "Term",
    "Viewer",
    "WeightFit",
    "__version__",
    "diff_specs",
    "dump_spec",
    "fit_bridging",
    "fit_logistic",
    "fit_ranknet",
    "load_spec",
    "loads_spec",
    "parse_spec",
    "preset",
    "read_authors",
    "read_interactions",
    "read_jsonl",
    "read_log",
    "read_posts",
    "read_viewer",
    "register_filter",
    "register_reranker",
    "register_signal",
    "replay",
    "spec_schema",
    "verify",
    "write_jsonl",
]
