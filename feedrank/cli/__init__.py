"""The ``feedrank`` command line."""

from __future__ import annotations

from feedrank.cli.app import main

__all__ = ["main"]
