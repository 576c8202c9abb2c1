"""Specs: a ranking algorithm as data (TOML or JSON), its loading, diffing and schema;
the controls and alternatives it publishes and a viewer's choice among them."""

from __future__ import annotations

from feedrank.spec.choice import Choice, Chosen, choice_from_json, choose, viewer_reads
from feedrank.spec.choice_many import rank_many_chosen
from feedrank.spec.controls import Alternative, Control
from feedrank.spec.files import (
    SpecChange,
    diff_specs,
    dump_spec,
    load_spec,
    spec_schema,
)
from feedrank.spec.pipeline import Pipeline

__all__ = [
    "Alternative",
    "Choice",
    "Chosen",
    "Control",
    "Pipeline",
    "SpecChange",
    "choice_from_json",
    "choose",
    "diff_specs",
    "dump_spec",
    "load_spec",
    "rank_many_chosen",
    "spec_schema",
    "viewer_reads",
]
