"""./periodic in a loop, and two at once, while ./handle-stream lands a steady stream (docs/guarantees.md).

The classic DuckDB pipeline failure is one file lock shared by a streaming writer and a batch
reader; here the writer never opens the warehouse, so no run may fail. Meanwhile a reader reads
every CSV file over and over: each read must be a complete file. The end result must be exact.
"""

from __future__ import annotations

import subprocess
import threading
import time

import pytest

from tests.pipeline import Workspace
from tests.reliability.files import MetricReader, committed_seqs
from tests.reliability.processes import Child
from tests.reliability.streams import PacedFeeder

pytestmark = pytest.mark.reliability

FEED_SECONDS = 20.0
RIVAL_DELAY_S = 1.5  # the second ./periodic starts while the first one surely still runs
# The loop starts refreshes only in the first part of the feed, so that the final refresh (which
# waits for the lock) has at most the tail of one loop refresh to wait for.
LOOP_STARTS_FOR_S = FEED_SECONDS * 0.6


class RefreshLoop(threading.Thread):
    """Runs ./periodic back to back for `start_for_s`; the first round also starts a rival at once."""

    def __init__(self, workspace: Workspace, start_for_s: float) -> None:
        super().__init__(daemon=True)
        self._workspace = workspace
        self._start_for_s = start_for_s
        self.finished: list[tuple[int, str, str]] = []  # exit code, stdout, stderr of every run
        self.rival_outputs: list[str] = []
        self.error: BaseException | None = None

    def _start(self) -> Child:
        return Child(
            "periodic",
            "--data-dir", str(self._workspace.data_dir),
            "--metrics-dir", str(self._workspace.metrics_dir),
            log_dir=self._workspace.data_dir.parent / "logs",
            stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def run(self) -> None:
        try:
            first = True
            start_until = time.monotonic() + self._start_for_s
            while time.monotonic() < start_until:
                refresh = self._start()
                if first:
                    time.sleep(RIVAL_DELAY_S)
                    rival = self._start()
                    self._record(rival)
                    self.rival_outputs.append(rival.stdout())
                    first = False
                self._record(refresh)
        except BaseException as error:  # reported by the test
            self.error = error

    def _record(self, child: Child) -> None:
        code = child.wait()
        self.finished.append((code, child.stdout(), child.stderr()))


def test_refreshes_racing_the_writer_never_fail_and_end_exact(
    workspace: Workspace, stream_lines: list[bytes], reference_metrics: dict[str, bytes]
) -> None:
    writer = Child("handle-stream", "--data-dir", str(workspace.data_dir), log_dir=workspace.data_dir.parent / "logs")
    assert writer.process.stdin is not None
    feeder = PacedFeeder(writer.process.stdin, stream_lines, len(stream_lines) / FEED_SECONDS)
    reader = MetricReader(workspace.metrics_dir)
    loop = RefreshLoop(workspace, LOOP_STARTS_FOR_S)
    feeder.start()
    # The first refresh starts once something is committed, so that it reads a partial stream.
    deadline = time.monotonic() + 30
    while not committed_seqs(workspace.data_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    loop.start()
    reader.start()

    feeder.join(FEED_SECONDS + 60)
    assert feeder.finished.is_set()
    assert not feeder.broken_pipe
    assert writer.wait(60) == 0, writer.stderr()
    # The last refresh waits for the loop's refresh in flight (the lock), then reads everything.
    last = workspace.refresh("--wait")
    loop.join(300)
    reader.stop.set()
    reader.join()

    assert loop.error is None, repr(loop.error)
    failures = [(code, err) for code, _, err in loop.finished if code != 0 or "error" in err.lower()]
    assert failures == [], failures
    assert any("already running" in out for out in loop.rival_outputs), loop.rival_outputs
    assert b"already running" not in last.stdout

    assert reader.problems == [], reader.problems
    assert reader.reads > 0
    assert any(len(versions) >= 2 for versions in reader.versions.values()), "no metric file was replaced"

    assert workspace.bronze_lines() == stream_lines
    assert workspace.metrics() == reference_metrics
    # Every landed line was staged exactly once, by runs reading ever further.
    runs = workspace.warehouse(
        "select status, bronze_through_seq, lines, events + rejected_lines + blank_lines "
        "from ops.periodic_runs order by started_at"
    )
    assert [status for status, *_ in runs] == ["success"] * len(runs)
    through = [seq for _, seq, _, _ in runs]
    assert through == sorted(through)
    assert through[-1] == committed_seqs(workspace.data_dir)[-1]
    assert sum(lines for *_, lines, _ in runs) == len(stream_lines)
    assert all(lines == kinds for *_, lines, kinds in runs)
    assert len([seq for seq in set(through) if seq > 0]) >= 2, f"no refresh saw a partial stream: {through}"
