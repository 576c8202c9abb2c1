"""Reading and writing posts, authors, interactions and viewers as JSON Lines."""

from __future__ import annotations

from feedrank.io.jsonl import (
    LoadReport,
    read_authors,
    read_interactions,
    read_jsonl,
    read_posts,
    read_viewer,
    write_jsonl,
)

__all__ = [
    "LoadReport",
    "read_authors",
    "read_interactions",
    "read_jsonl",
    "read_posts",
    "read_viewer",
    "write_jsonl",
]
