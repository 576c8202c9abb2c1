"""Specs: a ranking algorithm as data (TOML or JSON), its loading, diffing and schema."""

from __future__ import annotations

from feedrank.spec.files import (
    SpecChange,
    diff_specs,
    dump_spec,
    load_spec,
    spec_schema,
)
from feedrank.spec.pipeline import Pipeline

__all__ = [
    "Pipeline",
    "SpecChange",
    "diff_specs",
    "dump_spec",
    "load_spec",
    "spec_schema",
]
