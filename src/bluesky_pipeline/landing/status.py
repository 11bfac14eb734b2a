"""Progress reporting for handle-stream on stderr.

On a terminal: one status line redrawn in place. Otherwise (a log file, a pipe): a line now and then.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TextIO

from bluesky_pipeline.landing.bronze_writer import Commit

TTY_INTERVAL_S = 0.5
LOG_INTERVAL_S = 30.0
# The rate is over at least this much time: short enough to follow a burst, long enough that reads
# bunched by the scheduler do not make it jump.
RATE_WINDOW_S = 2.0


class StatusReporter:
    """Shows lines/s read, totals committed and the last commit; call `update` often, it rate-limits itself.

    The rate counts lines as they are read (not as they are committed, which happens in steps of a
    commit interval), over a sliding window of the last `RATE_WINDOW_S` seconds or one interval.
    """

    def __init__(self, stream: TextIO, prog: str, interval: float | None = None) -> None:
        self._stream = stream
        self._prog = prog
        self._is_tty = stream.isatty()
        self._interval = interval or (TTY_INTERVAL_S if self._is_tty else LOG_INTERVAL_S)
        self._window = max(self._interval, RATE_WINDOW_S)
        self._started = self._last_shown = time.monotonic()
        self._samples: deque[tuple[float, int]] = deque([(self._started, 0)])  # (when, lines read by then)
        self._stream_gone = False

    def due_in(self) -> float:
        """Seconds until the next status line is due."""
        return self._last_shown + self._interval - time.monotonic()

    def update(self, lines_read: int, lines_committed: int, bytes_committed: int, last_commit: Commit | None) -> None:
        now = time.monotonic()
        if now - self._last_shown < self._interval:
            return
        self._last_shown = now
        self._samples.append((now, lines_read))
        while len(self._samples) > 1 and self._samples[1][0] <= now - self._window:
            self._samples.popleft()
        since, lines_then = self._samples[0]
        rate = (lines_read - lines_then) / (now - since)
        line = (
            f"{rate:,.0f} lines/s | {_totals(lines_committed, bytes_committed)} committed | {_commit_text(last_commit)}"
        )
        self._write(f"\r\x1b[K{line}" if self._is_tty else f"{self._prog}: {line}\n")

    def finish(self, lines: int, nbytes: int, files: int, reason: str) -> None:
        elapsed = time.monotonic() - self._started
        rate = lines / elapsed if elapsed > 0 else 0.0
        prefix = "\r\x1b[K" if self._is_tty else ""
        self._write(
            f"{prefix}{self._prog}: {reason}: landed {_totals(lines, nbytes)} in {files:,} files "
            f"({elapsed:.1f} s, {rate:,.0f} lines/s)\n"
        )

    def _write(self, text: str) -> None:
        # After a hang-up (a closed terminal, a dropped ssh session) every write fails: landing goes on
        # and ends cleanly without a status line to show.
        if self._stream_gone:
            return
        try:
            self._stream.write(text)
            self._stream.flush()
        except OSError:
            self._stream_gone = True


def _totals(lines: int, nbytes: int) -> str:
    return f"{lines:,} lines, {nbytes / 1e6:,.1f} MB"


def _commit_text(commit: Commit | None) -> str:
    if commit is None:
        return "no commit yet"
    return f"last commit {commit.committed_at:%H:%M:%S} UTC ({commit.path.name}, {commit.lines:,} lines)"
