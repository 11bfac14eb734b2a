"""./handle-stream: read events from stdin until end of input and land them as bronze files.

The loop frames lines into batches and cuts a batch when it is full or when the commit interval has
passed, so a line is committed within about one interval of arriving. SIGINT/SIGTERM/SIGHUP land
what was read, then exit 0.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import gc
import os
import select
import stat
import sys
import time
from collections.abc import Sequence
from typing import get_args

from bluesky_pipeline.cli_support import (
    ArgumentParser,
    CliError,
    StopSignals,
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
from bluesky_pipeline.landing.status import LOG_INTERVAL_S, TTY_INTERVAL_S, StatusReporter

PROG = "handle-stream"
COMMIT_INTERVAL_ENV = "BLUESKY_COMMIT_INTERVAL"
F_SETPIPE_SZ = 1031  # Linux fcntl: resize a pipe's buffer (fewer, larger reads)
PIPE_BYTES = 1 << 20
READ_BLOCK_BYTES = 1 << 20  # one read from stdin at most; smaller when --max-line-mb is smaller
# Each batch's lines are addressed by 32-bit offsets (Arrow binary): a batch plus one cut line must stay
# well under 2 GiB.
MAX_MB = 512
MIB = 1 << 20

EPILOG = """\
examples:
  ./bluesky | ./handle-stream                     land the live network into data/
  ./bluesky --simulate --count 100000 | ./handle-stream --data-dir /tmp/demo
  zstdcat session.jsonl.zst | ./handle-stream     land a recorded session
  ./run --simulate                                the whole pipeline: producer, landing, refreshes

Every line is landed exactly as received (blank and invalid ones too: the SQL side judges them) in
<data-dir>/bronze/events/events-<seq>.parquet, one file per commit. Exits 0 at end of input, and
after SIGINT, SIGTERM or SIGHUP once everything read is committed.
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
        type=megabytes,
        default=8.0,
        metavar="MB",
        help=f"also commit when this many MiB are waiting (bounds memory; up to {MAX_MB}; default: 8)",
    )
    parser.add_argument(
        "--max-line-mb",
        type=megabytes,
        default=4.0,
        metavar="MB",
        help="cap on a line's size, in MiB: a longer line keeps only its first MB MiB, records its full size"
        f" and is rejected as 'line too long' (up to {MAX_MB}; default: 4)",
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
    parser.add_argument(
        "--status-interval",
        type=positive_float,
        metavar="SECONDS",
        help=f"show the status this often (default: {TTY_INTERVAL_S} on a terminal, {LOG_INTERVAL_S:.0f} otherwise)",
    )
    return parser


def megabytes(text: str) -> float:
    """argparse type: a size in MiB, greater than 0 and at most MAX_MB."""
    value = positive_float(text)
    if value > MAX_MB:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_MB}: {text!r}")
    return value


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
    max_line_bytes = max(1, int(args.max_line_mb * MIB))
    framer = LineFramer(
        batch_bytes=max(1, int(args.batch_mb * MIB)),
        max_line_bytes=max_line_bytes,
        # A read never exceeds the cap, so a line wholly inside one read is never over it (framing.py).
        block_bytes=min(READ_BLOCK_BYTES, max_line_bytes),
    )
    try:
        writer = BronzeWriter(args.data_dir, compression=args.compression, level=args.compression_level)
    except BronzeWriterError as error:
        raise CliError(str(error)) from None
    status = StatusReporter(sys.stderr, PROG, args.status_interval)
    try:
        reason = _land(stdin_fd, framer, writer, status, args.commit_interval)
    except OSError as error:
        raise CliError(f"cannot land lines in {writer.directory}: {_describe(error)}") from None
    finally:
        writer.close()
    status.finish(writer.lines_committed, writer.bytes_committed, writer.files_committed, reason)
    return 0


def _land(fd: int, framer: LineFramer, writer: BronzeWriter, status: StatusReporter, interval: float) -> str:
    """Run until end of input or a stop signal; returns why it stopped. Everything read is committed."""
    with StopSignals() as stop:
        oldest_pending: float | None = None  # when the oldest uncommitted byte arrived
        while True:
            # Wake for the next commit, and for the next status line: an idle stream shows 0 lines/s.
            timeout = status.due_in()
            if oldest_pending is not None:
                timeout = min(timeout, oldest_pending + interval - time.monotonic())
            readable, _, _ = select.select([fd, stop.fd], [], [], max(0.0, timeout))
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
            status.update(framer.lines_framed, writer.lines_committed, writer.bytes_committed, writer.last_commit)
    last = framer.take(include_partial=True)
    if last is not None:
        writer.add(last)
    writer.flush()
    return reason


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
