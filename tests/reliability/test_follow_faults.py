"""./periodic --follow as a service: stop signals, kill -9 at chosen points, refreshes that fail.

Every scenario ends with the metrics of one clean landing and one refresh of the same stream
(`reference_metrics`): signals end it with exit 0 and the metrics current; a kill -9 during a build
or an export leaves the next run able to finish the job; a failed refresh keeps the last good files.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import duckdb
import pytest

from tests.pipeline import Workspace
from tests.refresh.following import Follow, last_seq, published_through
from tests.reliability.files import metric_files_problems
from tests.reliability.filesystems import remount, tmpfs
from tests.reliability.progress_points import DbtLog, export_started

pytestmark = pytest.mark.reliability


def open_when_free(database: Path, timeout_s: float = 30.0) -> duckdb.DuckDBPyConnection:
    """A read-only connection, tried until no one holds the database (or the deadline: the error)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return duckdb.connect(str(database), read_only=True)
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def halves(lines: list[bytes]) -> tuple[bytes, bytes]:
    half = len(lines) // 2
    return b"".join(lines[:half]), b"".join(lines[half:])


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda sig: sig.name)
def test_a_signal_during_a_refresh_lets_it_finish_then_exits_0_with_the_metrics_current(
    workspace: Workspace, stream_lines: list[bytes], reference_metrics: dict[str, bytes], sig: signal.Signals
) -> None:
    first, second = halves(stream_lines)
    workspace.land(first)
    follow = Follow(workspace)
    follow.wait_until_current()
    log = DbtLog(workspace.data_dir)
    workspace.land(second)  # woken by the new files: a refresh starts
    follow.wait_until(lambda: log.shows("model gold."), "a refresh of the second half in flight")
    follow.signal(sig)
    assert follow.wait() == 0, follow.output()
    assert workspace.metrics() == reference_metrics
    assert published_through(workspace.data_dir) == last_seq(workspace)
    assert follow.child.stderr().splitlines()[-2:] == [
        f"periodic: {sig.name}: stopping once what has landed is refreshed (again: at once)",
        "periodic: stopped",
    ]


def test_a_second_signal_abandons_the_refresh_in_flight_and_the_next_run_redoes_it(
    workspace: Workspace, stream_lines: list[bytes], reference_metrics: dict[str, bytes]
) -> None:
    workspace.land(b"".join(stream_lines))
    log = DbtLog(workspace.data_dir)
    follow = Follow(workspace)
    # The first build reads the whole stream: seconds, well past the two signals sent at its start.
    follow.wait_until(lambda: log.shows("model silver.int_events_deduplicated"), "the first build under way")
    follow.signal(signal.SIGTERM)
    time.sleep(0.1)
    follow.signal(signal.SIGTERM)
    assert follow.wait(timeout_s=60) == 0, follow.output()
    assert "periodic: the refresh in flight is abandoned; the next ./periodic redoes it" in follow.child.stderr()
    assert follow.child.session_processes() == {}
    assert metric_files_problems(workspace.metrics_dir) == []
    assert not any(workspace.metrics_dir.glob("*.csv")), "the abandoned build exported metrics"
    finished = workspace.refresh()
    assert b"already running" not in finished.stdout
    assert workspace.metrics() == reference_metrics


def test_follow_killed_during_a_build_then_during_an_export_is_finished_by_the_next_run(
    workspace: Workspace, stream_lines: list[bytes], reference_metrics: dict[str, bytes]
) -> None:
    third = len(stream_lines) // 3
    workspace.land(b"".join(stream_lines[:third]))

    # 1. During the first build, while dbt writes a gold model (DuckDB mid-transaction).
    log = DbtLog(workspace.data_dir)
    follow = Follow(workspace)
    follow.wait_until(lambda: log.shows("model gold."), "a gold model being built")
    follow.child.kill_group(signal.SIGKILL)
    assert follow.wait() == -signal.SIGKILL
    assert follow.child.session_processes() == {}
    assert metric_files_problems(workspace.metrics_dir) == []

    # 2. The next one catches up at once; killed while it writes the metric files aside.
    workspace.land(b"".join(stream_lines[third : 2 * third]))
    follow = Follow(workspace)
    exporting = export_started(workspace.metrics_dir)
    while not exporting():
        assert follow.child.process.poll() is None, follow.output()
        time.sleep(0.0005)
    follow.child.kill_group(signal.SIGKILL)
    assert follow.wait() == -signal.SIGKILL
    assert metric_files_problems(workspace.metrics_dir) == []

    # 3. The rest lands; a one-shot ./periodic finishes the job (the lock went with the killed process).
    workspace.land(b"".join(stream_lines[2 * third :]))
    finished = workspace.refresh()
    assert b"already running" not in finished.stdout
    assert workspace.metrics() == reference_metrics


def test_a_reader_holding_the_warehouse_fails_refreshes_which_keep_the_last_good_metrics_until_it_lets_go(
    workspace: Workspace, stream_lines: list[bytes], reference_metrics: dict[str, bytes]
) -> None:
    first, second = halves(stream_lines)
    workspace.land(first)
    follow = Follow(workspace)
    follow.wait_until_current()
    good = workspace.metrics()
    # Between refreshes --follow holds nothing of the warehouse open: a reader can open it (and so block it)
    # once the refresh's last step (after the publish: compaction) is done.
    with open_when_free(workspace.data_dir / "warehouse.duckdb"):
        workspace.land(second)
        follow.wait_until(lambda: "refresh failed" in follow.child.stderr(), "a failed refresh")
        assert "periodic: error: cannot open the warehouse in " in follow.child.stderr()
        assert workspace.metrics() == good
    follow.wait_until_current()  # tried again after a pause, new files or not
    assert workspace.metrics() == reference_metrics
    follow.signal(signal.SIGTERM)
    assert follow.wait() == 0, follow.output()


def test_an_unwritable_metrics_dir_fails_refreshes_until_it_is_writable_again(
    tmp_path: Path, stream_lines: list[bytes], reference_metrics: dict[str, bytes]
) -> None:
    workspace = Workspace(data_dir=tmp_path / "data", metrics_dir=tmp_path / "metrics")
    with tmpfs(workspace.metrics_dir, "4m") as mounted:
        if not mounted:
            pytest.skip("mounting a tmpfs is not permitted here")
        first, second = halves(stream_lines)
        workspace.land(first)
        follow = Follow(workspace)
        follow.wait_until_current()
        good = workspace.metrics()
        remount(workspace.metrics_dir, "ro")
        try:
            workspace.land(second)
            follow.wait_until(lambda: "refresh failed" in follow.child.stderr(), "a failed refresh")
            assert (
                f"periodic: error: cannot write metrics to {workspace.metrics_dir}: Read-only file system"
                in follow.child.stderr()
            )
            assert workspace.metrics() == good
        finally:
            remount(workspace.metrics_dir, "rw")
        follow.wait_until_current()
        assert workspace.metrics() == reference_metrics
        follow.signal(signal.SIGTERM)
        assert follow.wait() == 0, follow.output()
