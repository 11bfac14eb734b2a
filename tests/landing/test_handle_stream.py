"""./handle-stream end to end: real streams piped into the executable, bronze read back with DuckDB."""

from __future__ import annotations

import fcntl
import os
import pty
import random
import select
import signal
import subprocess
import termios
import threading
import time
from typing import IO

import duckdb
import pyarrow.parquet as pq
import pytest

from bluesky_pipeline import bronze_layout
from bluesky_pipeline.landing.status import RATE_WINDOW_S
from tests.pipeline import REPO, Workspace, child_environment, query_bronze, run_executable


def test_lines_land_byte_for_byte(workspace: Workspace) -> None:
    lines = [
        b'{"timestamp": "2026-02-14T09:00:13", "path": "app.bsky.feed.like/1", "repo": "did:plc:a"}\n',
        b"\n",
        b"\xff\xfe not UTF-8 \xc3\x28\n",
        b"\r\n",
        b'["not", "an", "object"]\n',
        b'{"huge": "' + b"h" * 3_000_000 + b'"}\n',
        b'{"last": "line without newline"}',
    ]
    workspace.land(b"".join(lines))
    assert workspace.bronze_lines() == lines


def test_many_batches_land_byte_for_byte(workspace: Workspace) -> None:
    # A batch per read (1 MiB): many files, each framed in a reused buffer still holding older bytes.
    rng = random.Random(3)
    lines = [rng.randbytes(rng.choice([0, 9, 700, 5000, 70_000])).replace(b"\n", b"") + b"\n" for _ in range(2000)]
    workspace.land(b"".join(lines), "--batch-mb", "0.05")
    assert len(list(bronze_layout.events_dir(workspace.data_dir).glob("*.parquet"))) > 10
    assert workspace.bronze_lines() == lines


@pytest.mark.parametrize("cap_mb", ["1", "0.01"])
def test_a_line_over_the_cap_keeps_its_start_and_records_its_size(workspace: Workspace, cap_mb: str) -> None:
    cap = int(float(cap_mb) * (1 << 20))  # a cap under the 1 MiB read size is kept too, not raised
    huge = b'{"x": "' + b"a" * (6 << 20) + b'"}\n'
    just_under = b'{"y": "' + b"b" * (cap - 10) + b'"}\n'
    workspace.land(b"first\n" + huge + just_under + b"after\n", "--max-line-mb", cap_mb)
    rows = query_bronze(workspace.data_dir, "select line, original_size")
    assert rows == [(b"first\n", None), (huge[:cap], len(huge)), (just_under, None), (b"after\n", None)]


def test_the_summary_counts_lines_blank_and_invalid_ones_included(workspace: Workspace) -> None:
    completed = workspace.land(b'{"a": 1}\n\nnot json\n\xff\n{"no newline": 1}')
    assert completed.stderr.decode().startswith("handle-stream: end of input: landed 5 lines, 0.0 MB in 1 files")


def test_restart_appends_with_the_next_sequence_numbers(workspace: Workspace) -> None:
    workspace.land(b"one\n")
    workspace.land(b"two\n")
    workspace.land(b"")  # empty input: nothing to commit, no file
    names = sorted(p.name for p in bronze_layout.events_dir(workspace.data_dir).glob("*.parquet"))
    assert names == [bronze_layout.file_name(1), bronze_layout.file_name(2)]
    assert workspace.bronze_lines() == [b"one\n", b"two\n"]


def test_empty_input_exits_zero_and_lands_nothing(workspace: Workspace) -> None:
    completed = workspace.land(b"")
    assert completed.returncode == 0
    assert not list(bronze_layout.events_dir(workspace.data_dir).glob("*.parquet"))


def test_commits_while_the_stream_is_still_open(workspace: Workspace) -> None:
    """A line is committed within about one commit interval, without waiting for end of input."""
    process = _start(workspace, "--commit-interval", "0.2")
    assert process.stdin is not None
    process.stdin.write(b"early line\n")
    process.stdin.flush()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not list(bronze_layout.events_dir(workspace.data_dir).glob("*.parquet")):
        time.sleep(0.05)
    landed_while_open = workspace.bronze_lines()
    process.stdin.close()
    assert process.wait(timeout=30) == 0
    assert landed_while_open == [b"early line\n"]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda sig: sig.name)
def test_a_stop_signal_lands_everything_read_says_so_and_exits_zero(
    workspace: Workspace, stop_signal: signal.Signals
) -> None:
    process = _start(workspace, "--commit-interval", "30")
    assert process.stdin is not None
    assert process.stderr is not None
    sent = b"".join(b'{"n": %d}\n' % i for i in range(50_000)) + b'{"partial'
    process.stdin.write(sent)
    process.stdin.flush()
    time.sleep(1.5)  # let it read what was sent (the interval is long: nothing is committed yet)
    process.send_signal(stop_signal)
    assert process.wait(timeout=30) == 0
    assert b"".join(workspace.bronze_lines()) == sent
    summary = process.stderr.read().decode().splitlines()[-1]
    assert summary.startswith(f"handle-stream: stopped by {stop_signal.name}: landed 50,001 lines, ")


def test_a_closed_terminal_lands_everything_read_and_exits_zero(workspace: Workspace) -> None:
    """The terminal showing the status line goes away (an ssh session drops): the kernel sends SIGHUP."""
    terminal, handle_stream_side = pty.openpty()
    process = subprocess.Popen(
        [str(REPO / "handle-stream"), "--data-dir", str(workspace.data_dir), "--commit-interval", "60"],
        stdin=subprocess.PIPE,
        stderr=handle_stream_side,
        env=child_environment(),
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(2, termios.TIOCSCTTY, 0),  # noqa: PLW1509 (the terminal of its session)
    )
    os.close(handle_stream_side)
    assert process.stdin is not None
    sent = b"".join(b'{"n": %d}\n' % i for i in range(20_000))
    process.stdin.write(sent)
    process.stdin.flush()
    shown = _read_terminal(terminal, seconds=1.5)
    os.close(terminal)  # the hang-up: writes to the terminal fail from now on
    assert process.wait(timeout=30) == 0
    assert " lines/s | " in shown
    assert "\r\x1b[K" in shown  # the status line, redrawn in place
    assert b"".join(workspace.bronze_lines()) == sent


def test_the_live_rate_counts_lines_as_they_are_read(workspace: Workspace) -> None:
    """At a steady 2,000 lines/s, every status line says about 2,000 lines/s, between commits too.

    Commits every 4 s: a rate counted from commits would say 0 for most of the 2 s window and about
    4,000 when a commit falls in it. Each reported rate is compared with what was written in the 2 s
    before it was shown (the reporter's window).
    """
    process = _start(workspace, "--status-interval", "0.5", "--commit-interval", "4")
    assert process.stdin is not None
    assert process.stderr is not None
    shown: list[tuple[float, str]] = []
    stderr = process.stderr
    reader = threading.Thread(target=lambda: shown.extend((time.monotonic(), line.decode()) for line in stderr))
    reader.start()
    written = _feed_steadily(process.stdin, lines_per_second=2000, seconds=8)
    process.stdin.close()
    assert process.wait(timeout=30) == 0
    reader.join()
    steady = [(at, line) for at, line in shown if written[0][0] + 3 <= at <= written[-1][0] and " lines/s | " in line]
    assert len(steady) >= 6, shown
    for at, line in steady:
        reported = int(line.removeprefix("handle-stream: ").split(" lines/s")[0].replace(",", ""))
        actual = (_written_by(written, at) - _written_by(written, at - RATE_WINDOW_S)) / RATE_WINDOW_S
        assert abs(reported - actual) <= 0.25 * actual, f"{line!r} shown when {actual:.0f} lines/s were written"
    summary = shown[-1][1]
    assert summary.startswith(f"handle-stream: end of input: landed {written[-1][1]:,} lines, "), summary


def test_no_temporary_file_is_ever_visible_to_a_readers_glob(workspace: Workspace) -> None:
    """While files are being written and committed, every `*.parquet` a reader lists is complete."""
    events = bronze_layout.events_dir(workspace.data_dir)
    events.mkdir(parents=True)
    stop = threading.Event()
    problems: list[str] = []
    reads = 0

    def reader() -> None:
        nonlocal reads
        with duckdb.connect() as connection:
            while not stop.is_set():
                for path in events.glob("*.parquet"):
                    try:
                        connection.execute(f"select count(*) from read_parquet('{path}')").fetchone()
                        reads += 1
                    except duckdb.Error as error:
                        problems.append(f"{path.name}: {error}")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        stream = b"".join(b'{"line": %d, "pad": "%s"}\n' % (i, b"p" * 300) for i in range(300_000))
        workspace.land(stream, "--batch-mb", "1")
    finally:
        stop.set()
        thread.join()
    assert problems == []
    assert reads > 0
    assert len(list(events.glob("*.parquet"))) > 10


def test_a_second_writer_on_the_same_data_is_refused_with_one_line(workspace: Workspace) -> None:
    first = _start(workspace)
    try:
        time.sleep(1.0)
        second = workspace.land(b"x\n", check=False)
    finally:
        assert first.stdin is not None
        first.stdin.close()
        first.wait(timeout=30)
    assert second.returncode == 1
    assert second.stderr.decode().strip().splitlines() == [
        f"handle-stream: error: another handle-stream is already writing to {workspace.data_dir}/bronze/events"
    ]


@pytest.mark.parametrize(
    ("options", "codec"),
    [
        ((), "ZSTD"),
        (("--compression-level", "1"), "ZSTD"),
        (("--compression", "lz4"), "LZ4"),
        (("--compression", "none"), "UNCOMPRESSED"),
    ],
)
def test_every_compression_lands_the_lines_byte_for_byte(
    workspace: Workspace, options: tuple[str, ...], codec: str
) -> None:
    lines = [b'{"n": %d, "text": "%s"}\n' % (n, b"ab\xff" * n) for n in range(2000)]
    workspace.land(b"".join(lines), *options)
    assert workspace.bronze_lines() == lines
    (path,) = bronze_layout.events_dir(workspace.data_dir).glob("*.parquet")
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == codec


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--compression", "snappy", "--compression-level", "3"), "--compression snappy takes no --compression-level"),
        (("--compression-level", "23"), "--compression-level for zstd must be from -131072 to 22"),
        (("--commit-interval", "soon"), "argument --commit-interval: not a number: 'soon'"),
        (("--max-line-mb", "0"), "argument --max-line-mb: must be greater than 0: '0'"),
        (("--max-line-mb", "513"), "argument --max-line-mb: must be at most 512: '513'"),
        (("--batch-mb", "600"), "argument --batch-mb: must be at most 512: '600'"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(options: tuple[str, ...], message: str) -> None:
    bad = run_executable("handle-stream", *options, check=False)
    assert bad.returncode == 2
    # Exactly this line, so no traceback either.
    assert bad.stderr.decode().splitlines() == [f"handle-stream: error: {message} (try --help)"]


def test_help_shows_the_options_and_an_example() -> None:
    help_text = run_executable("handle-stream", "--help").stdout.decode()
    assert "--commit-interval" in help_text
    assert "./bluesky | ./handle-stream" in help_text


def test_environment_variables_set_the_defaults(workspace: Workspace) -> None:
    env = child_environment() | {"BLUESKY_DATA_DIR": str(workspace.data_dir)}
    subprocess.run([str(REPO / "handle-stream")], input=b"via env\n", env=env, check=True, capture_output=True)
    assert workspace.bronze_lines() == [b"via env\n"]


def _feed_steadily(pipe: IO[bytes], *, lines_per_second: int, seconds: float) -> list[tuple[float, int]]:
    """Write numbered lines at a steady rate, 100 at a time; returns (when, lines written by then)."""
    chunk = 100
    started = time.monotonic()
    written = [(started, 0)]
    for index in range(int(lines_per_second * seconds / chunk)):
        time.sleep(max(0.0, started + index * chunk / lines_per_second - time.monotonic()))
        pipe.write(b"".join(b'{"n": %d}\n' % (index * chunk + n) for n in range(chunk)))
        pipe.flush()
        written.append((time.monotonic(), (index + 1) * chunk))
    return written


def _written_by(written: list[tuple[float, int]], moment: float) -> int:
    return max((count for at, count in written if at <= moment), default=0)


def _read_terminal(terminal: int, seconds: float) -> str:
    """What was shown on the terminal's screen side during `seconds`."""
    shown, deadline = b"", time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if select.select([terminal], [], [], left)[0]:
            shown += os.read(terminal, 1 << 16)
    return shown.decode(errors="replace")


def _start(workspace: Workspace, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(REPO / "handle-stream"), "--data-dir", str(workspace.data_dir), *args],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_environment() | {"PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )
