"""The ``feedrank`` command line.

``main`` is loaded on first use, so ``python -m feedrank.cli.app`` runs the module
once, not after an import of itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from feedrank.cli.app import main

__all__ = ["main"]


def __getattr__(name: str) -> Any:
    if name == "main":
        from feedrank.cli.app import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
