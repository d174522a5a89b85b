"""A one-line progress display (rows done, rows per second) on a terminal, nothing otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Counts rows; redraws ``\\r12,345 rows  8,901 rows/s`` at most every ``interval`` seconds.

    Draws only when ``stream.isatty()``: piped or redirected output stays clean.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        enabled: bool | None = None,
    ) -> None:
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self.interval = interval
        self.clock = clock
        self.rows = 0
        self._start = clock()
        self._last = self._start
        self._drawn = False

    def tick(self, rows: int = 1) -> None:
        """Count ``rows`` more; redraw when the interval has passed."""
        self.rows += rows
        if self.enabled and not self.rows % 256:
            now = self.clock()
            if now - self._last >= self.interval:
                self._last = now
                self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self._start, 1e-9)
        self.stream.write(f"\r{self.rows:,} rows  {self.rows / elapsed:,.0f} rows/s ")
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        """Draw the final count and end the line (only if anything was drawn)."""
        if self.enabled and self._drawn:
            self._draw(self.clock())
            self.stream.write("\n")
            self.stream.flush()
