"""The simulated network's bots: accounts that like in bursts, some fast enough to be fast likers.

They decide which slots of the stream become their likes, and the time each like is printed with.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from bluesky_pipeline.producer.clock import Clock

FAST_BOTS = 6  # fast likers: 70-300 likes a minute, in bursts
STEADY_BOTS = 4  # regular likers below the threshold (15-30 a minute)
BOTS = FAST_BOTS + STEADY_BOTS
BATCHED_BURST_SHARE = 0.3  # bursts written as one batch, all with the same timestamp

BotLike = tuple[int, int, int]  # (slot, actor, printed time in microseconds)


@dataclass
class Bot:
    """An account that likes in bursts during sessions of a few minutes, idle in between."""

    actor: int
    per_minute: float
    burst_sizes: tuple[int, int]
    batched_share: float
    next_burst_us: int
    session_end_us: int


class Bots:
    """The bots (actors `first_actor` on) and their likes scheduled but not yet due."""

    def __init__(self, rng: np.random.Generator, clock: Clock, first_actor: int) -> None:
        self._rng = rng
        self._clock = clock
        self._bots = self._make_bots(first_actor)
        self._pending: list[BotLike] = []

    def _make_bots(self, first_actor: int) -> list[Bot]:
        draw, start_us = self._rng.random, self._clock.start_us
        bots = []
        for number in range(BOTS):
            fast = number < FAST_BOTS
            # The first bot is busy from the start, so that even a short run has a fast liker.
            begins = start_us + (0 if number == 0 else int(draw() * 900e6))
            session_s = 180 + draw() * 420 if number == 0 else 120 + draw() * 480
            bots.append(
                Bot(
                    actor=first_actor + number,
                    per_minute=70 + draw() * 230 if fast else 15 + draw() * 15,
                    burst_sizes=(5, 40) if fast else (1, 2),
                    batched_share=BATCHED_BURST_SHARE if fast else 0.0,
                    next_burst_us=begins,
                    session_end_us=begins + int(session_s * 1e6),
                )
            )
        return bots

    def likes_before(self, end: int) -> list[BotLike]:
        """The bots' likes that fall in slots before `end`, in slot order; later ones wait."""
        pending = self._pending
        for bot in self._bots:
            while self._clock.slot_at(bot.next_burst_us) < end:
                pending.extend(self._burst(bot))
        pending.sort()
        due = bisect.bisect_left(pending, (end, -1, -1))
        likes = pending[:due]
        del pending[:due]
        return likes

    def _burst(self, bot: Bot) -> list[BotLike]:
        """The likes of `bot`'s next burst; schedules the burst after."""
        rng, clock = self._rng, self._clock
        at = bot.next_burst_us
        size = int(rng.integers(bot.burst_sizes[0], bot.burst_sizes[1] + 1))
        if rng.random() < bot.batched_share:
            # One write of many likes: consecutive slots, all printed with the first one's timestamp.
            first = clock.slot_at(at)
            likes = [(first + i, bot.actor, clock.at(first)) for i in range(size)]
        else:
            slots = [clock.slot_at(at + gap) for gap in np.cumsum(rng.integers(50_000, 250_000, size)).tolist()]
            likes = [(slot, bot.actor, clock.at(slot)) for slot in slots]
        mean_gap_us = sum(bot.burst_sizes) / 2 / bot.per_minute * 60e6
        bot.next_burst_us = at + int(rng.exponential(mean_gap_us))
        if bot.next_burst_us > bot.session_end_us:
            bot.next_burst_us = bot.session_end_us + int(rng.uniform(120, 1800) * 1e6)
            bot.session_end_us = bot.next_burst_us + int(rng.uniform(120, 600) * 1e6)
        return likes
