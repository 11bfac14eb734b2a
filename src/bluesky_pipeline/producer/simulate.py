"""`--simulate`: print the simulated network's lines, paced in real time or as fast as the reader takes them.

The clock the lines carry is simulated (start + n / rate), so the output is byte-identical for the same
seed, start and options; only the pacing, which decides when lines are written, follows the wall clock.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from bluesky_pipeline.producer.output import Sampler
from bluesky_pipeline.producer.world import World

DEFAULT_RATE = 2000.0
PACING_INTERVAL_S = 0.05  # paced output is written in slices of this much time


@dataclass(frozen=True)
class Simulation:
    """What to simulate: `start` is naive UTC; `rate` 0 means as fast as possible, the clock still at `DEFAULT_RATE`."""

    seed: int
    start: datetime
    rate: float = DEFAULT_RATE
    duration_s: float | None = None
    count: int | None = None
    bad_line_rate: float = 0.0

    @property
    def clock_rate(self) -> float:
        """Events per second of simulated time."""
        return self.rate or DEFAULT_RATE

    @property
    def total(self) -> int | None:
        """How many lines to print before stopping (None: forever)."""
        limits = [self.count] if self.count is not None else []
        if self.duration_s is not None:
            limits.append(math.ceil(self.duration_s * self.clock_rate))
        return min(limits) if limits else None


def simulate(simulation: Simulation, out: BinaryIO, sampler: Sampler | None) -> None:
    """Write the simulated stream to `out` until `simulation.total` lines (or forever)."""
    world = World(simulation.seed, simulation.start, 1e6 / simulation.clock_rate, simulation.bad_line_rate)
    if simulation.rate:
        _paced(world, simulation, out, sampler)
    else:
        _as_fast_as_possible(world, simulation.total, out, sampler)
    out.flush()


def _batches(world: World, total: int | None) -> Iterator[list[bytes]]:
    remaining = total
    while remaining is None or remaining > 0:
        lines = world.batch()
        if remaining is not None:
            lines = lines[:remaining]
            remaining -= len(lines)
        yield lines


def _as_fast_as_possible(world: World, total: int | None, out: BinaryIO, sampler: Sampler | None) -> None:
    writer = _BackgroundWriter(out)
    try:
        for lines in _batches(world, total):
            writer.write(_joined(lines, sampler))
    finally:
        writer.close()


def _paced(world: World, simulation: Simulation, out: BinaryIO, sampler: Sampler | None) -> None:
    slice_size = max(1, round(simulation.rate * PACING_INTERVAL_S))
    started, written = time.monotonic(), 0
    for lines in _batches(world, simulation.total):
        for begin in range(0, len(lines), slice_size):
            delay = started + written / simulation.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            chunk = lines[begin : begin + slice_size]
            out.write(_joined(chunk, sampler))
            out.flush()
            written += len(chunk)


def _joined(lines: list[bytes], sampler: Sampler | None) -> bytes:
    return b"".join(lines if sampler is None else sampler.sample(lines))


class _BackgroundWriter:
    """Writes in a thread of its own, so that rendering the next batch overlaps writing this one.

    A write to a pipe blocks until the reader has taken most of it, and releases the GIL meanwhile. The
    first failure (a closed stdout) is raised to the caller at its next write or at `close`.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        self._error: OSError | None = None
        self._thread = threading.Thread(target=self._run, name="stdout-writer", daemon=True)
        self._thread.start()

    def write(self, chunk: bytes) -> None:
        self._raise_any_error()
        self._chunks.put(chunk)

    def close(self) -> None:
        self._chunks.put(None)
        self._thread.join()
        self._raise_any_error()

    def _raise_any_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            if self._error is None:  # after a failure, keep taking chunks so that `write` never blocks
                try:
                    self._out.write(chunk)
                except OSError as error:
                    self._error = error
