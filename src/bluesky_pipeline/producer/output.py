"""Where lines go: stdout in large writes, thinned by the sampling rate.

Every mode writes bytes to `sys.stdout.buffer`; logs go to stderr, so stdout carries nothing but events.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from typing import BinaryIO


def stdout() -> BinaryIO:
    """The binary stdout every mode writes to (the text layer would re-encode and re-buffer)."""
    return sys.stdout.buffer


class Sampler:
    """Keeps each line with probability `rate`, as the reference producer's first argument does.

    With a seed the choice is reproducible (`--simulate --seed`); without one it differs per run.
    """

    def __init__(self, rate: float, seed: int | None = None) -> None:
        self._rate = rate
        self._random = random.Random(seed).random  # noqa: S311 (sampling, not secrecy)

    def keep(self) -> bool:
        """Whether to print the next line."""
        return self._random() < self._rate

    def sample(self, lines: Sequence[bytes]) -> list[bytes]:
        """The lines kept, in order."""
        draw, rate = self._random, self._rate
        return [line for line in lines if draw() < rate]
