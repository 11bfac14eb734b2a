"""./periodic --status and --freshness: health at a glance, never held up by a running refresh.

A running refresh is stood in for by this test process holding the refresh lock itself (the flock
on data/periodic.lock, with its pid in the file), exactly what a running ./periodic holds.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq

from bluesky_pipeline import bronze_layout
from bluesky_pipeline.bronze_layout import LIVE_SCHEMA
from bluesky_pipeline.refresh.metric_files import METRICS
from tests.pipeline import Workspace
from tests.refresh.lines import junk, likes, not_objects
from tests.reliability.processes import Child


def status_lines(workspace: Workspace) -> tuple[int, dict[str, str]]:
    """The exit code of ./periodic --status, and its report as label -> text."""
    completed = workspace.refresh("--status", check=False)
    report = {}
    for line in completed.stdout.decode().splitlines():
        label, _, text = line.partition(":")
        report[label] = text.strip()
    return completed.returncode, report


@contextmanager
def refresh_lock_held(workspace: Workspace) -> Iterator[None]:
    workspace.data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(workspace.data_dir / "periodic.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def land_old_file(workspace: Workspace, lines: bytes, landed_at: datetime) -> None:
    """A bronze file as handle-stream commits it, but landed at `landed_at` (an idle feed)."""
    directory = bronze_layout.events_dir(workspace.data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    rows = lines.splitlines(keepends=True)
    table = pa.Table.from_arrays(
        [pa.array(rows, pa.binary()), pa.nulls(len(rows), pa.int64()), pa.array([landed_at] * len(rows))],
        schema=LIVE_SCHEMA,
    )
    pq.write_table(table, directory / bronze_layout.file_name(1))


def test_status_reports_the_last_refresh_files_waiting_and_rejected_lines_by_reason(workspace: Workspace) -> None:
    workspace.land(likes(3) + junk(2) + not_objects(1))
    workspace.refresh()
    workspace.land(likes(2, first=3))  # landed, not refreshed yet

    code, report = status_lines(workspace)
    assert code == 0
    assert report["last refresh"].startswith("success, ")
    assert "3 new events, 3 rejected lines; data tests" in report["last refresh"]
    assert report["running now"] == "no refresh"
    assert report["bronze waiting"] == "1 file (#2-#2) landed since the last refresh"
    assert report["rejected lines"] == "3 in all: invalid JSON 2, not a JSON object 1"
    assert report["newest event"].startswith("2026-03-01 12:00:02 (lag ")
    # 3 likes of one post in one minute: one minute, one trending post, no post's words, no fast liker.
    rows = {"likes-per-minutes.csv": 1, "trending-posts.csv": 1}
    assert report["metrics"].endswith(", ".join(f"{metric.name} {rows.get(metric.name, 0)} rows" for metric in METRICS))


def test_status_answers_at_once_while_a_refresh_runs_and_refreshes_say_who_they_wait_for(
    workspace: Workspace,
) -> None:
    workspace.land(likes(3))
    workspace.refresh()
    workspace.land(likes(2, first=3))
    with refresh_lock_held(workspace):
        code, report = status_lines(workspace)
        assert code == 0
        assert report["running now"] == f"a refresh is running (pid {os.getpid()})"
        rival = workspace.refresh()
        assert rival.stdout.decode() == f"periodic: a refresh is already running (pid {os.getpid()}); nothing to do\n"

        waiting = Child(
            "periodic",
            "--data-dir", str(workspace.data_dir),
            "--metrics-dir", str(workspace.metrics_dir),
            "--wait",
            log_dir=workspace.data_dir.parent / "logs",
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while "waiting" not in waiting.stderr() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert waiting.stderr() == f"periodic: waiting for the refresh running as pid {os.getpid()} to finish\n"
        assert waiting.process.poll() is None  # still waiting: the lock is held
    assert waiting.wait() == 0, waiting.stderr()
    assert waiting.stdout().startswith("periodic: 2 new events (0 repeats), 0 rejected lines")


def test_warnings_are_named_in_the_summary_recorded_and_shown_by_status(workspace: Workspace) -> None:
    # The feed went quiet an hour ago: the bronze freshness test warns.
    land_old_file(workspace, likes(3), datetime.now(UTC) - timedelta(hours=1))
    refreshed = workspace.refresh()
    assert "data tests" in refreshed.stdout.decode()
    assert ", 1 warned (assert_bronze_landed_recently);" in refreshed.stdout.decode()
    assert workspace.warehouse("select tests_warned, warnings from ops.periodic_runs") == [
        (1, ["assert_bronze_landed_recently"])
    ]
    code, report = status_lines(workspace)
    assert code == 0
    assert report["last refresh"].endswith(", 1 warned (assert_bronze_landed_recently)")

    freshness = workspace.refresh("--freshness", check=False)
    assert freshness.returncode == 1
    assert freshness.stdout.decode().startswith("periodic: bronze freshness: warn: the newest bronze file landed at ")
    assert re.search(r" UTC, 60\.\d min ago\n$", freshness.stdout.decode()), freshness.stdout


def test_freshness_passes_right_after_landing(workspace: Workspace) -> None:
    workspace.land(likes(1))
    freshness = workspace.refresh("--freshness")
    assert freshness.stdout.decode().startswith("periodic: bronze freshness: pass: the newest bronze file landed at ")


def test_status_before_any_refresh_is_one_clear_line(workspace: Workspace) -> None:
    completed = workspace.refresh("--status", check=False)
    assert completed.returncode == 1
    assert completed.stderr.decode() == (
        f"periodic: error: no snapshot in {workspace.data_dir} yet: it is published by each ./periodic; "
        "run ./periodic once\n"
    )
