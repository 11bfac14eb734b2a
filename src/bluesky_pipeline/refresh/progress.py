"""Progress of a dbt build, read from dbt's structured log (`--log-format json`: one event per line).

On a terminal each model is shown as it finishes; otherwise a line now and then says how far the
build is, so a long full refresh is never silent and a short refresh under `watch` prints nothing.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

LOG_INTERVAL_S = 30.0
# dbt's events for finished nodes, and the ones worth a line of their own on a terminal.
FINISHED_EVENTS = {"LogModelResult", "LogSeedResult", "LogTestResult", "LogSnapshotResult"}
STARTED_EVENT = "LogStartLine"
FOLLOWED_EVENTS = {*FINISHED_EVENTS, STARTED_EVENT}  # the others matter only at level error


class TextSink(Protocol):
    """Where progress lines go: a text stream (stderr), or anything that writes and flushes like one."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class BuildProgress:
    """Follows one dbt build. `feed` takes dbt's stdout lines (from any thread), `tick` is called now and then."""

    def __init__(self, stream: TextSink, prog: str, *, live: bool, interval_s: float = LOG_INTERVAL_S) -> None:
        self._stream = stream
        self._prog = prog
        self._live = live
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._next_log = self._started + interval_s
        self._done = 0
        self._total = 0
        self._running = ""
        self.errors: list[str] = []  # the messages of dbt's error events, for a build that stops early

    def begin(self, what: str) -> None:
        """Say what the build reads and where dbt's log is (on a terminal only)."""
        if self._live:
            self._say(what)

    def feed(self, line: str) -> None:
        """One line of dbt's stdout."""
        try:
            event = json.loads(line)
        except ValueError:
            return  # not one of dbt's events (a library printing to stdout): nothing to follow
        self.feed_event(event)

    def feed_event(self, event: Any) -> None:
        """One of dbt's events as a dict (`info`, `data`), as its structured log writes them."""
        try:
            name, level, data = event["info"]["name"], event["info"]["level"], event.get("data") or {}
        except (KeyError, TypeError, AttributeError):
            return
        with self._lock:
            if level == "error" and event["info"].get("msg"):
                self.errors.append(str(event["info"]["msg"]).strip())
            if name == STARTED_EVENT:
                self._total = int(data.get("total") or self._total)
                self._running = str(data.get("description") or "")
            elif name in FINISHED_EVENTS:
                self._done = int(data.get("index") or self._done + 1)
                self._total = int(data.get("total") or data.get("num_models") or self._total)
                self._running = ""
                if self._live and self._worth_a_line(name, data):
                    self._say(self._finished_line(name, data))

    def rows(self, count_rows: Callable[[], dict[str, int]]) -> None:
        """On a terminal, after the build: each table's rows of this batch (dbt-duckdb reports none itself).
        Counted only then: a refresh under `watch` does not pay for them."""
        if self._live:
            rows = count_rows()
            self._say("rows: " + ", ".join(f"{table} {count:,}" for table, count in sorted(rows.items())))

    def tick(self) -> None:
        """Off a terminal: a line saying how far the build is, every `interval_s`."""
        now = time.monotonic()
        with self._lock:
            if self._live or now < self._next_log:
                return
            self._next_log = now + self._interval_s
            running = f"; now: {self._running}" if self._running else ""
            elapsed = now - self._started
            self._say(f"dbt build running for {elapsed:.0f} s: {self._done} of {self._total} nodes done{running}")

    def seconds_to_next_tick(self) -> float:
        return max(0.1, self._next_log - time.monotonic())

    def _worth_a_line(self, name: str, data: dict[str, Any]) -> bool:
        # Every model and seed; a test only when it did not pass (the summary counts the rest).
        return name != "LogTestResult" or str(data.get("status")) != "pass"

    def _finished_line(self, name: str, data: dict[str, Any]) -> str:
        node = data.get("node_info") or {}
        relation = node.get("node_relation") or {}
        if name == "LogTestResult":
            label = f"test {data.get('name') or node.get('node_name', '?')}"
        else:
            label = f"{relation.get('schema', '?')}.{relation.get('alias') or node.get('node_name', '?')}"
        status = str(data.get("status") or node.get("node_status") or "?").upper().replace("SUCCESS", "OK")
        # dbt-duckdb reports no row counts for models; seeds say "CREATE <rows>".
        rows = str(data.get("result_message") or "").removeprefix("CREATE ")
        rows_note = f", {int(rows):,} rows" if rows.isdigit() else ""
        seconds = float(data.get("execution_time") or 0.0)
        width = len(str(self._total))
        return f"  {self._done:>{width}}/{self._total} {label}: {status} in {seconds:.2f} s{rows_note}"

    def _say(self, text: str) -> None:
        self._stream.write(f"{self._prog}: {text}\n")
        self._stream.flush()
