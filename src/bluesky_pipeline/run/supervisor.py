"""The life of ./run: start `./bluesky | ./handle-stream` and the refreshes; on a stop, end them in order.

The refreshes: one `./periodic --follow`, or a one-shot `./periodic` every `every_s` seconds.
Order on a stop (a signal, or the producer ending by itself): the producer first, so handle-stream reads
to the end of its input, lands everything and exits by itself; then one last refresh of what landed
(--follow does it when signalled, once landing has ended).
"""

from __future__ import annotations

import select
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bluesky_pipeline import bronze_layout
from bluesky_pipeline.cli_support import CliError, StopSignals
from bluesky_pipeline.run.children import Child
from bluesky_pipeline.run.console import Console

TICK_S = 0.5
LANDING_STATUS_INTERVAL_S = 5.0  # handle-stream's log line: the terminal's landing figures, 17,280 lines a day
PRODUCER_GRACE_S = 10.0  # after SIGTERM, then SIGKILL: the producer holds nothing that could be lost
# handle-stream ends within a commit interval of its input's end; if it has not, SIGTERM lands what it read.
LANDING_GRACE_S = 60.0
LOG_NAMES = {"bluesky": "bluesky.log", "handle-stream": "handle-stream.log", "periodic": "periodic.log"}


@dataclass(frozen=True)
class Settings:
    data_dir: Path  # absolute: the children may resolve relative paths differently
    metrics_dir: Path
    producer_args: tuple[str, ...]
    every_s: float | None  # None: one ./periodic --follow instead of a refresh every every_s

    @property
    def follows(self) -> bool:
        return self.every_s is None

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"


class Pipeline:
    """One ./run: `run()` returns its exit code once every child has exited."""

    def __init__(self, settings: Settings, console: Console) -> None:
        self._settings = settings
        self._console = console
        self._started = time.monotonic()
        self._stopping = False
        self._stop_began_at = 0.0
        self._skip_last_refresh = False
        self._signals_seen = 0
        self._failures: list[tuple[int, str]] = []  # (exit code to return, one line)
        self._refresh: Child | None = None
        self._refresh_is_last = False  # the running refresh is the last one
        self._last_refresh_decided = False
        self._refresh_started_seq = 0  # newest bronze file when the running refresh started
        self._refreshed_through_seq = self._newest_seq()  # newest bronze file a successful refresh has seen
        self._refreshes = 0
        self._next_refresh_at = self._started + (settings.every_s or 0.0)
        self._refresh_status = "once something has landed"  # the last refresh, in a few words
        self._follow_signals = 0  # SIGTERMs sent to ./periodic --follow: 1 stops it, 2 skip its last refresh
        self._done = False

    def run(self) -> int:
        settings = self._settings
        try:
            settings.log_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CliError(f"cannot create the log directory {settings.log_dir}: {error.strerror}") from None
        with StopSignals() as stop:
            self._start_landing()
            producer = " ".join(["./bluesky", *settings.producer_args])
            refreshes = (
                "./periodic --follow" if settings.every_s is None else f"./periodic every {settings.every_s:g} s"
            )
            self._console.say(f"{producer} | ./handle-stream, {refreshes}; Ctrl-C stops")
            self._console.say(f"logs in {settings.log_dir}/ ({', '.join(LOG_NAMES.values())})")
            self._console.say(f"metrics in {settings.metrics_dir}/")
            while not self._done:
                select.select([stop.fd], [], [], TICK_S)
                stop.drain()
                if stop.count > self._signals_seen:
                    self._signals_seen = stop.count
                    self._on_signal(stop.signal_name or "a signal")
                self._step()
        self._console.close()
        if self._failures:
            raise CliError("; ".join(line for _, line in self._failures), self._failures[0][0])
        self._console.say(f"stopped; metrics in {settings.metrics_dir}/")
        return 0

    def _start_landing(self) -> None:
        log_dir = self._settings.log_dir
        # The producer keeps ./run's stdin, for `--replay -`.
        self._producer = Child(
            "bluesky",
            self._settings.producer_args,
            log_path=log_dir / LOG_NAMES["bluesky"],
            stdout=subprocess.PIPE,
            on_parent_death=signal.SIGTERM,
        )
        assert self._producer.process.stdout is not None
        # No parent-death signal: when ./run dies, the producer does, and handle-stream ends at end of input.
        self._landing = Child(
            "handle-stream",
            ["--data-dir", str(self._settings.data_dir), "--status-interval", f"{LANDING_STATUS_INTERVAL_S:g}"],
            log_path=log_dir / LOG_NAMES["handle-stream"],
            stdin=self._producer.process.stdout,
        )
        self._producer.process.stdout.close()  # handle-stream holds the only reading end
        if self._settings.follows:
            self._refresh = Child(
                "periodic",
                [
                    "--follow",
                    "--data-dir",
                    str(self._settings.data_dir),
                    "--metrics-dir",
                    str(self._settings.metrics_dir),
                ],
                log_path=log_dir / LOG_NAMES["periodic"],
                stdin=subprocess.DEVNULL,
                on_parent_death=signal.SIGTERM,  # ./run killed: it finishes its refresh and stops
            )

    def _on_signal(self, name: str) -> None:
        if not self._stopping:
            self._console.say(
                f"{name}: stopping the producer; handle-stream lands what it read, then a last refresh"
                " (Ctrl-C again skips the last refresh)"
            )
            self._begin_stop()
        elif not self._skip_last_refresh:
            self._skip_last_refresh = True
            if self._refresh is not None and not self._settings.follows:
                self._refresh.send(signal.SIGTERM)  # a stopped refresh loses nothing: the next one redoes it
            self._console.say(f"{name} again: no last refresh; the metrics may miss the last lines landed")

    def _begin_stop(self) -> None:
        self._stopping = True
        self._stop_began_at = time.monotonic()
        self._producer.send(signal.SIGTERM)

    def _step(self) -> None:
        now = time.monotonic()
        self._watch_producer(now)
        self._watch_landing(now)
        self._watch_refresh(now)
        self._done = self._producer.poll() is not None and self._landing.poll() is not None and self._refresh is None
        if self._console.shows_status:
            self._console.status(self._status_text(now))

    def _watch_producer(self, now: float) -> None:
        if self._producer.exited_at is not None:
            return
        code = self._producer.poll()
        if code is None:
            if self._stopping and now - self._stop_began_at > PRODUCER_GRACE_S:
                self._producer.send(signal.SIGKILL)
            return
        if not self._stopping:  # it ended by itself: end of --count, --duration or --replay, or a failure
            if code != 0:
                self._fail(code, f"./bluesky exited with code {code}: {self._producer.last_line() or 'no output'}")
            else:
                self._console.say("the producer has ended; handle-stream lands the rest, then a last refresh")
            self._stopping = True
            self._stop_began_at = now

    def _watch_landing(self, now: float) -> None:
        if self._landing.exited_at is not None:
            return
        code = self._landing.poll()
        if code is None:
            producer_exited_at = self._producer.exited_at
            if producer_exited_at is not None and now - producer_exited_at > LANDING_GRACE_S:
                self._landing.send(signal.SIGTERM)
            return
        summary = self._landing.last_line("handle-stream:") or "no output"
        if code != 0:
            self._fail(code, f"./handle-stream exited with code {code}: {summary}")
        else:
            self._console.say(summary)
        if not self._stopping:  # landing failed while the producer runs: nothing would land any more
            self._begin_stop()

    def _watch_refresh(self, now: float) -> None:
        if self._settings.follows:
            self._watch_follow()
            return
        if self._refresh is not None and self._refresh.poll() is not None:
            self._finish_refresh(self._refresh)
            self._refresh = None
        if self._refresh is not None:
            return
        if not self._stopping:
            first_commit = self._refreshes == 0 and self._newest_seq() > self._refreshed_through_seq
            if now >= self._next_refresh_at or first_commit:
                self._start_refresh(last=False)
        elif self._landing.exited_at is not None and not self._last_refresh_decided and not self._skip_last_refresh:
            self._last_refresh_decided = True
            if self._newest_seq() > self._refreshed_through_seq:  # else the metrics hold every line already
                self._start_refresh(last=True)

    def _watch_follow(self) -> None:
        """./periodic --follow: its lines relayed; stopped once landing has ended (twice to skip its last refresh)."""
        follow = self._refresh
        if follow is None:
            return
        code = follow.poll()
        self._relay(follow.new_lines())
        if code is None:
            landed_all = self._stopping and self._landing.exited_at is not None
            wanted = 2 if self._skip_last_refresh else 1 if landed_all else 0
            if self._follow_signals < wanted:  # one a tick: two at once may arrive as one
                follow.send(signal.SIGTERM)
                self._follow_signals += 1
            return
        self._refresh = None
        if code != 0:
            self._fail(code, f"./periodic --follow exited with code {code}: {follow.last_line() or 'no output'}")
        elif not self._skip_last_refresh:
            self._console.say(f"last refresh {self._refresh_status}")
        if not self._stopping:  # it ended by itself: nothing would be refreshed any more
            self._begin_stop()

    def _relay(self, lines: list[str]) -> None:
        """--follow's lines: its summaries make the status; off a terminal each line is also passed on."""
        at = time.strftime("%H:%M:%S")
        for line in lines:
            if " new events" in line:
                self._refresh_status = f"{at} {line.removeprefix('periodic: ').partition(';')[0]}"
            elif "refresh failed" in line:
                self._refresh_status = f"{at} failed (see {LOG_NAMES['periodic']})"
            self._console.note(line)

    def _directories(self) -> list[str]:
        return ["--data-dir", str(self._settings.data_dir), "--metrics-dir", str(self._settings.metrics_dir)]

    def _start_refresh(self, *, last: bool) -> None:
        args = self._directories()
        if last:
            args.append("--wait")  # behind any refresh started by hand, so this one sees every line landed
        self._refresh_started_seq = self._newest_seq()
        self._refresh_is_last = last
        self._refresh = Child(
            "periodic",
            args,
            log_path=self._settings.log_dir / LOG_NAMES["periodic"],
            stdin=subprocess.DEVNULL,
            on_parent_death=signal.SIGTERM,
        )
        self._refreshes += 1
        self._next_refresh_at = time.monotonic() + (self._settings.every_s or 0.0)
        self._refresh_status = "running"

    def _finish_refresh(self, refresh: Child) -> None:
        code = refresh.poll()
        output = refresh.output()
        # periodic's summary is its line with the counts; anything else (an error) is its last line.
        summary = next((line for line in output if " new events" in line), output[-1] if output else "no output")
        at = time.strftime("%H:%M:%S")
        if code == 0:
            self._refreshed_through_seq = self._refresh_started_seq
            outcome = f"{at} {summary.removeprefix('periodic: ')}"
            self._refresh_status = outcome.partition(";")[0]  # the counts; the rest is in the log and in lines
        else:
            errors = [line for line in output if "error" in line]
            outcome = f"{at} failed (exit {code}; log {refresh.log_path}): {(errors or [summary])[0]}"
            self._refresh_status = f"{at} failed (see {refresh.log_path.name})"
        if self._skip_last_refresh:
            return  # stopped on purpose, and said so
        if not self._refresh_is_last:
            self._console.note(f"refresh {outcome}")
        elif code == 0:
            self._console.say(f"last refresh {outcome}")
        else:
            self._fail(1, f"the last refresh {outcome}")

    def _fail(self, code: int, line: str) -> None:
        self._failures.append((code if code > 0 else 1, line))

    def _newest_seq(self) -> int:
        seqs = bronze_layout.committed_seqs(bronze_layout.events_dir(self._settings.data_dir))
        return seqs[-1] if seqs else 0

    def _status_text(self, now: float) -> str:
        elapsed = int(now - self._started)
        landing = self._landing.last_line("handle-stream:") or "handle-stream: starting"
        landing = landing.removeprefix("handle-stream: ").split(" | last commit")[0]
        state = "stopping | " if self._stopping else ""
        return (
            f"{state}{elapsed // 3600}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d} | landing {landing} | "
            f"refresh {self._refresh_status}"
        )
