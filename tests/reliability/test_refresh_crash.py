"""./periodic killed (SIGKILL to it and its dbt child) at several points; the next run finishes the job.

Kill points: while starting, while the CSV files are being exported, and in an incremental run
after silver took the new batch but before gold did. A metric file is never seen partial, the lock
never outlives a killed refresh, and the final metrics equal those of one clean refresh.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable

import pytest

from tests.pipeline import Workspace
from tests.reliability.files import committed_seqs, metric_files_problems
from tests.reliability.processes import Child
from tests.reliability.progress_points import DbtLog, after_seconds, export_started

pytestmark = pytest.mark.reliability


def kill_refresh_when(workspace: Workspace, reached: Callable[[], bool], poll_s: float) -> Child:
    """Start ./periodic and SIGKILL its whole session as soon as `reached()`; fails if it finished first."""
    refresh = Child(
        "periodic",
        "--data-dir", str(workspace.data_dir),
        "--metrics-dir", str(workspace.metrics_dir),
        log_dir=workspace.data_dir.parent / "logs",
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while refresh.process.poll() is None and time.monotonic() < deadline:
        if reached():
            refresh.kill_group(signal.SIGKILL)
            break
        time.sleep(poll_s)
    code = refresh.wait()
    assert code == -signal.SIGKILL, (
        f"./periodic was not killed at the point aimed at (exit {code}):\n{refresh.stderr()}"
    )
    # Its dbt child dies with it: nothing may keep writing the warehouse or hold the lock.
    for _ in range(100):
        if not refresh.session_processes():
            break
        time.sleep(0.1)
    assert refresh.session_processes() == {}
    return refresh


def test_refresh_killed_anywhere_is_finished_by_the_next_run(
    workspace: Workspace, stream_lines: list[bytes], reference_metrics: dict[str, bytes]
) -> None:
    half = len(stream_lines) // 2
    workspace.land(b"".join(stream_lines[:half]))

    # 1. While starting (Python and dbt imports), before dbt touches the warehouse.
    kill_refresh_when(workspace, after_seconds(2.0), poll_s=0.05)
    assert metric_files_problems(workspace.metrics_dir) == []

    # 2. The first full build runs to its end, then the refresh dies while exporting the CSV files.
    kill_refresh_when(workspace, export_started(workspace.metrics_dir), poll_s=0.0005)
    assert metric_files_problems(workspace.metrics_dir) == []

    workspace.land(b"".join(stream_lines[half:]))

    # 3. In the incremental run, after the silver models took the new batch (their watermarks moved)
    # and while dbt writes the first gold model (DuckDB mid-transaction).
    log = DbtLog(workspace.data_dir)
    kill_refresh_when(workspace, lambda: log.shows("model gold."), poll_s=0.01)
    assert metric_files_problems(workspace.metrics_dir) == []

    finished = workspace.refresh()
    assert b"already running" not in finished.stdout, "a killed refresh left its lock held"
    assert workspace.metrics() == reference_metrics
    assert sorted(path.name for path in workspace.metrics_dir.iterdir()) == sorted(reference_metrics)
    status, through_seq, tests_failed = workspace.warehouse(
        "select status, bronze_through_seq, tests_failed from ops.periodic_runs order by finished_at desc limit 1"
    )[0]
    assert (status, through_seq, tests_failed) == ("success", committed_seqs(workspace.data_dir)[-1], 0)
