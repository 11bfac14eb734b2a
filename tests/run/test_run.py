"""./run end to end: the real pipeline started, stopped by Ctrl-C, a closed terminal, its own end or kill -9.

Each test starts ./run as a child in its own session and checks what it leaves: bronze lines compared
with the producer's deterministic stream generated apart, metric files, run records, logs, and that no
process of the session is left.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import json
import os
import pty
import signal
import subprocess
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import pytest

from bluesky_pipeline import bronze_layout
from tests.pipeline import METRIC_FILES, REPO, Workspace, child_environment, run_executable

PRODUCER = ("--simulate", "--seed", "5", "--start", "2026-05-01T12:00:00")  # a deterministic stream


class RunChild:
    """`./run <args>` in a session of its own, from `cwd`, its stderr in `stderr_path` (or on `terminal`)."""

    def __init__(self, *args: str, stderr_path: Path, cwd: Path = REPO, terminal: int | None = None) -> None:
        self.stderr_path = stderr_path
        stderr_path.parent.mkdir(parents=True, exist_ok=True)
        with stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [str(REPO / "run"), *args],
                stdin=terminal if terminal is not None else subprocess.DEVNULL,
                stdout=terminal if terminal is not None else subprocess.DEVNULL,
                stderr=terminal if terminal is not None else stderr,
                env=child_environment(),
                cwd=cwd,
                start_new_session=True,
                # With a terminal: make it the session's controlling terminal, as a login shell's is.
                preexec_fn=None if terminal is None else lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # noqa: PLW1509
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait(self, timeout: float = 180) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"./run still running after {timeout} s:\n{self.stderr()}") from None

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def kill_what_is_left(self) -> None:
        for pid in session_processes(self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


class StartRun(Protocol):
    def __call__(self, *args: str, cwd: Path = REPO, terminal: int | None = None) -> RunChild: ...


@pytest.fixture
def start_run(workspace: Workspace) -> Iterator[StartRun]:
    """Starts ./run on the workspace's directories (unless `args` name others); kills what a failed test leaves."""
    runs: list[RunChild] = []

    def start(*args: str, cwd: Path = REPO, terminal: int | None = None) -> RunChild:
        if "--data-dir" not in args:
            args = ("--data-dir", str(workspace.data_dir), "--metrics-dir", str(workspace.metrics_dir), *args)
        stderr_path = workspace.data_dir.parent / f"run-{len(runs)}.stderr"
        runs.append(RunChild(*args, stderr_path=stderr_path, cwd=cwd, terminal=terminal))
        return runs[-1]

    yield start
    for run in runs:
        run.kill_what_is_left()


def session_processes(session: int) -> dict[int, str]:
    """pid -> command line of every live (non-zombie) process in `session`."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            cmdline = Path(entry.path, "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == session and fields[0] != "Z":
            found[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return found


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def bronze_seqs(workspace: Workspace) -> list[int]:
    """Sequence numbers of the live bronze files committed so far, in order."""
    return bronze_layout.committed_seqs(bronze_layout.events_dir(workspace.data_dir))


def reference_lines(count: int) -> list[bytes]:
    """The first `count` lines of the stream PRODUCER prints, generated apart and as fast as possible."""
    stream = run_executable("bluesky", *PRODUCER, "--rate", "0", "--count", str(count)).stdout
    return stream.splitlines(keepends=True)


def assert_landed_a_prefix_of_the_stream(workspace: Workspace) -> list[bytes]:
    """Every landed line is the producer's, in order, from its first; returns the landed lines.

    The producer is stopped with SIGTERM, which may cut the line it was writing: the last line landed
    may be the start of the next line of the stream.
    """
    landed = workspace.bronze_lines()
    assert landed, "nothing landed"
    reference = reference_lines(len(landed))
    assert landed[:-1] == reference[:-1]
    assert reference[-1].startswith(landed[-1])
    return landed


def distinct_likes(lines: list[bytes]) -> int:
    """Likes among `lines` by the metric's definition, each (repo, path) counted once."""
    likes = set()
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line cut by the producer's stop: rejected by the pipeline, no like
        if event["action"] == "create" and event["path"].startswith("app.bsky.feed.like/"):
            likes.add((event["repo"], event["path"]))
    return len(likes)


def likes_in_metric(workspace: Workspace) -> int:
    with (workspace.metrics_dir / "likes-per-minutes.csv").open(newline="") as file:
        return sum(int(row["likes"]) for row in csv.DictReader(file))


def assert_the_last_refresh_saw_every_file(workspace: Workspace) -> None:
    newest_seq = bronze_seqs(workspace)[-1]
    ((through_seq, status),) = workspace.warehouse(
        "select bronze_through_seq, status from ops.periodic_runs order by finished_at desc limit 1"
    )
    assert (through_seq, status) == (newest_seq, "success")


def test_ctrl_c_stops_the_producer_first_lands_every_line_and_refreshes_last(
    workspace: Workspace, start_run: StartRun
) -> None:
    run = start_run("--every", "5", *PRODUCER, "--rate", "2000", "--count", "1000000")
    likes_csv = workspace.metrics_dir / "likes-per-minutes.csv"
    wait_until(likes_csv.exists, 120, "the first refresh's metrics")
    first_refresh_files = len(bronze_seqs(workspace))
    wait_until(lambda: len(bronze_seqs(workspace)) >= first_refresh_files + 2, 60, "more lines after the refresh")
    running = " ".join(session_processes(run.pid).values())
    assert "bluesky_pipeline.producer" in running
    assert "bluesky_pipeline.landing" in running

    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C does: the terminal signals ./run's process group
    assert run.wait() == 0, run.stderr()

    assert session_processes(run.pid) == {}, "a child of ./run is still running"
    landed = assert_landed_a_prefix_of_the_stream(workspace)
    assert len(landed) > first_refresh_files * 1000
    logs = workspace.data_dir / "logs"
    # handle-stream read to the end of its input: the producer had stopped first.
    assert "handle-stream: end of input: landed" in (logs / "handle-stream.log").read_text()
    assert_the_last_refresh_saw_every_file(workspace)
    assert likes_in_metric(workspace) == distinct_likes(landed)
    assert {path.name for path in workspace.metrics_dir.iterdir()} == set(METRIC_FILES)
    assert " new events " in (logs / "periodic.log").read_text()
    stderr = run.stderr()
    assert f"run: logs in {logs}/" in stderr
    assert "run: last refresh " in stderr
    assert stderr.endswith(f"run: stopped; metrics in {workspace.metrics_dir}/\n")


def test_without_every_one_periodic_follow_refreshes_and_is_stopped_last_reading_every_line(
    workspace: Workspace, start_run: StartRun
) -> None:
    run = start_run(*PRODUCER, "--rate", "2000", "--count", "1000000")
    likes_csv = workspace.metrics_dir / "likes-per-minutes.csv"
    wait_until(likes_csv.exists, 120, "the first refresh's metrics")
    first_files = len(bronze_seqs(workspace))
    wait_until(lambda: len(bronze_seqs(workspace)) >= first_files + 3, 60, "more files landed")
    running = list(session_processes(run.pid).values())
    assert sum("bluesky_pipeline.refresh --follow" in command for command in running) == 1, running

    os.killpg(run.pid, signal.SIGINT)
    assert run.wait() == 0, run.stderr()

    assert session_processes(run.pid) == {}, "a child of ./run is still running"
    landed = assert_landed_a_prefix_of_the_stream(workspace)
    assert_the_last_refresh_saw_every_file(workspace)
    assert likes_in_metric(workspace) == distinct_likes(landed)
    log = (workspace.data_dir / "logs" / "periodic.log").read_text()
    assert log.count("./run started: ./periodic --follow") == 1  # one process for every refresh
    assert log.rstrip().endswith("periodic: stopped")
    assert "run: last refresh " in run.stderr()
    assert "./periodic --follow; Ctrl-C stops" in run.stderr()


def test_a_producer_that_ends_lands_every_line_and_relative_paths_are_from_the_callers_directory(
    tmp_path: Path, start_run: StartRun
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    relative_dirs = ("--data-dir", "landed", "--metrics-dir", "csv")
    run = start_run(*relative_dirs, *PRODUCER, "--rate", "0", "--count", "5000", cwd=elsewhere)
    assert run.wait() == 0, run.stderr()

    landed = Workspace(data_dir=elsewhere / "landed", metrics_dir=elsewhere / "csv")
    assert sorted(path.name for path in elsewhere.iterdir()) == ["csv", "landed"]
    assert landed.bronze_lines() == reference_lines(5000)
    assert {path.name for path in landed.metrics_dir.iterdir()} == set(METRIC_FILES)
    assert likes_in_metric(landed) == distinct_likes(reference_lines(5000))
    assert session_processes(run.pid) == {}
    assert "run: the producer has ended" in run.stderr()


def test_a_closed_terminal_stops_it_like_ctrl_c(workspace: Workspace, start_run: StartRun) -> None:
    """The kernel sends SIGHUP when the terminal goes; ./run stops everything in order all the same."""
    terminal, run_side = pty.openpty()
    run = start_run(*PRODUCER, "--rate", "2000", "--count", "1000000", terminal=run_side)
    os.close(run_side)
    wait_until(lambda: len(bronze_seqs(workspace)) >= 2, 60, "lines to land")
    os.close(terminal)
    assert run.wait() == 0

    assert session_processes(run.pid) == {}, "a child of ./run is still running"
    assert_landed_a_prefix_of_the_stream(workspace)
    assert "handle-stream: end of input: landed" in (workspace.data_dir / "logs" / "handle-stream.log").read_text()
    assert_the_last_refresh_saw_every_file(workspace)


def test_kill_9_of_run_leaves_no_child_running(workspace: Workspace, start_run: StartRun) -> None:
    run = start_run("--every", "1000", *PRODUCER, "--rate", "2000", "--count", "1000000")
    wait_until(lambda: len(bronze_seqs(workspace)) >= 1, 60, "lines to land")
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    # The producer gets SIGTERM from the kernel when ./run dies; handle-stream then reads to the end.
    wait_until(lambda: session_processes(run.pid) == {}, 60, "the children to exit")
    assert_landed_a_prefix_of_the_stream(workspace)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--simulate", "--no-such-option"), "unrecognized arguments: --no-such-option"),
        (("--simulate", "--rate", "fast"), "argument --rate: not a number: 'fast'"),
        (("--every", "0", "--simulate"), "argument --every: must be greater than 0: '0'"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2_before_anything_starts(
    workspace: Workspace, args: tuple[str, ...], message: str
) -> None:
    bad = run_executable("run", "--data-dir", str(workspace.data_dir), *args, check=False)
    assert bad.returncode == 2
    assert bad.stderr.decode().splitlines() == [f"run: error: {message} (try --help)"]
    assert not workspace.data_dir.exists()


def test_help_shows_the_options_and_examples() -> None:
    help_text = run_executable("run", "--help").stdout.decode()
    assert "--every SECONDS" in help_text
    assert "./run --simulate" in help_text
    assert "<data-dir>/logs/" in help_text
