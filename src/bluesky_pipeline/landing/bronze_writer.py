"""The bronze sink: turns line batches into committed Parquet files, one per batch.

Delivery: at-least-once. A batch is durable once its file is committed: written under a temporary name
no reader matches, fsynced, renamed, directory fsynced. A crash loses only batches not yet committed.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bluesky_pipeline import bronze_layout, durable
from bluesky_pipeline.landing.framing import LineBatch

Compression = Literal["zstd", "snappy", "lz4", "none"]
# zstd's fast mode: the landing writer is the part that must keep up with any rate, and compaction
# recompresses what every model has read (bench/README.md measures both trades).
DEFAULT_ZSTD_LEVEL = -3


class BronzeWriterError(Exception):
    """The bronze directory cannot be written, or another writer holds it."""


@dataclass(frozen=True)
class Commit:
    """A committed bronze file."""

    seq: int
    path: Path
    lines: int
    nbytes: int
    committed_at: datetime


class BronzeWriter:
    """Writes batches to `<data_dir>/bronze/events/` as sequence-numbered Parquet files.

    Encoding (Parquet + compression) runs on `workers` threads, since pyarrow releases the GIL, so
    stdin keeps being read meanwhile. Each worker commits its own file once the previous one is
    committed: files appear strictly in sequence order, without gaps, even while the reader is idle.
    At most `workers` batches are in flight (bounded memory). Holds an exclusive lock on the
    directory: one writer at a time.
    """

    def __init__(
        self, data_dir: Path, compression: Compression = "zstd", level: int | None = None, workers: int = 2
    ) -> None:
        self.directory = bronze_layout.events_dir(data_dir)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BronzeWriterError(f"cannot create {self.directory}: {error.strerror}") from None
        self._lock = _lock_directory(self.directory)
        self._remove_stale_temp_files()
        try:
            # Above every seq ever used: compaction and quarantine take files out of this directory.
            self._next_seq = bronze_layout.next_seq(data_dir)
        except bronze_layout.BronzeLayoutError as error:
            raise BronzeWriterError(str(error)) from None
        self._compression = compression
        self._level = DEFAULT_ZSTD_LEVEL if level is None and compression == "zstd" else level
        self._max_in_flight = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bronze-writer")
        self._in_flight: deque[Future[Commit]] = deque()
        self.last_commit: Commit | None = None
        self.files_committed = self.lines_committed = self.bytes_committed = 0

    def add(self, batch: LineBatch) -> None:
        """Queue `batch` to be written and committed (waits while too many are in flight)."""
        while len(self._in_flight) >= self._max_in_flight:
            self._in_flight.popleft().result()
        previous = self._in_flight[-1] if self._in_flight else None
        self._in_flight.append(self._pool.submit(self._write, self._next_seq, batch, previous))
        self._next_seq += 1

    def check(self) -> None:
        """Raise the error of any failed write; forget the finished ones."""
        while self._in_flight and self._in_flight[0].done():
            self._in_flight.popleft().result()

    def flush(self) -> None:
        """Wait until every queued batch is committed."""
        while self._in_flight:
            self._in_flight.popleft().result()

    def close(self) -> None:
        """Release the threads and the lock; a batch not yet flushed is not committed."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._remove_stale_temp_files()
        os.close(self._lock)

    def _write(self, seq: int, batch: LineBatch, previous: Future[Commit] | None) -> Commit:
        temp_path = self.directory / bronze_layout.temp_name(seq)
        try:
            self._encode(temp_path, batch)
            if previous is not None:
                previous.result()  # commit in sequence order; a failed predecessor fails this one too
            path = self.directory / bronze_layout.file_name(seq)
            os.rename(temp_path, path)
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
        durable.fsync_path(self.directory)
        commit = Commit(seq, path, len(batch), batch.nbytes, datetime.now(UTC))
        self.last_commit = commit
        self.files_committed += 1
        self.lines_committed += commit.lines
        self.bytes_committed += commit.nbytes
        return commit

    def _encode(self, temp_path: Path, batch: LineBatch) -> None:
        # Written by Arrow's own file I/O (a path, not a Python file object), so the encoding thread
        # never needs the GIL that the reading thread holds; then fsynced through a descriptor.
        pq.write_table(
            _to_table(batch, datetime.now(UTC)),
            str(temp_path),
            compression=self._compression,
            compression_level=self._level,
            # The raw lines are unique and opaque: dictionaries and min/max stats only cost time.
            use_dictionary=False,
            write_statistics=[bronze_layout.LANDED_AT_COLUMN],
            write_page_index=False,
            write_batch_size=1 << 16,
            data_page_size=8 << 20,
        )
        batch.release()  # written, and the table pointing into its buffer is gone: the buffer can be refilled
        durable.fsync_path(temp_path)

    def _remove_stale_temp_files(self) -> None:
        # Left by a writer killed mid-write; never visible to readers, safe to drop under the lock.
        for entry in self.directory.iterdir():
            if entry.name.startswith(bronze_layout.TEMP_PREFIX) and entry.name.endswith(bronze_layout.TEMP_SUFFIX):
                entry.unlink(missing_ok=True)


def level_range(compression: Compression) -> range | None:
    """The compression levels `compression` accepts, or None if it takes no level."""
    match compression:
        case "zstd" | "lz4":
            return range(
                pa.Codec.minimum_compression_level(compression), pa.Codec.maximum_compression_level(compression) + 1
            )
        case _:
            return None


def _to_table(batch: LineBatch, landed_at: datetime) -> pa.Table:
    count = len(batch)
    offsets = np.empty(count + 1, dtype=np.int32)
    offsets[0] = 0
    offsets[1:] = batch.ends
    # Zero-copy: the Arrow array points into the framer's buffer (bytes past the last line are ignored).
    lines = pa.Array.from_buffers(pa.binary(), count, [None, pa.array(offsets).buffers()[1], pa.py_buffer(batch.data)])
    if batch.cut_sizes:
        sizes: list[int | None] = [None] * count
        for index, size in batch.cut_sizes.items():
            sizes[index] = size
        original_sizes = pa.array(sizes, type=pa.int64())
    else:
        original_sizes = pa.nulls(count, type=pa.int64())
    landed = pa.array(np.full(count, np.datetime64(landed_at.replace(tzinfo=None), "us")), pa.timestamp("us", tz="UTC"))
    return pa.Table.from_arrays([lines, original_sizes, landed], schema=bronze_layout.LIVE_SCHEMA)


def _lock_directory(directory: Path) -> int:
    try:
        return durable.open_locked(directory / ".writer.lock", wait=False)
    except BlockingIOError:
        raise BronzeWriterError(f"another handle-stream is already writing to {directory}") from None
    except OSError as error:
        raise BronzeWriterError(f"cannot write in {directory}: {error.strerror}") from None
