"""The benchmark's progress bar, redrawn at most ten times a second."""

from __future__ import annotations

import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """``bench [####....] done/total label`` on ``stream`` (nothing when None), one
    :meth:`step` per ranked request."""

    def __init__(self, stream: TextIO | None, total: int) -> None:
        self.stream, self.total, self.done, self.last = stream, total, 0, -1.0

    def step(self, label: str) -> None:
        """Count one more done and redraw (always on the last step)."""
        self.done += 1
        if self.stream is None:
            return
        now = time.monotonic()
        if self.done < self.total and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        filled = width * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(f"\rbench [{bar}] {self.done}/{self.total} {label:<24.24}")
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()
