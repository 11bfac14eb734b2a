"""What goes wrong in the simulated stream: late events, repeated lines, reconnect replays, malformed lines.

The kinds of input docs/input.md says the real world sends, mixed into the world's batches at known rates.
"""

from __future__ import annotations

import json

import numpy as np

from bluesky_pipeline.producer.clock import Clock
from bluesky_pipeline.producer.render import Field

# Slots of kinds below EVENT_KINDS hold events (world.py names them); these kinds are the faults'.
EVENT_KINDS = 8
DUPLICATE, REPLAYED, REPLAYED_RESTAMPED, BAD = range(EVENT_KINDS, EVENT_KINDS + 4)

LATE_SHARE = 0.002  # events stamped 1 to 10 minutes behind the clock
LATE_US = (60_000_000, 600_000_000)
DUPLICATE_SHARE = 0.002  # single lines printed again, identical, a little later
# Every few minutes (the first within one), a reconnecting producer prints its last lines again.
FIRST_REPLAY_S, REPLAY_GAP_S = (20, 60), (120, 480)
REPLAY_LINES = (100, 2000)
HISTORY = 4096  # recent lines kept for duplicates, replays and bad lines

EMPTY_LINES = (b"\n", b" \n", b"\r\n", b"\t\n")
NOT_OBJECTS = (b"[1, 2, 3]\n", b'"create"\n', b"42\n", b"null\n", b"true\n")
BAD_VALUES: tuple[tuple[str, object], ...] = (
    ("timestamp", "yesterday"),
    ("timestamp", "2026-13-45T99:00:00"),
    ("timestamp", 1767225600),
    ("path", "app.bsky.feed.like"),
    ("path", None),
    ("repo", 42),
    ("repo", ""),
)


def late_lags(rng: np.random.Generator, count: int) -> np.ndarray:
    """How far each of `count` slots' printed timestamps is behind the clock: 0, or minutes for a few."""
    lag_us = np.zeros(count, dtype=np.int64)
    late = rng.random(count) < LATE_SHARE
    lag_us[late] = rng.integers(*LATE_US, int(late.sum()))
    return lag_us


class Faults:
    """Turns slots into repeats of recent lines and into malformed lines; keeps the recent lines."""

    def __init__(self, rng: np.random.Generator, clock: Clock, bad_line_rate: float) -> None:
        self._rng = rng
        self._clock = clock
        self._bad_line_rate = bad_line_rate
        self._history: list[bytes] = []
        self._next_replay_us = clock.start_us + int(rng.uniform(*FIRST_REPLAY_S) * 1e6)
        self._replays = 0

    def mark_repeats(self, kinds: np.ndarray, first: int) -> tuple[int, int]:
        """Mark single repeated lines and any reconnect replay due in this batch: (its first slot, length)."""
        if not self._history:
            return 0, 0
        batch = len(kinds)
        kinds[self._rng.random(batch) < DUPLICATE_SHARE] = DUPLICATE
        at = max(0, self._clock.slot_at(self._next_replay_us) - first)
        if at >= batch:
            return 0, 0
        length = min(int(self._rng.integers(*REPLAY_LINES)), len(self._history), batch - at)
        # Replays alternate: restamped, as the reference producer prints a replay (it stamps the time it
        # sees an event, not when it happened), then as they were, like a producer that keeps timestamps.
        kinds[at : at + length] = REPLAYED_RESTAMPED if self._replays % 2 == 0 else REPLAYED
        self._replays += 1
        self._next_replay_us += int(self._rng.uniform(*REPLAY_GAP_S) * 1e6)
        return at, length

    def mark_bad_lines(self, kinds: np.ndarray) -> None:
        """Mark the slots that become malformed lines (`--bad-lines`)."""
        if self._bad_line_rate:
            kinds[self._rng.random(len(kinds)) < self._bad_line_rate] = BAD

    def fill_in(
        self,
        lines: list[bytes],
        kinds: np.ndarray,
        replayed: tuple[int, int],
        timestamps: Field,
        stamp_us: np.ndarray,
    ) -> None:
        """Write the marked slots' lines, then remember the batch for later repeats."""
        special = np.flatnonzero(kinds >= EVENT_KINDS)
        if len(special):
            # What a restamped replay is printed with: the slot's timestamp, as isoformat() writes it.
            stamps = timestamps[0][special].view("S26").tolist()
            whole_seconds = (stamp_us[special] % 1_000_000 == 0).tolist()
            stamps = [stamp[:19] if whole else stamp for stamp, whole in zip(stamps, whole_seconds, strict=True)]
            self._spoil(lines, kinds, special, replayed, stamps)
        self._history = (self._history + lines)[-HISTORY:]

    def _spoil(
        self, lines: list[bytes], kinds: np.ndarray, special: np.ndarray, replayed: tuple[int, int], stamps: list[bytes]
    ) -> None:
        history = self._history
        replay_at, replay_length = replayed
        replay_from = len(history) - replay_length - replay_at  # the replay's slots map to history's tail
        events = np.flatnonzero(kinds < EVENT_KINDS).tolist()  # bad lines spoil good ones of this batch
        draws = self._rng.random((len(special), 3)).tolist()
        for slot, kind, stamp, d in zip(special.tolist(), kinds[special].tolist(), stamps, draws, strict=True):
            if kind == DUPLICATE:
                lines[slot] = history[int(d[0] * len(history))]
            elif kind == REPLAYED:
                lines[slot] = history[replay_from + slot]
            elif kind == REPLAYED_RESTAMPED:
                lines[slot] = _restamp(history[replay_from + slot], stamp)
            else:
                lines[slot] = _bad_line(lines[events[int(d[0] * len(events))]], d[1], d[2])


def _restamp(line: bytes, timestamp: bytes) -> bytes:
    """`line` with its timestamp replaced (the rendered lines start with it)."""
    prefix = b'{"timestamp": "'
    if not line.startswith(prefix):
        return line
    return prefix + timestamp + line[line.index(b'"', len(prefix)) :]


def _bad_line(good: bytes, variant_draw: float, draw: float) -> bytes:
    """A malformed line of a kind the real world sends (docs/input.md), some spoiled from the `good` one."""
    variant = int(variant_draw * 40)
    if variant < 8:
        return EMPTY_LINES[int(draw * len(EMPTY_LINES))]
    if variant < 15:
        return good[: len(good) // 2] + b"\n"  # cut short: invalid JSON
    if variant < 20:
        return good.replace(b'"cid": "', b'"cid": "\xff\xfe', 1)  # not UTF-8
    if variant < 25:
        return (*NOT_OBJECTS, b"[" + good[:-1] + b"]\n")[int(draw * (len(NOT_OBJECTS) + 1))]
    event = json.loads(good)
    if variant < 32:
        del event[("timestamp", "path", "repo")[int(draw * 3)]]
    elif variant < 39:
        field, value = BAD_VALUES[int(draw * len(BAD_VALUES))]
        event[field] = value
    else:
        # A valid line of a megabyte, from a third-party collection that no metric reads.
        event["path"] = "blue.zio.atfile.upload/" + str(event.get("path", "")).rsplit("/", 1)[-1]
        event["record"] = {"$type": "blue.zio.atfile.upload", "note": "x" * 1_000_000}
    return json.dumps(event, ensure_ascii=False).encode("utf-8") + b"\n"
