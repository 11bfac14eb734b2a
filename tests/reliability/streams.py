"""Streams for the reliability tests: a realistic simulated stream with fast likers, and a paced feeder.

The stream is what ./bluesky --simulate prints (malformed lines included), so the faults below are
judged on the kind of input the pipeline meets for real.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from datetime import datetime, timedelta
from typing import IO

from tests.pipeline import REPO, child_environment
from tests.rules import FAST_LIKER_MIN_LIKES, FAST_LIKER_WINDOW_SECONDS

STREAM_SEED = 11
STREAM_EVENTS = 60_000
STREAM_BAD_LINES = "0.01"


def split_lines(stream: bytes) -> list[bytes]:
    """The lines handle-stream lands from `stream`: split on b"\\n" only, each keeping its newline."""
    parts = stream.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])  # a last line with no newline is landed as it is
    return lines


def simulated_stream() -> list[bytes]:
    """A realistic stream (./bluesky --simulate, with malformed lines) plus two fast likers.

    The simulated stream spans about 30 s of event time, too short for its accounts to be counted on
    as fast likers, so two scripted accounts are woven in: fast-likers.csv then has
    rows whose sliding windows straddle any split of the stream into batches.
    """
    completed = subprocess.run(
        [
            str(REPO / "bluesky"),
            "--simulate",
            "--seed",
            str(STREAM_SEED),
            "--start",
            "2026-01-01T00:00:00",  # where fast_liker_lines() are woven in
            "--rate",
            "0",
            "--count",
            str(STREAM_EVENTS),
            "--bad-lines",
            STREAM_BAD_LINES,
        ],
        capture_output=True,
        env=child_environment(),
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode(errors="replace")
    lines = split_lines(completed.stdout)
    bots = fast_liker_lines()
    step = len(lines) // (len(bots) + 1)
    woven: list[bytes] = []
    for index, bot_line in enumerate(bots):
        woven.extend(lines[index * step : (index + 1) * step])
        woven.append(bot_line)
    woven.extend(lines[len(bots) * step :])
    return woven


def fast_liker_lines() -> list[bytes]:
    """Likes of two fast likers, worked out from the rules (tests/rules.py) so that any threshold holds.

    One makes 20 likes over the threshold within half a window; the other 5 over it, spread over 90%
    of a window (with the rules of transform/dbt_project.yml as shipped: 70 within 30 s, and 55 in 54 s).
    """
    burst = FAST_LIKER_MIN_LIKES + 20
    spread = FAST_LIKER_MIN_LIKES + 5
    bots = [(burst, FAST_LIKER_WINDOW_SECONDS / 2 / burst), (spread, FAST_LIKER_WINDOW_SECONDS * 0.9 / (spread - 1))]
    lines = []
    for bot, (count, step_s) in enumerate(bots):
        for index in range(count):
            seen = datetime(2026, 1, 1, 0, 0, 1) + timedelta(seconds=step_s * index, microseconds=1301 * bot)
            event = {
                "timestamp": seen.isoformat(),
                "action": "create",
                "path": f"app.bsky.feed.like/3reliab{bot}{index:05d}",
                "cid": f"bafyreireliabilitybot{bot}{index:05d}",
                "prev": None,
                "py_type": "com.atproto.sync.subscribeRepos#repoOp",
                "record": {
                    "$type": "app.bsky.feed.like",
                    "createdAt": seen.isoformat(timespec="milliseconds") + "Z",
                    "subject": {
                        "cid": "bafyreireliabilitypost",
                        "uri": f"at://did:plc:reliabilityauthor/app.bsky.feed.post/3reliabpost{index % 7}",
                    },
                },
                "repo": f"did:plc:reliabilitybot{bot}",
            }
            lines.append(json.dumps(event).encode() + b"\n")
    return lines


class PacedFeeder(threading.Thread):
    """Writes lines into a pipe at a steady rate, remembering when each chunk had been written.

    Stops quietly when the reader dies (broken pipe) or `stop` is set; closes the pipe at the end
    of the lines when `close_at_end`.
    """

    def __init__(
        self,
        pipe: IO[bytes],
        lines: list[bytes],
        lines_per_second: float,
        *,
        chunk_lines: int = 100,
        close_at_end: bool = True,
    ) -> None:
        super().__init__(daemon=True)
        self._pipe = pipe
        self._chunks = [b"".join(lines[i : i + chunk_lines]) for i in range(0, len(lines), chunk_lines)]
        self._total = len(lines)
        self._chunk_lines = chunk_lines
        self._interval = chunk_lines / lines_per_second
        self._close_at_end = close_at_end
        self.stop = threading.Event()
        self.written_at: list[float] = []  # monotonic time by which chunk i was in the pipe
        self.broken_pipe = False
        self.finished = threading.Event()

    @property
    def lines_sent(self) -> int:
        return min(len(self.written_at) * self._chunk_lines, self._total)

    def sent_by(self, line_index: int) -> float:
        """When line `line_index` (0-based) had surely been written into the pipe."""
        return self.written_at[line_index // self._chunk_lines]

    def lines_written_by(self, moment: float) -> int:
        """How many lines had surely been written into the pipe at monotonic time `moment`."""
        chunks = sum(1 for at in self.written_at if at <= moment)
        return min(chunks * self._chunk_lines, self._total)

    def run(self) -> None:
        started = time.monotonic()
        try:
            for index, chunk in enumerate(self._chunks):
                delay = started + index * self._interval - time.monotonic()
                if self.stop.wait(max(delay, 0.0)):
                    break
                self._pipe.write(chunk)
                self._pipe.flush()
                self.written_at.append(time.monotonic())
            else:
                if self._close_at_end:
                    self._pipe.close()
        except (BrokenPipeError, ValueError):
            self.broken_pipe = True  # the reader was killed; ValueError: pipe closed by the test
        finally:
            self.finished.set()
