"""Units of long work done → a one-line progress bar on standard error, only in a terminal.

Never on standard output (it would corrupt JSON or a table piped on), nothing when standard
error is not a terminal or the command was asked to be quiet, and nothing for work that ends
within ``DELAY`` seconds (a bar that flashes tells nothing). The line is erased when the work
ends, so what stays on the terminal is the command's output.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

__all__ = ["DELAY", "progress"]

DELAY = 0.5  # seconds before the bar first shows
_EVERY = 0.1  # seconds between redraws
_WIDTH = 24


class _Bar:
    def __init__(self, label: str, total: int, unit: str, stream: TextIO):
        self.label, self.total, self.unit, self.stream = label, max(total, 0), unit, stream
        self.done = 0
        self.start = time.monotonic()
        self.drawn = 0.0
        self.shown = 0  # characters on the line now

    def __call__(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.start >= DELAY and now - self.drawn >= _EVERY:
            self.drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        share = min(self.done / self.total, 1.0) if self.total else 1.0
        filled = int(share * _WIDTH)
        elapsed = now - self.start
        left = f", {_clock(elapsed * (1 - share) / share)} left" if 0 < share < 1 else ""
        line = (f"{self.label} [{'#' * filled}{'-' * (_WIDTH - filled)}] {share:4.0%} "
                f"{self.done:,}/{self.total:,} {self.unit}{left}")
        self._write("\r" + line.ljust(self.shown))
        self.shown = len(line)

    def close(self) -> None:
        if self.shown:
            self._write("\r" + " " * self.shown + "\r")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal is no reason to fail the command
            self.shown = 0


def _clock(seconds: float) -> str:
    minutes, s = divmod(int(seconds + 0.5), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}:{m:02d}:{s:02d}" if hours else f"{m}:{s:02d}"


@contextlib.contextmanager
def progress(label: str, total: int, unit: str, *, quiet: bool = False,
             stream: TextIO | None = None) -> Iterator[Callable[[int], None]]:
    """A callable told how many units were just done; it draws on ``stream`` (standard error)
    only when that is a terminal and not ``quiet``."""
    stream = stream if stream is not None else sys.stderr
    try:
        shown = not quiet and stream.isatty()
    except (AttributeError, ValueError):
        shown = False
    if not shown:
        yield lambda n=1: None
        return
    bar = _Bar(label, total, unit, stream)
    try:
        yield bar
    finally:
        bar.close()
