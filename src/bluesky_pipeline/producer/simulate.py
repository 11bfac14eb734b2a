"""`--simulate`: print the simulated network's lines, paced in real time or as fast as the reader takes them.

The clock the lines carry is simulated (start + n / rate), so the output is byte-identical for the same
arguments; only the pacing, which decides when lines are written, follows the wall clock.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from bluesky_pipeline.producer.output import Sampler
from bluesky_pipeline.producer.world import World

DEFAULT_RATE = 2000.0
DEFAULT_START = datetime(2026, 1, 1)
PACING_INTERVAL_S = 0.05  # paced output is written in slices of this much time


@dataclass(frozen=True)
class Simulation:
    """What to simulate: `rate` 0 means as fast as possible, with the clock still at `DEFAULT_RATE`."""

    seed: int = 0
    rate: float = DEFAULT_RATE
    start: datetime = DEFAULT_START
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
    remaining = simulation.total
    slice_size = max(1, round(simulation.rate * PACING_INTERVAL_S))
    started = time.monotonic()
    written = 0
    while remaining is None or remaining > 0:
        lines = world.batch()
        if remaining is not None:
            lines = lines[:remaining]
            remaining -= len(lines)
        if not simulation.rate:
            _write(out, lines, sampler)
            continue
        for begin in range(0, len(lines), slice_size):
            delay = started + written / simulation.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            chunk = lines[begin : begin + slice_size]
            _write(out, chunk, sampler)
            out.flush()
            written += len(chunk)
    out.flush()


def _write(out: BinaryIO, lines: list[bytes], sampler: Sampler | None) -> None:
    out.write(b"".join(lines if sampler is None else sampler.sample(lines)))
