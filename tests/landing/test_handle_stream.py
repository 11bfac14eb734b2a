"""./handle-stream end to end: real streams piped into the executable, bronze read back with DuckDB."""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time

import duckdb
import pyarrow.parquet as pq
import pytest

from bluesky_pipeline import bronze_layout
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


def test_a_line_over_the_cap_keeps_its_start_and_records_its_size(workspace: Workspace) -> None:
    huge = b'{"x": "' + b"a" * (6 << 20) + b'"}\n'
    workspace.land(b"first\n" + huge + b"after\n", "--max-line-mb", "1")
    rows = query_bronze(workspace.data_dir, "select line, original_size")
    assert rows == [(b"first\n", None), (huge[: 1 << 20], len(huge)), (b"after\n", None)]


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


def test_sigterm_lands_everything_read_and_exits_zero(workspace: Workspace) -> None:
    process = _start(workspace, "--commit-interval", "30")
    assert process.stdin is not None
    sent = b"".join(b'{"n": %d}\n' % i for i in range(50_000)) + b'{"partial'
    process.stdin.write(sent)
    process.stdin.flush()
    time.sleep(1.5)  # let it read what was sent (the interval is long: nothing is committed yet)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert b"".join(workspace.bronze_lines()) == sent


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


def _start(workspace: Workspace, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(REPO / "handle-stream"), "--data-dir", str(workspace.data_dir), *args],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_environment() | {"PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )
