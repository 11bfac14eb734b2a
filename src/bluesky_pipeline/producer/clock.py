"""The simulated clock of `--simulate`: slot n of the stream reads start + n * step microseconds.

Bots and faults place their events on this clock; only the pacing of the output follows the wall clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Clock:
    """Times in microseconds since the epoch, naive (the reference producer prints naive times)."""

    start_us: int
    step_us: float

    def at(self, slot: int) -> int:
        """What the clock reads at `slot`."""
        return self.start_us + int(slot * self.step_us)

    def slots(self, first: int, count: int) -> np.ndarray:
        """What the clock reads at `count` slots from `first` on."""
        times: np.ndarray = self.start_us + ((first + np.arange(count)) * self.step_us).astype(np.int64)
        return times

    def slot_at(self, micros: int) -> int:
        """The first slot whose clock reads `micros` or later."""
        return math.ceil((micros - self.start_us) / self.step_us)
