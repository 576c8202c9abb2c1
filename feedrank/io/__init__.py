"""Reading and writing posts, authors, interactions and viewers as JSON Lines.

Reading is bounded: a line of at most :data:`MAX_LINE_BYTES`, a viewer file of
at most :data:`MAX_VIEWER_BYTES`, nesting at most :data:`MAX_DEPTH` deep; the
read functions take the first two as parameters. Invalid UTF-8 and a key given
twice are errors at their line (:mod:`feedrank.io.decoding`).
"""

from __future__ import annotations

from feedrank.io.decoding import MAX_DEPTH
from feedrank.io.jsonl import (
    MAX_LINE_BYTES,
    MAX_VIEWER_BYTES,
    LoadReport,
    read_authors,
    read_interactions,
    read_jsonl,
    read_posts,
    read_viewer,
    write_jsonl,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_LINE_BYTES",
    "MAX_VIEWER_BYTES",
    "LoadReport",
    "read_authors",
    "read_interactions",
    "read_jsonl",
    "read_posts",
    "read_viewer",
    "write_jsonl",
]
