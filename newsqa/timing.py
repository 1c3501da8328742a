"""A small timer for the per-stage timings that answers, ingestion and benchmarks report."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Timer:
    """Started on creation; ``ms`` and ``seconds`` read the time elapsed since."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self._start

    @property
    def ms(self) -> float:
        return self.seconds * 1000


@contextmanager
def timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Record the block's duration in milliseconds as ``timings[stage]``."""
    timer = Timer()
    try:
        yield
    finally:
        timings[stage] = timer.ms
