"""Progress reporting for handle-stream on stderr.

On a terminal: one status line redrawn in place. Otherwise (a log file, a pipe): a line now and then.
"""

from __future__ import annotations

import time
from typing import TextIO

from bluesky_pipeline.landing.bronze_writer import Commit

TTY_INTERVAL_S = 0.5
LOG_INTERVAL_S = 30.0


class StatusReporter:
    """Shows events/s, totals and the last commit; call `update` often, it rate-limits itself."""

    def __init__(self, stream: TextIO, prog: str) -> None:
        self._stream = stream
        self._prog = prog
        self._is_tty = stream.isatty()
        self._interval = TTY_INTERVAL_S if self._is_tty else LOG_INTERVAL_S
        self._started = self._last_shown = time.monotonic()
        self._events_at_last = 0

    def update(self, events: int, nbytes: int, last_commit: Commit | None) -> None:
        now = time.monotonic()
        if now - self._last_shown < self._interval:
            return
        rate = (events - self._events_at_last) / (now - self._last_shown)
        self._last_shown, self._events_at_last = now, events
        line = f"{rate:,.0f} events/s | {_totals(events, nbytes)} | {_commit_text(last_commit)}"
        if self._is_tty:
            self._stream.write(f"\r\x1b[K{line}")
        else:
            self._stream.write(f"{self._prog}: {line}\n")
        self._stream.flush()

    def finish(self, events: int, nbytes: int, files: int, reason: str) -> None:
        elapsed = time.monotonic() - self._started
        rate = events / elapsed if elapsed > 0 else 0.0
        prefix = "\r\x1b[K" if self._is_tty else ""
        self._stream.write(
            f"{prefix}{self._prog}: {reason}: landed {_totals(events, nbytes)} in {files:,} files "
            f"({elapsed:.1f} s, {rate:,.0f} events/s)\n"
        )
        self._stream.flush()


def _totals(events: int, nbytes: int) -> str:
    return f"{events:,} events, {nbytes / 1e6:,.1f} MB"


def _commit_text(commit: Commit | None) -> str:
    if commit is None:
        return "no commit yet"
    return f"last commit {commit.committed_at:%H:%M:%S} UTC ({commit.path.name}, {commit.lines:,} events)"
