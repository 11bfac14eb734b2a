"""What `./periodic --follow` shows: on a terminal one status line, elsewhere a line per refresh or per minute.

A terminal (stderr) gets one line redrawn in place: the last refresh, its seconds, the lag from the
newest bronze file to the CSVs, events/s. Elsewhere (a log, a service manager's journal) each refresh
is a summary line on stdout, or one line a minute for all of them when they come more often than that.
A failure is always said at once on stderr, but the same failure again within a minute only counts.
"""

from __future__ import annotations

import os
import statistics
import time
from collections import deque
from dataclasses import dataclass
from typing import TextIO

from bluesky_pipeline.refresh.progress import TextSink

LINE_INTERVAL_S = 60.0  # off a terminal: at most one summary line this often (failures aside)
RATE_WINDOW_S = 60.0
DEFAULT_WIDTH = 80  # events/s is taken over the refreshes of this last stretch


@dataclass(frozen=True)
class RefreshOutcome:
    """What one refresh did, as the loop reports it."""

    through_seq: int  # the last bronze file it read
    events: int  # events in its batch, repeats included
    new_events: int
    rejected: int
    seconds: float
    summary: str  # the summary line a one-shot ./periodic prints
    failure_lines: tuple[str, ...]  # the error lines a one-shot ./periodic prints; empty on success

    @property
    def failed(self) -> bool:
        return bool(self.failure_lines)


class FollowReport:
    """Messages, refresh outcomes and the status line of one `./periodic --follow`."""

    def __init__(self, out: TextIO, err: TextIO, prog: str) -> None:
        self._out = out
        self._err = err
        self.prog = prog
        self.live = err.isatty()
        self._status_shown = False
        self._refreshes = 0
        self._failed = 0
        self._last: tuple[float, RefreshOutcome, float | None] | None = None  # wall time, outcome, lag
        self._recent: deque[tuple[float, int]] = deque()  # (monotonic end, events) of recent refreshes
        self._first_end: float | None = None
        self._pending: list[tuple[RefreshOutcome, float | None]] = []  # not yet in a summary line
        self._line_at: float | None = None  # monotonic time of the last summary line
        self._said_failure: tuple[tuple[str, ...], float] | None = None
        self._activity = "starting"

    def say(self, message: str) -> None:
        """A message on stderr (above the status line on a terminal)."""
        self._write(self._err, f"{self._clear()}{self.prog}: {message}\n")

    def progress_sink(self) -> TextSink:
        """Where a build's progress lines go: stderr, above the status line."""
        return _AboveStatus(self)

    def refreshing(self, what: str) -> None:
        self._activity = f"refreshing {what}"
        self.show_status()

    def waiting(self, what: str) -> None:
        self._activity = what
        self.show_status()

    def refreshed(self, outcome: RefreshOutcome, lag_s: float | None) -> None:
        """One refresh done: counted, shown, and said now or in the next minute's line."""
        now = time.monotonic()
        self._refreshes += 1
        self._last = (time.time(), outcome, lag_s)
        self._recent.append((now, outcome.events))
        self._first_end = self._first_end if self._first_end is not None else now
        if outcome.failed:
            self._failed += 1
            self._report_failure(outcome, now)
        if not self.live:
            self._pending.append((outcome, lag_s))
            if self._line_at is None or now - self._line_at >= LINE_INTERVAL_S:
                self._summarize(now)
        self.show_status()

    def tick(self) -> None:
        """Now and then while waiting: the minute's line when it is due, the status line redrawn."""
        now = time.monotonic()
        if self._pending and self._line_at is not None and now - self._line_at >= LINE_INTERVAL_S:
            self._summarize(now)
        self.show_status()

    def close(self) -> None:
        """At the end: the refreshes not yet said, and the status line cleared."""
        if self._pending:
            self._summarize(time.monotonic())
        if self._status_shown:
            self._write(self._err, self._clear())

    def events_per_s(self, now: float) -> float:
        while self._recent and now - self._recent[0][0] > RATE_WINDOW_S:
            self._recent.popleft()
        if self._first_end is None:
            return 0.0
        # At least a second: just after the first refresh, its events over a few milliseconds would
        # read as thousands a second.
        span = max(1.0, min(RATE_WINDOW_S, now - self._first_end))
        return sum(events for _, events in self._recent) / span

    def show_status(self) -> None:
        if not self.live:
            return
        try:
            width = os.get_terminal_size(self._err.fileno()).columns
        except (OSError, ValueError):
            width = DEFAULT_WIDTH
        self._write(self._err, f"\r\x1b[K{self._status_text()[: max(width - 1, 20)]}")
        self._status_shown = True

    def _status_text(self) -> str:
        parts = [f"{self.prog} --follow"]
        if self._last is not None:
            at, outcome, lag_s = self._last
            state = "failed" if outcome.failed else f"{outcome.new_events:,} new events"
            clock = time.strftime("%H:%M:%S", time.localtime(at))
            parts.append(f"last refresh {clock}: {state} in {outcome.seconds:.1f} s")
            parts.append(f"lag {_seconds(lag_s)}")
            parts.append(f"{self.events_per_s(time.monotonic()):,.0f} events/s")
            parts.append(f"{self._refreshes:,} refresh{'es' if self._refreshes != 1 else ''}, {self._failed:,} failed")
        parts.append(self._activity)
        return " | ".join(parts)

    def _report_failure(self, outcome: RefreshOutcome, now: float) -> None:
        said = self._said_failure
        if said is not None and said[0] == outcome.failure_lines and now - said[1] < LINE_INTERVAL_S:
            return  # the same failure again: counted in the status and the minute's line
        self._said_failure = (outcome.failure_lines, now)
        clear = self._clear()
        self._write(self._err, clear + "".join(f"{line}\n" for line in outcome.failure_lines))

    def _summarize(self, now: float) -> None:
        """One line for the pending refreshes: the refresh's own summary when alone, else the minute's."""
        pending, self._pending = self._pending, []
        self._line_at = now
        if len(pending) == 1:
            outcome, lag_s = pending[0]
            self._write(self._out, f"{outcome.summary}; lag {_seconds(lag_s)}\n")
            return
        outcomes = [outcome for outcome, _ in pending]
        lags = [lag for _, lag in pending if lag is not None]
        failed = sum(outcome.failed for outcome in outcomes)
        seconds = [outcome.seconds for outcome in outcomes]
        events = sum(outcome.events for outcome in outcomes)
        line = (
            f"{self.prog}: {len(outcomes):,} refreshes ({failed:,} failed), "
            f"{sum(outcome.new_events for outcome in outcomes):,} new events of {events:,} "
            f"({self.events_per_s(now):,.0f} events/s), "
            f"{sum(outcome.rejected for outcome in outcomes):,} rejected lines;"
            f" refresh {statistics.median(seconds):.1f} s median, {max(seconds):.1f} s max"
        )
        if lags:
            line += f"; lag {statistics.median(lags):.1f} s median, {max(lags):.1f} s max"
        self._write(self._out, line + "\n")

    def _clear(self) -> str:
        shown, self._status_shown = self._status_shown, False
        return "\r\x1b[K" if shown else ""

    def _write(self, stream: TextIO, text: str) -> None:
        # After a hang-up every write to the terminal fails; following (and stopping) goes on all the same.
        try:
            stream.write(text)
            stream.flush()
        except OSError:
            pass


class _AboveStatus:
    """A stream of whole lines written on stderr above the status line (which the next redraw brings back)."""

    def __init__(self, report: FollowReport) -> None:
        self._report = report

    def write(self, text: str, /) -> int:
        report = self._report
        report._write(report._err, report._clear() + text)
        return len(text)

    def flush(self) -> None:
        """Each write is flushed already."""


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f} s"
