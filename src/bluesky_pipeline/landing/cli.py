"""./handle-stream: read events from stdin until end of input and land them as bronze files.

The loop frames lines into batches and cuts a batch when it is full or when the commit interval has
passed, so a line is committed within about one interval of arriving. SIGINT/SIGTERM land what was read.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import os
import select
import signal
import stat
import sys
import time
from collections.abc import Sequence
from typing import get_args

from bluesky_pipeline.cli_support import (
    ArgumentParser,
    CliError,
    data_dir_argument,
    env_default,
    positive_float,
)
from bluesky_pipeline.landing.bronze_writer import (
    DEFAULT_ZSTD_LEVEL,
    BronzeWriter,
    BronzeWriterError,
    Compression,
    level_range,
)
from bluesky_pipeline.landing.framing import LineFramer
from bluesky_pipeline.landing.memory import bound_memory
from bluesky_pipeline.landing.status import StatusReporter

PROG = "handle-stream"
COMMIT_INTERVAL_ENV = "BLUESKY_COMMIT_INTERVAL"
F_SETPIPE_SZ = 1031  # Linux fcntl: resize a pipe's buffer (fewer, larger reads)
PIPE_BYTES = 1 << 20

EPILOG = """\
examples:
  ./bluesky | ./handle-stream                     land the live network into data/
  ./bluesky --simulate --count 100000 | ./handle-stream --data-dir /tmp/demo
  zstdcat session.jsonl.zst | ./handle-stream     land a recorded session

Every line is landed exactly as received (invalid ones too: the SQL side judges them) in
<data-dir>/bronze/events/events-<seq>.parquet, one file per commit. Exits 0 at end of input.
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog=PROG,
        description="Land Bluesky events (JSON lines on stdin) durably as Parquet bronze files.",
        epilog=EPILOG,
    )
    data_dir_argument(parser)
    parser.add_argument(
        "--commit-interval",
        type=positive_float,
        default=positive_float(env_default(COMMIT_INTERVAL_ENV, "1.0")),
        metavar="SECONDS",
        help=f"commit at least this often while data flows (env {COMMIT_INTERVAL_ENV}; default: 1.0)",
    )
    parser.add_argument(
        "--batch-mb",
        type=positive_float,
        default=8.0,
        help="also commit when this many MB are waiting (bounds memory; default: 8)",
    )
    parser.add_argument(
        "--max-line-mb",
        type=positive_float,
        default=4.0,
        help="keep only the first MB of a longer line, recording its size (default: 4)",
    )
    parser.add_argument(
        "--compression",
        choices=get_args(Compression),
        default="zstd",
        help="Parquet compression of bronze files (default: zstd)",
    )
    parser.add_argument(
        "--compression-level",
        type=int,
        metavar="N",
        help=f"zstd or lz4 level: lower is faster, higher is smaller (default for zstd: {DEFAULT_ZSTD_LEVEL};"
        " 1 makes files about 30%% smaller and landing about 20%% slower)",
    )
    return parser


def _check_level(parser: ArgumentParser, compression: Compression, level: int | None) -> None:
    if level is None:
        return
    levels = level_range(compression)
    if levels is None:
        parser.error(f"--compression {compression} takes no --compression-level")
    if level not in levels:
        parser.error(f"--compression-level for {compression} must be from {levels.start} to {levels.stop - 1}")


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_level(parser, args.compression, args.compression_level)
    stdin_fd = sys.stdin.fileno() if sys.stdin is not None else -1
    _check_readable(stdin_fd)
    if os.isatty(stdin_fd):
        sys.stderr.write(f"{PROG}: reading events from the terminal; pipe a producer in: ./bluesky | ./{PROG}\n")
    _enlarge_pipe(stdin_fd)
    bound_memory()
    gc.freeze()  # the modules' objects live as long as the process: the collector need not scan them again
    framer = LineFramer(
        batch_bytes=int(args.batch_mb * (1 << 20)),
        max_line_bytes=max(int(args.max_line_mb * (1 << 20)), 1 << 20),
    )
    try:
        writer = BronzeWriter(args.data_dir, compression=args.compression, level=args.compression_level)
    except BronzeWriterError as error:
        raise CliError(str(error)) from None
    status = StatusReporter(sys.stderr, PROG)
    try:
        reason = _land(stdin_fd, framer, writer, status, args.commit_interval)
    except OSError as error:
        raise CliError(f"cannot land events in {writer.directory}: {_describe(error)}") from None
    finally:
        writer.close()
    status.finish(writer.lines_committed, writer.bytes_committed, writer.files_committed, reason)
    return 0


def _land(fd: int, framer: LineFramer, writer: BronzeWriter, status: StatusReporter, interval: float) -> str:
    """Run until end of input or a stop signal; returns why it stopped. Everything read is committed."""
    with _StopSignals() as stop:
        oldest_pending: float | None = None  # when the oldest uncommitted byte arrived
        while True:
            timeout = None if oldest_pending is None else max(0.0, oldest_pending + interval - time.monotonic())
            readable, _, _ = select.select([fd, stop.fd], [], [], timeout)
            if stop.signal_name:
                reason = f"stopped by {stop.signal_name}"
                break
            if fd in readable:
                if not framer.fill(lambda view: os.readv(fd, [view])):
                    reason = "end of input"
                    break
                if oldest_pending is None:
                    oldest_pending = time.monotonic()
            if oldest_pending is not None and (framer.is_full or time.monotonic() - oldest_pending >= interval):
                batch = framer.take()
                if batch is not None:
                    writer.add(batch)
                # Whatever is left is a partial line: its clock restarts, or there is nothing pending.
                oldest_pending = time.monotonic() if framer.pending_bytes else None
            writer.check()
            status.update(writer.lines_committed, writer.bytes_committed, writer.last_commit)
    last = framer.take(include_partial=True)
    if last is not None:
        writer.add(last)
    writer.flush()
    return reason


class _StopSignals:
    """SIGINT/SIGTERM set a flag and wake `select` through a pipe (signal.set_wakeup_fd)."""

    def __init__(self) -> None:
        self.signal_name: str | None = None
        self.fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)

    def __enter__(self) -> _StopSignals:
        self._previous_wakeup = signal.set_wakeup_fd(self._write_fd)
        self._previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc_info: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._previous_wakeup)
        os.close(self.fd)
        os.close(self._write_fd)

    def _handle(self, signum: int, frame: object) -> None:
        self.signal_name = signal.Signals(signum).name


def _check_readable(fd: int) -> None:
    try:
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError):
        raise CliError("standard input is closed; pipe events in: ./bluesky | ./handle-stream") from None
    if stat.S_ISDIR(mode):
        raise CliError("standard input is a directory; pipe events in: ./bluesky | ./handle-stream")


def _enlarge_pipe(fd: int) -> None:
    if stat.S_ISFIFO(os.fstat(fd).st_mode):
        # If the system's pipe-max-size is lower, the default buffer only costs more reads.
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES)


def _describe(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "no space left on device (everything committed before stays intact)"
    where = f" ({error.filename})" if error.filename else ""
    return f"{error.strerror or error}{where}"
