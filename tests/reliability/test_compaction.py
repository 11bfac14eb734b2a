"""Bronze compaction through ./periodic: the same rows before and after, under a running writer, and
after a kill -9 at every step of a merge (docs/design.md, Bronze compaction).

Every check compares with what the stream itself says (its lines, in order) and with the metrics of
one uncompacted landing and refresh of the same stream (reference_metrics).
"""

from __future__ import annotations

import subprocess
import time

import pytest

from bluesky_pipeline import bronze_layout
from bluesky_pipeline.refresh.compaction import KILL_AT_ENV, KILL_POINTS, MAX_FILES_ENV
from tests.pipeline import Workspace, query_bronze, run_executable
from tests.reliability.compaction_support import (
    bronze_lines_through_dbt,
    compacted_ranges,
    compile_inline,
    layout_problems,
)
from tests.reliability.files import MetricReader, committed_seqs
from tests.reliability.filesystems import remount, tmpfs
from tests.reliability.processes import Child, error_lines
from tests.reliability.streams import PacedFeeder

pytestmark = pytest.mark.reliability

GROUP_FILES = 10  # small files per merged file in these tests (the default is an hour of commits)
COMPACT = {MAX_FILES_ENV: str(GROUP_FILES)}
FEED_SECONDS = 16.0


def landed_keys(workspace: Workspace) -> list[tuple[object, ...]]:
    return query_bronze(workspace.data_dir, "select file_seq, line_no")


def run_lines(workspace: Workspace) -> int:
    """Lines staged, summed over every recorded refresh (each line must be counted exactly once)."""
    ((total,),) = workspace.warehouse("select coalesce(sum(lines), 0) from ops.periodic_runs")
    assert isinstance(total, int)
    return total


def test_compaction_keeps_every_line_and_full_refresh_gives_the_same_metrics(
    workspace: Workspace, stream_lines: list[bytes], reference_metrics: dict[str, bytes]
) -> None:
    workspace.land(b"".join(stream_lines), "--batch-mb", "0.1")
    last = committed_seqs(workspace.data_dir)[-1]
    assert last > 3 * GROUP_FILES, f"only {last} bronze files: too few to compact"
    events_dir = bronze_layout.events_dir(workspace.data_dir)
    small_bytes = {seq: (events_dir / bronze_layout.file_name(seq)).stat().st_size for seq in range(1, last + 1)}
    first = workspace.refresh("--no-compact")
    assert b"compacted" not in first.stdout
    # Ranges inside the first merged file, across two, across the compacted/live boundary, and all.
    ranges = [(0, last), (0, 1), (3, 7), (9, 11), (5, 25), (19, 21), (2 * GROUP_FILES, last), (last - 1, last)]
    before = bronze_lines_through_dbt(workspace, ranges)
    assert [bytes(row[3]) for row in before[(0, last)]] == stream_lines  # type: ignore[arg-type]

    for step in range(2):
        completed = workspace.refresh(env=COMPACT)
        first_seq = step * GROUP_FILES + 1
        assert f"compacted bronze files #{first_seq}-#{first_seq + GROUP_FILES - 1}" in completed.stdout.decode()
    assert compacted_ranges(workspace.data_dir) == [(1, GROUP_FILES), (GROUP_FILES + 1, 2 * GROUP_FILES)]
    assert committed_seqs(workspace.data_dir) == list(range(2 * GROUP_FILES + 1, last + 1))
    assert layout_problems(workspace.data_dir) == []
    assert bronze_lines_through_dbt(workspace, ranges) == before
    assert workspace.metrics() == reference_metrics
    # A read from past the boundary, as an incremental refresh makes, does not even list compacted/.
    newest = compile_inline(
        workspace, f"select * from {{{{ bronze_lines(source('bronze', 'events'), 25, {last}) }}}}", last
    )
    assert str(bronze_layout.compacted_dir(workspace.data_dir.resolve())) not in newest
    assert str(bronze_layout.events_dir(workspace.data_dir.resolve())) in newest

    # Recompressed: the merged files are smaller than the small files they replaced.
    merged = sum(path.stat().st_size for path in bronze_layout.compacted_dir(workspace.data_dir).glob("*.parquet"))
    replaced = sum(small_bytes[seq] for seq in range(1, 2 * GROUP_FILES + 1))
    assert merged < replaced * 0.8, (merged, replaced)

    workspace.refresh("--full-refresh", "--no-compact")
    assert workspace.metrics() == reference_metrics
    assert bronze_lines_through_dbt(workspace, ranges) == before


def test_compaction_while_the_writer_lands_and_refreshes_race(
    workspace: Workspace, stream_lines: list[bytes], reference_metrics: dict[str, bytes]
) -> None:
    logs = workspace.data_dir.parent / "logs"
    writer = Child("handle-stream", "--data-dir", str(workspace.data_dir), "--commit-interval", "0.1", log_dir=logs)
    assert writer.process.stdin is not None
    feeder = PacedFeeder(writer.process.stdin, stream_lines, len(stream_lines) / FEED_SECONDS)
    reader = MetricReader(workspace.metrics_dir)
    feeder.start()
    deadline = time.monotonic() + 30
    while not committed_seqs(workspace.data_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    reader.start()

    def periodic(*args: str) -> Child:
        return Child(
            "periodic", "--data-dir", str(workspace.data_dir), "--metrics-dir", str(workspace.metrics_dir), *args,
            log_dir=logs, stdin=subprocess.DEVNULL, env=COMPACT,
        )  # fmt: skip

    finished: list[tuple[int, str, str]] = []
    rivals: list[str] = []
    while not feeder.finished.is_set():
        refresh = periodic()
        time.sleep(1.0)
        rival = periodic()  # while the first one surely still runs: it must step aside
        for child in (rival, refresh):
            finished.append((child.wait(), child.stdout(), child.stderr()))
        rivals.append(finished[-2][1])
    assert not feeder.broken_pipe
    assert writer.wait(60) == 0, writer.stderr()
    for _ in range(3):  # everything is landed: the last refreshes read the tail and compact further
        last = periodic("--wait")
        finished.append((last.wait(), last.stdout(), last.stderr()))
    reader.stop.set()
    reader.join()

    assert [(code, error_lines(err)) for code, _, err in finished if code != 0 or error_lines(err)] == []
    assert any("already running" in out for out in rivals), rivals
    assert sum("compacted bronze files" in out for _, out, _ in finished) >= 3, [out for _, out, _ in finished]
    assert reader.problems == [], reader.problems
    assert layout_problems(workspace.data_dir) == []
    assert len(compacted_ranges(workspace.data_dir)) >= 3
    assert [bytes(line) for (line,) in query_bronze(workspace.data_dir, "select line")] == stream_lines
    assert workspace.metrics() == reference_metrics
    assert run_lines(workspace) == len(stream_lines)

    workspace.refresh("--full-refresh", "--no-compact")
    assert workspace.metrics() == reference_metrics


# What the next run finds after the kill: the step done (merged file durable) or not.
FINISHED_AFTER_KILL = {"journaled": False, "merging": False, "merged": True, "committed": True, "deleting": True}


@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_9_during_compaction_loses_nothing_and_counts_nothing_twice(
    point: str, workspace: Workspace, stream_lines: list[bytes], reference_metrics: dict[str, bytes]
) -> None:
    workspace.land(b"".join(stream_lines), "--batch-mb", "0.1")
    last = committed_seqs(workspace.data_dir)[-1]
    assert last > 2 * GROUP_FILES, f"only {last} bronze files: too few to compact twice"

    killed = workspace.refresh(env=COMPACT | {KILL_AT_ENV: point}, check=False)
    assert killed.returncode == -9, killed.stderr.decode()
    state = bronze_layout.read_compaction_state(workspace.data_dir)
    assert (state.merging is not None) == (point in ("journaled", "merging", "merged")), state

    rerun = workspace.refresh(env=COMPACT)
    assert error_lines(rerun.stderr.decode()) == []
    # The rerun first finishes or undoes the killed step, then makes its own step.
    steps = 2 if FINISHED_AFTER_KILL[point] else 1
    assert compacted_ranges(workspace.data_dir) == [(n * GROUP_FILES + 1, (n + 1) * GROUP_FILES) for n in range(steps)]
    assert layout_problems(workspace.data_dir) == []
    keys = landed_keys(workspace)
    assert len(keys) == len(set(keys)) == len(stream_lines)
    assert [bytes(line) for (line,) in query_bronze(workspace.data_dir, "select line")] == stream_lines
    assert workspace.metrics() == reference_metrics
    assert run_lines(workspace) == len(stream_lines)


def test_a_full_disk_during_compaction_loses_nothing_and_a_later_run_does_the_step(
    workspace: Workspace, stream_lines: list[bytes], reference_metrics: dict[str, bytes]
) -> None:
    workspace.land(b"".join(stream_lines), "--batch-mb", "0.1")
    workspace.refresh("--no-compact")
    compacted = bronze_layout.compacted_dir(workspace.data_dir)
    with tmpfs(compacted, "64k") as mounted:  # far smaller than a merged file
        if not mounted:
            pytest.skip("mounting a tmpfs is not permitted here")
        full = workspace.refresh(env=COMPACT, check=False)
        assert full.returncode == 1
        assert error_lines(full.stderr.decode()) == [
            f"periodic: error: cannot compact bronze files #1-#{GROUP_FILES}: No space left on device "
            "(nothing lost; the next refresh undoes the step)"
        ]
        assert "metrics in" in full.stdout.decode()  # the refresh itself went through
        assert list(compacted.iterdir()) == []
        assert workspace.metrics() == reference_metrics

        remount(compacted, "size=64m")
        rerun = workspace.refresh(env=COMPACT)
        assert f"compacted bronze files #1-#{GROUP_FILES} " in rerun.stdout.decode()
        assert layout_problems(workspace.data_dir) == []
        assert [bytes(line) for (line,) in query_bronze(workspace.data_dir, "select line")] == stream_lines
        assert workspace.metrics() == reference_metrics
        assert run_lines(workspace) == len(stream_lines)


def test_bad_compaction_settings_fail_in_one_line(workspace: Workspace) -> None:
    completed = workspace.refresh(env={MAX_FILES_ENV: "many"}, check=False)
    assert completed.returncode == 1
    assert completed.stderr.decode().splitlines() == [
        f"periodic: error: {MAX_FILES_ENV} and BLUESKY_COMPACT_MAX_MB must be numbers: "
        "invalid literal for int() with base 10: 'many'"
    ]


def test_help_says_how_compaction_runs() -> None:
    help_text = run_executable("periodic", "--help").stdout.decode()
    assert "--no-compact" in help_text
    assert MAX_FILES_ENV in help_text
    assert "quarantine" in help_text
