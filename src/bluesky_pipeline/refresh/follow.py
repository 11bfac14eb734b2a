"""./periodic --follow: one long-lived process that holds the refresh lock and refreshes as bronze files land.

Woken by the files themselves (bronze_watch.py), it runs the one-shot's refresh (cli.py passes it in:
the same build, export, snapshot publish and run record), with dbt kept loaded (dbt_warm.py).

Stopping (SIGINT, SIGTERM, SIGHUP): the refresh in flight finishes, then one last refresh reads what
landed meanwhile, and the exit code is 0 (1 if that last refresh failed). A second signal abandons the
refresh in flight: safe for the reason a kill -9 is, since a model's watermark moves in the transaction
that writes its rows, and the metric files are replaced whole, so the next run redoes what was cut.
A failed refresh keeps the previous metric files, is reported, and is tried again after a pause that
doubles with each failure in a row (RETRY_FIRST_S up to RETRY_MAX_S), whether new files land or not.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from bluesky_pipeline import bronze_layout
from bluesky_pipeline.cli_support import StopSignals
from bluesky_pipeline.refresh.bronze_scan import BronzeScan, gap_warning, scan_bronze
from bluesky_pipeline.refresh.bronze_watch import BronzeWatch
from bluesky_pipeline.refresh.follow_report import FollowReport, RefreshOutcome

RefreshStep = Callable[[BronzeScan], RefreshOutcome]

RETRY_FIRST_S = 1.0
RETRY_MAX_S = 60.0
MAX_WAIT_S = 5.0  # the directory is scanned at least this often, should a change go unseen
STATUS_INTERVAL_S = 0.5  # the terminal's status line is redrawn this often while waiting

EXIT_STOPPED = 0
EXIT_LAST_REFRESH_FAILED = 1


class BronzeDirError(Exception):
    """The bronze directory to watch cannot be created."""


def follow(data_dir: Path, load: Callable[[], None], refresh_step: RefreshStep, report: FollowReport) -> int:
    """Refresh whenever bronze files land, until a stop signal; the exit code. `load` readies dbt."""
    events_dir = bronze_layout.events_dir(data_dir)
    try:
        events_dir.mkdir(parents=True, exist_ok=True)  # to be watched before handle-stream first runs
    except OSError as error:
        raise BronzeDirError(f"cannot create the bronze directory {events_dir}: {error.strerror}") from None
    loop = _FollowLoop(data_dir, refresh_step, report)
    try:
        with StopSignals(on_signal=loop.on_signal) as stop, BronzeWatch(events_dir) as watch:
            loop.stop = stop
            return loop.run(load, watch)
    finally:
        report.close()


class _FollowLoop:
    def __init__(self, data_dir: Path, refresh_step: RefreshStep, report: FollowReport) -> None:
        self._data_dir = data_dir
        self._refresh_step = refresh_step
        self._report = report
        self.stop: StopSignals | None = None
        self._abandonable = False  # a second signal now raises KeyboardInterrupt: dbt's loading, or a refresh
        self._refreshed_through: int | None = None  # the last bronze file a successful refresh read
        self._last_failed = False
        self._failures_in_a_row = 0
        self._retry_at: float | None = None
        self._said_gap: int | None = None
        self._said_waiting = False

    def on_signal(self) -> None:
        """From the signal handler: a second signal abandons the work in flight."""
        if self.stop is not None and self.stop.count >= 2 and self._abandonable:
            raise KeyboardInterrupt

    def run(self, load: Callable[[], None], watch: BronzeWatch) -> int:
        stop, report = self.stop, self._report
        assert stop is not None
        try:
            self._load(load, watch)
            while not stop.count:
                scan = self._scan()
                if self._due(scan):
                    self._refresh(scan)
                    continue
                watch.wait(self._wait_s(), also=[stop.fd])
                stop.drain()
                report.tick()
            report.say(f"{stop.signal_name}: stopping once what has landed is refreshed (again: at once)")
            scan = self._scan()
            behind = self._refreshed_through is None or scan.through_seq > self._refreshed_through
            if scan.through_seq and behind and stop.count == 1:  # a second signal meanwhile: no last refresh
                self._refresh(scan)
        except KeyboardInterrupt:
            report.say("the refresh in flight is abandoned; the next ./periodic redoes it")
            return EXIT_STOPPED
        report.close()  # the refreshes not yet in a summary line, before the last word
        if self._last_failed:
            report.say("stopped; the last refresh failed: the previous metric files are left in place")
            return EXIT_LAST_REFRESH_FAILED
        report.say("stopped")
        return EXIT_STOPPED

    def _load(self, load: Callable[[], None], watch: BronzeWatch) -> None:
        self._report.waiting("loading dbt")
        started = time.monotonic()
        self._abandonable = True
        try:
            load()
        finally:
            self._abandonable = False
        self._report.say(
            f"following {bronze_layout.events_dir(self._data_dir)} (dbt loaded in {time.monotonic() - started:.1f} s;"
            f" new files seen by {watch.how}): a refresh as soon as files land; Ctrl-C, SIGTERM or SIGHUP stops"
        )

    def _scan(self) -> BronzeScan:
        scan = scan_bronze(self._data_dir)
        gap = gap_warning(scan)
        if gap and scan.first_missing_seq != self._said_gap:
            self._report.say(f"warning: {gap}")
        self._said_gap = scan.first_missing_seq
        if not scan.through_seq and not self._said_waiting:
            self._report.say(f"waiting for the first bronze file in {bronze_layout.events_dir(self._data_dir)}")
            self._said_waiting = True
        return scan

    def _due(self, scan: BronzeScan) -> bool:
        if not scan.through_seq:
            self._report.waiting("waiting for the first bronze file")
            return False
        if self._retry_at is not None:
            return time.monotonic() >= self._retry_at
        return self._refreshed_through is None or scan.through_seq > self._refreshed_through

    def _wait_s(self) -> float:
        wait_s = STATUS_INTERVAL_S if self._report.live else MAX_WAIT_S
        if self._retry_at is not None:
            wait_s = min(wait_s, self._retry_at - time.monotonic())
        return wait_s

    def _refresh(self, scan: BronzeScan) -> None:
        self._report.refreshing(f"through bronze file #{scan.through_seq}")
        self._abandonable = True
        try:
            outcome = self._refresh_step(scan)
        except Exception as error:
            # Unforeseen (a bug, an error no step expects): a one-shot would die of it and the next one
            # try again; a service reports it and tries again the same way.
            outcome = self._crashed(scan, error)
        finally:
            self._abandonable = False
        self._last_failed = outcome.failed
        if outcome.failed:
            self._failures_in_a_row += 1
            pause_s = min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** (self._failures_in_a_row - 1))
            self._retry_at = time.monotonic() + pause_s
            self._report.refreshed(outcome, None)
        else:
            self._failures_in_a_row = 0
            self._retry_at = None
            self._refreshed_through = outcome.through_seq  # a backlog is read a part at a time
            self._report.refreshed(outcome, self._lag_s(outcome.through_seq))
        self._report.waiting("waiting for bronze files")

    def _crashed(self, scan: BronzeScan, error: Exception) -> RefreshOutcome:
        prog = self._report.prog
        detail = " ".join(str(error).split())[:300]
        return RefreshOutcome(
            through_seq=scan.through_seq,
            events=0,
            new_events=0,
            rejected=0,
            seconds=0.0,
            summary=f"{prog}: refresh failed",
            failure_lines=(
                f"{prog}: error: unexpected {type(error).__name__}: {detail}",
                f"{prog}: refresh failed; the previous metric files are left in place",
            ),
        )

    def _lag_s(self, through_seq: int) -> float | None:
        """Seconds from the commit of the newest bronze file read (its modification time) to now."""
        try:
            committed_at = os.stat(bronze_layout.events_dir(self._data_dir) / bronze_layout.file_name(through_seq))
        except OSError:
            return None  # moved on since (compacted)
        return max(0.0, time.time() - committed_at.st_mtime)
