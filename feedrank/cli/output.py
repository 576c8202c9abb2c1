"""The one output writer of the command line: JSON, text, or a file.

Every command hands what it computed to :func:`emit` (structured data and its
text rendering) or :func:`emit_text` (a finished document such as a card or a
report), so every command writes JSON, text and files the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

__all__ = ["emit", "emit_text"]


def emit(out: TextIO, fmt: str, data: Any, text: str | None = None) -> None:
    """Write ``data`` as indented JSON when ``fmt`` is ``"json"``, else ``text``
    (one trailing newline either way). Values JSON cannot hold are written with
    ``str``."""
    if fmt == "json" or text is None:
        json.dump(data, out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
    else:
        out.write(text if text.endswith("\n") else text + "\n")


def emit_text(out: TextIO, text: str, output: str | Path | None = None) -> None:
    """Write a finished document to ``output`` (saying so on ``out``) or to ``out``."""
    if output:
        Path(output).write_text(text, encoding="utf-8")
        out.write(f"wrote {output}\n")
    else:
        out.write(text)
