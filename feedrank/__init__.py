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

from .audit import AuditError, DecisionLog, read_log, replay, verify
from .batch import KINDS, PostBatch
from .bridging import BridgingFit, StatusRule, fit_bridging
from .context import AffinityModel, Context
from .cursor import Cursor
from .errors import (
    BatchError,
    CursorError,
    FeedrankError,
    InputError,
    RankingError,
    RegistryError,
    SpecError,
)
from .explain import Comparison, Explanation
from .filters import Filter, register_filter
from .jsonl import (
    read_authors,
    read_interactions,
    read_jsonl,
    read_posts,
    read_viewer,
    write_jsonl,
)
from .learn import LoggedRequest, WeightFit, fit_logistic, fit_ranknet
from .many import ContextBatch, RankingBatch
from .models import Author, FeedRequest, Interaction, InteractionKind, Post, Viewer
from .pipeline import Pipeline
from .presets import PRESETS, preset
from .ranking import Move, Ranking
from .rerank import Reranker, RerankStep, register_reranker
from .scoring import Factor, Scorer, Term
from .signals import Signal, register_signal
from .spec import diff_specs, dump_spec, load_spec, loads_spec, parse_spec, spec_schema
from .tags import Tags

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
