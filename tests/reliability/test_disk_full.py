"""A disk that fills up and paths that cannot be written: one clear error, nothing partial left.

Small filesystems are real tmpfs mounts (the tests run as root in CI); where mounting is not
permitted, handle-stream's disk-full case falls back to a file size limit (RLIMIT_FSIZE), and the
cases that need a mount are skipped, saying so.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.pipeline import REPO, Workspace, child_environment
from tests.reliability.files import committed_seqs, metric_files_problems, temp_files, unreadable_bronze_files
from tests.reliability.filesystems import fill_filesystem, remount, tmpfs
from tests.reliability.processes import error_lines

pytestmark = pytest.mark.reliability

FSIZE_LIMIT = 1 << 20


def run(
    name: str, *args: str, stdin: bytes = b"", preexec_fn: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [str(REPO / name), *args],
        input=stdin,
        capture_output=True,
        env=child_environment(),
        cwd=REPO,
        timeout=300,
        preexec_fn=preexec_fn,
        check=False,
    )
    return subprocess.CompletedProcess(
        completed.args,
        completed.returncode,
        completed.stdout.decode(errors="replace"),
        completed.stderr.decode(errors="replace"),
    )


def refresh_args(workspace: Workspace) -> tuple[str, ...]:
    return ("--data-dir", str(workspace.data_dir), "--metrics-dir", str(workspace.metrics_dir))


def limit_file_size() -> None:
    """In the child: files may not grow past FSIZE_LIMIT, and doing so fails the write (EFBIG)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_LIMIT, FSIZE_LIMIT))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def assert_one_clear_error(completed: subprocess.CompletedProcess[str], *causes: str) -> None:
    """Non-zero exit, no traceback, and exactly one error line, naming one of `causes`."""
    assert completed.returncode != 0
    assert "Traceback" not in completed.stderr, completed.stderr
    errors = error_lines(completed.stderr)
    assert len(errors) == 1, completed.stderr
    assert any(cause.lower() in errors[0].lower() for cause in causes), errors[0]


def test_handle_stream_stops_with_one_clear_error_when_the_disk_fills(
    tmp_path: Path, stream_lines: list[bytes]
) -> None:
    stream = b"".join(stream_lines)
    small = tmp_path / "small"
    with tmpfs(small, "2m") as mounted:
        if mounted:
            data_dir, preexec, causes = small / "data", None, ("no space left",)
        else:  # no mount permitted: a file size limit stands in for the full disk
            data_dir, preexec, causes = tmp_path / "data", limit_file_size, ("file too large", "no space left")
        stopped = run("handle-stream", "--data-dir", str(data_dir), stdin=stream, preexec_fn=preexec)
        assert_one_clear_error(stopped, *causes)

        # What was committed before is intact; nothing half-written is visible or left behind.
        assert unreadable_bronze_files(data_dir) == []
        assert temp_files(data_dir) == []
        landed = Workspace(data_dir, tmp_path / "metrics").bronze_lines()
        assert landed == stream_lines[: len(landed)]
        assert len(landed) < len(stream_lines)
        if not mounted:
            return

        # Space freed: a restart lands the rest, continuing the sequence.
        remount(small, "size=256m")
        resumed = run("handle-stream", "--data-dir", str(data_dir), stdin=b"".join(stream_lines[len(landed) :]))
        assert resumed.returncode == 0, resumed.stderr
        assert Workspace(data_dir, tmp_path / "metrics").bronze_lines() == stream_lines
        seqs = committed_seqs(data_dir)
        assert seqs == list(range(1, len(seqs) + 1))


@pytest.fixture
def read_only_root(tmp_path: Path) -> Iterator[Path]:
    """A read-only filesystem holding `data/`, where handle-stream has landed a few lines before."""
    root = tmp_path / "ro"
    with tmpfs(root, "16m") as mounted:
        if not mounted:
            pytest.skip("mounting a filesystem is not permitted here; root ignores permission bits")
        landed = run("handle-stream", "--data-dir", str(root / "data"), stdin=b'{"a": 1}\n')
        assert landed.returncode == 0, landed.stderr
        remount(root, "ro")
        yield root


@pytest.mark.parametrize(
    ("executable", "data_dir_name"),
    [
        ("handle-stream", "data"),
        ("handle-stream", "new-data"),
        ("periodic", "data"),
        ("periodic", "new-data"),
    ],
    ids=["handle-stream-existing-dir", "handle-stream-new-dir", "periodic-existing-dir", "periodic-new-dir"],
)
def test_an_unwritable_data_dir_is_one_clear_error(
    read_only_root: Path, tmp_path: Path, executable: str, data_dir_name: str
) -> None:
    data_dir = read_only_root / data_dir_name
    extra = ("--metrics-dir", str(tmp_path / "metrics")) if executable == "periodic" else ()
    completed = run(executable, "--data-dir", str(data_dir), *extra, stdin=b'{"a": 1}\n')
    assert_one_clear_error(completed, "read-only file system")
    assert str(data_dir) in completed.stderr
    assert not (tmp_path / "metrics").exists()


@pytest.mark.parametrize("executable", ["handle-stream", "periodic"])
def test_a_data_dir_below_a_file_is_one_clear_error(tmp_path: Path, executable: str) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where a directory is expected\n")
    extra = ("--metrics-dir", str(tmp_path / "metrics")) if executable == "periodic" else ()
    completed = run(executable, "--data-dir", str(blocker / "data"), *extra, stdin=b'{"a": 1}\n')
    assert_one_clear_error(completed, "not a directory")


@pytest.mark.parametrize("leave_bytes", [0, 256 << 10], ids=["full", "nearly-full"])
def test_periodic_on_a_full_data_disk_is_one_clear_error(tmp_path: Path, leave_bytes: int) -> None:
    """Full: not even the refresh lock can be written. Nearly full: dbt starts, the warehouse cannot grow."""
    workspace = Workspace(tmp_path / "disk" / "data", tmp_path / "metrics")
    with tmpfs(tmp_path / "disk", "16m") as mounted:
        if not mounted:
            pytest.skip("mounting a filesystem is not permitted here, and a file size limit would not fill the disk")
        workspace.land(b'{"timestamp": "2026-01-01T00:00:00", "path": "app.bsky.feed.like/3a", "repo": "did:plc:a"}\n')
        fill_filesystem(tmp_path / "disk", leave_bytes)
        failed = run("periodic", *refresh_args(workspace))
        assert_one_clear_error(failed, "no space left")
        assert metric_files_problems(workspace.metrics_dir) == []


def test_periodic_on_a_full_metrics_disk_fails_and_keeps_the_last_good_metrics(
    tmp_path: Path, stream_lines: list[bytes]
) -> None:
    workspace = Workspace(tmp_path / "data", tmp_path / "metrics")
    half = len(stream_lines) // 2
    with tmpfs(workspace.metrics_dir, "1m") as mounted:
        if not mounted:
            pytest.skip("mounting a filesystem is not permitted here, and a file size limit would stop dbt first")
        workspace.land(b"".join(stream_lines[:half]))
        workspace.refresh()
        last_good = workspace.metrics()

        workspace.land(b"".join(stream_lines[half:]))
        filler = fill_filesystem(workspace.metrics_dir)
        failed = run("periodic", *refresh_args(workspace))
        assert_one_clear_error(failed, "no space left")
        assert "already running" not in failed.stdout
        assert workspace.metrics() == last_good
        leftovers = sorted(name for name in os.listdir(workspace.metrics_dir) if name not in last_good)
        assert leftovers == [filler.name], "a partial metric file was left behind"
        status, message = workspace.warehouse(
            "select status, message from ops.periodic_runs order by finished_at desc limit 1"
        )[0]
        assert status == "failed"
        assert "space" in str(message).lower(), message
